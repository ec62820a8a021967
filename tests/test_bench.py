"""Smoke test of `scripts/bench`: two of its fastest figures at the tiniest sizes on the test
PostgreSQL, run as a person runs it (a few seconds; it measures nothing worth keeping). It checks
that the script runs, prints its table, and gives each figure a baseline from the same run and a
ratio, in the table and in the JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parent.parent


def test_bench_prints_figures_beside_their_baselines(tmp_path: Path) -> None:
    url = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if not url:
        pytest.fail("LEDGER_TEST_DATABASE_URL is not set: run the suite through scripts/test")
    sortie = tmp_path / "bench.json"
    r = subprocess.run(
        [sys.executable, str(RACINE / "scripts" / "bench"), "--database", url,
         "--figures", "score,g", "--actives", "100", "--requetes", "10",
         "--commandes", "6", "--clients", "2", "--quiet", "--json", str(sortie)],
        capture_output=True, text=True, timeout=120, cwd=RACINE,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "baseline (same run)" in r.stdout and "ratio" in r.stdout

    lignes = {ligne.split("  ")[0]: ligne for ligne in r.stdout.splitlines() if ligne[:1] in ("d", "g")}
    assert set(lignes) == {"d", "g"}, r.stdout
    # Printed as: letter, figure, result, "baseline — what it is", ratio.
    for code, ligne in lignes.items():
        assert re.search(r" — .*\s\d+\.\d{3}\s", ligne), (code, ligne)

    resultat = json.loads(sortie.read_text())
    assert resultat["parametres"]["figures"] == ["d", "g"]
    figures = [f for f in resultat["figures"] if f["code"]]
    assert {f["code"] for f in figures} == {"d", "g"}
    for f in figures:
        assert f["resultat"] > 0 and f["base"] > 0 and f["ratio"] > 0, f
        assert f["base_figure"] and f["erreurs"] == 0, f
    assert any(f["figure"].startswith("commands over HTTP") for f in figures)
    assert any(f["figure"].startswith("score + explanation + rank over HTTP") for f in figures)


def test_bench_sne_and_flux_figures_run_at_tiny_sizes(tmp_path: Path) -> None:
    """(h) and (i): the import beside raw COPY and the plain library, peak memory in child
    processes, the feed's latency over HTTP; each line with its baseline and ratio."""
    url = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if not url:
        pytest.fail("LEDGER_TEST_DATABASE_URL is not set: run the suite through scripts/test")
    sortie = tmp_path / "bench.json"
    r = subprocess.run(
        [sys.executable, str(RACINE / "scripts" / "bench"), "--database", url, "--figures", "sne,flux",
         "--sne", "20", "--flux", "10", "--quiet", "--json", str(sortie)],
        capture_output=True, text=True, timeout=180, cwd=RACINE,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    figures = [f for f in json.loads(sortie.read_text())["figures"] if f["code"]]
    assert {f["code"] for f in figures} == {"h", "i"}
    for f in figures:
        assert f["resultat"] > 0 and f["base"] > 0 and f["ratio"] > 0 and f["erreurs"] == 0, f
    noms = [f["figure"] for f in figures]
    assert any(n.startswith("SNE import through the domain") for n in noms)
    assert sum(1 for n in noms if "peak memory" in n) == 2
    assert any(n.startswith("feed latency") for n in noms)


def test_bench_chain_figures_run_at_tiny_sizes(tmp_path: Path) -> None:
    """(l) and (m): appends with and without the hash chain, verifier-integrite beside the raw
    read; each line with its baseline and ratio."""
    url = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if not url:
        pytest.fail("LEDGER_TEST_DATABASE_URL is not set: run the suite through scripts/test")
    sortie = tmp_path / "bench.json"
    r = subprocess.run(
        [sys.executable, str(RACINE / "scripts" / "bench"), "--database", url, "--figures", "l,verification",
         "--chaine", "100", "--verification", "500", "--quiet", "--json", str(sortie)],
        capture_output=True, text=True, timeout=180, cwd=RACINE,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    figures = [f for f in json.loads(sortie.read_text())["figures"] if f["code"]]
    assert [f["code"] for f in figures] == ["l", "l", "m", "m"]
    for f in figures:
        assert f["resultat"] > 0 and f["base"] > 0 and f["ratio"] > 0 and f["erreurs"] == 0, f
    assert figures[0]["figure"].startswith("append with the hash chain")
    assert figures[2]["figure"].startswith("verifier-integrite, per million events")


def test_each_figure_is_announced_as_it_is_measured(capsys: pytest.CaptureFixture[str]) -> None:
    """A long run that dies late still shows on stderr what it had measured."""
    from adapters.banc.mesure import Figure, Releve

    figures: list[Figure] = Releve()
    figures += [Figure("d", "score over HTTP, p95", 14.25, "ms", 10.36, "ms", "in-process", sens="moins")]
    figures.append(Figure("", "fill", 1234.5, "demands/s"))
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "bench: measured d score over HTTP, p95: 14.25 ms — baseline 10.36 ms",
        "bench: measured · fill: 1,234.50 demands/s",
    ]
    assert [f.figure for f in figures] == ["score over HTTP, p95", "fill"]
