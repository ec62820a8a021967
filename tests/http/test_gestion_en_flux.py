"""The gestion en flux (docs/rules.md and docs/flux.md), on SQLite and PostgreSQL: the demo territory switched to
flux on 1 June 2026. A vacancy opened before follows the dwelling's contingent; one opened after
is oriented by its bailleur under a convention, and only that réservataire (or the bailleur)
designates on it: another gets a 403 naming the rule. The bilan du flux, from the raw log and
from the read model, matches a hand count; statistics per réservataire organisation separate
flux and stock, and the raw log equals the read model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.database import Stockage
from adapters.registre import Registre
from api.app import creer_app
from domain.territoire import Territoire
from projections.indicateurs import Periode
from projections.journal import bilan_flux_du_journal
from projections.vue_statistiques import bilan_vue, suiveur_statistiques, verifier
from tests.http.test_http_life import entetes, foyer

ALS_LGT = "RPLS-0602900110"  # OPH-CPL, contingent COLACT held by ALS, vacant when the ledger starts
FLUX = date(2026, 6, 1)


@pytest.fixture
def en_flux(stockage: Stockage, territoire: Territoire, horloge_test: HorlogeReglable) -> Iterator[Registre]:
    t = msgspec.structs.replace(territoire, flux_depuis=FLUX)
    r = Registre(stockage, t)
    yield r
    r.close()


@pytest.fixture
def client(en_flux: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(en_flux)) as c:
        yield c


def h(t: Territoire, org: str) -> dict[str, str]:
    return entetes(t.organisation(org).agents[0].jeton)


def ok(r: Any, statut: int = 200) -> Any:
    assert r.status_code == statut, r.text
    return r.json()


def probleme(r: Any, statut: int, regle: str) -> dict[str, Any]:
    assert r.status_code == statut, r.text
    p = r.json()
    assert p["regle"] == regle, p
    return p


def demande(client: TestClient, t: Territoire) -> str:
    r = ok(client.post("/demandes", json={**foyer(date(2026, 2, 1)), "occurred_on": "2026-02-02"},
                       headers=h(t, "CANNES")), 201)
    return str(r["numero_unique"])


def attribuer(client: TestClient, t: Territoire, org: str, n: str, lgt: str, jour: str, bail: str | None) -> None:
    ok(client.post(f"/demandes/{n}/designations", json={"occurred_on": jour, "logement": lgt}, headers=h(t, org)))
    ok(client.post(f"/demandes/{n}/decisions-cal", json={
        "occurred_on": jour, "logement": lgt, "decision": "attribution",
        "moins_de_trois_candidats": "insuffisance_candidats"}, headers=h(t, "OPH-CPL")))
    if bail:
        ok(client.post(f"/demandes/{n}/baux", json={"occurred_on": bail, "logement": lgt}, headers=h(t, "OPH-CPL")))


def test_stock_before_the_date_orientation_after_and_the_bilan_by_hand(
    client: TestClient, en_flux: Registre, horloge_test: HorlogeReglable
) -> None:
    t = en_flux.territoire
    horloge_test.regler(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    loues = [lg.identifiant for lg in t.logements
             if lg.bailleur == "OPH-CPL" and not lg.vacant and lg.commune == "06029"][:6]
    n = [demande(client, t) for _ in range(4)]

    # Before 1 June: the dwelling's contingent. ALS, its holder, designates; no orientation.
    attribuer(client, t, "ALS", n[0], ALS_LGT, "2026-04-01", "2026-04-20")
    probleme(client.post(f"/demandes/{n[1]}/designations", json={"occurred_on": "2026-04-02", "logement": "RPLS-0602900023"},
                         headers=h(t, "ALS")), 403, "designation_hors_contingent")  # OPH-CPL's own, no contingent

    # After: the new vacancy is in flux. Not oriented yet: no réservataire designates on it.
    ok(client.post(f"/logements/{ALS_LGT}/vacances", json={"occurred_on": "2026-07-01"}, headers=h(t, "OPH-CPL")), 201)
    p = probleme(client.post(f"/demandes/{n[1]}/designations", json={"occurred_on": "2026-07-02", "logement": ALS_LGT},
                             headers=h(t, "ALS")), 403, "designation_hors_flux")
    assert "not oriented yet" in p["detail"]
    probleme(client.post(f"/logements/{ALS_LGT}/orientations", json={"occurred_on": "2026-07-02", "reservataire": "MOUGINS"},
                         headers=h(t, "OPH-CPL")), 422, "sans_convention")  # Mougins' convention is for Mougins
    probleme(client.post(f"/logements/{ALS_LGT}/orientations", json={"occurred_on": "2026-07-02", "reservataire": "ETAT-06"},
                         headers=h(t, "ERILIA")), 403, "bailleur_du_logement")
    ok(client.post(f"/logements/{ALS_LGT}/orientations", json={
        "occurred_on": "2026-07-02", "reservataire": "ETAT-06", "contingent": "PPRIOR"}, headers=h(t, "OPH-CPL")), 201)
    # Oriented to the Etat: ALS, which held the dwelling's contingent, gets a 403 naming the rule.
    p = probleme(client.post(f"/demandes/{n[1]}/designations", json={"occurred_on": "2026-07-03", "logement": ALS_LGT},
                             headers=h(t, "ALS")), 403, "designation_hors_flux")
    assert "oriented to ETAT-06" in p["detail"]
    attribuer(client, t, "ETAT-06", n[1], ALS_LGT, "2026-07-06", "2026-07-20")
    probleme(client.post(f"/logements/{ALS_LGT}/orientations", json={"occurred_on": "2026-07-21", "reservataire": "ALS"},
                         headers=h(t, "OPH-CPL")), 422, "logement_non_vacant")

    # Six more vacancies of OPH-CPL in Cannes in 2026, in flux: two to the Etat (priority),
    # one to ALS, one to the commune of Cannes, one kept, one withdrawn for an internal mutation;
    # and one vacancy of 2025 (stock) that counts in no flux.
    for lg in loues:
        ok(client.post(f"/logements/{lg}/vacances", json={"occurred_on": "2026-08-03"}, headers=h(t, "OPH-CPL")), 201)
    orientations: list[dict[str, Any]] = [
        {"reservataire": "ETAT-06", "contingent": "PPRIOR"}, {"reservataire": "ETAT-06", "contingent": "PPRIOR"},
        {"reservataire": "ALS"}, {"reservataire": "CANNES"}, {}, {"retrait": "mutation_interne"},
    ]
    for lg, o in zip(loues, orientations, strict=True):
        ok(client.post(f"/logements/{lg}/orientations", json={"occurred_on": "2026-08-04", **o},
                       headers=h(t, "OPH-CPL")), 201)
    p = probleme(client.post(f"/demandes/{n[2]}/designations", json={"occurred_on": "2026-08-05", "logement": loues[2]},
                             headers=h(t, "ETAT-06")), 403, "designation_hors_flux")
    attribuer(client, t, "ALS", n[2], loues[2], "2026-08-10", None)  # an attribution, no bail yet
    attribuer(client, t, "OPH-CPL", n[3], loues[4], "2026-08-10", "2026-09-01")  # kept by the bailleur

    # By hand: OPH-CPL's flux of 2026 = 7 vacancies opened from 1 June, 1 withdrawn: base 6.
    # Etat 25 % (priority): 1.50 promised, 3 oriented, 1 attribution, 1 bail. Etat 5 %: 0.30, 0.
    # ALS 27 %: 1.62 promised, 1 oriented, 1 attribution, no bail. Cannes 10 % of the 6 in Cannes:
    # 0.60, 1 oriented. The vacancy of April (stock) is nobody's flux.
    attendu = {
        "ETAT-06/OPH-CPL/2026/PPRIOR": (6, Decimal("1.50"), 3, 1, 1),
        "ETAT-06/OPH-CPL/2026/PFONCT": (6, Decimal("0.30"), 0, 0, 0),
        "ALS/OPH-CPL/2026/COLACT": (6, Decimal("1.62"), 1, 1, 0),
        "CANNES/OPH-CPL/2026/COLTER/06029": (6, Decimal("0.60"), 1, 0, 0),
    }

    def lignes(b: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        return {
            x["convention"]: (x["base"], Decimal(str(x["promises"])), x["orientees"], x["attributions"], x["baux"])
            for x in b["conventions"] if x["convention"] in attendu
        }

    for source in ("journal", "vue"):
        b = ok(client.get("/bilan-du-flux", params={"annee": 2026, "source": source}, headers=h(t, "CIL-CACPL")))["bilan"]
        assert lignes(b) == attendu, source
        assert (b["vacances"]["OPH-CPL"], b["gardees"]["OPH-CPL"], b["retirees"]["OPH-CPL"]) == (
            7, 1, {"mutation_interne": 1}), source
    journal, _ = bilan_flux_du_journal(en_flux.engine, en_flux.stockage, t, Periode.annee(2026))
    assert {x.convention: x.orientees for x in journal.conventions if x.convention in attendu} == {
        k: v[2] for k, v in attendu.items()}

    # Statistics per réservataire organisation, in flux and in stock; the raw log = the read model.
    suiveur = suiveur_statistiques(en_flux)
    assert verifier(en_flux, Periode.annee(2026), suiveur) == []
    b = bilan_vue(en_flux.engine, t, Periode.annee(2026))
    par = {(f.dimension, f.cle): f for f in b.figures if f.indicateur == "attributions"}
    assert par[("organisation_gestion", "ALS stock")].numerateur == 1
    assert par[("organisation_gestion", "ALS flux")].numerateur == 1
    assert par[("organisation_gestion", "ETAT-06 flux")].numerateur == 1
    assert par[("organisation", "AUCUN")].numerateur == 1
    cible = {(f.dimension, f.cle): f for f in b.figures if f.indicateur == "prioritaires_dalo"}
    assert cible[("organisation", "ETAT-06")].cible == Decimal(25)
    assert cible[("organisation_gestion", "ALS flux")].cible == Decimal(25)
