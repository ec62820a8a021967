"""A log written by an older version of the ledger still loads and reads back the same.

`tests/fixtures/journal_v1/journal.json` holds the rows of a small history as the store held
them (topic, originator id, version, state bytes) and the demands' keys, written before issue 15
split `domain/demande.py`; it covers every event class of `Demande` and `Logement`. Loaded byte
for byte into an empty store, every event must decode under its stored topic, every aggregate
must fold to the view, history and dwelling state recorded beside it (`lectures.json`), and
every read model rebuilt from it must hold the rows recorded there. How the fixture was written:
`tests/fixtures/journal_v1/ecrire.py`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from adapters.clock import HorlogeReglable
from adapters.database import Stockage
from adapters.registre import Registre
from adapters.territory_file import load_territory
from domain.demande import Demande
from domain.logement import Logement
from tests.fixtures.journal_v1 import ecrire

ATTENDU: dict[str, Any] = json.loads(ecrire.LECTURES.read_text(encoding="utf-8"))
JOURNAL: dict[str, Any] = json.loads(ecrire.JOURNAL.read_text(encoding="utf-8"))


@pytest.fixture
def ancien(stockage: Stockage, horloge_test: HorlogeReglable) -> Any:
    assert horloge_test() >= ecrire.FIN  # read back at the instant the fixture was read at
    registre = Registre(stockage, load_territory(ecrire.TERRITOIRE))
    ecrire.charger(registre, JOURNAL)
    yield registre
    registre.close()


def _classes_d_evenements(agregat: type) -> set[type]:
    return {
        v
        for v in vars(agregat).values()
        if isinstance(v, type) and issubclass(v, agregat.Event) and v is not agregat.Event  # type: ignore[attr-defined]
        and v.__name__ != "Created"
    }


# Event classes added after the fixture was written: an old log cannot hold them (and the fixture
# is never rewritten; a newer one may be added beside it).
AJOUTEES_DEPUIS: set[str] = {
    # Issue 11: the CAL as a session, its notifications and the candidates' answers; the flux.
    "domain.demande:Demande.InscriteCAL",
    "domain.demande:Demande.Acceptee",
    "domain.demande:Demande.DecisionNotifiee",
    "domain.logement:Logement.VacanceOrientee",
    "domain.logement:Logement.CandidatFavorable",
    # Issue 10: priority recognised by the Etat, contingents stated eligible by a réservataire.
    "domain.demande:Demande.CaracterePrioritaireReconnu",
    "domain.demande:Demande.EligibiliteContingent",
    # Issue 10: the dossier unique.
    "domain.demande:Demande.PieceDeposee",
    "domain.demande:Demande.PieceValidee",
    "domain.demande:Demande.PieceRefusee",
    "domain.demande:Demande.PiecesDemandees",
    "domain.demande:Demande.VisiteProposee",
    "domain.demande:Demande.VisiteConstatee",
    "domain.demande:Demande.AttestationDelivree",
}


def test_the_fixture_covers_every_event_class() -> None:
    stockes = {e["topic"] for e in JOURNAL["evenements"]}
    for agregat in (Demande, Logement):
        manquants = {get_topic(k) for k in _classes_d_evenements(agregat)} - stockes - AJOUTEES_DEPUIS
        assert not manquants, f"event classes missing from the fixture log: {sorted(manquants)}"


def test_every_stored_topic_still_names_the_class_that_writes_it() -> None:
    """Old topics resolve, and today's classes still write them: one name per event in the log."""
    for topic in sorted({e["topic"] for e in JOURNAL["evenements"]}):
        assert get_topic(resolve_topic(topic)) == topic


def test_an_old_log_decodes_folds_and_reads_back_the_same(ancien: Registre) -> None:
    assert ancien.position() == len(JOURNAL["evenements"])
    for n in ancien.notifications(0, 10_000):
        ancien.mapper.to_domain_event(n)  # every row decodes, personal data included
    lu = ecrire.lectures_du_domaine(ancien, JOURNAL)
    assert lu["logements"] == ATTENDU["logements"]
    assert sorted(lu["demandes"]) == sorted(ATTENDU["demandes"])
    for numero, attendu in ATTENDU["demandes"].items():
        assert lu["demandes"][numero]["vue"] == attendu["vue"], numero
        assert lu["demandes"][numero]["historique"] == attendu["historique"], numero


def test_today_s_classes_encode_an_old_event_to_the_same_bytes(ancien: Registre) -> None:
    """Same fields in the same order: what this version writes, an older one reads as it wrote
    it. Events with personal data are left out: their ciphertext has a fresh nonce each time; so
    are the old rows with free text in clear, which this version writes encrypted (issue 12)."""
    compares = chiffres = 0
    for n in ancien.notifications(0, 10_000):
        e = ancien.mapper.to_domain_event(n)
        if getattr(e, "personnel", None) is not None:
            continue
        if any(getattr(e, champ) for champ in getattr(type(e), "champs_personnels", ())):
            assert b'"prives"' in ancien.mapper.to_stored_event(e).state
            chiffres += 1
            continue
        stocke = ancien.mapper.to_stored_event(e)
        assert (stocke.topic, stocke.state) == (n.topic, n.state), n.topic
        compares += 1
    assert compares > 50 and chiffres > 3


def test_erased_demands_stay_erased_and_the_others_decrypt(ancien: Registre) -> None:
    effacees = {k["demande_id"] for k in JOURNAL["cles"] if k["cle"] is None}
    assert len(effacees) == 3
    for numero in JOURNAL["numeros"].values():
        d = ancien.demande(numero)
        assert d.etat.effacee == (str(d.id) in effacees)
        assert (type(d.etat.personnel).__name__ == "Efface") == (str(d.id) in effacees)


def test_the_read_models_rebuilt_from_an_old_log_hold_the_same_rows(ancien: Registre) -> None:
    """A read model changed on purpose (a column, a new table) changes these rows: recompute them
    from the stored log with `python -m tests.fixtures.journal_v1.ecrire --lectures` and review
    the diff. Never rewrite the log itself (`--journal`)."""
    lu = ecrire.lectures_des_projections(ancien)
    assert sorted(lu) == sorted(ATTENDU["projections"])
    for nom, lignes in ATTENDU["projections"].items():
        assert lu[nom] == lignes, nom
