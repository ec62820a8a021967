"""Signing in and out, the home page and the agent's workspace (what each kind of organisation
finds there). An agent signs in with their identifier and the credential the territory gives
them (the same access token as the API's); the session cookie is HttpOnly, SameSite=Strict,
Secure over HTTPS, and expires (adapters/session_ecran.py)."""

from __future__ import annotations

import hmac
import os

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.registre import Registre
from adapters.session_ecran import Sessions, duree_secondes, jeton_anonyme
from api import dependances as dep
from api.limites import Limiteur, source
from api.pages.commun import (
    COOKIE_CSRF,
    COOKIE_SESSION,
    Connecte,
    connecte,
    connecte_ou_rien,
    formulaire,
    formulaire_anonyme,
    rediriger,
    rendre,
)

routeur = APIRouter(include_in_schema=False)


def _securise(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get("LEDGER_COOKIE_SECURE") == "1"


def _suite_sure(suite: str | None) -> str:
    # Only a path of this site: never an open redirect.
    if suite and suite.startswith("/") and not suite.startswith("//") and "\\" not in suite:
        return suite
    return "/espace"


def avec_jeton_anonyme(request: Request, reponse: Response, jeton: str) -> Response:
    if request.cookies.get(COOKIE_CSRF) != jeton:
        reponse.set_cookie(COOKIE_CSRF, jeton, httponly=True, samesite="strict", secure=_securise(request), path="/")
    return reponse


def jeton_du_formulaire(request: Request) -> str:
    return request.cookies.get(COOKIE_CSRF) or jeton_anonyme()


@routeur.get("/")
def accueil(qui: Connecte | None = Depends(connecte_ou_rien)) -> Response:
    return rediriger("/espace" if qui else "/connexion")


@routeur.get("/connexion")
def page_connexion(request: Request, suite: str | None = None, qui: Connecte | None = Depends(connecte_ou_rien)) -> Response:
    jeton = jeton_du_formulaire(request)
    r = rendre(request, "connexion.html", {"suite": _suite_sure(suite), "jeton": jeton, "erreur": None}, qui)
    return avec_jeton_anonyme(request, r, jeton)


@routeur.post("/connexion")
async def se_connecter(
    request: Request,
    registre: Registre = Depends(dep.registre),
    sessions: Sessions = Depends(dep.sessions),
    limiteur: Limiteur = Depends(dep.limiteur),
) -> Response:
    champs = await formulaire_anonyme(request)
    identifiant = champs.get("identifiant", "").strip()
    # Counted per source and per identifier signed in as; 429 (an error page) while blocked.
    cles = [source(request), ("agent", identifiant[:100])]
    limiteur.exiger(cles, "sign-ins")
    trouve = registre.territoire.agent_par_jeton(champs.get("jeton", "").strip())
    if trouve is None or not hmac.compare_digest(trouve[1].identifiant.encode(), identifiant.encode()):
        limiteur.echec(cles)
        jeton = jeton_du_formulaire(request)
        r = rendre(
            request, "connexion.html",
            {"suite": _suite_sure(champs.get("suite")), "jeton": jeton,
             "erreur": "Identifiant ou jeton d'accès inconnu.", "identifiant": identifiant},
            None, 401,
        )
        return avec_jeton_anonyme(request, r, jeton)
    limiteur.succes(cles[1:])
    valeur, _ = sessions.ouvrir(trouve[1].identifiant)
    r = rediriger(_suite_sure(champs.get("suite")))
    r.set_cookie(
        COOKIE_SESSION, valeur, max_age=duree_secondes(), httponly=True, samesite="strict",
        secure=_securise(request), path="/",
    )
    r.delete_cookie(COOKIE_CSRF, path="/")
    return r


@routeur.post("/deconnexion")
async def se_deconnecter(
    request: Request, qui: Connecte = Depends(connecte), sessions: Sessions = Depends(dep.sessions)
) -> Response:
    await formulaire(request, qui)
    sessions.fermer(qui.session)
    r = rediriger("/connexion")
    r.delete_cookie(COOKIE_SESSION, path="/")
    return r


@routeur.get("/espace")
def espace(request: Request, qui: Connecte = Depends(connecte)) -> Response:
    return rendre(request, "espace.html", {}, qui)
