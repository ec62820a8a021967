"""The batch path (`Registre.executer_lot`, `Lot`): many commands through the same handlers as
`Registre.executer`, saved in one transaction, on SQLite and PostgreSQL.

A batch appends the events the same commands append one by one; it is all or nothing; a command
refused inside a `Lot` leaves the lot as it was before it, even after its demand's catch-up; a
batch that decided on a demand another writer changed meanwhile is refused as stale.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import RecordConflictError

from adapters.database import depuis_url
from adapters.registre import Lot, Ordre, Registre
from domain import commandes as c
from domain.codes import (
    MotifRadiation,
    MotifRefus,
    QualificationRefus,
    RaisonMoinsDeTrois,
    StadeRefus,
    StatutDalo,
    TypeDecisionCAL,
)
from domain.demande import Demande
from domain.erreurs import RegleEnfreinte, VersionPerimee
from domain.territoire import Territoire
from tests.storage.test_preconditions import DEPOT, LGT, enregistrer

CANNES, OPH, ETAT = "CANNES", "OPH-CPL", "ETAT-06"


def ordre(registre: Registre, org: str, commande: c.Commande, numero: str | None = None) -> Ordre:
    return Ordre(registre.territoire.organisation(org), org.lower() + "-1", commande, numero)


def journee(registre: Registre, a: str, b: str) -> list[Ordre]:
    """A day's work on two demands and a dwelling, registration included."""
    j = date(2026, 4, 1)
    nouvelle = c.Enregistrer(
        occurred_on=j, membres=registre.demande(a).etat.membres, souhaits=registre.demande(a).etat.souhaits
    )
    return [
        ordre(registre, CANNES, c.Renouveler(occurred_on=j), a),
        ordre(registre, ETAT, c.ReconnaitreDalo(occurred_on=j, statut=StatutDalo.ACTIF), b),
        ordre(registre, OPH, c.Designer(occurred_on=j, logement=LGT), a),
        ordre(registre, OPH, c.Designer(occurred_on=j, logement=LGT), b),
        ordre(registre, OPH, c.DeciderCAL(occurred_on=j, logement=LGT, decision=TypeDecisionCAL.attribution,
                                          moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), a),
        ordre(registre, OPH, c.Refuser(occurred_on=j, logement=LGT, stade=StadeRefus.apres_cal, motif=MotifRefus.localisation, texte="loin",
                                       qualification=QualificationRefus.non_recevable, appliquer_decote=True), a),
        ordre(registre, CANNES, nouvelle),
    ]


def evenements(registre: Registre) -> list[tuple[Any, ...]]:
    """Each aggregate's events in order, without recorded_at. A batch saves aggregate after
    aggregate, so the log's global order is not the commands' order; each aggregate's is."""
    out = []
    for n in registre.notifications(0, 10_000):
        e = registre.mapper.to_domain_event(n)
        champs = {k: v for k, v in vars(e).items() if k != "timestamp"}
        out.append((str(n.originator_id), n.originator_version, n.topic, repr(sorted(champs.items()))))
    return sorted(out)


def test_a_batch_appends_what_the_commands_append_one_by_one(
    registre: Registre, territoire: Territoire, tmp_path: Path
) -> None:
    seul = Registre(depuis_url(f"sqlite:///{tmp_path}/seul.sqlite3"), territoire)
    try:
        for r in (registre, seul):
            enregistrer(r)
            enregistrer(r)
        a, b = (registre.demande(n).numero_unique for n in list(registre.numeros()))
        avant = registre.position()
        resultats = registre.executer_lot(journee(registre, a, b))
        for o in journee(seul, *list(seul.numeros())):
            seul.executer(o.organisation, o.agent, o.commande, numero_unique=o.numero_unique)
        assert evenements(registre) == evenements(seul)
    finally:
        seul.close()
    # One transaction: every result carries the batch's position, the end of the log.
    assert {r.position for r in resultats} == {registre.position()} and registre.position() > avant
    assert [r.numero_unique for r in resultats[:2]] == [a, b]
    assert resultats[5].evenements == (5, 6)  # the refusal and its décote
    assert registre.demande(a).version == resultats[5].version


def test_a_batch_is_all_or_nothing(registre: Registre) -> None:
    a = enregistrer(registre)
    avant = registre.position(), registre.demande(a).version
    ordres = [
        ordre(registre, CANNES, c.Renouveler(occurred_on=date(2026, 4, 1)), a),
        ordre(registre, CANNES, c.Radier(occurred_on=date(2026, 4, 2), motif=MotifRadiation.RADCON), a),
    ]
    with pytest.raises(RegleEnfreinte) as exc:
        registre.executer_lot(ordres)
    assert (exc.value.regle, exc.value.details["ordre"]) == ("mise_en_demeure_requise", 1)
    assert (registre.position(), registre.demande(a).version) == avant


def test_a_refused_command_leaves_the_lot_as_it_was(registre: Registre) -> None:
    # Filed in 2025: by 2026-11-20 the schedule owes two notices, and the demand is renewed in
    # the lot first; then a refused radiation after its own catch-up must leave no trace.
    a = enregistrer(registre, jour=date(2025, 12, 1))
    lot = Lot(registre)
    oph = registre.territoire.organisation(OPH)
    r1 = lot.executer(oph, "oph-cpl-1", c.Renouveler(occurred_on=date(2026, 11, 16)), a)
    assert r1.position is None and a in lot and len(lot) == 1
    with pytest.raises(RegleEnfreinte):
        lot.executer(oph, "oph-cpl-1", c.Radier(occurred_on=date(2026, 11, 20), motif=MotifRadiation.RADCON), a)
    assert registre.position() == 1  # nothing saved before sauver
    position = lot.sauver()
    assert position == registre.position() and len(lot) == 0 and a not in lot
    d = registre.demande(a)
    assert d.version == r1.version
    assert [type(f).__name__ for f in d.faits[1:]] == ["PreavisEnvoye", "PreavisEnvoye", "Renouvelee"]
    assert lot.sauver() is None


def test_a_registration_in_a_batch_mints_its_numero_and_refuses_a_duplicate(registre: Registre) -> None:
    a = enregistrer(registre)
    etat = registre.demande(a).etat
    nouvelle = c.Enregistrer(occurred_on=DEPOT, membres=etat.membres, souhaits=etat.souhaits)
    (r,) = registre.executer_lot([ordre(registre, CANNES, nouvelle)])
    assert r.numero_unique != a and registre.demande(r.numero_unique).version == r.version == 1
    assert registre.coffre.cle(Demande.id_pour(r.numero_unique)) is not None
    importee = c.Enregistrer(occurred_on=DEPOT, membres=etat.membres, souhaits=etat.souhaits,
                             numero_unique="IMPORT-1")
    for deja in (a, "IMPORT-1"):
        doublon = ordre(registre, CANNES, c.Enregistrer(occurred_on=DEPOT, membres=etat.membres,
                                                        souhaits=etat.souhaits, numero_unique=deja))
        with pytest.raises(RegleEnfreinte) as exc:
            registre.executer_lot([ordre(registre, CANNES, importee), doublon])
        assert exc.value.regle == "numero_unique_existant"
        if deja == "IMPORT-1":
            assert exc.value.details["ordre"] == 1


def test_a_batch_on_a_demand_changed_meanwhile_is_stale(
    registre: Registre, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = enregistrer(registre)
    cannes = registre.territoire.organisation(CANNES)
    sauver = Lot.sauver

    def apres_un_autre(lot: Lot) -> int | None:
        registre.executer(cannes, "cannes-1", c.Renouveler(occurred_on=date(2026, 4, 2)), a)
        return sauver(lot)

    monkeypatch.setattr(Lot, "sauver", apres_un_autre)
    with pytest.raises(VersionPerimee) as exc:
        registre.executer_lot([ordre(registre, ETAT, c.ReconnaitreDalo(occurred_on=date(2026, 4, 3),
                                                                       statut=StatutDalo.ACTIF), a)])
    assert exc.value.regle == "ecriture_concurrente"
    assert [type(f).__name__ for f in registre.demande(a).faits] == ["Enregistree", "Renouvelee"]


def test_a_lot_lets_a_conflict_through_and_saves_nothing(registre: Registre) -> None:
    a = enregistrer(registre)
    cannes = registre.territoire.organisation(CANNES)
    lot = Lot(registre)
    lot.executer(cannes, "cannes-1", c.Renouveler(occurred_on=date(2026, 4, 1)), a)
    registre.executer(cannes, "cannes-1", c.Renouveler(occurred_on=date(2026, 4, 2)), a)
    position = registre.position()
    assert lot.demandes_changees()
    with pytest.raises(RecordConflictError):
        lot.sauver()
    assert registre.position() == position and len(lot) == 0


def test_a_large_lot_leaves_the_aggregate_cache_as_a_save_does(
    stockage: Any, territoire: Territoire, horloge_test: Any
) -> None:
    """The generator's Registre keeps an aggregate cache (single writer). A lot large enough to be
    appended with COPY on PostgreSQL (`Lot.COPIE_DES` events) must leave the cache holding what it
    saved, as the library's save does; else the next read gets the version before the lot and
    the next save appends a version that exists (a duplicate key)."""
    from dataclasses import replace

    avec_cache = replace(stockage, eventsourcing_env={
        **stockage.eventsourcing_env, "AGGREGATE_CACHE_MAXSIZE": "1000",
        "AGGREGATE_CACHE_FASTFORWARD": "n", "DEEPCOPY_FROM_AGGREGATE_CACHE": "n"})
    registre = Registre(avec_cache, territoire)
    try:
        numeros = [enregistrer(registre) for _ in range(3)]
        versions = {n: registre.demande(n).version for n in numeros}  # now in the cache
        lot = Lot(registre)
        org = territoire.organisation("CANNES")
        n_evenements = 0
        while n_evenements < Lot.COPIE_DES:
            for n in numeros:
                lot.executer(org, "cannes-1", c.Modifier(occurred_on=DEPOT, motifs=(f"{n_evenements % 23 + 1:02d}",)), n)
                n_evenements += 1
        lot.sauver()
        for n in numeros:
            d = registre.demande(n)
            assert d.version > versions[n] and not d.pending_events
        # And the next command appends after what the lot saved.
        registre.executer(org, "cannes-1", c.Renouveler(occurred_on=DEPOT), numero_unique=numeros[0])
    finally:
        registre.close()


def test_a_lot_comes_back_to_its_mark_whatever_was_added_or_replaced(registre: Registre) -> None:
    """`marque`/`revenir` (an import keeps a demand's commands all or none): after a demand
    replaced in the lot, another registered with its new key, and a third refused after its key
    was made, coming back to the mark leaves the lot, its keys and its order as at the mark."""
    a = enregistrer(registre, jour=date(2025, 12, 1))
    etat = registre.demande(a).etat
    lot = Lot(registre, cles={})
    oph = registre.territoire.organisation(OPH)
    cannes = registre.territoire.organisation(CANNES)

    def importee(numero: str) -> c.Enregistrer:
        return c.Enregistrer(occurred_on=DEPOT, membres=etat.membres, souhaits=etat.souhaits, numero_unique=numero)

    lot.executer(cannes, "agent", importee("IMPORT-1"))
    lot.executer(oph, "oph-cpl-1", c.Renouveler(occurred_on=date(2026, 11, 16)), a)
    avant = ([x.id for x in lot.agregats()], [x.version for x in lot.agregats()], dict(lot.cles or {}))
    marque = lot.marque()
    lot.executer(oph, "oph-cpl-1", c.Renouveler(occurred_on=date(2026, 11, 18)), a)  # replaced
    lot.executer(cannes, "agent", importee("IMPORT-2"))  # added, with its key
    with pytest.raises(RegleEnfreinte):  # refused once its key was made: already in the store
        lot.executer(cannes, "agent", importee(a))
    assert len(lot) == 3 and len(lot.cles or {}) == 3
    lot.revenir(marque)
    assert ([x.id for x in lot.agregats()], [x.version for x in lot.agregats()], dict(lot.cles or {})) == avant
    lot.sauver()
    assert registre.demande("IMPORT-1").version == 1 and "IMPORT-2" not in [
        registre.mapper.to_domain_event(n).numero_unique for n in registre.notifications(0) if "Enregistree" in n.topic
    ]
