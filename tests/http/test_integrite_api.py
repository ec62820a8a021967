"""Tamper evidence over HTTP (api/integrite.py, docs/integrity.md): the partner feed carries each
event's chain hash; a partner keeps the signed checkpoint, checks that an event it was shown is
in the log under it, and, once the log has grown, that the new checkpoint extends the one it
kept — with the public key and RFC 9162's algorithms only (`ledger verifier-preuve`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import msgspec
import pytest
from fastapi.testclient import TestClient

from adapters import chaine, cli, integrite
from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from api.app import creer_app
from domain import commandes as c
from domain.codes import RoleMembre, Typologie
from domain.foyer import Membre, Souhaits

BAILLEUR = {"Authorization": "Bearer demo-oph-cpl-1"}


@pytest.fixture
def client(registre: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(registre)) as c:
        yield c


def _enregistrer(registre: Registre, n: int) -> None:
    org = registre.territoire.organisation("CANNES")
    for _ in range(n):
        registre.executer(
            org, "cannes-1",
            c.Enregistrer(
                occurred_on=date(2026, 3, 2),
                membres=(Membre(id="m1", role=RoleMembre.demandeur),),
                souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
            ),
        )


def test_the_feed_carries_each_events_chain_hash(client: TestClient, registre: Registre) -> None:
    _enregistrer(registre, 3)
    page = client.get("/flux", params={"limite": 100}, headers=BAILLEUR).json()
    stockees = list(chaine.empreintes(registre.stockage, registre.engine))
    assert [e["chaine"] for e in page["evenements"]] == [h.hex() for _, h in stockees]
    assert len(stockees) == registre.position() == len(page["evenements"])


def test_a_partner_checks_inclusion_and_consistency_against_kept_checkpoints(
    client: TestClient, registre: Registre, tmp_path: Path, capsys: pytest.CaptureFixture[str], horloge_test: HorlogeReglable
) -> None:
    _enregistrer(registre, 3)
    cle = client.get("/integrite/cle-publique", headers=BAILLEUR).json()["cle_publique"]
    ancien_brut = client.get("/integrite/point-de-controle", headers=BAILLEUR).content
    ancien = msgspec.json.decode(ancien_brut, type=integrite.PointDeControle)
    assert ancien.taille == registre.position() and integrite.signature_valide(ancien, cle)
    # Asked again with nothing appended: the same checkpoint.
    assert client.get("/integrite/point-de-controle", headers=BAILLEUR).content == ancien_brut

    _enregistrer(registre, 4)
    # Within 10 s of the last one, the endpoint gives it again: one checkpoint a poll is too many.
    assert client.get("/integrite/point-de-controle", headers=BAILLEUR).content == ancien_brut
    horloge_test.avancer(seconds=11)
    nouveau = msgspec.json.decode(client.get("/integrite/point-de-controle", headers=BAILLEUR).content, type=integrite.PointDeControle)
    assert nouveau.taille == registre.position() > ancien.taille

    for e in client.get("/flux", params={"limite": 100}, headers=BAILLEUR).json()["evenements"]:
        r = client.get("/integrite/preuves/inclusion", params={"position": e["position"], "taille": nouveau.taille}, headers=BAILLEUR)
        preuve = msgspec.json.decode(r.content, type=integrite.PreuveInclusion)
        assert preuve.empreinte == e["chaine"]
        assert integrite.verifier_preuve_inclusion(preuve, nouveau) is None
    coherence = msgspec.json.decode(
        client.get("/integrite/preuves/coherence", params={"ancienne": ancien.taille, "taille": nouveau.taille}, headers=BAILLEUR).content,
        type=integrite.PreuveCoherence,
    )
    assert integrite.verifier_preuve_coherence(coherence, ancien, nouveau) is None

    # The same checks offline, with the command a partner runs.
    (tmp_path / "ancien.json").write_bytes(ancien_brut)
    (tmp_path / "nouveau.json").write_bytes(msgspec.json.encode(nouveau))
    (tmp_path / "coherence.json").write_bytes(msgspec.json.encode(coherence))
    assert cli.main(["verifier-preuve", str(tmp_path / "coherence.json"), "--point-de-controle", str(tmp_path / "nouveau.json"),
                     "--ancien", str(tmp_path / "ancien.json"), "--cle-publique", cle]) == 0
    # A forged older checkpoint (another root, signed by someone else) is refused.
    faux = msgspec.structs.replace(ancien, racine=nouveau.racine)
    (tmp_path / "faux.json").write_bytes(msgspec.json.encode(faux))
    assert cli.main(["verifier-preuve", str(tmp_path / "coherence.json"), "--point-de-controle", str(tmp_path / "nouveau.json"),
                     "--ancien", str(tmp_path / "faux.json")]) == 1
    assert "bad signature" in capsys.readouterr().err


def test_an_unknown_position_is_a_problem(client: TestClient, registre: Registre) -> None:
    _enregistrer(registre, 1)
    r = client.get("/integrite/preuves/inclusion", params={"position": 99}, headers=BAILLEUR)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "position 99" in r.json()["detail"]
