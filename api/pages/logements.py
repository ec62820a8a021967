"""Dwellings and the CAL workspace.

The list of dwellings with their open vacancies (`projections.repertoire.lister_logements`, what
GET /logements answers). A dwelling's page is the CAL workspace of its bailleur: the vacancy's
designated candidates with their points and rank (`vacance_du_logement`), the active demands
whose wishes suit the dwelling in rank order (`compatibles`, GET
/logements/{id}/candidats-compatibles), and the forms the viewer's organisation may post —
declare a vacancy, designate, record each candidate's CAL decision and refusal — asked of
`permissions.peut` with the dwelling; every form posts the same command as the API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.background import BackgroundWork
from adapters.registre import Registre
from api import dependances as dep
from api.logements import logement_du_territoire
from api.pages.actions import LIBELLES_DECISION, Action, Champ, champs_decision_cal, champs_refus
from api.pages.commun import Connecte, commande_de, connecte, formulaire, rediriger, rendre
from api.pages.demandes import noms_organisations
from api.problemes import ErreurHTTP
from domain import commandes as c
from domain import horloge
from domain.codes import TypeOrganisation, Typologie
from domain.permissions import peut
from projections.lecteurs import Lecteurs
from projections.listes import CurseurInvalide
from projections.repertoire import compatibles, lister_logements, vacance_du_logement

routeur = APIRouter(include_in_schema=False)


def _ou_rien(x: str | None) -> str | None:
    return x.strip() if x and x.strip() else None


@routeur.get("/espace/logements")
def page_logements(
    request: Request,
    bailleur: str | None = None,
    commune: str | None = None,
    typologie: str | None = None,
    vacant: str | None = None,
    curseur: str | None = None,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    typ = _ou_rien(typologie)
    if typ is not None and typ not in Typologie.__members__:
        raise ErreurHTTP(422, "parametre_invalide", f"typologie: {typ!r} is not a typology", parametre="typologie")
    filtre_vacant = {"1": True, "0": False}.get(vacant or "")
    try:
        page = lister_logements(
            lecteurs, registre.territoire.logements, _ou_rien(bailleur), _ou_rien(commune), typ,
            filtre_vacant, 50, _ou_rien(curseur),
        )
    except CurseurInvalide as e:
        raise ErreurHTTP(422, "curseur_invalide", str(e)) from None
    t = registre.territoire
    filtres = {"bailleur": bailleur or "", "commune": commune or "", "typologie": typ or "", "vacant": vacant or ""}
    suivante = None
    if page.suivant:
        suivante = request.url.include_query_params(curseur=page.suivant)
        suivante = f"{suivante.path}?{suivante.query}"
    return rendre(request, "logements.html", {
        "page": page, "filtres": filtres, "suivante": suivante,
        "bailleurs": sorted((o.code, o.nom) for o in t.organisations if o.est(TypeOrganisation.bailleur)),
        "communes": [(x.insee, x.nom) for x in t.communes],
        "typologies": [x.value for x in Typologie],
        "noms": noms_organisations(registre),
        "noms_communes": {x.insee: x.nom for x in t.communes},
    }, qui)


@routeur.get("/espace/logements/{identifiant}")
def page_logement(
    request: Request,
    identifiant: str,
    ok: str | None = None,
    curseur: str | None = None,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    spec = logement_du_territoire(registre, identifiant)
    jour = horloge.aujourdhui()
    vacance = vacance_du_logement(registre, lecteurs, spec, jour)
    try:
        liste = compatibles(lecteurs, spec, jour, 20, _ou_rien(curseur))
    except CurseurInvalide as e:
        raise ErreurHTTP(422, "curseur_invalide", str(e)) from None
    org = qui.organisation
    retour = f"/espace/logements/{identifiant}"
    designes = {x.numero_unique for x in vacance.candidats}
    peut_designer = vacance.logement.vacant and peut(org, c.Designer, None, spec) is None
    jour_champ = Champ("occurred_on", "Date", "date", valeur=jour.isoformat())
    par_candidat: dict[str, list[Action]] = {}
    for x in vacance.candidats:
        if x.refuse or not vacance.logement.vacant:
            continue
        actions = []
        if peut(org, c.DeciderCAL, None, spec) is None:
            actions.append(Action("decisions-cal", "Décision de la CAL", champs_decision_cal(jour), {"logement": identifiant}))
        if peut(org, c.Refuser, None, spec) is None:
            actions.append(Action("refus", "Refus du candidat", champs_refus(jour), {"logement": identifiant}))
        if x.decision and peut(org, c.SignerBail, None, spec) is None:
            actions.append(Action("baux", "Signer le bail", (jour_champ,), {"logement": identifiant}))
        par_candidat[x.numero_unique] = actions
    suivante = None
    if liste.suivant:
        u = request.url.include_query_params(curseur=liste.suivant)
        suivante = f"{u.path}?{u.query}"
    return rendre(request, "logement.html", {
        "spec": spec,
        "vacance": vacance,
        "liste": liste,
        "suivante": suivante,
        "designes": designes,
        "peut_designer": peut_designer,
        "peut_declarer": not vacance.logement.vacant and peut(org, c.DeclarerVacance, None, spec) is None,
        "par_candidat": par_candidat,
        "retour": retour,
        "ok": ok,
        "noms": noms_organisations(registre),
        "noms_communes": {x.insee: x.nom for x in registre.territoire.communes},
        "libelles": {k.value: v for k, v in LIBELLES_DECISION.items()},
    }, qui)


@routeur.post("/espace/logements/{identifiant}/vacances")
async def declarer_vacance(
    request: Request,
    identifiant: str,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    fond: BackgroundWork | None = Depends(dep.fond),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    """The same command and `Registre` entry as POST /logements/{id}/vacances."""
    champs = await formulaire(request, qui)
    cmd = commande_de(c.DeclarerVacance, champs)
    assert isinstance(cmd, c.DeclarerVacance)
    registre.declarer_vacance(qui.organisation, qui.agent.identifiant, identifiant, cmd)
    if fond is not None:
        fond.wake()
    position = registre.position()
    for s in lecteurs.suiveurs.values():
        s.attendre(position)
    return rediriger(f"/espace/logements/{identifiant}?ok=vacances")
