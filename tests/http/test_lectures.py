"""Read minimisation and the journal of personal-data reads (docs/donnees-personnelles.md), on
SQLite and PostgreSQL: one rule decides who sees a demand's personal data, in the JSON API and
the pages alike — an auditeur replays the facts without names unless the territory file grants
it; every read that shows them is recorded (who, when, which demand, through what) and listed at
GET /demandes/{n}/lectures for guichets and auditeurs only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import msgspec
import pytest
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from api.app import creer_app
from domain import permissions
from domain.territoire import Territoire
from tests.http.test_http_life import entetes, foyer
from tests.http.test_pages import connecter

NOM = "Benali"


def jeton(t: Territoire, org: str) -> dict[str, str]:
    return entetes(t.organisation(org).agents[0].jeton)


def ok(r: Any, statut: int = 200) -> Any:
    assert r.status_code == statut, r.text
    return r.json()


@pytest.fixture
def client(registre: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(registre)) as c:
        yield c


def enregistrer(client: TestClient, t: Territoire) -> str:
    return str(ok(client.post("/demandes", json=foyer(date(2026, 11, 20)), headers=jeton(t, "CANNES")), 201)["numero_unique"])


def test_who_sees_personal_data_and_every_read_journaled(
    client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    t = territoire
    n = enregistrer(client, t)
    assert ok(client.get(f"/demandes/{n}/lectures", headers=jeton(t, "CIL-CACPL"))) == []

    # Guichet, bailleur, réservataire, Etat: the names. The auditeur: the facts only.
    for org in ("CANNES", "OPH-CPL", "ALS", "ETAT-06"):
        assert ok(client.get(f"/demandes/{n}", headers=jeton(t, org)))["personnel"]["identites"][0]["nom"] == NOM, org
    audit = jeton(t, "CIL-CACPL")
    vue = ok(client.get(f"/demandes/{n}", headers=audit))
    assert vue["personnel"] == {"type": "reserve"} and vue["souhaits"]["communes"] == ["06029", "06030"]
    historique = ok(client.get(f"/demandes/{n}/historique", headers=audit))
    assert historique[0]["details"]["personnel"] == "réservé" and NOM not in str(historique)
    # The demand page, signed in, says the same through the same function, and journals alike.
    cil = t.organisation("CIL-CACPL").agents[0]
    connecter(client, cil.identifiant, cil.jeton)
    page = client.get(f"/espace/demandes/{n}").text
    assert 'data-personnel="reserve"' in page and NOM not in page
    client.cookies.clear()
    oph = t.organisation("OPH-CPL").agents[0]
    connecter(client, oph.identifiant, oph.jeton)
    assert NOM in client.get(f"/espace/demandes/{n}").text
    client.cookies.clear()

    # The journal: each read that showed the names, in order; none for the auditeur's.
    horloge_test.avancer(minutes=5)
    ok(client.get(f"/demandes/{n}/historique", headers=jeton(t, "OPH-CPL")))
    lectures = ok(client.get(f"/demandes/{n}/lectures", headers=audit))
    assert [(x["organisation"], x["quoi"]) for x in lectures] == [
        ("CANNES", "vue"), ("OPH-CPL", "vue"), ("ALS", "vue"), ("ETAT-06", "vue"),
        ("OPH-CPL", "page"), ("OPH-CPL", "historique"),
    ]
    assert lectures[0]["agent"] == t.organisation("CANNES").agents[0].identifiant
    assert all(x["demande"] == n for x in lectures)
    assert lectures[-1]["lu_le"] > lectures[0]["lu_le"]
    # Paginated like every list.
    premiere = client.get(f"/demandes/{n}/lectures?limite=2", headers=audit)
    assert len(premiere.json()) == 2 and "X-Curseur-Suivant" in premiere.headers

    # A search by name that finds the demand is a read of who its applicant is.
    trouve = ok(client.post("/recherche", json={"nom": NOM, "date_naissance": "1996-05-02"}, headers=jeton(t, "ALS")))
    assert trouve == [n]
    derniere = ok(client.get(f"/demandes/{n}/lectures", headers=audit))[-1]
    assert (derniere["organisation"], derniere["quoi"]) == ("ALS", "recherche")
    lectures = ok(client.get(f"/demandes/{n}/lectures", headers=audit))

    # Who reads the journal: guichets and auditeurs; a bailleur or réservataire is refused.
    assert len(ok(client.get(f"/demandes/{n}/lectures", headers=jeton(t, "CANNES")))) == len(lectures)
    for org in ("ALS", "ETAT-06"):
        r = client.get(f"/demandes/{n}/lectures", headers=jeton(t, org))
        assert r.status_code == 403 and r.json()["regle"] == "journal_des_lectures_reserve", r.text
    assert client.get("/demandes/0061126000999XXX01/lectures", headers=audit).status_code == 404


def test_the_territory_may_grant_an_auditeur_the_names(
    registre: Registre, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    cil = territoire.organisation("CIL-CACPL")
    assert not permissions.lecture_personnelle(cil)
    accorde = msgspec.structs.replace(cil, lecture_donnees_personnelles=True)
    assert permissions.lecture_personnelle(accorde)
    autre = msgspec.structs.replace(
        territoire, organisations=tuple(accorde if o.code == cil.code else o for o in territoire.organisations)
    )
    r = Registre(registre.stockage, autre)
    try:
        with TestClient(creer_app(r)) as client:
            n = enregistrer(client, autre)
            assert ok(client.get(f"/demandes/{n}", headers=jeton(autre, "CIL-CACPL")))["personnel"]["identites"][0]["nom"] == NOM
            (lecture,) = ok(client.get(f"/demandes/{n}/lectures", headers=jeton(autre, "CIL-CACPL")))
            assert (lecture["organisation"], lecture["quoi"]) == ("CIL-CACPL", "vue")
    finally:
        r.close()
