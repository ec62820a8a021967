"""The observatory's figures as files: CSV that a French spreadsheet opens as it is (UTF-8 with
a byte-order mark, `;` between fields, decimal comma) and JSON for programs (decimals as strings,
so no digit is lost on the way)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import msgspec

from projections.indicateurs import LIBELLES, Bilan, Figure

COLONNES = (
    "indicateur", "libelle", "dimension", "cle", "numerateur", "denominateur", "valeur", "unite",
    "cible", "sens", "atteinte",
)


def _nombre(x: Decimal | int | None) -> str:
    return "" if x is None else str(x).replace(".", ",")


def _oui_non(x: bool | None) -> str:
    return "" if x is None else ("oui" if x else "non")


def ligne(f: Figure) -> list[str]:
    return [
        f.indicateur, LIBELLES.get(f.indicateur, ""), f.dimension, f.cle, _nombre(f.numerateur),
        _nombre(f.denominateur), _nombre(f.valeur), f.unite, _nombre(f.cible), f.sens or "",
        _oui_non(f.atteinte),
    ]


def en_csv(bilan: Bilan) -> bytes:
    tampon = io.StringIO()
    w = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    # The period heads the file, so a sheet opened later still says what it is about.
    w.writerow(["territoire", bilan.territoire, "du", bilan.periode.du.isoformat(),
                "au", bilan.periode.au.isoformat(), "source", bilan.source,
                "connu_a", bilan.connu_a.isoformat() if bilan.connu_a else "",
                "position", str(bilan.position)])
    w.writerow(COLONNES)
    for f in bilan.figures:
        w.writerow(ligne(f))
    return ("\ufeff" + tampon.getvalue()).encode("utf-8")


def en_json(bilan: Bilan) -> bytes:
    return msgspec.json.encode(bilan)


def depuis_json(donnees: bytes) -> Bilan:
    return msgspec.json.decode(donnees, type=Bilan)
