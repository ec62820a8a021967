"""Dwellings over HTTP: the bailleur owning a dwelling declares its vacancy, the event that
designations and CAL decisions then refer to (docs/rules.md, "Dwellings and vacancies"), and in
flux orients it (docs/rules.md, "Gestion en flux"); the list of dwellings with their open
vacancies, and for one dwelling the active demands whose wishes suit it, in rank order — the list
a CAL chooses its candidates from (`projections.repertoire`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from adapters.registre import Registre
from api import dependances as dep
from api import idempotence, reponses
from api.auth import Appelant, appelant
from api.demandes import corps, stockable
from api.idempotence import CleRequete, cle_requete
from api.problemes import ErreurHTTP
from domain import commandes as c
from domain import horloge
from domain.codes import Typologie
from projections.lecteurs import Lecteurs
from projections.repertoire import compatibles, lister_logements

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

@routeur.get(
    "/logements",
    summary="The territory's dwellings with their current vacancy, filtered, a page at a time",
    description="By identifier; `vacant=true` gives the dwellings with an open vacancy. A page at "
    "a time (`limite`, `curseur`; the next page's link in the Link header).",
    tags=["logements"],
    response_class=Response,
    responses=reponses.liste("Dwellings"),
)
def lister(
    request: Request,
    bailleur: str | None = Query(None, description="organisation code of the bailleur"),
    commune: str | None = Query(None, description="INSEE code"),
    typologie: Typologie | None = Query(None),
    vacant: bool | None = Query(None, description="true: only those with an open vacancy"),
    limite: int | None = reponses.LIMITE,
    curseur: str | None = reponses.CURSEUR,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    t = typologie.value if typologie else None
    p = reponses.paginer(lambda: lister_logements(
        lecteurs, registre.territoire.logements, bailleur, commune, t, vacant, limite, curseur
    ))
    return reponses.page(p, request)


@routeur.get(
    "/logements/{identifiant}/candidats-compatibles",
    summary="Active demands whose wishes suit the dwelling, in rank order (the CAL's list)",
    description="The dwelling's typology among the demand's wished typologies, its commune among "
    "the wished communes, and, in a QPV, a demand that accepts one; ordered by points, then filing "
    "date, then numéro unique (the rank's order), as the cotation read model stands today. "
    "`rang` is the place in this list. A page at a time (`limite`, `curseur`).",
    tags=["logements"],
    response_class=Response,
    responses=reponses.liste("Compatible demands, best first"),
)
def candidats_compatibles(
    request: Request,
    identifiant: str,
    limite: int | None = reponses.LIMITE,
    curseur: str | None = reponses.CURSEUR,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    spec = logement_du_territoire(registre, identifiant)
    p = reponses.paginer(lambda: compatibles(lecteurs, spec, horloge.aujourdhui(), limite, curseur))
    return reponses.page(p, request)


def logement_du_territoire(registre: Registre, identifiant: str):  # type: ignore[no-untyped-def]
    try:
        return registre.territoire.logement(identifiant)
    except KeyError:
        raise ErreurHTTP(404, "logement_inconnu", f"dwelling {identifiant!r} is not in the territory") from None
