"""Errors as application/problem+json (RFC 9457), each naming the rule that refused the request."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import Request
from fastapi.responses import Response

from domain.erreurs import RefusCommande

TYPE_MEDIA = "application/problem+json"
TITRES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}


class Probleme(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    regle: str
    instance: str | None = None
    details: dict[str, Any] = {}


class ErreurHTTP(Exception):
    def __init__(self, statut: int, regle: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.statut, self.regle, self.message, self.details = statut, regle, message, details


def reponse(
    statut: int, regle: str, message: str, instance: str | None = None, **details: Any
) -> Response:
    corps = Probleme(
        type=f"urn:demand-ledger:regle:{regle}",
        title=TITRES.get(statut, "Error"),
        status=statut,
        detail=message,
        regle=regle,
        instance=instance,
        details=details,
    )
    headers = {"WWW-Authenticate": 'Bearer realm="demand-ledger"'} if statut == 401 else None
    return Response(msgspec.json.encode(corps), status_code=statut, media_type=TYPE_MEDIA, headers=headers)


async def sur_refus(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RefusCommande)
    return reponse(exc.statut, exc.regle, exc.message, request.url.path, **exc.details)


async def sur_erreur_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ErreurHTTP)
    return reponse(exc.statut, exc.regle, exc.message, request.url.path, **exc.details)


async def sur_base_injoignable(request: Request, exc: Exception) -> Response:
    """The database went away under a running server (`adapters.database.ERREURS_DE_CONNEXION`):
    say so (503, retry later), never a bare 500."""
    cause = getattr(exc, "orig", None) or exc
    raison = next((x.strip() for x in str(cause).splitlines() if x.strip()), type(cause).__name__)
    r = reponse(503, "base_injoignable", f"the ledger's database cannot be reached: {raison}", request.url.path)
    r.headers["Retry-After"] = "5"
    return r
