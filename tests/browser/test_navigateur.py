"""The web workspace in a real browser (Debian's Chromium driven by Playwright) against a served
ledger, on SQLite and PostgreSQL: a bailleur prepares a CAL from the ranked list, records three
decisions and a non-recevable refusal with its décote; an appeal handler decides that recours on
day 15; an auditor replays the score as known before the annulment and after; a demandeur opens
their page with their code; a réservataire is offered no CAL action and its forged POST is
refused with the API's rule. The CAL is a session: opened with its members from the dwelling's
workspace, each candidate inscribed on its agenda, the decisions taken within it, closed; its
minutes are a printable page and a PDF download, the API's bytes, and the same bytes sixteen days
later. axe-core runs on every page visited (no serious or critical violation); no request leaves
the machine (every asset is the ledger's own, /docs included). Each walk ends with a screenshot
in var/artefacts/ (`LEDGER_IMAGES_README=1` copies the README's into docs/images)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api  # a pinned test dependency: never skipped

from adapters.clock import HorlogeReglable
from adapters.code_demandeur import VARIABLE_DOSSIER, charger_secret, code_demandeur
from adapters.registre import Registre
from api.app import creer_app
from domain import commandes as c
from domain import horloge
from tests.navigateur import (
    ARGUMENTS,
    ARTEFACTS,
    AXE,
    CHROMIUM,
    RACINE,
    Serveur,
    genre_de_page,
    regle_affichee,
    verifier_accessibilite,
)
from tests.scenario_ecrans import LOGEMENT_CAL, peupler

# The walks' screenshots the README shows (LEDGER_IMAGES_README=1 copies them into docs/images).
IMAGES_README = {"cal": "ecran-cal.png", "recours": "ecran-recours.png", "audit": "ecran-audit.png"}


@pytest.fixture(scope="module")
def navigateur() -> Iterator[Any]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: scripts/test installs it (apt-get install chromium)"
    assert AXE.exists(), "axe-core is missing: scripts/test installs it into var/cache/navigateur"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTS, headless=True)
        yield b
        b.close()


@pytest.fixture
def servi(registre: Registre, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Serveur]:
    monkeypatch.setenv(VARIABLE_DOSSIER, str(tmp_path / "donnees"))
    s = Serveur(creer_app(registre))
    yield s
    s.arreter()


class Visite:
    """One person's browser: a fresh context (cookies, storage), every page checked by axe-core,
    every request outside the served ledger refused and remembered."""

    def __init__(self, navigateur: Any, serveur: Serveur, visitees: list[str], axe: bool = True) -> None:
        self.serveur = serveur
        self.visitees = visitees
        self.dehors: list[str] = []
        # axe-core is injected as a script: the pages' policy (script-src 'self') is bypassed for it.
        self.contexte = navigateur.new_context(bypass_csp=axe, accept_downloads=True, locale="fr-FR")
        self.contexte.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"), self._refuser)
        self.page = self.contexte.new_page()

    def _refuser(self, route: Any) -> None:
        self.dehors.append(route.request.url)
        route.abort()

    def aller(self, chemin: str) -> Any:
        r = self.page.goto(self.serveur.url + chemin)
        self.verifier()
        return r

    def verifier(self, etat: str = "") -> None:
        self.page.wait_for_load_state("load")
        verifier_accessibilite(self.page, self.visitees, etat)

    def connecter(self, identifiant: str, jeton: str) -> None:
        self.aller("/connexion")
        self.page.fill("#identifiant", identifiant)
        self.page.fill("#jeton", jeton)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r"/espace$"))
        self.verifier()
        assert self.page.locator(f'[data-agent="{identifiant}"]').count() == 1

    def capture(self, nom: str, base: str) -> Path:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        chemin = ARTEFACTS / f"{nom}-{base}.png"
        self.page.screenshot(path=str(chemin), full_page=True)
        if os.environ.get("LEDGER_IMAGES_README") == "1" and base == "sqlite" and nom in IMAGES_README:
            # The README's screenshots, refreshed on demand from this walk (docs/ecrans.md).
            shutil.copyfile(chemin, RACINE / "docs" / "images" / IMAGES_README[nom])
        return chemin

    def fermer(self) -> None:
        assert not self.dehors, f"requests left the machine: {self.dehors}"
        self.contexte.close()


def soumettre(page: Any, bloc: Any, valeurs: dict[str, str], cases: tuple[str, ...] = ()) -> None:
    """Open a <details> action, fill its form and post it."""
    bloc.locator("summary").click()
    form = bloc.locator("form")
    for nom, v in valeurs.items():
        champ = form.locator(f'[name="{nom}"]')
        if champ.evaluate("e => e.tagName") == "SELECT":
            champ.select_option(v)
        else:
            champ.fill(v)
    for nom in cases:
        form.locator(f'[name="{nom}"]').check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def regler(h: HorlogeReglable, jour: date, heure: int = 9) -> None:
    h.regler(datetime(jour.year, jour.month, jour.day, heure, tzinfo=UTC))


def test_le_parcours_des_partenaires_et_du_demandeur(
    navigateur: Any, servi: Serveur, registre: Registre, horloge_test: HorlogeReglable, request: pytest.FixtureRequest
) -> None:
    base = request.node.callspec.params.get("stockage", "base")
    numeros = peupler(registre)
    jour = horloge.aujourdhui()
    visitees: list[str] = []

    # -- a bailleur prepares the CAL from the ranked list -------------------------------------
    b = Visite(navigateur, servi, visitees)
    b.connecter("oph-cpl-1", "demo-oph-cpl-1")
    b.aller("/espace/recherche")  # a person found by name and birth date, through the blind index
    b.page.fill("#nom", "LE GOFF HENAFF")
    b.page.fill("#date_naissance", "1996-05-02")
    with b.page.expect_navigation():
        b.page.click("form[aria-labelledby=par-nom] button[type=submit]")
    b.verifier("#resultats")
    assert b.page.locator(f'a[href="/espace/demandes/{numeros[0]}"]').count() == 1
    assert b.aller("/espace/inconnue").status == 404  # an unknown page, as a page
    assert regle_affichee(b.page.content()) == "chemin_inconnu"
    b.aller("/espace/logements?vacant=1&commune=06029&typologie=T2")
    b.page.click(f'a[href="/espace/logements/{LOGEMENT_CAL}"]')
    b.verifier()
    classes = b.page.locator("tr[data-compatible]").evaluate_all("rs => rs.map(r => r.dataset.compatible)")
    assert set(classes) == set(numeros[:5]), "the five demands wishing a T2 in Cannes, the sixth does not"
    trois = classes[:3]
    for n in trois:
        with b.page.expect_navigation():
            b.page.click(f'button[aria-label="Désigner la demande {n}"]')
        b.verifier()
    assert b.page.locator("tr[data-candidat]").count() == 3
    # A session of the CAL, opened with its members present (the form is open: none yet).
    ouvrir = b.page.locator('details[data-action="ouvrir-seance"] form')
    for i, (org, qualite) in enumerate((("CANNES", "maire"), ("ETAT-06", "prefet")), start=2):
        ouvrir.locator(f'[name="membre-{i}-organisation"]').select_option(org)
        ouvrir.locator(f'[name="membre-{i}-qualite"]').select_option(qualite)
    with b.page.expect_navigation():
        ouvrir.locator("button[type=submit]").click()
    b.verifier("?seance")
    session = b.page.locator("[data-seance]").first.get_attribute("data-seance")
    assert session == f"CAL-OPH-CPL-{jour:%Y%m%d}-1"
    for n in trois:  # each candidate on the session's agenda, in rank order
        with b.page.expect_navigation():
            b.page.click(f'tr[data-candidat="{n}"] + tr form[data-action="inscriptions-cal"] button')
        b.verifier()
    ordre = b.page.locator("tr[data-ordre-du-jour]").evaluate_all("rs => rs.map(r => r.dataset.ordreDuJour)")
    assert ordre == trois
    # None of the three answered the bailleur's contact: the reason for fewer than three is a code.
    moins = {"moins_de_trois_candidats": "insuffisance_candidats"}
    decisions = [
        ("attribution_par_classement", {"rang": "1", **moins}),
        ("attribution_par_classement", {"rang": "2", **moins}),
        ("non_attribution", {"motif": "taux_effort", "texte": "taux d'effort trop élevé", **moins}),
    ]
    for n, (decision, autres) in zip(trois, decisions, strict=True):
        bloc = b.page.locator(f'tr[data-candidat="{n}"] + tr details[data-action="decisions-cal"]')
        soumettre(b.page, bloc, {"decision": decision, **autres})
        b.verifier()
    assert b.page.locator("td[data-decision-seance=attribution_par_classement]").count() == 2
    # The first-ranked candidate refuses; the bailleur finds it non recevable and applies the décote.
    refus = b.page.locator(f'tr[data-candidat="{trois[0]}"] + tr details[data-action="refus"]')
    soumettre(b.page, refus, {"stade": "apres_cal", "motif": "localisation", "texte": "logement trop éloigné du travail",
                              "qualification": "non_recevable"}, ("appliquer_decote",))
    b.verifier()
    b.capture("cal", base)
    # Closed: on to its minutes, printable, and their PDF, the API's bytes.
    with b.page.expect_navigation():
        b.page.click(f'form[data-cloture="{session}"] button')
    b.verifier()
    assert b.page.locator('article[data-close="1"]').count() == 1
    assert b.page.locator("tr[data-pv-candidat]").count() == 3
    assert b.page.locator("[data-imprimer]").is_visible(), "the print button, where scripts run"
    with b.page.expect_download() as telechargement:
        b.page.click("a[data-pdf]")
    pdf = Path(telechargement.value.path()).read_bytes()
    api_pdf = b.page.request.get(f"{servi.url}/commissions/{session}/proces-verbal.pdf",
                                 headers={"Authorization": "Bearer demo-oph-cpl-1"})
    assert pdf.startswith(b"%PDF-") and pdf == api_pdf.body()
    b.capture("proces-verbal", base)
    b.aller("/espace/commissions")
    assert b.page.locator(f'tr[data-seance="{session}"]').count() == 1
    b.capture("seances", base)
    b.fermer()
    d = registre.demande(trois[0])
    (decote,) = d.etat.decotes.values()
    assert decote.code.value == "decote_refus" and decote.notifiee_le == jour

    # A guichet files the recours for the demandeur three days later.
    regler(horloge_test, jour + timedelta(days=3))
    cannes = registre.territoire.organisation("CANNES")
    registre.executer(cannes, "cannes-1", c.DeposerRecours(occurred_on=horloge.aujourdhui(), decote=decote.version),
                      numero_unique=trois[0])
    avant_annulation = horloge.maintenant()

    # -- the appeal handler decides that recours on day 15 -------------------------------------
    regler(horloge_test, jour + timedelta(days=15))
    a = Visite(navigateur, servi, visitees)
    a.connecter("oph-cpl-2", "demo-oph-cpl-2")
    a.aller("/espace/recours")
    ligne = a.page.locator(f'tr[data-recours="{trois[0]}-{decote.version}"]')
    assert ligne.locator("td[data-jours-restants]").get_attribute("data-jours-restants") == "0"
    ligne.locator('details[data-action="decisions-recours"] summary').click()
    a.capture("recours", base)  # the queue on the 15th day, the decision's form open
    ligne.locator('details[data-action="decisions-recours"] summary').click()
    soumettre(a.page, ligne.locator('details[data-action="decisions-recours"]'),
              {"decision": "annulee", "motivation": "le logement proposé était à 40 km du lieu de travail"})
    a.verifier()
    assert a.page.locator(f'tr[data-decide="{trois[0]}-{decote.version}"]').count() == 1
    a.capture("recours-decide", base)
    a.fermer()

    # -- an auditor replays the score as known before the annulment and after -------------------
    regler(horloge_test, jour + timedelta(days=16))
    o = Visite(navigateur, servi, visitees)
    o.connecter("cil-cacpl-1", "demo-cil-cacpl-1")
    o.aller(f"/espace/demandes/{trois[0]}")
    assert o.page.locator('[data-personnel="reserve"]').count() == 1, "an auditeur reads no personal data"
    apres = int(o.page.locator("[data-points]").get_attribute("data-points"))
    o.page.fill("#au", (jour + timedelta(days=14)).isoformat())
    o.page.fill("#connu_a", avant_annulation.astimezone(horloge.FUSEAU).strftime("%Y-%m-%dT%H:%M"))
    with o.page.expect_navigation():
        o.page.click("text=Rejouer")
    o.verifier()
    avant = int(o.page.locator("[data-points]").get_attribute("data-points"))
    assert o.page.locator('[data-critere="decote_refus"]').count() == 1
    assert avant == apres - 40, (avant, apres)
    o.capture("audit", base)
    o.page.fill("#connu_a", "")
    with o.page.expect_navigation():
        o.page.click("text=Rejouer")
    assert o.page.locator('[data-critere="decote_refus"]').count() == 0, "annulled: it never counted"
    # Sixteen days and a recours later, the minutes come out of the log the same, to the byte.
    assert o.page.request.get(f"{servi.url}/espace/commissions/{session}/proces-verbal.pdf").body() == pdf
    o.aller("/espace/observatoire")
    o.aller("/espace/echeances")
    o.capture("echeances", base)
    o.fermer()

    # -- a demandeur opens their page with their code -------------------------------------------
    code = code_demandeur(charger_secret(registre.stockage), trois[0])
    m = Visite(navigateur, servi, visitees)
    m.aller("/mon-dossier")
    m.page.fill("#numero_unique", trois[0])
    m.page.fill("#code", "AAAA-BBBB")
    with m.page.expect_navigation():
        m.page.click("button[type=submit]")
    m.verifier("#refus")
    assert regle_affichee(m.page.content()) == "code_demandeur_invalide"
    m.page.fill("#code", code)
    with m.page.expect_navigation():
        m.page.click("button[type=submit]")
    m.verifier("#dossier")
    assert "Vos points et votre rang" in m.page.content()
    m.capture("demandeur", base)
    m.fermer()

    # -- a réservataire: no CAL action offered, a forged POST refused as the API refuses it ------
    r = Visite(navigateur, servi, visitees)
    r.connecter("als-1", "demo-als-1")
    r.aller(f"/espace/logements/{LOGEMENT_CAL}")
    assert r.page.locator('details[data-action="decisions-cal"], button[aria-label^="Désigner"], '
                          '[data-action="ouvrir-seance"], [data-action="inscriptions-cal"], form[data-cloture]').count() == 0
    r.aller(f"/espace/demandes/{trois[1]}")
    assert r.page.locator('details[data-action="decisions-cal"]').count() == 0
    csrf = r.page.locator('input[name="_csrf"]').first.get_attribute("value")
    position = registre.position()
    forge = r.page.request.post(
        f"{servi.url}/espace/demandes/{trois[1]}/decisions-cal",
        form={"_csrf": csrf, "occurred_on": horloge.aujourdhui().isoformat(), "logement": LOGEMENT_CAL,
              "decision": "attribution"},
        headers={"Accept": "text/html"},
    )
    api = r.page.request.post(
        f"{servi.url}/demandes/{trois[1]}/decisions-cal",
        data={"occurred_on": horloge.aujourdhui().isoformat(), "logement": LOGEMENT_CAL, "decision": "attribution"},
        headers={"Authorization": "Bearer demo-als-1"},
    )
    assert forge.status == api.status == 403
    assert regle_affichee(forge.text()) == api.json()["regle"] == "bailleur_du_logement"
    assert registre.position() == position, "a refused command appends nothing"
    r.page.set_content(forge.text())
    r.capture("refus-reservataire", base)
    r.fermer()

    # -- the API's docs, from the ledger's own files ---------------------------------------------
    dv = Visite(navigateur, servi, visitees, axe=False)  # with the docs' own policy in force
    dv.page.goto(servi.url + "/docs")
    dv.page.wait_for_selector(".swagger-ui .information-container", timeout=15000)
    dv.page.goto(servi.url + "/redoc")
    dv.page.wait_for_selector("[role=search], .api-content", timeout=15000)
    dv.fermer()

    pages = {genre_de_page(u).removesuffix("?ok") for u in visitees}
    assert {"/connexion", "/espace", "/espace/logements", "/espace/logements/X", "/espace/demandes/X",
            "/espace/recours", "/espace/observatoire", "/espace/echeances", "/mon-dossier",
            "/espace/commissions", "/espace/commissions/X/proces-verbal"} <= pages, pages
