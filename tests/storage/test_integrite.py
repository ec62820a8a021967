"""Tamper evidence (adapters/chaine.py, docs/integrity.md): whoever can write the database —
a superuser with the append-only triggers disabled, on PostgreSQL; a hand with the triggers
dropped, on SQLite — rewrites, removes or inserts a stored event, and `ledger verifier-integrite`
exits non-zero naming the first one (its position, aggregate and topic). Every append path
chains: the library's save, the bulk path (COPY on PostgreSQL), the idempotent path, the SNE
import's staging; a store written before the chain is chained once at its first start."""

from __future__ import annotations

import io
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest

from adapters import chaine, cli
from adapters.database import Stockage
from adapters.registre import Lot, Registre
from adapters.sne.importation import importer
from adapters.territory_file import load_territory
from domain import commandes as c
from domain.codes import RoleMembre, Typologie
from domain.foyer import Membre, Souhaits
from tests import sne_fichiers as sne
from tests.fixtures.journal_v1 import ecrire
from tests.storage.test_immutability import peupler


def _verifier(stockage: Stockage, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str]:
    code = cli.main(["--database", stockage.url, "verifier-integrite", "--quiet", *options])
    sortie = capsys.readouterr()
    return code, sortie.out + sortie.err


@contextmanager
def _superutilisateur(stockage: Stockage) -> Iterator[psycopg.Connection[Any]]:
    env = stockage.eventsourcing_env
    conn = psycopg.connect(
        host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None, dbname=env["POSTGRES_DBNAME"], autocommit=True,
    )
    try:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (True,)
        conn.execute(f'SET search_path = "{stockage.schema}"')
        yield conn
    finally:
        conn.close()


@contextmanager
def _sqlite(stockage: Stockage) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(stockage.sqlite_path, timeout=30, isolation_level=None)  # type: ignore[arg-type]
    try:
        yield conn
    finally:
        conn.close()


def _ligne(stockage: Stockage, position: int) -> tuple[str, str]:
    """The aggregate and topic stored at a position, as the report names them."""
    table, pos = stockage.table_evenements, stockage.colonne_position
    if stockage.postgres:
        with _superutilisateur(stockage) as conn:
            row = conn.execute(f"SELECT originator_id, topic FROM {table} WHERE {pos} = %s", (position,)).fetchone()
    else:
        with _sqlite(stockage) as conn:
            row = conn.execute(f"SELECT originator_id, topic FROM {table} WHERE {pos} = ?", (position,)).fetchone()
    assert row is not None
    return str(UUID(str(row[0]))), row[1]


def test_an_untouched_log_is_intact(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    peupler(registre)
    code, sortie = _verifier(registre.stockage, capsys)
    assert code == 0, sortie
    assert "intact: 4 events" in sortie


def test_a_rewritten_event_is_named(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    peupler(registre)
    s = registre.stockage
    agregat, topic = _ligne(s, 3)
    if s.postgres:
        with _superutilisateur(s) as conn:
            conn.execute(f"ALTER TABLE {s.table_evenements} DISABLE TRIGGER USER")
            conn.execute(f"UPDATE {s.table_evenements} SET state = %s WHERE notification_id = 3", (b'{"falsifie":1}',))
            conn.execute(f"ALTER TABLE {s.table_evenements} ENABLE TRIGGER USER")
    else:
        with _sqlite(s) as conn:
            conn.execute(f"DROP TRIGGER {s.table_evenements}_sans_update")
            # Text where the library writes bytes: still named, not a crash of the verifier.
            conn.execute(f"UPDATE {s.table_evenements} SET state = '{{}}' WHERE rowid = 3")
    code, sortie = _verifier(s, capsys)
    assert code == 1
    assert f"altered event at position 3 (aggregate {agregat}, topic {topic}" in sortie


def test_a_rewrite_of_the_chain_too_is_caught_by_a_kept_checkpoint(
    registre: Registre, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """An attacker who rewrites an event and recomputes the whole chain after it leaves a
    consistent chain: the checkpoint a partner kept shows it."""
    peupler(registre)
    s = registre.stockage
    kept = tmp_path / "point.json"
    assert cli.main(["--database", s.url, "point-de-controle", "--sortie", str(kept)]) == 0
    assert _verifier(s, capsys, "--point-de-controle", str(kept))[0] == 0
    if s.postgres:
        with _superutilisateur(s) as conn:
            conn.execute("SET session_replication_role = replica")
            conn.execute(f"UPDATE {s.table_evenements} SET state = %s WHERE notification_id = 2", (b'{"falsifie":1}',))
            rows = conn.execute(
                f"SELECT notification_id, originator_id, originator_version, topic, state FROM {s.table_evenements} ORDER BY 1"
            ).fetchall()
            h = chaine.ZERO
            for p, oid, v, t, st in rows:
                h = chaine.empreinte(h, p, oid.bytes, v, t, st)
                conn.execute(f"UPDATE {chaine.TABLE_CHAINE} SET empreinte = %s WHERE position = %s", (h, p))
    else:
        with _sqlite(s) as conn:
            conn.execute(f"DROP TRIGGER {s.table_evenements}_sans_update")
            conn.execute(f"DROP TRIGGER {chaine.TABLE_CHAINE}_sans_update")
            conn.execute(f"UPDATE {s.table_evenements} SET state = x'7b7d' WHERE rowid = 2")
            h = chaine.ZERO
            for p, oid, v, t, st in conn.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {s.table_evenements} ORDER BY 1"
            ).fetchall():
                h = chaine.empreinte(h, p, UUID(oid).bytes, v, t, st)
                conn.execute(f"UPDATE {chaine.TABLE_CHAINE} SET empreinte = ? WHERE position = ?", (h, p))
    assert _verifier(s, capsys)[0] == 0  # the chain alone is consistent again
    code, sortie = _verifier(s, capsys, "--point-de-controle", str(kept))
    assert code == 1
    assert "does not extend checkpoint" in sortie


def test_a_removed_event_is_named(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    peupler(registre)
    s = registre.stockage
    if s.postgres:
        with _superutilisateur(s) as conn:
            conn.execute("SET session_replication_role = replica")
            conn.execute(f"DELETE FROM {s.table_evenements} WHERE notification_id = 2")
    else:
        with _sqlite(s) as conn:
            conn.execute(f"DROP TRIGGER {s.table_evenements}_sans_delete")
            conn.execute(f"DELETE FROM {s.table_evenements} WHERE rowid = 2")
    code, sortie = _verifier(s, capsys)
    assert code == 1
    assert "removed event at position 2" in sortie


def test_an_inserted_event_is_named(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    peupler(registre)
    s = registre.stockage
    intrus = UUID(int=42)
    if s.postgres:
        with _superutilisateur(s) as conn:
            conn.execute("SET session_replication_role = replica")  # no chain trigger either
            conn.execute(
                f"INSERT INTO {s.table_evenements} (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, 'domain.demande:Demande.Enregistree', '\\x7b7d')",
                (intrus,),
            )
    else:
        with _sqlite(s) as conn:
            conn.execute(f"DROP TRIGGER {s.table_evenements}_chaine")
            conn.execute(
                f"INSERT INTO {s.table_evenements} (originator_id, originator_version, topic, state) "
                "VALUES (?, 1, 'domain.demande:Demande.Enregistree', x'7b7d')",
                (intrus.hex,),
            )
    code, sortie = _verifier(s, capsys)
    assert code == 1
    assert f"inserted event at position 5 (aggregate {intrus}, topic domain.demande:Demande.Enregistree" in sortie


def _enregistrer(n: int) -> c.Enregistrer:
    return c.Enregistrer(
        occurred_on=date(2026, 3, 2) if n % 2 else date(2026, 3, 3),
        membres=(Membre(id="m1", role=RoleMembre.demandeur),),
        souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
    )


def test_every_append_path_chains(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    from adapters.idempotence import Idempotence

    org = registre.territoire.organisation("CANNES")
    registre.executer(org, "cannes-1", _enregistrer(1))  # the library's save
    lot = Lot(registre)
    for n in range(Lot.COPIE_DES + 5):  # COPY on PostgreSQL
        lot.executer(org, "cannes-1", _enregistrer(n))
    lot.sauver()
    lot = Lot(registre, cles={})  # the bulk path on both
    lot.executer(org, "cannes-1", _enregistrer(3))
    lot.sauver()
    idem = Idempotence(org.code, "cle-1", "0" * 64, lambda r: (201, b"{}", {}))
    registre.executer(org, "cannes-1", _enregistrer(4), idempotence=idem)
    rapport = importer(registre, org, "agent-test", io.BytesIO(sne.fichier([sne.copie(1), sne.copie(2)])))  # staging
    assert rapport.importe and rapport.evenements
    n = registre.position()
    assert n > Lot.COPIE_DES + 5
    code, sortie = _verifier(registre.stockage, capsys)
    assert code == 0, sortie
    assert f"intact: {n} events" in sortie


def test_a_log_written_before_the_chain_is_chained_at_first_start(
    stockage: Stockage, horloge_test: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    territoire = load_territory(ecrire.TERRITOIRE)
    registre = Registre(stockage, territoire)
    # What a store of the previous version looks like: no chain table, no chain trigger.
    t = stockage.table_evenements
    with registre.engine.begin() as conn:
        if stockage.postgres:
            conn.exec_driver_sql(f"DROP TRIGGER {t}_chaine ON {t}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER {t}_chaine")
        conn.exec_driver_sql(f"DROP TABLE {chaine.TABLE_CHAINE}")
    ecrire.charger(registre, ecrire_journal())
    n = registre.position()
    registre.close()
    with caplog.at_level(logging.WARNING, logger="ledger.chaine"):
        registre = Registre(stockage, territoire)
    assert f"chaining the {n} events stored before it existed" in caplog.text
    code, sortie = _verifier(stockage, capsys)
    assert code == 0, sortie
    assert f"intact: {n} events" in sortie
    with caplog.at_level(logging.WARNING, logger="ledger.chaine"):
        caplog.clear()
        Registre(stockage, territoire).close()  # once only
    assert "chaining" not in caplog.text
    registre.close()


def ecrire_journal() -> dict[str, Any]:
    import json

    return json.loads(ecrire.JOURNAL.read_text(encoding="utf-8"))


def test_erasing_a_demand_leaves_the_chain_whole(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    """The chain covers the ciphertext: destroying the demand's key changes no stored byte."""
    from domain.demande import Demande
    from tests.storage.test_personal_data import enregistrer

    numero = enregistrer(registre, date(2026, 3, 2))
    code, avant = _verifier(registre.stockage, capsys)
    assert code == 0, avant
    registre.coffre.effacer(Demande.id_pour(numero))
    code, apres = _verifier(registre.stockage, capsys)
    assert code == 0, apres
    assert apres == avant  # same events, same chain head


def test_the_chain_is_append_only_too(registre: Registre) -> None:
    peupler(registre)
    s = registre.stockage
    if s.postgres:
        with _superutilisateur(s) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(f"UPDATE {chaine.TABLE_CHAINE} SET empreinte = '\\x00' WHERE position = 1")
        with _superutilisateur(s) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(f"DELETE FROM {chaine.TABLE_CHAINE} WHERE position = 1")
    else:
        with _sqlite(s) as conn:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(f"UPDATE {chaine.TABLE_CHAINE} SET empreinte = x'00' WHERE position = 1")
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(f"DELETE FROM {chaine.TABLE_CHAINE} WHERE position = 1")
            # A connection that does not compute the chain (the sqlite3 shell) cannot append.
            with pytest.raises(sqlite3.OperationalError, match="ledger_empreinte"):
                conn.execute(
                    f"INSERT INTO {s.table_evenements} (originator_id, originator_version, topic, state) "
                    "VALUES (?, 1, 't', x'00')", (UUID(int=9).hex,),
                )


def test_init_makes_the_signing_key_once_and_says_where(
    stockage: Stockage, cle_de_signature: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert not cle_de_signature.exists()
    with caplog.at_level(logging.WARNING, logger="ledger.integrite"):
        assert cli.main(["--database", stockage.url, "init"]) == 0
    premiere = capsys.readouterr().out
    assert f"checkpoint signing key created at {cle_de_signature}" in premiere
    assert "keep it outside the database" in premiere
    assert "signing key created" not in caplog.text  # said once, by the command, not logged again
    assert cle_de_signature.stat().st_mode & 0o777 == 0o600
    contenu = cle_de_signature.read_bytes()
    assert cli.main(["--database", stockage.url, "init"]) == 0
    assert f"checkpoint signing key at {cle_de_signature}" in capsys.readouterr().out
    assert cle_de_signature.read_bytes() == contenu


def test_concurrent_writers_leave_one_unbroken_chain(registre: Registre, capsys: pytest.CaptureFixture[str]) -> None:
    """The chain follows the log's order under the same lock: writers in parallel threads, the
    library's save and the bulk path mixed, leave a chain with no fork and no gap."""
    import threading

    org = registre.territoire.organisation("CANNES")
    erreurs: list[BaseException] = []

    def ecrire(k: int) -> None:
        try:
            for n in range(6):
                if (k + n) % 3:
                    registre.executer(org, f"agent-{k}", _enregistrer(n))
                else:
                    lot = Lot(registre, cles={})
                    for m in range(4):
                        lot.executer(org, f"agent-{k}", _enregistrer(m))
                    lot.sauver()
        except BaseException as e:  # noqa: BLE001 - reported below
            erreurs.append(e)

    fils = [threading.Thread(target=ecrire, args=(k,)) for k in range(4)]
    for f in fils:
        f.start()
    for f in fils:
        f.join()
    assert not erreurs, erreurs
    n = len(list(chaine.empreintes(registre.stockage, registre.engine)))
    assert n == 4 * (2 * 4 + 4)  # per thread: 2 of its 6 rounds a lot of 4, 4 single registrations
    code, sortie = _verifier(registre.stockage, capsys)
    assert code == 0, sortie
    assert f"intact: {n} events" in sortie
