"""No test depends on the day the suite runs (issue 8). The system clock can be moved
(LEDGER_HORLOGE, domain/horloge.py), in this process and in the subprocesses it starts; the tests
that work with dates (marked `calendrier`, tests/conftest.py) give the same outcomes with the
system clock on 1 March of a leap year, on 31 December late in the evening and on the real
today; and no product or test code reads the wall clock except through domain/horloge.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from adapters.generation import Parametres
from domain import horloge
from tests.conftest import RACINE, environnement_a_l_heure_des_tests

# -- the moved system clock -----------------------------------------------------------------------


@pytest.fixture
def systeme(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The system clock in force (no test clock), LEDGER_HORLOGE set by the test."""
    precedente = horloge.source()
    monkeypatch.delenv(horloge.VARIABLE, raising=False)
    horloge.reinitialiser()
    yield monkeypatch
    horloge.installer(precedente)


def _horloge_machine(tmp_path: Path) -> datetime:
    """The machine's time as the filesystem stamps a new file (not through the ledger's clock)."""
    temoin = tmp_path / f"temoin-{time.monotonic_ns()}"
    temoin.touch()
    return datetime.fromtimestamp(temoin.stat().st_mtime, UTC)


def test_without_ledger_horloge_the_system_clock_is_the_machine_s(systeme: pytest.MonkeyPatch, tmp_path: Path) -> None:
    avant = _horloge_machine(tmp_path)
    lu = horloge.maintenant()
    apres = _horloge_machine(tmp_path)
    assert avant.timestamp() - 1 <= lu.timestamp() <= apres.timestamp() + 1
    assert lu.tzinfo is not None


def test_a_day_alone_means_its_noon_in_paris_and_the_clock_runs_on(systeme: pytest.MonkeyPatch) -> None:
    systeme.setenv(horloge.VARIABLE, "2028-03-01")
    premier = horloge.maintenant()
    assert horloge.aujourdhui() == date(2028, 3, 1)
    assert abs((premier - datetime(2028, 3, 1, 11, 0, tzinfo=UTC)).total_seconds()) < 60  # noon, UTC+1
    time.sleep(0.01)
    second = horloge.maintenant()
    assert 0 < (second - premier).total_seconds() < 5  # real speed: instants still increase


def test_an_instant_keeps_its_offset_and_today_is_the_day_in_paris(systeme: pytest.MonkeyPatch) -> None:
    systeme.setenv(horloge.VARIABLE, "2026-12-31T23:30:00+01:00")
    assert horloge.aujourdhui() == date(2026, 12, 31)
    systeme.setenv(horloge.VARIABLE, "2026-12-31T23:30:00+00:00")  # 00:30 in Paris
    assert horloge.maintenant().date() == date(2026, 12, 31)
    assert horloge.aujourdhui() == date(2027, 1, 1)
    systeme.delenv(horloge.VARIABLE)
    assert horloge.aujourdhui().year < 2100  # unset again: the machine's clock


@pytest.mark.parametrize("valeur", ["demain", "2026-11-23T09:00:00", "2026-02-30", "23/11/2026"])
def test_a_value_that_is_no_instant_is_refused_naming_the_variable(systeme: pytest.MonkeyPatch, valeur: str) -> None:
    systeme.setenv(horloge.VARIABLE, valeur)
    with pytest.raises(horloge.HorlogeInvalide, match=f"LEDGER_HORLOGE='{re.escape(valeur)}'"):
        horloge.maintenant()


def test_the_default_history_ends_on_the_eve_of_the_clock_s_today() -> None:
    assert Parametres(annees=1).valider(date(2028, 3, 1)).jusquau == date(2028, 2, 29)
    assert Parametres(annees=1).valider(date(2027, 1, 1)).jusquau == date(2026, 12, 31)


def test_a_subprocess_reads_the_clock_it_is_given(tmp_path: Path) -> None:
    """scripts/generate in another process: on the suite's day by default, the history ends the
    day before; a bad LEDGER_HORLOGE is one clear line and exit status 2."""
    commande = [
        sys.executable, "-m", "adapters.generation", "--echelle", "0.005", "--annees", "1",
        "--seed", "5", "--database", f"sqlite:///{tmp_path}/g.sqlite3", "--quiet",
    ]
    r = subprocess.run(commande, cwd=RACINE, env=environnement_a_l_heure_des_tests(),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "2025-11-23 to 2026-11-22," in r.stdout and "on 2026-11-22" in r.stdout
    r = subprocess.run(commande, cwd=RACINE, env=environnement_a_l_heure_des_tests(LEDGER_HORLOGE="hier"),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert r.stderr.startswith("scripts/generate: error: LEDGER_HORLOGE='hier': expected an instant")


# -- the date-sensitive tests, on other days ------------------------------------------------------

JOURS = {
    # 1 March of a leap year: the day after 29 February, anniversaries and "one year ago" move.
    "2028-03-01": "2028-03-01T10:00:00+01:00",
    # 31 December at 23:30 in Paris: the last hour of the year, past 22:00 UTC.
    "2026-12-31": "2026-12-31T23:30:00+01:00",
}
# Today, the machine's clock, is the suite's own run: every test it re-runs here passed there.


def _issues(rapport: Path) -> dict[str, str]:
    """nodeid-like key -> passed / failed / error / skipped, from a JUnit XML report."""
    issues: dict[str, str] = {}
    for cas in ET.parse(rapport).getroot().iter("testcase"):
        cle = f"{cas.get('classname')}::{cas.get('name')}"
        etats = [e.tag for e in cas if e.tag in ("failure", "error", "skipped")]
        issues[cle] = {"failure": "failed"}.get(etats[0], etats[0]) if etats else "passed"
    return issues


def test_the_date_sensitive_tests_give_the_same_results_on_other_days(tmp_path: Path) -> None:
    """The tests marked `calendrier`, on SQLite (the PostgreSQL runs test the same dates), in
    one pytest process per day at once, each with its system clock on that day."""
    lances: dict[str, tuple[subprocess.Popen[bytes], Path, Path]] = {}
    for jour, instant in JOURS.items():
        env = {k: v for k, v in os.environ.items() if k != horloge.VARIABLE}
        if instant is not None:
            env[horloge.VARIABLE] = instant
        rapport, sortie = tmp_path / f"{jour}.xml", tmp_path / f"{jour}.out"
        commande = [
            sys.executable, "-m", "pytest", "-m", "calendrier", "-k", "not postgresql",
            "-p", "no:cacheprovider", "-o", "addopts=", f"--junitxml={rapport}",
            f"--basetemp={tmp_path / jour}",
        ]
        with sortie.open("wb") as f:
            lances[jour] = (
                subprocess.Popen(commande, cwd=RACINE, env=env, stdout=f, stderr=subprocess.STDOUT),
                rapport, sortie,
            )
    resultats: dict[str, dict[str, str]] = {}
    for jour, (processus, rapport, sortie) in lances.items():
        code = processus.wait(timeout=600)
        texte = sortie.read_text(errors="replace")
        attendu = f"LEDGER_HORLOGE={JOURS[jour]}, today {jour} "
        assert f"system clock: {attendu}" in texte, texte[:2000]
        assert code == 0, f"on {jour}:\n{texte[-6000:]}"
        resultats[jour] = _issues(rapport)
    # Today's outcome of each of these tests is "passed" (the suite's own run), so on every other
    # day each must pass too, and the same tests must have run.
    premier = next(iter(resultats.values()))
    assert len(premier) > 250
    for jour, issues in resultats.items():
        echecs = {k: v for k, v in issues.items() if v != "passed"}
        assert not echecs, f"on {jour}, outcomes differ from today's (passed): {echecs}"
        assert issues.keys() == premier.keys(), f"on {jour}, not the same tests ran"


# -- no wall-clock read outside domain/horloge.py --------------------------------------------------

LECTURES_DIRECTES = re.compile(
    r"\b(?:date\.today|datetime\.today|datetime\.now|datetime\.utcnow|time\.time)\("
)
DOSSIERS = ("domain", "projections", "adapters", "api", "tests")


def test_only_domain_horloge_reads_the_wall_clock() -> None:
    """Today and now come from domain/horloge.py (durations use time.monotonic or perf_counter),
    so that a test clock or LEDGER_HORLOGE reaches every read."""
    trouvees = [
        f"{chemin.relative_to(RACINE)}:{n}: {ligne.strip()}"
        for dossier in DOSSIERS
        for chemin in sorted((RACINE / dossier).rglob("*.py"))
        if chemin != RACINE / "domain" / "horloge.py"
        for n, ligne in enumerate(chemin.read_text("utf-8").splitlines(), 1)
        if LECTURES_DIRECTES.search(ligne)
    ]
    assert not trouvees, "read the time through domain.horloge instead:\n" + "\n".join(trouvees)
