"""Reads a territory file (TOML) into a `Territoire`.

The file is written by people (or by `scripts/generate-demo-territory`) and read at start-up,
so every problem is reported as `<file>: <location>: <what is wrong>` and the first one found
stops the load: a ledger must not run on a half-understood territory. The format is
described in docs/territory.md.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import msgspec

from adapters.fichier_toml import FichierInvalide, lire_toml
from domain.codes import TypeOrganisation, TypeReservataire
from domain.territoire import (
    Agent,
    Cible,
    Commune,
    Convention,
    LogementSocial,
    Organisation,
    Territoire,
)

# The Etat's share of a bailleur's flux, and within it the share for public servants
# (L.441-1, R.441-5: at most 30 %, including at most 5 % for agents civils et militaires).
PART_ETAT_MAX = Decimal(30)
PART_FONCTIONNAIRES_MAX = Decimal(5)

__all__ = ["TerritoryFileError", "load_territory"]

_CONTINGENTS = "contingents"


class TerritoryFileError(FichierInvalide):
    """A territory file that cannot be used as it is; says which file, where, and why."""


def load_territory(path: str | Path) -> Territoire:
    """Loads and checks a territory file. Raises TerritoryFileError on any problem."""
    return _Loader(Path(path)).load()


class _Problem(Exception):
    # Internal: raised deep in the checks, turned into TerritoryFileError with the file name
    # at a single place so no message can forget it.
    def __init__(self, location: str, problem: str) -> None:
        super().__init__(location, problem)
        self.location = location
        self.problem = problem


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)

    def load(self) -> Territoire:
        try:
            return self._load()
        except _Problem as p:
            raise TerritoryFileError(self.name, p.location, p.problem) from None

    def _load(self) -> Territoire:
        raw = self._read()
        _check_keys(raw, Territoire, "")
        _check_nested_keys(raw)
        contingents = _take_contingents(raw)
        _normalise_seuils(raw)
        _normalise_parts(raw)
        self._resolve_grille(raw)

        values = _convert_fields(raw)
        _check_territory(values, contingents)
        try:
            return Territoire(**values)
        except (ValueError, TypeError) as e:  # the domain's own invariants, should we miss one
            raise _Problem("", str(e)) from None

    def _read(self) -> dict[str, Any]:
        try:
            return lire_toml(self.path)
        except ValueError as e:
            raise _Problem("", str(e)) from None

    def _resolve_grille(self, raw: dict[str, Any]) -> None:
        # Relative to the territory file, not to the working directory: the ledger may be
        # started from anywhere, and the pair of files travels together.
        grille = raw.get("grille")
        if isinstance(grille, str):
            if not grille.strip():
                raise _Problem("grille", "empty path")
            raw["grille"] = str((self.path.parent / grille).resolve())


# -- structure ----------------------------------------------------------------------------------


def _fields(struct: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    return {f.encode_name: f for f in msgspec.structs.fields(struct)}


def _check_keys(
    table: Any, struct: type[msgspec.Struct], location: str, extra: frozenset[str] = frozenset()
) -> None:
    # msgspec ignores unknown keys; in a hand-written file an unknown key is almost always a
    # typo (`vacnt = true`) that would otherwise silently take the default.
    if not isinstance(table, dict):
        return  # the conversion reports the wrong type, with its path
    known = set(_fields(struct)) | extra
    for key in table:
        if key not in known:
            raise _Problem(_join(location, key), f"unknown key (known: {', '.join(sorted(known))})")


def _check_nested_keys(raw: dict[str, Any]) -> None:
    for i, commune in _items(raw, "communes"):
        _check_keys(commune, Commune, f"communes[{i}]")
    for i, org in _items(raw, "organisations"):
        _check_keys(org, Organisation, f"organisations[{i}]", frozenset({_CONTINGENTS}))
        if isinstance(org, dict):
            for j, agent in _items(org, "agents"):
                _check_keys(agent, Agent, f"organisations[{i}].agents[{j}]")
    for i, logement in _items(raw, "logements"):
        _check_keys(logement, LogementSocial, f"logements[{i}]")
    for i, convention in _items(raw, "conventions"):
        _check_keys(convention, Convention, f"conventions[{i}]")
    for i, cible in _items(raw, "cibles"):
        _check_keys(cible, Cible, f"cibles[{i}]")


def _items(table: dict[str, Any], key: str) -> Iterator[tuple[int, Any]]:
    value = table.get(key)
    if isinstance(value, list):
        yield from enumerate(value)


def _take_contingents(raw: dict[str, Any]) -> dict[int, frozenset[TypeReservataire]]:
    """Contingents declared by each organisation, by its index in the file.

    Organisation has no field for them yet (see docs/territory.md), so they are checked here
    and removed before conversion; once the domain grows the field they are passed through."""
    keep = _CONTINGENTS in _fields(Organisation)
    found: dict[int, frozenset[TypeReservataire]] = {}
    for i, org in _items(raw, "organisations"):
        if not isinstance(org, dict) or _CONTINGENTS not in org:
            continue
        location = f"organisations[{i}].{_CONTINGENTS}"
        value = org[_CONTINGENTS] if keep else org.pop(_CONTINGENTS)
        if not isinstance(value, list):
            raise _Problem(location, f"expected a list of contingents, got {_kind(value)}")
        codes: set[TypeReservataire] = set()
        for j, code in enumerate(value):
            codes.add(_enum_value(TypeReservataire, code, f"{location}[{j}]"))
        found[i] = frozenset(codes)
    return found


def _normalise_seuils(raw: dict[str, Any]) -> None:
    # TOML keys are always strings and TOML has no decimal type: years arrive as "2024" and
    # amounts as strings, integers or floats. Floats go through their shortest repr so that
    # 9120.1 means 9120.1 and not the nearest binary fraction.
    seuils = raw.get("seuils_premier_quartile")
    if not isinstance(seuils, dict):
        return  # missing or mistyped: the conversion says so
    converted: dict[int, Decimal] = {}
    for key, value in seuils.items():
        location = f"seuils_premier_quartile.{key}"
        if not re.fullmatch(r"[0-9]{4}", key):
            raise _Problem(location, f"key {key!r} is not a year (four digits)")
        converted[int(key)] = _decimal(value, location)
    raw["seuils_premier_quartile"] = converted


def _normalise_parts(raw: dict[str, Any]) -> None:
    # A share may be written 25, 25.5 or "25.5": the same exact decimal.
    for i, convention in _items(raw, "conventions"):
        if isinstance(convention, dict) and "part" in convention:
            convention["part"] = _decimal(convention["part"], f"conventions[{i}].part")
    for i, cible in _items(raw, "cibles"):
        if isinstance(cible, dict) and "valeur" in cible:
            cible["valeur"] = _decimal(cible["valeur"], f"cibles[{i}].valeur")


def _decimal(value: Any, location: str) -> Decimal:
    if isinstance(value, bool):
        raise _Problem(location, f"expected an amount, got {_kind(value)}")
    try:
        if isinstance(value, str):
            amount = Decimal(value.strip())
        elif isinstance(value, int):
            amount = Decimal(value)
        elif isinstance(value, float):
            amount = Decimal(repr(value))
        else:
            raise _Problem(location, f"expected an amount, got {_kind(value)}")
    except InvalidOperation:
        raise _Problem(location, f"{value!r} is not a decimal amount") from None
    if not amount.is_finite() or amount < 0:
        raise _Problem(location, f"{value!r} is not a finite, non-negative amount")
    return amount


# -- conversion ---------------------------------------------------------------------------------

_MSGSPEC_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PATH_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _convert_fields(raw: dict[str, Any]) -> dict[str, Any]:
    # Field by field rather than the whole Territoire at once: Territoire.__post_init__ checks
    # references across fields and would report them without a location; converting the parts
    # first lets _check_territory report them with one.
    values: dict[str, Any] = {}
    for key, field in _fields(Territoire).items():
        if key not in raw:
            if field.required:
                raise _Problem(key, "missing key")
            continue
        try:
            values[field.name] = msgspec.convert(raw[key], type=field.type)
        except msgspec.ValidationError as e:
            raise _validation_problem(key, field.type, str(e)) from None
    return values


def _validation_problem(key: str, type_: Any, error: str) -> _Problem:
    match = _MSGSPEC_PATH.match(error)
    assert match is not None  # the pattern matches any string
    message, path = match["message"], match["path"] or ""
    location = key + path
    leaf = _type_at(type_, path)

    missing = re.fullmatch(r"Object missing required field `(.+)`", message)
    if missing:
        return _Problem(location, f"missing key {missing[1]!r}")
    bad_enum = re.fullmatch(r"Invalid enum value (.+)", message)
    if bad_enum and isinstance(leaf, type) and issubclass(leaf, enum.Enum):
        return _Problem(location, f"{bad_enum[1]} is not one of {_choices(leaf)}")
    expected = re.fullmatch(r"Expected `(.+)`, got `(.+)`", message)
    if expected:
        return _Problem(
            location, f"expected {_type_name(expected[1])}, got {_type_name(expected[2])}"
        )
    return _Problem(location, message)


def _type_at(type_: Any, path: str) -> Any:
    """The declared type at a msgspec error path, so that enum errors can list the choices."""
    for name, index in _PATH_TOKEN.findall(path):
        type_ = _strip_optional(type_)
        if name:
            if not (isinstance(type_, type) and issubclass(type_, msgspec.Struct)):
                return None
            fields = {f.encode_name: f.type for f in msgspec.structs.fields(type_)}
            type_ = fields.get(name)
        elif index:
            args = typing.get_args(type_)
            if not args:
                return None
            type_ = args[0]
    return _strip_optional(type_)


def _strip_optional(type_: Any) -> Any:
    if isinstance(type_, types.UnionType) or typing.get_origin(type_) is typing.Union:
        args = [a for a in typing.get_args(type_) if a is not type(None)]
        return args[0] if len(args) == 1 else type_
    return type_


_TYPE_NAMES = {
    "object": "a table",
    "array": "a list",
    "str": "a string",
    "int": "an integer",
    "float": "a float",
    "bool": "a boolean",
    "null": "nothing",
}


def _type_name(msgspec_name: str) -> str:
    # msgspec speaks JSON; the file's authors read TOML.
    return _TYPE_NAMES.get(msgspec_name, f"`{msgspec_name}`")


# -- meaning ------------------------------------------------------------------------------------


def _check_territory(
    values: dict[str, Any], contingents: Mapping[int, frozenset[TypeReservataire]]
) -> None:
    code: str = values["code"]
    if len(code) != 3:
        raise _Problem(
            "code", f"{code!r} must be exactly 3 characters (it opens every numéro unique)"
        )
    for key in ("delai_anormalement_long_mois", "retention_donnees_mois"):
        if key in values and values[key] <= 0:
            raise _Problem(key, f"{values[key]} must be a positive number of months")

    communes: tuple[Commune, ...] = values["communes"]
    insee_seen: dict[str, int] = {}
    for i, commune in enumerate(communes):
        if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", commune.insee):
            raise _Problem(f"communes[{i}].insee", f"{commune.insee!r} is not an INSEE code")
        _unique(insee_seen, commune.insee, i, f"communes[{i}].insee", "communes")

    qpv: tuple[str, ...] = values["qpv"]
    qpv_seen: dict[str, int] = {}
    for i, name in enumerate(qpv):
        if not name.strip():
            raise _Problem(f"qpv[{i}]", "empty QPV name")
        _unique(qpv_seen, name, i, f"qpv[{i}]", "qpv")

    organisations: tuple[Organisation, ...] = values["organisations"]
    by_code = _check_organisations(organisations)
    held = {org.code: contingents[i] for i, org in enumerate(organisations) if i in contingents}
    _check_logements(values["logements"], by_code, held, set(insee_seen), bool(qpv))
    _check_conventions(values.get("conventions", ()), by_code, set(insee_seen))


def _check_conventions(
    conventions: tuple[Convention, ...], by_code: Mapping[str, Organisation], insee: set[str]
) -> None:
    etat: dict[tuple[str, int], Decimal] = {}
    fonctionnaires: dict[tuple[str, int], Decimal] = {}
    total: dict[tuple[str, int], Decimal] = {}
    for i, cv in enumerate(conventions):
        at = f"conventions[{i}]"
        _org_of_kind(by_code, cv.reservataire, TypeOrganisation.reservataire, f"{at}.reservataire")
        _org_of_kind(by_code, cv.bailleur, TypeOrganisation.bailleur, f"{at}.bailleur")
        if cv.contingent is TypeReservataire.AUCUN:
            raise _Problem(f"{at}.contingent", "AUCUN is no réservataire's contingent")
        if (cv.part is None) == (cv.nombre is None):
            raise _Problem(at, "give the share either as part (% of the flux) or as nombre (vacancies)")
        if cv.part is not None and not (0 < cv.part <= 100):
            raise _Problem(f"{at}.part", f"{cv.part} is not a share of the flux in % (0 < part <= 100)")
        if cv.nombre is not None and cv.nombre <= 0:
            raise _Problem(f"{at}.nombre", f"{cv.nombre} is not a positive number of vacancies")
        if cv.commune is not None and cv.commune not in insee:
            raise _Problem(f"{at}.commune", f"{cv.commune!r} is not one of the communes")
        if cv.part is None or cv.typologie is not None or cv.commune is not None:
            continue
        cle = (cv.bailleur, cv.annee)
        total[cle] = total.get(cle, Decimal(0)) + cv.part
        if total[cle] > 100:
            raise _Problem(f"{at}.part", f"the shares of {cv.bailleur}'s flux in {cv.annee} add up to {total[cle]} %")
        if by_code[cv.reservataire].est(TypeOrganisation.etat):
            etat[cle] = etat.get(cle, Decimal(0)) + cv.part
            if etat[cle] > PART_ETAT_MAX:
                raise _Problem(
                    f"{at}.part",
                    f"the Etat's shares of {cv.bailleur}'s flux in {cv.annee} add up to {etat[cle]} %, "
                    f"above the {PART_ETAT_MAX} % the law allows (L.441-1)",
                )
            if cv.contingent is TypeReservataire.PFONCT:
                fonctionnaires[cle] = fonctionnaires.get(cle, Decimal(0)) + cv.part
                if fonctionnaires[cle] > PART_FONCTIONNAIRES_MAX:
                    raise _Problem(
                        f"{at}.part",
                        f"the Etat's share for public servants of {cv.bailleur}'s flux in {cv.annee} is "
                        f"{fonctionnaires[cle]} %, above {PART_FONCTIONNAIRES_MAX} %",
                    )


def _check_organisations(organisations: tuple[Organisation, ...]) -> dict[str, Organisation]:
    by_code: dict[str, Organisation] = {}
    code_index: dict[str, int] = {}
    guichet_index: dict[str, int] = {}
    token_at: dict[str, str] = {}
    for i, org in enumerate(organisations):
        at = f"organisations[{i}]"
        if not org.code.strip():
            raise _Problem(f"{at}.code", "empty organisation code")
        _unique(code_index, org.code, i, f"{at}.code", "organisations")
        by_code[org.code] = org
        if not org.types:
            raise _Problem(f"{at}.types", f"at least one of {_choices(TypeOrganisation)}")
        if org.code_guichet is not None:
            if len(org.code_guichet) != 5:
                raise _Problem(
                    f"{at}.code_guichet",
                    f"{org.code_guichet!r} must be exactly 5 characters (it closes the numéro unique)",
                )
            # The code is how a numéro unique tells which guichet minted it: it must not be shared.
            _unique(guichet_index, org.code_guichet, i, f"{at}.code_guichet", "organisations")
        agent_ids: dict[str, int] = {}
        for j, agent in enumerate(org.agents):
            where = f"{at}.agents[{j}]"
            _unique(agent_ids, agent.identifiant, j, f"{where}.identifiant", f"{at}.agents")
            # A token is what authenticates an agent and fixes its organisation: a blank one
            # or one shared by two agents would let events be recorded under the wrong name.
            if not agent.jeton.strip() or agent.jeton != agent.jeton.strip():
                raise _Problem(f"{where}.jeton", "empty or padded with spaces")
            if agent.jeton in token_at:
                raise _Problem(f"{where}.jeton", f"token already used by {token_at[agent.jeton]}")
            token_at[agent.jeton] = where
    return by_code


def _check_logements(
    logements: tuple[LogementSocial, ...],
    by_code: Mapping[str, Organisation],
    held: Mapping[str, frozenset[TypeReservataire]],
    insee: set[str],
    has_qpv: bool,
) -> None:
    ids: dict[str, int] = {}
    for i, lgt in enumerate(logements):
        at = f"logements[{i}]"
        if not lgt.identifiant.strip():
            raise _Problem(f"{at}.identifiant", "empty identifier")
        _unique(ids, lgt.identifiant, i, f"{at}.identifiant", "logements")
        _org_of_kind(by_code, lgt.bailleur, TypeOrganisation.bailleur, f"{at}.bailleur")
        if lgt.commune not in insee:
            raise _Problem(
                f"{at}.commune",
                f"{lgt.commune!r} is not one of the communes ({', '.join(sorted(insee))})",
            )
        if lgt.qpv and not has_qpv:
            raise _Problem(f"{at}.qpv", "true, but the territory declares no QPV")
        if lgt.reservataire is None:
            continue
        if lgt.contingent is TypeReservataire.AUCUN:
            raise _Problem(
                f"{at}.reservataire",
                f"{lgt.reservataire!r} given for a dwelling outside any contingent (AUCUN)",
            )
        _org_of_kind(by_code, lgt.reservataire, TypeOrganisation.reservataire, f"{at}.reservataire")
        declared = held.get(lgt.reservataire)
        if declared is not None and lgt.contingent not in declared:
            raise _Problem(
                f"{at}.contingent",
                f"{lgt.contingent.value} is not a contingent of {lgt.reservataire!r} "
                f"(it holds {', '.join(sorted(c.value for c in declared))})",
            )


def _org_of_kind(
    by_code: Mapping[str, Organisation], code: str, kind: TypeOrganisation, location: str
) -> None:
    org = by_code.get(code)
    if org is None:
        raise _Problem(location, f"{code!r} is not the code of an organisation of this file")
    if not org.est(kind):
        raise _Problem(location, f"{code!r} is not a {kind.value} (it is {_kinds(org)})")


# -- wording ------------------------------------------------------------------------------------


def _unique(seen: dict[str, int], value: str, index: int, location: str, where: str) -> None:
    if value in seen:
        raise _Problem(location, f"{value!r} already used at {where}[{seen[value]}]")
    seen[value] = index


def _enum_value(enum_type: type[enum.StrEnum], value: Any, location: str) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        raise _Problem(location, f"{value!r} is not one of {_choices(enum_type)}") from None


def _choices(enum_type: type[enum.Enum]) -> str:
    return ", ".join(str(m.value) for m in enum_type)


def _kinds(org: Organisation) -> str:
    return ", ".join(t.value for t in TypeOrganisation if t in org.types)


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _join(location: str, key: str) -> str:
    return f"{location}.{key}" if location else key
