"""Health for operators and load balancers, without a token: `/sante` says the process answers,
`/sante/pret` whether it can serve — the database reachable, each read model's lag behind the
log in events, the background work's state (last schedule run, errors)."""

from __future__ import annotations

from datetime import date

import msgspec
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from adapters.background import BackgroundWork
from adapters.database import verifier_connexion
from adapters.registre import Registre
from api import dependances as dep
from api import reponses
from domain import horloge
from projections.suivi import Suiveur

routeur = APIRouter(tags=["sante"])


class Vivant(msgspec.Struct, frozen=True, omit_defaults=True):
    statut: str
    # Read models stopped on an event they cannot apply: the process answers, they do not.
    modeles_en_panne: dict[str, str] = {}


class ModeleLu(msgspec.Struct, frozen=True, omit_defaults=True):
    nom: str
    position: int
    retard: int  # events of the log not yet applied
    reconstruction_requise: bool
    panne: str | None = None  # the event it stopped on, and why


def _pannes(suiveurs: dict[str, Suiveur]) -> dict[str, str]:
    return {nom: s.panne.decrire(nom) for nom, s in suiveurs.items() if s.panne is not None}


class Planification(msgspec.Struct, frozen=True):
    active: bool
    dernier_jour: date | None
    dernier_resume: str | None


class Pret(msgspec.Struct, frozen=True):
    pret: bool
    aujourdhui: date
    base: str  # "ok" or what failed
    position: int | None
    modeles: list[ModeleLu]
    suivi_en_arriere_plan: bool
    planification: Planification
    erreurs: dict[str, str]
    raisons: list[str]  # why not ready, if not


def _json(obj: object, status: int = 200) -> Response:
    return Response(
        msgspec.json.encode(obj), status_code=status, media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@routeur.get(
    "/sante",
    summary="Liveness: the process answers (and which read models stopped on an event, if any)",
    response_class=Response,
    responses={200: {"description": "Alive", "content": {"application/json": {"schema": reponses.schema_en_ligne(Vivant)}}}},
)
def vivant(suiveurs: dict[str, Suiveur] = Depends(dep.suiveurs)) -> Response:
    return _json(Vivant("ok", _pannes(suiveurs)))


@routeur.get(
    "/sante/pret",
    summary="Readiness: database reachable, each read model's lag in events, background work",
    description="200 when the ledger can serve, 503 otherwise (database unreachable, background "
    "work failing, a read model stopped on an event it cannot apply, or a read model more than "
    "`retard_max` events behind when given); the same body either way.",
    response_class=Response,
    responses={
        s: {"description": d, "content": {"application/json": {"schema": reponses.schema_en_ligne(Pret)}}}
        for s, d in ((200, "Ready"), (503, "Not ready: `raisons` says why"))
    },
)
def pret(
    retard_max: int | None = Query(None, ge=0, le=2**53, description="503 if a read model lags more than this"),
    registre: Registre = Depends(dep.registre),
    suiveurs: dict[str, Suiveur] = Depends(dep.suiveurs),
    fond: BackgroundWork | None = Depends(dep.fond),
) -> Response:
    raisons: list[str] = []
    position: int | None = None
    modeles: list[ModeleLu] = []
    try:
        verifier_connexion(registre.engine)
        position = registre.position()
        for nom, s in suiveurs.items():
            p = s.position()
            panne = s.panne.decrire(nom) if s.panne is not None else None
            modeles.append(ModeleLu(nom, p, max(position - p, 0), s.reconstruction_requise, panne))
        base = "ok"
    except Exception as e:  # the answer to an operator is what failed, not a 500
        base = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        raisons.append("database unreachable")
    erreurs = dict(fond.status.errors) if fond else {}
    raisons += [f"{k}: {v}" for k, v in erreurs.items()]
    raisons += list(_pannes(suiveurs).values())
    if retard_max is not None:
        raisons += [f"{m.nom} lags {m.retard} events" for m in modeles if m.retard > retard_max]
    st = fond.status if fond else None
    corps = Pret(
        pret=not raisons,
        aujourdhui=horloge.aujourdhui(),
        base=base,
        position=position,
        modeles=modeles,
        suivi_en_arriere_plan=bool(fond and fond.following),
        planification=Planification(
            active=bool(st and st.schedule),
            dernier_jour=st.last_schedule_day if st else None,
            dernier_resume=st.last_schedule.resume() if st and st.last_schedule else None,
        ),
        erreurs=erreurs,
        raisons=raisons,
    )
    return _json(corps, 200 if corps.pret else 503)
