"""Rank (docs/rules.md "Ranks"): among the demands active at the as-of date, points descending, then
filed_on ascending, then numéro unique ascending; rank 1 is the first. Also a rank among the
demands whose first-choice typology (the first of their wishes) is the same."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import msgspec

from domain.codes import Typologie
from domain.cotation import Cotation
from domain.etat_demande import EtatDemande
from domain.foyer import Souhaits
from domain.territoire import LogementSocial


class Candidat(msgspec.Struct, frozen=True):
    numero_unique: str
    points: int
    filed_on: date
    typologie: Typologie | None  # first-choice typology


class Rang(msgspec.Struct, frozen=True):
    numero_unique: str
    points: int
    filed_on: date
    typologie: Typologie | None
    rang: int  # overall, 1 first
    rang_typologie: int  # among the demands with the same first-choice typology, 1 first


def candidat(etat: EtatDemande, cotation: Cotation) -> Candidat | None:
    """The demand as a ranking candidate, or None when it is not active (a radiated demand is
    out of every ranking). `etat` and `cotation` must be taken as of the same date."""
    if not etat.active:
        return None
    if cotation.numero_unique != etat.numero_unique:
        raise ValueError(
            f"cotation of {cotation.numero_unique} given for demand {etat.numero_unique}"
        )
    typologies = etat.souhaits.typologies
    return Candidat(
        numero_unique=etat.numero_unique,
        points=cotation.points,
        filed_on=etat.filed_on,
        typologie=typologies[0] if typologies else None,
    )


def _cle(c: Candidat) -> tuple[int, date, str]:
    return (-c.points, c.filed_on, c.numero_unique)


def classer(candidats: Iterable[Candidat]) -> list[Rang]:
    """Every candidate with its overall rank and its rank within its first-choice typology,
    in overall order. Ranks are 1..n without gaps: the order is total (numéro unique breaks
    the last ties), so no two demands share a rank."""
    ordre = sorted(candidats, key=_cle)
    numeros = [c.numero_unique for c in ordre]
    if len(set(numeros)) != len(numeros):
        doublons = sorted({n for n in numeros if numeros.count(n) > 1})
        raise ValueError(f"a demand can be ranked only once: {', '.join(doublons)}")
    par_typologie: dict[Typologie | None, int] = {}
    rangs: list[Rang] = []
    for i, c in enumerate(ordre, start=1):
        par_typologie[c.typologie] = par_typologie.get(c.typologie, 0) + 1
        rangs.append(
            Rang(
                numero_unique=c.numero_unique,
                points=c.points,
                filed_on=c.filed_on,
                typologie=c.typologie,
                rang=i,
                rang_typologie=par_typologie[c.typologie],
            )
        )
    return rangs


def compatible(souhaits: Souhaits, logement: LogementSocial) -> bool:
    """Whether a demand's wishes suit a dwelling, for the list a CAL chooses its candidates from:
    the dwelling's typology among the wished typologies, its commune among the wished communes,
    and, for a dwelling in a QPV, a demand that accepts one. The CAL stays sovereign (it may
    designate anyone); this only orders what it is shown."""
    return (
        logement.typologie in souhaits.typologies
        and logement.commune in souhaits.communes
        and (souhaits.accepte_qpv or not logement.qpv)
    )
