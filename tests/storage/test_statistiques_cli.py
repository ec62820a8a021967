"""`ledger statistiques`, `ledger verifier-statistiques` and `ledger bilan` from the command line,
on SQLite and PostgreSQL, over the small history of tests/storage/test_statistiques.py."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.cli import main
from adapters.exports import depuis_json
from adapters.registre import Registre
from projections.indicateurs import Periode
from projections.journal import regenerer
from projections.vue_statistiques import tables_statistiques
from tests.storage.test_statistiques import histoire  # noqa: F401

pytestmark = pytest.mark.usefixtures("histoire")


def ledger(registre: Registre, *argv: str) -> int:
    return main(["--database", registre.stockage.url, *argv])


def test_table_for_a_terminal(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    assert ledger(registre, "statistiques", "--annee", "2026") == 0
    sortie, erreurs = capsys.readouterr()
    assert "2026-01-01 to 2026-12-31" in sortie and "as known now" in sortie
    assert f"up to log position {registre.position()}" in sortie
    lignes = sortie.splitlines()
    i = next(i for i, x in enumerate(lignes) if x.startswith("prioritaires_dalo — "))
    assert "attributions à des ménages DALO ou prioritaires (%)" in lignes[i]
    assert lignes[i + 1].split() == ["dimension", "key", "num", "den", "value", "target"]
    assert lignes[i + 2].split() == ["territoire", "—", "2", "3", "66.67", "%", "≥", "25", "%", "✓"]
    assert any(x.split()[:2] == ["territoire", "—"] and "69.0 j" in x for x in lignes)
    assert "reading the log" in erreurs  # the progress bar, on stderr


def test_csv_json_and_output_file(registre: Registre, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    attendu = regenerer(registre.engine, registre.stockage, registre.territoire, Periode.annee(2026))
    fichier = tmp_path / "b.json"
    assert ledger(registre, "statistiques", "--annee", "2026", "--format", "json", "--sortie", str(fichier),
                  "--quiet") == 0
    assert depuis_json(fichier.read_bytes()) == attendu
    capsys.readouterr()
    assert ledger(registre, "statistiques", "--du", "2026-01-01", "--au", "2026-12-31", "--format", "csv",
                  "--quiet") == 0
    sortie = capsys.readouterr().out
    assert sortie.startswith("\ufeff")
    lignes = list(csv.reader(io.StringIO(sortie.lstrip("\ufeff")), delimiter=";"))
    assert lignes[0][:4] == ["indicateur", "libelle", "dimension", "cle"]
    assert {(x[12], x[13], x[14]) for x in lignes[1:]} == {(registre.territoire.code, "2026-01-01", "2026-12-31")}
    assert len(lignes) == len(attendu.figures) + 1


def test_the_read_model_and_knowledge_time(
    registre: Registre, histoire: dict, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    assert ledger(registre, "statistiques", "--annee", "2026", "--source", "vue", "--format", "json",
                  "--quiet") == 0
    vue = depuis_json(capsys.readouterr().out.encode())
    assert vue.source == "vue" and vue.position == registre.position()
    journal = regenerer(registre.engine, registre.stockage, registre.territoire, Periode.annee(2026))
    assert vue.figures == journal.figures
    avant = histoire["avant_retractation"].isoformat()
    assert ledger(registre, "statistiques", "--annee", "2026", "--connu-a", avant, "--format", "json",
                  "--quiet") == 0
    b = json.loads(capsys.readouterr().out)
    assert datetime.fromisoformat(b["connu_a"]) == histoire["avant_retractation"]
    refus = next(f for f in b["figures"] if f["indicateur"] == "taux_refus" and f["dimension"] == "territoire")
    assert (refus["numerateur"], refus["denominateur"]) == (1, 4)  # the designation not yet retracted
    # Without an offset, an instant is UTC.
    assert ledger(registre, "statistiques", "--annee", "2026", "--connu-a", avant[:19], "--format", "json",
                  "--quiet") == 0
    connu_a = json.loads(capsys.readouterr().out)["connu_a"]
    assert datetime.fromisoformat(connu_a) == histoire["avant_retractation"]


def test_the_check_prints_zero_differences_then_each_difference(
    registre: Registre, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ledger(registre, "verifier-statistiques", "--annee", "2026", "--quiet") == 0
    sortie = capsys.readouterr().out
    assert sortie.startswith("0 differences between the raw log and the read model")
    assert ledger(registre, "verifier-statistiques", "--du", "2026-04-01", "--au", "2026-04-30", "--quiet") == 0
    capsys.readouterr()
    (t,) = tables_statistiques("")
    with registre.engine.begin() as conn:
        conn.execute(sa.delete(t).where(t.c.genre == "refus"))
    assert ledger(registre, "verifier-statistiques", "--annee", "2026", "--quiet") == 1
    sortie = capsys.readouterr().out.splitlines()
    assert "refus territoire —: raw log 1, read model absent" in sortie
    assert "taux_refus territoire —: raw log 1/3 = 33.33 %, read model 0/3 = 0.00 %" in sortie
    assert sortie[-1].startswith(f"{len(sortie) - 1} differences between")


def test_rebuild_statistiques(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    assert ledger(registre, "rebuild", "statistiques", "--quiet") == 0
    assert f"rebuilt statistiques: " in capsys.readouterr().out  # noqa: F541
    assert ledger(registre, "verifier-statistiques", "--annee", "2026", "--quiet") == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--annee", "deux-mille"], "argument --annee: 'deux-mille' is not a year"),
        (["--du", "2026-13-01", "--au", "2026-12-31"], "argument --du: '2026-13-01' is not a date"),
        (["--du", "2026-02-01", "--au", "2026-01-31"], "argument --au: the period ends on 2026-01-31 before"),
        ([], "a period is required: --annee YYYY, or --du"),
        (["--du", "2026-01-01"], "argument --au: required with --du"),
        (["--au", "2026-01-01"], "argument --du: required with --au"),
        (["--annee", "2026", "--du", "2026-01-01"], "argument --annee: not allowed with --du/--au"),
        (["--annee", "2026", "--connu-a", "hier"], "argument --connu-a: 'hier' is not an instant"),
        (["--annee", "2026", "--source", "vue", "--connu-a", "2026-11-23T12:00:00+00:00"],
         "argument --connu-a: needs --source journal"),
        (["--annee", "2026", "--source", "cache"], "argument --source: invalid choice: 'cache'"),
        (["--annee", "2026", "--format", "xlsx"], "argument --format: invalid choice: 'xlsx'"),
    ],
)
def test_clear_errors_naming_the_option(
    registre: Registre, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as sortie:
        ledger(registre, "statistiques", *argv)
    assert sortie.value.code == 2
    assert message in capsys.readouterr().err


def test_the_check_refuses_a_bad_period_too(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        ledger(registre, "verifier-statistiques", "--du", "2026-02-01", "--au", "2026-01-31")
    assert "argument --au: the period ends on" in capsys.readouterr().err


def test_annual_bilan_writes_csv_json_and_charts(
    registre: Registre, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dossier = tmp_path / "bilan"
    assert ledger(registre, "bilan", "--annee", "2026", "--dossier", str(dossier), "--quiet") == 0
    ecrits = [Path(x) for x in capsys.readouterr().out.split()]
    assert ecrits[:2] == [dossier / "indicateurs-2026.csv", dossier / "indicateurs-2026.json"]
    assert all(p.exists() and p.stat().st_size > 0 for p in ecrits)
    b = depuis_json((dossier / "indicateurs-2026.json").read_bytes())
    assert b.periode == Periode.annee(2026) and b.source == "journal"
    assert (dossier / "indicateurs-2026.csv").read_bytes().startswith("\ufeff".encode())
    try:
        import adapters.graphiques  # noqa: F401
    except ImportError:
        return
    assert len(ecrits) > 2  # the charts, when the charts module is there
