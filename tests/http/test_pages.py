"""The pages and the lists without a browser (FastAPI's test client), on SQLite and PostgreSQL:
every error problem+json for the API and a page with the same rule for a browser; sign-in, the
session cookie, CSRF, sign-out and expiry; the search by name through the blind index (and its
rows gone with the erasure); the CAL's list against the domain's own predicate and order; lists
as pages; the XLSX download; a page offering exactly what `peut` allows and a forged form refused
with the API's rule, nothing appended."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.code_demandeur import VARIABLE_DOSSIER
from adapters.exports import en_xlsx
from adapters.registre import Registre
from api.app import creer_app
from domain import commandes as c
from domain import horloge
from domain.cal import MembreCAL
from domain.codes import FormeSession, MotifRadiation, QualiteMembre
from domain.cotation import coter
from domain.permissions import peut
from domain.rang import candidat, classer, compatible
from projections.indicateurs import Bilan, Figure, Periode
from tests.scenario_ecrans import LOGEMENT_CAL, peupler

OPH = {"Authorization": "Bearer demo-oph-cpl-1"}
CIL = {"Authorization": "Bearer demo-cil-cacpl-1"}
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def client(registre: Registre, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv(VARIABLE_DOSSIER, str(tmp_path / "donnees"))
    return TestClient(creer_app(registre))


def csrf(html: str) -> str:
    m = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert m, "the page carries a CSRF token"
    return m.group(1)


def connecter(client: TestClient, identifiant: str, jeton: str) -> str:
    page = client.get("/connexion")
    r = client.post("/connexion", data={"_csrf": csrf(page.text), "identifiant": identifiant, "jeton": jeton,
                                        "suite": "/espace"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf(client.get("/espace").text)


def regle(html: str) -> str | None:
    m = re.search(r'data-regle="([^"]+)"', html)
    return m.group(1) if m else None


def test_every_error_is_problem_json_and_a_page_for_a_browser(client: TestClient) -> None:
    r = client.get("/nulle-part")
    assert (r.status_code, r.headers["content-type"], r.json()["regle"]) == (404, "application/problem+json", "chemin_inconnu")
    r = client.get("/demandes", headers=OPH)
    assert (r.status_code, r.json()["regle"]) == (405, "methode_non_permise") and "POST" in r.headers["allow"]
    r = client.get("/echeances?du=hier&au=2026-12-01", headers=OPH)
    p = r.json()
    assert (r.status_code, r.headers["content-type"], p["regle"], p["details"]["parametre"]) == (
        422, "application/problem+json", "parametre_invalide", "du")
    r = client.get("/logements?limite=0", headers=OPH)
    assert (r.status_code, r.json()["details"]["parametre"]) == (422, "limite")
    r = client.get("/echeances?du=2026-01-01&au=2026-12-01&curseur=zzz", headers=OPH)
    assert (r.status_code, r.json()["regle"]) == (422, "curseur_invalide")
    r = client.get("/nulle-part", headers=HTML)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and regle(r.text) == "chemin_inconnu"


def test_sign_in_cookie_csrf_sign_out_and_expiry(client: TestClient, registre: Registre, horloge_test: HorlogeReglable) -> None:
    assert client.get("/espace", follow_redirects=False).headers["location"] == "/connexion?suite=/espace"
    page = client.get("/connexion")
    r = client.post("/connexion", data={"_csrf": csrf(page.text), "identifiant": "oph-cpl-1", "jeton": "faux"})
    assert r.status_code == 401 and "inconnu" in r.text
    r = client.post("/connexion", data={"_csrf": "autre", "identifiant": "oph-cpl-1", "jeton": "demo-oph-cpl-1"})
    assert (r.status_code, regle(r.text)) == (403, "csrf_invalide")
    r = client.post("/connexion", data={"_csrf": csrf(page.text), "identifiant": "oph-cpl-1", "jeton": "demo-oph-cpl-1"},
                    follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "ledger_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    valeur = client.cookies.get("ledger_session")
    espace = client.get("/espace")
    assert 'data-agent="oph-cpl-1"' in espace.text and 'data-organisation="OPH-CPL"' in espace.text
    numero = peupler(registre)[0]
    position = registre.position()
    r = client.post(f"/espace/demandes/{numero}/renouvellements", data={"occurred_on": "2026-11-23"})
    assert (r.status_code, regle(r.text)) == (403, "csrf_invalide") and registre.position() == position
    horloge_test.avancer(hours=9)  # past the session's 8 hours
    assert client.get("/espace", follow_redirects=False).status_code == 303
    horloge_test.avancer(hours=-9)
    jeton = csrf(client.get("/espace").text)
    assert client.post("/deconnexion", data={"_csrf": jeton}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set("ledger_session", valeur or "")
    assert client.get("/espace", follow_redirects=False).status_code == 303, "signed out: the cookie is refused"


def test_search_by_name_through_the_blind_index_and_gone_with_the_erasure(
    client: TestClient, registre: Registre, horloge_test: HorlogeReglable
) -> None:
    numeros = peupler(registre)
    corps = {"nom": "le goff henaff", "date_naissance": "1996-05-02"}
    r = client.post("/recherche", json=corps, headers=OPH)
    assert r.status_code == 200 and r.json() == [numeros[0]]
    assert client.post("/recherche", json={**corps, "date_naissance": "1996-05-03"}, headers=OPH).json() == []
    r = client.post("/recherche", json=corps, headers=CIL)
    assert (r.status_code, r.json()["regle"]) == (403, "donnees_personnelles_reservees")
    with registre.engine.connect() as conn:
        brut = " ".join(str(x) for row in conn.execute(sa.text("SELECT * FROM vue_repertoire_empreintes")) for x in row)
    assert "GOFF" not in brut.upper() and "1996" not in brut, "keyed hashes only"
    # The auditeur's page shows no identity; the bailleur's does.
    jeton = connecter(client, "cil-cacpl-1", "demo-cil-cacpl-1")
    assert 'data-personnel="reserve"' in client.get(f"/espace/demandes/{numeros[0]}").text
    assert regle(client.post("/espace/recherche", data={"_csrf": jeton, **corps}).text) == "donnees_personnelles_reservees"
    # Radiated, then erased a year later: no longer found.
    oph = registre.territoire.organisation("OPH-CPL")
    registre.executer(oph, "oph-cpl-1", c.Radier(occurred_on=horloge.aujourdhui(), motif=MotifRadiation.RADABA),
                      numero_unique=numeros[0])
    horloge_test.regler(datetime(2027, 12, 1, 9, tzinfo=UTC))
    registre.rattraper(numeros[0], horloge.aujourdhui())
    assert registre.demande(numeros[0]).etat.effacee
    assert client.post("/recherche", json=corps, headers=OPH).json() == []


def test_the_cal_list_is_the_domain_s_predicate_in_rank_order(client: TestClient, registre: Registre) -> None:
    peupler(registre)
    spec = registre.territoire.logement(LOGEMENT_CAL)
    jour = horloge.aujourdhui()
    attendus = []
    for n in registre.numeros():
        etat = registre.demande(n).etat_courant(jour, registre.territoire.retention_donnees_mois)
        x = candidat(etat, coter(etat, jour, registre.territoire, registre.grille)) if etat.active else None
        if x is not None and compatible(etat.souhaits, spec):
            attendus.append(x)
    ordre = [r.numero_unique for r in classer(attendus)]
    assert len(ordre) == 5
    r = client.get(f"/logements/{LOGEMENT_CAL}/candidats-compatibles?limite=2", headers=OPH)
    vus = [x["numero_unique"] for x in r.json()]
    while "link" in r.headers:
        suivante = re.match(r"<([^>]+)>", r.headers["link"]).group(1)
        r = client.get(suivante, headers=OPH)
        vus += [x["numero_unique"] for x in r.json()]
    assert vus == ordre


def test_lists_as_pages(client: TestClient, registre: Registre) -> None:
    numero = peupler(registre)[0]
    oph = registre.territoire.organisation("OPH-CPL")
    for j in (3, 4, 5):
        registre.executer(oph, "oph-cpl-1", c.Renouveler(occurred_on=date(2026, 11, j + 10)), numero_unique=numero)
    tout = client.get(f"/demandes/{numero}/historique", headers=OPH).json()
    pages, r = [], client.get(f"/demandes/{numero}/historique?limite=2", headers=OPH)
    while True:
        pages += r.json()
        if "x-curseur-suivant" not in r.headers:
            break
        r = client.get(f"/demandes/{numero}/historique?limite=2&curseur={r.headers['x-curseur-suivant']}", headers=OPH)
    assert pages == tout and len(tout) == 4
    assert [e["type"] for e in client.get(f"/demandes/{numero}/historique?type=renouvellement", headers=OPH).json()] == ["renouvellement"] * 3
    r = client.get("/logements?vacant=true&bailleur=OPH-CPL&limite=3", headers=OPH)
    assert r.status_code == 200 and all(x["vacant"] and x["bailleur"] == "OPH-CPL" for x in r.json())
    assert len(r.json()) == 3 and 'rel="next"' in r.headers["link"]
    un = client.get("/echeances?du=2026-01-01&au=2031-12-31&limite=1", headers=OPH)
    deux = client.get(f"/echeances?du=2026-01-01&au=2031-12-31&limite=1&curseur={un.headers['x-curseur-suivant']}", headers=OPH)
    assert un.json() + deux.json() == client.get("/echeances?du=2026-01-01&au=2031-12-31&limite=2", headers=OPH).json()


def test_xlsx_keeps_codes_as_text_names_beside_them_header_first(client: TestClient) -> None:
    from openpyxl import load_workbook

    figures = (Figure("pression", "commune", "06029", 12, 3, Decimal("4.00"), "ratio"),
               Figure("attente_moyenne", "typologie_commune", "T2 06029", 2, None, Decimal("410"), "jours"))
    b = Bilan("006", Periode.annee(2025), "vue", None, 7, 10, figures)
    feuille = load_workbook(io.BytesIO(en_xlsx(b, {"06029": "Cannes"})))["indicateurs"]
    lignes = list(feuille.iter_rows(values_only=True))
    assert lignes[0][:5] == ("indicateur", "libelle", "dimension", "cle", "nom")
    assert lignes[1][3] == "06029" and lignes[1][4] == "Cannes" and lignes[1][7] == 4.0
    assert lignes[2][3] == "T2 06029" and lignes[2][4] == "T2 Cannes"
    r = client.get("/statistiques?annee=2026&format=xlsx&source=vue", headers=CIL)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert list(load_workbook(io.BytesIO(r.content))["indicateurs"].iter_rows(values_only=True))[0][0] == "indicateur"


def test_a_page_offers_what_peut_allows_and_a_forged_form_is_refused_as_the_api_refuses_it(
    client: TestClient, registre: Registre
) -> None:
    numero = peupler(registre)[1]
    oph = registre.territoire.organisation("OPH-CPL")
    registre.executer(oph, "oph-cpl-1", c.Designer(occurred_on=horloge.aujourdhui(), logement=LOGEMENT_CAL),
                      numero_unique=numero)
    spec = registre.territoire.logement(LOGEMENT_CAL)
    etat = registre.demande(numero).etat
    for identifiant, jeton, code in (("als-1", "demo-als-1", "ALS"), ("oph-cpl-1", "demo-oph-cpl-1", "OPH-CPL")):
        client.cookies.clear()
        jeton_csrf = connecter(client, identifiant, jeton)
        html = client.get(f"/espace/demandes/{numero}").text
        org = registre.territoire.organisation(code)
        assert ('data-action="decisions-cal"' in html) == (peut(org, c.DeciderCAL, etat, spec) is None)
        assert ('data-action="renouvellements"' in html) == (peut(org, c.Renouveler, etat) is None)
        if code == "ALS":
            position = registre.position()
            forme = {"_csrf": jeton_csrf, "occurred_on": horloge.aujourdhui().isoformat(), "logement": LOGEMENT_CAL,
                     "decision": "attribution"}
            page = client.post(f"/espace/demandes/{numero}/decisions-cal", data=forme)
            api = client.post(f"/demandes/{numero}/decisions-cal", json={k: v for k, v in forme.items() if k != "_csrf"},
                              headers={"Authorization": f"Bearer {jeton}"})
            assert page.status_code == api.status_code == 403
            assert regle(page.text) == api.json()["regle"] == "bailleur_du_logement"
            assert registre.position() == position
    # The bailleur's form goes through: the same command as the API's.
    r = client.post(f"/espace/demandes/{numero}/decisions-cal", data={
        "_csrf": jeton_csrf, "occurred_on": horloge.aujourdhui().isoformat(), "logement": LOGEMENT_CAL,
        "decision": "attribution", "moins_de_trois_candidats": "insuffisance_candidats", "_version": str(registre.demande(numero).version),
    }, follow_redirects=False)
    assert r.status_code == 303 and registre.demande(numero).etat.candidature(LOGEMENT_CAL, 1).decisions


def test_the_demandeur_opens_their_page_with_their_code(client: TestClient, registre: Registre) -> None:
    numero = peupler(registre)[0]
    code = client.get(f"/demandes/{numero}/code-demandeur", headers=OPH).json()["code"]
    page = client.get("/mon-dossier")
    r = client.post("/mon-dossier", data={"_csrf": csrf(page.text), "numero_unique": numero, "code": "FAUX-CODE"})
    assert (r.status_code, regle(r.text)) == (401, "code_demandeur_invalide")
    r = client.post("/mon-dossier", data={"_csrf": csrf(page.text), "numero_unique": numero, "code": code})
    assert r.status_code == 200 and "Vos points et votre rang" in r.text and "avant le 01/02/2027" in r.text


def test_the_cal_workspace_prepares_a_session_records_it_and_its_minutes_are_the_api_s(
    client: TestClient, registre: Registre, horloge_test: HorlogeReglable
) -> None:
    """From the dwelling's ranked list: designate, open a session with its members, inscribe the
    candidates, decide within it with coded motifs, a non-recevable refusal with its décote, close
    it; the minutes' page and PDF are the API's, byte for byte, and stay so after later events.
    Another organisation is offered none of it, and its forged forms are refused with the API's
    rule, nothing appended."""
    numeros = peupler(registre)
    jour = horloge.aujourdhui().isoformat()
    lgt = f"/espace/logements/{LOGEMENT_CAL}"
    jeton = connecter(client, "oph-cpl-1", "demo-oph-cpl-1")
    html = client.get(lgt).text
    assert 'data-action="ouvrir-seance"' in html
    r = client.get(f"{lgt}?seance=CAL-OPH-CPL-20261123-9")
    assert (r.status_code, regle(r.text)) == (404, "session_inconnue")
    classes = re.findall(r'data-compatible="([^"]+)"', html)
    assert set(classes) == set(numeros[:5]), "the ranked list: the five demands wishing a T2 in Cannes"
    trois = classes[:3]
    for n in trois:
        r = client.post(f"/espace/demandes/{n}/designations", data={
            "_csrf": jeton, "_retour": lgt, "logement": LOGEMENT_CAL, "occurred_on": jour}, follow_redirects=False)
        assert r.status_code == 303, r.text
    membres = {"membre-1-organisation": "OPH-CPL", "membre-1-qualite": "bailleur", "membre-1-nom": "Camille Roux",
               "membre-2-organisation": "CANNES", "membre-2-qualite": "maire",
               "membre-3-organisation": "ETAT-06", "membre-3-qualite": "prefet"}
    # A forged opening by a réservataire: refused as POST /commissions refuses it.
    client.cookies.clear()
    jeton_als = connecter(client, "als-1", "demo-als-1")
    html_als = client.get(lgt).text
    assert 'data-action="ouvrir-seance"' not in html_als and 'data-action="inscriptions-cal"' not in html_als
    position = registre.position()
    page = client.post("/espace/commissions", data={"_csrf": jeton_als, "occurred_on": jour, "forme": "presentiel",
                                                   **membres}, headers=HTML)
    api = client.post("/commissions", json={"occurred_on": jour, "forme": "presentiel", "membres": [
        {"organisation": "OPH-CPL", "qualite": "bailleur"}]}, headers={"Authorization": "Bearer demo-als-1"})
    assert page.status_code == api.status_code == 403 and regle(page.text) == api.json()["regle"]
    assert registre.position() == position
    client.cookies.clear()
    jeton = connecter(client, "oph-cpl-1", "demo-oph-cpl-1")
    # A member row without its qualité is the API's payload_invalide, naming the field.
    r = client.post("/espace/commissions", data={"_csrf": jeton, "occurred_on": jour, "forme": "presentiel",
                                                 "membre-1-organisation": "OPH-CPL"}, headers=HTML)
    assert (r.status_code, regle(r.text)) == (422, "payload_invalide") and "qualite" in r.text
    r = client.post("/espace/commissions", data={"_csrf": jeton, "_retour": lgt, "occurred_on": jour,
                                                 "forme": "presentiel", **membres}, follow_redirects=False)
    assert r.status_code == 303, r.text
    session = re.search(r"seance=([^&]+)", r.headers["location"]).group(1)
    assert session == f"CAL-OPH-CPL-{horloge.aujourdhui():%Y%m%d}-1"
    html = client.get(r.headers["location"]).text
    assert f'data-seance="{session}"' in html and html.count('data-action="inscriptions-cal"') == 3
    retour = f"{lgt}?seance={session}"
    for n in trois:
        r = client.post(f"/espace/demandes/{n}/inscriptions-cal", data={
            "_csrf": jeton, "_retour": retour, "logement": LOGEMENT_CAL, "session": session, "occurred_on": jour},
            follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(retour + "&ok="), r.text
    html = client.get(lgt).text  # the open session is found again through its candidates
    assert html.count("data-ordre-du-jour=") == 3 and html.count('data-action="decisions-cal"') == 3
    moins = {"moins_de_trois_candidats": "insuffisance_candidats"}
    decisions = [{"decision": "attribution_par_classement", "rang": "1", **moins},
                 {"decision": "attribution_par_classement", "rang": "2", **moins},
                 {"decision": "non_attribution", "motif": "taux_effort", "texte": "quatre euros par jour", **moins}]
    for n, d in zip(trois, decisions, strict=True):
        r = client.post(f"/espace/demandes/{n}/decisions-cal", data={
            "_csrf": jeton, "_retour": retour, "logement": LOGEMENT_CAL, "session": session, "occurred_on": jour, **d},
            follow_redirects=False)
        assert r.status_code == 303, r.text
    r = client.post(f"/espace/demandes/{trois[0]}/refus", data={
        "_csrf": jeton, "_retour": retour, "logement": LOGEMENT_CAL, "occurred_on": jour, "stade": "apres_cal",
        "motif": "localisation", "qualification": "non_recevable", "appliquer_decote": "true"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert [x.code.value for x in registre.demande(trois[0]).etat.decotes.values()] == ["decote_refus"]
    # Another bailleur may not close OPH-CPL's session: the API's rule.
    client.cookies.clear()
    jeton_erilia = connecter(client, "erilia-1", "demo-erilia-1")
    page = client.post(f"/espace/commissions/{session}/cloture", data={"_csrf": jeton_erilia, "occurred_on": jour},
                       headers=HTML)
    api = client.post(f"/commissions/{session}/cloture", json={"occurred_on": jour},
                      headers={"Authorization": "Bearer demo-erilia-1"})
    assert page.status_code == api.status_code == 403
    assert regle(page.text) == api.json()["regle"] == "bailleur_de_la_session"
    client.cookies.clear()
    jeton = connecter(client, "oph-cpl-1", "demo-oph-cpl-1")
    r = client.post(f"/espace/commissions/{session}/cloture", data={"_csrf": jeton, "occurred_on": jour},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/proces-verbal?ok=cloture")
    pv = client.get(r.headers["location"]).text
    assert 'data-close="1"' in pv and all(f'data-pv-candidat="{n}"' in pv for n in trois)
    assert pv.count('data-decision="attribution_par_classement"') == 2 and "taux_effort" in pv
    assert "Camille Roux" in pv and "quatre euros" not in pv, "free text stays on the demand"
    assert 'data-action="decisions-cal"' not in client.get(lgt + f"?seance={session}").text, "closed"
    telecharge = client.get(f"/espace/commissions/{session}/proces-verbal.pdf")
    assert telecharge.headers["content-type"] == "application/pdf" and telecharge.content.startswith(b"%PDF")
    assert "attachment" in telecharge.headers["content-disposition"]
    assert telecharge.content == client.get(f"/commissions/{session}/proces-verbal.pdf", headers=OPH).content
    assert client.get(f"/commissions/{session}/proces-verbal", headers=OPH).json()["decisions"] == 3
    # Later: the refused candidate's decision retracted, another session opened; the minutes unchanged.
    horloge_test.avancer(days=2)
    oph = registre.territoire.organisation("OPH-CPL")
    (decision,) = [f.originator_version for f in registre.demande(trois[2]).faits if type(f).__name__ == "DecisionCAL"]
    registre.executer(oph, "oph-cpl-1", c.Retracter(occurred_on=horloge.aujourdhui(), evenement=decision, motif="erreur"),
                      numero_unique=trois[2])
    autre = registre.ouvrir_session(oph, "oph-cpl-1", c.OuvrirSession(
        occurred_on=horloge.aujourdhui(), forme=FormeSession.dematerialisee,
        membres=(MembreCAL("OPH-CPL", QualiteMembre.bailleur),)))
    client.cookies.clear()
    connecter(client, "cil-cacpl-1", "demo-cil-cacpl-1")  # an auditeur reads the minutes too
    assert client.get(f"/espace/commissions/{session}/proces-verbal.pdf").content == telecharge.content
    liste = client.get("/espace/commissions").text
    assert f'data-seance="{session}"' in liste and f'data-seance="{autre.identifiant}"' in liste


def test_the_demand_page_loads_the_demand_once(
    client: TestClient, registre: Registre, monkeypatch: pytest.MonkeyPatch
) -> None:
    numero = peupler(registre)[0]
    connecter(client, "oph-cpl-1", "demo-oph-cpl-1")
    charges: list[str] = []
    charger = registre.demande

    def compter(n: str) -> object:
        charges.append(n)
        return charger(n)

    monkeypatch.setattr(registre, "demande", compter)
    assert client.get(f"/espace/demandes/{numero}").status_code == 200
    assert charges == [numero], charges
