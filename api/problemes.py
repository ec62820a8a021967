"""Errors as application/problem+json (RFC 9457), each naming the rule that refused the request:
the domain's refusals, the routes' own, and FastAPI's (an unknown path, a method the path does
not take, a query parameter that does not parse), so that no error of the API is anything else."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.erreurs import RefusCommande
from projections.suivi import ModeleEnPanne

log = logging.getLogger("ledger.api")

TYPE_MEDIA = "application/problem+json"
TITRES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
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
        self.entetes: dict[str, str] = {}  # headers the answer carries (Retry-After)


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
    r = reponse(exc.statut, exc.regle, exc.message, request.url.path, **exc.details)
    r.headers.update(exc.entetes)
    return r


async def sur_base_injoignable(request: Request, exc: Exception) -> Response:
    """The database went away under a running server (`adapters.database.ERREURS_DE_CONNEXION`):
    say so (503, retry later), never a bare 500."""
    cause = getattr(exc, "orig", None) or exc
    raison = next((x.strip() for x in str(cause).splitlines() if x.strip()), type(cause).__name__)
    r = reponse(503, "base_injoignable", f"the ledger's database cannot be reached: {raison}", request.url.path)
    r.headers["Retry-After"] = "5"
    return r


async def sur_modele_en_panne(request: Request, exc: Exception) -> Response:
    """A read of a read model that stopped on an event it cannot apply (projections/suivi.py):
    503 naming the model and the event; the other read models and the commands go on."""
    assert isinstance(exc, ModeleEnPanne)
    p = exc.panne
    return reponse(
        503, "modele_en_panne", str(exc), request.url.path, modele=exc.nom, evenement=p.position,
        topic=p.topic, version=p.version, raison=p.raison,
    )


async def sur_erreur_interne(request: Request, exc: Exception) -> Response:
    """Whatever no other handler answers: a 500 in problem+json too (logged with its trace by
    the server), never a bare text."""
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return reponse(500, "erreur_interne", "the ledger failed to answer this request", request.url.path)


# FastAPI's own refusals, by status: the rule they name.
REGLES_HTTP = {
    400: "requete_invalide",
    401: "authentification_requise",
    403: "interdit",
    404: "chemin_inconnu",
    405: "methode_non_permise",
    413: "requete_trop_grande",
    415: "type_de_contenu_non_pris_en_charge",
}


async def sur_http_starlette(request: Request, exc: Exception) -> Response:
    """An unknown path (404), a method the path does not take (405, with its Allow header) and
    any other error Starlette raises itself."""
    assert isinstance(exc, StarletteHTTPException)
    statut = exc.status_code
    if statut == 404:
        message = f"no endpoint at {request.url.path}"
    elif statut == 405:
        permises = (exc.headers or {}).get("Allow", "")
        message = f"{request.method} is not allowed on {request.url.path}" + (
            f"; allowed: {permises}" if permises else ""
        )
    else:
        message = str(exc.detail)
    r = reponse(statut, REGLES_HTTP.get(statut, f"http_{statut}"), message, request.url.path)
    r.headers.update(exc.headers or {})
    return r


def _parametre(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("query", "du") -> "du"; ("body", "x", 0) -> "body.x.0"
    parties = [str(x) for x in loc]
    return parties[-1] if len(parties) == 2 and parties[0] in {"query", "path", "header", "cookie"} else ".".join(parties)


async def sur_validation(request: Request, exc: Exception) -> Response:
    """A parameter FastAPI could not decode (a date that is not one, a missing query parameter):
    422 naming each parameter and what is wrong with it."""
    assert isinstance(exc, RequestValidationError)
    erreurs = [
        {"parametre": _parametre(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors()
    ]
    texte = "; ".join(f"{e['parametre']}: {e['message']}" for e in erreurs) or "invalid request"
    details: dict[str, Any] = {"erreurs": erreurs}
    if len(erreurs) == 1:
        details["parametre"] = erreurs[0]["parametre"]
    return reponse(422, "parametre_invalide", texte, request.url.path, **details)
