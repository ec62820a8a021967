"""Where the demands' keys live and how soon an erasure holds (docs/donnees-personnelles.md), on
SQLite and PostgreSQL: two applications on one store see an erasure the instant it is committed
(no key kept between reads); with LEDGER_KEYS_URL the keys live in another database (a SQLite
file, another PostgreSQL schema), the log's database holds none, and an application that reads
the log without the key store reads every personal field as erased."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from adapters.cles import VARIABLE_CLES
from adapters.clock import HorlogeReglable
from adapters.database import ConfigurationError, Stockage
from adapters.registre import Ordre, Registre
from adapters.sne.generation import ecrire_fichier
from adapters.sne.importation import importer
from adapters.tables import cles_demandes
from domain import commandes as c
from domain.codes import MotifRadiation, Typologie
from domain.demande import Demande
from domain.foyer import DonneesPersonnelles, Efface, Souhaits
from domain.territoire import Territoire
from tests.conftest import url_postgres_de_test
from tests.storage.test_personal_data import MEMBRES, NOM, PERSONNEL, enregistrer, executer

SOUHAITS = Souhaits(communes=("06029",), typologies=(Typologie.T3,))


def _cles(engine: sa.Engine) -> dict[str, bytes | None]:
    with engine.connect() as conn:
        return {r.demande_id: r.cle for r in conn.execute(sa.select(cles_demandes))}


# -- no cache window -----------------------------------------------------------------------------


def test_an_erasure_holds_for_another_application_the_instant_it_is_committed(
    registre: Registre, territoire: Territoire
) -> None:
    numero = enregistrer(registre, date(2026, 3, 2))
    autre = Registre(registre.stockage, territoire)  # another process on the same store
    try:
        lu = autre.demande(numero)
        assert isinstance(lu.etat.personnel, DonneesPersonnelles) and lu.etat.personnel.identites[0].nom == NOM
        premier = autre.notifications(0, 1)[0]
        assert isinstance(autre.mapper.to_domain_event(premier).personnel, DonneesPersonnelles)

        registre.coffre.effacer(Demande.id_pour(numero))

        # At once, in the other application: the aggregate, a single event as a follower
        # decodes it, and a batch read.
        assert autre.demande(numero).etat.personnel == Efface()
        assert autre.mapper.to_domain_event(premier).personnel == Efface()
        with autre.coffre.lot([Demande.id_pour(numero)]):
            assert autre.mapper.to_domain_event(premier).personnel == Efface()
    finally:
        autre.close()


# -- keys in a store of their own ----------------------------------------------------------------


@pytest.fixture
def url_cles(stockage: Stockage, tmp_path: Path) -> Iterator[str]:
    """Another database for the keys: a SQLite file beside a SQLite ledger, another schema
    beside a PostgreSQL one."""
    if not stockage.postgres:
        yield f"sqlite:///{tmp_path}/cles.sqlite3"
        return
    base = url_postgres_de_test()
    schema = "k_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{base}?schema={schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_keys_in_a_separate_store_never_in_the_log_s_database(
    stockage: Stockage, territoire: Territoire, url_cles: str, monkeypatch: pytest.MonkeyPatch, horloge_test: HorlogeReglable
) -> None:
    monkeypatch.setenv(VARIABLE_CLES, url_cles)
    registre = Registre(stockage, territoire)
    try:
        assert registre.coffre.separe
        numero = enregistrer(registre, date(2025, 6, 2))
        # A batch of registrations too (the bulk append writes its keys to the key store first).
        lot = registre.executer_lot([
            Ordre(territoire.organisation("CANNES"), "cannes-1", c.Enregistrer(
                occurred_on=date(2025, 6, 3), membres=MEMBRES, souhaits=SOUHAITS, personnel=PERSONNEL))
            for _ in range(3)
        ])
        ids = {str(Demande.id_pour(x)) for x in [numero, *(r.numero_unique for r in lot)]}
        assert set(_cles(registre.coffre.engine)) == ids
        assert _cles(registre.engine) == {}  # the log's database holds no key
        for x in [numero, *(r.numero_unique for r in lot)]:
            assert isinstance(registre.demande(x).etat.personnel, DonneesPersonnelles)

        # Whoever holds the log's database alone reads every personal field as erased.
        monkeypatch.delenv(VARIABLE_CLES)
        sans = Registre(stockage, territoire)
        try:
            assert not sans.coffre.separe
            assert sans.demande(numero).etat.personnel == Efface()
        finally:
            sans.close()

        # The schedule's erasure destroys the key in the key store.
        executer(registre, "CANNES", c.Radier(occurred_on=date(2025, 9, 1), motif=MotifRadiation.RADABA), numero)
        assert registre.rattraper(numero, date(2026, 9, 1)) is not None
        assert _cles(registre.coffre.engine)[str(Demande.id_pour(numero))] is None
        assert registre.demande(numero).etat.personnel == Efface()
    finally:
        registre.close()


def test_an_sne_import_by_worker_processes_keeps_its_keys_in_the_separate_store(
    stockage: Stockage, territoire: Territoire, url_cles: str, monkeypatch: pytest.MonkeyPatch, horloge_test: HorlogeReglable
) -> None:
    """The workers make the new demands' keys and the import writes them to the key store; the
    workers see LEDGER_KEYS_URL as the import's process does, and read known demands with it."""
    monkeypatch.setenv(VARIABLE_CLES, url_cles)
    registre = Registre(stockage, territoire)
    try:
        tampon = io.BytesIO()
        ecrire_fichier(tampon, territoire, 12, date(2026, 11, 20), graine=8)
        tampon.seek(0)
        r = importer(registre, territoire.organisation("CANNES"), "import", tampon, taille_lot=4, processus=2)
        assert (r.importe, r.enregistrees, r.erreurs) == (True, 12, [])
        assert len(_cles(registre.coffre.engine)) == 12
        assert _cles(registre.engine) == {}  # the log's database holds no key
        for n in registre.notifications(0, 1000):
            if n.originator_version == 1:
                assert isinstance(registre.repository.get(n.originator_id).etat.personnel, DonneesPersonnelles)
        # Again: the workers read the known demands' personal data through the key store, so
        # nothing differs and nothing is appended.
        tampon.seek(0)
        r = importer(registre, territoire.organisation("CANNES"), "import", tampon, taille_lot=4, processus=2)
        assert (r.importe, r.inchangees, r.evenements) == (True, 12, 0)
    finally:
        registre.close()


def test_a_key_store_that_cannot_be_used_is_a_clear_configuration_error(
    stockage: Stockage, territoire: Territoire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE_CLES, "ftp://cles.example/keys")
    with pytest.raises(ConfigurationError, match=VARIABLE_CLES):
        Registre(stockage, territoire)


def test_an_sne_export_through_the_cli_is_journaled_as_a_read(registre: Registre, tmp_path: Path) -> None:
    """`ledger exporter-sne` writes personal data out of the ledger: each demand it wrote is a
    read, recorded under EXPLOITATION and the system user; an erased one was not written."""
    from adapters.cli import main
    from projections.lectures_personnelles import EXPLOITATION, lectures

    lue = enregistrer(registre, date(2026, 3, 2))
    effacee = enregistrer(registre, date(2026, 3, 3))
    registre.coffre.effacer(Demande.id_pour(effacee))
    sortie = tmp_path / "export.xml"
    assert main(["--database", registre.stockage.url, "exporter-sne", "--sortie", str(sortie), lue, effacee]) == 0
    assert NOM.encode() in sortie.read_bytes()
    (lecture,) = lectures(registre, lue).lignes
    assert (lecture.organisation, lecture.quoi) == (EXPLOITATION, "export_sne") and lecture.agent
    assert lectures(registre, effacee).lignes == []


def test_a_key_that_survived_its_erasure_event_is_destroyed_on_the_next_read(
    registre: Registre, territoire: Territoire, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process stops between the erasure event and the key's destruction: the next read of
    the demand, in any process, destroys the key and shows nothing personal."""
    numero = enregistrer(registre, date(2025, 6, 2))
    executer(registre, "CANNES", c.Radier(occurred_on=date(2025, 9, 1), motif=MotifRadiation.RADABA), numero)
    with monkeypatch.context() as m:
        m.setattr(registre.coffre, "effacer", lambda demande_id: None)  # the crash
        assert registre.rattraper(numero, date(2026, 9, 1)) is not None
    ident = str(Demande.id_pour(numero))
    assert _cles(registre.engine)[ident] is not None
    autre = Registre(registre.stockage, territoire)
    try:
        d = autre.demande(numero)
        assert d.etat.effacee and d.etat.personnel == Efface() and d.faits[0].personnel == Efface()
        assert _cles(registre.engine)[ident] is None
    finally:
        autre.close()
