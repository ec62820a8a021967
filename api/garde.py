"""What a request must be before any route reads it: no larger than the ledger accepts (413), and
a body of the media type the route takes (415). Limits: docs/rules.md, "Input limits".

The size limit is an ASGI middleware: a declared `Content-Length` beyond it is refused before the
application reads anything, and a body sent without one (chunked) is counted as it is read and
refused as soon as it passes the limit, so a 100 MB body never reaches memory or the store. The
SNE import takes national files, far larger than a command: it has its own limit."""

from __future__ import annotations

import os
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problemes import ErreurHTTP, reponse

VARIABLE_TAILLE = "LEDGER_TAILLE_MAX_REQUETE"
VARIABLE_TAILLE_IMPORT = "LEDGER_TAILLE_MAX_IMPORT"
TAILLE_MAX = 1024 * 1024  # bytes: a registration with every personal field is a few kB
TAILLE_MAX_IMPORT = 256 * 1024 * 1024  # bytes: a national interfaceNuu file
CHEMINS_IMPORT = ("/imports/",)

JSON = "application/json"


def _octets(variable: str, defaut: int) -> int:
    brut = os.environ.get(variable)
    if not brut:
        return defaut
    try:
        n = int(brut)
    except ValueError:
        raise ValueError(f"{variable}={brut!r}: expected a number of bytes") from None
    if n < 1:
        raise ValueError(f"{variable}={brut!r}: expected a positive number of bytes")
    return n


def tailles_configurees() -> tuple[int, int]:
    """(commands and forms, SNE import), in bytes, from the environment or the defaults."""
    return _octets(VARIABLE_TAILLE, TAILLE_MAX), _octets(VARIABLE_TAILLE_IMPORT, TAILLE_MAX_IMPORT)


class CorpsTropGrand(Exception):
    def __init__(self, limite: int) -> None:
        super().__init__(f"the request body is larger than {limite} bytes")
        self.limite = limite


def trop_grand(chemin: str, limite: int) -> Response:
    return reponse(
        413, "requete_trop_grande", f"the request body is larger than the {limite} bytes accepted here",
        chemin, limite_octets=limite,
    )


async def sur_corps_trop_grand(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CorpsTropGrand)
    return trop_grand(request.url.path, exc.limite)


class LimiteTaille:
    """413 for a body beyond the limit, declared or streamed."""

    def __init__(self, app: ASGIApp, limite: int, limite_import: int) -> None:
        self.app, self.limite, self.limite_import = app, limite, limite_import

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chemin: str = scope.get("path", "")
        limite = self.limite_import if chemin.startswith(CHEMINS_IMPORT) else self.limite
        for nom, valeur in scope.get("headers", ()):
            if nom == b"content-length":
                try:
                    declaree = int(valeur)
                except ValueError:
                    declaree = 0
                if declaree > limite:
                    await trop_grand(chemin, limite)(scope, receive, send)
                    return
        lu = 0

        async def recevoir() -> Message:
            nonlocal lu
            message = await receive()
            if message["type"] == "http.request":
                lu += len(message.get("body", b""))
                if lu > limite:
                    raise CorpsTropGrand(limite)
            return message

        await self.app(scope, recevoir, send)


def type_de_contenu(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def exiger_json(request: Request, quoi: str) -> None:
    """415 unless the body is declared JSON (`application/json` or `application/*+json`); a body
    without any Content-Type is read as JSON (what it must be anyway), any other type is not."""
    t = type_de_contenu(request)
    if t and t != JSON and not (t.startswith("application/") and t.endswith("+json")):
        raise ErreurHTTP(
            415, "type_de_contenu_non_pris_en_charge",
            f"{quoi} is sent as application/json, not {t}",
            recu=t or None, attendu=JSON,
        )


def exiger_type(request: Request, types: tuple[str, ...], quoi: str) -> None:
    t = type_de_contenu(request)
    if t not in types:
        raise ErreurHTTP(
            415, "type_de_contenu_non_pris_en_charge",
            f"{quoi} is sent as {' or '.join(types)}, not {t or 'a body without Content-Type'}",
            recu=t or None, attendu=list(types),
        )


def installer(app: Any) -> None:
    limite, limite_import = tailles_configurees()
    app.add_middleware(LimiteTaille, limite=limite, limite_import=limite_import)
    app.add_exception_handler(CorpsTropGrand, sur_corps_trop_grand)
