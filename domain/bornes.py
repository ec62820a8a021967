"""The bounds every value a command brings must stay within, checked in one place before any
fact is recorded: an accepted value is in the log for ever, and a value no later computation
can handle (an amount of 1e999999999, `NaN`, a date in year 1, a numéro that cannot travel in a
URL) would break every read of the demand after it (docs/rules.md, "Input limits").

`verifier(commande)` walks the command's msgspec struct, whatever its shape, and refuses the
first value out of bounds with a `RegleEnfreinte` naming the field (`champ`, a dotted path such
as `membres.0.ressources.0.montant_mensuel`). The rules that need the territory (communes) or a
field's meaning (negative amounts) stay with the domain's checks (`domain/verifications.py`)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import msgspec

from domain.erreurs import RegleEnfreinte

# Amounts (€ per month or per year), rents and surfaces: finite, at most a billion, at most
# four decimal places (cents and a little more for rates).
DECIMAL_MAX = Decimal("1000000000")
DECIMALES_MAX = 4
# Counts, ranks, days, event numbers, years: 0 to a billion (none of them is ever negative).
ENTIER_MAX = 1_000_000_000
# Dates a demand can carry: births from 1900, deadlines and expected births before 2200.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2199, 12, 31)
# Strings: free text up to 2,000 characters, printable (line breaks and tabs allowed), never a
# NUL or another control character.
TEXTE_MAX = 2000
_CONTROLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# A numéro unique: the national shape (territory 3 + MMYY + 6-digit sequence + guichet 5, 18
# characters, digits and capital letters) or, for a demand imported from elsewhere, the safe
# alphabet: ASCII letters, digits, `-` and `_`, starting with a letter or digit, 1 to 40
# characters. Nothing that a URL path, a header or a file name would have to escape.
NUMERO_UNIQUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
NUMERO_NATIONAL = re.compile(r"^[0-9A-Z]{3}[0-9]{4}[0-9]{6}[0-9A-Z]{5}$")


def _refus(regle: str, champ: str, message: str) -> RegleEnfreinte:
    return RegleEnfreinte(regle, f"{champ}: {message}", champ=champ)


def decimal(champ: str, x: Decimal) -> None:
    if not x.is_finite():
        raise _refus("nombre_invalide", champ, f"{x} is not a finite number")
    # Compared through the exponent: arithmetic on 1e999999999 would itself overflow.
    if x and (x.adjusted() > DECIMAL_MAX.adjusted() or x.copy_abs() > DECIMAL_MAX):
        raise _refus(
            "nombre_hors_bornes", champ, f"{x} is beyond {DECIMAL_MAX:,} in absolute value"
        )
    t = x.as_tuple()
    exposant = t.exponent
    assert isinstance(exposant, int)  # finite
    en_trop = -exposant - DECIMALES_MAX  # digits written beyond the fourth decimal place
    if en_trop > 0 and (en_trop > 50 or any(t.digits[-en_trop:])):
        raise _refus(
            "nombre_hors_bornes", champ, f"{x} has more than {DECIMALES_MAX} decimal places"
        )


def entier(champ: str, n: int) -> None:
    if not 0 <= n <= ENTIER_MAX:
        raise _refus("nombre_hors_bornes", champ, f"{n} is outside 0..{ENTIER_MAX:,}")


def jour(champ: str, d: date) -> None:
    if not DATE_MIN <= d <= DATE_MAX:
        raise _refus(
            "date_hors_bornes",
            champ,
            f"{d.isoformat()} is outside {DATE_MIN.isoformat()}..{DATE_MAX.isoformat()}",
        )


def texte(champ: str, s: str) -> None:
    if len(s) > TEXTE_MAX:
        raise _refus("texte_trop_long", champ, f"{len(s)} characters, at most {TEXTE_MAX}")
    m = _CONTROLE.search(s)
    if m is not None:
        raise _refus(
            "caractere_interdit", champ, f"control character U+{ord(m.group()):04X} at {m.start()}"
        )


def numero_unique(n: str, champ: str = "numero_unique") -> None:
    """The shape a numéro unique must have to be stored (and addressed again, in a URL)."""
    if not NUMERO_UNIQUE.match(n):
        raise RegleEnfreinte(
            "numero_unique_invalide",
            f"{champ}: {n[:50]!r} is neither the national 18-character shape nor 1 to 40 of "
            "A-Z, a-z, 0-9, '-' and '_' (starting with a letter or digit)",
            champ=champ,
        )


def verifier(valeur: Any, champ: str = "") -> None:
    """Every number, date and string in `valeur` (a command struct, recursively) within bounds.

    A first walk only answers whether everything holds, building no field path (a bulk import
    checks hundreds of values per demand); when something does not, the walk that names the
    field runs and raises the same refusal it always did."""
    if not _tient(valeur):
        _verifier(valeur, champ)


# What each type of value is, decided once per type by the same tests, in the same order, as
# `_verifier`'s (a bool is an int, a StrEnum a str: the first test that holds wins).
_RIEN, _STRUCT, _SUITE, _DICT, _DECIMAL, _ENTIER, _FLOTTANT, _INSTANT, _DATE, _TEXTE = range(10)
_GENRES: dict[type, int] = {}


def _genre(t: type) -> int:
    if issubclass(t, bool | Enum):
        g = _RIEN
    elif issubclass(t, msgspec.Struct):
        g = _STRUCT
    elif issubclass(t, tuple | list | frozenset | set):
        g = _SUITE
    elif issubclass(t, dict):
        g = _DICT
    elif issubclass(t, Decimal):
        g = _DECIMAL
    elif issubclass(t, int):
        g = _ENTIER
    elif issubclass(t, float):
        g = _FLOTTANT
    elif issubclass(t, datetime):
        g = _INSTANT
    elif issubclass(t, date):
        g = _DATE
    elif issubclass(t, str):
        g = _TEXTE
    else:
        g = _RIEN
    _GENRES[t] = g
    return g


def _tient(racine: Any) -> bool:
    """Whether `_verifier(racine)` would accept it (that one says why when not): the same values,
    walked with a stack rather than a call per value."""
    pile = [racine]
    pop, etendre, genres = pile.pop, pile.extend, _GENRES
    while pile:
        v = pop()
        if v is None:
            continue
        t = type(v)
        g = genres.get(t, -1)
        if g < 0:
            g = _genre(t)
        if g == _TEXTE:
            if len(v) > TEXTE_MAX or _CONTROLE.search(v) is not None:
                return False
        elif g == _STRUCT:
            etendre(msgspec.structs.astuple(v))
        elif g == _SUITE:
            etendre(v)
        elif g == _ENTIER:
            if not 0 <= v <= ENTIER_MAX:
                return False
        elif g == _DATE:
            if not DATE_MIN <= v <= DATE_MAX:
                return False
        elif g == _DECIMAL:
            # The common case decided at once: finite, at most four decimal places, within the
            # bound (which implies the exponent test of `decimal`); anything else asks it.
            e = v.as_tuple().exponent
            if not (
                isinstance(e, int) and e >= -DECIMALES_MAX and v.copy_abs() <= DECIMAL_MAX
            ) and not _decimal_tient(v):
                return False
        elif g == _DICT:
            etendre(v)
            etendre(v.values())
        elif g == _INSTANT:
            if not DATE_MIN <= v.date() <= DATE_MAX:
                return False
        elif g == _FLOTTANT and not _decimal_tient(Decimal(v)):
            return False
    return True


def _decimal_tient(x: Decimal) -> bool:
    try:
        decimal("", x)
    except RegleEnfreinte:
        return False
    return True


def _verifier(valeur: Any, champ: str = "") -> None:
    if valeur is None or isinstance(valeur, bool | Enum):
        return
    if isinstance(valeur, msgspec.Struct):
        for nom in valeur.__struct_fields__:
            _verifier(getattr(valeur, nom), f"{champ}.{nom}" if champ else nom)
    elif isinstance(valeur, tuple | list | frozenset | set):
        for i, v in enumerate(valeur):
            _verifier(v, f"{champ}.{i}")
    elif isinstance(valeur, dict):
        for k, v in valeur.items():
            _verifier(k, f"{champ}.<clé>")
            _verifier(v, f"{champ}.{k}")
    elif isinstance(valeur, Decimal):
        decimal(champ, valeur)
    elif isinstance(valeur, int):
        entier(champ, valeur)
    elif isinstance(valeur, float):
        decimal(champ, Decimal(valeur))
    elif isinstance(valeur, datetime):
        jour(champ, valeur.date())
    elif isinstance(valeur, date):
        jour(champ, valeur)
    elif isinstance(valeur, str):
        texte(champ, valeur)
