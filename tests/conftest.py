"""Fixtures: every storage test runs on the embedded SQLite default and on a real PostgreSQL,
each in a database (schema) of its own that is dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from adapters.clock import HorlogeReglable
from adapters.database import Stockage, depuis_url
from adapters.registre import Registre
from adapters.territory_file import load_territory
from domain import horloge
from domain.territoire import Territoire

RACINE = Path(__file__).resolve().parent.parent
DEMO = RACINE / "territories" / "cannes-pays-de-lerins.toml"


def url_postgres_de_test() -> str:
    url = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "LEDGER_TEST_DATABASE_URL is not set: run the suite through scripts/test, which "
            "provides a PostgreSQL; PostgreSQL tests are never skipped"
        )
    return url


@pytest.fixture(scope="session")
def territoire() -> Territoire:
    return load_territory(DEMO)


@pytest.fixture
def horloge_test() -> Iterator[HorlogeReglable]:
    h = HorlogeReglable(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)).installer()
    yield h
    horloge.reinitialiser()


@pytest.fixture
def schema_postgres() -> Iterator[str]:
    base = url_postgres_de_test()
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{base}?schema={schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def stockage(request: pytest.FixtureRequest, tmp_path: Path) -> Stockage:
    if request.param == "sqlite":
        return depuis_url(f"sqlite:///{tmp_path}/ledger.sqlite3")
    return depuis_url(request.getfixturevalue("schema_postgres"))


@pytest.fixture
def registre(stockage: Stockage, territoire: Territoire, horloge_test: HorlogeReglable) -> Iterator[Registre]:
    r = Registre(stockage, territoire)
    yield r
    r.close()
