"""Dwellings and the CAL workspace.

The list of dwellings with their open vacancies (`projections.repertoire.lister_logements`, what
GET /logements answers). A dwelling's page is the CAL workspace of its bailleur: the vacancy's
designated candidates with their points and rank (`vacance_du_logement`), the active demands
whose wishes suit the dwelling in rank order with the tie rules (`compatibles`, GET
/logements/{id}/candidats-compatibles), the CAL sessions that put the vacancy on their agenda
with its part of their minutes (`seances_du_logement`, what GET /commissions/{s}/proces-verbal
answers), and the forms the viewer's organisation may post — declare a vacancy, designate,
prepare a session (open it: `api/pages/commissions.py`), inscribe each candidate on its agenda,
record each candidate's decision within it with its coded motifs, the refusals and their
qualification (with the décote), close it — asked of `permissions.peut` with the dwelling and of
the session's rule; every form posts the same command as the API, to the same `Registre`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.background import BackgroundWork
from adapters.registre import Registre
from api import dependances as dep
from api.logements import logement_du_territoire
from api.pages.actions import LIBELLES_DECISION, actions_vacance, en_seance
from api.pages.commissions import LIBELLES_FORME, membres_proposes
from api.pages.commun import Connecte, commande_de, connecte, formulaire, rediriger, rendre
from api.pages.demandes import noms_organisations
from api.problemes import ErreurHTTP
from domain import commandes as c
from domain import horloge
from domain.codes import FormeSession, TypeOrganisation, Typologie
from domain.permissions import peut
from projections.commissions import LIBELLES_QUALITE, seances_du_logement
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
    seance: str | None = None,
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
    demandee = _ou_rien(seance)
    seances = seances_du_logement(
        registre, identifiant, vacance.logement.vacance, [x.numero_unique for x in vacance.candidats], demandee
    ) if vacance.logement.vacance else []
    # The session worked in: the one asked for, else the latest still open that this
    # organisation records in, else none (the form to prepare one is offered).
    courante = next((x for x in seances if x.session == demandee), None) or next(
        (x for x in reversed(seances) if not x.close and en_seance(org, x)), None
    )
    par_seance = {x.numero_unique: x for x in courante.point.candidats} if courante and courante.point else {}
    retour = f"/espace/logements/{identifiant}" + (f"?seance={courante.session}" if courante else "")
    suivante = None
    if liste.suivant:
        u = request.url.include_query_params(curseur=liste.suivant)
        suivante = f"{u.path}?{u.query}"
    t = registre.territoire
    return rendre(request, "logement.html", {
        "spec": spec,
        "vacance": vacance,
        "liste": liste,
        "suivante": suivante,
        "designes": {x.numero_unique for x in vacance.candidats},
        "peut_designer": vacance.logement.vacant and peut(org, c.Designer, None, spec) is None,
        "peut_declarer": not vacance.logement.vacant and peut(org, c.DeclarerVacance, None, spec) is None,
        "par_candidat": actions_vacance(org, spec, vacance, courante, jour),
        "seances": seances,
        "courante": courante,
        "par_seance": par_seance,
        "peut_ouvrir": vacance.logement.vacant and peut(org, c.OuvrirSession, None, spec) is None,
        "peut_clore": (
            courante is not None and not courante.close and en_seance(org, courante)
            and peut(org, c.CloreSession, None, spec) is None
        ),
        "membres": membres_proposes(qui, t, spec),
        "qualites": [(k.value, v) for k, v in LIBELLES_QUALITE.items()],
        "organisations": sorted((o.code, o.nom) for o in t.organisations if o.types - {TypeOrganisation.systeme}),
        "formes": [(f.value, LIBELLES_FORME[f]) for f in FormeSession],
        "retour": retour,
        "ok": ok,
        "noms": noms_organisations(registre),
        "noms_communes": {x.insee: x.nom for x in t.communes},
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
