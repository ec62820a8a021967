"""The PostgreSQL pool pings only the connections that sat idle (adapters/database.py,
`_sonder_les_oisives`): a connection cut while idle is replaced before anyone uses it, and a
connection given back a moment ago is handed out without the round trip of a ping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from adapters import database
from adapters.database import depuis_url


@pytest.fixture
def moteur(schema_postgres: str) -> Iterator[sa.Engine]:
    """The ledger's own PostgreSQL engine (one pooled connection), disposed after."""
    engine = depuis_url(schema_postgres).engine(pool_size=1)
    yield engine
    engine.dispose()


def _pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def _couper(url: str, pid: int) -> None:
    # Another connection ends the pooled one's backend, as a server restart or an idle timeout would.
    autre = depuis_url(url).engine(pool_size=1)
    try:
        with autre.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    finally:
        autre.dispose()


def test_an_idle_connection_cut_meanwhile_is_replaced_before_use(
    moteur: sa.Engine, schema_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    avant = _pid(moteur)
    _couper(schema_postgres, avant)
    monkeypatch.setattr(database, "SONDE_APRES_S", 0.0)  # every connection counts as idle
    assert _pid(moteur) != avant  # pinged, found dead, replaced: the query itself succeeded


def test_a_connection_given_back_a_moment_ago_is_not_pinged(
    moteur: sa.Engine, schema_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    ping = moteur.dialect.do_ping
    monkeypatch.setattr(moteur.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    avant = _pid(moteur)
    assert pings == []  # just opened: not pinged
    monkeypatch.setattr(database, "SONDE_APRES_S", 3600.0)
    assert _pid(moteur) == avant
    assert pings == []  # given back a moment ago: handed out without a ping
    monkeypatch.setattr(database, "SONDE_APRES_S", 0.0)
    assert _pid(moteur) == avant
    assert len(pings) == 1  # idle for longer than the window: pinged
    monkeypatch.setattr(database, "SONDE_APRES_S", 3600.0)
    # The price of skipping it: a connection cut within the window fails its next query once,
    # and the pool then discards it, so the query after is served by a new connection.
    _couper(schema_postgres, avant)
    with pytest.raises(sa.exc.OperationalError):
        _pid(moteur)
    assert _pid(moteur) != avant
