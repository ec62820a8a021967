"""PDF documents the ledger regenerates from its log (minutes of a CAL, attestations): a title,
headings, paragraphs and tables, in French, A4, a sober look of our own.

Byte-identical whenever regenerated from the same content (reportlab's invariant mode: no
creation date, a document id derived from the content), so that a document handed out years ago
can be regenerated and compared, and a test can say "identical"."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

import msgspec
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable


class Titre(msgspec.Struct, frozen=True, tag="titre"):
    texte: str


class Paragraphe(msgspec.Struct, frozen=True, tag="paragraphe"):
    texte: str


class Tableau(msgspec.Struct, frozen=True, tag="tableau"):
    entetes: tuple[str, ...]
    lignes: tuple[tuple[str, ...], ...]


Bloc = Titre | Paragraphe | Tableau

_STYLES = getSampleStyleSheet()
_TITRE = ParagraphStyle("titre", parent=_STYLES["Title"], fontSize=16, spaceAfter=6 * mm)
_INTERTITRE = ParagraphStyle("intertitre", parent=_STYLES["Heading2"], fontSize=12, spaceBefore=4 * mm)
_TEXTE = ParagraphStyle("texte", parent=_STYLES["BodyText"], fontSize=9.5, leading=12)
_CELLULE = ParagraphStyle("cellule", parent=_TEXTE, fontSize=8.5, leading=10)


def _p(texte: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(texte), style)


def document(titre: str, blocs: Sequence[Bloc], auteur: str = "Demand Ledger") -> bytes:
    """The PDF of `titre` and its blocks; the same arguments always give the same bytes."""
    tampon = io.BytesIO()
    pdf = SimpleDocTemplate(
        tampon, pagesize=A4, title=titre, author=auteur, creator="Demand Ledger",
        leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        invariant=1,
    )
    contenu: list[Flowable] = [_p(titre, _TITRE)]
    for b in blocs:
        if isinstance(b, Titre):
            contenu.append(_p(b.texte, _INTERTITRE))
        elif isinstance(b, Paragraphe):
            contenu += [_p(b.texte, _TEXTE), Spacer(1, 2 * mm)]
        else:
            donnees = [[_p(x, _CELLULE) for x in b.entetes]] + [[_p(x, _CELLULE) for x in ligne] for ligne in b.lignes]
            t = Table(donnees, repeatRows=1, hAlign="LEFT")
            t.setStyle(TableStyle([
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#808080")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            contenu += [t, Spacer(1, 3 * mm)]
    pdf.build(contenu)
    return tampon.getvalue()
