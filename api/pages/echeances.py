"""Deadlines: notices, radiations due, demands past the délai anormalement long, offers and
recours — the rows of GET /echeances (`projections.listes.page_echeances`), filtered by dates,
type and demand, a page at a time."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import dependances as dep
from api.pages.commun import Connecte, connecte, date_de, rendre
from api.problemes import ErreurHTTP
from domain import calendrier, horloge
from projections.lecteurs import Lecteurs
from projections.listes import CurseurInvalide, page_echeances

routeur = APIRouter(include_in_schema=False)
TYPES = {
    "anniversaire": "date anniversaire",
    "preavis_premier": "premier préavis de radiation",
    "preavis_second": "second préavis de radiation",
    "radiation_non_renouvellement": "radiation pour non-renouvellement (RADREN) due",
    "radiation_possible": "radiation possible après mise en demeure",
    "delai_anormalement_long": "délai anormalement long",
    "reponse_offre": "réponse à l'offre attendue",
    "condition_suspensive": "condition suspensive à lever",
    "reactivation_possible": "réactivation possible jusqu'au",
    "effacement": "effacement des données personnelles",
    "fin_decote": "fin de décote",
    "recours_possible": "recours possible jusqu'au",
    "pieces_demandees": "pièces ou informations demandées, réponse attendue le",
    "visite": "visite de logement proposée",
}
DEBUT_DES_TEMPS = date(2000, 1, 1)


@routeur.get("/espace/echeances")
def page_echeances_(
    request: Request,
    du: str | None = None,
    au: str | None = None,
    type: str | None = None,
    demande: str | None = None,
    curseur: str | None = None,
    qui: Connecte = Depends(connecte),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    jour = horloge.aujourdhui()
    debut = date_de(du, "du") or jour
    fin = date_de(au, "au") or calendrier.ajouter_mois(jour, 1)
    if type and type not in TYPES:
        raise ErreurHTTP(422, "parametre_invalide", f"type: {type!r} is not a deadline type", parametre="type")
    try:
        page = page_echeances(lecteurs, debut, fin, type or None, (demande or "").strip() or None, 50, curseur or None)
    except CurseurInvalide as e:
        raise ErreurHTTP(422, "curseur_invalide", str(e)) from None
    suivante = None
    if page.suivant:
        u = request.url.include_query_params(curseur=page.suivant)
        suivante = f"{u.path}?{u.query}"
    return rendre(request, "echeances.html", {
        "page": page, "suivante": suivante, "types": TYPES,
        "filtres": {"du": debut.isoformat(), "au": fin.isoformat(), "type": type or "", "demande": demande or ""},
        "depasses": f"/espace/echeances?type=delai_anormalement_long&du={DEBUT_DES_TEMPS.isoformat()}&au={jour.isoformat()}",
    }, qui)
