"""The follower in pages: keys loaded once per page, the next page read while one is applied,
several read models fed from one decoding of the log. Whatever the page size, and whether read
models are rebuilt one by one or together, they end up equal to following one event at a time,
and a failing page leaves every position exact."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import projections.suivi as module
from adapters.registre import Registre
from domain import commandes as c
from domain.cal import MembreCAL
from domain.codes import (
    FormeSession,
    ModeleLogement,
    MotifRadiation,
    QualiteMembre,
    RoleMembre,
    TypeContratTravail,
    Typologie,
)
from domain.demande import Demande
from domain.foyer import DonneesPersonnelles, Efface, Identite, LogementActuel, Membre, Souhaits
from projections.cotation import ProjectionCotation, effectifs
from projections.echeances import ProjectionEcheances
from projections.suivi import (
    Suiveur,
    decoder,
    reconstruire_ensemble,
    suivre_ensemble,
)
from projections.vue_statistiques import ProjectionStatistiques


@pytest.fixture
def lot() -> Iterator[Any]:
    """Set the page size for a test, put it back after."""
    anciens = module.LOT, module.LOT_RECONSTRUCTION

    def regler(n: int) -> None:
        module.LOT = module.LOT_RECONSTRUCTION = n

    yield regler
    module.LOT, module.LOT_RECONSTRUCTION = anciens


def peupler(registre: Registre, n: int = 24) -> list[str]:
    """Demands with personal data (birth dates count in the score), modifications, renewals,
    a radiation, a dwelling's vacancy (wanted by the statistics' flux only), a CAL session (an
    event no read model wants), one key erased."""
    t = registre.territoire
    oph = t.organisation("OPH-CPL")
    rng = random.Random(3)
    numeros = []
    for i in range(n):
        naissance = date(rng.choice((1950, 1970, 2000)), 1 + i % 12, 1 + i % 28)
        cmd = c.Enregistrer(
            occurred_on=date(2025, 11, 1) + timedelta(days=i % 9),
            membres=(Membre("p1", RoleMembre.demandeur, rng.choice((TypeContratTravail.CDD, TypeContratTravail.CDI))),),
            logement_actuel=LogementActuel(rng.choice((ModeleLogement.CP, ModeleLogement.LP)), "06029"),
            souhaits=Souhaits(("06029",), (rng.choice((Typologie.T1, Typologie.T2)),)),
            personnel=DonneesPersonnelles(identites=(Identite("p1", f"Nom{i}", "Camille", naissance),)),
        )
        numeros.append(registre.executer(oph, "oph-cpl-1", cmd).numero_unique)
    for i, num in enumerate(numeros):
        if i % 3 == 0:
            registre.executer(
                oph, "oph-cpl-1",
                c.Modifier(occurred_on=date(2026, 2, 1), souhaits=Souhaits(("06030", "06029"), (Typologie.T3,))),
                num,
            )
        if i % 4 == 0:
            registre.executer(oph, "oph-cpl-1", c.Renouveler(occurred_on=date(2026, 10, 20)), num)
    registre.executer(oph, "oph-cpl-1", c.Radier(occurred_on=date(2026, 3, 1), motif=MotifRadiation.RADABA), numeros[5])
    lgt = next(x for x in t.logements if x.bailleur == "OPH-CPL" and not x.vacant)
    registre.declarer_vacance(oph, "oph-cpl-1", lgt.identifiant, c.DeclarerVacance(occurred_on=date(2026, 4, 1)))
    registre.ouvrir_session(oph, "oph-cpl-1", c.OuvrirSession(
        occurred_on=date(2026, 4, 2), forme=FormeSession.presentiel, membres=(MembreCAL("OPH-CPL", QualiteMembre.bailleur),)))
    registre.coffre.effacer(Demande.id_pour(numeros[7]))
    registre.executer(
        oph, "oph-cpl-1", c.Modifier(occurred_on=date(2026, 5, 1), situations=("handicap",)), numeros[1]
    )
    return numeros


def suiveurs(registre: Registre) -> list[Suiveur]:
    return [
        Suiveur(registre, ProjectionEcheances(registre)),
        Suiveur(registre, ProjectionCotation(registre)),
        Suiveur(registre, ProjectionStatistiques(registre)),
    ]


def contenu(s: Suiveur) -> list[list[tuple]]:
    tables = list(s.tables)
    if isinstance(s.projection, ProjectionCotation):
        tables.append(effectifs(s.tables[0]))
    with s.engine.connect() as conn:
        return [sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in tables]


def test_pages_of_any_size_and_rebuilds_together_equal_one_event_at_a_time(registre: Registre, lot: Any) -> None:
    peupler(registre)
    lot(1)
    un_par_un = suiveurs(registre)
    for s in un_par_un:
        s.suivre()
    attendu = [contenu(s) for s in un_par_un]
    assert all(s.position() == registre.position() for s in un_par_un)
    assert attendu[1][0] and attendu[2][0], "scores and facts must not be empty"

    lot(7)
    for s in un_par_un:
        s.reconstruire(barre=False)
    assert [contenu(s) for s in un_par_un] == attendu

    lot(5000)
    ensemble = suiveurs(registre)
    lus = reconstruire_ensemble(ensemble, barre=False)
    tout = registre.recorder.select_notifications(start=1, limit=10_000)
    topics = set().union(*(s.projection.topics for s in ensemble))  # demand events, the flux's dwelling events
    assert lus == sum(n.topic in topics for n in tout) < len(tout)  # once each
    assert [contenu(s) for s in ensemble] == attendu
    assert all(s.position() == registre.position() for s in ensemble)
    with registre.engine.connect() as conn:
        noms = {r[0] for r in conn.execute(sa.text("SELECT projection FROM ledger_suivi"))}
    assert noms == {"echeances", "cotation", "statistiques"}  # no rebuild's row left behind


def test_the_erased_demand_decodes_with_its_personal_data_erased(registre: Registre) -> None:
    numeros = peupler(registre, 10)
    registre.coffre.oublier()
    lot = registre.recorder.select_notifications(start=1, limit=1000)
    evenements = decoder(registre, lot)
    par_demande = {e.numero_unique: e for e in evenements if isinstance(e, Demande.Enregistree)}
    assert par_demande[numeros[7]].personnel == Efface()
    assert isinstance(par_demande[numeros[6]].personnel, DonneesPersonnelles)


def test_keys_are_read_once_per_page_not_once_per_demand(registre: Registre, lot: Any) -> None:
    peupler(registre)
    lot(40)
    lectures: list[str] = []

    def compter(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "ledger_cles_demandes" in statement:
            lectures.append(statement)

    registre.coffre.oublier()
    s = Suiveur(registre, ProjectionCotation(registre))
    sa.event.listen(registre.engine, "before_cursor_execute", compter)
    try:
        s.reconstruire(barre=False)
    finally:
        sa.event.remove(registre.engine, "before_cursor_execute", compter)
    pages = -(-registre.position() // 40)
    assert 0 < len(lectures) <= pages


def test_a_failing_page_leaves_every_read_model_at_the_same_exact_position(
    registre: Registre, lot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    peupler(registre)
    lot(9)
    appels = 0
    original = ProjectionCotation.appliquer_lot

    def panne(self, conn, tables, evenements):  # type: ignore[no-untyped-def]
        nonlocal appels
        appels += 1
        if appels == 3:
            raise RuntimeError("panne")
        return original(self, conn, tables, evenements)

    monkeypatch.setattr(ProjectionCotation, "appliquer_lot", panne)
    premiers = suiveurs(registre)
    with pytest.raises(RuntimeError, match="panne"):
        suivre_ensemble(premiers)
    positions = {s.projection.nom: s.position() for s in premiers}
    # Two pages committed for all three; the third rolled back for all three.
    assert len(set(positions.values())) == 1 and 0 < positions["cotation"] < registre.position()
    monkeypatch.setattr(ProjectionCotation, "appliquer_lot", original)

    apres_reprise = suiveurs(registre)  # a new process: empty caches
    suivre_ensemble(apres_reprise)
    repris = [contenu(s) for s in apres_reprise]
    for s in apres_reprise:
        s.reconstruire(barre=False)
    assert [contenu(s) for s in apres_reprise] == repris


def test_read_models_at_different_positions_are_caught_up_together(registre: Registre, lot: Any) -> None:
    peupler(registre)
    lot(11)
    echeances, cotation, statistiques = suiveurs(registre)
    echeances.suivre(arret=lambda n: n >= 22)  # two pages
    statistiques.suivre()
    assert 0 < echeances.position() < statistiques.position() == registre.position()
    assert cotation.position() == 0
    lus = suivre_ensemble([echeances, cotation, statistiques])
    assert lus > 0
    ensemble = [contenu(s) for s in (echeances, cotation, statistiques)]
    assert all(s.position() == registre.position() for s in (echeances, cotation, statistiques))
    for s in (echeances, cotation, statistiques):
        s.reconstruire(barre=False)
    assert [contenu(s) for s in (echeances, cotation, statistiques)] == ensemble
    assert suivre_ensemble([echeances, cotation, statistiques]) == 0


def test_a_topic_filtered_read_model_moves_past_events_it_does_not_want(registre: Registre) -> None:
    peupler(registre, 10)
    s = Suiveur(registre, ProjectionStatistiques(registre))
    s.suivre()
    t = registre.territoire
    oph = t.organisation("OPH-CPL")
    registre.ouvrir_session(oph, "oph-cpl-1", c.OuvrirSession(
        occurred_on=date(2026, 6, 1), forme=FormeSession.presentiel, membres=(MembreCAL("OPH-CPL", QualiteMembre.bailleur),)))
    assert s.position() < registre.position()
    assert s.suivre() == 0
    assert s.position() == registre.position()


def test_a_batch_reads_its_keys_once_and_forgets_them_after(registre: Registre) -> None:
    """`Coffre.lot`: one query for the batch's keys, none more inside it, a demand without a key
    remembered as such; after the block every read asks the store again (no cache window)."""
    numeros = peupler(registre, 10)
    ids = [Demande.id_pour(n) for n in numeros]
    inconnu = Demande.id_pour("inconnu")
    coffre = registre.coffre
    lectures: list[Any] = []

    def compter(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "ledger_cles_demandes" in statement:
            lectures.append(parameters)

    sa.event.listen(registre.engine, "before_cursor_execute", compter)
    try:
        with coffre.lot(ids + [inconnu, str(ids[0])]):
            with coffre.lot(ids + [inconnu]):  # all there already: nothing read
                assert [coffre.cle(i) is not None for i in ids] == [k != 7 for k in range(len(ids))]  # erased
                assert coffre.cle(inconnu) is None
            assert len(lectures) == 1
        coffre.cle(ids[0])
        assert len(lectures) == 2
    finally:
        sa.event.remove(registre.engine, "before_cursor_execute", compter)


def test_creer_lot_is_idempotent_and_never_revives_an_erased_key(registre: Registre) -> None:
    numeros = peupler(registre, 10)
    coffre = registre.coffre
    ids = [Demande.id_pour(n) for n in numeros]
    avant = {i: coffre.cle(i) for i in ids}
    nouveau = Demande.id_pour("nouveau")
    coffre.creer_lot(ids + [nouveau])
    coffre.oublier()
    assert {i: coffre.cle(i) for i in ids} == avant  # the erased one (numeros[7]) stays erased
    assert avant[ids[7]] is None and coffre.cle(nouveau) is not None


def test_a_big_run_leaves_fresh_planner_statistics(registre: Registre, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: after a run of at least ANALYSER_APRES events (and a recalculer of as many
    rows), the read model's tables are vacuumed and analysed, so their queries use the indexes
    even where autovacuum is off (reltuples is -1 for a table never analysed)."""
    import projections.cotation as cotation

    peupler(registre, 10)
    monkeypatch.setattr(module, "ANALYSER_APRES", 1)
    monkeypatch.setattr(cotation, "ANALYSER_APRES", 1)
    s = Suiveur(registre, ProjectionCotation(registre))
    (t,) = s.tables
    s.suivre()
    if not registre.stockage.postgres:
        return  # SQLite plans well without statistics: nothing is analysed
    def reltuples(conn: sa.Connection, table: str) -> float:
        return float(conn.execute(sa.text(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}).scalar_one())

    with registre.engine.connect() as conn:
        assert reltuples(conn, t.name) == 10
        assert reltuples(conn, effectifs(t).name) > 0
    with registre.engine.begin() as conn:
        # A year on (1 January has come for every score): every active row is due; the
        # radiated one is out.
        assert s.projection.recalculer(conn, t, date(2027, 11, 30)) == 9  # type: ignore[attr-defined]
        assert s.projection.recalculer(conn, t, date(2027, 11, 30)) == 0  # type: ignore[attr-defined]
