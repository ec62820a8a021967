"""Errors shown to a person: the same status and the same rule (`regle`) as the API's
problem+json, rendered as a page for a browser.

A request is a page's when its path is one of the pages' (`/`, `/connexion`, `/espace…`,
`/mon-dossier`) or when it asks for HTML before JSON (a browser following a link to an unknown
path); every other request gets the API's problem+json, unchanged (`api/problemes.py`). A page
asked for without a session redirects to the sign-in page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.pages.commun import NonConnecte, connecte_ou_rien, rendre, vers_connexion
from api.problemes import (
    REGLES_HTTP,
    TITRES,
    ErreurHTTP,
    sur_erreur_http,
    sur_http_starlette,
    sur_refus,
    sur_validation,
)
from domain.erreurs import RefusCommande

PREFIXES = ("/espace", "/connexion", "/deconnexion", "/mon-dossier")
TITRES_FR = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Action refusée",
    404: "Introuvable",
    405: "Méthode non permise",
    409: "Conflit",
    422: "Demande refusée",
    429: "Trop de tentatives",
    503: "Service indisponible",
}

Gestionnaire = Callable[[Request, Exception], Awaitable[Response]]


def est_une_page(request: Request) -> bool:
    chemin = request.url.path
    if chemin == "/" or chemin.startswith(PREFIXES):
        return True
    accepte = request.headers.get("accept", "")
    html, json = accepte.find("text/html"), accepte.find("json")
    return html >= 0 and (json < 0 or html < json)


def _page_erreur(request: Request, statut: int, regle: str, message: str) -> Response:
    qui = None
    try:
        registre = request.app.state.registre
        from api.dependances import sessions

        qui = connecte_ou_rien(request, registre, sessions(request))
    except Exception:  # an error page must render even when the session cannot be read
        qui = None
    return rendre(
        request,
        "erreur.html",
        {"statut": statut, "titre": TITRES_FR.get(statut, TITRES.get(statut, "Erreur")), "regle": regle,
         "message": message},
        qui,
        statut,
    )


def _double(page: Callable[[Request, Exception], tuple[int, str, str]], api: Gestionnaire) -> Gestionnaire:
    async def gerer(request: Request, exc: Exception) -> Response:
        if not est_une_page(request):
            return await api(request, exc)
        statut, regle, message = page(request, exc)
        r = _page_erreur(request, statut, regle, message)
        r.headers.update(getattr(exc, "entetes", None) or {})
        return r

    return gerer


def _refus(request: Request, exc: Exception) -> tuple[int, str, str]:
    assert isinstance(exc, RefusCommande)
    return exc.statut, exc.regle, exc.message


def _http(request: Request, exc: Exception) -> tuple[int, str, str]:
    assert isinstance(exc, ErreurHTTP)
    return exc.statut, exc.regle, exc.message


def _starlette(request: Request, exc: Exception) -> tuple[int, str, str]:
    assert isinstance(exc, StarletteHTTPException)
    s = exc.status_code
    message = {404: f"aucune page à l'adresse {request.url.path}",
                405: f"{request.method} n'est pas permis sur {request.url.path}"}.get(s, str(exc.detail))
    return s, REGLES_HTTP.get(s, f"http_{s}"), message


def _validation(request: Request, exc: Exception) -> tuple[int, str, str]:
    assert isinstance(exc, RequestValidationError)
    texte = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ())[1:])}: {e.get('msg', '')}" for e in exc.errors())
    return 422, "parametre_invalide", texte


async def _non_connecte(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NonConnecte)
    return vers_connexion(exc.suite)


def installer(app: FastAPI) -> None:
    """Every error handler of the application, HTML for pages and problem+json otherwise."""
    app.add_exception_handler(RefusCommande, _double(_refus, sur_refus))
    app.add_exception_handler(ErreurHTTP, _double(_http, sur_erreur_http))
    app.add_exception_handler(StarletteHTTPException, _double(_starlette, sur_http_starlette))
    app.add_exception_handler(RequestValidationError, _double(_validation, sur_validation))
    app.add_exception_handler(NonConnecte, _non_connecte)
