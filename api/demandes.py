"""Demands over HTTP: registration, the demand's current state and its partner-traceable history
(CCH R.441-2-15), and one command endpoint per event an organisation records. A command's
payload is the domain's msgspec command struct, decoded strictly; the `Registre` checks and
records it; the answer is its `Resultat`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from adapters.background import BackgroundWork
from adapters.registre import Registre, Resultat
from adapters.replique import attendre_replique
from api import dependances as dep
from api import idempotence, reponses
from api.auth import Appelant, appelant
from api.garde import exiger_json
from api.idempotence import CleRequete, cle_requete
from api.problemes import ErreurHTTP
from domain import commandes as c
from domain import horloge, permissions
from projections.historique import EntreeHistorique
from projections.lecteurs import Lecteurs
from projections.lectures_personnelles import (
    Lecteur,
    LecturePersonnelle,
    historique_pour,
    lectures,
    vue_pour,
)
from projections.listes import page_historique
from projections.vue_demande import VueDemande

routeur = APIRouter()
# The command endpoints, included after the cotation router: the OpenAPI document (and /docs)
# keeps its order, the demand's reads, its score, then the commands.
routeur_commandes = APIRouter()

# (path segment, command, summary): one endpoint per event of docs/rules.md recorded by an
# organisation; the systeme's (notices, RADREN, erasure) are appended by the schedule only.
COMMANDES: list[tuple[str, type[c.Commande], str]] = [
    ("modifications", c.Modifier, "Modification (guichet): household, housing, wishes, reasons, situations"),
    ("renouvellements", c.Renouveler, "Renouvellement (guichet): the anniversary moves to renewal + 1 year"),
    ("mises-en-demeure", c.MettreEnDemeure, "Mise en demeure before a RADCON or RADIRR radiation"),
    ("radiations", c.Radier, "Radiation RADABA, RADCON (guichet) or RADIRR (bailleur)"),
    ("reactivations", c.Reactiver, "Réactivation within a month of a RADREN radiation (guichet)"),
    ("reconnaissances-dalo", c.ReconnaitreDalo, "DALO or priority recognition (Etat)"),
    ("justifications", c.Justifier, "Justification of a criterion: justifie or rejete; a criterion that requires one counts from its justifie (CCH L.441-2-8)"),
    ("priorites", c.ReconnaitrePriorite, "Caractère prioritaire (Etat or labelling instance): CCH L.441-1 category a–m or DALO, source, from/until"),
    ("eligibilites", c.DeclarerEligibilite, "Contingents éligibles: a réservataire states the demand eligible to its contingent or flux share, or withdraws it"),
    ("designations", c.Designer, "Désignation on a dwelling (its bailleur, the holder of its contingent, or in flux the réservataire its vacancy was oriented to)"),
    ("reponses", c.Accepter, "The candidate's favourable answer: before the CAL (counts towards three) or to the offer"),
    ("inscriptions-cal", c.InscrireCAL, "Inscription à une CAL: the candidate on a session's agenda (bailleur)"),
    ("notifications", c.NotifierDecision, "Notification of the latest CAL decision to the candidate: the 10 days run from it"),
    ("decisions-cal", c.DeciderCAL, "CAL decision (bailleur owning the dwelling)"),
    ("conditions-levees", c.LeverCondition, "Suspensive condition met (bailleur owning the dwelling)"),
    ("refus", c.Refuser, "Refusal by the candidate, qualified by the bailleur; optionally its décote"),
    ("decotes", c.AppliquerDecote, "Décote: decote_refus (bailleur) or decote_pieces (guichet)"),
    ("recours", c.DeposerRecours, "Recours against a décote, within 15 days of its notification"),
    ("decisions-recours", c.DeciderRecours, "Decision on a recours (the décote's author): annulee or maintenue"),
    ("baux", c.SignerBail, "Bail signé: appends the automatic RADATT radiation"),
    ("pieces", c.DeposerPiece, "Pièce déposée (guichet, bailleur): type from the arrêté of 6 August 2022, member, SHA-256 and size (CCH R.441-2-4)"),
    ("pieces-validees", c.ValiderPiece, "Pièce validée (guichet, bailleur)"),
    ("pieces-refusees", c.RefuserPiece, "Pièce refusée with its reason's code; an incoherente one founds a decote_pieces"),
    ("demandes-de-pieces", c.DemanderPieces, "Demande de pièces ou d'informations, answer due by du_le (deadline)"),
    ("visites", c.ProposerVisite, "Visite proposée of a dwelling the demand is a candidate on (bailleur, or the designating réservataire)"),
    ("visites-constatees", c.ConstaterVisite, "Visite effectuée or not"),
    ("attestations", c.DelivrerAttestation, "Attestation of registration or renewal sent (R.441-2-4), with its channel"),
    ("retractations", c.Retracter, "Rétractation of an event by the organisation that recorded it"),
]

ATTENDRE = Query(False, description="Return once every read model has applied this write")

DELAI_REPLIQUE = 10.0  # seconds `?attendre=true` waits for the read replica


def corps(t: type[c.Commande]) -> Callable[..., Any]:
    """A dependency decoding the request body as the command `t`, strictly: unknown fields, bad
    types and broken JSON are 422 problems naming what is wrong; a body that is not declared
    JSON is 415."""

    async def lire(request: Request) -> c.Commande:
        brut = await request.body()
        if not brut:
            raise ErreurHTTP(422, "payload_requis", f"a JSON body ({t.__name__}) is required")
        exiger_json(request, t.__name__)
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


def _resultat(r: Resultat, status: int = 200) -> Response:
    headers = {"ETag": f'"{r.version}"'}
    if status == 201:
        headers["Location"] = f"/demandes/{r.numero_unique}"
    return reponses.json(r, status, headers)


def stockable(r: Response) -> tuple[int, bytes, dict[str, str]]:
    """An answer as the idempotency store keeps it: status, body, its own headers."""
    entetes = {k: v for k, v in r.headers.items() if k.lower() in ("etag", "location")}
    return r.status_code, bytes(r.body), entetes


def apres_commande(
    registre: Registre, r: Resultat, attendre: bool, fond: BackgroundWork | None, lecteurs: Lecteurs
) -> None:
    """The background follows the new events at once; with `attendre`, return only once every
    read model has applied them (read-your-writes) and, when reads go to a streaming replica,
    once the replica has replayed them too; else 503."""
    if fond is not None:
        fond.wake()
    if attendre and r.position is not None:
        for s in lecteurs.suiveurs.values():
            # A read model stopped on an event it cannot apply never catches up; its reads
            # answer 503 rather than stale rows, so read-your-writes holds without it.
            if not s.attendre(r.position) and s.panne is None:
                raise ErreurHTTP(
                    503, "projection_en_retard", f"read model {s.projection.nom} did not reach {r.position} in time"
                )
        if registre.lecture is not registre.engine and not attendre_replique(
            registre.engine, registre.lecture, DELAI_REPLIQUE
        ):
            raise ErreurHTTP(
                503, "replique_en_retard",
                f"the read replica did not replay the primary's log up to this write within {DELAI_REPLIQUE:g} s",
            )


@routeur.post(
    "/demandes",
    status_code=201,
    summary="Enregistrement of a demand (guichet); mints its numéro unique unless given",
    tags=["demandes"],
    response_class=Response,
    responses=reponses.ok(Resultat, "Registered; Location and ETag headers set", 201),
    openapi_extra=reponses.corps(c.Enregistrer),
)
def enregistrer(
    qui: Appelant = Depends(appelant),
    commande: c.Commande = Depends(corps(c.Enregistrer)),
    attendre: bool = ATTENDRE,
    registre: Registre = Depends(dep.registre),
    fond: BackgroundWork | None = Depends(dep.fond),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
    cle: CleRequete | None = Depends(cle_requete),
) -> Response:
    r, reponse = idempotence.executer(
        registre, qui.organisation.code, cle,
        lambda i: registre.executer(qui.organisation, qui.agent.identifiant, commande, idempotence=i),
        lambda r: stockable(_resultat(r, 201)),
    )
    if r is not None:
        apres_commande(registre, r, attendre, fond, lecteurs)
    return reponse


@routeur.get(
    "/demandes/{numero_unique}",
    summary="A demand's current state; its ETag is the version to send in If-Match",
    tags=["demandes"],
    response_class=Response,
    responses=reponses.ok(VueDemande, "The demand"),
)
def lire(
    numero_unique: str, qui: Appelant = Depends(appelant), registre: Registre = Depends(dep.registre)
) -> Response:
    v = vue_pour(registre, lecteur(qui), numero_unique, horloge.aujourdhui())
    return reponses.json(v, headers={"ETag": f'"{v.version}"'})


def lecteur(qui: Appelant) -> Lecteur:
    return Lecteur(qui.organisation, qui.agent.identifiant)


@routeur.get(
    "/demandes/{numero_unique}/historique",
    summary="Partner-traceable history: every event, organisation, agent, old and new values",
    description="In event order, a page at a time (`limite`, `curseur`; the next page's link in "
    "the Link header), of one event `type` or recording `organisation` if given.",
    tags=["demandes"],
    response_class=Response,
    responses={
        200: {
            "description": "Events in order; retracted ones carry `supprime`",
            "content": {"application/json": {"schema": {"type": "array", "items": reponses.ref(EntreeHistorique)}}},
        },
        **reponses.ERREURS,
    },
)
def lire_historique(
    request: Request,
    numero_unique: str,
    type: str | None = Query(None, description="only events of this type, e.g. decision_cal"),
    organisation: str | None = Query(None, description="only events recorded by this organisation"),
    limite: int | None = reponses.LIMITE,
    curseur: str | None = reponses.CURSEUR,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    d = registre.demande(numero_unique)
    # An auditeur reads the facts, never the persons; a read that shows them is journaled.
    entrees = historique_pour(registre, lecteur(qui), d)
    p = reponses.paginer(lambda: page_historique(d, type, organisation, limite, curseur, entrees=entrees))
    return reponses.page(p, request, {"ETag": f'"{d.version}"'})


@routeur.get(
    "/demandes/{numero_unique}/lectures",
    summary="The journal of the reads of the demand's personal data: who, when, through what",
    description="Oldest first, a page at a time (`limite`, `curseur`). Every read that showed "
    "the demand's personal data (its state, its history, the feed, the SNE export, the "
    "demandeur's own page) is listed. For guichets and auditeurs (docs/donnees-personnelles.md).",
    tags=["demandes"],
    response_class=Response,
    responses={
        200: {
            "description": "The reads, oldest first",
            "content": {"application/json": {"schema": {"type": "array", "items": reponses.ref(LecturePersonnelle)}}},
        },
        **reponses.ERREURS,
    },
)
def lire_lectures(
    request: Request,
    numero_unique: str,
    limite: int | None = reponses.LIMITE,
    curseur: str | None = reponses.CURSEUR,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    permissions.journal_des_lectures(qui.organisation)
    p = reponses.paginer(lambda: lectures(registre, numero_unique, limite, curseur))
    return reponses.page(p, request)


def _route_commande(segment: str, type_commande: type[c.Commande], resume: str) -> None:
    def commande_sur_demande(
        numero_unique: str,
        qui: Appelant = Depends(appelant),
        commande: c.Commande = Depends(corps(type_commande)),
        if_match: str | None = Header(default=None, description='Expected demand version, e.g. "3"'),
        attendre: bool = ATTENDRE,
        registre: Registre = Depends(dep.registre),
        fond: BackgroundWork | None = Depends(dep.fond),
        lecteurs: Lecteurs = Depends(dep.lecteurs),
        cle: CleRequete | None = Depends(cle_requete),
    ) -> Response:
        version = _version_attendue(if_match)
        r, reponse = idempotence.executer(
            registre, qui.organisation.code, cle,
            lambda i: registre.executer(
                qui.organisation, qui.agent.identifiant, commande, numero_unique=numero_unique,
                version_attendue=version, idempotence=i,
            ),
            lambda r: stockable(_resultat(r)),
        )
        if r is not None:
            apres_commande(registre, r, attendre, fond, lecteurs)
        return reponse

    commande_sur_demande.__name__ = f"commande_{segment.replace('-', '_')}"
    routeur_commandes.add_api_route(
        f"/demandes/{{numero_unique}}/{segment}",
        commande_sur_demande,
        methods=["POST"],
        summary=resume,
        tags=["commandes"],
        response_class=Response,
        responses=reponses.ok(Resultat, "Recorded; the ETag is the demand's new version"),
        openapi_extra=reponses.corps(type_commande),
    )


for _segment, _type, _resume in COMMANDES:
    _route_commande(_segment, _type, _resume)
