"""The daily schedule (docs/rules.md "Deadlines", R.441-2-7): renewal notices, RADREN radiations and
personal-data erasures appended on their due dates, for every demand that owes one.

Its work comes from the deadlines read model's worklist (`projections.echeances.demandes_dues`),
so a run costs the demands that owe something, not the whole territory. It is idempotent: each
demand is caught up through `Registre.rattraper`, which appends only what is still due and
retries when another writer got there first, so two processes running it at once still append
each event once. A lock keeps it to one process at a time anyway (a PostgreSQL advisory lock per
schema; a lock file beside an SQLite store), so that the others do not redo the work.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import msgspec
import sqlalchemy as sa
from tqdm import tqdm

from adapters.registre import Registre
from projections.echeances import demandes_dues
from projections.suivi import Suiveur

journal = logging.getLogger("ledger.planification")


class RapportPlanification(msgspec.Struct, frozen=True):
    jusquau: date
    demandes_dues: int  # demands the worklist named
    demandes_touchees: int  # demands something was appended to
    evenements: int
    par_type: dict[str, int]
    secondes: float

    def resume(self) -> str:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(self.par_type.items()))
        return (
            f"schedule through {self.jusquau}: {self.evenements} events appended on "
            f"{self.demandes_touchees} of {self.demandes_dues} demands"
            + (f" ({detail})" if detail else "")
            + f" in {self.secondes:.1f} s"
        )


def _cle_verrou(registre: Registre) -> int:
    """One advisory lock per ledger: several ledgers may share a database, one schema each."""
    nom = f"demand-ledger:planification:{registre.stockage.schema or ''}".encode()
    return int.from_bytes(hashlib.sha256(nom).digest()[:8], "big", signed=True)


@contextmanager
def verrou_planification(
    registre: Registre, attendre: Callable[[], bool] | None = None, pause: float = 0.5
) -> Iterator[bool]:
    """Holds the schedule's lock for the duration, yielding True; yields False at once when
    another process holds it and `attendre` is None, else polls until `attendre()` says stop."""
    if registre.stockage.postgres:
        cle = _cle_verrou(registre)
        with registre.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            essai = sa.text("SELECT pg_try_advisory_lock(:k)")
            while not conn.execute(essai, {"k": cle}).scalar_one():
                if attendre is None or not attendre():
                    yield False
                    return
                time.sleep(pause)
            try:
                yield True
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": cle})
        return
    assert registre.stockage.sqlite_path is not None
    chemin = registre.stockage.sqlite_path.with_name(registre.stockage.sqlite_path.name + ".planification.lock")
    with open(chemin, "a+") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attendre is None or not attendre():
                    yield False
                    return
                time.sleep(pause)
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def planifier(
    registre: Registre, echeances: Suiveur, jusquau: date, barre: bool = False
) -> RapportPlanification:
    """Append everything due on or before `jusquau`, each event on its own due date. The caller
    holds `verrou_planification` (or accepts doing work another process may be doing)."""
    debut = time.monotonic()
    echeances.suivre()  # the worklist must know every event before it is read
    with registre.engine.connect() as conn:
        numeros = demandes_dues(conn, echeances.tables, jusquau)
    par_type: Counter[str] = Counter()
    touchees = 0
    for n in tqdm(numeros, desc=f"schedule through {jusquau}", unit="demand", disable=not barre):
        r = registre.rattraper(n, jusquau)
        if r is None:
            continue  # another writer caught it up meanwhile
        touchees += 1
        faits = registre.demande(n).faits
        par_type.update(type(faits[v - 1]).__name__ for v in r.evenements)
    rapport = RapportPlanification(
        jusquau=jusquau,
        demandes_dues=len(numeros),
        demandes_touchees=touchees,
        evenements=sum(par_type.values()),
        par_type=dict(par_type),
        secondes=time.monotonic() - debut,
    )
    journal.info(rapport.resume())
    return rapport
