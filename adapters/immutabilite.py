"""The events table refuses UPDATE, DELETE and TRUNCATE: by triggers on both databases, and on
PostgreSQL by privileges too, so that immutability holds even for a hand-typed SQL statement."""

import sqlalchemy as sa

from adapters.database import Stockage

ROLE_ECRIVAIN = "ledger_ecrivain"  # what the ledger's own connections need: read and append

def _sqlite(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_sans_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_sans_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""",
        # INSERT OR REPLACE deletes the old row without firing DELETE triggers: refuse it here.
        f"""CREATE TRIGGER IF NOT EXISTS {table}_sans_remplacement BEFORE INSERT ON {table}
            WHEN EXISTS (SELECT 1 FROM {table} WHERE originator_id = NEW.originator_id
                         AND originator_version = NEW.originator_version)
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: this event is already recorded'); END""",
    ]


def _postgres(schema: str, table: str) -> list[str]:
    t = f'"{schema}".{table}'
    fn = f'"{schema}".ledger_refuse_modification'
    return [
        f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION '%% is append-only: %% refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
            END $$""",
        f"""CREATE OR REPLACE TRIGGER {table}_sans_modification
            BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}()""",
        f"""CREATE OR REPLACE TRIGGER {table}_sans_truncate
            BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION {fn}()""",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM PUBLIC",
        # Only when missing: an owner without CREATEROLE is refused CREATE ROLE even for a role
        # that exists (the administrator made it, docs/operations.md).
        f"""DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE_ECRIVAIN}') THEN
                CREATE ROLE {ROLE_ECRIVAIN} NOLOGIN;
              END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""",
        f'GRANT USAGE ON SCHEMA "{schema}" TO {ROLE_ECRIVAIN}',
        f"GRANT SELECT, INSERT ON {t} TO {ROLE_ECRIVAIN}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {ROLE_ECRIVAIN}",
        f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO {ROLE_ECRIVAIN}',
    ]


def proteger(stockage: Stockage, engine: sa.Engine) -> None:
    table = stockage.table_evenements
    statements = _postgres(stockage.schema or "public", table) if stockage.postgres else _sqlite(table)
    with engine.begin() as conn:
        if stockage.postgres:
            # Concurrent first starts would race on CREATE OR REPLACE: serialise them.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
        for s in statements:
            conn.exec_driver_sql(s)
