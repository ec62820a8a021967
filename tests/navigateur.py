"""What the browser tests need: a served ledger (uvicorn in a thread of the test process, so that
it runs on the suite's clock), Debian's Chromium driven by Playwright (never a browser download:
`executable_path=/usr/bin/chromium`), and axe-core run in every page visited.

Playwright rather than Selenium: one pinned PyPI package drives the installed Chromium directly
(no chromedriver to match), waits for pages by itself, downloads files and takes screenshots,
and evaluates axe-core in the page. axe-core is installed by scripts/test, pinned (AXE_VERSION)
and checked against its SHA-256, into the ignored var/cache/navigateur (npm, no lock file that
would name a registry): nothing of it is vendored in git."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

RACINE = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = RACINE / "var" / "cache" / "navigateur" / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = RACINE / "var" / "artefacts"
ARGUMENTS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
GRAVES = {"serious", "critical"}


class Serveur:
    """An application served on a free port of the loopback, in a thread, until `arreter`."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.serveur = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.fil = threading.Thread(target=self.serveur.run, daemon=True)
        self.fil.start()
        limite = time.monotonic() + 20
        while not self.serveur.started:
            if time.monotonic() > limite:
                raise RuntimeError("the served ledger did not start")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arreter(self) -> None:
        self.serveur.should_exit = True
        self.fil.join(timeout=10)


def genre_de_page(url: str) -> str:
    """A page's kind: its path with numéros, dwellings and query left out (`/espace/demandes/X`),
    plus whether it shows a form's result."""
    chemin = re.sub(r"^https?://[^/]+", "", url)
    chemin, _, requete = chemin.partition("?")
    chemin = re.sub(r"/\d{6,}[A-Z0-9]+|/RPLS-\d+|/CAL-[A-Z0-9-]+-\d{8}-\d+", "/X", chemin)
    return chemin + ("?ok" if "ok=" in requete else "")


DEJA_VERIFIEES: set[str] = set()  # page kinds axe-core has checked in this test session


def verifier_accessibilite(page: Any, visitees: list[str], etat: str = "") -> None:
    """axe-core on the page as it stands: no serious or critical violation (WCAG 2 A and AA
    rules and best practices). Each kind of page (and state) is checked once per session: the
    same template with other rows adds time, not coverage."""
    genre = genre_de_page(page.url) + etat
    visitees.append(page.url)
    if genre in DEJA_VERIFIEES:
        return
    DEJA_VERIFIEES.add(genre)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    resultat = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    graves = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in resultat["violations"] if v.get("impact") in GRAVES
    ]
    assert not graves, f"accessibility of {page.url}: " + " | ".join(graves)


def regle_affichee(html: str) -> str | None:
    m = re.search(r'data-regle="([^"]+)"', html)
    return m.group(1) if m else None
