"""Deadlines over HTTP (renewal CCH R.441-2-7, radiation R.441-2-8, offers R.441-10, recours):
those falling due in a date range, from the deadlines read model
(`projections.echeances.lister_echeances`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from projections.lecteurs import Lecteurs
from projections.listes import page_echeances

routeur = APIRouter()


@routeur.get(
    "/echeances",
    summary="Deadlines falling due in a date range (renewals, radiations, recours, offers…)",
    tags=["echeances"],
    response_class=Response,
    description="Ordered by date, demand and type, a page at a time (`limite`, `curseur`; the next "
    "page's link in the Link header).",
    responses=reponses.liste("Deadlines ordered by date"),
)
def lire_echeances(
    request: Request,
    du: Annotated[reponses.Jour, Query(description="first day, ISO 8601")],
    au: Annotated[reponses.Jour, Query(description="last day, included")],
    type: str | None = Query(None, description="e.g. radiation_non_renouvellement, recours_possible"),
    demande: str | None = Query(None, description="only this demand's deadlines"),
    limite: int | None = reponses.LIMITE,
    curseur: str | None = reponses.CURSEUR,
    qui: Appelant = Depends(appelant),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    return reponses.page(
        reponses.paginer(lambda: page_echeances(lecteurs, du, au, type, demande, limite, curseur)), request
    )
