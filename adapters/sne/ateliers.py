"""Worker processes for an import: the import's own process reads the file's structure and hands
each batch of `demande` elements, as bytes, to a pool of processes that read and check them
(the schema, every value) and run them through the domain (`traitement.traiter`), each with its
own connection to the log; the batches come back encoded, and the import receives them in the
file's order (`importation._Import.recevoir`), so what it sets aside is what one process would
have set aside.

Why processes: reading a demand and running it through the domain is Python work, some 300 µs
a demand, which one interpreter does on one core whatever the threads; the database's COPY
itself is a small part of an import (docs/sne.md). The processes are started with `spawn`, not
`fork`: the import's process holds open connections, which a forked child must never touch.
Each worker sees the import's clock: a batch carries the instant it was handed over, and the
worker's clock runs from it.

At most two batches per worker are in flight, so memory stays flat whatever the file's size;
each worker holds few database connections (`_une_connexion`).
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime, timedelta

from adapters.database import Stockage
from adapters.registre import Registre
from adapters.sne.lecture import lire_octets
from adapters.sne.traitement import Traitement, sans_jour, traiter
from domain import horloge
from domain.territoire import Organisation, Territoire

Elements = list[tuple[int, bytes]]  # a batch: each demand's line and bytes
NOM_CONNEXIONS = "ledger-import-worker"  # their application_name, with the import's pid


class AtelierEnPanne(RuntimeError):
    """A worker process died (killed, out of memory): nothing of the import is appended."""


class Ateliers:
    """A pool of `processus` workers over the same log as `stockage`, for one import."""

    def __init__(
        self, stockage: Stockage, territoire: Territoire, organisation: Organisation, agent: str, processus: int
    ) -> None:
        self.processus = processus
        self._pool = ProcessPoolExecutor(
            max_workers=processus,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ouvrir,
            initargs=(stockage, territoire, organisation, agent),
        )
        self._en_cours: deque[Future[Traitement]] = deque()

    def __enter__(self) -> Ateliers:
        return self

    def __exit__(self, *exc: object) -> None:
        # On an error, the batches not started are dropped and the workers stopped.
        self._pool.shutdown(wait=True, cancel_futures=True)

    def confier(self, elements: Elements, jour: date | None) -> Iterator[Traitement]:
        """Hands a batch over; yields the batches done, in order, while too many are in flight."""
        try:
            self._en_cours.append(self._pool.submit(_traiter, elements, jour, horloge.maintenant()))
        except BrokenProcessPool as e:  # a worker died since the last batch was handed over
            raise _en_panne(e) from None
        while len(self._en_cours) > 2 * self.processus:
            yield self._resultat(self._en_cours.popleft())

    def reste(self) -> Iterator[Traitement]:
        while self._en_cours:
            yield self._resultat(self._en_cours.popleft())

    @staticmethod
    def _resultat(f: Future[Traitement]) -> Traitement:
        try:
            return f.result()
        except BrokenProcessPool as e:
            raise _en_panne(e) from None


def _en_panne(e: BrokenProcessPool) -> AtelierEnPanne:
    return AtelierEnPanne(f"an import worker process stopped unexpectedly ({e})")


# -- in the worker ---------------------------------------------------------------------------------

_atelier: tuple[Registre, Organisation, str] | None = None


def _ouvrir(stockage: Stockage, territoire: Territoire, organisation: Organisation, agent: str) -> None:
    global _atelier
    gc.set_threshold(50_000, 50, 100)  # as the import's own process (importation.ramasse_miettes_espace)
    # Named in pg_stat_activity (libpq reads PGAPPNAME): an operator sees whose they are.
    os.environ["PGAPPNAME"] = f"{NOM_CONNEXIONS}-{os.getppid()}"
    registre = Registre(_une_connexion(stockage), territoire, pool_size=1)
    atexit.register(registre.close)
    _atelier = (registre, organisation, agent)


def _une_connexion(stockage: Stockage) -> Stockage:
    """The store as a worker opens it: the library's pool opens all its connections at once (ten
    by default, LEDGER_POOL_SIZE), where a worker reads one batch at a time; eight workers so
    opened would take most of a PostgreSQL's hundred connections."""
    if not stockage.postgres:
        return stockage
    env = dict(stockage.eventsourcing_env, POSTGRES_POOL_SIZE="1", POSTGRES_MAX_OVERFLOW="1")
    return dataclasses.replace(stockage, eventsourcing_env=env)


def _traiter(elements: Elements, jour: date | None, instant: datetime) -> Traitement:
    assert _atelier is not None, "the worker was not opened"
    registre, organisation, agent = _atelier
    depart = time.perf_counter()
    horloge.installer(lambda: instant + timedelta(seconds=time.perf_counter() - depart))
    lues = [lire_octets(ligne, octets) for ligne, octets in elements]
    if jour is None:
        return sans_jour(lues)
    return traiter(registre, organisation, agent, lues, jour)
