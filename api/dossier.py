"""The dossier unique over HTTP (CCH R.441-2-4): a pièce's file uploaded and read back, stored
encrypted under the demand's key (`adapters/pieces.py`), and a demand's attestation of
registration or renewal regenerated from the log as PDF (`adapters/attestation.py`). The pièce's
event itself (type, member, SHA-256, size) is a command like any other:
POST /demandes/{numero_unique}/pieces."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from adapters import pieces
from adapters.attestation import pdf_attestation
from adapters.registre import Registre
from api import dependances as dep
from api.auth import Appelant, appelant
from api.problemes import ErreurHTTP
from domain import permissions
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
