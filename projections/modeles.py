"""The ledger's read models, built in one place: the API, the CLI and the background work all
follow the same list, so a new read model is added here once.

`Lecteurs` is how a read finds them. In a served ledger the background work
(`adapters/background.py`) keeps them current and brings them to each new day, so a read never
pays for catching up (clients who need their own write send `?attendre=true` with the command).
An application run without it, as embedded or in tests, catches up inside the read instead. The
queries of `projections/` that read a model take a `Lecteurs` and ask it by name, so the JSON
endpoint and a page calling the same query read the same rows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

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


class Lecteurs:
    """The read models of one application as its reads find them."""

    def __init__(
        self,
        registre: Registre,
        suiveurs: dict[str, Suiveur],
        suivis_en_fond: Callable[[], bool] = lambda: False,
    ) -> None:
        self.registre = registre
        # Shared with whoever gave it (the background work follows these very followers); a
        # read model missing from it is added on first use.
        self.suiveurs = suiveurs
        self.suivis_en_fond = suivis_en_fond
        self._verrou = threading.Lock()

    def lecteur(self, nom: str, jour: date | None = None) -> Suiveur:
        """The read model `nom`, caught up (and brought to `jour`) here unless the background
        does it; created on first use for an application built with other read models only."""
        s = self.suiveurs.get(nom)
        if s is None:
            with self._verrou:
                s = self.suiveurs.get(nom)
                if s is None:
                    s = self.suiveurs[nom] = suiveur(self.registre, nom)
        if not self.suivis_en_fond():
            s.suivre()
            if jour is not None:
                s.changer_de_jour(jour)
        return s
