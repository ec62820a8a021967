"""The demandeur's information (DOMAIN.md §7) over HTTP, on SQLite and PostgreSQL: the access code
a guichet hands over, points and rank equal to the cotation endpoint's, the waiting time equal to
the observatory's figure, CAL decisions, a refusal with its décote and consequences, the history;
and a code that opens one demand's page and nothing else."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.code_demandeur import (
    FICHIER_SECRET,
    VARIABLE_DOSSIER,
    VARIABLE_SECRET,
    charger_secret,
    code_demandeur,
    code_valable,
)
from adapters.database import ConfigurationError, depuis_url
from adapters.registre import Registre
from api.app import creer_app
from domain.territoire import LogementSocial, Territoire

PROBLEME = "application/problem+json"
CANNES = {"Authorization": "Bearer demo-cannes-1"}  # guichet
OPH = {"Authorization": "Bearer demo-oph-cpl-1"}  # guichet and bailleur
ERILIA = {"Authorization": "Bearer demo-erilia-1"}  # bailleur
AUDIT = {"Authorization": "Bearer demo-cil-cacpl-1"}  # auditeur
ALS = {"Authorization": "Bearer demo-als-1"}  # réservataire
ETAT = {"Authorization": "Bearer demo-etat-06-1"}
JETONS = {"OPH-CPL": OPH, "ERILIA": ERILIA, "LOGIREM": {"Authorization": "Bearer demo-logirem-1"}}


@pytest.fixture(autouse=True)
def dossier_donnees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The secret goes to the test's own folder, never to ./var, unless a test says otherwise."""
    d = tmp_path / "donnees"
    monkeypatch.setenv(VARIABLE_DOSSIER, str(d))
    monkeypatch.delenv(VARIABLE_SECRET, raising=False)
    return d


@pytest.fixture
def client(registre: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(registre)) as c:
        yield c


def bearer(code: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {code}"}


def foyer(jour: str, commune: str = "06029", typologie: str = "T3", logement: str = "CP", **extra: Any) -> dict[str, Any]:
    return {
        "occurred_on": jour,
        "membres": [
            {"id": "m", "role": "demandeur", "contrat": "CDD", "commune_travail": "06029",
             "ressources": [{"code": "SAL", "montant_mensuel": "900"}, {"code": "AF", "montant_mensuel": "150"}]},
            {"id": "f", "role": "personne_a_charge"},
        ],
        "souhaits": {"communes": [commune], "typologies": [typologie]},
        "logement_actuel": {"modele": logement, "commune": "06029"},
        "personnel": {"identites": [
            {"membre": "m", "nom": "Martin", "prenom": "Léa", "date_naissance": "1996-05-02"},
            {"membre": "f", "nom": "Martin", "prenom": "Noé", "date_naissance": "2016-09-01"},
        ], "email": "lea.martin@example.org"},
        **extra,
    }


def regler(h: HorlogeReglable, jour: str) -> str:
    d = date.fromisoformat(jour)
    h.regler(datetime(d.year, d.month, d.day, 9, tzinfo=UTC))
    return jour


def ok(r: Any, statut: int = 200) -> Any:
    assert r.status_code == statut, (r.status_code, r.text)
    return r.json()


def probleme(r: Any, statut: int, regle: str) -> dict[str, Any]:
    assert r.status_code == statut, (r.status_code, r.text)
    assert r.headers["content-type"] == PROBLEME
    p = r.json()
    assert p["status"] == statut and p["regle"] == regle, p
    return p


def logements(t: Territoire, typologie: str, commune: str) -> list[LogementSocial]:
    return [x for x in t.logements if x.typologie == typologie and x.commune == commune]


def loger(client: TestClient, lgt: LogementSocial, filed_on: str, inscrite_le: str, bail_le: str,
          h: HorlogeReglable, vacant: bool) -> str:
    """An imported demand (filed earlier) designated, attributed and let on `bail_le`."""
    regler(h, inscrite_le)
    n = ok(client.post("/demandes", json=foyer(inscrite_le, lgt.commune, lgt.typologie, filed_on=filed_on,
                                               anniversaire=f"{int(inscrite_le[:4]) + 1}{inscrite_le[4:]}"),
                       headers=OPH), 201)["numero_unique"]
    b = JETONS[lgt.bailleur]
    regler(h, bail_le)
    if not vacant:
        ok(client.post(f"/logements/{lgt.identifiant}/vacances", json={"occurred_on": bail_le}, headers=b), 201)
    ok(client.post(f"/demandes/{n}/designations", json={"occurred_on": bail_le, "logement": lgt.identifiant}, headers=b))
    ok(client.post(f"/demandes/{n}/decisions-cal", json={
        "occurred_on": bail_le, "logement": lgt.identifiant, "decision": "attribution",
        "moins_de_trois_candidats": "insuffisance_candidats"}, headers=b))
    ok(client.post(f"/demandes/{n}/baux", json={"occurred_on": bail_le, "logement": lgt.identifiant}, headers=b))
    return n


def code(client: TestClient, numero: str, qui: dict[str, str] = CANNES) -> str:
    r = client.get(f"/demandes/{numero}/code-demandeur", headers=qui)
    corps = ok(r)
    assert r.headers["cache-control"] == "no-store"
    assert corps["numero_unique"] == numero and numero not in corps["code"]
    return corps["code"]


# -- the whole page --------------------------------------------------------------------------------


def test_a_demandeur_reads_points_rank_waiting_time_decisions_and_a_refusal(
    client: TestClient, registre: Registre, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    h = horloge_test
    t3_cannes = [x for x in logements(territoire, "T3", "06029") if x.bailleur == "OPH-CPL"]
    vacants = [x for x in logements(territoire, "T3", "06029") if x.vacant]
    # 2024: a T3 bail in Cannes, not of the previous year when we read in 2026.
    loger(client, t3_cannes[0], "2022-05-02", "2024-02-01", "2024-03-15", h, vacant=False)
    # 2025: three T3 baux in Cannes (waits of 600, 450 and 200 days), a T3 in Le Cannet and a
    # T2 in Cannes (other typology or commune: not counted).
    loger(client, t3_cannes[1], "2023-06-10", "2025-01-06", "2025-01-30", h, vacant=False)
    loger(client, t3_cannes[2], "2023-12-13", "2025-02-01", "2025-03-07", h, vacant=False)
    loger(client, logements(territoire, "T3", "06030")[0], "2023-01-01", "2025-03-10", "2025-04-01", h,
          vacant=logements(territoire, "T3", "06030")[0].vacant)
    t2 = logements(territoire, "T2", "06029")[0]
    loger(client, t2, "2024-01-01", "2025-04-02", "2025-05-02", h, vacant=t2.vacant)
    loger(client, t3_cannes[3], "2024-12-18", "2025-06-01", "2025-07-06", h, vacant=False)

    # 2026: two demands for a T3 in Cannes; the first is hosted (more points).
    regler(h, "2026-01-05")
    a = ok(client.post("/demandes", json=foyer("2026-01-05"), headers=CANNES), 201)["numero_unique"]
    b = ok(client.post("/demandes", json=foyer("2026-01-05", logement="LP"), headers=CANNES), 201)["numero_unique"]
    code_a, code_b = code(client, a), code(client, b, ERILIA)
    assert code_a != code_b and code(client, a, OPH) == code_a  # the same code when asked again

    regler(h, "2026-02-02")
    page = ok(client.get(f"/demandeur/{a}", headers=bearer(code_a)))
    cotation = ok(client.get(f"/demandes/{a}/cotation", headers=AUDIT))
    c = page["cotation"]
    assert (c["points"], c["version_grille"]) == (cotation["points"], cotation["version_grille"])
    assert (c["rang"], c["sur"], c["rang_typologie"], c["sur_typologie"]) == (
        cotation["rang"], cotation["sur"], cotation["rang_typologie"], cotation["sur_typologie"])
    assert (c["rang"], c["sur"], c["typologie"]) == (1, 2, "T3")
    assert {x["code"] for x in c["criteres"]} == {x["code"] for x in cotation["explications"]}
    pb = ok(client.get(f"/demandeur/{b}", headers=bearer(code_b)))["cotation"]
    assert (pb["rang"], pb["rang_typologie"]) == (2, 2)

    # Waiting time: the observatory's figure for "T3 06029" in 2025, to the last digit.
    stats = ok(client.get("/statistiques?annee=2025", headers=AUDIT))
    figure = {(f["indicateur"], f["dimension"], f["cle"]): f for f in stats["figures"]}
    moyenne = figure[("attente_moyenne", "typologie_commune", "T3 06029")]
    mediane = figure[("attente_mediane", "typologie_commune", "T3 06029")]
    at = page["attente"]
    assert (at["annee"], at["typologie"], at["commune"], at["commune_nom"]) == (2025, "T3", "06029", "Cannes")
    assert at["baux"] == moyenne["denominateur"] == 3
    assert Decimal(at["moyenne_jours"]) == Decimal(moyenne["valeur"]) == Decimal("416.7")
    assert Decimal(at["mediane_jours"]) == Decimal(mediane["valeur"]) == Decimal("450")
    assert Decimal(at["moyenne_mois"]) == Decimal("13.7")
    assert "3 baux signés en 2025" in at["message"] and "Cannes" in at["message"]
    # The same from the raw log (the read model is a cache of it).
    journal = ok(client.get("/statistiques?annee=2025&source=journal", headers=AUDIT))["figures"]
    assert moyenne in journal

    # Nothing decided yet; the history is the demandeur's own, personal data included.
    assert page["decisions_cal"] == [] and page["refus"] == [] and page["decotes"] == []
    assert [e["type"] for e in page["historique"]] == ["enregistrement"]
    assert page["historique"][0]["details"]["personnel"]["email"] == "lea.martin@example.org"
    assert page["active"] is True and page["filed_on"] == "2026-01-05"

    # A CAL attributes a dwelling; she refuses it, non recevable, with its décote.
    lgt = vacants[0]
    bailleur = JETONS[lgt.bailleur]
    regler(h, "2026-03-02")
    ok(client.post(f"/demandes/{a}/designations", json={"occurred_on": "2026-03-02", "logement": lgt.identifiant}, headers=bailleur))
    ok(client.post(f"/demandes/{a}/decisions-cal", json={
        "occurred_on": "2026-03-02", "logement": lgt.identifiant, "decision": "attribution_par_classement",
        "rang": 1, "moins_de_trois_candidats": "insuffisance_candidats"}, headers=bailleur))
    regler(h, "2026-03-10")
    refus_v, decote_v = ok(client.post(f"/demandes/{a}/refus", json={
        "occurred_on": "2026-03-10", "logement": lgt.identifiant, "stade": "apres_cal",
        "motif": "localisation", "texte": "logement trop éloigné de l'école", "qualification": "non_recevable",
        "appliquer_decote": True}, headers=bailleur))["evenements"]

    regler(h, "2026-03-12")
    page = ok(client.get(f"/demandeur/{a}", headers=bearer(code_a)))
    (dec,) = page["decisions_cal"]
    assert (dec["decision"], dec["rang"], dec["logement"], dec["commune"], dec["bailleur"]) == (
        "attribution_par_classement", 1, lgt.identifiant, "06029", lgt.bailleur)
    assert "rang 1" in dec["libelle"]
    (refus,) = page["refus"]
    assert (refus["evenement"], refus["motif"], refus["qualification"], refus["decotes"]) == (
        refus_v, "logement trop éloigné de l'école", "non_recevable", [decote_v])
    (decote,) = page["decotes"]
    assert decote == {
        **decote,
        "evenement": decote_v, "code": "decote_refus", "points": -40, "appliquee_le": "2026-03-10",
        "notifiee_le": "2026-03-10", "expire_le": "2027-03-10", "statut": "en_vigueur",
        "organisation": lgt.bailleur, "refus": refus_v, "recours_possible_jusqua": "2026-03-25",
        "recours_encore_possible": True, "recours": None,
    }
    assert "10/03/2027" in refus["consequence"] and "25/03/2026" in refus["consequence"]
    cotation = ok(client.get(f"/demandes/{a}/cotation", headers=AUDIT))
    assert page["cotation"]["points"] == cotation["points"] == c["points"] - 40
    assert (page["cotation"]["rang"], cotation["rang"]) == (2, 2)  # b is ahead now
    assert {"code": "decote_refus", "points": -40} in [
        {"code": x["code"], "points": x["points"]} for x in page["cotation"]["criteres"]]
    assert [e["type"] for e in page["historique"]] == [
        "enregistrement", "designation", "decision_cal", "refus", "decote"]

    # A recours filed on her behalf: pending; then maintained.
    ok(client.post(f"/demandes/{a}/recours", json={"occurred_on": "2026-03-12", "decote": decote_v}, headers=CANNES))
    decote = ok(client.get(f"/demandeur/{a}", headers=bearer(code_a)))["decotes"][0]
    assert decote["recours"]["statut"] == "en_attente" and decote["recours_encore_possible"] is False
    regler(h, "2026-04-01")
    ok(client.post(f"/demandes/{a}/decisions-recours", json={
        "occurred_on": "2026-04-01", "decote": decote_v, "decision": "maintenue",
        "motivation": "offre adaptée à la composition du foyer"}, headers=bailleur))
    decote = ok(client.get(f"/demandeur/{a}", headers=bearer(code_a)))["decotes"][0]
    assert decote["recours"] == {**decote["recours"], "statut": "maintenue", "decide_le": "2026-04-01",
                                 "motivation": "offre adaptée à la composition du foyer"}
    assert decote["statut"] == "en_vigueur"

    # A year later the décote has expired, and the previous year (2026) has no T3 bail in Cannes.
    regler(h, "2027-03-10")
    page = ok(client.get(f"/demandeur/{a}", headers=bearer(code_a)))
    assert page["decotes"][0]["statut"] == "expiree"
    assert page["attente"]["annee"] == 2026 and page["attente"]["baux"] == 0
    assert page["attente"]["moyenne_jours"] is None and "aucun bail" in page["attente"]["message"]


def test_a_recevable_refusal_has_no_consequence(
    client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    regler(horloge_test, "2026-01-05")
    n = ok(client.post("/demandes", json=foyer("2026-01-05"), headers=CANNES), 201)["numero_unique"]
    lgt = next(x for x in territoire.logements if x.vacant and x.bailleur == "ERILIA")
    ok(client.post(f"/demandes/{n}/designations", json={"occurred_on": "2026-01-05", "logement": lgt.identifiant}, headers=ERILIA))
    ok(client.post(f"/demandes/{n}/refus", json={
        "occurred_on": "2026-01-05", "logement": lgt.identifiant, "stade": "avant_cal",
        "motif": "a_trouve_logement", "texte": "a trouvé un logement", "qualification": "recevable"}, headers=ERILIA))
    page = ok(client.get(f"/demandeur/{n}", headers=bearer(code(client, n))))
    (refus,) = page["refus"]
    assert refus["stade"] == "avant_cal" and refus["decotes"] == []
    assert "aucune décote" in refus["consequence"] and page["decotes"] == []
    assert page["attente"]["annee"] == 2025 and page["attente"]["baux"] == 0


# -- the code opens one page and nothing else --------------------------------------------------------


def test_wrong_codes_are_401_and_never_tell_whether_the_demand_exists(
    client: TestClient, horloge_test: HorlogeReglable
) -> None:
    a = ok(client.post("/demandes", json=foyer("2026-11-23"), headers=CANNES), 201)["numero_unique"]
    b = ok(client.post("/demandes", json=foyer("2026-11-23"), headers=CANNES), 201)["numero_unique"]
    code_a, code_b = code(client, a), code(client, b)
    assert ok(client.get(f"/demandeur/{a}", headers=bearer(code_a)))["numero_unique"] == a
    # The code is read as the applicant might type it.
    assert client.get(f"/demandeur/{a}", headers=bearer(code_a.replace("-", "").lower())).status_code == 200

    sans = probleme(client.get(f"/demandeur/{a}"), 401, "code_demandeur_requis")
    assert sans["detail"]
    faux = probleme(client.get(f"/demandeur/{a}", headers=bearer("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")), 401,
                    "code_demandeur_invalide")
    autre = probleme(client.get(f"/demandeur/{a}", headers=bearer(code_b)), 401, "code_demandeur_invalide")
    inexistante = "006112600099XXXXX"
    absent = client.get(f"/demandeur/{inexistante}", headers=bearer(code_b))
    probleme(absent, 401, "code_demandeur_invalide")
    for p in (faux, autre, absent.json()):  # the same answer, but for the path
        assert {k: v for k, v in p.items() if k != "instance"} == {
            k: v for k, v in faux.items() if k != "instance"}
    assert "WWW-Authenticate" in absent.headers
    # An agent's token is no demandeur code.
    probleme(client.get(f"/demandeur/{a}", headers=OPH), 401, "code_demandeur_invalide")


def test_a_demandeur_code_opens_no_other_endpoint(client: TestClient, horloge_test: HorlogeReglable) -> None:
    a = ok(client.post("/demandes", json=foyer("2026-11-23"), headers=CANNES), 201)["numero_unique"]
    h = bearer(code(client, a))
    for methode, chemin, corps in (
        ("GET", f"/demandes/{a}", None),
        ("GET", f"/demandes/{a}/historique", None),
        ("GET", f"/demandes/{a}/cotation", None),
        ("GET", f"/demandes/{a}/code-demandeur", None),
        ("GET", "/echeances?du=2026-01-01&au=2026-12-31", None),
        ("GET", "/recours", None),
        ("GET", "/statistiques?annee=2025", None),
        ("POST", f"/demandes/{a}/renouvellements", {"occurred_on": "2026-11-23"}),
        ("POST", f"/demandes/{a}/modifications", {"occurred_on": "2026-11-23", "motifs": ["01"]}),
        ("POST", "/demandes", foyer("2026-11-23")),
    ):
        r = client.request(methode, chemin, headers=h, json=corps)
        probleme(r, 401, "jeton_inconnu")


def test_only_guichets_and_bailleurs_obtain_a_code(client: TestClient, horloge_test: HorlogeReglable) -> None:
    a = ok(client.post("/demandes", json=foyer("2026-11-23"), headers=CANNES), 201)["numero_unique"]
    assert code(client, a, CANNES) == code(client, a, ERILIA) == code(client, a, OPH)
    for qui in (AUDIT, ALS, ETAT):
        probleme(client.get(f"/demandes/{a}/code-demandeur", headers=qui), 403, "guichet_requis")
    probleme(client.get(f"/demandes/{a}/code-demandeur"), 401, "jeton_requis")
    probleme(client.get("/demandes/006112600099XXXXX/code-demandeur", headers=CANNES), 404, "demande_inconnue")


def test_openapi_describes_both_endpoints(client: TestClient) -> None:
    doc = ok(client.get("/openapi.json"))
    page = doc["paths"]["/demandeur/{numero_unique}"]["get"]
    schema = page["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"cotation", "attente", "decisions_cal", "refus", "decotes", "historique"} <= set(schema["properties"])
    assert "401" in page["responses"]
    assert "/demandes/{numero_unique}/code-demandeur" in doc["paths"]


# -- the secret ----------------------------------------------------------------------------------


def test_the_secret_is_generated_once_kept_and_private(dossier_donnees: Path, tmp_path: Path) -> None:
    stockage = depuis_url(f"sqlite:///{tmp_path}/ledger.sqlite3")
    premier = charger_secret(stockage)
    chemin = dossier_donnees / FICHIER_SECRET
    assert chemin.exists() and stat.S_IMODE(chemin.stat().st_mode) == 0o600
    assert charger_secret(stockage) == premier  # kept, not generated again
    assert [p.name for p in dossier_donnees.iterdir()] == [FICHIER_SECRET]  # nothing left aside
    n = "0061126000001OPH01"
    c = code_demandeur(premier, n)
    assert len(c.replace("-", "")) == 24 and code_valable(premier, n, c)
    assert not code_valable(premier, "0061126000002OPH01", c)
    assert not code_valable(b"another secret of at least thirty-two chars", n, c)


def test_the_secret_defaults_to_the_sqlite_folder_and_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(VARIABLE_DOSSIER)
    stockage = depuis_url(f"sqlite:///{tmp_path}/base/ledger.sqlite3")
    fichier = charger_secret(stockage)
    assert (tmp_path / "base" / FICHIER_SECRET).read_text().strip().encode() == fichier
    monkeypatch.setenv(VARIABLE_SECRET, "s" * 40)
    assert charger_secret(stockage) == b"s" * 40
    monkeypatch.setenv(VARIABLE_SECRET, "court")
    with pytest.raises(ConfigurationError, match="at least 32"):
        charger_secret(stockage)


def test_a_code_survives_a_restart(registre: Registre, horloge_test: HorlogeReglable) -> None:
    with TestClient(creer_app(registre)) as c1:
        a = ok(c1.post("/demandes", json=foyer("2026-11-23"), headers=CANNES), 201)["numero_unique"]
        code_a = code(c1, a)
    with TestClient(creer_app(registre)) as c2:
        assert ok(c2.get(f"/demandeur/{a}", headers=bearer(code_a)))["numero_unique"] == a
    assert os.environ.get(VARIABLE_SECRET) is None


def test_waiting_times_are_computed_once_per_year_and_log_position(
    client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    lgt = next(x for x in logements(territoire, "T3", "06029") if x.bailleur == "OPH-CPL")
    loger(client, lgt, "2024-01-10", "2025-01-06", "2025-02-03", horloge_test, vacant=False)
    regler(horloge_test, "2026-01-05")
    n = ok(client.post("/demandes", json=foyer("2026-01-05"), headers=CANNES), 201)["numero_unique"]
    page = ok(client.get(f"/demandeur/{n}", headers=bearer(code(client, n))))
    assert (page["attente"]["baux"], page["attente"]["moyenne_jours"]) == (1, "390.0")
    app = client.app
    etat = app.state.attentes  # type: ignore[attr-defined]
    position = app.state.suiveurs["statistiques"].position()  # type: ignore[attr-defined]
    assert etat.cle_attentes == (2025, position)
    premier = etat.attentes_de_l_annee(2025)
    assert etat.attentes_de_l_annee(2025) is premier  # not read again
    assert premier == {("T3", "06029"): (1, Decimal("390.0"), Decimal("390"))}
    # The log moves: read again, same figures.
    ok(client.post("/demandes?attendre=true", json=foyer("2026-01-05"), headers=CANNES), 201)
    encore = etat.attentes_de_l_annee(2025)
    assert encore is not premier and encore == premier
    assert etat.cle_attentes[1] > position
