"""Reads off a PostgreSQL streaming replica (LEDGER_READ_DATABASE_URL): the read models are
queried there while commands, the followers and the schedule write to the primary.

A replica replays the primary's write-ahead log a little behind it. Read-your-writes
(`?attendre=true`) therefore waits twice: for every read model to have applied the command's
log position on the primary, then for the replica to have replayed the primary's WAL up to the
position it had reached once they had (`pg_current_wal_lsn()` on the primary,
`pg_last_wal_replay_lsn()` on the replica)."""

from __future__ import annotations

import time

import sqlalchemy as sa


def position_wal(primaire: sa.Engine) -> str:
    """The primary's current WAL position (every transaction committed so far lies before it)."""
    with primaire.connect() as conn:
        return str(conn.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar_one())


def rejouee(replique: sa.Engine, lsn: str) -> bool:
    """Has the replica replayed the primary's WAL up to `lsn`?"""
    with replique.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT COALESCE(pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn), false)"),
                {"lsn": lsn},
            ).scalar_one()
        )


def attendre_replique(primaire: sa.Engine, replique: sa.Engine, delai: float = 10.0) -> bool:
    """Wait until the replica has replayed everything committed on the primary so far; False if
    it has not within `delai` seconds."""
    lsn = position_wal(primaire)
    limite = time.monotonic() + delai
    while not rejouee(replique, lsn):
        if time.monotonic() > limite:
            return False
        time.sleep(0.01)
    return True
