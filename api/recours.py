"""The recours queue over HTTP (docs/rules.md, "Décotes and recours"): pending recours against a décote, with the
organisation that must decide each, from the deadlines read model
(`projections.echeances.lister_recours`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from projections.echeances import lister_recours
from projections.lecteurs import Lecteurs

routeur = APIRouter()


@routeur.get(
    "/recours",
    summary="The recours queue: pending recours with their décote, demand, filing date and deciding organisation",
    tags=["echeances"],
    response_class=Response,
    responses=reponses.liste("Pending recours, oldest first"),
)
def lire_recours(
    organisation: str | None = Query(None, description="only those this organisation must decide"),
    qui: Appelant = Depends(appelant),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    return reponses.json(lister_recours(lecteurs, organisation))
