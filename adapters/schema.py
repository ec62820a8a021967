"""The store's schema and who may do what in it (docs/operations.md, "Roles").

On PostgreSQL the schema is created by its **owner** (`ledger init`, run with an owner's or an
administrator's URL): the events table and its protections, the ledger's own tables, the roles'
grants. The servers and followers then run as a role that owns none of it:

- `ledger_ecrivain` reads and appends events (SELECT, INSERT: no UPDATE, DELETE, TRUNCATE, and not
  the owner, so no ALTER TABLE … DISABLE TRIGGER), takes the events table's ordering lock through
  a function its owner defined (`ledger_verrouiller_journal`: LOCK TABLE … IN EXCLUSIVE MODE
  needs UPDATE or DELETE on PostgreSQL 15), and reads and writes the keys, numbering and
  idempotency tables;
- `ledger_modeles` owns the read models (their tables, `ledger_suivi`): a process that is a
  member creates, rebuilds and swaps them as that role (`SET LOCAL ROLE`), so that any of the
  servers and followers may drop or rename what another created.

A process starting on a store whose schema is complete (`pret`) runs no DDL at all. One that
finds it incomplete creates it under an advisory lock (several processes starting at once on a
new store wait for the first), or, lacking the privileges, stops with one line saying to run
`ledger init` as the owner. On SQLite there are no roles: the file is created on first start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from adapters import chaine
from adapters.database import ConfigurationError, Stockage, sans_mot_de_passe
from adapters.enregistreur import FONCTION_VERROU
from adapters.immutabilite import ROLE_ECRIVAIN, proteger
from adapters.tables import metadata

if TYPE_CHECKING:
    from adapters.registre import Registre

ROLE_MODELES = "ledger_modeles"  # owns the read models; the servers and followers are members
TABLE_SCHEMA = "ledger_schema"
# Raised whenever `initialiser` creates or grants something a store of the previous version
# lacks: the app then refuses to start on it until `ledger init` has run (as the owner).
VERSION_SCHEMA = 2  # 2: the hash chain (adapters/chaine.py)
SEQUENCE_NUMEROS = "ledger_numero_seq"


class SchemaIncomplet(ConfigurationError):
    """The store needs `ledger init` as its owner before this role can use it."""


def cle_verrou(stockage: Stockage, quoi: str) -> int:
    """A 64-bit advisory lock key for `quoi` in this ledger (one schema each)."""
    nom = f"demand-ledger:{quoi}:{stockage.schema or ''}".encode()
    return int.from_bytes(hashlib.sha256(nom).digest()[:8], "big", signed=True)


def _schema(stockage: Stockage) -> str:
    return stockage.schema or "public"


def pret(stockage: Stockage, conn: sa.Connection) -> bool:
    """Whether the PostgreSQL schema is complete for this version (nothing to create)."""
    s = _schema(stockage)
    noms = [stockage.table_evenements, TABLE_SCHEMA, SEQUENCE_NUMEROS, chaine.TABLE_CHAINE, *metadata.tables]
    manquants = conn.execute(
        sa.text("SELECT count(*) FROM unnest(CAST(:noms AS text[])) n WHERE to_regclass(:s || '.' || n) IS NULL"),
        {"noms": noms, "s": f'"{s}"'},
    ).scalar_one()
    if manquants:
        return False
    if conn.execute(sa.text("SELECT to_regprocedure(:f)"), {"f": f'"{s}".{FONCTION_VERROU}()'}).scalar() is None:
        return False
    version = conn.exec_driver_sql(f'SELECT max(version) FROM "{s}".{TABLE_SCHEMA}').scalar()
    return version is not None and version >= VERSION_SCHEMA


def _droit_refuse(e: BaseException) -> bool:
    """Whether an error (wrapped by SQLAlchemy or the library, or not) is PostgreSQL's 42501."""
    vus: set[int] = set()
    x: BaseException | None = e
    while x is not None and id(x) not in vus:
        vus.add(id(x))
        if getattr(x, "sqlstate", None) == "42501":
            return True
        x = getattr(x, "orig", None) or x.__cause__ or x.__context__
    return False


@contextmanager
def verrou_session(engine: sa.Engine, cle: int) -> Iterator[sa.Connection]:
    """A session-level advisory lock held on a connection of its own for the duration."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": cle})
        try:
            yield conn
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": cle})


def preparer(registre: Registre) -> None:
    """Make sure the store's schema is complete before the application uses it: nothing to do
    when it is; else create it, one process at a time; else say who must."""
    stockage, engine = registre.stockage, registre.engine
    if not stockage.postgres:
        registre.recorder.create_table()  # type: ignore[attr-defined]
        metadata.create_all(engine)
        proteger(stockage, engine)
        chaine.installer(stockage, engine)
        return
    with engine.connect() as conn:
        if pret(stockage, conn):
            return
    with verrou_session(engine, cle_verrou(stockage, "schema")) as conn:
        if pret(stockage, conn):
            return  # another process created it while we waited
        try:
            _initialiser(registre)
        except Exception as e:
            raise incomplet(stockage, engine, e) from None


def incomplet(stockage: Stockage, engine: sa.Engine, e: Exception) -> Exception:
    """`e` itself, or when it is a refusal of privilege (PostgreSQL's 42501), the one line that
    says the store needs `ledger init` by its owner first."""
    if not _droit_refuse(e):
        return e
    with engine.connect() as conn:
        qui = conn.exec_driver_sql("SELECT current_user").scalar_one()
    return SchemaIncomplet(
        f"the store {sans_mot_de_passe(stockage.url)} is not initialised for this version "
        f"and the role {qui!r} may not create it: run `ledger init` with the owner's URL "
        f"first (docs/operations.md, Roles) — {str(getattr(e, 'orig', None) or e).splitlines()[0]}"
    )


def _roles(conn: sa.Connection) -> None:
    for role in (ROLE_ECRIVAIN, ROLE_MODELES):
        existe = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
        if not existe:
            # Concurrent inits across schemas of one cluster race on the global role names.
            conn.exec_driver_sql(
                f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )


def initialiser(registre: Registre) -> None:
    """`ledger init` on PostgreSQL: every object and grant again (a store created by an older
    version gets what it lacks), under the schema's advisory lock."""
    with verrou_session(registre.engine, cle_verrou(registre.stockage, "schema")):
        _initialiser(registre)


def _initialiser(registre: Registre) -> None:
    """Every object of the schema and every grant, idempotent; run by the owner (`ledger init`)
    or by a process that may, under the schema's advisory lock."""
    stockage, engine = registre.stockage, registre.engine
    s = _schema(stockage)
    registre.recorder.create_table()  # type: ignore[attr-defined]
    with engine.begin() as conn:
        _roles(conn)
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.exec_driver_sql(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE_NUMEROS}")
        conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {TABLE_SCHEMA} (version integer NOT NULL)")
        t = f'"{s}".{stockage.table_evenements}'
        conn.exec_driver_sql(
            f"""CREATE OR REPLACE FUNCTION "{s}".{FONCTION_VERROU}() RETURNS void
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
                BEGIN LOCK TABLE {t} IN EXCLUSIVE MODE; END $$"""
        )
        conn.exec_driver_sql(f'REVOKE ALL ON FUNCTION "{s}".{FONCTION_VERROU}() FROM PUBLIC')
        conn.exec_driver_sql(f'GRANT EXECUTE ON FUNCTION "{s}".{FONCTION_VERROU}() TO {ROLE_ECRIVAIN}')
        conn.exec_driver_sql(f"GRANT SELECT ON {TABLE_SCHEMA} TO {ROLE_ECRIVAIN}")
        for table in metadata.tables:
            conn.exec_driver_sql(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{s}".{table} TO {ROLE_ECRIVAIN}')
        # The read models' owner creates its tables in the schema; it reads nothing else.
        conn.exec_driver_sql(f'GRANT USAGE, CREATE ON SCHEMA "{s}" TO {ROLE_MODELES}')
    proteger(stockage, engine)  # triggers, and SELECT, INSERT only on the events table
    chaine.installer(stockage, engine)  # the hash chain's table and trigger (SECURITY DEFINER)
    with engine.begin() as conn:
        # The chain is written by the trigger as the owner; the app reads it (proofs, checks).
        conn.exec_driver_sql(f'GRANT SELECT ON "{s}".{chaine.TABLE_CHAINE} TO {ROLE_ECRIVAIN}')
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM {TABLE_SCHEMA}")
        conn.exec_driver_sql(f"INSERT INTO {TABLE_SCHEMA} (version) VALUES ({VERSION_SCHEMA})")


def role_modeles(stockage: Stockage, engine: sa.Engine) -> str | None:
    """The role read models are created as, when this process may take it (PostgreSQL)."""
    if not stockage.postgres:
        return None
    with engine.connect() as conn:
        membre = conn.execute(
            sa.text(
                "SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = :r"
            ),
            {"r": ROLE_MODELES},
        ).scalar()
    return ROLE_MODELES if membre else None


def en_role_modeles(conn: sa.Connection, role: str | None) -> None:
    """Within the caller's transaction, act as the read models' owner (tables created now belong
    to it, and any member process may later drop or rename them)."""
    if role is not None:
        conn.exec_driver_sql(f"SET LOCAL ROLE {role}")


def verrou_modele(conn: sa.Connection, stockage: Stockage, nom: str) -> None:
    """Within the caller's transaction, the one lock under which a read model's rows and position
    are written: two followers in two processes (or two threads, two connections) apply a page
    one after the other, never both. PostgreSQL: an advisory lock per read model. SQLite: the
    database's write lock, taken now by a write that changes nothing (pysqlite begins the
    transaction before it), so that what is read next is read under it."""
    if stockage.postgres:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": cle_verrou(stockage, "modele:" + nom)})
    elif not nom.startswith("*"):
        conn.exec_driver_sql("UPDATE ledger_suivi SET position = position WHERE projection = ?", (nom,))
