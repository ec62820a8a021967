"""The ledger's read models, built in one place: the API, the CLI and the background work all
follow the same list, so a new read model is added here once."""

from __future__ import annotations

from collections.abc import Callable

from adapters.registre import Registre
from projections.cotation import ProjectionCotation
from projections.echeances import ProjectionEcheances
from projections.suivi import Projection, Suiveur
from projections.vue_statistiques import ProjectionStatistiques

ECHEANCES, COTATION, STATISTIQUES = "echeances", "cotation", "statistiques"

PROJECTIONS: dict[str, Callable[[Registre], Projection]] = {
    ECHEANCES: ProjectionEcheances,
    COTATION: ProjectionCotation,
    STATISTIQUES: ProjectionStatistiques,
}


def suiveur(registre: Registre, nom: str) -> Suiveur:
    return Suiveur(registre, PROJECTIONS[nom](registre))


def suiveurs(registre: Registre) -> dict[str, Suiveur]:
    """Every read model with its follower, by name (the names `ledger rebuild` takes)."""
    return {nom: suiveur(registre, nom) for nom in PROJECTIONS}
