"""The CAL over HTTP (DOMAIN.md §9): a bailleur opens a session of its commission d'attribution,
puts candidates on its agenda, records the decisions within it and closes it; anyone of the
territory reads its minutes (procès-verbal) as JSON or PDF, and the sessions that examined a
demand. And the gestion en flux: a bailleur orients a vacancy; anyone reads the bilan du flux.

Thin: each endpoint decodes the request, hands the domain's command to the `Registre` or asks a
read-side function of `projections/` (the same ones the pages use), and encodes the answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from adapters.proces_verbal import pdf_proces_verbal
from adapters.registre import Registre, Resultat
from api.auth import Appelant, appelant
from api.lecteurs import lecteur
from api.problemes import TYPE_MEDIA, ErreurHTTP
from domain import commandes as c
from projections.commissions import examens_de_la_demande, proces_verbal, sessions
from projections.indicateurs import Periode
from projections.journal import bilan_flux_du_journal
from projections.vue_statistiques import NOM, bilan_flux_vue

routeur = APIRouter(tags=["commissions"])

_PROBLEMES: dict[int | str, dict[str, Any]] = {
    s: {"description": d, "content": {TYPE_MEDIA: {}}}
    for s, d in {
        401: "No or unknown bearer token",
        403: "The organisation may not record this; `regle` names the rule",
        404: "Unknown session, demand or dwelling",
        409: "A concurrent write",
        422: "Invalid payload, or a broken domain rule; `regle` names it",
    }.items()
}


class Inscription(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A candidate put on the session's agenda (inscription à une CAL)."""

    numero_unique: str
    occurred_on: date
    logement: str


class DecisionEnSeance(c.DeciderCAL, kw_only=True):
    """A CAL decision within the session: the `DeciderCAL` command and the candidate's numéro."""

    numero_unique: str


def _registre(request: Request) -> Registre:
    return request.app.state.registre  # type: ignore[no-any-return]


def _corps(t: type[Any]) -> Callable[..., Any]:
    """A dependency reading the body as `t`; the endpoints stay plain `def` (thread pool)."""

    async def lire(request: Request) -> Any:
        brut = await request.body()
        if not brut:
            raise ErreurHTTP(422, "payload_requis", f"a JSON body ({t.__name__}) is required")
        try:
            return msgspec.json.decode(brut, type=t)
        except msgspec.ValidationError as e:
            raise ErreurHTTP(422, "payload_invalide", f"{t.__name__}: {e}") from None
        except msgspec.DecodeError as e:
            raise ErreurHTTP(422, "json_invalide", f"the body is not valid JSON: {e}") from None

    return lire


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(msgspec.json.encode(obj), status_code=status, media_type="application/json", headers=headers)


def _resultat(r: Resultat) -> Response:
    return _json(r, headers={"ETag": f'"{r.version}"'})


def _corps_openapi(t: type) -> dict[str, Any]:
    (schema,), _ = msgspec.json.schema_components([t], ref_template="#/components/schemas/{name}")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@routeur.post(
    "/commissions", status_code=201, response_class=Response, responses=_PROBLEMES,
    summary="Opens a session of the bailleur's CAL (its date, form and members present)",
    openapi_extra=_corps_openapi(c.OuvrirSession),
)
def ouvrir(
    request: Request, qui: Appelant = Depends(appelant), cmd: Any = Depends(_corps(c.OuvrirSession))
) -> Response:
    s = _registre(request).ouvrir_session(qui.organisation, qui.agent.identifiant, cmd)
    return _json({"session": s.identifiant, "date": s.date}, 201, {"Location": f"/commissions/{s.identifiant}"})


@routeur.get("/commissions", response_class=Response, responses=_PROBLEMES, summary="CAL sessions, in log order")
def lister(
    request: Request,
    bailleur: str | None = Query(None),
    du: date | None = Query(None),
    au: date | None = Query(None),
    qui: Appelant = Depends(appelant),
) -> Response:
    return _json(sessions(_registre(request), bailleur, du, au))


@routeur.post(
    "/commissions/{session}/inscriptions", response_class=Response, responses=_PROBLEMES,
    summary="Inscription à une CAL: a designated candidate on the session's agenda for a dwelling",
    openapi_extra=_corps_openapi(Inscription),
)
def inscrire(
    session: str, request: Request, qui: Appelant = Depends(appelant), i: Any = Depends(_corps(Inscription))
) -> Response:
    cmd = c.InscrireCAL(occurred_on=i.occurred_on, logement=i.logement, session=session)
    r = _registre(request).executer(qui.organisation, qui.agent.identifiant, cmd, numero_unique=i.numero_unique)
    return _resultat(r)


@routeur.post(
    "/commissions/{session}/decisions", response_class=Response, responses=_PROBLEMES,
    summary="A CAL decision within the session (coded motifs; free text beside them is encrypted)",
    openapi_extra=_corps_openapi(DecisionEnSeance),
)
def decider(
    session: str, request: Request, qui: Appelant = Depends(appelant), d: Any = Depends(_corps(DecisionEnSeance))
) -> Response:
    if d.session not in (None, session):
        raise ErreurHTTP(422, "session_incoherente", f"the body names session {d.session}, the path {session}")
    champs = msgspec.structs.asdict(d)
    numero = champs.pop("numero_unique")
    champs["session"] = session
    cmd = c.DeciderCAL(**champs)
    r = _registre(request).executer(qui.organisation, qui.agent.identifiant, cmd, numero_unique=numero)
    return _resultat(r)


@routeur.post(
    "/commissions/{session}/cloture", response_class=Response, responses=_PROBLEMES,
    summary="Closes the session: its minutes are final", openapi_extra=_corps_openapi(c.CloreSession),
)
def clore(
    session: str, request: Request, qui: Appelant = Depends(appelant), cmd: Any = Depends(_corps(c.CloreSession))
) -> Response:
    s = _registre(request).clore_session(qui.organisation, qui.agent.identifiant, session, cmd)
    return _json({"session": s.identifiant, "close": s.close})


@routeur.get(
    "/commissions/{session}/proces-verbal", response_class=Response, responses=_PROBLEMES,
    summary="The minutes, regenerated from the log (as closed; a draft while open)",
)
def lire_proces_verbal(session: str, request: Request, qui: Appelant = Depends(appelant)) -> Response:
    return _json(proces_verbal(_registre(request), session))


@routeur.get(
    "/commissions/{session}/proces-verbal.pdf", response_class=Response, responses=_PROBLEMES,
    summary="The minutes as a PDF, byte-identical whenever regenerated",
)
def lire_proces_verbal_pdf(session: str, request: Request, qui: Appelant = Depends(appelant)) -> Response:
    pdf = pdf_proces_verbal(proces_verbal(_registre(request), session))
    return Response(pdf, media_type="application/pdf")


@routeur.get(
    "/demandes/{numero_unique}/commissions", response_class=Response, responses=_PROBLEMES,
    summary="The CAL sessions that examined the demand: its rank among the candidates, the decision",
)
def examens(numero_unique: str, request: Request, qui: Appelant = Depends(appelant)) -> Response:
    return _json(examens_de_la_demande(_registre(request), numero_unique))


# -- the gestion en flux ------------------------------------------------------------------------


@routeur.post(
    "/logements/{identifiant}/orientations", status_code=201, response_class=Response,
    responses=_PROBLEMES, tags=["flux"],
    summary="In flux: the bailleur orients its vacancy to a réservataire, keeps it, or withdraws it",
    openapi_extra=_corps_openapi(c.OrienterVacance),
)
def orienter(
    identifiant: str, request: Request, qui: Appelant = Depends(appelant),
    cmd: Any = Depends(_corps(c.OrienterVacance)),
) -> Response:
    n = _registre(request).orienter_vacance(qui.organisation, qui.agent.identifiant, identifiant, cmd)
    return _json({"logement": identifiant, "vacance": n}, 201)


@routeur.get(
    "/flux/bilan", response_class=Response, responses=_PROBLEMES, tags=["flux"],
    summary="The bilan du flux of a year, per convention: vacancies oriented vs promised, attributions, baux",
)
def bilan(
    request: Request,
    annee: int = Query(..., ge=1, le=9999),
    source: str = Query("vue", pattern="^(vue|journal)$", description="vue: the read model; journal: the raw log"),
    qui: Appelant = Depends(appelant),
) -> Response:
    registre = _registre(request)
    periode = Periode.annee(annee)
    if source == "journal":
        b, position = bilan_flux_du_journal(registre.engine, registre.stockage, registre.territoire, periode)
    else:
        lecteur(request.app, NOM)
        b, position = bilan_flux_vue(registre.engine, registre.territoire, periode)
    return _json({"source": source, "position": position, "bilan": b})
