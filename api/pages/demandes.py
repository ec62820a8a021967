"""A demand's page and finding a demand.

The page shows what GET /demandes/{n}, /cotation and /historique answer, from the same queries
(`vue` of the state `vue_courante` reads, `cotation_expliquee`, `historique`), over the demand
loaded once and shared by every section (each endpoint loads it for itself): the current state, the score with each
criterion, its points, grid version and provenance linked to the event that set it, as of a date
and as known at an instant (the auditor's replay), the partner-traceable history, and the forms
of the commands the viewer's organisation may record (`api/pages/actions.py`). A form posts the
same command struct the JSON endpoint decodes to the same `Registre.executer`, with the page's
version as If-Match. Personal data only for the organisations `permissions.lecture_personnelle`
allows.

Finding a demand: by numéro unique, or by name and birth date through the blind index
(`projections.repertoire.rechercher`), posted so that no name lands in a URL or a log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.background import BackgroundWork
from adapters.registre import Registre
from api import dependances as dep
from api.demandes import COMMANDES, apres_commande
from api.pages.actions import actions_demande, retractables
from api.pages.commun import (
    Connecte,
    commande_de,
    connecte,
    date_de,
    formulaire,
    instant_de,
    rediriger,
    rendre,
)
from api.problemes import ErreurHTTP
from domain import horloge, permissions
from domain.erreurs import RegleEnfreinte
from projections.explication import cotation_expliquee
from projections.lecteurs import Lecteurs
from projections.lectures_personnelles import Lecteur, noter, page_pour
from projections.listes import CurseurInvalide
from projections.repertoire import rechercher
from projections.vue_demande import vue as vue_de

routeur = APIRouter(include_in_schema=False)
PAR_SEGMENT = {segment: t for segment, t, _ in COMMANDES}


@routeur.get("/espace/recherche")
def page_recherche(request: Request, numero: str | None = None, qui: Connecte = Depends(connecte)) -> Response:
    if numero:
        return rediriger(f"/espace/demandes/{numero.strip()}")
    return rendre(request, "recherche.html", {"resultats": None}, qui)


@routeur.post("/espace/recherche")
async def rechercher_par_nom(
    request: Request,
    qui: Connecte = Depends(connecte),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
    registre: Registre = Depends(dep.registre),
) -> Response:
    champs = await formulaire(request, qui)
    permissions.donnees_personnelles(qui.organisation)  # 403 for an auditeur, as the API
    nom = champs.get("nom", "").strip()
    naissance = date_de(champs.get("date_naissance"), "date_naissance")
    if not nom or naissance is None:
        raise ErreurHTTP(422, "recherche_incomplete", "a name and a birth date are both required")
    try:
        page = rechercher(lecteurs, nom, naissance, 50, champs.get("curseur") or None)
        noter(registre, Lecteur(qui.organisation, qui.agent.identifiant), page.lignes, "recherche")
    except CurseurInvalide as e:
        raise ErreurHTTP(422, "curseur_invalide", str(e)) from None
    return rendre(request, "recherche.html", {"resultats": page, "nom": nom, "date_naissance": naissance}, qui)


@routeur.get("/espace/demandes/{numero_unique}")
def page_demande(
    request: Request,
    numero_unique: str,
    au: str | None = None,
    connu_a: str | None = None,
    ok: str | None = None,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    jour = date_de(au, "au")
    instant = instant_de(connu_a, "connu_a")
    aujourdhui = horloge.aujourdhui()
    # Loaded once, read by every section (state, score, history, forms); nothing changes it.
    d = registre.demande(numero_unique)
    etat = d.etat_courant(aujourdhui, registre.territoire.retention_donnees_mois)
    # What vue_courante (GET /demandes/{n}) answers, from the same state, and the history, as
    # this reader may see them (one read journaled for the page).
    vue, entrees = page_pour(registre, Lecteur(qui.organisation, qui.agent.identifiant), d, vue_de(d, etat))
    try:
        cotation = cotation_expliquee(registre, lecteurs, numero_unique, jour, instant, False, d)
        probleme_cotation = None
    except RegleEnfreinte as e:
        cotation, probleme_cotation = None, e.message
    return rendre(request, "demande.html", {
        "vue": vue,
        "cotation": cotation,
        "probleme_cotation": probleme_cotation,
        "au": jour,
        "connu_a": instant,
        "connu_a_champ": instant.astimezone(horloge.FUSEAU).strftime("%Y-%m-%dT%H:%M") if instant else "",
        "historique": entrees,
        "actions": actions_demande(qui.organisation, d, etat, registre.territoire, aujourdhui),
        "retractables": retractables(qui.organisation, d),
        "noms": noms_organisations(registre),
        "ok": ok if ok in PAR_SEGMENT else None,
        "communes": {x.insee: x.nom for x in registre.territoire.communes},
    }, qui)


@routeur.post("/espace/demandes/{numero_unique}/{segment}")
async def commande(
    request: Request,
    numero_unique: str,
    segment: str,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    fond: BackgroundWork | None = Depends(dep.fond),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    """A form's command, recorded exactly as POST /demandes/{n}/{segment} records its JSON: the
    same struct, the same `Registre.executer`, the same refusals (403 with the permission's
    rule, 422 with the precondition's), and the page's version as If-Match."""
    genre = PAR_SEGMENT.get(segment)
    if genre is None:
        raise ErreurHTTP(404, "chemin_inconnu", f"no command {segment!r} on a demand")
    champs = await formulaire(request, qui)
    cmd = commande_de(genre, champs)
    version = champs.get("_version")
    r = registre.executer(
        qui.organisation, qui.agent.identifiant, cmd, numero_unique=numero_unique,
        version_attendue=int(version) if version and version.isdigit() else None,
    )
    apres_commande(registre, r, True, fond, lecteurs)
    retour = champs.get("_retour") or ""
    if not (retour.startswith("/espace/") and not retour.startswith("//")):
        retour = f"/espace/demandes/{numero_unique}"
    separateur = "&" if "?" in retour else "?"
    return rediriger(f"{retour}{separateur}ok={segment}")


def noms_organisations(registre: Registre) -> dict[str, str]:
    return {o.code: o.nom for o in registre.territoire.organisations}
