"""Who is woken when the log grows: one watcher per process for every long-polling reader of the
partner feed (`GET /flux?attente=`), so that a partner sees a new event within a second without
each waiting request asking the database over and over.

On PostgreSQL the watcher LISTENs on the channel the eventsourcing library NOTIFYs at every save
(the bulk append NOTIFYs it too), on a connection of its own, and also looks at the log's last
position every `intervalle` seconds in case a notification was missed; on SQLite, which has no
notifications, it looks every `intervalle_sqlite` seconds (one indexed query). Waiters are asyncio futures, so a waiting request holds no
thread: the server's thread pool stays for the reads."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from adapters.registre import Registre

log = logging.getLogger("ledger.veilleur")


class Veilleur:
    def __init__(self, registre: Registre, intervalle: float = 1.0, intervalle_sqlite: float = 0.1) -> None:
        self.registre = registre
        self.intervalle = intervalle if registre.stockage.postgres else intervalle_sqlite
        self.position = registre.position()
        self._verrou = threading.Lock()
        self._reveil = threading.Event()
        self._arret = threading.Event()
        self._attentes: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[bool]]] = []
        self._fils: list[threading.Thread] = []

    def demarrer(self) -> Veilleur:
        if self._fils:
            return self
        self._fils.append(threading.Thread(target=self._boucle, name="veilleur", daemon=True))
        if self.registre.stockage.postgres:
            self._fils.append(threading.Thread(target=self._ecouter, name="veilleur-listen", daemon=True))
        for f in self._fils:
            f.start()
        return self

    def arreter(self) -> None:
        self._arret.set()
        self._reveil.set()
        for f in self._fils:
            f.join(timeout=5)
        self._fils = []

    def signaler(self) -> None:
        """Something was appended (by this process, or a notification says so): look now."""
        self._reveil.set()

    async def attendre(self, apres: int, secondes: float) -> bool:
        """Until the log holds a position after `apres`, at most `secondes`; whether it does."""
        if self.position > apres:
            return True
        boucle = asyncio.get_running_loop()
        futur: asyncio.Future[bool] = boucle.create_future()
        entree = (apres, boucle, futur)
        with self._verrou:
            if self.position > apres:
                return True
            self._attentes.append(entree)
        self.signaler()  # the position may be stale: look once now
        try:
            return await asyncio.wait_for(asyncio.shield(futur), timeout=secondes)
        except TimeoutError:
            return self.position > apres
        finally:
            with self._verrou:
                if entree in self._attentes:
                    self._attentes.remove(entree)

    def _boucle(self) -> None:
        while not self._arret.is_set():
            self._reveil.wait(self.intervalle)
            self._reveil.clear()
            if self._arret.is_set():
                return
            try:
                position = self.registre.position()
            except Exception as e:  # the database away: try again at the next look
                log.warning("cannot read the log's position: %s", e)
                continue
            self._avancer(position)

    def _avancer(self, position: int) -> None:
        with self._verrou:
            if position <= self.position:
                return
            self.position = position
            prets = [(b, f) for a, b, f in self._attentes if position > a]
        for boucle, futur in prets:
            boucle.call_soon_threadsafe(_resoudre, futur)

    def _ecouter(self) -> None:
        import psycopg

        rec: Any = self.registre.recorder
        env = self.registre.stockage.eventsourcing_env
        while not self._arret.is_set():
            try:
                with psycopg.connect(
                    dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
                    user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
                ) as conn:
                    conn.execute(f'LISTEN "{rec.channel_name}"')
                    while not self._arret.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.signaler()
            except Exception as e:
                log.warning("LISTEN on the log's channel failed (%s); polling meanwhile", e)
                self._arret.wait(self.intervalle)


def _resoudre(futur: asyncio.Future[bool]) -> None:
    if not futur.done():
        futur.set_result(True)
