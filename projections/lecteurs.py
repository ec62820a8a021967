"""How a read finds a read model: `Lecteurs`, the followers of one application (or process) by
name, caught up inside the read unless the background work follows the log.

In a served ledger the background work (`adapters/background.py`) keeps the read models current
and brings them to each new day, so a read never pays for catching up (clients who need their
own write send `?attendre=true` with the command). An application run without it, as embedded or
in tests, catches up inside the read instead. The queries of `projections/` that read a model
take a `Lecteurs` and ask it by name, so the JSON endpoint and a page calling the same query read
the same rows. It is built by `projections.modeles.lecteurs`, with the list of read models; this
module knows none of them, so that every query module can import it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from projections.suivi import Suiveur


class Lecteurs:
    def __init__(
        self,
        suiveurs: dict[str, Suiveur],
        creer: Callable[[str], Suiveur],
        suivis_en_fond: Callable[[], bool] = lambda: False,
    ) -> None:
        # Shared with whoever gave it (the background work follows these very followers); a
        # read model missing from it is created with `creer` and added on first use.
        self.suiveurs = suiveurs
        self.creer = creer
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
                    s = self.suiveurs[nom] = self.creer(nom)
        if not self.suivis_en_fond():
            s.suivre()
            if jour is not None:
                s.changer_de_jour(jour)
        # A read model stopped on an event it cannot apply answers nothing rather than stale
        # rows (`ModeleEnPanne`, 503); the others serve on.
        s.exiger_en_service()
        return s
