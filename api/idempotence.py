"""The `Idempotency-Key` header on every command (the IETF httpapi draft): a retry with the same key
and body gets the first answer back without appending again; the same key with another request
gets 422. The first answer is stored in the transaction that appended the command's events
(adapters/idempotence.py), so there is no moment when the events are in and the answer is not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Header, Request
from fastapi.responses import Response

from adapters.idempotence import CleDejaEnregistree, Idempotence, Reponse, empreinte, trouver
from adapters.registre import Registre
from api.problemes import ErreurHTTP
from domain.erreurs import RefusCommande

ENTETE = "Idempotency-Key"
REJOUEE = "Idempotent-Replayed"
DESCRIPTION = (
    "A key of the client's choosing (1 to 255 printable characters, e.g. a UUID): a retry with the "
    "same key and body returns the first answer without recording again (header "
    "Idempotent-Replayed: true); the same key with another request is refused (422). Keys are kept "
    "48 hours."
)


@dataclass(frozen=True)
class CleRequete:
    cle: str
    empreinte: str


async def cle_requete(
    request: Request, idempotency_key: str | None = Header(None, alias=ENTETE, description=DESCRIPTION)
) -> CleRequete | None:
    if idempotency_key is None:
        return None
    cle = idempotency_key.strip().strip('"')
    if not cle or len(cle) > 255 or not cle.isprintable():
        raise ErreurHTTP(422, "idempotency_key_invalide", f"{ENTETE} must be 1 to 255 printable characters")
    corps = await request.body()  # read once by Starlette, cached for the command's own decoding
    return CleRequete(cle, empreinte(request.method, request.url.path, corps))


def executer(
    registre: Registre,
    organisation: str,
    cle: CleRequete | None,
    faire: Callable[[Idempotence | None], Any],
    reponse: Callable[[Any], tuple[int, bytes, dict[str, str]]],
) -> tuple[Any | None, Response]:
    """Runs the command once per key: (its result, the answer), or (None, the stored answer)."""
    if cle is None:
        resultat = faire(None)
        return resultat, _reponse(*reponse(resultat))
    stockee = trouver(registre.engine, organisation, cle.cle)
    if stockee is not None:
        return None, _rejouer(stockee, cle)
    try:
        resultat = faire(Idempotence(organisation, cle.cle, cle.empreinte, reponse))
    except (CleDejaEnregistree, RefusCommande):
        # Another request with this key got there first (possibly the same one, retried while
        # the first was still running): its answer is the answer.
        stockee = trouver(registre.engine, organisation, cle.cle)
        if stockee is not None:
            return None, _rejouer(stockee, cle)
        raise
    return resultat, _reponse(*reponse(resultat))


def _rejouer(stockee: Reponse, cle: CleRequete) -> Response:
    if stockee.empreinte != cle.empreinte:
        raise ErreurHTTP(
            422,
            "idempotency_key_reutilisee",
            f"{ENTETE} {cle.cle!r} was used on {stockee.cree_le.isoformat()} for another request "
            "(another path or body); use a new key for a new command",
        )
    return _reponse(stockee.statut, stockee.corps, {**stockee.entetes, REJOUEE: "true"})


def _reponse(statut: int, corps: bytes, entetes: dict[str, str]) -> Response:
    return Response(corps, status_code=statut, media_type="application/json", headers=entetes)
