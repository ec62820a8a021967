"""The demandeur's own page (CCH R.441-2-17; docs/demandeur.md), opened in a browser with the
numéro unique and the access code typed in a form (posted: the code never lands in a URL). The
code is checked as GET /demandeur/{n} checks it (`adapters.code_demandeur.code_valable`: a wrong
code says nothing about whether the demand exists), and the page shows what that endpoint
answers (`information_demandeur`) in plain French, with what the demandeur can do next."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.registre import Registre
from api import dependances as dep
from api.demandeur import verifier_code
from api.limites import Limiteur
from api.pages.commun import formulaire_anonyme, rendre
from api.pages.connexion import avec_jeton_anonyme, jeton_du_formulaire
from api.problemes import ErreurHTTP
from domain import horloge
from projections.information_demandeur import AttentesParAnnee, information_demandeur
from projections.lecteurs import Lecteurs
from projections.lectures_personnelles import LECTEUR_DEMANDEUR, noter

routeur = APIRouter(include_in_schema=False)


@routeur.get("/mon-dossier")
def formulaire_demandeur(request: Request) -> Response:
    jeton = jeton_du_formulaire(request)
    return avec_jeton_anonyme(request, rendre(request, "demandeur.html", {"jeton": jeton, "info": None}), jeton)


@routeur.post("/mon-dossier")
async def dossier_demandeur(
    request: Request,
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
    attentes: AttentesParAnnee = Depends(dep.attentes),
    secret: Callable[[], bytes] = Depends(dep.secret_demandeur),
    limiteur: Limiteur = Depends(dep.limiteur),
) -> Response:
    champs = await formulaire_anonyme(request)
    numero = champs.get("numero_unique", "").strip()
    code = champs.get("code", "").strip()
    jeton = jeton_du_formulaire(request)
    try:
        verifier_code(limiteur, request, secret, numero, code)  # 429 while blocked: an error page
    except ErreurHTTP as e:
        if e.statut != 401:
            raise
        r = rendre(request, "demandeur.html", {
            "jeton": jeton, "info": None, "numero": numero, "regle": "code_demandeur_invalide",
            "erreur": "Ce code d'accès n'ouvre pas ce numéro de demande. Vérifiez les deux, ou demandez "
                      "votre code au guichet qui a enregistré votre demande.",
        }, None, 401)
        return avec_jeton_anonyme(request, r, jeton)
    info = information_demandeur(registre, lecteurs, attentes, numero, horloge.aujourdhui())
    noter(registre, LECTEUR_DEMANDEUR, [numero], "page_demandeur")
    communes = {c.insee: c.nom for c in registre.territoire.communes}
    noms = {o.code: o.nom for o in registre.territoire.organisations}
    r = rendre(request, "demandeur.html", {"jeton": jeton, "info": info, "communes": communes, "noms": noms})
    return avec_jeton_anonyme(request, r, jeton)
