"""Fixtures: every storage test runs on the embedded SQLite default and on a real PostgreSQL,
each in a database (schema) of its own that is dropped afterwards.

No test depends on the day the suite runs. A test that needs "today" runs on a clock of its own
(`horloge_test`, standing at INSTANT_DES_TESTS, or one it installs); a subprocess gets
`environnement_a_l_heure_des_tests()` (LEDGER_HORLOGE, read by domain/horloge.py's system clock).
The suite may run with the system clock moved (`LEDGER_HORLOGE=2028-03-01 scripts/test`): the
header says which day the unpinned clock reads, and tests/test_calendrier.py re-runs the tests
marked `calendrier` (the files in FICHIERS_CALENDRIER) on other days and compares the outcomes."""

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
# "Now" for every test that depends on the date: a Monday, 10:00 in Europe/Paris.
INSTANT_DES_TESTS = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# Files whose tests work with dates (deadlines, schedule, scores and ranks as days pass, the
# demandeur's page, statistics, generated histories): tests/test_calendrier.py re-runs them with
# the system clock on other days. The Sophia scenario (its own fixed 2016-2017, half a minute to
# generate) stays out.
FICHIERS_CALENDRIER = frozenset({
    "test_cotation.py", "test_cotation_api.py", "test_deadlines.py", "test_demandeur.py",
    "test_generate.py", "test_http_life.py", "test_personal_data.py", "test_preconditions.py",
    "test_projections.py", "test_rang_rapide.py", "test_schedule_catch_up.py",
    "test_schedule_cli.py", "test_statistiques.py", "test_statistiques_api.py",
    "test_statistiques_cli.py", "test_vue_statistiques.py", "test_serveur.py", "test_cal.py",
    "test_gestion_en_flux.py", "test_dossier_unique.py", "test_dossier_unique_api.py",
    "test_prochain_changement.py",
    "test_justification_priorite.py", "test_demandeur_suivi.py", "test_statistiques_profils.py",
})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "calendrier: works with dates; re-run on other days by tests/test_calendrier.py"
    )
    valeur = os.environ.get(horloge.VARIABLE)
    if valeur:
        try:
            horloge.lire_instant(valeur)
        except horloge.HorlogeInvalide as e:
            raise pytest.UsageError(str(e)) from None


def pytest_report_header(config: pytest.Config) -> str:
    valeur = os.environ.get(horloge.VARIABLE)
    systeme = horloge.maintenant()  # nothing is installed yet: the system clock, moved or not
    lui = f"{horloge.VARIABLE}={valeur}" if valeur else "the machine's"
    return f"system clock: {lui}, today {systeme.astimezone(horloge.FUSEAU).date()} (Europe/Paris)"


# The longest files, started first: scripts/test spreads the files over two workers, and a long
# file collected last would run alone at the end (it did: 13.5 minutes instead of about 10).
LES_PLUS_LONGS = (
    "test_calendrier.py", "test_generate.py", "test_navigateur.py", "test_schemathesis.py", "test_bench.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in FICHIERS_CALENDRIER and "sophia" not in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.calendrier)
    rang = {nom: i for i, nom in enumerate(LES_PLUS_LONGS)}
    items.sort(key=lambda item: rang.get(item.path.name, len(rang)))  # stable: the rest keep their order


def environnement_a_l_heure_des_tests(**autres: str) -> dict[str, str]:
    """The environment for a subprocess (`ledger …`, `scripts/generate`) that must see the suite's
    day: its system clock starts at INSTANT_DES_TESTS."""
    return {**os.environ, horloge.VARIABLE: INSTANT_DES_TESTS.isoformat(), **autres}


def url_postgres_de_test() -> str:
    url = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "LEDGER_TEST_DATABASE_URL is not set: run the suite through scripts/test, which "
            "provides a PostgreSQL; PostgreSQL tests are never skipped"
        )
    return url


@pytest.fixture(autouse=True)
def cle_de_signature(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's checkpoint signing key in its own folder (adapters/integrite.py), never in
    the working directory's var/, for itself and the processes it starts."""
    chemin = tmp_path / "cle-signature.pem"
    monkeypatch.setenv("LEDGER_CLE_SIGNATURE", str(chemin))
    return chemin


@pytest.fixture(scope="session")
def territoire() -> Territoire:
    return load_territory(DEMO)


@pytest.fixture
def horloge_test() -> Iterator[HorlogeReglable]:
    """The suite's clock, standing at INSTANT_DES_TESTS until a test moves it; afterwards the
    clock that was in force comes back (a module's own fixed clock, or the system's)."""
    precedente = horloge.source()
    h = HorlogeReglable(INSTANT_DES_TESTS).installer()
    yield h
    horloge.installer(precedente)


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
