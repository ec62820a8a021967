"""The annual bilan's charts (adapters/graphiques.py): drawn from a Bilan's figures alone, valid
PNG/SVG/PDF, byte-identical when drawn again (in this process or another), French labels and
territory names, and an empty bilan says "aucune donnée" instead of failing."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.graphiques import (
    AUCUNE_DONNEE,
    GRAPHIQUES,
    duree,
    ecrire_graphiques,
    nombre,
    pourcent,
)
from domain.territoire import Territoire
from projections.indicateurs import (
    Attribution,
    Bail,
    Bilan,
    DemandeActive,
    Faits,
    Periode,
    Proposition,
    Refus,
    calculer,
)

RACINE = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}svg"
NOMS = [nom for nom, _ in GRAPHIQUES]
PERIODE = Periode.annee(2024)

BAILLEURS = ("OPH-CPL", "ERILIA", "LOGIREM")
CONTINGENTS = ("COLTER", "COLACT", "PPRIOR", "AUCUN")
COMMUNES = ("06029", "06030", "06079", "06085")
TYPOLOGIES = ("T1", "T2", "T3", "T4")
MOTIFS = ("quartier", "loyer trop élevé", "logement trop petit")
STADES = ("avant_cal", "apres_cal", "absence_reponse")


def faits_types() -> Faits:
    """Sixty baux and attributions spread over bailleurs, contingents, communes and
    typologies, active demands, proposals and refusals: fixed, so every run draws the same."""
    f = Faits()
    for i in range(60):
        jour = date(2024, 1, 1) + timedelta(days=(i * 37) % 366)
        bail = Bail(
            f"d{i:03}", 9, jour, f"L{i}", BAILLEURS[i % 3], CONTINGENTS[i % 4], COMMUNES[i % 4],
            qpv=i % 5 == 0, typologie=TYPOLOGIES[i % 4], premier_quartile=i % 3 == 0,
            prioritaire=i % 4 == 0, dalo=i % 11 == 0,
            filed_on=jour - timedelta(days=200 + (i * 53) % 900), mutation=i % 6 == 0,
        )
        f.baux.append(bail)
        f.baux_douze_mois.append(bail)
        f.attributions.append(
            Attribution(
                bail.demande, 8, jour, bail.logement, 1, "attribution", bail.bailleur,
                bail.contingent, bail.commune, bail.qpv, bail.premier_quartile, bail.prioritaire,
                bail.dalo,
            )
        )
    for i in range(240):
        f.actives.append(
            DemandeActive(f"a{i:03}", date(2023, 1, 1), COMMUNES[i % 4], "T2", i % 7 == 0)
        )
    for i in range(80):
        f.propositions.append(Proposition(f"p{i}", 2, date(2024, 4, 1), "L", 1, BAILLEURS[i % 3], "AUCUN"))
    for i in range(20):
        f.refus.append(
            Refus(f"r{i}", 3, date(2024, 5, 1), "L", BAILLEURS[i % 3], STADES[i % 3], MOTIFS[i % 3],
                  "recevable" if i % 2 else "non_recevable")
        )
    return f


def bilan_de(faits: Faits, territoire: Territoire) -> Bilan:
    return Bilan(territoire.code, PERIODE, "journal", None, 4242, 1000,
                 calculer(faits, PERIODE, territoire))


@pytest.fixture(scope="module")
def bilan(territoire: Territoire) -> Bilan:
    return bilan_de(faits_types(), territoire)


@pytest.fixture(scope="module")
def bilan_vide(territoire: Territoire) -> Bilan:
    return bilan_de(Faits(), territoire)


def dimensions_png(chemin: Path) -> tuple[int, int]:
    donnees = chemin.read_bytes()
    assert donnees[:8] == PNG, f"{chemin.name} is not a PNG"
    assert donnees[12:16] == b"IHDR"
    largeur, hauteur = struct.unpack(">II", donnees[16:24])
    return largeur, hauteur


def textes_svg(chemin: Path) -> str:
    """Text is drawn as paths; matplotlib keeps each string in a comment beside it."""
    return chemin.read_text("utf-8")


def test_png_charts_are_written_readable_on_paper_and_identical_when_drawn_again(
    bilan: Bilan, territoire: Territoire, tmp_path: Path
) -> None:
    chemins = ecrire_graphiques(bilan, tmp_path / "a", "png", territoire)
    assert [p.name for p in chemins] == [f"{n}.png" for n in NOMS]
    for p in chemins:
        largeur, hauteur = dimensions_png(p)
        # At 150 dpi: at least 25 cm wide, so it prints at a readable size.
        assert largeur >= 1500 and hauteur >= 450, (p.name, largeur, hauteur)
    encore = ecrire_graphiques(bilan, tmp_path / "b", "png", territoire)
    assert [x.read_bytes() for x in chemins] == [y.read_bytes() for y in encore]


def test_svg_is_valid_and_byte_identical_across_runs(bilan: Bilan, territoire: Territoire, tmp_path: Path) -> None:
    a = ecrire_graphiques(bilan, tmp_path / "a", "svg", territoire)
    b = ecrire_graphiques(bilan, tmp_path / "b", "svg", territoire)
    for x, y in zip(a, b, strict=True):
        racine = ET.parse(x).getroot()
        assert racine.tag == SVG
        assert x.read_bytes() == y.read_bytes(), f"{x.name} differs between two runs"
        assert "<dc:date>" not in x.read_text("utf-8")  # no date in the metadata


def test_pdf_for_the_printed_bilan(bilan: Bilan, territoire: Territoire, tmp_path: Path) -> None:
    for p in ecrire_graphiques(bilan, tmp_path, "pdf", territoire):
        donnees = p.read_bytes()
        assert donnees.startswith(b"%PDF-") and b"/CreationDate" not in donnees


def test_svg_is_identical_from_another_process(bilan: Bilan, territoire: Territoire, tmp_path: Path) -> None:
    """Another interpreter (other hash seed, fresh matplotlib) draws the same bytes."""
    ici = ecrire_graphiques(bilan, tmp_path / "ici", "svg", territoire)
    script = (
        "import sys; from pathlib import Path;"
        "from tests.conftest import DEMO; from adapters.territory_file import load_territory;"
        "from tests.domain.test_graphiques import bilan_de, faits_types;"
        "from adapters.graphiques import ecrire_graphiques;"
        "t = load_territory(DEMO);"
        "ecrire_graphiques(bilan_de(faits_types(), t), Path(sys.argv[1]), 'svg', t)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "la")], check=True, cwd=RACINE, env=env)
    for x in ici:
        assert x.read_bytes() == (tmp_path / "la" / x.name).read_bytes(), x.name


def test_french_labels_targets_counts_and_names(bilan: Bilan, territoire: Territoire, tmp_path: Path) -> None:
    chemins = {p.stem: textes_svg(p) for p in ecrire_graphiques(bilan, tmp_path, "svg", territoire)}
    cibles = chemins["cibles_bailleur"]
    assert "Objectifs d'attribution par bailleur" in cibles
    assert "cible 25\u00a0%" in cibles and "cible 50\u00a0%" in cibles
    # The bars carry their counts n/d, as the figures have them.
    f = bilan.figure("premier_quartile_hors_qpv", "bailleur", "ERILIA")
    assert f is not None and f.valeur is not None
    assert f"{pourcent(f.valeur)}  ({f.numerateur}/{f.denominateur})" in cibles
    assert "OPH Cannes Pays de Lérins" in cibles  # the bailleur's name, from the territory
    assert "Action Logement" in chemins["cibles_reservataire"]
    attente = chemins["attente_commune"]
    assert "Le Cannet" in attente and "06030" not in attente
    m = bilan.figure("attente_moyenne", "commune", "06030")
    assert m is not None and m.valeur is not None and duree(m.valeur) in attente
    assert "mois" in chemins["attente_typologie"] and "T3" in chemins["attente_typologie"]
    assert "Territoire" in chemins["tension_pression"] and "Mougins" in chemins["tension_pression"]
    refus = chemins["refus"]
    assert "loyer trop élevé" in refus and "avant CAL (désistement)" in refus
    assert AUCUNE_DONNEE not in "".join(chemins.values())


def test_without_the_territory_communes_show_as_insee_codes(bilan: Bilan, tmp_path: Path) -> None:
    (attente,) = [p for p in ecrire_graphiques(bilan, tmp_path, "svg") if p.stem == "attente_commune"]
    texte = textes_svg(attente)
    assert "06030" in texte and "Le Cannet" not in texte


def test_an_empty_bilan_still_draws_every_chart_saying_so(bilan_vide: Bilan, tmp_path: Path) -> None:
    for fmt in ("png", "svg"):
        chemins = ecrire_graphiques(bilan_vide, tmp_path / fmt, fmt)
        assert [p.name for p in chemins] == [f"{n}.{fmt}" for n in NOMS]
        for p in chemins:
            if fmt == "png":
                dimensions_png(p)
            else:
                assert ET.parse(p).getroot().tag == SVG
                assert AUCUNE_DONNEE in textes_svg(p), p.name


def test_active_demands_without_any_bail(territoire: Territoire, tmp_path: Path) -> None:
    """Tension and pressure have no value without baux: the chart says how many demands."""
    f = Faits(actives=[DemandeActive("a", date(2023, 1, 1), "06029", "T2", False)])
    (p,) = [x for x in ecrire_graphiques(bilan_de(f, territoire), tmp_path, "svg", territoire)
            if x.stem == "tension_pression"]
    assert "1 demandes, aucun bail en 12 mois" in textes_svg(p)


def test_unknown_format_is_refused(bilan: Bilan, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected one of png, svg, pdf"):
        ecrire_graphiques(bilan, tmp_path, "gif")
    assert not list(tmp_path.iterdir())


def test_french_numbers() -> None:
    assert nombre(Decimal("1234.5"), 1) == "1\u00a0234,5"
    assert nombre(Decimal("2.5")) == "3" and nombre(0.125, 2) == "0,13"  # half-up, as the bilan
    assert pourcent(Decimal("13.95")) == "13,95\u00a0%"  # Sophia Antipolis 2017, outside QPV
    assert pourcent(Decimal("87.70")) == "87,70\u00a0%"
    assert pourcent(25, 0) == "25\u00a0%"
    assert duree(Decimal("365.3")) == "365\u00a0j (12,0\u00a0mois)"
