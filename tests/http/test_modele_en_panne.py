"""A read model that meets an event it cannot apply stops, alone, on SQLite and PostgreSQL: it
names the event and why (logged, `/sante`, `/sante/pret`, a 503 `modele_en_panne` on its reads),
and the other read models and the commands go on. A rebuild that meets the event fails naming
it, and leaves the live tables as they were.

The event is one stored before the input limits existed (docs/rules.md, "Input limits"): a
registration whose resource amount is 1e999999999, which the cotation read model cannot score
(decimal overflow) while the deadlines, statistics and dwellings read models take it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from fastapi.testclient import TestClient

from adapters.code_demandeur import VARIABLE_DOSSIER
from adapters.registre import Registre
from api.app import creer_app
from domain import commandes as c
from domain.acte import Acte
from domain.codes import Canal
from domain.demande import Demande
from domain.territoire import Territoire
from projections import modeles
from projections.suivi import ModeleEnPanne, reconstruire_ensemble, suivre_ensemble
from tests.http.test_http_life import agent, entetes, foyer, probleme

JOUR = date(2026, 11, 20)


def enregistrer_un_evenement_d_avant_les_bornes(registre: Registre, numero: str = "006-ANCIEN-1") -> None:
    """Straight through the aggregate, as a ledger written before the limits could have stored
    it (the API refuses it now: tests/http/test_entrees.py)."""
    cmd = msgspec.convert(foyer(JOUR), c.Enregistrer)
    m = cmd.membres[0]
    demesure = msgspec.structs.replace(m.ressources[0], montant_mensuel=Decimal("1e999999999"))
    membres = (msgspec.structs.replace(m, ressources=(demesure,)), *cmd.membres[1:])
    d = Demande.enregistrer(numero, Acte(JOUR, "CANNES", "cannes-1", Canal.api), membres=membres,
                            souhaits=cmd.souhaits, logement_actuel=cmd.logement_actuel)
    registre.coffre.creer(d.id)
    registre.save(d)


@pytest.fixture
def client(registre: Registre, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv(VARIABLE_DOSSIER, str(tmp_path / "donnees"))
    with TestClient(creer_app(registre)) as c:
        yield c


def test_le_modele_qui_ne_peut_appliquer_un_evenement_s_arrete_seul(
    client: TestClient, registre: Registre, territoire: Territoire, caplog: pytest.LogCaptureFixture
) -> None:
    g = entetes(agent(territoire, "CANNES")[0])
    avant = client.post("/demandes", json=foyer(JOUR), headers=g).json()["numero_unique"]
    enregistrer_un_evenement_d_avant_les_bornes(registre)
    position_mauvaise = registre.position()

    with caplog.at_level(logging.ERROR, logger="ledger.suivi"):
        p = probleme(client.get(f"/demandes/{avant}/cotation", headers=g), 503, "modele_en_panne")
    assert p["details"]["modele"] == "cotation"
    assert p["details"]["evenement"] == position_mauvaise
    assert p["details"]["topic"].endswith("Demande.Enregistree")
    assert "Overflow" in p["details"]["raison"] and f"event {position_mauvaise}" in p["detail"]
    assert any(f"stopped at event {position_mauvaise}" in r.getMessage() for r in caplog.records)

    # /sante says which read model stopped and on what; /sante/pret is not ready because of it.
    sante = client.get("/sante").json()
    assert f"event {position_mauvaise}" in sante["modeles_en_panne"]["cotation"]
    pret = client.get("/sante/pret")
    assert pret.status_code == 503
    lus = {m["nom"]: m for m in pret.json()["modeles"]}
    assert "Overflow" in lus["cotation"]["panne"] and "panne" not in lus["echeances"]

    # The other read models read on, and commands are recorded, read-your-writes included.
    assert client.get("/echeances?du=2026-01-01&au=2027-12-31", headers=g).status_code == 200
    assert client.get("/statistiques?annee=2026&source=vue", headers=g).status_code == 200
    assert client.get("/logements", headers=g).status_code == 200
    r = client.post("/demandes?attendre=true", json=foyer(JOUR), headers=g)
    assert r.status_code == 201, r.text
    lus = {m["nom"]: m for m in client.get("/sante/pret").json()["modeles"]}
    assert lus["echeances"]["position"] == registre.position()
    assert lus["cotation"]["position"] < position_mauvaise  # stopped before the event, for good
    probleme(client.get(f"/demandes/{avant}/cotation", headers=g), 503, "modele_en_panne")


def test_le_suivi_ensemble_continue_pour_les_autres_et_la_reconstruction_nomme_l_evenement(
    registre: Registre, territoire: Territoire
) -> None:
    suiveurs = modeles.suiveurs(registre)
    enregistrer_un_evenement_d_avant_les_bornes(registre)
    mauvaise = registre.position()
    enregistrer_un_evenement_d_avant_les_bornes(registre, "006-ANCIEN-2")  # after it, same trouble
    suivre_ensemble(suiveurs.values())  # the background's way: one read for every read model
    fin = registre.position()
    assert suiveurs["cotation"].panne is not None and suiveurs["cotation"].panne.position == mauvaise
    for nom in ("echeances", "statistiques", "repertoire"):
        assert suiveurs[nom].panne is None and suiveurs[nom].position() == fin, nom
    # Following again does nothing more for the stopped one (no retry storm), and nothing fails.
    assert suiveurs["cotation"].suivre() == 0
    with pytest.raises(ModeleEnPanne, match=f"event {mauvaise}"):
        reconstruire_ensemble([modeles.suiveur(registre, "cotation")], barre=False)
