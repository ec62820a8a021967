"""The demandeur's information on how their demand goes (docs/demandeur.md), JSON and page, on
SQLite and PostgreSQL: criteria awaiting justification with the pièces that would earn their
points, each CAL that examined them with their rank among its candidates, the dwelling
proposed, the consequences of a refusal (DALO), the date of the délai anormalement long; and the
demand page of the workspace shows priority and eligibility to every partner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.code_demandeur import VARIABLE_DOSSIER, VARIABLE_SECRET
from adapters.registre import Registre
from api.app import creer_app
from domain.territoire import Territoire
from tests.http.test_cal import SEANCE, A, client, jeton, ok, poster, regler, seance  # noqa: F401
from tests.http.test_http_life import foyer
from tests.http.test_pages import connecter


@pytest.fixture(autouse=True)
def dossier_donnees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "donnees"
    monkeypatch.setenv(VARIABLE_DOSSIER, str(d))
    monkeypatch.delenv(VARIABLE_SECRET, raising=False)
    yield d


def lire(client: TestClient, t: Territoire, numero: str) -> dict[str, Any]:  # noqa: F811
    code = ok(client.get(f"/demandes/{numero}/code-demandeur", headers=jeton(t, "CANNES")))["code"]
    return ok(client.get(f"/demandeur/{numero}", headers={"Authorization": f"Bearer {code}"}))


def page(client: TestClient, t: Territoire, numero: str) -> str:  # noqa: F811
    code = ok(client.get(f"/demandes/{numero}/code-demandeur", headers=jeton(t, "CANNES")))["code"]
    formulaire = client.get("/mon-dossier").text
    csrf = re.search(r'name="_csrf" value="([^"]+)"', formulaire)
    assert csrf is not None
    r = client.post("/mon-dossier", data={"_csrf": csrf[1], "numero_unique": numero, "code": code})
    assert r.status_code == 200, r.text
    return r.text


def test_a_pending_criterion_and_the_pieces_that_earn_it(client: TestClient, territoire: Territoire, horloge_test) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    t = territoire
    regler(horloge_test, date(2026, 3, 2))
    corps = {**foyer(date(2026, 3, 2)), "situations": ["violences_couple"]}
    n = ok(client.post("/demandes", json=corps, headers=jeton(t, "CANNES")), 201)["numero_unique"]
    info = lire(client, t, n)
    (x,) = info["cotation"]["en_attente"]
    assert (x["code"], x["points"]) == ("violences_couple", 50)
    assert "ordonnance de protection du juge aux affaires familiales" in x["justificatifs"]
    assert "violences_couple" not in {c["code"] for c in info["cotation"]["criteres"]}
    html = page(client, t, n)
    assert 'data-critere-en-attente="violences_couple"' in html and "ordonnance de protection" in html
    # Filed 2 March 2026, the territory's délai anormalement long is 60 months.
    dal = info["delai_anormalement_long"]
    assert (dal["date"], dal["mois"], dal["depasse"]) == ("2031-03-02", 60, False)
    assert "02/03/2031" in html
    assert "perd 40 points pendant un an" in info["consequences_refus"]

    # Justified: counted, nothing pending; the score endpoint agrees.
    regler(horloge_test, date(2026, 3, 20))
    poster(client, t, "CANNES", f"/demandes/{n}/justifications",
           {"occurred_on": "2026-03-20", "critere": "violences_couple", "justification": "justifie"})
    info = lire(client, t, n)
    assert info["cotation"]["en_attente"] == []
    cot = ok(client.get(f"/demandes/{n}/cotation", headers=jeton(t, "CIL-CACPL")))
    assert info["cotation"]["points"] == cot["points"] and cot["en_attente"] == []
    veille = ok(client.get(f"/demandes/{n}/cotation?au=2026-03-19", headers=jeton(t, "CIL-CACPL")))
    assert veille["points"] == cot["points"] - 50 and [e["code"] for e in veille["en_attente"]] == ["violences_couple"]

    # Recognised DALO by the Etat: a refusal would lose the DALO decision's benefit.
    poster(client, t, "ETAT-06", f"/demandes/{n}/priorites",
           {"occurred_on": "2026-03-20", "categorie": "dalo", "source": "commission_mediation", "du": "2026-03-20"})
    poster(client, t, "ALS", f"/demandes/{n}/eligibilites", {"occurred_on": "2026-03-20", "contingent": "COLACT"})
    info = lire(client, t, n)
    assert "DALO" in info["consequences_refus"] and "L.441-2-3" in info["consequences_refus"]
    vue = ok(client.get(f"/demandes/{n}", headers=jeton(t, "LOGIREM")))
    assert [(p["categorie"], p["source"], p["en_vigueur"]) for p in vue["priorites"]] == [
        ("dalo", "commission_mediation", True)]
    assert [(e["reservataire"], e["contingent"]) for e in vue["contingents_eligibles"]] == [("ALS", "COLACT")]
    historique = ok(client.get(f"/demandes/{n}/historique", headers=jeton(t, "CIL-CACPL")))
    assert [e["type"] for e in historique][-2:] == ["caractere_prioritaire", "contingent_eligible"]


def test_each_cal_with_the_rank_and_the_dwelling_proposed(
    client: TestClient, territoire: Territoire, seance: dict[str, Any]  # noqa: F811
) -> None:
    t, n = territoire, seance["n"]
    info = lire(client, t, n[1])  # second on A, attribution par classement rang 2
    (examen,) = info["examens_cal"]
    assert (examen["session"], examen["date"], examen["logement"], examen["sur"]) == (
        seance["session"], SEANCE.isoformat(), A, 3)
    assert examen["rang"] in (1, 2, 3) and examen["decision"] == "attribution_par_classement"
    (propose,) = info["logements_proposes"]
    lgt = t.logement(A)
    assert (propose["logement"], propose["typologie"], propose["commune"], propose["qpv"]) == (
        A, str(lgt.typologie), lgt.commune, lgt.qpv)
    assert str(lgt.typologie) in propose["description"] and "OPH" in propose["description"]
    html = page(client, t, n[1])
    assert "data-examens-cal" in html and f"{examen['rang']} sur 3" in html
    assert propose["description"] in html


def test_the_demand_page_offers_priority_to_the_etat_and_eligibility_to_a_reservataire(
    registre: Registre, territoire: Territoire, horloge_test, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    regler(horloge_test, date(2026, 3, 2))
    with TestClient(creer_app(registre)) as navigateur:
        n = ok(navigateur.post("/demandes", json=foyer(date(2026, 3, 2)), headers=jeton(territoire, "CANNES")), 201)["numero_unique"]
        jeton_csrf = connecter(navigateur, "etat-06-1", "demo-etat-06-1")
        page_etat = navigateur.get(f"/espace/demandes/{n}").text
        assert f'action="/espace/demandes/{n}/priorites"' in page_etat
        r = navigateur.post(f"/espace/demandes/{n}/priorites", data={
            "_csrf": jeton_csrf, "occurred_on": "2026-03-02", "categorie": "k", "source": "syplo",
            "du": "2026-03-02", "jusqua": "", "_version": str(registre.demande(n).version)}, follow_redirects=False)
        assert r.status_code == 303, r.text
        navigateur.cookies.clear()
        jeton_csrf = connecter(navigateur, "als-1", "demo-als-1")
        page_als = navigateur.get(f"/espace/demandes/{n}").text
        assert f'action="/espace/demandes/{n}/priorites"' not in page_als
        assert 'data-priorites>L.441-1 k (syplo' in page_als
        r = navigateur.post(f"/espace/demandes/{n}/eligibilites", data={
            "_csrf": jeton_csrf, "occurred_on": "2026-03-02", "contingent": "COLACT", "eligible": "true",
            "_version": str(registre.demande(n).version)}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert "COLACT (Action Logement Services)" in navigateur.get(f"/espace/demandes/{n}").text
