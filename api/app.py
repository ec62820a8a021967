"""The HTTP API: one command endpoint per event an organisation records (DOMAIN.md §3), reading a
demand and its partner-traceable history (§7). Payloads are the domain's msgspec command structs,
decoded strictly; the OpenAPI document is generated from the same structs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response

from adapters.background import BackgroundWork
from adapters.registre import Registre, Resultat
from adapters.sne.importation import RapportImport
from api import idempotence
from api.auth import Appelant, appelant
from api.demandeur import routeur as routeur_demandeur
from api.echange import routeur as routeur_echange
from api.idempotence import CleRequete, cle_requete
from api.lecteurs import lecteur
from api.problemes import (
    ERREURS_BASE,
    TYPE_MEDIA,
    ErreurHTTP,
    Probleme,
    sur_base_injoignable,
    sur_erreur_http,
    sur_refus,
)
from api.sante import routeur as routeur_sante
from api.statistiques import routeur as routeur_statistiques
from domain import commandes as c
from domain import horloge
from domain.erreurs import RefusCommande
from projections import modeles
from projections.cotation import rang
from projections.explication import ReponseCotation, expliquer, rangs_au
from projections.flux import PageFlux
from projections.historique import EntreeHistorique, historique
from projections.suivi import Suiveur
from projections.vue_demande import VueDemande, vue

# (path segment, command, summary): one endpoint per event of DOMAIN.md §3 recorded by an
# organisation; the systeme's (notices, RADREN, erasure) are appended by the schedule only.
COMMANDES: list[tuple[str, type[c.Commande], str]] = [
    ("modifications", c.Modifier, "Modification (guichet): household, housing, wishes, reasons, situations"),
    ("renouvellements", c.Renouveler, "Renouvellement (guichet): the anniversary moves to renewal + 1 year"),
    ("mises-en-demeure", c.MettreEnDemeure, "Mise en demeure before a RADCON or RADIRR radiation"),
    ("radiations", c.Radier, "Radiation RADABA, RADCON (guichet) or RADIRR (bailleur)"),
    ("reactivations", c.Reactiver, "Réactivation within a month of a RADREN radiation (guichet)"),
    ("reconnaissances-dalo", c.ReconnaitreDalo, "DALO or priority recognition (Etat)"),
    ("justifications", c.Justifier, "Justification of a criterion: justifie or rejete"),
    ("designations", c.Designer, "Désignation on a dwelling (its bailleur, or the holder of its contingent)"),
    ("decisions-cal", c.DeciderCAL, "CAL decision (bailleur owning the dwelling)"),
    ("conditions-levees", c.LeverCondition, "Suspensive condition met (bailleur owning the dwelling)"),
    ("refus", c.Refuser, "Refusal by the candidate, qualified by the bailleur; optionally its décote"),
    ("decotes", c.AppliquerDecote, "Décote: decote_refus (bailleur) or decote_pieces (guichet)"),
    ("recours", c.DeposerRecours, "Recours against a décote, within 15 days of its notification"),
    ("decisions-recours", c.DeciderRecours, "Decision on a recours (the décote's author): annulee or maintenue"),
    ("baux", c.SignerBail, "Bail signé: appends the automatic RADATT radiation"),
    ("retractations", c.Retracter, "Rétractation of an event by the organisation that recorded it"),
]

ERREURS = {
    s: {"description": d, "content": {TYPE_MEDIA: {"schema": {"$ref": "#/components/schemas/Probleme"}}}}
    for s, d in {
        401: "No or unknown bearer token",
        403: "The organisation may not record this (DOMAIN.md §1); `regle` names the rule",
        404: "Unknown demand or dwelling",
        409: "Stale If-Match version, or a concurrent write to the same demand",
        422: "Invalid payload, or a broken domain rule; `regle` names it",
    }.items()
}
TYPES_SCHEMAS: list[Any] = [Probleme, Resultat, VueDemande, EntreeHistorique, ReponseCotation, RapportImport, PageFlux] + [t for _, t, _ in COMMANDES] + [
    c.Enregistrer,
    c.DeclarerVacance,
]


def _ref(t: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{t.__name__}"}


def _corps(t: type[c.Commande]) -> Callable[..., Any]:
    async def lire(request: Request) -> c.Commande:
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


def _version_attendue(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    brut = if_match.strip().removeprefix("W/").strip('"')
    if not brut.isdigit():
        raise ErreurHTTP(422, "if_match_invalide", f"If-Match must be a demand version such as \"3\", got {if_match!r}")
    return int(brut)


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(msgspec.json.encode(obj), status_code=status, media_type="application/json", headers=headers)


def _resultat(r: Resultat, status: int = 200) -> Response:
    headers = {"ETag": f'"{r.version}"'}
    if status == 201:
        headers["Location"] = f"/demandes/{r.numero_unique}"
    return _json(r, status, headers)


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
            veilleur = getattr(_app.state, "veilleur", None)
            if veilleur is not None:
                veilleur.arreter()

    app = FastAPI(
        lifespan=vie,
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
    app.state.registre = registre
    suiveurs = suiveurs if suiveurs is not None else (fond.suiveurs if fond else modeles.suiveurs(registre))
    app.state.suiveurs = suiveurs
    app.state.fond = fond
    app.add_exception_handler(RefusCommande, sur_refus)
    app.add_exception_handler(ErreurHTTP, sur_erreur_http)
    for erreur in ERREURS_BASE:
        app.add_exception_handler(erreur, sur_base_injoignable)
    app.include_router(routeur_statistiques)
    app.include_router(routeur_demandeur)
    app.include_router(routeur_sante)
    app.include_router(routeur_echange)

    corps_commande = {"required": True}

    def _body(t: type) -> dict[str, Any]:
        return {"requestBody": {**corps_commande, "content": {"application/json": {"schema": _ref(t)}}}}

    def _ok(t: type, description: str, code: int = 200) -> dict[int | str, dict[str, Any]]:
        return {code: {"description": description, "content": {"application/json": {"schema": _ref(t)}}}, **ERREURS}

    @app.post(
        "/demandes",
        status_code=201,
        summary="Enregistrement of a demand (guichet); mints its numéro unique unless given",
        tags=["demandes"],
        response_class=Response,
        responses=_ok(Resultat, "Registered; Location and ETag headers set", 201),
        openapi_extra=_body(c.Enregistrer),
    )
    def enregistrer(
        qui: Appelant = Depends(appelant),
        commande: c.Commande = Depends(_corps(c.Enregistrer)),
        attendre: bool = Query(False, description="Return once every read model has applied this write"),
        cle: CleRequete | None = Depends(cle_requete),
    ) -> Response:
        r, reponse = idempotence.executer(
            registre, qui.organisation.code, cle,
            lambda i: registre.executer(qui.organisation, qui.agent.identifiant, commande, idempotence=i),
            lambda r: _stockable(_resultat(r, 201)),
        )
        if r is not None:
            _apres_commande(app, r, attendre)
        return reponse

    @app.get(
        "/demandes/{numero_unique}",
        summary="A demand's current state; its ETag is the version to send in If-Match",
        tags=["demandes"],
        response_class=Response,
        responses=_ok(VueDemande, "The demand"),
    )
    def lire(numero_unique: str, qui: Appelant = Depends(appelant)) -> Response:
        d = registre.demande(numero_unique)
        # As a command dated today would find it: a RADREN that fell due counts as appended.
        etat = d.etat_courant(horloge.aujourdhui(), registre.territoire.retention_donnees_mois)
        return _json(vue(d, etat), headers={"ETag": f'"{d.version}"'})

    @app.get(
        "/demandes/{numero_unique}/historique",
        summary="Partner-traceable history: every event, organisation, agent, old and new values",
        tags=["demandes"],
        response_class=Response,
        responses={
            200: {
                "description": "Events in order; retracted ones carry `supprime`",
                "content": {"application/json": {"schema": {"type": "array", "items": _ref(EntreeHistorique)}}},
            },
            **ERREURS,
        },
    )
    def lire_historique(numero_unique: str, qui: Appelant = Depends(appelant)) -> Response:
        d = registre.demande(numero_unique)
        return _json(historique(d), headers={"ETag": f'"{d.version}"'})

    @app.get(
        "/demandes/{numero_unique}/cotation",
        summary="Score and rank with its explanation, as of a date and as known at an instant",
        tags=["cotation"],
        response_class=Response,
        responses=_ok(ReponseCotation, "Each criterion with its points, grid version and provenance"),
    )
    def lire_cotation(
        numero_unique: str,
        au: date | None = Query(None, description="valid time: the score as of this date (default today)"),
        connu_a: datetime | None = Query(
            None, description="knowledge time: only what had been recorded by this instant (ISO 8601)"
        ),
        avec_rang: bool = Query(
            False,
            alias="rang",
            description="for a past date or a knowledge time: also rank it among the demands active "
            "then, as known then (replays every demand of the territory: seconds, not milliseconds)",
        ),
        qui: Appelant = Depends(appelant),
    ) -> Response:
        jour = au or horloge.aujourdhui()
        reponse = expliquer(registre, numero_unique, jour, connu_a)
        if avec_rang and reponse.active and not (au in (None, horloge.aujourdhui()) and connu_a is None):
            tous = rangs_au(registre, jour, connu_a)
            r_ = tous.get(numero_unique)
            if r_ is not None:
                meme = sum(1 for x in tous.values() if x.typologie == r_.typologie)
                return _json(
                    msgspec.structs.replace(
                        reponse, rang=r_.rang, sur=len(tous), rang_typologie=r_.rang_typologie, sur_typologie=meme
                    )
                )
        if au in (None, horloge.aujourdhui()) and connu_a is None and reponse.active:
            (t,) = lecteur(app, modeles.COTATION, jour).tables
            with registre.engine.connect() as conn:
                r = rang(conn, t, numero_unique)
            if r is not None:
                reponse = msgspec.structs.replace(
                    reponse, rang=r[0], sur=r[1], rang_typologie=r[2], sur_typologie=r[3]
                )
        return _json(reponse)

    for segment, type_commande, resume in COMMANDES:
        _route_commande(app, registre, segment, type_commande, resume, _body, _ok)

    @app.get(
        "/echeances",
        summary="Deadlines falling due in a date range (renewals, radiations, recours, offers…)",
        tags=["echeances"],
        response_class=Response,
        responses={200: {"description": "Deadlines ordered by date", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}, **ERREURS},
    )
    def lire_echeances(
        du: date = Query(..., description="first day, ISO 8601"),
        au: date = Query(..., description="last day, included"),
        type: str | None = Query(None, description="e.g. radiation_non_renouvellement, recours_possible"),
        qui: Appelant = Depends(appelant),
    ) -> Response:
        t = lecteur(app, modeles.ECHEANCES, horloge.aujourdhui()).tables[0]
        q = sa.select(t).where(t.c.echeance >= du, t.c.echeance <= au)
        if type:
            q = q.where(t.c.type == type)
        with registre.engine.connect() as conn:
            rows = conn.execute(q.order_by(t.c.echeance, t.c.demande, t.c.type)).mappings().all()
        return _json([dict(r) for r in rows])

    @app.get(
        "/recours",
        summary="The recours queue: pending recours with their décote, demand, filing date and deciding organisation",
        tags=["echeances"],
        response_class=Response,
        responses={200: {"description": "Pending recours, oldest first", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}, **ERREURS},
    )
    def lire_recours(
        organisation: str | None = Query(None, description="only those this organisation must decide"),
        qui: Appelant = Depends(appelant),
    ) -> Response:
        t = lecteur(app, modeles.ECHEANCES).tables[1]
        q = sa.select(t)
        if organisation:
            q = q.where(t.c.organisation == organisation)
        with registre.engine.connect() as conn:
            rows = conn.execute(q.order_by(t.c.depose_le, t.c.demande)).mappings().all()
        return _json([dict(r) for r in rows])

    @app.post(
        "/logements/{identifiant}/vacances",
        status_code=201,
        summary="Vacance: the bailleur owning the dwelling opens a new vacancy",
        tags=["logements"],
        response_class=Response,
        responses={
            201: {"description": "The vacancy's number", "content": {"application/json": {"schema": {"type": "object", "properties": {"logement": {"type": "string"}, "vacance": {"type": "integer"}}}}}},
            **ERREURS,
        },
        openapi_extra=_body(c.DeclarerVacance),
    )
    def vacance(
        identifiant: str,
        qui: Appelant = Depends(appelant),
        commande: c.Commande = Depends(_corps(c.DeclarerVacance)),
        cle: CleRequete | None = Depends(cle_requete),
    ) -> Response:
        assert isinstance(commande, c.DeclarerVacance)
        _, reponse = idempotence.executer(
            registre, qui.organisation.code, cle,
            lambda i: registre.declarer_vacance(qui.organisation, qui.agent.identifiant, identifiant, commande, i),
            lambda n: _stockable(_json({"logement": identifiant, "vacance": n}, 201)),
        )
        return reponse

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        _, composants = msgspec.json.schema_components(TYPES_SCHEMAS, ref_template="#/components/schemas/{name}")
        schema.setdefault("components", {}).setdefault("schemas", {}).update(composants)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _stockable(r: Response) -> tuple[int, bytes, dict[str, str]]:
    """An answer as the idempotency store keeps it: status, body, its own headers."""
    entetes = {k: v for k, v in r.headers.items() if k.lower() in ("etag", "location")}
    return r.status_code, bytes(r.body), entetes


def _apres_commande(app: FastAPI, r: Resultat, attendre: bool) -> None:
    fond: BackgroundWork | None = app.state.fond
    if fond is not None:
        fond.wake()
    veilleur = getattr(app.state, "veilleur", None)
    if veilleur is not None:
        veilleur.signaler()  # long-polling readers of /flux see it now
    if attendre and r.position is not None:
        for s in app.state.suiveurs.values():
            if not s.attendre(r.position):
                raise ErreurHTTP(
                    503, "projection_en_retard", f"read model {s.projection.nom} did not reach {r.position} in time"
                )


def _route_commande(
    app: FastAPI,
    registre: Registre,
    segment: str,
    type_commande: type[c.Commande],
    resume: str,
    body: Callable[[type], dict[str, Any]],
    ok: Callable[..., dict[int | str, dict[str, Any]]],
) -> None:
    def commande_sur_demande(
        numero_unique: str,
        qui: Appelant = Depends(appelant),
        commande: c.Commande = Depends(_corps(type_commande)),
        if_match: str | None = Header(default=None, description='Expected demand version, e.g. "3"'),
        attendre: bool = Query(False, description="Return once every read model has applied this write"),
        cle: CleRequete | None = Depends(cle_requete),
    ) -> Response:
        version = _version_attendue(if_match)
        r, reponse = idempotence.executer(
            registre, qui.organisation.code, cle,
            lambda i: registre.executer(
                qui.organisation, qui.agent.identifiant, commande, numero_unique=numero_unique,
                version_attendue=version, idempotence=i,
            ),
            lambda r: _stockable(_resultat(r)),
        )
        if r is not None:
            _apres_commande(app, r, attendre)
        return reponse

    commande_sur_demande.__name__ = f"commande_{segment.replace('-', '_')}"
    app.add_api_route(
        f"/demandes/{{numero_unique}}/{segment}",
        commande_sur_demande,
        methods=["POST"],
        summary=resume,
        tags=["commandes"],
        response_class=Response,
        responses=ok(Resultat, "Recorded; the ETag is the demand's new version"),
        openapi_extra=body(type_commande),
    )
