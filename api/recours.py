"""The recours queue over HTTP (docs/rules.md, "Décotes and recours"): pending recours against a
décote, oldest first, with the fact the décote sanctions, the organisation that must decide and
the days left before the 15-day limit (`projections.listes.file_des_recours`, over the deadlines
read model); and the decided recours, searchable (`projections.repertoire.lister_recours_decides`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from adapters.registre import Registre
from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from api.problemes import ErreurHTTP
from domain import horloge
from projections.lecteurs import Lecteurs
from projections.listes import file_des_recours
from projections.repertoire import lister_recours_decides

routeur = APIRouter()
STATUTS = ("en_attente", "decide")


@routeur.get(
    "/recours",
    summary="The recours queue: pending recours (oldest first) or decided ones (latest first)",
    description="`statut=en_attente` (default): the pending recours, oldest first, each with its "
    "décote, the refusal or pièces behind it, the deciding organisation, the 15-day limit and "
    "the days left before it (`jours_restants`, today). `statut=decide`: the decided recours, "
    "latest decision first, filtered by `decision` (annulee, maintenue) and decision dates "
    "`du`..`au`. A page at a time (`limite`, `curseur`; the next page's link in the Link header).",
    tags=["echeances"],
    response_class=Response,
    responses=reponses.liste("Recours"),
)
def lire_recours(
    request: Request,
    organisation: str | None = Query(None, description="only those this organisation must decide (or decided)"),
    demande: str | None = Query(None, description="only this demand's"),
    statut: str = Query("en_attente", description="en_attente or decide"),
    decision: str | None = Query(None, description="decided ones: annulee or maintenue"),
    du: reponses.Jour | None = Query(None, description="decided ones: decided on or after this day"),
    au: reponses.Jour | None = Query(None, description="decided ones: decided on or before this day"),
    limite: int | None = reponses.LIMITE,
    curseur: str | None = reponses.CURSEUR,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    if statut not in STATUTS:
        raise ErreurHTTP(422, "parametre_invalide", f"statut: {statut!r}, expected en_attente or decide", parametre="statut")
    if statut == "decide":
        p = reponses.paginer(
            lambda: lister_recours_decides(lecteurs, organisation, decision, demande, du, au, limite, curseur)
        )
    else:
        p = reponses.paginer(
            lambda: file_des_recours(registre, lecteurs, horloge.aujourdhui(), organisation, demande, limite, curseur)
        )
    return reponses.page(p, request)
