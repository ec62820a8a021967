"""The pages' assets and the API's interactive documentation, every file served by the ledger
itself: a ledger on a network without internet shows its docs (FastAPI's defaults load Swagger
UI and ReDoc from a CDN, and ReDoc's fonts from another).

The Swagger UI and ReDoc files come from the `fastapi-offline` package (pinned in
pyproject.toml), which ships them; only its static folder is used."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.pages.commun import RACINE

ACTIFS_DOCS = Path(fastapi_offline.__file__).resolve().parent / "static"
routeur = APIRouter(include_in_schema=False)
# The docs' own pages need inline scripts and styles (FastAPI's HTML, ReDoc's workers), but
# nothing from elsewhere: ReDoc's sidebar credit would load its logo from the vendor's CDN, which
# this policy keeps the browser from even asking for.
POLITIQUE_DOCS = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'"
)


@routeur.get("/docs")
def swagger() -> HTMLResponse:
    return _locale(get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Demand Ledger — API",
        swagger_js_url="/static/docs/swagger-ui-bundle.js",
        swagger_css_url="/static/docs/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None},
    ))


@routeur.get("/redoc")
def redoc() -> HTMLResponse:
    return _locale(get_redoc_html(
        openapi_url="/openapi.json",
        title="Demand Ledger — API",
        redoc_js_url="/static/docs/redoc.standalone.js",
        redoc_favicon_url="/static/favicon.svg",
        with_google_fonts=False,
    ))


def _locale(r: HTMLResponse) -> HTMLResponse:
    r.headers["Content-Security-Policy"] = POLITIQUE_DOCS
    return r


def monter(app: FastAPI) -> None:
    """The static folders: the docs' files first (a more specific path), then the pages'."""
    app.mount("/static/docs", StaticFiles(directory=ACTIFS_DOCS), name="actifs_docs")
    app.mount("/static", StaticFiles(directory=RACINE / "static"), name="actifs")
