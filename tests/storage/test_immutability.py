"""The events table is append-only even for hand-typed SQL (docs/rules.md, adapters/immutabilite.py):
triggers on both databases, and on PostgreSQL privileges too."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pgerr

from adapters.chaine import preparer_sqlite
from adapters.clock import HorlogeReglable
from adapters.database import Stockage, depuis_url
from adapters.immutabilite import ROLE_ECRIVAIN
from adapters.registre import Registre
from domain import commandes as c
from domain.codes import RoleMembre, Typologie
from domain.foyer import Membre, Souhaits
from domain.territoire import Territoire


def peupler(registre: Registre) -> None:
    org = registre.territoire.organisation("CANNES")
    for jour in (date(2026, 3, 2), date(2026, 3, 3)):
        r = registre.executer(
            org, "cannes-1",
            c.Enregistrer(
                occurred_on=jour,
                membres=(Membre(id="m1", role=RoleMembre.demandeur),),
                souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
            ),
        )
        registre.executer(org, "cannes-1", c.Renouveler(occurred_on=date(2026, 4, 1)), r.numero_unique)
    assert registre.position() == 4


# -- SQLite ----------------------------------------------------------------------------------------


@pytest.fixture
def registre_sqlite(tmp_path: Path, territoire: Territoire, horloge_test: HorlogeReglable) -> Iterator[Registre]:
    r = Registre(depuis_url(f"sqlite:///{tmp_path}/ledger.sqlite3"), territoire)
    yield r
    r.close()


@pytest.fixture
def registre_pg(schema_postgres: str, territoire: Territoire, horloge_test: HorlogeReglable) -> Iterator[Registre]:
    r = Registre(depuis_url(schema_postgres), territoire)
    yield r
    r.close()


def _sqlite_lignes(stockage: Stockage) -> list[tuple]:
    conn = sqlite3.connect(stockage.sqlite_path)  # type: ignore[arg-type]
    try:
        return conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {stockage.table_evenements} "
            "ORDER BY originator_id, originator_version"
        ).fetchall()
    finally:
        conn.close()


@contextmanager
def _sqlite(stockage: Stockage) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(stockage.sqlite_path, timeout=30)  # type: ignore[arg-type]
    # A connection that appends computes the hash chain (adapters/chaine.py): without the
    # function, SQLite refuses any INSERT before the append-only triggers are even reached.
    preparer_sqlite(conn)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


# -- PostgreSQL ----------------------------------------------------------------------------------------


@contextmanager
def _postgres(stockage: Stockage) -> Iterator[psycopg.Connection]:
    env = stockage.eventsourcing_env
    conn = psycopg.connect(
        host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None, dbname=env["POSTGRES_DBNAME"],
    )
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _table_pg(stockage: Stockage) -> str:
    return f'"{stockage.schema}".{stockage.table_evenements}'


def _pg_lignes(stockage: Stockage) -> list[tuple]:
    with _postgres(stockage) as conn:
        return conn.execute(
            f"SELECT originator_id, originator_version, topic, state, notification_id FROM {_table_pg(stockage)} "
            "ORDER BY notification_id"
        ).fetchall()


def lignes(stockage: Stockage) -> list[tuple]:
    return _pg_lignes(stockage) if stockage.postgres else _sqlite_lignes(stockage)


# -- both stores ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("UPDATE {t} SET state = {octets}", "UPDATE"),
        ("UPDATE {t} SET topic = 'domain.demande:Demande.Radiee' WHERE originator_version = 2", "UPDATE"),
        ("DELETE FROM {t}", "DELETE"),
        ("DELETE FROM {t} WHERE originator_version = 2", "DELETE"),
    ],
)
def test_update_and_delete_are_refused(registre: Registre, sql: str, operation: str) -> None:
    peupler(registre)
    stockage = registre.stockage
    avant = lignes(stockage)
    if stockage.postgres:
        with _postgres(stockage) as conn, pytest.raises(pgerr.InsufficientPrivilege, match="append-only") as exc:
            conn.execute(sql.format(t=_table_pg(stockage), octets="'\\x00'::bytea"))
        assert operation in str(exc.value)
    else:
        with _sqlite(stockage) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only") as exc:
            conn.execute(sql.format(t=stockage.table_evenements, octets="x'00'"))
        assert operation in str(exc.value)
    assert lignes(stockage) == avant
    # And the ledger still reads its log.
    assert registre.position() == 4


def test_upsert_over_an_event_is_refused(registre: Registre) -> None:
    """INSERT … ON CONFLICT DO UPDATE is an UPDATE of the stored event."""
    peupler(registre)
    stockage = registre.stockage
    avant = lignes(stockage)
    if stockage.postgres:
        with _postgres(stockage) as conn, pytest.raises(pgerr.InsufficientPrivilege, match="append-only"):
            conn.execute(
                f"INSERT INTO {_table_pg(stockage)} (originator_id, originator_version, topic, state) "
                f"SELECT originator_id, originator_version, topic, '\\x00'::bytea FROM {_table_pg(stockage)} "
                "ON CONFLICT (originator_id, originator_version) DO UPDATE SET state = excluded.state"
            )
    else:
        with _sqlite(stockage) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(
                f"INSERT INTO {stockage.table_evenements} (originator_id, originator_version, topic, state) "
                f"SELECT originator_id, originator_version, topic, x'00' FROM {stockage.table_evenements} "
                "WHERE true ON CONFLICT (originator_id, originator_version) DO UPDATE SET state = excluded.state"
            )
    assert lignes(stockage) == avant


def test_sqlite_insert_or_replace_cannot_overwrite_an_event(registre_sqlite: Registre) -> None:
    """SQLite's REPLACE conflict resolution deletes the conflicting row without firing DELETE
    triggers (unless recursive_triggers is on): it must not be a way around the append-only rule."""
    registre = registre_sqlite
    peupler(registre)
    stockage = registre.stockage
    avant = lignes(stockage)
    originator_id, version, topic, _ = avant[0]
    with _sqlite(stockage) as conn:
        try:
            conn.execute(
                f"INSERT OR REPLACE INTO {stockage.table_evenements} "
                "(originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
                (originator_id, version, topic, b'{"falsifie": true}'),
            )
            conn.commit()
        except sqlite3.DatabaseError:
            pass  # refused: what the rule wants
    assert lignes(stockage) == avant, "an event was overwritten in place"


def test_postgres_truncate_is_refused(registre_pg: Registre) -> None:
    registre = registre_pg
    peupler(registre)
    stockage = registre.stockage
    avant = lignes(stockage)
    with _postgres(stockage) as conn, pytest.raises(pgerr.InsufficientPrivilege, match="append-only") as exc:
        conn.execute(f"TRUNCATE {_table_pg(stockage)}")
    assert "TRUNCATE" in str(exc.value)
    assert lignes(stockage) == avant


def test_postgres_writer_role_may_read_and_append_only(registre_pg: Registre) -> None:
    registre = registre_pg
    peupler(registre)
    stockage = registre.stockage
    t = _table_pg(stockage)
    avant = lignes(stockage)
    with _postgres(stockage) as conn:
        droits = {
            p: conn.execute("SELECT has_table_privilege(%s, %s, %s)", (ROLE_ECRIVAIN, t, p)).fetchone()[0]
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
        }
    assert droits == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}

    for sql in (f"UPDATE {t} SET state = '\\x00'::bytea", f"DELETE FROM {t}", f"TRUNCATE {t}"):
        with _postgres(stockage) as conn:
            conn.execute(f"SET ROLE {ROLE_ECRIVAIN}")
            with pytest.raises(pgerr.InsufficientPrivilege, match="permission denied"):
                conn.execute(sql)

    # As the writer, reading and appending work (rolled back: this is a privilege check only).
    with _postgres(stockage) as conn:
        conn.execute(f"SET ROLE {ROLE_ECRIVAIN}")
        assert conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 4
        conn.execute(
            f"INSERT INTO {t} (originator_id, originator_version, topic, state) "
            "VALUES (gen_random_uuid(), 1, 'essai', '\\x7b7d'::bytea)"
        )
        assert conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 5
    assert lignes(stockage) == avant
