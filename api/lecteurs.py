"""The read models as the API reads them. In a served ledger the background work keeps them
current and brings them to each new day, so a read never pays for catching up (clients who need
their own write send `?attendre=true` with the command). An application run without it, as
embedded or in tests, catches up inside the read instead."""

from __future__ import annotations

import threading
from datetime import date

from fastapi import FastAPI

from projections import modeles
from projections.suivi import Suiveur

_verrou = threading.Lock()


def lecteur(app: FastAPI, nom: str, jour: date | None = None) -> Suiveur:
    """The read model `nom`, caught up (and brought to `jour`) here unless the background does
    it; created on first use for an application built with other read models only."""
    suiveurs: dict[str, Suiveur] = app.state.suiveurs
    s = suiveurs.get(nom)
    if s is None:
        with _verrou:
            s = suiveurs.get(nom)
            if s is None:
                s = suiveurs[nom] = modeles.suiveur(app.state.registre, nom)
    fond = getattr(app.state, "fond", None)
    if fond is None or not fond.following:
        s.suivre()
        if jour is not None:
            s.changer_de_jour(jour)
    return s
