"""The ledger's read models, built in one place: the API, the CLI and the background work all
follow the same list, so a new read model is added here once; `lecteurs` gives an application
the `Lecteurs` its reads find them through (`projections/lecteurs.py`)."""

from __future__ import annotations

from collections.abc import Callable

from adapters.registre import Registre
from projections.cotation import ProjectionCotation
from projections.echeances import ProjectionEcheances
from projections.lecteurs import Lecteurs
from projections.repertoire import ProjectionRepertoire
from projections.suivi import Projection, Suiveur
from projections.vue_statistiques import ProjectionStatistiques

ECHEANCES, COTATION, STATISTIQUES, REPERTOIRE = "echeances", "cotation", "statistiques", "repertoire"

PROJECTIONS: dict[str, Callable[[Registre], Projection]] = {
    ECHEANCES: ProjectionEcheances,
    COTATION: ProjectionCotation,
    STATISTIQUES: ProjectionStatistiques,
    REPERTOIRE: ProjectionRepertoire,
}


def suiveur(registre: Registre, nom: str) -> Suiveur:
    return Suiveur(registre, PROJECTIONS[nom](registre))


def suiveurs(registre: Registre) -> dict[str, Suiveur]:
    """Every read model with its follower, by name (the names `ledger rebuild` takes)."""
    return {nom: suiveur(registre, nom) for nom in PROJECTIONS}


def lecteurs(
    registre: Registre, suiveurs: dict[str, Suiveur], suivis_en_fond: Callable[[], bool] = lambda: False
) -> Lecteurs:
    """The read models as the reads of one application find them: `suiveurs` (shared, a missing
    one added on first use), caught up inside the read unless `suivis_en_fond()`."""
    return Lecteurs(suiveurs, lambda nom: suiveur(registre, nom), suivis_en_fond)
