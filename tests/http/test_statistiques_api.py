"""GET /statistiques and /statistiques/verification over HTTP, on SQLite and PostgreSQL, over the
small history of tests/storage/test_statistiques.py: JSON and CSV, raw log and read model, knowledge
time, every organisation may read, the check, and problem+json errors naming the parameter."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from adapters.exports import depuis_json
from adapters.registre import Registre
from api.app import creer_app
from projections.cotation import ProjectionCotation
from projections.indicateurs import Periode
from projections.journal import regenerer
from projections.suivi import Suiveur, suivi
from projections.vue_statistiques import tables_statistiques
from tests.storage.test_statistiques import histoire  # noqa: F401

PROBLEME = "application/problem+json"


@pytest.fixture
def client(registre: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(registre)) as c:
        yield c


def jeton(registre: Registre, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {registre.territoire.organisation(org).agents[0].jeton}"}


def journal(registre: Registre, periode: Periode, **kw: Any):  # type: ignore[no-untyped-def]
    return regenerer(registre.engine, registre.stockage, registre.territoire, periode, **kw)


def probleme(r: Any, regle: str, parametre: str | None = None) -> dict[str, Any]:
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.headers["content-type"] == PROBLEME
    p = r.json()
    assert p["status"] == 422 and p["regle"] == regle, p
    assert p["type"] == f"urn:demand-ledger:regle:{regle}" and p["instance"].startswith("/statistiques")
    if parametre is not None:
        assert p["details"]["parametre"] == parametre and p["detail"].startswith(f"{parametre}: "), p
    return p


@pytest.mark.usefixtures("histoire")
@pytest.mark.parametrize("org", ["CIL-CACPL", "OPH-CPL", "ETAT-06", "CANNES", "CACPL"])
def test_every_organisation_reads_the_bilan_auditeurs_included(
    registre: Registre, client: TestClient, org: str
) -> None:
    r = client.get("/statistiques?annee=2026", headers=jeton(registre, org))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    b = depuis_json(r.content)
    assert b == journal(registre, Periode.annee(2026))
    assert r.headers["X-Ledger-Position"] == str(registre.position())
    assert r.json()["periode"] == {"du": "2026-01-01", "au": "2026-12-31"}


@pytest.mark.usefixtures("histoire")
def test_without_a_token_it_is_401(client: TestClient) -> None:
    r = client.get("/statistiques?annee=2026")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEME
    assert client.get("/statistiques/verification?annee=2026").status_code == 401


@pytest.mark.usefixtures("histoire")
def test_csv_for_a_french_spreadsheet(registre: Registre, client: TestClient) -> None:
    r = client.get("/statistiques?annee=2026&format=csv", headers=jeton(registre, "CIL-CACPL"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    code = registre.territoire.code
    assert r.headers["content-disposition"] == f'attachment; filename="indicateurs-{code}-2026.csv"'
    assert r.content.startswith("\ufeff".encode())
    lignes = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    prio = dict(zip(lignes[0], next(x for x in lignes[1:] if x[0] == "prioritaires_dalo"), strict=True))
    assert prio["valeur"] == "66,67" and prio["atteinte"] == "oui"
    assert (prio["territoire"], prio["du"], prio["au"]) == (code, "2026-01-01", "2026-12-31")
    r = client.get("/statistiques?du=2026-04-01&au=2026-04-30&format=csv", headers=jeton(registre, "OPH-CPL"))
    assert f'filename="indicateurs-{code}-2026-04-01-2026-04-30.csv"' in r.headers["content-disposition"]


@pytest.mark.usefixtures("histoire")
def test_the_read_model_gives_the_same_figures(registre: Registre, client: TestClient) -> None:
    for requete in ("annee=2026", "du=2026-04-01&au=2026-04-30"):
        vue = depuis_json(client.get(f"/statistiques?{requete}&source=vue", headers=jeton(registre, "CANNES")).content)
        brut = depuis_json(client.get(f"/statistiques?{requete}", headers=jeton(registre, "CANNES")).content)
        assert vue.source == "vue" and brut.source == "journal"
        assert vue.figures == brut.figures and vue.position == brut.position == registre.position()


def test_as_known_at_an_instant(registre: Registre, client: TestClient, histoire: dict) -> None:  # noqa: F811
    avant = histoire["avant_retractation"]
    for instant in (avant.isoformat(), avant.replace(tzinfo=None).isoformat()):  # naive: UTC
        r = client.get("/statistiques", params={"annee": "2026", "connu_a": instant},
                       headers=jeton(registre, "CIL-CACPL"))
        assert r.status_code == 200, r.text
        b = depuis_json(r.content)
        assert b.connu_a == avant
        assert b == journal(registre, Periode.annee(2026), connu_a=avant)
        refus = b.figure("taux_refus")
        assert refus is not None and (refus.numerateur, refus.denominateur) == (1, 4)


@pytest.mark.usefixtures("histoire")
def test_the_check_over_http(registre: Registre, client: TestClient) -> None:
    r = client.get("/statistiques/verification?annee=2026", headers=jeton(registre, "CIL-CACPL"))
    assert r.status_code == 200 and r.json() == []
    assert r.headers["X-Ledger-Position"] == str(registre.position())
    (t,) = tables_statistiques("")
    with registre.engine.begin() as conn:
        conn.execute(sa.delete(t).where(t.c.genre == "attribution"))
    r = client.get("/statistiques/verification?du=2026-01-01&au=2026-12-31", headers=jeton(registre, "CIL-CACPL"))
    ecarts = r.json()
    cles = {(e["indicateur"], e["dimension"], e["cle"]) for e in ecarts}
    assert ("prioritaires_dalo", "territoire", "") in cles and ("attributions", "territoire", "") in cles
    prio = next(e for e in ecarts if (e["indicateur"], e["dimension"], e["cle"]) == ("prioritaires_dalo", "territoire", ""))
    assert (prio["journal"]["numerateur"], prio["journal"]["denominateur"]) == (2, 3)
    assert (prio["vue"]["numerateur"], prio["vue"]["denominateur"]) == (0, 0)


@pytest.mark.parametrize(
    ("requete", "regle", "parametre"),
    [
        ("du=2026-02-01&au=2026-01-31", "periode_invalide", "au"),
        ("", "periode_requise", "annee"),
        ("du=2026-01-01", "periode_requise", "au"),
        ("au=2026-01-01", "periode_requise", "du"),
        ("annee=2026&du=2026-01-01", "periode_invalide", "annee"),
        ("annee=deux-mille", "parametre_invalide", "annee"),
        ("du=2026-02-30&au=2026-03-01", "parametre_invalide", "du"),
        ("du=2026-01-01&au=demain", "parametre_invalide", "au"),
        ("annee=2026&source=cache", "parametre_invalide", "source"),
        ("annee=2026&format=ods", "parametre_invalide", "format"),
        ("annee=2026&connu_a=hier", "parametre_invalide", "connu_a"),
        ("annee=2026&source=vue&connu_a=2026-11-23T12:00:00Z", "connu_a_journal", "connu_a"),
    ],
)
def test_bad_parameters_are_problems_naming_them(
    registre: Registre, client: TestClient, requete: str, regle: str, parametre: str
) -> None:
    probleme(client.get(f"/statistiques?{requete}", headers=jeton(registre, "OPH-CPL")), regle, parametre)


def test_the_check_refuses_a_bad_period_too(registre: Registre, client: TestClient) -> None:
    r = client.get("/statistiques/verification?du=2026-02-01&au=2026-01-31", headers=jeton(registre, "OPH-CPL"))
    p = probleme(r, "periode_invalide", "au")
    assert "before it starts" in p["detail"]
    probleme(client.get("/statistiques/verification", headers=jeton(registre, "OPH-CPL")), "periode_requise")


def test_read_your_writes_waits_for_the_statistics_read_model(registre: Registre, client: TestClient) -> None:
    corps = {
        "occurred_on": date(2026, 11, 20).isoformat(),
        "membres": [{"id": "p1", "role": "demandeur"}],
        "souhaits": {"communes": ["06029"], "typologies": ["T2"]},
    }
    r = client.post("/demandes?attendre=true", json=corps, headers=jeton(registre, "OPH-CPL"))
    assert r.status_code == 201, r.text
    position = r.json()["position"]
    with registre.engine.connect() as conn:
        appliquee = conn.execute(
            sa.select(suivi.c.position).where(suivi.c.projection == "statistiques")
        ).scalar_one()
        (t,) = tables_statistiques("")
        genres = conn.execute(sa.select(t.c.genre)).scalars().all()
    assert appliquee >= position and sorted(genres) == ["changement", "enregistrement"]


@pytest.mark.usefixtures("histoire")
def test_an_application_built_without_the_statistics_follower_still_answers(registre: Registre) -> None:
    app = creer_app(registre, {"cotation": Suiveur(registre, ProjectionCotation(registre))})
    with TestClient(app) as c:
        r = c.get("/statistiques/verification?annee=2026", headers=jeton(registre, "CIL-CACPL"))
        assert r.status_code == 200 and r.json() == []
        assert "statistiques" in app.state.suiveurs
