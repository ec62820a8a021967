"""The demandeur's information (CCH R.441-2-17; docs/demandeur.md) over HTTP: the access code a
guichet or bailleur obtains for the applicant, and the applicant's own page read with it.

Demandeurs hold no agent token: `GET /demandeur/{numero}` takes `Authorization: Bearer <code>`,
the demand's access code (`adapters.code_demandeur`). The code opens that demand's page and
nothing else; a wrong code is a 401 that never tells whether the demand exists. What the page
shows is computed by `projections.information_demandeur.information_demandeur`; this router
checks the code, calls it and encodes."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.code_demandeur import code_demandeur, code_valable
from adapters.registre import Registre
from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from api.limites import Limiteur, source
from api.problemes import ErreurHTTP
from domain import horloge, permissions
from projections.information_demandeur import (
    AttentesParAnnee,
    ReponseDemandeur,
    information_demandeur,
)
from projections.lecteurs import Lecteurs
from projections.lectures_personnelles import LECTEUR_DEMANDEUR, noter

routeur = APIRouter(tags=["demandeur"])

PAS_DE_CACHE = {"Cache-Control": "no-store"}


class CodeDemandeur(msgspec.Struct, frozen=True):
    numero_unique: str
    code: str
    usage: str


# -- authentication ------------------------------------------------------------------------------

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="CodeDemandeur",
    description="The demandeur's access code for this demand (from GET /demandes/{numero}/code-demandeur)",
)


def demandeur(
    request: Request,
    numero_unique: str,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    secret: Callable[[], bytes] = Depends(dep.secret_demandeur),
    limiteur: Limiteur = Depends(dep.limiteur),
) -> str:
    """The numéro unique the code opens; 401 otherwise, the same whether the demand exists;
    429 once this source, or this demand, saw too many wrong codes (api/limites.py)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ErreurHTTP(401, "code_demandeur_requis",
                         "an Authorization: Bearer <code demandeur> header is required")
    verifier_code(limiteur, request, secret, numero_unique, credentials.credentials)
    return numero_unique


def verifier_code(
    limiteur: Limiteur, request: Request, secret: Callable[[], bytes], numero: str, code: str
) -> None:
    """A demandeur's code tried on `numero` (the API's and the page's): 429 while blocked, 401
    (counted) when it does not open the demand."""
    cles = [source(request), ("demande", numero)]
    limiteur.exiger(cles, "demandeur access codes")
    if not numero or not code_valable(secret(), numero, code):
        limiteur.echec(cles)
        raise ErreurHTTP(401, "code_demandeur_invalide", "this access code does not open this demand")
    limiteur.succes(cles[1:])


# -- the endpoints ---------------------------------------------------------------------------------


@routeur.get(
    "/demandes/{numero_unique}/code-demandeur",
    summary="The demandeur's access code for this demand, for a guichet or bailleur to hand over",
    description=(
        "A guichet or bailleur of the territory obtains the code and hands it to the applicant, "
        "who reads their own information with it at GET /demandeur/{numero_unique} "
        "(Authorization: Bearer <code>). The code is derived from the numéro unique and a server "
        "secret: asking again gives the same code; it opens that demand's page and nothing else."
    ),
    response_class=Response,
    responses=reponses.reponses_en_ligne(CodeDemandeur, "The code", {
        401: "No or unknown bearer token",
        403: "Not a guichet or bailleur",
        404: "Unknown demand",
    }),
)
def lire_code_demandeur(
    numero_unique: str,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    secret: Callable[[], bytes] = Depends(dep.secret_demandeur),
) -> Response:
    permissions.guichet(qui.organisation, "handing a demandeur their access code")
    registre.demande(numero_unique)  # 404 for an unknown demand
    code = code_demandeur(secret(), numero_unique)
    corps = CodeDemandeur(numero_unique, code, f"Authorization: Bearer {code} on GET /demandeur/{numero_unique}")
    return reponses.json(corps, headers=PAS_DE_CACHE)


@routeur.get(
    "/demandeur/{numero_unique}",
    summary="The demandeur's own information (CCH R.441-2-17): points, rank, waiting time, CAL "
    "decisions, refusals and their consequences, history",
    description=(
        "Authenticated with the demand's access code (Authorization: Bearer <code>), not an "
        "agent token. Points and rank are those of GET /demandes/{n}/cotation today. The waiting "
        "time is that of the baux signed in the previous calendar year for the demand's "
        "first-choice typology in its first-choice commune (mean and median of bail − dépôt), "
        "with the number of baux it rests on. Retracted decisions and refusals are left out "
        "here; the history shows them as deleted."
    ),
    response_class=Response,
    responses=reponses.reponses_en_ligne(ReponseDemandeur, "The demandeur's page", {
        401: "No code, or a code that does not open this demand (whether or not it exists)",
    }),
)
def lire_demandeur(
    numero_unique: str = Depends(demandeur),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
    attentes: AttentesParAnnee = Depends(dep.attentes),
) -> Response:
    corps = information_demandeur(registre, lecteurs, attentes, numero_unique, horloge.aujourdhui())
    noter(registre, LECTEUR_DEMANDEUR, [numero_unique], "demandeur")
    return reponses.json(corps, headers=PAS_DE_CACHE)
