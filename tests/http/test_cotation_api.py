"""Scores, ranks and explanations over HTTP, as of a date and as known at an instant."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from api.app import creer_app

OPH = {"Authorization": "Bearer demo-oph-cpl-1"}
ERILIA = {"Authorization": "Bearer demo-erilia-1"}
AUDIT = {"Authorization": "Bearer demo-cil-cacpl-1"}


def exemple_55(filed_on: str = "2024-01-15", logement: str = "CP") -> dict:
    """docs/cotation.md: a single mother, CDD, SAL 900 + AF 150, hosted in Cannes."""
    return {
        "occurred_on": filed_on,
        "membres": [
            {"id": "m", "role": "demandeur", "contrat": "CDD", "commune_travail": "06029",
             "ressources": [{"code": "SAL", "montant_mensuel": "900"}, {"code": "AF", "montant_mensuel": "150"}]},
            {"id": "f", "role": "personne_a_charge"},
        ],
        "souhaits": {"communes": ["06029"], "typologies": ["T2"]},
        "logement_actuel": {"modele": logement, "commune": "06029"},
        "personnel": {"identites": [
            {"membre": "m", "nom": "Martin", "prenom": "Léa", "date_naissance": "1996-05-02"},
            {"membre": "f", "nom": "Martin", "prenom": "Noé", "date_naissance": "2016-09-01"},
        ]},
    }


def test_worked_example_ranks_and_an_appealed_decote(registre: Registre, horloge_test: HorlogeReglable) -> None:
    horloge_test.regler(datetime(2024, 6, 1, 9, tzinfo=UTC))
    client = TestClient(creer_app(registre))
    n = client.post("/demandes", json=exemple_55(), headers=OPH).json()["numero_unique"]
    autre = client.post("/demandes", json=exemple_55("2024-01-20", "LP"), headers=OPH).json()["numero_unique"]

    r = client.get(f"/demandes/{n}/cotation", headers=AUDIT).json()
    assert r["points"] == 175 and r["version_grille"] == "2024-01"
    assert {x["code"] for x in r["explications"]} == {
        "heberge_tiers", "travaille_epci", "travaille_commune", "habite_commune",
        "jeune_moins_30", "parent_isole", "cdd_interim",
    }
    assert all(x["provenance"][0]["organisation"] == "OPH-CPL" for x in r["explications"])
    assert (r["rang"], r["sur"]) == (1, 2)  # the other is not hébergée: 155 points
    assert client.get(f"/demandes/{autre}/cotation", headers=AUDIT).json()["rang"] == 2

    # A non_recevable refusal with its décote, then a recours, annulled.
    lgt = next(x for x in registre.territoire.logements if x.bailleur == "ERILIA" and x.vacant)
    horloge_test.regler(datetime(2024, 9, 2, 9, tzinfo=UTC))
    client.post(f"/demandes/{n}/designations", json={"occurred_on": "2024-09-02", "logement": lgt.identifiant}, headers=ERILIA)
    client.post(f"/demandes/{n}/decisions-cal", json={"occurred_on": "2024-09-02", "logement": lgt.identifiant, "decision": "attribution", "moins_de_trois_candidats": "insuffisance_candidats"}, headers=ERILIA)
    res = client.post(
        f"/demandes/{n}/refus",
        json={"occurred_on": "2024-09-02", "logement": lgt.identifiant, "stade": "apres_cal", "motif": "environnement", "texte": "quartier",
              "qualification": "non_recevable", "appliquer_decote": True},
        headers=ERILIA,
    ).json()
    decote = res["evenements"][-1]
    horloge_test.regler(datetime(2024, 9, 10, 9, tzinfo=UTC))
    client.post(f"/demandes/{n}/recours", json={"occurred_on": "2024-09-10", "decote": decote}, headers=OPH)
    avant_annulation = datetime(2024, 9, 20, 12, tzinfo=UTC)
    horloge_test.regler(datetime(2024, 10, 1, 9, tzinfo=UTC))
    r = client.get(f"/demandes/{n}/cotation?au=2024-09-15", headers=AUDIT).json()
    assert r["points"] == 135
    expl = next(x for x in r["explications"] if x["code"] == "decote_refus")
    assert expl["points"] == -40
    assert [(p["type"], p["organisation"]) for p in expl["provenance"]] == [
        ("refus", "ERILIA"), ("decote", "ERILIA"), ("recours", "OPH-CPL")
    ]
    ok = client.post(
        f"/demandes/{n}/decisions-recours",
        json={"occurred_on": "2024-10-01", "decote": decote, "decision": "annulee", "motivation": "offre inadaptée"},
        headers=ERILIA,
    )
    assert ok.status_code == 200, ok.text
    # Annulled: never counted, as of any date…
    assert client.get(f"/demandes/{n}/cotation?au=2024-09-15", headers=AUDIT).json()["points"] == 175
    # …but what the ledger said before the annulment is still there to replay.
    vu = client.get(
        f"/demandes/{n}/cotation", params={"au": "2024-09-15", "connu_a": avant_annulation.isoformat()}, headers=AUDIT
    ).json()
    assert vu["points"] == 135 and vu["rang"] is None


def test_score_before_the_first_grid_is_a_clear_error(registre: Registre, horloge_test: HorlogeReglable) -> None:
    client = TestClient(creer_app(registre))
    n = client.post("/demandes", json=exemple_55("2023-06-01"), headers=OPH).json()["numero_unique"]
    r = client.get(f"/demandes/{n}/cotation?au=2023-12-31", headers=AUDIT)
    assert r.status_code == 422 and r.json()["regle"] == "grille_absente"
    assert client.get(f"/demandes/{n}/cotation?au=2024-01-01", headers=AUDIT).status_code == 200


def test_read_your_writes_and_ranks_as_days_pass(registre: Registre, horloge_test: HorlogeReglable) -> None:
    horloge_test.regler(datetime(2024, 6, 1, 9, tzinfo=UTC))
    client = TestClient(creer_app(registre))
    # Same household, filed five days apart: the older one ranks first.
    a = client.post("/demandes?attendre=true", json=exemple_55("2024-01-15"), headers=OPH).json()
    b = client.post("/demandes", json=exemple_55("2024-01-20"), headers=OPH).json()
    assert a["position"] is not None
    suiveurs = client.app.state.suiveurs  # type: ignore[attr-defined]
    assert suiveurs["cotation"].position() >= a["position"]  # applied before the response
    assert client.get(f"/demandes/{b['numero_unique']}/cotation", headers=AUDIT).json()["rang"] == 2
    # A modification read back at once through the deadlines read model.
    r = client.post(
        f"/demandes/{b['numero_unique']}/renouvellements?attendre=true", json={"occurred_on": "2024-06-01"}, headers=OPH
    ).json()
    assert all(s.position() >= r["position"] for s in suiveurs.values())
    echeances = client.get("/echeances?du=2025-06-01&au=2025-06-01&type=anniversaire", headers=AUDIT).json()
    assert [e["demande"] for e in echeances] == [b["numero_unique"]]
    # No event for months: the current scores still move with the days (ancienneté at one year).
    horloge_test.regler(datetime(2025, 1, 16, 9, tzinfo=UTC))
    ra = client.get(f"/demandes/{a['numero_unique']}/cotation", headers=AUDIT).json()
    rb = client.get(f"/demandes/{b['numero_unique']}/cotation", headers=AUDIT).json()
    assert ra["points"] == 215 and rb["points"] == 175  # b's ancienneté starts on 2025-01-20
    assert (ra["rang"], rb["rang"]) == (1, 2)
    horloge_test.regler(datetime(2025, 1, 20, 9, tzinfo=UTC))
    assert client.get(f"/demandes/{b['numero_unique']}/cotation", headers=AUDIT).json()["points"] == 215


def test_cli_explains_a_score(registre: Registre, horloge_test: HorlogeReglable, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from adapters.cli import main

    horloge_test.regler(datetime(2024, 6, 1, 9, tzinfo=UTC))
    client = TestClient(creer_app(registre))
    n = client.post("/demandes", json=exemple_55(), headers=OPH).json()["numero_unique"]
    assert main(["--database", registre.stockage.url, "cotation", n, "--au", "2024-06-01"]) == 0
    out = capsys.readouterr().out
    assert f"{n} as of 2024-06-01: 175 points, grid 2024-01" in out
    assert "heberge_tiers" in out and "by OPH-CPL/oph-cpl-1" in out
    assert main(["--database", registre.stockage.url, "cotation", n, "--au", "2024-06-01", "--json"]) == 0
    assert '"points": 175' in capsys.readouterr().out


def test_rank_as_of_a_past_date_and_as_known_then(registre: Registre, horloge_test: HorlogeReglable) -> None:
    horloge_test.regler(datetime(2024, 6, 1, 9, tzinfo=UTC))
    client = TestClient(creer_app(registre))
    a = client.post("/demandes", json=exemple_55("2024-01-15"), headers=OPH).json()["numero_unique"]
    horloge_test.regler(datetime(2024, 7, 1, 9, tzinfo=UTC))
    # Filed earlier than a (an import of an older demand), recorded later.
    ancienne = {**exemple_55("2024-07-01"), "filed_on": "2024-01-10"}
    b = client.post("/demandes", json=ancienne, headers=OPH).json()["numero_unique"]
    horloge_test.regler(datetime(2024, 8, 1, 9, tzinfo=UTC))
    maintenant = client.get(f"/demandes/{a}/cotation", headers=AUDIT).json()
    assert (maintenant["rang"], maintenant["sur"]) == (2, 2)  # b was filed first
    # As of 2024-07-15, as known on 2024-06-15: b was not recorded yet, so a ranked first.
    avant = client.get(
        f"/demandes/{a}/cotation",
        params={"au": "2024-07-15", "connu_a": "2024-06-15T00:00:00+00:00", "rang": "true"},
        headers=AUDIT,
    ).json()
    assert (avant["rang"], avant["sur"], avant["rang_typologie"]) == (1, 1, 1)
    apres = client.get(f"/demandes/{a}/cotation", params={"au": "2024-07-15", "rang": "true"}, headers=AUDIT).json()
    assert (apres["rang"], apres["sur"]) == (2, 2)
    assert b
