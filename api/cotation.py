"""A demand's score over HTTP (docs/cotation.md): each criterion with its points, grid version and
provenance, as of a date and as known at an instant, with its rank. The query is
`projections.explication.cotation_expliquee`; this router decodes the parameters and encodes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from adapters.registre import Registre
from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from projections.explication import ReponseCotation, cotation_expliquee
from projections.lecteurs import Lecteurs

routeur = APIRouter()


@routeur.get(
    "/demandes/{numero_unique}/cotation",
    summary="Score and rank with its explanation, as of a date and as known at an instant",
    tags=["cotation"],
    response_class=Response,
    responses=reponses.ok(ReponseCotation, "Each criterion with its points, grid version and provenance"),
)
def lire_cotation(
    numero_unique: str,
    au: reponses.Jour | None = Query(None, description="valid time: the score as of this date (default today)"),
    connu_a: reponses.Instant | None = Query(
        None, description="knowledge time: only what had been recorded by this instant (ISO 8601)"
    ),
    avec_rang: bool = Query(
        False,
        alias="rang",
        description="for a past date or a knowledge time: also rank it among the demands active "
        "then, as known then (replays every demand of the territory: seconds, not milliseconds)",
    ),
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    return reponses.json(cotation_expliquee(registre, lecteurs, numero_unique, au, connu_a, avec_rang))
