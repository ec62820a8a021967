"""Safe retries (the IETF httpapi draft's Idempotency-Key): a command sent with a key stores its
first answer in the same transaction as its events, so a client whose connection dropped can
send it again with the same key and get that answer back, without a second set of events:
either the command was appended, and its answer is there, or it was not, and nothing is.

- the same key with the same request (method, path and body: their SHA-256) gets the first
  answer back, with a header saying it is a replay;
- the same key with another request gets 422 (`idempotency_key_reutilisee`);
- a refused command stores nothing (nothing was appended): a retry is decided again;
- keys belong to an organisation, and are kept `CONSERVATION` (48 hours, at least the 24 the
  ledger promises), then purged.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from adapters.tables import idempotence as table
from domain import horloge

CONSERVATION = timedelta(hours=48)
LONGUEUR_MAX = 255


class CleDejaEnregistree(Exception):
    """Another request with this key committed first (the transaction that lost is rolled back)."""


@dataclass(frozen=True)
class Idempotence:
    """A command's key, its request's fingerprint, and how to turn its result into the answer
    to store (status, body, headers) once its position in the log is known."""

    organisation: str
    cle: str
    empreinte: str
    reponse: Callable[[Any], tuple[int, bytes, dict[str, str]]]

    def ligne(self, resultat: Any) -> dict[str, Any]:
        statut, corps, entetes = self.reponse(resultat)
        return {
            "organisation": self.organisation,
            "cle": self.cle,
            "empreinte": self.empreinte,
            "statut": statut,
            "corps": corps,
            "entetes": json.dumps(entetes, sort_keys=True),
            "cree_le": horloge.maintenant(),
        }


@dataclass(frozen=True)
class Reponse:
    empreinte: str
    statut: int
    corps: bytes
    entetes: dict[str, str]
    cree_le: datetime


def empreinte(methode: str, chemin: str, corps: bytes) -> str:
    h = hashlib.sha256()
    for partie in (methode.upper().encode(), chemin.encode(), corps):
        h.update(len(partie).to_bytes(8, "big"))
        h.update(partie)
    return h.hexdigest()


def trouver(engine: sa.Engine, organisation: str, cle: str) -> Reponse | None:
    """The stored answer for this key, unless older than CONSERVATION (then as if purged)."""
    _purger_de_temps_en_temps(engine)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(table).where(table.c.organisation == organisation, table.c.cle == cle)
        ).mappings().first()
    if row is None:
        return None
    cree_le = row["cree_le"]
    if cree_le.tzinfo is None:  # SQLite gives it back naive, in UTC
        from datetime import UTC

        cree_le = cree_le.replace(tzinfo=UTC)
    if cree_le < horloge.maintenant() - CONSERVATION:
        return None
    return Reponse(row["empreinte"], row["statut"], bytes(row["corps"]), json.loads(row["entetes"]), cree_le)


def purger(engine: sa.Engine) -> int:
    """Forgets the keys older than CONSERVATION; returns how many."""
    with engine.begin() as conn:
        return conn.execute(sa.delete(table).where(table.c.cree_le < horloge.maintenant() - CONSERVATION)).rowcount


_derniere_purge = 0.0
_verrou = threading.Lock()


def _purger_de_temps_en_temps(engine: sa.Engine) -> None:
    global _derniere_purge
    with _verrou:
        if time.monotonic() - _derniere_purge < 3600:
            return
        _derniere_purge = time.monotonic()
    purger(engine)
