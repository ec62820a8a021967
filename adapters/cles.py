"""Per-demand keys for personal data (DOMAIN.md §8): created before the demand's first event,
destroyed by the erasure, after which its personal fields read as erased for good."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from uuid import UUID

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.tables import cles_demandes
from domain import horloge

_CACHE_SECONDES = 30.0  # another process's erasure is seen within this delay
_CACHE_MAX = 100_000  # keys held at once (a rebuild loads them page by page)


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
        valeurs = {"demande_id": str(demande_id), "cle": AESGCM.generate_key(256), "cree_le": horloge.maintenant()}
        if self._postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(cles_demandes).values(**valeurs).on_conflict_do_nothing()
        with self._engine.begin() as conn:
            conn.execute(stmt)

    @staticmethod
    def nouvelle_cle() -> bytes:
        """A fresh key, for a caller that writes it with the demand's first events itself (a bulk
        append, `adapters/ajout_massif.py`)."""
        return AESGCM.generate_key(256)

    def creer_lot(self, demande_ids: Iterable[UUID]) -> None:
        """`creer` for many demands in one transaction (an import, a benchmark's fill)."""
        maintenant = horloge.maintenant()
        valeurs = [
            {"demande_id": str(i), "cle": AESGCM.generate_key(256), "cree_le": maintenant}
            for i in demande_ids
        ]
        if not valeurs:
            return
        if self._postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        with self._engine.begin() as conn:
            conn.execute(insert(cles_demandes).on_conflict_do_nothing(), valeurs)

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
            if len(self._cache) > _CACHE_MAX:
                self._cache.clear()
        return cle

    def charger(self, demande_ids: Iterable[UUID | str]) -> None:
        """Warm the cache for a batch in one query per 900 demands (a rebuild decodes thousands
        of demands): only the keys missing or older than the cache delay are read, and a demand
        without a key is remembered as such, as `cle` does."""
        maintenant = time.monotonic()
        with self._verrou:
            ids = [
                i
                for i in {x if isinstance(x, UUID) else UUID(str(x)) for x in demande_ids}
                if (c := self._cache.get(i)) is None or maintenant - c[0] >= _CACHE_SECONDES
            ]
        if not ids:
            return
        trouvees: dict[str, bytes | None] = {}
        with self._engine.connect() as conn:
            for k in range(0, len(ids), 900):
                rows = conn.execute(
                    sa.select(cles_demandes.c.demande_id, cles_demandes.c.cle).where(
                        cles_demandes.c.demande_id.in_([str(i) for i in ids[k : k + 900]])
                    )
                )
                trouvees.update((r.demande_id, r.cle) for r in rows)
        with self._verrou:
            if len(self._cache) + len(ids) > _CACHE_MAX:
                self._cache.clear()
            for i in ids:
                self._cache[i] = (maintenant, trouvees.get(str(i)))

    def oublier(self) -> None:
        """Forget every cached key: the next reads go to the database, as in a fresh process (the
        benchmark's cold reads of the log)."""
        with self._verrou:
            self._cache.clear()

    def effacer(self, demande_id: UUID) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(cles_demandes)
                .where(cles_demandes.c.demande_id == str(demande_id))
                .values(cle=None, efface_le=horloge.maintenant())
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


class CoffreDeLot(Coffre):
    """The store's keys, plus keys not yet written (a bulk append writes them with the events):
    a mapper over it encrypts a new demand's first events before its key is in the store."""

    def __init__(self, coffre: Coffre, cles: dict[UUID, bytes]) -> None:
        self._coffre = coffre
        self._cles = cles

    def cle(self, demande_id: UUID) -> bytes | None:
        cle = self._cles.get(demande_id)
        return cle if cle is not None else self._coffre.cle(demande_id)
