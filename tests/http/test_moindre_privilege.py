"""Least privilege that actually runs (docs/operations.md, Roles): on PostgreSQL the schema is
created by its owner (`ledger init`), and the servers and followers run as a login role that is
only a member of `ledger_ecrivain` (read and append events) and `ledger_modeles` (owns the read
models). With that role the whole HTTP life works — registration, modification, CAL, refusal, the
schedule, a rebuild of a read model — and the role cannot rewrite history: no UPDATE, DELETE or
TRUNCATE of an event, no disabling of the trigger, no session_replication_role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import errors as pgerr

from adapters.background import BackgroundWork
from adapters.cli import main
from adapters.clock import HorlogeReglable
from adapters.code_demandeur import VARIABLE_DOSSIER, VARIABLE_SECRET
from adapters.database import depuis_url
from adapters.registre import Registre
from adapters.schema import ROLE_ECRIVAIN, ROLE_MODELES, SchemaIncomplet
from api.app import creer_app
from domain import horloge
from domain.territoire import Territoire
from projections import modeles
from tests.http.test_http_life import test_une_demande_de_l_enregistrement_au_bail as vie_entiere


@pytest.fixture(autouse=True)
def dossier_donnees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE_DOSSIER, str(tmp_path / "donnees"))
    monkeypatch.delenv(VARIABLE_SECRET, raising=False)


def _url_comme(url: str, role: str) -> str:
    p = urlparse(url)
    return p._replace(netloc=f"{role}@{p.hostname}:{p.port or 5432}").geturl()


@pytest.fixture
def role_app(schema_postgres: str) -> Iterator[str]:
    """A login role of its own (roles are the cluster's), member of the two roles only once the
    owner has run `ledger init`; its URL is `_url_comme(schema_postgres, role)`."""
    role = "t_app_" + uuid.uuid4().hex[:10]
    with psycopg.connect(schema_postgres.split("?")[0], autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
    yield role
    with psycopg.connect(schema_postgres.split("?")[0], autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


def _membre(schema_postgres: str, role: str) -> None:
    with psycopg.connect(schema_postgres.split("?")[0], autocommit=True) as conn:
        conn.execute(f"GRANT {ROLE_ECRIVAIN}, {ROLE_MODELES} TO {role}")


def test_the_app_role_cannot_create_the_schema_and_says_who_must(
    schema_postgres: str, role_app: str, territoire: Territoire, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(schema_postgres.split("?")[0], autocommit=True) as conn:
        for role in (ROLE_ECRIVAIN, ROLE_MODELES):  # roles made by an earlier init elsewhere
            conn.execute(
                f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
    _membre(schema_postgres, role_app)
    url = _url_comme(schema_postgres, role_app)
    with pytest.raises(SchemaIncomplet, match="run `ledger init` with the owner's URL"):
        Registre(depuis_url(url), territoire)
    assert main(["--database", url, "serve"]) == 2
    err = capsys.readouterr().err
    assert "is not initialised" in err and role_app in err and len(err.strip().splitlines()) == 1, err
    # Nothing was created on the way.
    with psycopg.connect(schema_postgres.split("?")[0]) as conn:
        schema = schema_postgres.rsplit("schema=", 1)[1]
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", (schema,)).fetchone()[0] == 0


def test_the_whole_http_life_runs_as_the_app_role(
    schema_postgres: str, role_app: str, territoire: Territoire, horloge_test: HorlogeReglable,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--database", schema_postgres, "init"]) == 0  # the owner (here the superuser)
    assert f"{ROLE_ECRIVAIN} (read and append events)" in capsys.readouterr().out
    _membre(schema_postgres, role_app)
    url = _url_comme(schema_postgres, role_app)
    registre = Registre(depuis_url(url), territoire)
    try:
        with registre.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT current_user").scalar_one() == role_app
        fond = BackgroundWork(registre, modeles.suiveurs(registre), follow=False, schedule=False)
        with TestClient(creer_app(registre, fond=fond)) as client:
            # Registration, modification, renewal, designation, CAL, refusal, recours, bail.
            vie_entiere(client, registre, territoire, horloge_test)
            # The schedule, as this role (its lock, its worklist, its appends).
            rapport = fond.run_schedule(horloge.aujourdhui())
            assert rapport is not None
            # A rebuild of a read model, as this role: new tables beside, then swapped.
            avant = client.get("/echeances", params={"du": "2020-01-01", "au": "2035-12-31"},
                               headers={"Authorization": "Bearer demo-cil-cacpl-1"})
            assert avant.status_code == 200, avant.text
            assert main(["--database", url, "rebuild", "--quiet"]) == 0
            assert main(["--database", url, "rebuild", "cotation", "--quiet"]) == 0
            apres = client.get("/echeances", params={"du": "2020-01-01", "au": "2035-12-31"},
                               headers={"Authorization": "Bearer demo-cil-cacpl-1"})
            assert apres.status_code == 200 and apres.json() == avant.json()
            # And a version change at start, rebuilt by the role itself.
            with registre.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE ledger_suivi_version SET version = 0 WHERE projection = 'cotation'")
            s = modeles.suiveur(registre, modeles.COTATION)
            assert s.reconstruction_requise
            s.suivre()
            assert not s.reconstruction_requise
        # The role owns nothing in the schema: every table is the owner's or the read models'.
        with registre.engine.connect() as conn:
            proprietaires = set(conn.exec_driver_sql(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()"
            ).scalars())
        assert role_app not in proprietaires and ROLE_MODELES in proprietaires
    finally:
        registre.close()


def test_the_app_role_cannot_rewrite_an_event_or_disable_the_trigger(
    schema_postgres: str, role_app: str, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    assert main(["--database", schema_postgres, "init"]) == 0
    _membre(schema_postgres, role_app)
    url = _url_comme(schema_postgres, role_app)
    registre = Registre(depuis_url(url), territoire)
    try:
        org = territoire.organisation("CANNES")
        from domain import commandes as c
        from domain.codes import RoleMembre, Typologie
        from domain.foyer import Membre, Souhaits

        registre.executer(org, "cannes-1", c.Enregistrer(
            occurred_on=date(2026, 11, 23), membres=(Membre(id="m1", role=RoleMembre.demandeur),),
            souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
        ))
    finally:
        registre.close()
    schema = schema_postgres.rsplit("schema=", 1)[1]
    t = f'"{schema}".ledger_events'
    tentatives = [
        (f"UPDATE {t} SET state = '\\x00'::bytea", "permission denied"),
        (f"DELETE FROM {t}", "permission denied"),
        (f"TRUNCATE {t}", "permission denied"),
        (f"ALTER TABLE {t} DISABLE TRIGGER ALL", "must be owner"),
        (f"ALTER TABLE {t} DISABLE TRIGGER ledger_events_sans_modification", "must be owner"),
        (f"DROP TRIGGER ledger_events_sans_modification ON {t}", "must be owner"),
        ("SET session_replication_role = replica", "permission denied"),
        (f"ALTER TABLE {t} OWNER TO {role_app}", "must be owner"),
        (f"DROP TABLE {t}", "must be owner"),
        (f"""CREATE OR REPLACE FUNCTION "{schema}".ledger_refuse_modification() RETURNS trigger
             LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$""", "must be owner"),
        (f"LOCK TABLE {t} IN EXCLUSIVE MODE", "permission denied"),
        # Nor the hash chain, which the owner's trigger writes.
        (f'INSERT INTO "{schema}".ledger_chaine VALUES (99, \'\\x00\'::bytea)', "permission denied"),
        (f'UPDATE "{schema}".ledger_chaine SET empreinte = \'\\x00\'::bytea', "permission denied"),
        (f"ALTER TABLE {t} DISABLE TRIGGER ledger_events_chaine", "must be owner"),
    ]
    for sql, message in tentatives:
        with (
            psycopg.connect(_url_comme(schema_postgres, role_app).split("?")[0]) as conn,
            pytest.raises(pgerr.InsufficientPrivilege, match=message),
        ):
            conn.execute(sql)
    with psycopg.connect(schema_postgres.split("?")[0]) as conn:
        assert conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 1


def test_the_readme_set_up_an_owner_that_is_no_superuser(
    schema_postgres: str, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    """As docs/operations.md sets it up: an administrator makes the roles, the owner (a plain
    login role, member of ledger_modeles, owning the schema) runs `ledger init`, the app role
    serves."""
    base = schema_postgres.split("?")[0]
    schema = schema_postgres.rsplit("schema=", 1)[1]
    proprietaire, app = "t_prop_" + uuid.uuid4().hex[:8], "t_app_" + uuid.uuid4().hex[:8]
    with psycopg.connect(base, autocommit=True) as conn:
        for role in (ROLE_ECRIVAIN, ROLE_MODELES):
            conn.execute(
                f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
        conn.execute(f"CREATE ROLE {proprietaire} LOGIN IN ROLE {ROLE_MODELES}")
        conn.execute(f"CREATE ROLE {app} LOGIN IN ROLE {ROLE_ECRIVAIN}, {ROLE_MODELES}")
        conn.execute(f'ALTER SCHEMA "{schema}" OWNER TO {proprietaire}')
    try:
        assert main(["--database", _url_comme(schema_postgres, proprietaire), "init"]) == 0
        registre = Registre(depuis_url(_url_comme(schema_postgres, app)), territoire)
        try:
            from domain import commandes as c
            from domain.codes import RoleMembre, Typologie
            from domain.foyer import Membre, Souhaits

            r = registre.executer(territoire.organisation("CANNES"), "cannes-1", c.Enregistrer(
                occurred_on=date(2026, 11, 23), membres=(Membre(id="m1", role=RoleMembre.demandeur),),
                souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
            ))
            s = modeles.suiveur(registre, modeles.COTATION)
            assert s.reconstruire(barre=False) == 1 and s.position() == r.position
        finally:
            registre.close()
        with psycopg.connect(base) as conn:
            proprietaires = dict(conn.execute(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall())
        assert proprietaires["ledger_events"] == proprietaire
        assert proprietaires["vue_cotation"] == ROLE_MODELES
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')  # for the fixture's own DROP
            for role in (app, proprietaire):
                conn.execute(f"DROP OWNED BY {role}")
                conn.execute(f"DROP ROLE {role}")
