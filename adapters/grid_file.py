"""Reads a cotation grid file (TOML) into a `Grille` (format: docs/cotation.md).

Every problem is reported as `<file>: <location>: <what is wrong>`, the location naming the
faulty version and criterion (`versions[0] (2024-01).criteres[12] (heberge_tiers)`), and the
first one found stops the load: a ledger must not score with a half-understood grid.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec

from adapters.fichier_toml import FichierInvalide, lire_toml
from domain.cotation import Grille

__all__ = ["GridFileError", "load_grid"]


class GridFileError(FichierInvalide):
    """A grid file that cannot be used as it is; says which file, where, and why."""


def load_grid(path: str | Path) -> Grille:
    """Loads and checks a grid file. Raises GridFileError on any problem."""
    nom = str(path)
    raw = _read(Path(path), nom)
    try:
        return msgspec.convert(raw, type=Grille)
    except msgspec.ValidationError as e:
        location, problem = _locate(raw, str(e))
        raise GridFileError(nom, location, problem) from None


def _read(path: Path, nom: str) -> dict[str, Any]:
    try:
        return lire_toml(path)
    except ValueError as e:
        raise GridFileError(nom, "", str(e)) from None


_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _locate(raw: Any, error: str) -> tuple[str, str]:
    """Turns msgspec's `$.versions[0].criteres[3]` into a location a grid author recognises:
    each version and criterion is named by its `version` or `code` when the file gives one."""
    match = _PATH.match(error)
    assert match is not None
    message, path = match["message"], match["path"] or ""
    parts: list[str] = []
    node: Any = raw
    for key, index in _TOKEN.findall(path):
        if key:
            parts.append(("." if parts else "") + key)
            node = node.get(key) if isinstance(node, dict) else None
        else:
            i = int(index)
            node = node[i] if isinstance(node, list) and i < len(node) else None
            nom = None
            if isinstance(node, dict):
                nom = node.get("code", node.get("version"))
            parts.append(f"[{i}]" + (f" ({nom})" if isinstance(nom, str) else ""))
    missing = re.fullmatch(r"Object missing required field `(.+)`", message)
    if missing:
        message = f"missing key {missing[1]!r}"
    unknown = re.fullmatch(r"Object contains unknown field `(.+)`", message)
    if unknown:
        message = f"unknown key {unknown[1]!r}"
    return "".join(parts), message
