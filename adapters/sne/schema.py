"""The interfaceNuu structure (`interfaceNuu.xsd`) loaded once with lxml, and how its errors are
told: each with the line of the file, the element (its path without namespace prefixes) and why.

lxml (libxml2, pinned in pyproject.toml) rather than xmlschema: `iterparse` streams the file and
lets each `demande` element be validated alone, in C, then dropped, so memory stays flat whatever
the file's size; every element keeps its source line for the error list; and one library both
reads and writes (`etree.xmlfile` streams the export). xmlschema is pure Python over
ElementTree and would add elementpath beside it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import msgspec
from lxml import etree

NS = "http://nuu.application.i2/"
XSD = Path(__file__).with_name("interfaceNuu.xsd")
_ACCOLADES = re.compile(r"\{[a-z]+://[^}]*\}")
_PREFIXE = re.compile(r"(?<=/)[A-Za-z0-9_]+:")


class ErreurSNE(msgspec.Struct, frozen=True, omit_defaults=True):
    """One reason a file (or one of its demands) cannot be imported."""

    ligne: int
    element: str
    raison: str
    numero_unique: str | None = None

    def __str__(self) -> str:
        qui = f" [{self.numero_unique}]" if self.numero_unique else ""
        return f"line {self.ligne}: {self.element}{qui}: {self.raison}"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def q(nom: str) -> str:
    """The qualified tag of an element of the national namespace."""
    return f"{{{NS}}}{nom}"


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)


def chemin(el: etree._Element) -> str:
    """`demande/demandeLogement/…/nom`: where an element is, without namespaces."""
    parties = []
    while el is not None:
        parties.append(local(el.tag))
        if parties[-1] == "demande":
            break  # a demand's elements are named from it, as the schema names them
        el = el.getparent()
    return "/".join(reversed(parties))


def valider(el: etree._Element) -> list[ErreurSNE]:
    """The schema's errors for one global element (`demande`, `entete`), as libxml2 reports
    them: after an element out of place, the rest of that element's content is not checked by
    the schema (the reader's own checks still read every value)."""
    s = schema()
    if s.validate(el):
        return []
    erreurs = []
    for e in s.error_log:
        element = _PREFIXE.sub("", e.path or "").lstrip("/") or local(el.tag)
        erreurs.append(ErreurSNE(ligne=e.line, element=element, raison=_raison(e.message)))
    return erreurs


def _raison(message: str) -> str:
    texte = _ACCOLADES.sub("", message).strip()
    # "Element 'x': …" — the element is already named beside the reason.
    return re.sub(r"^Element '[^']*'(, attribute '([^']*)')?: ", lambda m: f"attribute {m.group(2)}: " if m.group(2) else "", texte)
