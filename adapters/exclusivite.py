"""One ledger process at a time on an SQLite store: a second server, follower, rebuild, schedule
or import started on the same file is refused at once, with the pid of the one that holds it,
rather than failing later on locked reads and read models written twice.

SQLite serialises writers inside one file but the ledger's processes also keep state beside it
(the read models' positions and caches, the schedule's run): several of them on one file is what
PostgreSQL is for (docs/operations.md). The lock is an `flock` on `<store>.processus.lock`, which
the kernel releases when the process ends, however it ends (kill -9 included): no stale lock to
clean by hand. The file holds the holder's pid and command, for the message."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from adapters.database import ConfigurationError, Stockage


class StockageOccupe(ConfigurationError):
    pass


@contextmanager
def processus_unique(stockage: Stockage, commande: str) -> Iterator[None]:
    """Hold the store for this process for the duration (SQLite; nothing on PostgreSQL)."""
    if stockage.sqlite_path is None:
        yield
        return
    chemin = stockage.sqlite_path.with_name(stockage.sqlite_path.name + ".processus.lock")
    f = open(chemin, "a+")  # noqa: SIM115 - held open for the duration, closed below
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            qui = f.read().strip() or "pid unknown"
            raise StockageOccupe(
                f"the SQLite store {stockage.sqlite_path} is in use by another ledger process "
                f"({qui}): SQLite takes one server, follower, rebuild or schedule at a time; stop "
                "that one first, or run several on PostgreSQL (docs/operations.md)"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}, ledger {commande}\n")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)
    finally:
        f.close()
