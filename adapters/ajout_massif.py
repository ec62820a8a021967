"""The bulk append path of the event store: many encoded events appended at the speed of the
database, under the same global-order guarantee as the library's own saves.

The guarantee (EVENTSOURCING-NOTES.md): on PostgreSQL every save takes the events table's lock
(`LOCK TABLE … IN EXCLUSIVE MODE`) before it inserts, so notification ids become visible in
commit order and a follower reading "after my last id" never skips one. This module takes the
same lock, then writes with `COPY … FROM STDIN (FORMAT BINARY)` — the fastest way psycopg
offers — and NOTIFYs the channel the library's followers listen on, in one transaction with the
demands' keys. On SQLite, where a write transaction already excludes every other writer, it
inserts with `executemany` in one transaction.

- `ajouter`: encoded events (and new demands' keys) appended in one transaction; `Lot.sauver`
  uses it for large batches.
- `Depot`: a staging area for an import read as a stream: its events are encoded and set aside
  in temporary tables of the import's own connection while the file is read, checked as a whole,
  then moved into the log under the lock (`verser`), a bounded number of demands per transaction,
  each demand whole in one transaction; or dropped (`abandonner`) and the log is as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, RecordConflictError, StoredEvent
from psycopg.rows import tuple_row

from adapters.chaine import preparer_sqlite
from adapters.enregistreur import instruction_verrou
from domain import horloge

if TYPE_CHECKING:
    from adapters.registre import Registre

TABLE_CLES = "ledger_cles_demandes"
TABLE_IDEMPOTENCE = "ledger_idempotence"
LigneIdempotence = Callable[[int | None], dict[str, Any]]


def ajouter(
    registre: Registre,
    evenements: Sequence[StoredEvent],
    cles: dict[UUID, bytes] | None = None,
    idempotence: LigneIdempotence | None = None,
) -> int | None:
    """Appends `evenements` in their order, and the keys in `cles` first, in one transaction;
    returns the highest notification id written. A clash with a stored event raises the
    library's RecordConflictError and nothing is written. With `idempotence`, the row it makes
    from that position (a command's first answer, adapters/idempotence.py) is stored in the same
    transaction; if its key is already stored, CleDejaEnregistree and nothing is written."""
    if not evenements and not cles:
        return None
    if cles and registre.coffre.separe:
        # Keys kept apart from the log (LEDGER_KEYS_URL): stored first, in their own store; a key
        # whose events then fail to append is harmless, an event without its key would not be.
        registre.coffre.enregistrer(cles)
        cles = None
    if registre.stockage.postgres:
        return _ajouter_postgres(registre, evenements, cles or {}, idempotence)
    return _ajouter_sqlite(registre, evenements, cles or {}, idempotence)


def _noms(registre: Registre) -> tuple[str, str, str]:
    rec = registre.recorder
    schema = rec.datastore.schema  # type: ignore[attr-defined]
    return (
        f'"{schema}"."{rec.events_table_name}"',  # type: ignore[attr-defined]
        f'"{schema}".{TABLE_CLES}',
        rec.channel_name,  # type: ignore[attr-defined]
    )


def _verrouiller(cur: Any, registre: Registre, table: str) -> None:
    # What the library's recorder does before each insert (PostgresApplicationRecorder._lock_table).
    delai = registre.recorder.datastore.lock_timeout  # type: ignore[attr-defined]
    cur.execute(f"SET LOCAL lock_timeout = '{int(delai)}s'")
    # LOCK TABLE … IN EXCLUSIVE MODE, as the table's owner: the writer role may not take it itself
    # (adapters/enregistreur.py).
    cur.execute(instruction_verrou(registre.recorder.datastore.schema))  # type: ignore[attr-defined]


def _ajouter_postgres(
    registre: Registre, evenements: Sequence[StoredEvent], cles: dict[UUID, bytes], idempotence: LigneIdempotence | None
) -> int | None:
    import psycopg

    from adapters.idempotence import CleDejaEnregistree

    table, table_cles, canal = _noms(registre)
    maintenant = horloge.maintenant()
    try:
        with registre.recorder.datastore.get_connection() as conn, conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:  # type: ignore[attr-defined]
            _verrouiller(cur, registre, table)
            if cles:
                _copier_cles(cur, table_cles, ((str(i), k, maintenant) for i, k in cles.items()))
            with cur.copy(
                f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
            ) as copie:
                copie.set_types(["uuid", "int8", "text", "bytea"])
                for e in evenements:
                    copie.write_row((e.originator_id, e.originator_version, e.topic, e.state))
            cur.execute(f'NOTIFY "{canal}"')
            cur.execute(f"SELECT max(notification_id) FROM {table}")
            row = cur.fetchone()
            position = int(row[0]) if row and row[0] is not None else None
            if idempotence is not None:
                ligne = idempotence(position)
                schema = registre.recorder.datastore.schema  # type: ignore[attr-defined]
                cur.execute(
                    f'INSERT INTO "{schema}".{TABLE_IDEMPOTENCE} ({", ".join(ligne)}) '
                    f"VALUES ({', '.join(['%s'] * len(ligne))})",
                    list(ligne.values()),
                )
            return position
    except psycopg.errors.UniqueViolation as e:
        if e.diag.table_name == TABLE_IDEMPOTENCE:
            raise CleDejaEnregistree(str(e)) from e
        raise RecordConflictError(str(e)) from e


def _copier_cles(cur: Any, table_cles: str, lignes: Iterable[tuple[str, bytes, datetime]]) -> None:
    """Keys through a temporary table, so that a key already there (an existing demand's) is
    kept, never replaced: COPY alone cannot skip a conflicting row."""
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS ajout_cles (demande_id text, cle bytea, cree_le timestamptz) ON COMMIT DELETE ROWS")
    with cur.copy("COPY ajout_cles (demande_id, cle, cree_le) FROM STDIN (FORMAT BINARY)") as copie:
        copie.set_types(["text", "bytea", "timestamptz"])
        for ligne in lignes:
            copie.write_row(ligne)
    cur.execute(
        f"INSERT INTO {table_cles} (demande_id, cle, cree_le) SELECT demande_id, cle, cree_le FROM ajout_cles "
        "ON CONFLICT (demande_id) DO NOTHING"
    )


def _ajouter_sqlite(
    registre: Registre, evenements: Sequence[StoredEvent], cles: dict[UUID, bytes], idempotence: LigneIdempotence | None
) -> int | None:
    from adapters.idempotence import CleDejaEnregistree

    rec = registre.recorder
    maintenant = _sqlite_instant()
    try:
        with rec.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            preparer_sqlite(c.sqlite_cursor.connection)
            if cles:
                c.executemany(
                    f"INSERT OR IGNORE INTO {TABLE_CLES} (demande_id, cle, cree_le) VALUES (?, ?, ?)",
                    [(str(i), k, maintenant) for i, k in cles.items()],
                )
            c.executemany(
                f"INSERT INTO {rec.events_table_name} (originator_id, originator_version, topic, state) "  # type: ignore[attr-defined]
                "VALUES (?, ?, ?, ?)",
                [(_hex(e.originator_id), e.originator_version, e.topic, e.state) for e in evenements],
            )
            c.execute(f"SELECT max(rowid) FROM {rec.events_table_name}")  # type: ignore[attr-defined]
            row = c.fetchone()
            position = int(row[0]) if row and row[0] is not None else None
            if idempotence is not None:
                ligne = idempotence(position)
                ligne["cree_le"] = ligne["cree_le"].strftime("%Y-%m-%d %H:%M:%S.%f")
                c.execute(
                    f"INSERT INTO {TABLE_IDEMPOTENCE} ({', '.join(ligne)}) VALUES ({', '.join('?' * len(ligne))})",
                    list(ligne.values()),
                )
            return position
    except (sqlite3.IntegrityError, IntegrityError) as e:
        if TABLE_IDEMPOTENCE in str(e):
            raise CleDejaEnregistree(str(e)) from e
        raise RecordConflictError(str(e)) from e


def _sqlite_instant() -> str:
    # As SQLAlchemy writes a DateTime on SQLite (the keys table is declared through it).
    return horloge.maintenant().strftime("%Y-%m-%d %H:%M:%S.%f")


def _hex(i: UUID | str) -> str:
    return i.hex if isinstance(i, UUID) else UUID(str(i)).hex


# -- staging for an import read as a stream --------------------------------------------------------


class Depot:
    """Events and keys set aside outside the log while an import is read: in temporary tables of
    one connection of its own, so that memory stays flat and nobody else sees them. Each demand
    is a group: `verser` moves whole groups, in the order they were set aside."""

    def __init__(self, registre: Registre) -> None:
        self.registre = registre
        self.postgres = registre.stockage.postgres
        self.groupes = 0
        self.evenements = 0
        self._seq = 0
        if self.postgres:
            self._gestion = registre.recorder.datastore.get_connection()  # type: ignore[attr-defined]
            self._conn = self._gestion.__enter__()
            self._conn.autocommit = True
            self._conn.execute(
                "CREATE TEMP TABLE depot_evenements (seq bigint, groupe bigint, originator_id uuid, "
                "originator_version bigint, topic text, state bytea)"
            )
            self._conn.execute("CREATE TEMP TABLE depot_cles (groupe bigint, demande_id uuid, cle bytea, ligne int)")
            self._conn.execute("CREATE INDEX ON depot_cles (demande_id)")
        else:
            assert registre.stockage.sqlite_path is not None
            self._sqlite = sqlite3.connect(registre.stockage.sqlite_path, timeout=30, isolation_level=None)
            self._sqlite.execute("PRAGMA busy_timeout=30000")
            preparer_sqlite(self._sqlite)
            self._sqlite.execute(
                "CREATE TEMP TABLE depot_evenements (seq INTEGER PRIMARY KEY, groupe INTEGER, "
                "originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB)"
            )
            self._sqlite.execute("CREATE TEMP TABLE depot_cles (groupe INTEGER, demande_id TEXT, cle BLOB, ligne INTEGER)")
            self._sqlite.execute("CREATE INDEX temp.depot_cles_id ON depot_cles (demande_id)")

    def deposer(self, groupes: Sequence[tuple[Sequence[StoredEvent], tuple[UUID, bytes, int] | None]]) -> None:
        """Sets aside groups (one demand each): its encoded events, and its new key with the
        file line that created it (None for a demand already in the log)."""
        lignes = []
        cles = []
        for evenements, cle in groupes:
            self.groupes += 1
            for e in evenements:
                self._seq += 1
                lignes.append((self._seq, self.groupes, e.originator_id, e.originator_version, e.topic, e.state))
            if cle is not None:
                cles.append((self.groupes, cle[0], cle[1], cle[2]))
        self.evenements += len(lignes)
        if self.postgres:
            with self._conn.cursor(row_factory=tuple_row) as cur:
                with cur.copy(
                    "COPY depot_evenements (seq, groupe, originator_id, originator_version, topic, state) "
                    "FROM STDIN (FORMAT BINARY)"
                ) as copie:
                    copie.set_types(["int8", "int8", "uuid", "int8", "text", "bytea"])
                    for ligne in lignes:
                        copie.write_row(ligne)
                with cur.copy("COPY depot_cles (groupe, demande_id, cle, ligne) FROM STDIN (FORMAT BINARY)") as copie:
                    copie.set_types(["int8", "uuid", "bytea", "int4"])
                    for ligne in cles:
                        copie.write_row(ligne)
        else:
            c = self._sqlite
            c.execute("BEGIN")
            c.executemany(
                "INSERT INTO depot_evenements VALUES (?, ?, ?, ?, ?, ?)",
                [(s, g, _hex(i), v, t, st) for s, g, i, v, t, st in lignes],
            )
            c.executemany("INSERT INTO depot_cles VALUES (?, ?, ?, ?)", [(g, str(i), k, li) for g, i, k, li in cles])
            c.execute("COMMIT")

    def deja(self, ids: Sequence[UUID]) -> dict[UUID, int]:
        """Which of these new demands were already set aside by this import, and on which line."""
        if not ids:
            return {}
        if self.postgres:
            with self._conn.cursor(row_factory=tuple_row) as cur:
                rows = cur.execute(
                    "SELECT demande_id, ligne FROM depot_cles WHERE demande_id = ANY(%s)", (list(ids),)
                ).fetchall()
            return {UUID(str(r[0])): int(r[1]) for r in rows}
        out: dict[UUID, int] = {}
        for k in range(0, len(ids), 500):
            part = [str(i) for i in ids[k : k + 500]]
            marques = ",".join("?" * len(part))
            for i, ligne in self._sqlite.execute(
                f"SELECT demande_id, ligne FROM depot_cles WHERE demande_id IN ({marques})", part
            ):
                out[UUID(i)] = int(ligne)
        return out

    def verser(
        self, groupes_par_transaction: int = 20_000, progression: Callable[[int, int], None] | None = None
    ) -> int | None:
        """Moves everything set aside into the log, in order, `groupes_par_transaction` demands
        per transaction (the lock is held that long, no longer); returns the last notification id
        written. A clash with the log (a demand changed meanwhile) raises RecordConflictError:
        the transactions before it stay, and re-running the import completes it. `progression`
        is told (demands moved, of how many) before the first transaction and after each."""
        position = None
        if progression is not None:
            progression(0, self.groupes)
        for debut in range(1, self.groupes + 1, groupes_par_transaction):
            fin = min(debut + groupes_par_transaction - 1, self.groupes)
            if self.registre.coffre.separe:
                self.registre.coffre.enregistrer(self._cles_du_depot(debut, fin))
            position = self._verser_postgres(debut, fin) if self.postgres else self._verser_sqlite(debut, fin)
            if progression is not None:
                progression(fin, self.groupes)
        return position

    def _cles_du_depot(self, debut: int, fin: int) -> dict[UUID, bytes]:
        """The new demands' keys set aside for groups debut..fin (for a key store of its own)."""
        if self.postgres:
            with self._conn.cursor(row_factory=tuple_row) as cur:
                rows = cur.execute(
                    "SELECT demande_id, cle FROM depot_cles WHERE groupe BETWEEN %s AND %s", (debut, fin)
                ).fetchall()
        else:
            rows = self._sqlite.execute(
                "SELECT demande_id, cle FROM depot_cles WHERE groupe BETWEEN ? AND ?", (debut, fin)
            ).fetchall()
        return {UUID(str(i)): bytes(k) for i, k in rows}

    def _verser_postgres(self, debut: int, fin: int) -> int | None:
        import psycopg

        table, table_cles, canal = _noms(self.registre)
        maintenant = horloge.maintenant()
        try:
            with self._conn.transaction(), self._conn.cursor(row_factory=tuple_row) as cur:
                _verrouiller(cur, self.registre, table)
                if not self.registre.coffre.separe:
                    cur.execute(
                        f"INSERT INTO {table_cles} (demande_id, cle, cree_le) "
                        "SELECT demande_id::text, cle, %s FROM depot_cles WHERE groupe BETWEEN %s AND %s "
                        "ON CONFLICT (demande_id) DO NOTHING",
                        (maintenant, debut, fin),
                    )
                cur.execute(
                    f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                    "SELECT originator_id, originator_version, topic, state FROM depot_evenements "
                    "WHERE groupe BETWEEN %s AND %s ORDER BY seq",
                    (debut, fin),
                )
                cur.execute(f'NOTIFY "{canal}"')
                cur.execute(f"SELECT max(notification_id) FROM {table}")
                row = cur.fetchone()
                return int(row[0]) if row and row[0] is not None else None
        except psycopg.errors.UniqueViolation as e:
            raise RecordConflictError(str(e)) from e

    def _verser_sqlite(self, debut: int, fin: int) -> int | None:
        c = self._sqlite
        table = self.registre.recorder.events_table_name  # type: ignore[attr-defined]
        try:
            c.execute("BEGIN IMMEDIATE")
            if not self.registre.coffre.separe:
                c.execute(
                    f"INSERT OR IGNORE INTO {TABLE_CLES} (demande_id, cle, cree_le) "
                    "SELECT demande_id, cle, ? FROM depot_cles WHERE groupe BETWEEN ? AND ?",
                    (_sqlite_instant(), debut, fin),
                )
            c.execute(
                f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state FROM depot_evenements "
                "WHERE groupe BETWEEN ? AND ? ORDER BY seq",
                (debut, fin),
            )
            row = c.execute(f"SELECT max(rowid) FROM {table}").fetchone()
            c.execute("COMMIT")
            return int(row[0]) if row and row[0] is not None else None
        except sqlite3.IntegrityError as e:
            c.execute("ROLLBACK")
            raise RecordConflictError(str(e)) from e
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    def fermer(self) -> None:
        """Drops what is set aside (the temporary tables go with their connection)."""
        if self.postgres:
            if self._conn.closed:
                return
            try:
                self._conn.execute("DROP TABLE IF EXISTS depot_evenements, depot_cles")
            finally:
                self._gestion.__exit__(None, None, None)
        else:
            self._sqlite.close()

    def __enter__(self) -> Depot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fermer()

