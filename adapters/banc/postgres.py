"""The bench's PostgreSQL: which database, a schema of its own for each part (created at start,
dropped at the end, Ctrl-C included), and the raw sequential read of a log that baselines every
figure reading it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from adapters.banc.mesure import chrono

URL_PAR_DEFAUT = "postgresql://postgres@127.0.0.1:5432/test"


def url_base(option: str | None) -> str:
    """--database, else LEDGER_BENCH_DATABASE_URL, else LEDGER_TEST_DATABASE_URL, else the
    machine's `test` database."""
    return (
        option
        or os.environ.get("LEDGER_BENCH_DATABASE_URL")
        or os.environ.get("LEDGER_TEST_DATABASE_URL")
        or URL_PAR_DEFAUT
    )


def url_libpq(url: str) -> str:
    """The URL as psycopg takes it: no SQLAlchemy driver, no `?schema=`."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1).split("?", 1)[0]


@contextmanager
def schema_neuf(base: str, prefixe: str) -> Iterator[tuple[str, str]]:
    """(schema, the ledger's URL for it): a fresh `bench_<prefixe>_…` schema, dropped on exit."""
    import psycopg

    schema = f"bench_{prefixe}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema, f"{url_libpq(base)}?schema={schema}"
    finally:
        with psycopg.connect(url_libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def compter(base: str, schema: str, table: str) -> int:
    import psycopg

    with psycopg.connect(url_libpq(base), autocommit=True) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{schema}".{table}').fetchone()
        return int(row[0]) if row else 0


def lire_brut(base: str, schema: str) -> int:
    """Every stored event, in log order, through a psycopg server-side cursor (itersize 5000),
    decoding nothing; returns the rows read."""
    import psycopg

    n = 0
    with psycopg.connect(url_libpq(base)) as conn, conn.cursor(name="brut") as cur:
        cur.itersize = 5000
        cur.execute(
            f'SELECT originator_id, originator_version, topic, state FROM "{schema}".ledger_events '
            "ORDER BY notification_id"
        )
        for _ in cur:
            n += 1
    return n


def lecture_brute(base: str, schema: str, essais: int = 3) -> tuple[float, int]:
    """The raw sequential read: the best of `essais` timed reads after a warm-up (the table in
    PostgreSQL's cache for every figure, and the least disturbed try of a physical limit);
    (seconds, rows)."""
    lire_brut(base, schema)
    return min(chrono(lire_brut, base, schema) for _ in range(essais))
