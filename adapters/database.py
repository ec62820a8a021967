"""Where the ledger lives: the embedded SQLite default under ./var, or PostgreSQL when
LEDGER_DATABASE_URL says so. One URL configures both the eventsourcing event store and the
SQLAlchemy engine of the read models, keys and numbering, so they share one database."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import eventsourcing.persistence as es
import sqlalchemy as sa

APP_NAME = "Ledger"  # on PostgreSQL, eventsourcing names the events table after it
DEFAULT_URL = "sqlite:///var/ledger.sqlite3"
# A pooled PostgreSQL connection given back less than this many seconds ago is handed out without
# a ping (see `_sonder_les_oisives`).
SONDE_APRES_S = 10.0


class ConfigurationError(ValueError):
    pass


class BaseInjoignable(ConfigurationError):
    """The database of a ledger cannot be reached or opened: one line naming where and why."""

    def __init__(self, stockage: Stockage, erreur: BaseException) -> None:
        cause = getattr(erreur, "orig", None) or erreur  # SQLAlchemy wraps the driver's error
        raison = next((ligne.strip() for ligne in str(cause).splitlines() if ligne.strip()), type(cause).__name__)
        super().__init__(f"cannot reach the database {sans_mot_de_passe(stockage.url)}: {raison}")


# What a running ledger raises when its database goes away (SQLAlchemy's read side, the
# library's event store): the API answers them 503, retry later, never a bare 500.
ERREURS_DE_CONNEXION: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    es.OperationalError,
    es.InterfaceError,
    es.ConnectionUnavailableError,
)


def verifier_connexion(engine: sa.Engine) -> None:
    """Raise unless the database answers a trivial query (readiness checks)."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def sans_mot_de_passe(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@", 1)
    return url


@dataclass(frozen=True)
class Stockage:
    url: str
    kind: str  # "sqlite" | "postgresql"
    eventsourcing_env: dict[str, str]
    sqlalchemy_url: sa.URL
    schema: str | None
    sqlite_path: Path | None

    @property
    def postgres(self) -> bool:
        return self.kind == "postgresql"

    @property
    def env_bibliotheque(self) -> dict[str, str]:
        """The library's own behaviour, for baselines (scripts/bench): it creates its table and
        takes its lock itself, as a plain eventsourcing application does."""
        return {k: v for k, v in self.eventsourcing_env.items() if k not in ("CREATE_TABLE", "APPLICATION_RECORDER_TOPIC")}

    @property
    def table_evenements(self) -> str:
        # The library's own names: ledger_events on PostgreSQL, stored_events on SQLite.
        return "ledger_events" if self.postgres else "stored_events"

    @property
    def colonne_position(self) -> str:
        # The log position (notification id): a column on PostgreSQL, the rowid on SQLite.
        return "notification_id" if self.postgres else "rowid"

    def engine(self, pool_size: int = 5) -> sa.Engine:
        if self.postgres:
            options = {"options": f"-csearch_path={self.schema}"} if self.schema else {}
            engine = sa.create_engine(
                self.sqlalchemy_url, connect_args=options, pool_size=pool_size, max_overflow=pool_size
            )
            _sonder_les_oisives(engine)
            return engine
        engine = sa.create_engine(self.sqlalchemy_url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            # WAL lets followers read while the API writes; the event store uses it too.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine


VARIABLE_LECTURE = "LEDGER_READ_DATABASE_URL"


def lecture_depuis_env(primaire: Stockage, url: str | None = None) -> Stockage | None:
    """Where reads go when LEDGER_READ_DATABASE_URL (or `url`) names a PostgreSQL streaming
    replica of the primary: the same schema (taken from the primary's URL unless given), read
    only. None when unset: reads go to the primary."""
    url = url or os.environ.get(VARIABLE_LECTURE)
    if not url:
        return None
    if not primaire.postgres:
        raise ConfigurationError(
            f"{VARIABLE_LECTURE} is set but LEDGER_DATABASE_URL is not PostgreSQL: a read replica "
            "needs a PostgreSQL primary"
        )
    if "schema=" not in url and primaire.schema:
        url += ("&" if "?" in url else "?") + f"schema={primaire.schema}"
    lecture = depuis_url(url)
    if not lecture.postgres:
        raise ConfigurationError(f"{VARIABLE_LECTURE} {sans_mot_de_passe(url)!r}: expected a PostgreSQL URL")
    if lecture.schema != primaire.schema:
        raise ConfigurationError(
            f"{VARIABLE_LECTURE}: schema {lecture.schema!r} differs from the primary's {primaire.schema!r}"
        )
    return lecture


def depuis_url(url: str | None = None) -> Stockage:
    url = url or os.environ.get("LEDGER_DATABASE_URL") or DEFAULT_URL
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        raw = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not raw:
            raise ConfigurationError(f"LEDGER_DATABASE_URL {url!r}: expected sqlite:///path/to/file")
        path = Path(raw).resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigurationError(
                f"LEDGER_DATABASE_URL {url!r}: cannot create the folder {path.parent}: {e.strerror}"
            ) from None
        return Stockage(
            url=url,
            kind="sqlite",
            eventsourcing_env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "30",
                # Its connections compute the hash chain (adapters/chaine.py).
                "APPLICATION_RECORDER_TOPIC": "adapters.chaine:RecorderSQLite",
            },
            sqlalchemy_url=sa.URL.create("sqlite", database=str(path)),
            schema=None,
            sqlite_path=path,
        )
    if parsed.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        query = parse_qs(parsed.query)
        schema = query.get("schema", [""])[0] or None
        dbname = (parsed.path or "/").lstrip("/")
        if not dbname:
            raise ConfigurationError(f"LEDGER_DATABASE_URL {url!r}: the database name is missing")
        user = unquote(parsed.username or os.environ.get("USER", "postgres"))
        password = unquote(parsed.password or "")
        host = parsed.hostname or "127.0.0.1"
        port = parsed.port or 5432
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": host,
            "POSTGRES_PORT": str(port),
            "POSTGRES_USER": user,
            "POSTGRES_PASSWORD": password,
            "POSTGRES_POOL_SIZE": os.environ.get("LEDGER_POOL_SIZE", "10"),
            "POSTGRES_MAX_OVERFLOW": os.environ.get("LEDGER_POOL_SIZE", "10"),
            "POSTGRES_LOCK_TIMEOUT": "30",
            # Never ENABLE_DB_FUNCTIONS: that write path loses events under concurrency.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "",
            # The schema is created by its owner (adapters/schema.py), never implicitly: the
            # library's CREATE INDEX IF NOT EXISTS needs to own the table even when it exists.
            "CREATE_TABLE": "no",
            # Its ordering lock taken through the owner's function (adapters/enregistreur.py).
            "APPLICATION_RECORDER_TOPIC": "adapters.enregistreur:EnregistreurPostgres",
        }
        if schema:
            env["POSTGRES_SCHEMA"] = schema
        return Stockage(
            url=url,
            kind="postgresql",
            eventsourcing_env=env,
            sqlalchemy_url=sa.URL.create(
                "postgresql+psycopg",
                username=user,
                password=password or None,
                host=host,
                port=port,
                database=dbname,
            ),
            schema=schema,
            sqlite_path=None,
        )
    raise ConfigurationError(
        f"LEDGER_DATABASE_URL {url!r}: unsupported scheme {parsed.scheme!r} "
        "(use sqlite:///path or postgresql://user@host:port/db[?schema=name])"
    )


def _sonder_les_oisives(engine: sa.Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections that sat idle only. Pinging every checkout
    costs a round trip per query of a read (two of the five of a score request); a connection
    given back a moment ago was alive then, while one idle for longer may have been cut (a
    server restart, an idle timeout) and is pinged, and replaced by the pool if dead. A restart
    within the last seconds of a busy connection's use fails that one query, as a restart
    during it would; the pool then discards every connection made before it."""

    @sa.event.listens_for(engine, "connect")
    @sa.event.listens_for(engine, "checkin")
    def _rendue(_dbapi_conn: object, enregistrement: sa.pool.ConnectionPoolEntry) -> None:
        # Just opened or just given back: known alive at this instant.
        enregistrement.info["rendue_a"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _sonder(
        dbapi_conn: object, enregistrement: sa.pool.ConnectionPoolEntry, _proxy: sa.pool.PoolProxiedConnection
    ) -> None:
        rendue_a = enregistrement.info.get("rendue_a")
        if rendue_a is not None and time.monotonic() - rendue_a < SONDE_APRES_S:
            return
        try:
            vivante = engine.dialect.do_ping(dbapi_conn)
        except Exception as e:  # the driver's own error: the connection is dead
            raise sa.exc.DisconnectionError(str(e)) from e
        if not vivante:
            raise sa.exc.DisconnectionError("the connection did not answer a ping")
