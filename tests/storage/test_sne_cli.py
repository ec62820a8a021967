"""`ledger importer-sne` and `ledger exporter-sne` as a person runs them (docs/sne.md): the sample
imports, exports as of its day and re-imports to nothing; a file with planted errors is refused
with exit 1, every error on stderr and nothing appended, with the import's process alone or with
worker processes (`--processes 2`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli import main
from adapters.registre import Registre
from tests import sne_fichiers as f


@pytest.mark.parametrize("processus", [1, 2], ids=["alone", "workers"])
def test_import_export_reimport_from_the_command_line(
    registre: Registre, tmp_path: Path, capsys: pytest.CaptureFixture[str], processus: int
) -> None:
    base = ["--database", registre.stockage.url]
    options = ["--organisation", "CANNES", "--quiet", "--processes", str(processus)]
    assert main([*base, "importer-sne", str(f.EXEMPLE), *options]) == 0
    sortie = capsys.readouterr().out
    assert "1 demand(s) read: 1 registered" in sortie and "1 event(s) appended" in sortie, sortie
    position = registre.position()

    export = tmp_path / "export.xml"
    assert main([*base, "exporter-sne", "--au", "2018-03-15", "--sortie", str(export)]) == 0
    assert f.canonique(export.read_bytes()) == f.canonique(f.EXEMPLE.read_bytes())
    capsys.readouterr()
    assert main([*base, "importer-sne", str(export), *options]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert registre.position() == position

    plante = tmp_path / "plante.xml"
    plante.write_bytes(f.plante())
    assert main([*base, "importer-sne", str(plante), *options]) == 1
    lu = capsys.readouterr()
    assert "file refused: 10 error(s)" in lu.out, lu.out
    for _, _, element, _ in f.PLANTEES:
        assert element in lu.err, (element, lu.err)
    assert registre.position() == position


def test_the_import_shows_the_reading_then_the_move_into_the_log(
    registre: Registre, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--database", registre.stockage.url]
    assert main([*base, "importer-sne", str(f.EXEMPLE), "--organisation", "CANNES"]) == 0
    bars = capsys.readouterr().err
    assert f"{f.EXEMPLE.name}: 100%" in bars and f"{f.EXEMPLE.name} into the log: 100%" in bars, bars
    assert bars.index(f"{f.EXEMPLE.name}: 100%") < bars.index("into the log")
