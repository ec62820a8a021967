"""Reads off a real PostgreSQL streaming replica (LEDGER_READ_DATABASE_URL): the test starts its
own primary and a hot standby made with `pg_basebackup` on this machine (as the postgres user,
each on a free port, in a temporary folder removed afterwards: the shared server's own
configuration is left alone). Commands go to the primary, read-model reads to the replica, and
`?attendre=true` returns only once the replica has replayed the write: with replay paused it
answers 503 and the replica's reads are visibly behind the primary's."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import api.demandes as module_app
from adapters.clock import HorlogeReglable
from adapters.database import ConfigurationError, depuis_url, lecture_depuis_env
from adapters.registre import Registre
from adapters.replique import attendre_replique
from api.app import creer_app
from domain.territoire import Territoire
from tests.http.test_cotation_api import AUDIT, OPH, exemple_55


def _bindir() -> Path:
    for d in [os.environ.get("LEDGER_PG_BINDIR", "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if d and (Path(d) / "pg_basebackup").exists():
            return Path(d)
    found = shutil.which("pg_basebackup")
    if found:
        return Path(found).parent
    pytest.fail("pg_basebackup not found: install PostgreSQL's server binaries (LEDGER_PG_BINDIR)")


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _en_postgres(*cmd: str) -> None:
    """Run a server binary as the postgres OS user when we are root (initdb refuses root)."""
    prefixe = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefixe + list(cmd), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


@pytest.fixture(scope="module")
def primaire_et_replique() -> Iterator[tuple[str, str]]:
    """(primary URL, replica URL): a fresh primary and its streaming hot standby."""
    b = _bindir()
    dossier = Path(tempfile.mkdtemp(prefix="ledger-replique-"))
    if os.geteuid() == 0:
        shutil.chown(dossier, "postgres")
    p, r = dossier / "primaire", dossier / "replique"
    port_p, port_r = _port_libre(), _port_libre()
    commun = f"-k {dossier} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB"
    demarres: list[Path] = []
    try:
        _en_postgres(str(b / "initdb"), "-D", str(p), "-A", "trust", "-U", "postgres")
        with open(p / "pg_hba.conf", "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")
        _en_postgres(str(b / "pg_ctl"), "-D", str(p), "-o", f"-p {port_p} {commun}", "-l", str(dossier / "p.log"), "-w", "start")
        demarres.append(p)
        _en_postgres(str(b / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(port_p), "-U", "postgres",
                     "-D", str(r), "-R", "-X", "stream")
        _en_postgres(str(b / "pg_ctl"), "-D", str(r), "-o", f"-p {port_r} {commun} -c hot_standby=on",
                     "-l", str(dossier / "r.log"), "-w", "start")
        demarres.append(r)
        yield (f"postgresql://postgres@127.0.0.1:{port_p}/postgres",
               f"postgresql://postgres@127.0.0.1:{port_r}/postgres")
    finally:
        for d in reversed(demarres):
            _en_postgres(str(b / "pg_ctl"), "-D", str(d), "-m", "immediate", "-w", "stop")
        shutil.rmtree(dossier, ignore_errors=True)


@pytest.fixture
def registre_replique(
    primaire_et_replique: tuple[str, str], territoire: Territoire, horloge_test: HorlogeReglable,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Registre, str]]:
    primaire, replique = primaire_et_replique
    schema = f"r_{os.getpid()}_{time.monotonic_ns() % 10**8}"
    with psycopg.connect(primaire, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    monkeypatch.setenv("LEDGER_READ_DATABASE_URL", replique)  # the schema is the primary's
    r = Registre(depuis_url(f"{primaire}?schema={schema}"), territoire)
    yield r, replique
    r.close()


def _demandes_lues(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.exec_driver_sql("SELECT demande FROM vue_cotation").scalars())


def test_reads_go_to_the_replica_and_attendre_waits_for_it(
    registre_replique: tuple[Registre, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    registre, url_replique = registre_replique
    with registre.lecture.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar() is True
    with registre.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar() is False
    client = TestClient(creer_app(registre))

    # Read-your-writes: the command returns once the replica has replayed the read models' rows.
    for _ in range(3):
        n = client.post("/demandes?attendre=true", json=exemple_55("2026-10-01"), headers=OPH).json()["numero_unique"]
        assert n in _demandes_lues(registre.lecture)
        r = client.get(f"/demandes/{n}/cotation", headers=AUDIT).json()
        assert r["rang"] is not None and r["sur"] >= 1
        assert any(x["demande"] == n for x in client.get(
            "/echeances", params={"du": "2024-01-01", "au": "2030-12-31"}, headers=AUDIT).json())

    # Replay paused on the replica: the write lands on the primary, the replica does not have it,
    # and `attendre` says so instead of returning early.
    with psycopg.connect(url_replique, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        monkeypatch.setattr(module_app, "DELAI_REPLIQUE", 1.0)
        res = client.post("/demandes?attendre=true", json=exemple_55("2026-10-01"), headers=OPH)
        assert res.status_code == 503 and res.json()["regle"] == "replique_en_retard"
        derniere = max(_demandes_lues(registre.engine))
        assert derniere in _demandes_lues(registre.engine)
        assert derniere not in _demandes_lues(registre.lecture)
        reponse = client.get("/echeances", params={"du": "2024-01-01", "au": "2030-12-31"}, headers=AUDIT).json()
        assert not any(x["demande"] == derniere for x in reponse)  # read off the replica, behind
    finally:
        with psycopg.connect(url_replique, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    assert attendre_replique(registre.engine, registre.lecture, 30)
    assert derniere in _demandes_lues(registre.lecture)


def test_a_replica_needs_a_postgresql_primary_of_the_same_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite = depuis_url(f"sqlite:///{tmp_path}/l.sqlite3")
    with pytest.raises(ConfigurationError, match="needs a PostgreSQL primary"):
        lecture_depuis_env(sqlite, "postgresql://postgres@127.0.0.1:5999/x")
    pg = depuis_url("postgresql://postgres@127.0.0.1:5432/test?schema=a")
    assert lecture_depuis_env(pg, "postgresql://postgres@127.0.0.1:5999/test").schema == "a"  # type: ignore[union-attr]
    with pytest.raises(ConfigurationError, match="differs from the primary"):
        lecture_depuis_env(pg, "postgresql://postgres@127.0.0.1:5999/test?schema=b")
    monkeypatch.delenv("LEDGER_READ_DATABASE_URL", raising=False)
    assert lecture_depuis_env(pg) is None  # unset: reads go to the primary
