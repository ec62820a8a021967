"""Several processes, one store (docs/operations.md): on PostgreSQL any number of servers and
followers share the read models — each page of the log is applied by one of them under the read
model's lock, the others see its position move and go on from there — with no 500 and no
follower exit; several processes starting at once on a new store create it once; on SQLite a
second ledger process on the same file is refused at once, naming the holder; a rebuild killed
with -9 leaves tables the next run drops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from adapters.background import BackgroundWork
from adapters.cli import main
from adapters.clock import HorlogeReglable
from adapters.code_demandeur import VARIABLE_DOSSIER, VARIABLE_SECRET
from adapters.database import Stockage, depuis_url
from adapters.registre import Registre
from api.app import creer_app
from domain import commandes as c
from domain.codes import RoleMembre, Typologie
from domain.foyer import Membre, Souhaits
from domain.territoire import Territoire
from projections import modeles
from projections.reconstruction import reconstruire_vite
from projections.suivi import Suiveur, suivre_ensemble
from tests.conftest import RACINE, environnement_a_l_heure_des_tests
from tests.http.test_http_life import foyer

LEDGER = [sys.executable, "-m", "adapters.cli"]


@pytest.fixture(autouse=True)
def dossier_donnees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE_DOSSIER, str(tmp_path / "donnees"))
    monkeypatch.delenv(VARIABLE_SECRET, raising=False)


def lancer(url: str, *argv: str, sortie: Path) -> subprocess.Popen[bytes]:
    f = open(sortie, "wb")  # noqa: SIM115 - the process writes it until it ends
    return subprocess.Popen(
        [*LEDGER, "--database", url, *argv], cwd=RACINE, env=environnement_a_l_heure_des_tests(),
        stdout=f, stderr=subprocess.STDOUT,
    )


def attendre(condition: Any, delai: float = 60.0, quoi: str = "") -> None:
    limite = time.monotonic() + delai
    while not condition():
        assert time.monotonic() < limite, f"timed out waiting for {quoi}"
        time.sleep(0.05)


def arreter(p: subprocess.Popen[bytes]) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def lignes(registre: Registre, suiveurs: dict[str, Suiveur]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every live read model table, in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with registre.engine.connect() as conn:
        for s in suiveurs.values():
            for t in s.tables + s.projection.annexes(""):
                out[t.name] = sorted((tuple(r) for r in conn.execute(sa.select(t))), key=repr)
    return out


def enregistrement(jour: date, i: int) -> c.Enregistrer:
    return c.Enregistrer(
        occurred_on=jour,
        membres=(Membre(id="m1", role=RoleMembre.demandeur),),
        souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2 if i % 2 else Typologie.T3,)),
    )


def test_a_follower_process_beside_a_served_ledger_no_500_no_exit(
    schema_postgres: str, territoire: Territoire, horloge_test: HorlogeReglable, tmp_path: Path
) -> None:
    assert main(["--database", schema_postgres, "init"]) == 0
    suiveur_log = tmp_path / "follow.log"
    suiveur = lancer(schema_postgres, "follow", "--interval", "0.02", sortie=suiveur_log)
    registre = Registre(depuis_url(schema_postgres), territoire)
    try:
        attendre(lambda: b"following the log" in suiveur_log.read_bytes(), quoi="ledger follow to start")
        fond = BackgroundWork(registre, modeles.suiveurs(registre), schedule=False, interval=0.02)
        guichet = territoire.organisation("CANNES").agents[0].jeton
        audit = {"Authorization": "Bearer demo-cil-cacpl-1"}
        statuts: list[tuple[str, int]] = []
        with TestClient(creer_app(registre, fond=fond)) as client:
            for i in range(40):
                params = {"attendre": "true"} if i % 5 == 0 else {}
                r = client.post("/demandes", json=foyer(date(2026, 11, 23)), params=params,
                                headers={"Authorization": f"Bearer {guichet}"})
                statuts.append(("POST /demandes", r.status_code))
                numero = r.json().get("numero_unique")
                for chemin, p in (
                    (f"/demandes/{numero}/cotation", {}),
                    ("/echeances", {"du": "2026-01-01", "au": "2028-12-31"}),
                    ("/statistiques", {"du": "2026-11-01", "au": "2026-11-30", "source": "vue"}),
                ):
                    r = client.get(chemin, params=p, headers=audit)
                    statuts.append((chemin, r.status_code))
            fin = registre.position()
            attendre(lambda: all(s.position() == fin for s in fond.suiveurs.values()), quoi="the read models")
            assert fond.status.errors == {}
        assert [x for x in statuts if x[1] >= 500] == []
        assert {s for _, s in statuts} <= {200, 201}, statuts
        assert suiveur.poll() is None, suiveur_log.read_text()
        journal = suiveur_log.read_text()
        assert "Traceback" not in journal and "ERROR" not in journal, journal
        # Each event applied exactly once, whichever process applied it: the rows a rebuild gives.
        suiveurs = modeles.suiveurs(registre)
        avant = lignes(registre, suiveurs)
        reconstruire_vite(list(suiveurs.values()), processus=1)
        assert lignes(registre, suiveurs) == avant
    finally:
        arreter(suiveur)
        registre.close()


def test_two_followers_on_separate_connections_while_writing(
    stockage: Stockage, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    """Two applications (two engines, two sets of followers) following the same read models in
    threads while a third thread appends: no position error, every event applied once."""
    ecrivain = Registre(stockage, territoire)
    autres = [Registre(stockage, territoire) for _ in range(2)]
    erreurs: list[BaseException] = []
    fini = threading.Event()
    suiveurs = [modeles.suiveurs(r) for r in autres]

    def suivre(s: dict[str, Suiveur]) -> None:
        try:
            while not fini.is_set():
                suivre_ensemble(s.values())
            suivre_ensemble(s.values())
        except BaseException as e:  # noqa: BLE001 - reported below
            erreurs.append(e)

    fils = [threading.Thread(target=suivre, args=(s,)) for s in suiveurs]
    for f in fils:
        f.start()
    try:
        org = territoire.organisation("CANNES")
        for i in range(60):
            ecrivain.executer(org, "cannes-1", enregistrement(date(2026, 11, 23), i))
    finally:
        fini.set()
        for f in fils:
            f.join(120)
    try:
        assert erreurs == []
        fin = ecrivain.position()
        for s in suiveurs:
            assert {n: x.position() for n, x in s.items()} == dict.fromkeys(s, fin)
        avant = lignes(autres[0], suiveurs[0])
        assert len(avant["vue_cotation"]) == 60
        reconstruire_vite(list(suiveurs[0].values()), processus=1)
        assert lignes(autres[0], suiveurs[0]) == avant
    finally:
        for r in [ecrivain, *autres]:
            r.close()


def test_four_processes_starting_at_once_on_a_new_postgresql_store(schema_postgres: str, tmp_path: Path) -> None:
    sorties = [tmp_path / f"p{i}.log" for i in range(4)]
    processus = [lancer(schema_postgres, "follow", "--interval", "0.05", sortie=s) for s in sorties]
    try:
        attendre(
            lambda: all(b"following the log" in s.read_bytes() or p.poll() is not None
                        for s, p in zip(sorties, processus, strict=True)),
            quoi="four followers to start",
        )
        time.sleep(1.0)
        for s, p in zip(sorties, processus, strict=True):
            assert p.poll() is None, s.read_text()
            assert "Traceback" not in s.read_text(), s.read_text()
    finally:
        for p in processus:
            arreter(p)
    engine = sa.create_engine(depuis_url(schema_postgres).sqlalchemy_url)
    schema = schema_postgres.rsplit("schema=", 1)[1]
    with engine.connect() as conn:
        tables = set(conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).scalars())
    engine.dispose()
    assert {"ledger_events", "ledger_suivi", "vue_cotation", "vue_stat_faits"} <= tables


def test_a_second_process_on_one_sqlite_store_is_refused_naming_the_holder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    sortie = tmp_path / "follow.log"
    premier = lancer(url, "follow", "--interval", "0.05", sortie=sortie)
    try:
        attendre(lambda: b"following the log" in sortie.read_bytes(), quoi="ledger follow to start")
        for argv in (["serve", "--port", "1"], ["follow"], ["rebuild", "--quiet"]):
            assert main(["--database", url, *argv]) == 2
            err = capsys.readouterr().err
            assert f"pid {premier.pid}, ledger follow" in err and "in use by another ledger process" in err, err
            assert len(err.strip().splitlines()) == 1
        # A second process, not this one: refused too, and the first one runs on.
        r = subprocess.run([*LEDGER, "--database", url, "follow"], cwd=RACINE, capture_output=True,
                           env=environnement_a_l_heure_des_tests(), timeout=60)
        assert r.returncode == 2 and f"pid {premier.pid}" in r.stderr.decode(), r.stderr
        assert premier.poll() is None
    finally:
        arreter(premier)
    # Once it is gone (however it ended), the store is free again.
    assert main(["--database", url, "rebuild", "--quiet"]) == 0


SCRIPT_RECONSTRUCTION_TUEE = """
import sys, time
from adapters.database import depuis_url
from adapters.registre import Registre
from adapters.territory_file import load_territory
from projections import modeles
r = Registre(depuis_url(sys.argv[1]), load_territory(sys.argv[2]))
s = modeles.suiveurs(r)
neuves = [x.neuve() for x in s.values()]  # what a rebuild creates first, then fills for long
print("tables", flush=True)
time.sleep(600)
"""


def _tables_r(registre: Registre) -> list[str]:
    with registre.engine.connect() as conn:
        return sorted(n for n in sa.inspect(conn).get_table_names() if "__r" in n)


@pytest.fixture
def registre_peuple(stockage: Stockage, territoire: Territoire, horloge_test: HorlogeReglable) -> Iterator[Registre]:
    r = Registre(stockage, territoire)
    org = territoire.organisation("CANNES")
    for i in range(5):
        r.executer(org, "cannes-1", enregistrement(date(2026, 11, 23), i))
    yield r
    r.close()


def test_a_rebuild_killed_with_9_leaves_tables_the_next_run_drops(
    registre_peuple: Registre, tmp_path: Path
) -> None:
    from tests.conftest import DEMO

    registre = registre_peuple
    url = registre.stockage.url
    p = subprocess.Popen(
        [sys.executable, "-c", SCRIPT_RECONSTRUCTION_TUEE, url, str(DEMO)], cwd=RACINE,
        env=environnement_a_l_heure_des_tests(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert p.stdout is not None and p.stdout.readline() == b"tables\n", p.stderr.read() if p.stderr else ""
        orphelines = _tables_r(registre)
        assert len(orphelines) >= 8
        # A live rebuild's tables are left alone by another process's run (a CLI rebuild on
        # PostgreSQL; on SQLite, where that CLI is refused, a read model created in this one).
        if registre.stockage.postgres:
            assert main(["--database", url, "rebuild", "statistiques", "--quiet"]) == 0
        else:
            modeles.suiveur(registre, modeles.STATISTIQUES).reconstruire(barre=False)
        assert set(orphelines) <= set(_tables_r(registre))
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    assert set(orphelines) <= set(_tables_r(registre))  # what kill -9 left behind
    assert main(["--database", url, "rebuild", "--quiet"]) == 0
    assert _tables_r(registre) == []
    with registre.engine.connect() as conn:
        positions = dict(conn.execute(sa.text("SELECT projection, position FROM ledger_suivi")).all())
    assert positions == dict.fromkeys(modeles.PROJECTIONS, registre.position())
