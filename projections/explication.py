"""A score explained: each criterion with its points, its grid version and its provenance — the
events, their dates, organisations and agents — as of any date and as known at any instant
(docs/cotation.md, docs/rules.md "Traceability"). Shared by the HTTP API and the CLI.

`cotation_expliquee` is what GET /demandes/{n}/cotation answers: the explanation and a rank, the
current one from the read model (`projections.cotation.rang_courant`) or, when asked for a past
date or a knowledge time, one replayed over the whole territory (`rangs_au`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from adapters.registre import Registre
from domain import horloge
from domain.cotation import coter, grille_en_place
from domain.demande import Demande
from domain.erreurs import RegleEnfreinte
from domain.rang import Rang, candidat, classer
from projections.cotation import rang_courant
from projections.historique import historique
from projections.lecteurs import Lecteurs


class Provenance(msgspec.Struct, frozen=True):
    evenement: int
    type: str
    occurred_on: date
    recorded_at: datetime
    organisation: str
    agent: str
    details: dict[str, Any]


class ExplicationDetaillee(msgspec.Struct, frozen=True):
    code: str
    libelle: str
    points: int
    detail: str
    version_grille: str
    provenance: list[Provenance]


class CritereEnAttente(msgspec.Struct, frozen=True):
    """A criterion that applies but awaits its justification (CCH L.441-2-8; docs/rules.md):
    the points it would bring, not in `points`, and the pièces that would justify it."""

    code: str
    libelle: str
    points: int
    detail: str
    justificatifs: list[str]
    provenance: list[Provenance]


class ReponseCotation(msgspec.Struct, frozen=True):
    numero_unique: str
    au: date
    connu_a: datetime | None
    active: bool  # a radiated demand keeps a score but is out of every ranking
    version_grille: str
    points: int
    explications: list[ExplicationDetaillee]
    remarques: list[dict[str, Any]]
    # Current rank only (as of today, as known now); None for a past as-of or a radiated demand.
    rang: int | None = None
    sur: int | None = None
    rang_typologie: int | None = None
    sur_typologie: int | None = None
    en_attente: list[CritereEnAttente] = msgspec.field(default_factory=list)


def expliquer(
    registre: Registre, numero_unique: str, au: date, connu_a: datetime | None, demande: Demande | None = None
) -> ReponseCotation:
    """`demande`: the demand already loaded by the caller, read and never changed (when the
    schedule owes it something, the catching up below works on a demand loaded for itself)."""
    grille_en_place(registre.grille)
    d = demande if demande is not None else registre.demande(numero_unique)
    if connu_a is None:
        # Never behind its own schedule: what fell due by that day counts even if the schedule
        # has not appended it yet (nothing is saved here).
        jusquau = min(au, horloge.aujourdhui())
        retention = registre.territoire.retention_donnees_mois
        if demande is not None and d.echeance_due(d.etat, jusquau, retention) is not None:
            d = registre.demande(numero_unique)  # rattraper appends to it: not the caller's
        d.rattraper(jusquau, retention)
    etat = d.etat_au(au, connu_a)
    cot = coter(etat, au, registre.territoire, registre.grille)
    entrees = {e.evenement: e for e in historique(d)}

    def provenance(sources: list[int]) -> list[Provenance]:
        return [
            Provenance(
                evenement=v,
                type=entrees[v].type,
                occurred_on=entrees[v].occurred_on,
                recorded_at=entrees[v].recorded_at,
                organisation=entrees[v].organisation,
                agent=entrees[v].agent,
                details=entrees[v].details,
            )
            for v in sources
            if v in entrees
        ]

    return ReponseCotation(
        numero_unique=numero_unique,
        au=au,
        connu_a=connu_a,
        active=etat.active,
        version_grille=cot.version,
        points=cot.points,
        explications=[
            ExplicationDetaillee(
                code=x.code,
                libelle=x.libelle,
                points=x.points,
                detail=x.detail,
                version_grille=cot.version,
                provenance=provenance(x.sources),
            )
            for x in cot.explications
        ],
        remarques=[msgspec.to_builtins(r) for r in cot.remarques],
        en_attente=[
            CritereEnAttente(a.code, a.libelle, a.points, a.detail, a.justificatifs, provenance(a.sources))
            for a in cot.en_attente
        ],
    )


def rangs_au(registre: Registre, au: date, connu_a: datetime | None) -> dict[str, Rang]:
    """Every active demand's rank as of `au`, as known at `connu_a`: folds the whole territory,
    so it costs one replay per demand (the current ranks come from the read model instead)."""
    candidats = []
    for numero in registre.numeros():
        d = registre.demande(numero)
        if connu_a is None:
            d.rattraper(min(au, horloge.aujourdhui()), registre.territoire.retention_donnees_mois)
        try:
            etat = d.etat_au(au, connu_a)
        except RegleEnfreinte:
            continue  # not yet filed, or not yet recorded, at that point
        if registre.grille is None or not etat.active:
            continue
        c = candidat(etat, coter(etat, au, registre.territoire, registre.grille))
        if c is not None:
            candidats.append(c)
    return {r.numero_unique: r for r in classer(candidats)}


def cotation_expliquee(
    registre: Registre,
    lecteurs: Lecteurs,
    numero_unique: str,
    au: date | None,
    connu_a: datetime | None,
    avec_rang: bool,
    demande: Demande | None = None,
) -> ReponseCotation:
    """The score as of `au` (default today) as known at `connu_a`, explained, with a rank: the
    current one for today as known now (read model); with `avec_rang`, for a past date or a
    knowledge time, the rank among the demands active then, as known then (a replay of every
    demand: seconds, not milliseconds). A radiated demand has no rank."""
    aujourdhui = horloge.aujourdhui()
    jour = au or aujourdhui
    reponse = expliquer(registre, numero_unique, jour, connu_a, demande)
    courante = au in (None, aujourdhui) and connu_a is None
    if not reponse.active:
        return reponse
    if courante:
        r = rang_courant(lecteurs, numero_unique, jour)
        return reponse if r is None else msgspec.structs.replace(reponse, **r._asdict())
    if avec_rang:
        tous = rangs_au(registre, jour, connu_a)
        x = tous.get(numero_unique)
        if x is not None:
            meme = sum(1 for y in tous.values() if y.typologie == x.typologie)
            return msgspec.structs.replace(
                reponse, rang=x.rang, sur=len(tous), rang_typologie=x.rang_typologie, sur_typologie=meme
            )
    return reponse
