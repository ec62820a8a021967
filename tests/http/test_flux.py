"""The partner event feed over real HTTP (uvicorn in a thread), on SQLite and PostgreSQL: two
organisations follow it with long polling while eight writers append; each sees every event
exactly once, in order, and the auditeur no personal data. The example consumer keeps its
position across restarts. A long poll answers as soon as an event is committed."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from adapters.registre import Registre
from adapters.sne.correspondance import commandes
from adapters.sne.lecture import Lecture
from api.app import creer_app
from domain import commandes as c
from domain.codes import Canal
from tests import sne_fichiers as f
from tests.conftest import RACINE

GUICHET = "demo-cannes-1"  # CANNES: guichet and réservataire, reads personal data
AUDITEUR = "demo-cil-cacpl-1"  # the CIL: reads and replays the facts only
ECRIVAINS = 8
PAR_ECRIVAIN = 5


@pytest.fixture
def serveur(registre: Registre) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(creer_app(registre), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    fil = threading.Thread(target=srv.run, daemon=True)
    fil.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    fil.join(timeout=10)


def _enregistrement(i: int) -> c.Enregistrer:
    (lue,) = list(Lecture(__import__("io").BytesIO(f.fichier([f.copie(i)]))).demandes())
    assert lue.demande is not None
    (cmd,) = commandes(lue.demande, lue.demande.date_creation, None)
    assert isinstance(cmd, c.Enregistrer)
    return cmd


def _ecrire(registre: Registre, k: int, erreurs: list[BaseException]) -> None:
    org = registre.territoire.organisation("CANNES")
    try:
        for j in range(PAR_ECRIVAIN):
            cmd = _enregistrement(k * 10 + j)
            r = registre.executer(org, f"ecrivain-{k}", cmd, canal=Canal.import_)
            assert cmd.personnel is not None
            perso = __import__("msgspec").structs.replace(cmd.personnel, telephone=f"06000000{k}{j}")
            registre.executer(
                org, f"ecrivain-{k}", c.Modifier(occurred_on=cmd.occurred_on, personnel=perso), r.numero_unique,
                canal=Canal.import_,
            )
    except BaseException as e:  # pragma: no cover - reported by the test
        erreurs.append(e)


def _suivre(url: str, jeton: str, fin: threading.Event, registre: Registre, out: list[dict], textes: list[str]) -> None:
    apres = 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {jeton}"}, timeout=30) as client:
        while True:
            r = client.get("/flux", params={"apres": apres, "limite": 7, "attente": 2})
            r.raise_for_status()
            textes.append(r.text)
            p = r.json()
            out.extend(p["evenements"])
            apres = p["suivant"]
            if fin.is_set() and apres >= registre.position():
                return


def test_two_organisations_follow_the_feed_while_eight_writers_append(registre: Registre, serveur: str) -> None:
    fin = threading.Event()
    erreurs: list[BaseException] = []
    vus: dict[str, list[dict]] = {GUICHET: [], AUDITEUR: []}
    textes: dict[str, list[str]] = {GUICHET: [], AUDITEUR: []}
    lecteurs = [
        threading.Thread(target=_suivre, args=(serveur, j, fin, registre, vus[j], textes[j])) for j in vus
    ]
    for t in lecteurs:
        t.start()
    ecrivains = [threading.Thread(target=_ecrire, args=(registre, k, erreurs)) for k in range(ECRIVAINS)]
    for t in ecrivains:
        t.start()
    for t in ecrivains:
        t.join()
    fin.set()
    for t in lecteurs:
        t.join(timeout=60)
        assert not t.is_alive()
    assert erreurs == []
    log = [n.id for n in registre.notifications(0, 10_000)]
    assert len(log) == 2 * ECRIVAINS * PAR_ECRIVAIN
    for jeton, evenements in vus.items():
        positions = [e["position"] for e in evenements]
        assert positions == log, jeton  # every event, once, in the log's order
        assert {e["type"] for e in evenements} == {"Enregistree", "Modifiee"}
        assert all(e["demande"].startswith("11103180169") and e["agregat"] == "demande" for e in evenements)
    # The guichet reads the personal data; the auditeur has none of them, not even encrypted.
    assert all("personnel" in e and "personnel_masque" not in e for e in vus[GUICHET])
    assert any(e["personnel"]["identites"][0]["nom"] == "Dupont" for e in vus[GUICHET])
    assert all("personnel" not in e and e["personnel_masque"] is True for e in vus[AUDITEUR])
    brut = "".join(textes[AUDITEUR])
    for secret in ("Dupont", "DUPONT", "jean.dupont", "0606060606", "avenue de france", "chiffre"):
        assert secret not in brut
    # The public facts are the same for both.
    publics = [(e["position"], e["champs"], e["occurred_on"], e["organisation"]) for e in vus[AUDITEUR]]
    assert publics == [(e["position"], e["champs"], e["occurred_on"], e["organisation"]) for e in vus[GUICHET]]


def test_a_long_poll_answers_when_an_event_is_committed(registre: Registre, serveur: str) -> None:
    org = registre.territoire.organisation("CANNES")
    resultat: dict[str, object] = {}

    def attendre() -> None:
        t = time.monotonic()
        with httpx.Client(base_url=serveur, headers={"Authorization": f"Bearer {AUDITEUR}"}, timeout=30) as cl:
            resultat["page"] = cl.get("/flux", params={"apres": 0, "attente": 20}).json()
        resultat["secondes"] = time.monotonic() - t

    fil = threading.Thread(target=attendre)
    fil.start()
    time.sleep(0.5)
    registre.executer(org, "a", _enregistrement(1), canal=Canal.import_)  # another path than the API's
    fil.join(timeout=30)
    page = resultat["page"]
    assert isinstance(page, dict) and [e["position"] for e in page["evenements"]] == [1]
    assert 0.4 < float(resultat["secondes"]) < 3.0  # woken by the commit, not by the 20 s timeout
    # Nothing after the end: the wait runs out and the page is empty, `suivant` unchanged.
    with httpx.Client(base_url=serveur, headers={"Authorization": f"Bearer {AUDITEUR}"}) as cl:
        vide = cl.get("/flux", params={"apres": 1, "attente": 0.3}).json()
        assert vide["evenements"] == [] and vide["suivant"] == 1
        assert cl.get("/flux", params={"attente": 61}).status_code == 422
        assert cl.get("/flux", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_example_consumer_keeps_its_position_across_restarts(registre: Registre, serveur: str, tmp_path: Path) -> None:
    org = registre.territoire.organisation("CANNES")
    etat, sortie = tmp_path / "position", tmp_path / "flux.jsonl"

    def consommer() -> None:
        subprocess.run(
            [sys.executable, str(RACINE / "scripts" / "flux-consommateur"), "--url", serveur, "--jeton", GUICHET,
             "--etat", str(etat), "--sortie", str(sortie), "--une-fois", "--limite", "3"],
            check=True, timeout=60,
        )

    for i in range(4):
        registre.executer(org, "a", _enregistrement(i), canal=Canal.import_)
    consommer()
    assert etat.read_text().strip() == "4"
    # A kill between writing a page and saving the position: that page comes again, once.
    etat.write_text("2\n")
    for i in range(4, 7):
        registre.executer(org, "a", _enregistrement(i), canal=Canal.import_)
    consommer()
    lignes = [json.loads(x) for x in sortie.read_text().splitlines()]
    assert [x["position"] for x in lignes] == list(range(1, 8))
    assert etat.read_text().strip() == "7"
