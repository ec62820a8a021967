"""The eventsourcing library's PostgreSQL recorder, with its ordering lock taken through the
function the schema's owner defined (adapters/schema.py), so that a role which may only read and
append events can save them.

The library serialises the transactions that append events with `LOCK TABLE … IN EXCLUSIVE
MODE`, so that notification ids become visible in commit order (EVENTSOURCING-NOTES.md). On
PostgreSQL 15 that lock needs UPDATE, DELETE or TRUNCATE on the table, which the writer role
must not have; `ledger_verrouiller_journal()` takes the same lock as the table's owner
(SECURITY DEFINER), and the lock is the transaction's, held until it ends, as before."""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

FONCTION_VERROU = "ledger_verrouiller_journal"  # defined by adapters/schema.py


def instruction_verrou(schema: str) -> SQL | Any:
    return SQL("SELECT {0}.{1}()").format(Identifier(schema), Identifier(FONCTION_VERROU))


class EnregistreurPostgres(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            instruction_verrou(self.datastore.schema),
        ]
