"""Lists as pages, for the JSON endpoints and the pages alike: the history of a demand, the
deadlines of a period, the recours queue. A page holds at most `limite` rows (100 by default,
1,000 at most) and the cursor of the next one: the sort key of its last row, opaque to the client, so
a list read page by page neither skips nor repeats a row when rows are added meanwhile before
the cursor.

The recours queue's rows carry what an appeal handler decides from: the décote and what it
sanctions (the refusal, its dwelling, stage, motif and qualification), the filing date, and the
days left before the 15-day limit of the décote's recours (`domain.calendrier`), counted on the
day given."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import msgspec

from adapters.registre import Registre
from domain import calendrier
from domain.demande import Demande
from projections.echeances import lister_echeances, lister_recours
from projections.historique import EntreeHistorique, historique, sans_donnees_personnelles
from projections.lecteurs import Lecteurs

LIMITE_DEFAUT = 100
LIMITE_MAX = 1000


class CurseurInvalide(ValueError):
    """A cursor this ledger did not hand out."""


class Page(msgspec.Struct, frozen=True):
    """A page of a list: its rows and the cursor of the next page (None: the last)."""

    lignes: list[Any]
    suivant: str | None


def curseur(cle: Sequence[Any]) -> str:
    """The opaque cursor after the row whose sort key is `cle`."""
    brut = json.dumps([x.isoformat() if isinstance(x, date) else x for x in cle], separators=(",", ":"))
    return base64.urlsafe_b64encode(brut.encode()).decode().rstrip("=")


def lire_curseur(texte: str | None, n: int) -> list[Any] | None:
    if not texte:
        return None
    try:
        cle = json.loads(base64.urlsafe_b64decode(texte + "=" * (-len(texte) % 4)))
    except ValueError:
        raise CurseurInvalide(f"{texte!r} is not a cursor this ledger handed out") from None
    if not isinstance(cle, list) or len(cle) != n:
        raise CurseurInvalide(f"{texte!r} is not a cursor of this list")
    return cle


def borner(limite: int | None) -> int:
    if limite is None:
        return LIMITE_DEFAUT
    if not 1 <= limite <= LIMITE_MAX:
        raise ValueError(f"limite must be between 1 and {LIMITE_MAX}, got {limite}")
    return limite


def page_de(lignes: list[Any], limite: int, cle: Callable[[Any], Sequence[Any]]) -> Page:
    """`lignes` read with `limite + 1` rows: the page, and a cursor if there was one more."""
    if len(lignes) > limite:
        lignes = lignes[:limite]
        return Page(lignes, curseur(cle(lignes[-1])))
    return Page(lignes, None)


def _jour(x: Any) -> date:
    try:
        return date.fromisoformat(str(x))
    except ValueError:
        raise CurseurInvalide(f"{x!r} is not a cursor of this list") from None


# -- the history -----------------------------------------------------------------------------------


def page_historique(
    demande: Demande,
    type: str | None = None,
    organisation: str | None = None,
    limite: int | None = None,
    apres: str | None = None,
    personnel: bool = True,
    entrees: list[EntreeHistorique] | None = None,
) -> Page:
    """The partner-traceable history in event order, of one type or organisation if given;
    without `personnel`, personal fields read `réservé` (an auditeur's reading); `entrees`: the
    history as the reader may see it, already (projections/lectures_personnelles.py)."""
    n = borner(limite)
    cle = lire_curseur(apres, 1)
    depuis = int(cle[0]) if cle else 0
    if entrees is None:
        entrees = historique(demande)
        if not personnel:
            entrees = sans_donnees_personnelles(entrees)
    lignes: list[EntreeHistorique] = [
        e for e in entrees
        if e.evenement > depuis
        and (type is None or e.type == type)
        and (organisation is None or e.organisation == organisation)
    ]
    return page_de(lignes[: n + 1], n, lambda e: [e.evenement])


# -- deadlines -------------------------------------------------------------------------------------


def page_echeances(
    lecteurs: Lecteurs,
    du: date,
    au: date,
    type: str | None = None,
    demande: str | None = None,
    limite: int | None = None,
    apres: str | None = None,
) -> Page:
    n = borner(limite)
    cle = lire_curseur(apres, 4)
    a = (_jour(cle[0]), str(cle[1]), str(cle[2]), int(cle[3])) if cle else None
    lignes = lister_echeances(lecteurs, du, au, type, demande, n + 1, a)
    return page_de(
        lignes, n,
        lambda r: [r["echeance"], r["demande"], r["type"], -1 if r["reference"] is None else r["reference"]],
    )


# -- the recours queue -----------------------------------------------------------------------------


class FaitSanctionne(msgspec.Struct, frozen=True):
    """What a décote sanctions: the refusal of a proposal, or pièces found incoherent."""

    genre: str  # refus | pieces
    evenement: int | None = None  # the refusal of the proposal, or of the incoherent pièce
    le: date | None = None  # the fact's date: the décote counts one year from it
    logement: str | None = None
    stade: str | None = None
    motif: str | None = None  # the refusal's motif code
    qualification: str | None = None
    # The proposal refused (typology, rent) or the pièce found incoherent (its type, its event).
    typologie: str | None = None
    loyer: str | None = None
    piece: int | None = None
    type_piece: str | None = None
    expire_le: date | None = None  # the décote's end: the fact's date + 1 year (exclusive)


class RecoursEnAttente(msgspec.Struct, frozen=True):
    demande: str
    decote: int
    code: str
    decote_le: date
    notifiee_le: date
    recours: int
    depose_le: date
    organisation: str  # the décote's author, which decides
    limite: date  # the 15-day limit of the décote's recours (notification + 15 days)
    jours_restants: int  # before that limit, counted on the day asked; negative once past
    jours_depuis_depot: int
    fait: FaitSanctionne
    depose_par: str | None = None  # who filed it on the demandeur's behalf (their explanations: history)


def file_des_recours(
    registre: Registre,
    lecteurs: Lecteurs,
    jour: date,
    organisation: str | None = None,
    demande: str | None = None,
    limite: int | None = None,
    apres: str | None = None,
) -> Page:
    """The pending recours, oldest first, each with the décote and the fact behind it and the
    days left before its 15-day limit on `jour`."""
    n = borner(limite)
    cle = lire_curseur(apres, 3)
    a = (_jour(cle[0]), str(cle[1]), int(cle[2])) if cle else None
    rows = lister_recours(lecteurs, organisation, demande, n + 1, a)
    lignes = []
    for r in rows:
        fin = calendrier.recours_possible_jusqua(r["notifiee_le"])
        lignes.append(RecoursEnAttente(
            r["demande"], r["decote"], r["code"], r["decote_le"], r["notifiee_le"], r["recours"],
            r["depose_le"], r["organisation"], fin, (fin - jour).days, (jour - r["depose_le"]).days,
            *_recours(registre, r["demande"], r["decote"], r["recours"]),
        ))
    return page_de(lignes, n, lambda x: [x.depose_le, x.demande, x.decote])


def _recours(registre: Registre, numero: str, decote: int, recours: int) -> tuple[FaitSanctionne, str | None]:
    d = registre.demande(numero)
    r = d.fait(recours)
    par = r.depose_par.value if isinstance(r, Demande.RecoursDepose) and r.depose_par else None
    return fait_sanctionne(registre, numero, decote, d), par


def fait_sanctionne(registre: Registre, numero: str, decote: int, d: Demande | None = None) -> FaitSanctionne:
    d = d or registre.demande(numero)
    f = d.fait(decote)
    assert isinstance(f, Demande.DecoteAppliquee)
    if f.refus is not None:
        r = d.fait(f.refus)
        if isinstance(r, Demande.Refusee):
            return FaitSanctionne(
                # The refusal motif's code: its free text is personal data, not for this queue.
                "refus", f.refus, r.occurred_on, r.logement, r.stade.value, r.code.value,
                r.qualification.value, r.typologie.value if r.typologie else None,
                str(r.loyer) if r.loyer is not None else None,
                expire_le=calendrier.fin_decote(r.occurred_on),
            )
    if f.piece is not None:
        p = d.fait(f.piece)
        if isinstance(p, Demande.PieceRefusee):
            q = d.fait(p.piece)
            return FaitSanctionne(
                "pieces", f.piece, p.occurred_on, motif=p.motif.value, piece=p.piece,
                type_piece=q.type_piece.value if isinstance(q, Demande.PieceDeposee) else None,
                expire_le=calendrier.fin_decote(p.occurred_on),
            )
    return FaitSanctionne("pieces", le=f.occurred_on, expire_le=calendrier.fin_decote(f.occurred_on))
