"""Bearer token per agent; the token fixes the organisation recorded on every event the agent
causes, so a client can never speak for another organisation."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.registre import Registre
from api import dependances as dep
from api.limites import Limiteur, source
from api.problemes import ErreurHTTP
from domain.territoire import Agent, Organisation

_bearer = HTTPBearer(auto_error=False, description="The agent's access token")


@dataclass(frozen=True)
class Appelant:
    organisation: Organisation
    agent: Agent


def appelant(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    registre: Registre = Depends(dep.registre),
    limiteur: Limiteur = Depends(dep.limiteur),
) -> Appelant:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ErreurHTTP(401, "jeton_requis", "an Authorization: Bearer <token> header is required")
    # A source that failed too often is refused before its token is even looked at (429).
    cles = [source(request)]
    limiteur.exiger(cles, "access tokens")
    trouve = registre.territoire.agent_par_jeton(credentials.credentials)
    if trouve is None:
        limiteur.echec(cles)
        raise ErreurHTTP(401, "jeton_inconnu", "this access token belongs to no agent of the territory")
    return Appelant(*trouve)
