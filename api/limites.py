"""Rate limits on failed authentications: an agent's access token (the API's bearer and the
sign-in form), a demandeur's access code (`GET /demandeur/{n}` and `/mon-dossier`). Without
them a wrong token or code can be tried as fast as the server answers.

Each failure is counted against the source address and, where the attempt names one, against
its target (the demand a code is tried on, the agent identifier signed in as). A key with
`ECHECS_MAX` failures within the last `FENETRE` seconds is refused with 429 and `Retry-After`
(the seconds until its oldest counted failure leaves the window) **before** its credential is
checked, so a blocked guesser learns nothing, not even from a right guess. A success forgets the
target's failures, not the source's.

The counts live in the memory of the serving process: several processes behind one address
each count on their own (docs/rules.md, "Rate limits"). Time comes from the ledger's clock
(`domain.horloge`), which tests set."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from datetime import datetime

from fastapi import Request

from api.problemes import ErreurHTTP
from domain import horloge

ECHECS_MAX = 10  # failures per key within the window
FENETRE = 60.0  # seconds
CLES_MAX = 100_000  # keys remembered at most (the oldest forgotten first): bounded memory

Cle = tuple[str, str]


class TropDeTentatives(ErreurHTTP):
    def __init__(self, quoi: str, attente: int) -> None:
        super().__init__(
            429, "trop_de_tentatives",
            f"too many failed {quoi} from here: retry in {attente} s",
            retry_after=attente,
        )
        self.entetes = {"Retry-After": str(attente)}


class Limiteur:
    """Failures per key in a sliding window (thread-safe: routes run in a thread pool)."""

    def __init__(self, echecs_max: int = ECHECS_MAX, fenetre: float = FENETRE) -> None:
        self.echecs_max, self.fenetre = echecs_max, fenetre
        self._echecs: OrderedDict[Cle, deque[datetime]] = OrderedDict()
        self._verrou = threading.Lock()

    def _purger(self, cle: Cle, maintenant: datetime) -> deque[datetime] | None:
        d = self._echecs.get(cle)
        if d is None:
            return None
        while d and (maintenant - d[0]).total_seconds() >= self.fenetre:
            d.popleft()
        if not d:
            del self._echecs[cle]
            return None
        return d

    def attente(self, cles: list[Cle]) -> int | None:
        """Seconds before any of `cles` may be tried again, or None if none is blocked."""
        maintenant = horloge.maintenant()
        pire: float | None = None
        with self._verrou:
            for cle in cles:
                d = self._purger(cle, maintenant)
                if d is not None and len(d) >= self.echecs_max:
                    reste = self.fenetre - (maintenant - d[0]).total_seconds()
                    pire = reste if pire is None else max(pire, reste)
        return None if pire is None else max(1, math.ceil(pire))

    def echec(self, cles: list[Cle]) -> None:
        maintenant = horloge.maintenant()
        with self._verrou:
            for cle in cles:
                d = self._purger(cle, maintenant)
                if d is None:
                    d = self._echecs[cle] = deque(maxlen=self.echecs_max)
                self._echecs.move_to_end(cle)
                d.append(maintenant)
            while len(self._echecs) > CLES_MAX:
                self._echecs.popitem(last=False)

    def succes(self, cles: list[Cle]) -> None:
        with self._verrou:
            for cle in cles:
                self._echecs.pop(cle, None)

    def exiger(self, cles: list[Cle], quoi: str) -> None:
        """429 if one of `cles` is blocked."""
        attente = self.attente(cles)
        if attente is not None:
            raise TropDeTentatives(quoi, attente)


def source(request: Request) -> Cle:
    """The address the request comes from (the peer; behind a proxy, the proxy's)."""
    return ("source", request.client.host if request.client else "inconnue")
