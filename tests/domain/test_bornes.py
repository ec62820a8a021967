"""The bounds of docs/rules.md ("Input limits"), checked by `domain.bornes.verifier` in two walks:
a quick one that only answers whether every value holds, and, when one does not, the walk that
names the field. Every kind of value out of bounds, deep in a structure, is refused naming its
field, and every value at its bound is accepted: the quick walk neither lets through what the
naming walk refuses nor refuses what it accepts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import msgspec
import pytest

from domain import bornes
from domain.erreurs import RegleEnfreinte


class Couleur(StrEnum):
    BLEU = "bleu\x00"  # an enum's value is the code's, never checked as text


class Feuille(msgspec.Struct, frozen=True):
    valeur: Any = None
    drapeau: bool = True
    couleur: Couleur = Couleur.BLEU


class Branche(msgspec.Struct, frozen=True):
    nom: str = "branche"
    feuilles: tuple[Feuille, ...] = ()
    index: dict[Any, Any] = {}
    quand: datetime | None = None


ACCEPTEES = [
    None,
    True,
    0,
    bornes.ENTIER_MAX,
    Decimal("1000000000"),
    Decimal("-1000000000"),
    Decimal("1.2345"),
    Decimal("1.23450000"),
    Decimal("1E+3"),
    Decimal("0E-40"),
    1.5,
    bornes.DATE_MIN,
    bornes.DATE_MAX,
    datetime(2199, 12, 31, 23, 59, tzinfo=UTC),
    "x" * bornes.TEXTE_MAX,
    "ligne\nligne\ttab",
    "",
    (),
    frozenset({1}),
    {"clé": "valeur"},
    Couleur.BLEU,
]
REFUSEES = [
    (-1, "nombre_hors_bornes"),
    (bornes.ENTIER_MAX + 1, "nombre_hors_bornes"),
    (Decimal("NaN"), "nombre_invalide"),
    (Decimal("Infinity"), "nombre_invalide"),
    (Decimal("1e999999999"), "nombre_hors_bornes"),
    (Decimal("1000000000.0001"), "nombre_hors_bornes"),
    (Decimal("1.23456"), "nombre_hors_bornes"),
    (Decimal("1E-70"), "nombre_hors_bornes"),
    (Decimal("0E-60"), "nombre_hors_bornes"),
    (float("inf"), "nombre_invalide"),
    (1e300, "nombre_hors_bornes"),
    (date(1899, 12, 31), "date_hors_bornes"),
    (datetime(2200, 1, 1), "date_hors_bornes"),
    ("x" * (bornes.TEXTE_MAX + 1), "texte_trop_long"),
    ("a\x00b", "caractere_interdit"),
    ("\u2028", "caractere_interdit"),
    ("\x85", "caractere_interdit"),
]


@pytest.mark.parametrize("valeur", ACCEPTEES, ids=repr)
def test_a_value_within_bounds_is_accepted_wherever_it_is(valeur: Any) -> None:
    for arbre in _places(valeur):
        bornes.verifier(arbre)


@pytest.mark.parametrize(("valeur", "regle"), REFUSEES, ids=lambda x: repr(x)[:30])
def test_a_value_out_of_bounds_is_refused_naming_its_field(valeur: Any, regle: str) -> None:
    champs = [
        "nom",
        "feuilles.1.valeur",
        "index.k",
        "index.<clé>",
        "feuilles.0.valeur.feuilles.0.valeur",
    ]
    for arbre, champ in zip(_places(valeur), champs, strict=True):
        with pytest.raises(RegleEnfreinte) as e:
            bornes.verifier(arbre)
        assert (e.value.regle, e.value.details["champ"]) == (regle, champ)


def test_the_first_value_out_of_bounds_in_field_order_is_the_one_named() -> None:
    arbre = Branche(feuilles=(Feuille(-1), Feuille("\x01")), index={"k": date(1800, 1, 1)})
    with pytest.raises(RegleEnfreinte) as e:
        bornes.verifier(arbre)
    assert e.value.details["champ"] == "feuilles.0.valeur"


def _places(valeur: Any) -> list[Any]:
    """`valeur` at five places of a structure: a field, a tuple's struct, a dict's value and key,
    a struct within a struct (a key must be hashable: an unhashable value is left out there)."""
    cle: Any = valeur
    try:
        hash(cle)
    except TypeError:
        cle = "k"
    return [
        Branche(nom=valeur),
        Branche(feuilles=(Feuille(1), Feuille(valeur))),
        Branche(index={"k": valeur}),
        Branche(index={cle: 1}),
        Branche(feuilles=(Feuille(Branche(feuilles=(Feuille(valeur),))),)),
    ]
