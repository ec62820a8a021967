"""Deadlines over HTTP (renewal CCH R.441-2-7, radiation R.441-2-8, offers R.441-10, recours):
those falling due in a date range, from the deadlines read model
(`projections.echeances.lister_echeances`)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from projections.echeances import lister_echeances
from projections.lecteurs import Lecteurs

routeur = APIRouter()


@routeur.get(
    "/echeances",
    summary="Deadlines falling due in a date range (renewals, radiations, recours, offers…)",
    tags=["echeances"],
    response_class=Response,
    responses=reponses.liste("Deadlines ordered by date"),
)
def lire_echeances(
    du: date = Query(..., description="first day, ISO 8601"),
    au: date = Query(..., description="last day, included"),
    type: str | None = Query(None, description="e.g. radiation_non_renouvellement, recours_possible"),
    qui: Appelant = Depends(appelant),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    return reponses.json(lister_echeances(lecteurs, du, au, type))
