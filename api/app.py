"""The HTTP API, assembled: one router per resource (`demandes`, `logements`, `cotation`,
`echeances`, `recours`, `statistiques`, `demandeur`, `sante`, `commissions` with the flux), what routes are given by
dependency (`api/dependances.py`), the problem+json error handlers, and the OpenAPI document whose
component schemas are generated from the same msgspec structs the endpoints decode and encode.

A route only decodes, calls and encodes: commands go to the `Registre`, reads to the queries of
`projections/` (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from adapters.background import BackgroundWork
from adapters.database import ERREURS_DE_CONNEXION
from adapters.integrite import PointDeControle, PreuveCoherence, PreuveInclusion
from adapters.registre import Registre, Resultat
from adapters.sne.importation import RapportImport
from api import (
    commissions,
    cotation,
    demandes,
    demandeur,
    dossier,
    echange,
    echeances,
    garde,
    integrite,
    logements,
    recherche,
    recours,
    reponses,
    sante,
    statistiques,
)
from api.demandes import COMMANDES
from api.dependances import fermer, installer
from api.pages import PAGES
from api.pages import documentation as docs_locales
from api.pages import erreurs as erreurs_pages
from api.problemes import Probleme, sur_base_injoignable, sur_erreur_interne, sur_modele_en_panne
from domain import commandes as c
from projections import modeles
from projections.explication import ReponseCotation
from projections.flux import PageFlux
from projections.historique import EntreeHistorique
from projections.lectures_personnelles import LecturePersonnelle
from projections.suivi import ModeleEnPanne, Suiveur
from projections.vue_demande import VueDemande

# The structs whose schemas are the document's components (`#/components/schemas/<name>`).
TYPES_SCHEMAS: list[Any] = [
    Probleme, Resultat, VueDemande, EntreeHistorique, ReponseCotation, RapportImport, PageFlux,
    PointDeControle, PreuveInclusion, PreuveCoherence, LecturePersonnelle,
] + [t for _, t, _ in COMMANDES] + [
    c.Enregistrer,
    c.DeclarerVacance,
    c.OrienterVacance,
    c.OuvrirSession,
    c.CloreSession,
    c.Deposer,
    c.RetracterDepot,
    dossier.VueDepot,
    commissions.Inscription,
    commissions.DecisionEnSeance,
]

# In this order, the order of the OpenAPI document's paths.
ROUTEURS = (
    integrite.routeur,
    statistiques.routeur,
    demandeur.routeur,
    sante.routeur,
    demandes.routeur,
    cotation.routeur,
    demandes.routeur_commandes,
    dossier.routeur,
    echeances.routeur,
    recours.routeur,
    logements.routeur,
    echange.routeur,
    commissions.routeur,
    recherche.routeur,
)


def creer_app(
    registre: Registre,
    suiveurs: dict[str, Suiveur] | None = None,
    fond: BackgroundWork | None = None,
) -> FastAPI:
    """The application over `registre`. With `fond` (what `ledger serve` gives), the read
    models follow the log and the schedule runs in the background while the app is up; without
    it, reads catch the read models up themselves."""

    @asynccontextmanager
    async def vie(_app: FastAPI) -> AsyncIterator[None]:
        if fond is not None:
            fond.start()
        try:
            yield
        finally:
            if fond is not None:
                fond.stop()
            fermer(_app)

    app = FastAPI(
        lifespan=vie,
        docs_url=None,  # served from local files by api/pages/documentation.py
        redoc_url=None,
        title="Demand Ledger",
        version="0.1.0",
        description=(
            "Shared, event-sourced ledger of social housing applications (demandes de logement "
            "social). Every command appends events, never changes them. Authenticate with the "
            "agent's bearer token; it fixes the organisation recorded on the events. Errors are "
            "application/problem+json with `regle`, the rule that refused the request. Send "
            "`If-Match: \"<version>\"` (the ETag of the demand) to refuse a write on a stale view."
        ),
    )
    if suiveurs is None:
        suiveurs = fond.suiveurs if fond else modeles.suiveurs(registre)
    installer(app, registre, suiveurs, fond)
    # problem+json for the API, the same status and rule as a page for a browser
    erreurs_pages.installer(app)
    garde.installer(app)  # 413 beyond the size limit
    for erreur in ERREURS_DE_CONNEXION:
        app.add_exception_handler(erreur, sur_base_injoignable)
    app.add_exception_handler(ModeleEnPanne, sur_modele_en_panne)
    app.add_exception_handler(Exception, sur_erreur_interne)  # 500 as problem+json
    for routeur in ROUTEURS:
        app.include_router(routeur)
    for routeur in PAGES:
        app.include_router(routeur)
    docs_locales.monter(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        _, composants = msgspec.json.schema_components(TYPES_SCHEMAS, ref_template="#/components/schemas/{name}")
        schema.setdefault("components", {}).setdefault("schemas", {}).update(composants)
        reponses.completer_erreurs(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
