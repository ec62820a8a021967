"""Clocks for the ledger: the system's UTC clock in production, a settable one for tests and
for replaying history at a chosen instant."""

import threading
from datetime import UTC, date, datetime, time, timedelta

from domain import horloge


class HorlogeReglable:
    """A clock that stands still until moved; every reading is strictly later than the last, so
    recorded_at stays a total order even when tests append many events at one instant."""

    def __init__(self, depart: datetime) -> None:
        self._instant = depart
        self._dernier = depart - timedelta(microseconds=1)
        self._verrou = threading.Lock()  # concurrent writers must still get distinct instants

    def __call__(self) -> datetime:
        with self._verrou:
            self._dernier = max(self._instant, self._dernier + timedelta(microseconds=1))
            return self._dernier

    def regler(self, instant: datetime | date) -> None:
        """Set the time; setting it back is for a test's opening scene, before any event."""
        if not isinstance(instant, datetime):
            instant = datetime.combine(instant, time(9, 0), UTC)
        self._instant = instant
        self._dernier = min(self._dernier, instant - timedelta(microseconds=1))

    def avancer(self, **delta: float) -> None:
        self._instant += timedelta(**delta)

    def installer(self) -> "HorlogeReglable":
        horloge.installer(self)
        return self
