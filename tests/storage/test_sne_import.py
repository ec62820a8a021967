"""Importing and exporting national exchange files (SNE interfaceNuu) through the domain, on SQLite
and PostgreSQL: the published sample imports, exports and re-imports to the same log; a file with
ten planted errors is refused listing all ten and the log is left as it was (or, with partiel, the
valid demands are imported); a newer file appends only what differs; a generated file imports in
bulk, and its re-import appends nothing; the bulk path appends exactly what the same commands
run one by one would, with worker processes or without; a worker killed mid-import stops it and
nothing is appended."""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import signal
from datetime import date
from pathlib import Path

import msgspec
import pytest

from adapters import chaine
from adapters.clock import HorlogeReglable
from adapters.database import depuis_url
from adapters.registre import Registre
from adapters.sne import exportation
from adapters.sne.ateliers import AtelierEnPanne
from adapters.sne.generation import ecrire_fichier
from adapters.sne.importation import (
    ATELIERS_DES,
    ATELIERS_MAX,
    RapportImport,
    importer,
    processus_pour,
)
from domain.codes import Canal, ModeleLogement
from domain.demande import Demande
from domain.erreurs import Introuvable
from domain.foyer import DonneesPersonnelles
from domain.territoire import Territoire
from tests import sne_fichiers as f


def _importer(registre: Registre, xml: bytes, org: str = "CANNES", **kw: object) -> RapportImport:
    return importer(registre, registre.territoire.organisation(org), "agent-test", io.BytesIO(xml), **kw)  # type: ignore[arg-type]


def _log(registre: Registre) -> list[tuple[str, int, str]]:
    return [(str(n.originator_id), n.originator_version, n.topic) for n in registre.notifications(0, 100_000)]


def _export(registre: Registre, au: date | None = None) -> bytes:
    tampon = io.BytesIO()
    exportation.exporter(registre, tampon, au)
    return tampon.getvalue()


def test_the_sample_imports_exports_and_reimports_to_the_same_log(registre: Registre) -> None:
    r = _importer(registre, f.EXEMPLE.read_bytes())
    assert (r.importe, r.enregistrees, r.evenements, r.erreurs) == (True, 1, 1, [])
    d = registre.demande(f.NUMERO)
    e = d.etat
    assert e.filed_on == date(2018, 3, 15)
    assert isinstance(d.faits[0], Demande.Enregistree) and d.faits[0].canal is Canal.import_
    assert [m.id for m in e.membres] == ["p1", "c1", "a1"]
    assert e.logement_actuel is not None and e.logement_actuel.modele is ModeleLogement.LP
    assert e.logement_actuel.commune == "75113" and e.logement_actuel.loyer == 1000
    assert isinstance(e.personnel, DonneesPersonnelles) and e.personnel.identites[0].nom == "Dupont"
    # Personal data never reach the store in clear.
    for n in registre.notifications(0, 10):
        assert b"Dupont" not in n.state and b"jean.dupont" not in n.state
    journal = _log(registre)

    # Exported as of the file's day, the file comes back element for element.
    export = _export(registre, date(2018, 3, 15))
    assert f.canonique(export) == f.canonique(f.EXEMPLE.read_bytes())
    # Re-importing the export, and the sample itself, appends nothing.
    for xml in (export, f.EXEMPLE.read_bytes()):
        r = _importer(registre, xml)
        assert (r.importe, r.inchangees, r.evenements) == (True, 1, 0)
    assert _log(registre) == journal


def test_a_file_with_ten_planted_errors_is_refused_listing_all_ten(registre: Registre) -> None:
    _importer(registre, f.fichier([f.copie(50)]))
    avant = _log(registre)
    r = _importer(registre, f.plante())
    assert not r.importe and r.evenements == 0 and r.position is None
    assert r.erreurs_total == 10 == len(r.erreurs)
    assert sorted(e.numero_unique for e in r.erreurs) == sorted(f.numero(i) for i in range(10))
    for e, (_, _, element, pourquoi) in zip(sorted(r.erreurs, key=lambda e: e.ligne), f.PLANTEES, strict=True):
        assert e.ligne > 0 and element in e.element and pourquoi in e.raison, e
    assert _log(registre) == avant  # nothing appended, not even the clean demand
    with pytest.raises(Introuvable):
        registre.demande(f.numero(99))

    # With partiel the clean demand goes in and the ten are reported.
    r = _importer(registre, f.plante(), partiel=True)
    assert (r.importe, r.enregistrees, r.refusees, r.erreurs_total) == (True, 1, 10, 10)
    assert registre.demande(f.numero(99)).version == 1
    assert len(_log(registre)) == len(avant) + 1


def test_a_newer_file_appends_only_what_differs(registre: Registre) -> None:
    _importer(registre, f.fichier([f.copie(1), f.copie(2)]))
    avant = len(_log(registre))
    plus_tard = "2019-02-01T10:00:00.000+01:00"
    nouveau = f.copie(1, (
        ("<ns1:montantMensuelLoyer>1000</ns1:montantMensuelLoyer>", "<ns1:montantMensuelLoyer>1100</ns1:montantMensuelLoyer>"),
        ("<ns1:telPortable>0606060606</ns1:telPortable>", "<ns1:telPortable>0707070707</ns1:telPortable>"),
        ("<ns1:dateCreationDemande>2018-03-15</ns1:dateCreationDemande>",
         "<ns1:dateCreationDemande>2018-03-15</ns1:dateCreationDemande><ns1:dateRenouvellement>2019-01-20</ns1:dateRenouvellement>"),
    ))
    r = _importer(registre, f.fichier([nouveau, f.copie(2)], plus_tard))
    assert (r.importe, r.modifiees, r.inchangees, r.erreurs) == (True, 1, 1, [])
    d = registre.demande(f.numero(1))
    nouveaux = d.faits[-3:]
    # The first renewal notice (anniversary − 2 months) fell due before the renewal: caught up.
    assert [type(x).__name__ for x in nouveaux] == ["PreavisEnvoye", "Renouvelee", "Modifiee"]
    _, renouvellement, modification = nouveaux
    assert renouvellement.occurred_on == date(2019, 1, 20) and modification.occurred_on == date(2019, 2, 1)
    assert modification.logement_actuel is not None and modification.logement_actuel.loyer == 1100
    assert modification.personnel is not None and modification.membres is None and modification.souhaits is None
    assert d.etat.anniversaire == date(2020, 1, 20)
    assert len(_log(registre)) == avant + 3
    # The same newer file again: nothing.
    r = _importer(registre, f.fichier([nouveau, f.copie(2)], plus_tard))
    assert (r.inchangees, r.evenements) == (2, 0)
    # An older file than what the ledger knows is refused for that demand: dates never go back.
    r = _importer(registre, f.fichier([f.copie(1, (("1000</ns1:montantMensuelLoyer>", "900</ns1:montantMensuelLoyer>"),))]))
    assert not r.importe and "date_anterieure" in r.erreurs[0].raison


def test_a_numero_twice_in_one_file_and_an_organisation_that_may_not_register(registre: Registre) -> None:
    r = _importer(registre, f.fichier([f.copie(3), f.copie(3)]))
    assert not r.importe and r.erreurs_total == 1
    assert "already in this file" in r.erreurs[0].raison
    r = _importer(registre, f.fichier([f.copie(4)]), org="ALS")  # a réservataire, not a guichet
    assert not r.importe and "guichet" in r.erreurs[0].raison
    assert _log(registre) == []


def test_a_generated_file_imports_in_bulk_and_reimports_to_nothing(registre: Registre) -> None:
    tampon = io.BytesIO()
    ecrire_fichier(tampon, registre.territoire, 300, date(2026, 11, 20), graine=3)
    lus: list[int] = []
    versements: list[tuple[int, int]] = []
    r = _importer(
        registre, tampon.getvalue(), taille_lot=70, progression=lus.append,
        progression_versement=lambda fait, total: versements.append((fait, total)),
    )
    assert (r.importe, r.enregistrees, r.erreurs) == (True, 300, [])
    assert sum(lus) == len(tampon.getvalue())
    assert versements == [(0, 300), (300, 300)]  # the file read, then moved into the log
    journal = _log(registre)
    assert len(journal) == r.evenements == r.position
    # Each demand's events are consecutive in the log, registration first (one transaction each).
    vus: dict[str, int] = {}
    for oid, version, _ in journal:
        assert version == vus.get(oid, 0) + 1
        vus[oid] = version
    assert len(vus) == 300
    actives = sum(1 for oid in vus if registre.repository.get(__import__("uuid").UUID(oid)).etat.active)
    assert actives == 300
    r = _importer(registre, tampon.getvalue(), taille_lot=70)
    assert (r.inchangees, r.evenements) == (300, 0)
    assert _log(registre) == journal


def test_the_bulk_import_appends_the_events_commands_one_by_one_would(registre: Registre, tmp_path: Path) -> None:
    """The import's fast path (worker processes here, or this one alone; the bounds walked
    once; many demands per transaction) appends, in the same order, the same events
    — topics and every field, personal data decrypted — as the same commands run one by one
    through `Registre.executer`, each saved on its own (the ledger's ordinary path)."""
    tampon = io.BytesIO()
    ecrire_fichier(tampon, registre.territoire, 40, date(2026, 11, 20), graine=11)
    plus_tard = "2019-02-01T10:00:00.000+01:00"
    nouveau = f.copie(1, (
        ("<ns1:montantMensuelLoyer>1000</ns1:montantMensuelLoyer>", "<ns1:montantMensuelLoyer>1100</ns1:montantMensuelLoyer>"),
        ("<ns1:dateCreationDemande>2018-03-15</ns1:dateCreationDemande>",
         "<ns1:dateCreationDemande>2018-03-15</ns1:dateCreationDemande><ns1:dateRenouvellement>2019-01-20</ns1:dateRenouvellement>"),
    ))
    fichiers = [f.fichier([f.copie(1), f.copie(2)]), tampon.getvalue(), f.fichier([nouveau, f.copie(2)], plus_tard)]
    ici = Registre(depuis_url(f"sqlite:///{tmp_path}/ici.sqlite3"), registre.territoire)
    un_a_un = Registre(depuis_url(f"sqlite:///{tmp_path}/un-a-un.sqlite3"), registre.territoire)
    try:
        for xml in fichiers:
            for cible, processus in ((registre, 2), (ici, 1)):
                r = _importer(cible, xml, taille_lot=15, processus=processus)
                assert r.importe and r.erreurs == [], r.erreurs
            _un_a_un(un_a_un, xml)
        attendu = _evenements(un_a_un)
        assert len(attendu) > 40 and {t for t, _ in attendu} >= {"domain.demande:Demande.Enregistree", "domain.demande:Demande.Modifiee"}
        assert _evenements(registre) == attendu
        assert _evenements(ici) == attendu
        for r in (registre, ici):  # and the hash chain is whole (docs/integrity.md)
            bilan = chaine.verifier(r.stockage, r.engine)
            assert (bilan.anomalie, bilan.evenements) == (None, len(attendu))
    finally:
        ici.close()
        un_a_un.close()


def _un_a_un(registre: Registre, xml: bytes) -> None:
    from adapters.sne.correspondance import commandes
    from adapters.sne.lecture import Lecture

    org = registre.territoire.organisation("CANNES")
    lecture = Lecture(io.BytesIO(xml))
    for lue in lecture.demandes():
        assert lecture.entete is not None and lue.demande is not None
        numero = lue.demande.numero_unique
        try:
            etat = registre.demande(numero).etat
        except Introuvable:
            etat = None
        for cmd in commandes(lue.demande, lecture.entete.date_fichier.date(), etat):
            registre.executer(org, "agent-test", cmd, numero, canal=Canal.import_)


def _evenements(registre: Registre) -> list[tuple[str, dict[str, object]]]:
    """Every stored event in log order: its topic and its fields, personal data decrypted, but
    the instant it was recorded (the test clock ticks at each reading, and the two paths read it
    a different number of times)."""
    out = []
    for n in registre.notifications(0, 100_000):
        champs = msgspec.to_builtins(vars(registre.mapper.to_domain_event(n)))
        del champs["timestamp"]
        out.append((n.topic, champs))
    return out


def test_worker_processes_report_what_this_process_alone_does(registre: Registre) -> None:
    """A file refused (ten planted errors, not XML, cut short, ten planted errors and then cut
    short, no header, a numéro unique twice in one batch and across batches) gives the same report, error for error and line for line,
    whether its demands were read and run by worker processes or here; and nothing is
    appended."""
    propre = f.fichier([f.copie(1), f.copie(2)])
    sans_entete = re.sub(rb"<ns1:entete>.*?</ns1:entete>", b"", propre, flags=re.S)
    deux_fois = f.fichier([f.copie(3), f.copie(5), f.copie(3), f.copie(6), f.copie(7), f.copie(5), f.copie(5)])
    plante = f.plante()
    for xml in (plante, b"not xml <", propre[: len(propre) // 2], plante[:-300], sans_entete, deux_fois):
        ici = _importer(registre, xml, taille_lot=4)
        ailleurs = _importer(registre, xml, taille_lot=4, processus=2)  # batches of 2: some twice in one, some across
        assert not ici.importe and ici.erreurs_total > 0
        assert msgspec.structs.asdict(ailleurs) == msgspec.structs.asdict(ici)
    assert [e.ligne for e in ici.erreurs] == sorted(e.ligne for e in ici.erreurs) and ici.refusees == 3
    assert _log(registre) == []


def test_a_worker_killed_mid_import_stops_it_and_appends_nothing(registre: Registre) -> None:
    tampon = io.BytesIO()
    ecrire_fichier(tampon, registre.territoire, 60, date(2026, 11, 20), graine=5)
    tues: list[int] = []

    def progression(_: int) -> None:
        # Once the workers run, one of them dies as a process does when the system kills it.
        enfants = multiprocessing.active_children()
        if enfants and not tues:
            tues.append(enfants[0].pid)  # type: ignore[arg-type]
            os.kill(enfants[0].pid, signal.SIGKILL)  # type: ignore[arg-type]

    with pytest.raises(AtelierEnPanne, match="worker process stopped"):
        _importer(registre, tampon.getvalue(), taille_lot=4, processus=2, progression=progression)
    assert tues and _log(registre) == []
    r = _importer(registre, tampon.getvalue(), taille_lot=4, processus=2)  # and the next import is whole
    assert (r.importe, r.enregistrees) == (True, 60)


@pytest.mark.parametrize("coeurs", [1, 2, 64])
def test_workers_by_default_one_per_core_for_a_large_file_only(coeurs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: coeurs)
    assert processus_pour(ATELIERS_DES - 1) == 1
    assert processus_pour(ATELIERS_DES) == min(coeurs, ATELIERS_MAX)


def test_each_worker_holds_a_few_connections_named_after_the_import(
    schema_postgres: str, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    """PostgreSQL's connections (SQLite opens files): each worker's are named after the import's
    process in pg_stat_activity, and few."""
    import psycopg

    from adapters.sne.ateliers import NOM_CONNEXIONS
    from tests.conftest import url_postgres_de_test

    registre = Registre(depuis_url(schema_postgres), territoire)
    tampon = io.BytesIO()
    ecrire_fichier(tampon, territoire, 40, date(2026, 11, 20), graine=9)
    vues: list[int] = []
    with psycopg.connect(url_postgres_de_test(), autocommit=True) as conn:
        def compter(_: int) -> None:
            (n,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (f"{NOM_CONNEXIONS}-{os.getpid()}",)
            ).fetchone()  # type: ignore[misc]
            vues.append(n)

        try:
            r = _importer(registre, tampon.getvalue(), taille_lot=4, processus=2, progression=compter)
        finally:
            registre.close()
    assert r.importe and r.enregistrees == 40
    # Two workers, each its library connection, its engine's, and one spare at most (the
    # library's pool alone would open ten each).
    assert 0 < max(vues) <= 2 * 3, vues
