// The minutes' "Imprimer" button: shown only where scripts run (printing works without it, from
// the browser's menu; the page's print style leaves the navigation out).
for (const b of document.querySelectorAll("[data-imprimer]")) {
  b.hidden = false;
  b.addEventListener("click", () => window.print());
}
