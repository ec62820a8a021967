"""What every page shares: the templates, the signed-in agent (a dependency, as the API's bearer
token is), the CSRF check of every form, a form turned into the domain's command, and the
answer's headers.

A page is a second face over the API's services: its route takes the same dependencies
(`api/dependances.py`), asks the same `Registre` and the same queries of `projections/`, and only
renders the answer with a template instead of encoding it. A form's command is the msgspec struct
of `domain/commandes.py` the JSON endpoint decodes, converted from the form's fields, so a page
refuses exactly what the API refuses, with the same rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from adapters.registre import Registre
from adapters.session_ecran import Session, Sessions
from api import dependances as dep
from api.problemes import ErreurHTTP
from api.reponses import jour_borne
from domain import commandes as c
from domain import horloge, permissions
from domain.codes import TypeOrganisation
from domain.territoire import Agent, Organisation, Territoire

RACINE = Path(__file__).resolve().parent.parent
gabarits = Jinja2Templates(directory=RACINE / "templates")

COOKIE_SESSION = "ledger_session"
COOKIE_CSRF = "ledger_csrf"  # before sign-in: the double-submit token of the sign-in forms
CHAMP_CSRF = "_csrf"
# Pages: a strict policy, every asset the ledger's own (the API docs have theirs).
ENTETES = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NOMS_TYPES = {
    TypeOrganisation.guichet: "guichet",
    TypeOrganisation.bailleur: "bailleur",
    TypeOrganisation.reservataire: "réservataire",
    TypeOrganisation.etat: "État",
    TypeOrganisation.systeme: "système",
    TypeOrganisation.auditeur: "auditeur",
}


@dataclass(frozen=True)
class Connecte:
    """The agent a page is shown to: organisation, agent, session and its CSRF token."""

    organisation: Organisation
    agent: Agent
    session: Session
    csrf: str

    @property
    def types(self) -> str:
        return ", ".join(NOMS_TYPES[t] for t in sorted(self.organisation.types))

    def est(self, genre: str) -> bool:
        return self.organisation.est(TypeOrganisation(genre))

    @property
    def voit_donnees_personnelles(self) -> bool:
        return permissions.lecture_personnelle(self.organisation)


class NonConnecte(Exception):
    """A page asked for without a valid session: sign in first, then come back to `suite`."""

    def __init__(self, suite: str) -> None:
        super().__init__(suite)
        self.suite = suite


def agent(territoire: Territoire, identifiant: str) -> tuple[Organisation, Agent] | None:
    for o in territoire.organisations:
        for a in o.agents:
            if a.identifiant == identifiant:
                return o, a
    return None


def connecte(
    request: Request,
    registre: Registre = Depends(dep.registre),
    sessions: Sessions = Depends(dep.sessions),
) -> Connecte:
    s = sessions.lire(request.cookies.get(COOKIE_SESSION))
    trouve = agent(registre.territoire, s.agent) if s else None
    if s is None or trouve is None:
        suite = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NonConnecte(suite if request.method == "GET" else "/espace")
    return Connecte(trouve[0], trouve[1], s, sessions.jeton_csrf(s))


def connecte_ou_rien(
    request: Request,
    registre: Registre = Depends(dep.registre),
    sessions: Sessions = Depends(dep.sessions),
) -> Connecte | None:
    try:
        return connecte(request, registre, sessions)
    except NonConnecte:
        return None


async def formulaire(request: Request, qui: Connecte) -> dict[str, str]:
    """The posted form's fields, once its CSRF token is the session's (else 403)."""
    form = await request.form()
    jeton = form.get(CHAMP_CSRF)
    if not isinstance(jeton, str) or jeton != qui.csrf:
        raise ErreurHTTP(403, "csrf_invalide", "this form does not carry this session's CSRF token: reload the page")
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def formulaire_anonyme(request: Request) -> dict[str, str]:
    """A form posted before sign-in: its token must be the one in the cookie (double submit)."""
    form = await request.form()
    jeton, cookie = form.get(CHAMP_CSRF), request.cookies.get(COOKIE_CSRF)
    if not isinstance(jeton, str) or not cookie or jeton != cookie:
        raise ErreurHTTP(403, "csrf_invalide", "this form's CSRF token does not match its cookie: reload the page")
    return {k: v for k, v in form.items() if isinstance(v, str)}


def commande_de(genre: type[c.Commande], champs: Mapping[str, Any]) -> c.Commande:
    """The domain's command from a form's fields: empty fields are left out (the command's
    defaults apply), texts converted as the JSON endpoint would decode them; a field that does
    not convert is the API's `payload_invalide`, naming it."""
    donnees: dict[str, Any] = {k: v for k, v in champs.items() if not k.startswith("_") and v != ""}
    try:
        return msgspec.convert(donnees, genre, strict=False)
    except msgspec.ValidationError as e:
        raise ErreurHTTP(422, "payload_invalide", f"{genre.__name__}: {e}") from None


def rendre(
    request: Request,
    gabarit: str,
    contexte: dict[str, Any] | None = None,
    qui: Connecte | None = None,
    statut: int = 200,
) -> HTMLResponse:
    ctx = {"qui": qui, "csrf": qui.csrf if qui else None, "aujourdhui": horloge.aujourdhui(), **(contexte or {})}
    r = gabarits.TemplateResponse(request, gabarit, ctx, status_code=statut)
    r.headers.update(ENTETES)
    return r


def rediriger(vers: str) -> Response:
    return RedirectResponse(vers, status_code=303, headers={"Cache-Control": "no-store"})


def vers_connexion(suite: str) -> Response:
    return rediriger(f"/connexion?suite={quote(suite, safe='/')}")


def date_de(texte: str | None, nom: str) -> date | None:
    if not texte:
        return None
    try:
        jour = date.fromisoformat(texte)
    except ValueError:
        raise ErreurHTTP(422, "parametre_invalide", f"{nom}: {texte!r} is not a date (YYYY-MM-DD)", parametre=nom) from None
    return jour_borne(nom, jour)


def instant_de(texte: str | None, nom: str) -> datetime | None:
    """A `datetime-local` field (no offset) is read in Europe/Paris, the territory's time."""
    if not texte:
        return None
    try:
        t = datetime.fromisoformat(texte)
    except ValueError:
        raise ErreurHTTP(
            422, "parametre_invalide", f"{nom}: {texte!r} is not an instant (YYYY-MM-DDTHH:MM)", parametre=nom
        ) from None
    t = t if t.tzinfo is not None else t.replace(tzinfo=horloge.FUSEAU)
    jour_borne(nom, t.date())
    return t


# -- template filters --------------------------------------------------------------------------------


def _date_fr(d: date | datetime | None) -> str:
    if d is None:
        return ""
    if isinstance(d, datetime):
        return d.astimezone(horloge.FUSEAU).strftime("%d/%m/%Y %H:%M")
    return d.strftime("%d/%m/%Y")


def _nombre(x: Decimal | int | float | None, decimales: int | None = None) -> str:
    if x is None:
        return "—"
    if decimales is not None:
        x = round(Decimal(str(x)), decimales)
    brut = f"{x:,}" if isinstance(x, int) else str(x)
    return brut.replace(",", "\u202f").replace(".", ",")


gabarits.env.filters["date_fr"] = _date_fr
gabarits.env.filters["nombre"] = _nombre
