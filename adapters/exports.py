"""The observatory's figures as files: CSV that a French spreadsheet opens as it is (UTF-8 with
a byte-order mark, `;` between fields, decimal comma), XLSX (openpyxl) and JSON for programs
(decimals as strings, so no digit is lost on the way).

In both, the header is the first row and each row carries its figure's key, the key's name
(`nom`: the commune's, bailleur's or réservataire's) and the period and source it belongs to. In
the XLSX file every code stays text — an INSEE code `06029`
is not the number 6029, a numéro or an organisation code is never reinterpreted — and a name
column stands beside the key (`nom`: the commune's, bailleur's or réservataire's name); figures
are numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from decimal import Decimal

import msgspec

from domain.territoire import Territoire
from projections.indicateurs import LIBELLES, Bilan, Figure

COLONNES = (
    "indicateur", "libelle", "dimension", "cle", "nom", "numerateur", "denominateur", "valeur", "unite",
    "cible", "sens", "atteinte", "territoire", "du", "au", "source", "connu_a", "position",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def noms_du_territoire(territoire: Territoire | None) -> dict[str, str]:
    """The names shown beside codes: communes by INSEE code, organisations by code."""
    if territoire is None:
        return {}
    return {**{c.insee: c.nom for c in territoire.communes}, **{o.code: o.nom for o in territoire.organisations}}


def nom_de_cle(cle: str, noms: Mapping[str, str]) -> str:
    """The name of a figure's key: a commune's or an organisation's; for a composite key
    (`T2 06029`) each part named where it has a name."""
    if cle in noms:
        return noms[cle]
    parties = cle.split(" ")
    if len(parties) > 1 and any(x in noms for x in parties):
        return " ".join(noms.get(x, x) for x in parties)
    return ""


def _nombre(x: Decimal | int | None) -> str:
    return "" if x is None else str(x).replace(".", ",")


def _oui_non(x: bool | None) -> str:
    return "" if x is None else ("oui" if x else "non")


def _periode(bilan: Bilan) -> list[str]:
    return [bilan.territoire, bilan.periode.du.isoformat(), bilan.periode.au.isoformat(), bilan.source,
            bilan.connu_a.isoformat() if bilan.connu_a else "", str(bilan.position)]


def ligne(f: Figure, noms: Mapping[str, str] | None = None) -> list[str]:
    return [
        f.indicateur, LIBELLES.get(f.indicateur, ""), f.dimension, f.cle, nom_de_cle(f.cle, noms or {}),
        _nombre(f.numerateur), _nombre(f.denominateur), _nombre(f.valeur), f.unite, _nombre(f.cible),
        f.sens or "", _oui_non(f.atteinte),
    ]


def en_csv(bilan: Bilan, noms: Mapping[str, str] | None = None) -> bytes:
    """The header on the first row; each row a figure, its key's name beside it, and the period
    and source it belongs to (so that a sheet opened later still says what it is about)."""
    tampon = io.StringIO()
    w = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    w.writerow(COLONNES)
    periode = _periode(bilan)
    for f in bilan.figures:
        w.writerow(ligne(f, noms) + periode)
    return ("\ufeff" + tampon.getvalue()).encode("utf-8")


def en_json(bilan: Bilan) -> bytes:
    return msgspec.json.encode(bilan)


def depuis_json(donnees: bytes) -> Bilan:
    return msgspec.json.decode(donnees, type=Bilan)


def en_xlsx(bilan: Bilan, noms: Mapping[str, str] | None = None) -> bytes:
    """The bilan as a workbook: sheet `indicateurs`, the CSV's rows with the header on row 1,
    codes as text and figures as numbers (`noms`: code -> name, `noms_du_territoire`)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell

    noms = noms or {}
    classeur = Workbook()
    feuille = classeur.active
    assert feuille is not None
    feuille.title = "indicateurs"
    feuille.append(list(COLONNES))
    periode = _periode(bilan)
    for f in bilan.figures:
        feuille.append([
            f.indicateur, LIBELLES.get(f.indicateur, ""), f.dimension, f.cle, nom_de_cle(f.cle, noms),
            f.numerateur, f.denominateur, float(f.valeur) if f.valeur is not None else None, f.unite,
            float(f.cible) if f.cible is not None else None, f.sens or "", _oui_non(f.atteinte), *periode,
        ])
        # Codes are text: the cell's number format '@' keeps Excel from reading 06029 as 6029.
        for colonne in (1, 3, 4, 5, 13, 14, 15, 16, 17, 18):
            c = feuille.cell(row=feuille.max_row, column=colonne)
            assert isinstance(c, Cell)
            c.data_type = "s"
            c.number_format = "@"
    feuille.freeze_panes = "A2"
    tampon = io.BytesIO()
    classeur.save(tampon)
    return tampon.getvalue()
