"""The hash chain of the log: every stored event carries a SHA-256 chained to the previous
event's in global order, so that a stored event rewritten, inserted or removed afterwards shows
(docs/integrity.md).

    h(-1) = 32 zero bytes
    h(i)  = SHA-256( h(i-1) ‖ int64be(position) ‖ originator_id (16 bytes) ‖ int64be(version)
                     ‖ uint32be(len(topic)) ‖ topic (UTF-8) ‖ uint32be(len(state)) ‖ state )

over exactly the bytes stored, the `state` column as it is (personal data as ciphertext: erasing
a demand's key leaves the chain whole). The chain lives in `ledger_chaine` (position → hash),
append-only like the events table.

It is computed by the database itself, in the transaction that inserts the events and under the
lock that orders them (`LOCK TABLE … IN EXCLUSIVE MODE`, taken by every append path before it
inserts): on PostgreSQL a statement trigger with the statement's new rows (library saves, COPY,
the import's INSERT … SELECT alike), on SQLite a row trigger calling `ledger_empreinte`, a SQL
function this module registers on the ledger's connections. So no append path can forget it;
a connection without that function (a hand-typed INSERT in the sqlite3 shell) cannot append.

A store written before the chain existed is chained once, at the first start that finds the
chain empty (`installer`, logged). Chaining a store whose chain is already there but behind is
never done: events appended with the triggers off are what `verifier` reports.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from adapters.database import Stockage

TABLE_CHAINE = "ledger_chaine"
ZERO = bytes(32)
journal = logging.getLogger("ledger.chaine")


def empreinte(
    precedente: bytes, position: int, originator_id: bytes, version: int, topic: str | None, state: bytes | None
) -> bytes:
    """The chain hash of one stored event (the formula in the module's docstring)."""
    t = (topic or "").encode()
    s = bytes(state or b"")
    return hashlib.sha256(
        b"".join((
            precedente,
            position.to_bytes(8, "big", signed=True),
            originator_id,
            version.to_bytes(8, "big", signed=True),
            len(t).to_bytes(4, "big"),
            t,
            len(s).to_bytes(4, "big"),
            s,
        ))
    ).digest()


def octets_id(originator_id: Any) -> bytes:
    """The 16 bytes of an originator id as either store gives it back. On SQLite it is stored as
    32 lowercase hex digits (the library's form): any other spelling of the same UUID is not
    what the library wrote and would hide the event from its aggregate, so it is refused."""
    if isinstance(originator_id, UUID):
        return originator_id.bytes
    texte = str(originator_id)
    u = UUID(texte)
    if u.hex != texte:
        raise ValueError(f"originator id {texte!r} is not stored as the library writes it")
    return u.bytes


def _fonction_sqlite(precedente: bytes | None, position: int, oid: str, version: int, topic: str | None, state: bytes | None) -> bytes:
    return empreinte(precedente or ZERO, position, octets_id(oid), version, topic, state)


def preparer_sqlite(conn: sqlite3.Connection) -> None:
    """Registers `ledger_empreinte` on a SQLite connection that appends events."""
    conn.create_function("ledger_empreinte", 6, _fonction_sqlite, deterministic=True)


class RecorderSQLite(SQLiteApplicationRecorder):
    """The library's SQLite recorder, its connections able to compute the chain."""

    def _insert_events(self, c: SQLiteCursor, stored_events: Any, **kwargs: Any) -> Any:
        preparer_sqlite(c.sqlite_cursor.connection)
        return super()._insert_events(c, stored_events, **kwargs)


# -- schema -------------------------------------------------------------------------------------


def _sqlite(table: str) -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {TABLE_CHAINE} (position INTEGER PRIMARY KEY, empreinte BLOB NOT NULL)",
        # Append-only like the events (adapters/immutabilite.py).
        f"""CREATE TRIGGER IF NOT EXISTS {TABLE_CHAINE}_sans_update BEFORE UPDATE ON {TABLE_CHAINE}
            BEGIN SELECT RAISE(ABORT, '{TABLE_CHAINE} is append-only: UPDATE refused'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {TABLE_CHAINE}_sans_delete BEFORE DELETE ON {TABLE_CHAINE}
            BEGIN SELECT RAISE(ABORT, '{TABLE_CHAINE} is append-only: DELETE refused'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_chaine AFTER INSERT ON {table}
            BEGIN
              INSERT INTO {TABLE_CHAINE} (position, empreinte) VALUES (NEW.rowid, ledger_empreinte(
                (SELECT empreinte FROM {TABLE_CHAINE} ORDER BY position DESC LIMIT 1),
                NEW.rowid, NEW.originator_id, NEW.originator_version, NEW.topic, NEW.state));
            END""",
    ]


def _postgres(schema: str, table: str) -> list[str]:
    t = f'"{schema}".{table}'
    ch = f'"{schema}".{TABLE_CHAINE}'
    fn = f'"{schema}".ledger_chainer'
    return [
        f"CREATE TABLE IF NOT EXISTS {ch} (position bigint PRIMARY KEY, empreinte bytea NOT NULL)",
        # One statement trigger for the statement's new rows, in position order: the library's
        # multi-row INSERT, COPY and INSERT … SELECT alike. The chain table's lock orders any
        # writer that did not take the events table's lock first (the ledger's paths all do).
        # SECURITY DEFINER: the chain is written with the owner's rights, so a role that may only
        # append events needs no right on the chain table, and cannot write it by hand.
        f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql
            SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            DECLARE
              h bytea;
              r record;
              positions bigint[] := '{{}}';
              hashes bytea[] := '{{}}';
            BEGIN
              LOCK TABLE {ch} IN EXCLUSIVE MODE;
              SELECT empreinte INTO h FROM {ch} ORDER BY position DESC LIMIT 1;
              h := coalesce(h, decode(repeat('00', 32), 'hex'));
              -- The row's bytes are laid out by the query (the executor), only the chaining
              -- itself is done row by row.
              FOR r IN SELECT notification_id AS p, int8send(notification_id) || uuid_send(originator_id)
                              || int8send(originator_version)
                              || int4send(octet_length(convert_to(coalesce(topic, ''), 'UTF8')))
                              || convert_to(coalesce(topic, ''), 'UTF8')
                              || int4send(octet_length(coalesce(state, ''::bytea))) || coalesce(state, ''::bytea) AS o
                       FROM nouveaux ORDER BY notification_id LOOP
                h := sha256(h || r.o);
                -- appended in place (PL/pgSQL's expanded arrays), inserted in one statement
                positions := array_append(positions, r.p);
                hashes := array_append(hashes, h);
              END LOOP;
              INSERT INTO {ch} (position, empreinte) SELECT * FROM unnest(positions, hashes);
              RETURN NULL;
            END $$""",
        # Append-only like the events (adapters/immutabilite.py made the function).
        f"""CREATE OR REPLACE TRIGGER {TABLE_CHAINE}_sans_modification
            BEFORE UPDATE OR DELETE ON {ch} FOR EACH ROW EXECUTE FUNCTION "{schema}".ledger_refuse_modification()""",
        f"""CREATE OR REPLACE TRIGGER {TABLE_CHAINE}_sans_truncate
            BEFORE TRUNCATE ON {ch} FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".ledger_refuse_modification()""",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {ch} FROM PUBLIC",
        f"""CREATE OR REPLACE TRIGGER {table}_chaine AFTER INSERT ON {t}
            REFERENCING NEW TABLE AS nouveaux FOR EACH STATEMENT EXECUTE FUNCTION {fn}()""",
    ]


def _noms(stockage: Stockage) -> tuple[str, str, str]:
    if stockage.postgres:
        schema = stockage.schema or "public"
        return f'"{schema}".{stockage.table_evenements}', f'"{schema}".{TABLE_CHAINE}', "notification_id"
    return stockage.table_evenements, TABLE_CHAINE, "rowid"


def installer(stockage: Stockage, engine: sa.Engine) -> int:
    """Creates the chain's table and triggers; on a store whose chain is empty but which holds
    events (written before the chain existed), chains them all, once, logged. Returns how many
    events were chained that way."""
    table, chaine, pos = _noms(stockage)
    with engine.begin() as conn:
        if stockage.postgres:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242002)")  # concurrent first starts
            statements = _postgres(stockage.schema or "public", stockage.table_evenements)
        else:
            statements = _sqlite(stockage.table_evenements)
        for s in statements:
            conn.exec_driver_sql(s)
        if conn.exec_driver_sql(f"SELECT 1 FROM {chaine} LIMIT 1").first() is not None:
            return 0
        if conn.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first() is None:
            return 0
        if stockage.postgres:
            # Appends wait while the existing events are chained: the chain goes on after them.
            conn.exec_driver_sql(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        return _rattraper(conn, table, pos, chaine)


def _rattraper(conn: sa.Connection, table: str, pos: str, chaine: str) -> int:
    total = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
    journal.warning("hash chain: chaining the %d events stored before it existed (once)", total)
    h = ZERO
    fait = 0
    dernier = -1
    while True:
        rows = conn.exec_driver_sql(
            f"SELECT {pos}, originator_id, originator_version, topic, state FROM {table} "
            f"WHERE {pos} > {dernier} ORDER BY {pos} LIMIT 5000"
        ).all()
        if not rows:
            break
        lignes = []
        for p, oid, v, t, s in rows:
            h = empreinte(h, p, octets_id(oid), v, t, s)
            lignes.append({"p": p, "e": h})
        conn.execute(sa.text(f"INSERT INTO {chaine} (position, empreinte) VALUES (:p, :e)"), lignes)
        fait += len(rows)
        dernier = rows[-1][0]
    journal.warning("hash chain: %d events chained; sign a checkpoint now (ledger point-de-controle)", fait)
    return fait


def present(stockage: Stockage, engine: sa.Engine) -> bool:
    """Whether the store has its chain (a store never opened by this version has not)."""
    return sa.inspect(engine).has_table(TABLE_CHAINE, schema=stockage.schema if stockage.postgres else None)


# -- reading and verifying -----------------------------------------------------------------------


@dataclass(frozen=True)
class Anomalie:
    genre: str  # "modifie" | "insere" | "supprime"
    position: int
    agregat: str
    topic: str
    rang: int  # the index in the chain (the Merkle leaf) where it shows

    def __str__(self) -> str:
        quoi = {"modifie": "altered", "insere": "inserted", "supprime": "removed"}[self.genre]
        return f"{quoi} event at position {self.position} (aggregate {self.agregat}, topic {self.topic}, chain index {self.rang})"


@dataclass
class Bilan:
    evenements: int = 0
    anomalie: Anomalie | None = None
    tete: bytes = ZERO
    feuilles: list[bytes] | None = None  # the chain hashes, when asked for (Merkle tree)


def _paires(stockage: Stockage, engine: sa.Engine) -> Iterator[tuple[Any, ...]]:
    """Events and chain entries side by side in position order, from one snapshot: (position,
    originator id as 16 bytes or as stored, version, topic, state, chain hash or None, whether the
    event is there). Two ordered streams (index scans, server-side cursors on PostgreSQL) merged
    here, in bounded memory."""
    table, chaine, pos = _noms(stockage)
    oid = "uuid_send(originator_id)" if stockage.postgres else "originator_id"
    sql_e = f"SELECT {pos}, {oid}, originator_version, topic, state FROM {table} ORDER BY {pos}"
    sql_c = f"SELECT position, empreinte FROM {chaine} ORDER BY position"
    brute = engine.raw_connection()
    try:
        conn: Any = brute.driver_connection
        if stockage.postgres:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            ce, cc = conn.cursor(name="verif_evenements"), conn.cursor(name="verif_chaine")
            ce.itersize = cc.itersize = 10_000
        else:
            conn.execute("BEGIN")  # one snapshot for both reads
            ce, cc = conn.cursor(), conn.cursor()
            ce.arraysize = cc.arraysize = 10_000
        ce.execute(sql_e)
        cc.execute(sql_c)
        ev, ch = iter(ce), iter(cc)
        e, c = next(ev, None), next(ch, None)
        while e is not None or c is not None:
            if c is None or (e is not None and e[0] < c[0]):
                assert e is not None
                yield (*e, None, True)
                e = next(ev, None)
            elif e is None or c[0] < e[0]:
                yield (c[0], None, None, None, None, c[1], False)
                c = next(ch, None)
            else:
                yield (*e, c[1], True)
                e, c = next(ev, None), next(ch, None)
    finally:
        brute.rollback()
        brute.close()


def verifier(
    stockage: Stockage,
    engine: sa.Engine,
    progres: Callable[[int], None] | None = None,
    garder_feuilles: bool = False,
) -> Bilan:
    """Re-reads the whole log and its chain; stops at the first event whose stored hash is not
    the one its bytes and its predecessor's give (altered), that has no hash (inserted with the
    triggers off), or whose hash has no event (removed)."""
    bilan = Bilan(feuilles=[] if garder_feuilles else None)
    feuilles = bilan.feuilles
    h = ZERO
    rang = 0
    for p, oid, v, t, s, stocke, present in _paires(stockage, engine):
        if progres is not None and rang % 10_000 == 0:
            progres(rang)
        if not present:
            bilan.anomalie = Anomalie("supprime", p, "?", "?", rang)
            break
        if stocke is None:
            bilan.anomalie = Anomalie("insere", p, _nom(oid), t, rang)
            break
        try:
            attendu = empreinte(h, p, bytes(oid) if stockage.postgres else octets_id(oid), v, t, s)
        except (ValueError, TypeError):
            # Not even what the library writes (text where bytes belong, a misspelt id): altered.
            attendu = b""
        if not isinstance(stocke, (bytes, memoryview)) or bytes(stocke) != attendu:
            bilan.anomalie = Anomalie("modifie", p, _nom(oid), t, rang)
            break
        h = attendu
        if feuilles is not None:
            feuilles.append(h)
        rang += 1
    bilan.evenements = rang
    bilan.tete = h
    if progres is not None:
        progres(rang)
    return bilan


def _nom(oid: Any) -> str:
    try:
        return str(UUID(bytes=bytes(oid))) if isinstance(oid, (bytes, memoryview)) else str(UUID(str(oid)))
    except ValueError:
        return repr(oid)


def empreintes(stockage: Stockage, engine: sa.Engine, depuis: int = 0) -> Iterator[tuple[int, bytes]]:
    """The chain's entries after position `depuis`, in order (the Merkle tree's leaves), read a
    page at a time."""
    _, chaine, _ = _noms(stockage)
    dernier = depuis
    while True:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT position, empreinte FROM {chaine} WHERE position > {int(dernier)} ORDER BY position LIMIT 50000"
            ).all()
        if not rows:
            return
        for p, e in rows:
            yield int(p), bytes(e)
        dernier = rows[-1][0]


def empreintes_de(stockage: Stockage, engine: sa.Engine, debut: int, fin: int) -> dict[int, bytes]:
    """The chain hashes of the positions debut..fin (the partner feed's page)."""
    _, chaine, _ = _noms(stockage)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT position, empreinte FROM {chaine} WHERE position BETWEEN {int(debut)} AND {int(fin)}"
        ).all()
    return {int(p): bytes(e) for p, e in rows}
