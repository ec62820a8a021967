"""The web workspace: server-rendered pages in French over the same services and queries as the
JSON API (docs/ecrans.md). One router per screen; `PAGES` is what `api/app.py` includes."""

from __future__ import annotations

from fastapi import APIRouter

from api.pages import (
    commissions,
    connexion,
    demandes,
    demandeur,
    documentation,
    echeances,
    logements,
    observatoire,
    recours,
)

PAGES: tuple[APIRouter, ...] = (
    connexion.routeur,
    demandes.routeur,
    logements.routeur,
    commissions.routeur,
    recours.routeur,
    echeances.routeur,
    observatoire.routeur,
    demandeur.routeur,
    documentation.routeur,
)
