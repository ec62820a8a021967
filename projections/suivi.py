"""Running read models off the log, exactly once.

Each read model records the log position it has applied in the same transaction as its changes
(table `ledger_suivi`), so a crash or restart never applies an event twice or skips one. A
rebuild fills fresh tables from position zero beside the live ones, which keep serving, and swaps
them in one transaction once caught up (SQLite and PostgreSQL both have transactional DDL).
"""

from __future__ import annotations

import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from tqdm import tqdm

from adapters.registre import Registre

metadata_suivi = sa.MetaData()
suivi = sa.Table(
    "ledger_suivi",
    metadata_suivi,
    sa.Column("projection", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)

LOT = 500


class Projection(ABC):
    nom: str
    topics: tuple[str, ...] = ()  # empty: every event

    @abstractmethod
    def tables(self, suffixe: str) -> list[sa.Table]:
        """The read model's tables, named with `suffixe` (empty for the live ones)."""

    @abstractmethod
    def appliquer_lot(self, conn: sa.Connection, tables: list[sa.Table], evenements: list[Any]) -> None:
        """Apply decoded events, in log order, inside the caller's transaction."""

    @abstractmethod
    def oublier(self) -> None:
        """Drop in-memory caches (before a rebuild)."""

    def annexes(self, suffixe: str) -> list[sa.Table]:
        """Tables the read model keeps beside `tables` (created, rebuilt and swapped with them)
        that `appliquer_lot` finds on its own, from the tables it is given."""
        return []

    def preparer(self, conn: sa.Connection, tables: list[sa.Table]) -> None:
        """Once the live tables exist (at start): bring tables that predate a change up to date."""
        return None


class Suiveur:
    def __init__(self, registre: Registre, projection: Projection) -> None:
        self.registre = registre
        self.projection = projection
        self.engine = registre.engine
        metadata_suivi.create_all(self.engine)
        self.tables = projection.tables("")
        self._verrou = threading.Lock()  # one runner per process; the position CAS guards others
        for t in self.tables + projection.annexes(""):
            _creer(self.engine, t)
        with self.engine.begin() as conn:
            projection.preparer(conn, self.tables)

    def position(self, nom: str | None = None) -> int:
        with self.engine.connect() as conn:
            p = conn.execute(
                sa.select(suivi.c.position).where(suivi.c.projection == (nom or self.projection.nom))
            ).scalar_one_or_none()
        return int(p or 0)

    def rattraper(self, barre: bool = False, arret: Callable[[int], bool] | None = None) -> int:
        """Apply every event past the recorded position; returns how many were applied."""
        with self._verrou:
            return self._suivre(self.projection.nom, self.tables, barre, arret)

    def _suivre(
        self,
        nom: str,
        tables: list[sa.Table],
        barre: bool,
        arret: Callable[[int], bool] | None = None,
    ) -> int:
        total = 0
        position = self.position(nom)
        fin = self.registre.position()
        with tqdm(total=max(fin - position, 0), disable=not barre, unit="ev", desc=nom) as progres:
            while True:
                lot = self.registre.recorder.select_notifications(
                    start=position + 1, limit=LOT, topics=list(self.projection.topics)
                )
                if not lot:
                    # With topic filters, the rest of the log may hold only other events.
                    derniere = self.registre.position()
                    if derniere > position:
                        self._avancer(nom, position, derniere)
                        progres.update(derniere - position)
                        position = derniere
                    return total
                evenements = [self.registre.mapper.to_domain_event(n) for n in lot]
                nouvelle = lot[-1].id
                with self.engine.begin() as conn:
                    self.projection.appliquer_lot(conn, tables, evenements)
                    self._ecrire_position(conn, nom, position, nouvelle)
                progres.update(nouvelle - position)
                total += len(lot)
                position = nouvelle
                if arret is not None and arret(total):
                    return total

    def _avancer(self, nom: str, ancienne: int, nouvelle: int) -> None:
        with self.engine.begin() as conn:
            self._ecrire_position(conn, nom, ancienne, nouvelle)

    def _ecrire_position(self, conn: sa.Connection, nom: str, ancienne: int, nouvelle: int) -> None:
        res = conn.execute(
            sa.update(suivi)
            .where(suivi.c.projection == nom, suivi.c.position == ancienne)
            .values(position=nouvelle)
        )
        if res.rowcount == 0:
            if ancienne != 0:
                # Another runner moved it: roll back rather than apply twice.
                raise RuntimeError(f"projection {nom}: position moved under us (expected {ancienne})")
            conn.execute(sa.insert(suivi).values(projection=nom, position=nouvelle))

    def reconstruire(self, barre: bool = True) -> int:
        """Rebuild from position zero into new tables, then swap them in atomically."""
        with self._verrou:
            return self._reconstruire(barre)

    def _reconstruire(self, barre: bool) -> int:
        self.projection.oublier()
        suffixe = "__r" + uuid.uuid4().hex[:8]
        nom = self.projection.nom + suffixe
        neuves = self.projection.tables(suffixe)
        vieilles = self.tables + self.projection.annexes("")
        toutes = neuves + self.projection.annexes(suffixe)
        for t in toutes:
            t.create(self.engine)
        try:
            total = self._suivre(nom, neuves, barre)
            # Events that arrived during the rebuild; what arrives after is the live runner's,
            # since the swapped-in tables carry their own position.
            total += self._suivre(nom, neuves, False)
            with self.engine.begin() as conn:
                position = conn.execute(
                    sa.select(suivi.c.position).where(suivi.c.projection == nom)
                ).scalar_one_or_none() or 0  # an empty log leaves no position row
                for vieille, neuve in zip(vieilles, toutes, strict=True):
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {vieille.name}")
                    conn.exec_driver_sql(f"ALTER TABLE {neuve.name} RENAME TO {vieille.name}")
                conn.execute(sa.delete(suivi).where(suivi.c.projection.in_([nom, self.projection.nom])))
                conn.execute(sa.insert(suivi).values(projection=self.projection.nom, position=position))
            return total
        except BaseException:
            with self.engine.begin() as conn:
                for t in toutes:
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t.name}")
                conn.execute(sa.delete(suivi).where(suivi.c.projection == nom))
            raise

    def attendre(self, position: int, delai: float = 10.0) -> bool:
        """Read-your-writes: wait until this read model has applied `position`."""
        limite = time.monotonic() + delai
        while self.position() < position:
            self.rattraper()
            if self.position() >= position:
                return True
            if time.monotonic() > limite:
                return False
            time.sleep(0.05)
        return True


def _creer(engine: sa.Engine, t: sa.Table) -> None:
    """Create a table, or the indexes an existing one lacks (matched by columns, since a swap
    leaves the rebuilt table's index names behind)."""
    if not sa.inspect(engine).has_table(t.name):
        t.create(engine)
        return
    existants = {tuple(i["column_names"]) for i in sa.inspect(engine).get_indexes(t.name)}
    for index in t.indexes:
        colonnes = tuple(c.name for c in index.columns)
        if colonnes not in existants:
            index.create(engine, checkfirst=True)
