"""Tamper evidence for partners and auditors (docs/integrity.md): the signed checkpoint of the
log's head, the public key to check it with, and RFC 9162 inclusion and consistency proofs.
Any authenticated organisation may read them: they carry hashes, positions and the stored bytes
of one event (personal data as ciphertext), never personal data in clear."""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from adapters import integrite
from adapters.registre import Registre
from api import dependances as dep
from api.auth import Appelant, appelant
from api.problemes import ErreurHTTP

routeur = APIRouter(tags=["integrite"])


def _json(x: object) -> Response:
    return Response(msgspec.json.encode(x), media_type="application/json")


def _schema(nom: str) -> dict[int | str, dict[str, object]]:
    return {200: {"description": nom, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{nom}"}}}}}


@routeur.get(
    "/integrite/point-de-controle",
    summary="The signed checkpoint of the log's head (Ed25519 over the RFC 9162 Merkle root)",
    description="Signed now if the log grew since the last one and that one is at least 10 s old, "
    "else the last one again. Keep it: a later consistency proof shows the log still extends it "
    "(docs/integrity.md).",
    response_class=Response,
    responses=_schema("PointDeControle"),
)
async def point_de_controle(_qui: Appelant = Depends(appelant), registre: Registre = Depends(dep.registre)) -> Response:
    return _json(await run_in_threadpool(integrite.de(registre).point_de_controle, integrite.INTERVALLE))


@routeur.get(
    "/integrite/points-de-controle",
    summary="The checkpoints signed so far, newest first",
    response_class=Response,
)
def points_de_controle(
    limite: int = Query(100, ge=1, le=1000),
    _qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    return _json(integrite.de(registre).tous(limite))


@routeur.get("/integrite/cle-publique", summary="The checkpoints' Ed25519 public key (base64, raw 32 bytes)")
def cle_publique(_qui: Appelant = Depends(appelant), registre: Registre = Depends(dep.registre)) -> dict[str, str]:
    i = integrite.de(registre)
    return {"algorithme": "Ed25519", "cle_publique": integrite.cle_publique(i.cle)}


@routeur.get(
    "/integrite/preuves/inclusion",
    summary="Proof that the event at a position is in the log under a checkpoint (RFC 9162 §2.1.3)",
    response_class=Response,
    responses={**_schema("PreuveInclusion"), 404: {"description": "No such event or checkpoint size in the log (`preuve_impossible`)"}},
)
def preuve_inclusion(
    position: int = Query(..., ge=1, description="the event's log position"),
    taille: int | None = Query(None, ge=1, description="the checkpoint's size (default: the log's head)"),
    _qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    try:
        return _json(integrite.de(registre).preuve_inclusion(position, taille))
    except LookupError as e:
        raise ErreurHTTP(404, "preuve_impossible", str(e)) from None


@routeur.get(
    "/integrite/preuves/coherence",
    summary="Proof that a checkpoint extends an older one (RFC 9162 §2.1.4)",
    response_class=Response,
    responses={**_schema("PreuveCoherence"), 404: {"description": "No such checkpoint sizes in the log (`preuve_impossible`)"}},
)
def preuve_coherence(
    ancienne: int = Query(..., ge=1, description="the older checkpoint's size"),
    taille: int | None = Query(None, ge=1, description="the newer checkpoint's size (default: the log's head)"),
    _qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    try:
        return _json(integrite.de(registre).preuve_coherence(ancienne, taille))
    except LookupError as e:
        raise ErreurHTTP(404, "preuve_impossible", str(e)) from None
