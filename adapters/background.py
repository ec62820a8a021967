"""What a served ledger does by itself, so that nobody has to remember a cron job and no read
pays for catching up: the read models follow the log in a background thread (woken at once by
each command), and the daily schedule runs at start-up and after each midnight Europe/Paris.

When the day changes, the read models whose rows depend on the day are brought to it right away
(scores and ranks; the deadlines of demands whose schedule fell due), so the first reader of the
day does not pay for that either. The schedule can be switched off for a server that only reads
or when another process runs it; several servers sharing one database run it one at a time
(`adapters.planification.verrou_planification`)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date

from adapters.planification import RapportPlanification, planifier, verrou_planification
from adapters.registre import Registre
from domain import horloge
from projections.modeles import ECHEANCES
from projections.reconstruction import changer_de_jour
from projections.suivi import Suiveur, suivre_ensemble

log = logging.getLogger("ledger.background")


@dataclass
class Status:
    """What /sante/pret reports of the background work."""

    followers: bool
    schedule: bool
    last_schedule: RapportPlanification | None = None
    last_schedule_day: date | None = None
    day_of_scores: date | None = None
    errors: dict[str, str] = field(default_factory=dict)  # thread -> last error, cleared on success


class BackgroundWork:
    def __init__(
        self,
        registre: Registre,
        suiveurs: dict[str, Suiveur],
        *,
        follow: bool = True,
        schedule: bool = True,
        interval: float = 1.0,
        tick: float = 1.0,
    ) -> None:
        self.registre = registre
        self.suiveurs = suiveurs
        self.interval = interval  # seconds between two looks at the log when nobody wakes us
        self.tick = tick  # seconds between two looks at the date
        self.status = Status(followers=follow, schedule=schedule)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def following(self) -> bool:
        return self.status.followers and any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        if self.status.followers:
            self._threads.append(threading.Thread(target=self._follow, name="ledger-followers", daemon=True))
        if self.status.schedule:
            self._threads.append(threading.Thread(target=self._schedule, name="ledger-schedule", daemon=True))
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads = []

    def wake(self) -> None:
        """A command was appended: follow it now rather than at the next interval."""
        self._wake.set()

    # -- the followers ---------------------------------------------------------------------------

    def _follow(self) -> None:
        pause = self.interval
        while not self._stop.is_set():
            try:
                suivre_ensemble(self.suiveurs.values())
                jour = horloge.aujourdhui()
                if self.status.day_of_scores != jour:
                    self._new_day(jour)
                    self.status.day_of_scores = jour
                self.status.errors.pop("followers", None)
                pause = self.interval
            except Exception as e:  # a read model that cannot apply an event must not kill us
                log.exception("read models: following the log failed")
                self.status.errors["followers"] = f"{type(e).__name__}: {e}"
                pause = min(max(pause, self.interval) * 2, 60.0)
            self._wake.wait(pause)
            self._wake.clear()

    def _new_day(self, jour: date) -> None:
        debut = time.monotonic()
        # A cotation read model of a big territory is rebuilt as of the day, in bulk.
        n = {nom: changer_de_jour(s, jour) for nom, s in self.suiveurs.items()}
        if any(n.values()):
            log.info(
                "read models brought to %s: %s in %.1f s",
                jour, ", ".join(f"{k} {v} demands" for k, v in n.items()), time.monotonic() - debut,
            )

    # -- the schedule ----------------------------------------------------------------------------

    def _schedule(self) -> None:
        while not self._stop.is_set():
            jour = horloge.aujourdhui()
            if self.status.last_schedule_day != jour:
                try:
                    self.run_schedule(jour)
                    self.status.errors.pop("schedule", None)
                except Exception as e:
                    log.exception("schedule through %s failed; retrying", jour)
                    self.status.errors["schedule"] = f"{type(e).__name__}: {e}"
                    self._stop.wait(min(60.0, 10 * self.tick))
                    continue
            self._stop.wait(self.tick)

    def run_schedule(self, jour: date) -> RapportPlanification | None:
        """One run through `jour`, waiting for another process's run to end first (it then finds
        little or nothing left to append)."""
        with verrou_planification(self.registre, attendre=lambda: not self._stop.is_set()) as tenu:
            if not tenu:
                return None
            rapport = planifier(self.registre, self.suiveurs[ECHEANCES], jour)
        self.status.last_schedule, self.status.last_schedule_day = rapport, jour
        if rapport.evenements:
            self.wake()
        return rapport
