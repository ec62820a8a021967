"""Dwellings over HTTP: the bailleur owning a dwelling declares its vacancy, the event that
designations and CAL decisions then refer to (docs/rules.md, "Dwellings and vacancies"), and in
flux orients it (docs/rules.md, "Gestion en flux")."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from adapters.registre import Registre
from api import dependances as dep
from api import idempotence, reponses
from api.auth import Appelant, appelant
from api.demandes import corps, stockable
from api.idempotence import CleRequete, cle_requete
from domain import commandes as c

routeur = APIRouter()


@routeur.post(
    "/logements/{identifiant}/vacances",
    status_code=201,
    summary="Vacance: the bailleur owning the dwelling opens a new vacancy",
    tags=["logements"],
    response_class=Response,
    responses={
        201: {"description": "The vacancy's number", "content": {"application/json": {"schema": {"type": "object", "properties": {"logement": {"type": "string"}, "vacance": {"type": "integer"}}}}}},
        **reponses.ERREURS,
    },
    openapi_extra=reponses.corps(c.DeclarerVacance),
)
def vacance(
    identifiant: str,
    qui: Appelant = Depends(appelant),
    commande: c.Commande = Depends(corps(c.DeclarerVacance)),
    registre: Registre = Depends(dep.registre),
    cle: CleRequete | None = Depends(cle_requete),
) -> Response:
    assert isinstance(commande, c.DeclarerVacance)
    _, reponse = idempotence.executer(
        registre, qui.organisation.code, cle,
        lambda i: registre.declarer_vacance(qui.organisation, qui.agent.identifiant, identifiant, commande, i),
        lambda n: stockable(reponses.json({"logement": identifiant, "vacance": n}, 201)),
    )
    return reponse


@routeur.post(
    "/logements/{identifiant}/orientations",
    status_code=201,
    summary="In flux: the bailleur orients its vacancy to a réservataire under their convention, keeps it, or withdraws it",
    tags=["flux"],
    response_class=Response,
    responses={
        201: {"description": "The vacancy's number", "content": {"application/json": {"schema": {"type": "object", "properties": {"logement": {"type": "string"}, "vacance": {"type": "integer"}}}}}},
        **reponses.ERREURS,
    },
    openapi_extra=reponses.corps(c.OrienterVacance),
)
def orientation(
    identifiant: str,
    qui: Appelant = Depends(appelant),
    commande: c.Commande = Depends(corps(c.OrienterVacance)),
    registre: Registre = Depends(dep.registre),
) -> Response:
    assert isinstance(commande, c.OrienterVacance)
    n = registre.orienter_vacance(qui.organisation, qui.agent.identifiant, identifiant, commande)
    return reponses.json({"logement": identifiant, "vacance": n}, 201)
