"""Per-demand keys for personal data (DOMAIN.md §8): created before the demand's first event,
destroyed by the erasure, after which its personal fields read as erased for good."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from uuid import UUID

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.tables import cles_demandes

_CACHE_SECONDES = 30.0  # another process's erasure is seen within this delay


class CleEffacee(Exception):
    pass


class Coffre:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._cache: dict[UUID, tuple[float, bytes | None]] = {}
        self._verrou = threading.Lock()
        self._postgres = engine.dialect.name == "postgresql"

    def creer(self, demande_id: UUID) -> None:
        """Idempotent: an existing key (or an erased one) is never replaced."""
        valeurs = {"demande_id": str(demande_id), "cle": AESGCM.generate_key(256), "cree_le": datetime.now(UTC)}
        if self._postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(cles_demandes).values(**valeurs).on_conflict_do_nothing()
        with self._engine.begin() as conn:
            conn.execute(stmt)

    def cle(self, demande_id: UUID) -> bytes | None:
        maintenant = time.monotonic()
        with self._verrou:
            cached = self._cache.get(demande_id)
        if cached is not None and maintenant - cached[0] < _CACHE_SECONDES:
            return cached[1]
        with self._engine.connect() as conn:
            cle = conn.execute(
                sa.select(cles_demandes.c.cle).where(cles_demandes.c.demande_id == str(demande_id))
            ).scalar_one_or_none()
        with self._verrou:
            self._cache[demande_id] = (maintenant, cle)
            if len(self._cache) > 100_000:
                self._cache.clear()
        return cle

    def charger(self, demande_ids: list[UUID]) -> None:
        """Warm the cache for a batch (rebuilds read thousands of demands)."""
        maintenant = time.monotonic()
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(cles_demandes.c.demande_id, cles_demandes.c.cle).where(
                    cles_demandes.c.demande_id.in_([str(i) for i in demande_ids])
                )
            ).all()
        with self._verrou:
            for r in rows:
                self._cache[UUID(r.demande_id)] = (maintenant, r.cle)

    def effacer(self, demande_id: UUID) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(cles_demandes)
                .where(cles_demandes.c.demande_id == str(demande_id))
                .values(cle=None, efface_le=datetime.now(UTC))
            )
        with self._verrou:
            self._cache[demande_id] = (time.monotonic(), None)

    def chiffrer(self, demande_id: UUID, aad: bytes, clair: bytes) -> bytes:
        cle = self.cle(demande_id)
        if cle is None:
            raise CleEffacee(f"demand {demande_id} has no key: its personal data are erased")
        nonce = os.urandom(12)
        return nonce + AESGCM(cle).encrypt(nonce, clair, aad)

    def dechiffrer(self, demande_id: UUID, aad: bytes, chiffre: bytes) -> bytes | None:
        cle = self.cle(demande_id)
        if cle is None:
            return None
        return AESGCM(cle).decrypt(chiffre[:12], chiffre[12:], aad)
