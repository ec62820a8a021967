"""The recours queue of an appeal handler: the pending recours oldest first, each with its décote,
the refusal or pièces behind it and the days left before the 15-day limit
(`projections.listes.file_des_recours`, what GET /recours answers), and the form to decide it
(annulée or maintenue, with its motivation) where `permissions.peut` says this organisation is
the one that decides; the decided recours, searchable (`lister_recours_decides`, GET
/recours?statut=decide)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.registre import Registre
from api import dependances as dep
from api.pages.actions import Action, champs_decision_recours
from api.pages.commun import Connecte, connecte, date_de, rendre
from api.pages.demandes import noms_organisations
from api.problemes import ErreurHTTP
from domain import commandes as c
from domain import horloge
from domain.codes import DecisionRecours
from domain.permissions import peut
from projections.lecteurs import Lecteurs
from projections.listes import CurseurInvalide, file_des_recours
from projections.repertoire import lister_recours_decides

routeur = APIRouter(include_in_schema=False)


def _lien(request: Request, curseur: str | None, nom: str) -> str | None:
    if not curseur:
        return None
    u = request.url.include_query_params(**{nom: curseur})
    return f"{u.path}?{u.query}"


@routeur.get("/espace/recours")
def page_recours(
    request: Request,
    tous: str | None = None,
    curseur: str | None = None,
    decision: str | None = None,
    demande: str | None = None,
    du: str | None = None,
    au: str | None = None,
    curseur_decides: str | None = None,
    ok: str | None = None,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    jour = horloge.aujourdhui()
    organisation = None if tous else qui.organisation.code
    if decision and decision not in DecisionRecours.__members__:
        raise ErreurHTTP(422, "parametre_invalide", f"decision: {decision!r}", parametre="decision")
    try:
        file = file_des_recours(registre, lecteurs, jour, organisation, None, 50, curseur or None)
        decides = lister_recours_decides(
            lecteurs, None, decision or None, (demande or "").strip() or None,
            date_de(du, "du"), date_de(au, "au"), 20, curseur_decides or None,
        )
    except CurseurInvalide as e:
        raise ErreurHTTP(422, "curseur_invalide", str(e)) from None
    formulaires: dict[tuple[str, int], Action] = {}
    for r in file.lignes:
        etat = registre.demande(r.demande).etat_courant(jour, registre.territoire.retention_donnees_mois)
        cmd = c.DeciderRecours(occurred_on=jour, decote=r.decote, decision=DecisionRecours.maintenue, motivation="-")
        if peut(qui.organisation, cmd, etat) is None:
            formulaires[(r.demande, r.decote)] = Action(
                "decisions-recours", "Décider", champs_decision_recours(jour), {"decote": str(r.decote)}
            )
    return rendre(request, "recours.html", {
        "file": file,
        "suivante": _lien(request, file.suivant, "curseur"),
        "decides": decides,
        "suivante_decides": _lien(request, decides.suivant, "curseur_decides"),
        "formulaires": formulaires,
        "tous": bool(tous),
        "filtres": {"decision": decision or "", "demande": demande or "", "du": du or "", "au": au or ""},
        "noms": noms_organisations(registre),
        "ok": ok,
        "jour": jour,
    }, qui)
