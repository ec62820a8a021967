"""What a route is given, as FastAPI dependencies: the `Registre`, the read models as reads find
them (`projections.lecteurs.Lecteurs`), the background work, the demandeur's secret and
waiting-time memory. `installer` puts them on the application once (in `creer_app`); this module
is the only one that reads `app.state`, so a router names what it needs in its signature
(`registre: Registre = Depends(dep.registre)`) and a page takes the same."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi import Depends, FastAPI, Request

from adapters.background import BackgroundWork
from adapters.code_demandeur import charger_secret
from adapters.registre import Registre
from adapters.session_ecran import Sessions
from adapters.session_ecran import charger_secret as charger_secret_session
from adapters.veilleur import Veilleur
from api.limites import Limiteur
from domain import horloge
from projections import modeles
from projections.information_demandeur import AttentesParAnnee
from projections.lecteurs import Lecteurs
from projections.suivi import Suiveur

_verrou_secret = threading.Lock()


def installer(
    app: FastAPI, registre: Registre, suiveurs: dict[str, Suiveur], fond: BackgroundWork | None
) -> None:
    """Everything the dependencies below hand out, kept on the application."""
    app.state.registre = registre
    app.state.suiveurs = suiveurs  # the same dict the background follows and Lecteurs extends
    app.state.fond = fond
    app.state.lecteurs = modeles.lecteurs(registre, suiveurs, lambda: fond is not None and fond.following)
    app.state.attentes = AttentesParAnnee(registre.lecture)
    app.state.secret_demandeur = None  # loaded on the first demandeur request
    app.state.sessions = None  # the pages' session key, loaded on the first page that needs it
    app.state.veilleur = None  # started by the first long poll of /flux
    app.state.limiteur = Limiteur()  # failed authentications, in this process's memory


def fermer(app: FastAPI) -> None:
    """What the application started for itself, stopped (its lifespan's end)."""
    v: Veilleur | None = app.state.veilleur
    if v is not None:
        v.arreter()
        app.state.veilleur = None


def registre(request: Request) -> Registre:
    r: Registre = request.app.state.registre
    return r


def fond(request: Request) -> BackgroundWork | None:
    """The background work, if this application has some (what `ledger serve` gives)."""
    f: BackgroundWork | None = request.app.state.fond
    return f


def suiveurs(request: Request) -> dict[str, Suiveur]:
    """Every read model's follower by name, as they stand (no catching up): health, read-your-writes."""
    s: dict[str, Suiveur] = request.app.state.suiveurs
    return s


def lecteurs(request: Request) -> Lecteurs:
    """The read models as reads find them: what the queries of `projections/` take."""
    lus: Lecteurs = request.app.state.lecteurs
    return lus


def lecteur_de(nom: str, du_jour: bool = False) -> Callable[..., Suiveur]:
    """A dependency giving the read model `nom` caught up (and brought to today with `du_jour`)
    unless the background does it: for a route that always reads that one model."""

    def lecteur(lus: Lecteurs = Depends(lecteurs)) -> Suiveur:
        return lus.lecteur(nom, horloge.aujourdhui() if du_jour else None)

    return lecteur


def limiteur(request: Request) -> Limiteur:
    """The counts of failed authentications (api/limites.py)."""
    lim: Limiteur = request.app.state.limiteur
    return lim


def attentes(request: Request) -> AttentesParAnnee:
    """The application's memory of last year's waiting times (the demandeur's information)."""
    a: AttentesParAnnee = request.app.state.attentes
    return a


_verrou_veilleur = threading.Lock()


def veilleur(request: Request) -> Veilleur:
    """The application's one watcher of the log, for the long polls of /flux: started on first
    use, stopped with the application."""
    etat = request.app.state
    if etat.veilleur is None:
        with _verrou_veilleur:
            if etat.veilleur is None:
                etat.veilleur = Veilleur(etat.registre).demarrer()
    v: Veilleur = etat.veilleur
    return v


def secret_demandeur(request: Request) -> Callable[[], bytes]:
    """The server secret of the demandeur's access codes, as a function: read (or generated)
    when first called, so that a request refused earlier (no code, not a guichet) and an
    application that never serves a demandeur never touch the data directory."""
    etat = request.app.state

    def secret() -> bytes:
        if etat.secret_demandeur is None:
            with _verrou_secret:
                if etat.secret_demandeur is None:
                    etat.secret_demandeur = charger_secret(etat.registre.stockage)
        s: bytes = etat.secret_demandeur
        return s

    return secret


def sessions(request: Request) -> Sessions:
    """The pages' web sessions (adapters/session_ecran.py), their key read on first use."""
    etat = request.app.state
    if etat.sessions is None:
        with _verrou_secret:
            if etat.sessions is None:
                etat.sessions = Sessions(charger_secret_session(etat.registre.stockage))
    s: Sessions = etat.sessions
    return s
