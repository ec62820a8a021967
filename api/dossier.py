"""The dossier unique over HTTP (CCH R.441-2-4): a pièce's file uploaded and read back, stored
encrypted under the demand's key (`adapters/pieces.py`), and a demand's attestation of
registration or renewal regenerated from the log as PDF (`adapters/attestation.py`); the dépôts
before registration (`adapters/depots.py`). The pièce's
event itself (type, member, SHA-256, size) is a command like any other:
POST /demandes/{numero_unique}/pieces."""

from __future__ import annotations

from datetime import date

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from adapters import depots, pieces
from adapters.attestation import pdf_attestation
from adapters.background import BackgroundWork
from adapters.registre import Registre
from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from api.demandes import corps
from api.problemes import ErreurHTTP
from domain import commandes as c
from domain import permissions
from domain.depot import Depot, enregistrement_du
from domain.pieces import TypeAttestation
from projections.attestation import contenu_attestation

routeur = APIRouter()

FICHIER_MAX = 20 * 1024 * 1024


@routeur.put(
    "/demandes/{numero_unique}/pieces/{piece}/fichier",
    status_code=204,
    summary="The file of a pièce déposée, stored encrypted under the demand's key (CCH R.441-2-4)",
    description="The body is the file itself; its SHA-256 and size must be those the pièce's event "
    "recorded. Idempotent: the same file again changes nothing.",
    tags=["dossier unique"],
    response_class=Response,
)
async def deposer_fichier(
    request: Request,
    numero_unique: str,
    piece: int,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    contenu = await request.body()
    if not contenu:
        raise ErreurHTTP(422, "fichier_requis", "the body must be the pièce's file")
    if len(contenu) > FICHIER_MAX:
        raise ErreurHTTP(413, "fichier_trop_grand", f"a pièce's file is at most {FICHIER_MAX} bytes")
    # The store and the keys are synchronous: off the event loop.
    await run_in_threadpool(pieces.deposer_fichier, registre, qui.organisation, numero_unique, piece, contenu)
    return Response(status_code=204)


@routeur.get(
    "/demandes/{numero_unique}/pieces/{piece}/fichier",
    summary="The file of a pièce, decrypted (personal data); 410 once erased, its digest staying in the history",
    tags=["dossier unique"],
    response_class=Response,
)
def lire_fichier(
    numero_unique: str,
    piece: int,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    try:
        contenu = pieces.lire_fichier(registre, qui.organisation, numero_unique, piece)
    except pieces.FichierEfface as e:
        raise ErreurHTTP(410, "donnees_effacees", str(e)) from None
    return Response(contenu, media_type="application/octet-stream")


@routeur.get(
    "/demandes/{numero_unique}/attestations/{type_attestation}.pdf",
    summary="The attestation of registration or renewal as PDF (CCH R.441-2-4), regenerated identically from the log",
    description="`type_attestation`: enregistrement or renouvellement (the latest standing renewal, "
    "or the one `evenement` names).",
    tags=["dossier unique"],
    response_class=Response,
    responses={200: {"description": "The PDF", "content": {"application/pdf": {}}}},
)
def lire_attestation(
    numero_unique: str,
    type_attestation: str,
    evenement: int | None = None,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    try:
        t = TypeAttestation(type_attestation)
    except ValueError:
        raise ErreurHTTP(
            404, "attestation_inconnue", f"no attestation {type_attestation!r}: enregistrement or renouvellement"
        ) from None
    contenu = contenu_attestation(
        registre, numero_unique, t, evenement, nommer=permissions.lecture_personnelle(qui.organisation)
    )
    return Response(pdf_attestation(contenu), media_type="application/pdf")


# -- dépôts (R.441-2-4) ---------------------------------------------------------------------------


class VueDepot(msgspec.Struct, frozen=True):
    guichet: str
    reference: str
    depose_le: date
    enregistrement_du: date  # the registration is due by this day (dépôt + 30 days)
    numero_unique: str | None  # once registered
    retracte: bool


def _vue(d: Depot) -> VueDepot:
    return VueDepot(d.guichet, d.reference, d.depose_le, enregistrement_du(d.depose_le), d.numero_unique, d.retracte)


@routeur.post(
    "/depots",
    status_code=201,
    summary="Dépôt of a complete request at the guichet (CCH R.441-2-4): to be registered within 30 days",
    description="The guichet's own `reference` names it; the registration that follows gives "
    "`depot: <reference>` and takes the dépôt's date as its filed_on. Until then the dépôt is a "
    "deadline (`enregistrement_du`, GET /echeances).",
    tags=["dossier unique"],
    response_class=Response,
    responses=reponses.ok(VueDepot, "Recorded", 201),
    openapi_extra=reponses.corps(c.Deposer),
)
def deposer(
    qui: Appelant = Depends(appelant),
    commande: c.Commande = Depends(corps(c.Deposer)),
    registre: Registre = Depends(dep.registre),
    fond: BackgroundWork | None = Depends(dep.fond),
) -> Response:
    assert isinstance(commande, c.Deposer)
    d = depots.deposer(registre, qui.organisation, qui.agent.identifiant, commande)
    if fond is not None:
        fond.wake()
    return reponses.json(_vue(d), 201)


@routeur.get(
    "/depots/{reference}",
    summary="A dépôt of the calling guichet: its date, its registration due date, its demand once registered",
    tags=["dossier unique"],
    response_class=Response,
    responses=reponses.ok(VueDepot, "The dépôt"),
)
def lire_depot(reference: str, qui: Appelant = Depends(appelant), registre: Registre = Depends(dep.registre)) -> Response:
    return reponses.json(_vue(registre.depot(qui.organisation.code, reference)))


@routeur.post(
    "/depots/{reference}/retractations",
    summary="Rétractation of a dépôt recorded in error, by its guichet, while it is not registered",
    tags=["dossier unique"],
    response_class=Response,
    responses=reponses.ok(VueDepot, "Retracted"),
    openapi_extra=reponses.corps(c.RetracterDepot),
)
def retracter_depot(
    reference: str,
    qui: Appelant = Depends(appelant),
    commande: c.Commande = Depends(corps(c.RetracterDepot)),
    registre: Registre = Depends(dep.registre),
    fond: BackgroundWork | None = Depends(dep.fond),
) -> Response:
    assert isinstance(commande, c.RetracterDepot)
    d = depots.retracter_depot(registre, qui.organisation, qui.agent.identifiant, reference, commande)
    if fond is not None:
        fond.wake()
    return reponses.json(_vue(d))
