"""The time the ledger believes it is. The domain asks; an adapter decides (system clock in
production, a settable clock in tests), because recorded_at and "never in the future" must
agree with the store.

The system clock is the machine's, unless LEDGER_HORLOGE names another instant: a testing and
replay aid (README, "Testing"), never set in production. Its value is an ISO 8601 instant with
its offset (`2026-11-23T09:00:00+00:00`) or a day (`2026-11-23`, meaning noon in Europe/Paris);
the clock reads that instant the first time the process asks for the time and runs at real
speed from there, so instants still increase and durations stay true, while "today" is the
day given. Any code, in-process or a subprocess such as `ledger` or `scripts/generate`, then
sees that day."""

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FUSEAU = ZoneInfo("Europe/Paris")  # the territory's legal day, for "a date in the future"
VARIABLE = "LEDGER_HORLOGE"  # the environment variable that moves the system clock
_MIDI = time(12, 0)  # a day alone means its noon in Europe/Paris: far from either midnight


class HorlogeInvalide(ValueError):
    """LEDGER_HORLOGE holds something that is not an instant."""


def lire_instant(texte: str) -> datetime:
    """`2026-11-23T09:00:00+00:00` as it is, `2026-11-23` as its noon in Europe/Paris."""
    texte = texte.strip()
    try:
        if "T" not in texte and " " not in texte:
            return datetime.combine(date.fromisoformat(texte), _MIDI, FUSEAU).astimezone(UTC)
        instant = datetime.fromisoformat(texte)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise HorlogeInvalide(
            f"{VARIABLE}={texte!r}: expected an instant with its offset "
            "(2026-11-23T09:00:00+00:00) or a day (2026-11-23)"
        )
    return instant.astimezone(UTC)


_decalage: tuple[str, timedelta] | None = None  # (LEDGER_HORLOGE's value, its offset from the machine)


def _systeme() -> datetime:
    global _decalage
    reel = datetime.now(UTC)
    valeur = os.environ.get(VARIABLE)
    if not valeur:
        return reel
    if _decalage is None or _decalage[0] != valeur:
        _decalage = (valeur, lire_instant(valeur) - reel)
    return reel + _decalage[1]


_maintenant: Callable[[], datetime] = _systeme


def installer(source: Callable[[], datetime]) -> None:
    global _maintenant
    _maintenant = source


def source() -> Callable[[], datetime]:
    """The clock in force, for whoever installs another for a while and puts it back."""
    return _maintenant


def reinitialiser() -> None:
    installer(_systeme)


def maintenant() -> datetime:
    return _maintenant()


def aujourdhui() -> date:
    return maintenant().astimezone(FUSEAU).date()
