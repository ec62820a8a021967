"""The time the ledger believes it is. The domain asks; an adapter decides (system clock in
production, a settable clock in tests), because recorded_at and "never in the future" must
agree with the store."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

FUSEAU = ZoneInfo("Europe/Paris")  # the territory's legal day, for "a date in the future"


def _systeme() -> datetime:
    return datetime.now(UTC)


_maintenant: Callable[[], datetime] = _systeme


def installer(source: Callable[[], datetime]) -> None:
    global _maintenant
    _maintenant = source


def reinitialiser() -> None:
    installer(_systeme)


def maintenant() -> datetime:
    return _maintenant()


def aujourdhui() -> date:
    return maintenant().astimezone(FUSEAU).date()
