"""Guard against PostgreSQL tests being skipped silently.

scripts/test always provides a PostgreSQL database and exports its URL as
LEDGER_TEST_DATABASE_URL. This test fails -- it never skips -- when that variable
is missing or the database does not answer, so a run without PostgreSQL can't pass.
"""

import os
import re

import psycopg
import pytest


def _redact(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def test_postgres_is_available() -> None:
    url = os.environ.get("LEDGER_TEST_DATABASE_URL", "").strip()
    if not url:
        pytest.fail(
            "LEDGER_TEST_DATABASE_URL is not set: PostgreSQL tests would not run. "
            "Run the tests through scripts/test (it finds or starts a PostgreSQL), "
            "or export LEDGER_TEST_DATABASE_URL=postgresql://USER@HOST:PORT/DB.",
            pytrace=False,
        )
    libpq_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(libpq_url, connect_timeout=10) as conn:
            row = conn.execute("select 1").fetchone()
    except psycopg.Error as exc:
        pytest.fail(
            f"cannot connect to LEDGER_TEST_DATABASE_URL={_redact(url)}: {exc}",
            pytrace=False,
        )
    assert row == (1,), f"'select 1' returned {row!r}"
