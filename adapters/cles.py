"""Per-demand keys for personal data (docs/rules.md "Personal data"): created before the demand's first event,
destroyed by the erasure, after which its personal fields read as erased for good.

No key is remembered between two reads: every decryption asks the key store, so an erasure made
by any process holds for every other one the instant it is committed (CNIL: effacement; RGPD
art. 17). A batch that decodes many demands at once (a rebuild, a follower's page, one demand's
events) reads their keys in one query for that batch only (`lot`), and forgets them after it.

Where the keys live: the ledger's own database by default, or another one named by
LEDGER_KEYS_URL (`sqlite:///path` or `postgresql://…`), so that whoever holds a copy of the log
does not hold the keys with it (docs/donnees-personnelles.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from uuid import UUID

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.tables import cles_demandes
from domain import horloge

VARIABLE_CLES = "LEDGER_KEYS_URL"


class CleEffacee(Exception):
    pass


def _uuid(x: UUID | str) -> UUID:
    return x if isinstance(x, UUID) else UUID(str(x))


class Coffre:
    def __init__(self, engine: sa.Engine, separe: bool = False) -> None:
        self._engine = engine
        # True when the keys live in a store of their own (LEDGER_KEYS_URL): a bulk append then
        # writes them there before the events, not in the events' transaction.
        self.separe = separe
        self._local = threading.local()
        self._postgres = engine.dialect.name == "postgresql"
        # Key reads are single statements: in autocommit they cost one round trip each, not
        # BEGIN, SELECT and the pool's ROLLBACK (a score read makes one on every request).
        self._lecture = engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    def close(self) -> None:
        if self.separe:
            self._engine.dispose()

    def _insert(self) -> sa.Insert:
        if self._postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(cles_demandes).on_conflict_do_nothing()  # type: ignore[no-any-return]

    def creer(self, demande_id: UUID) -> None:
        """Idempotent: an existing key (or an erased one) is never replaced."""
        valeurs = {"demande_id": str(demande_id), "cle": AESGCM.generate_key(256), "cree_le": horloge.maintenant()}
        with self._engine.begin() as conn:
            conn.execute(self._insert().values(**valeurs))

    @staticmethod
    def nouvelle_cle() -> bytes:
        """A fresh key, for a caller that writes it with the demand's first events itself (a bulk
        append, `adapters/ajout_massif.py`)."""
        return AESGCM.generate_key(256)

    def creer_lot(self, demande_ids: Iterable[UUID]) -> None:
        """`creer` for many demands in one transaction (an import, a benchmark's fill)."""
        self.enregistrer({i: AESGCM.generate_key(256) for i in demande_ids})

    def enregistrer(self, cles: dict[UUID, bytes]) -> None:
        """Stores keys made beforehand (a bulk append's, when the keys live apart from the log:
        written before the events, so no event is ever stored without its key). Never replaces
        an existing or erased key."""
        if not cles:
            return
        maintenant = horloge.maintenant()
        valeurs = [{"demande_id": str(i), "cle": k, "cree_le": maintenant} for i, k in cles.items()]
        with self._engine.begin() as conn:
            conn.execute(self._insert(), valeurs)

    def _lire(self, ids: list[UUID]) -> dict[UUID, bytes | None]:
        trouvees: dict[UUID, bytes | None] = dict.fromkeys(ids)
        with self._lecture.connect() as conn:
            if len(ids) == 1:  # one demand's read: a plain equality, cheaper to build than IN
                trouvees[ids[0]] = _cle_de(conn, ids[0])
                return trouvees
            for k in range(0, len(ids), 900):
                rows = conn.execute(
                    sa.select(cles_demandes.c.demande_id, cles_demandes.c.cle).where(
                        cles_demandes.c.demande_id.in_([str(i) for i in ids[k : k + 900]])
                    )
                )
                trouvees.update((UUID(r.demande_id), r.cle) for r in rows)
        return trouvees

    def cle(self, demande_id: UUID) -> bytes | None:
        lot: dict[UUID, bytes | None] | None = getattr(self._local, "lot", None)
        if lot is not None and demande_id in lot:
            return lot[demande_id]
        with self._lecture.connect() as conn:
            return _cle_de(conn, demande_id)

    @contextmanager
    def lot(self, demande_ids: Iterable[UUID | str]) -> Iterator[None]:
        """Within the block, and in this thread only, the keys of these demands are read once
        (one query per 900): what a batch that decodes them all needs. They are forgotten when
        the block ends, so an erasure is never hidden beyond the batch being decoded."""
        ids = list({_uuid(i) for i in demande_ids})
        avant: dict[UUID, bytes | None] | None = getattr(self._local, "lot", None)
        manquants = [i for i in ids if avant is None or i not in avant]
        courant = dict(avant or {})
        if manquants:
            courant.update(self._lire(manquants))
        self._local.lot = courant
        try:
            yield
        finally:
            self._local.lot = avant

    def oublier(self) -> None:
        """Nothing is kept between reads any more: kept for the benchmark's "cold" reads."""

    def effacees(self, demande_ids: Iterable[UUID | str]) -> set[UUID]:
        """Which of these demands have had their key destroyed (erased for good); a demand that
        never had a key is not among them."""
        ids = [_uuid(i) for i in demande_ids]
        out: set[UUID] = set()
        with self._engine.connect() as conn:
            for k in range(0, len(ids), 900):
                rows = conn.execute(
                    sa.select(cles_demandes.c.demande_id).where(
                        cles_demandes.c.demande_id.in_([str(i) for i in ids[k : k + 900]]),
                        cles_demandes.c.cle.is_(None),
                    )
                )
                out.update(UUID(r.demande_id) for r in rows)
        return out

    def effacer(self, demande_id: UUID) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(cles_demandes)
                .where(cles_demandes.c.demande_id == str(demande_id))
                .values(cle=None, efface_le=horloge.maintenant())
            )

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


def coffre_depuis_env(engine: sa.Engine, url: str | None = None) -> Coffre:
    """The ledger's key store: in its own database (`engine`) unless LEDGER_KEYS_URL (or `url`)
    names another SQLite file or PostgreSQL database (and schema), where the keys' table is
    created if missing."""
    from adapters.database import ConfigurationError, depuis_url, sans_mot_de_passe

    url = url or os.environ.get(VARIABLE_CLES)
    if not url:
        return Coffre(engine)
    try:
        stockage = depuis_url(url)
    except ConfigurationError as e:
        raise ConfigurationError(str(e).replace("LEDGER_DATABASE_URL", VARIABLE_CLES)) from None
    if stockage.sqlalchemy_url == engine.url and stockage.schema is None:
        return Coffre(engine)
    autre = stockage.engine(pool_size=2)
    try:
        cles_demandes.create(autre, checkfirst=True)
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as e:
        autre.dispose()
        raise ConfigurationError(f"{VARIABLE_CLES} {sans_mot_de_passe(url)!r}: cannot reach the key store: {e}") from None
    return Coffre(autre, separe=True)


class CoffreDeLot(Coffre):
    """The store's keys, plus keys not yet written (a bulk append writes them with the events):
    a mapper over it encrypts a new demand's first events before its key is in the store."""

    def __init__(self, coffre: Coffre, cles: dict[UUID, bytes]) -> None:
        self._coffre = coffre
        self._cles = cles

    def cle(self, demande_id: UUID) -> bytes | None:
        cle = self._cles.get(demande_id)
        return cle if cle is not None else self._coffre.cle(demande_id)


def _cle_de(conn: sa.Connection, demande_id: UUID) -> bytes | None:
    """One demand's key as stored (None: never made, or erased)."""
    return conn.execute(  # type: ignore[no-any-return]
        sa.select(cles_demandes.c.cle).where(cles_demandes.c.demande_id == str(demande_id))
    ).scalar_one_or_none()
