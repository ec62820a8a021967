"""The rebuild built for throughput (projections/reconstruction.py) gives the very rows of the
follower's rebuild (projections.suivi.reconstruire_ensemble), table for table and row for row, on
a generated territory, on SQLite and PostgreSQL, folded in this process or in two; events
appended while it runs are applied once by the follower before the swap; a failure leaves the
live read models as they were and no table behind."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

import projections.reconstruction as module
from adapters.clock import HorlogeReglable
from adapters.generation import Parametres, generer, ouvrir
from adapters.registre import Registre
from domain import commandes as c
from domain import horloge
from projections.modeles import suiveurs
from projections.reconstruction import reconstruire_vite
from projections.suivi import Suiveur, reconstruire_ensemble, suivi
from tests.conftest import INSTANT_DES_TESTS, url_postgres_de_test

FIN = date(2026, 11, 21)
HISTOIRE = Parametres(echelle=0.03, annees=2, graine=11, jusquau=FIN)


@pytest.fixture(scope="module", autouse=True)
def horloge_du_module() -> Iterator[HorlogeReglable]:
    precedente = horloge.source()
    h = HorlogeReglable(INSTANT_DES_TESTS).installer()
    yield h
    horloge.installer(precedente)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generee(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, horloge_du_module: HorlogeReglable
) -> Iterator[Registre]:
    """One generated history per database, shared by the module's tests."""
    dossier: Path = tmp_path_factory.mktemp("reconstruction")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{dossier}/ledger.sqlite3"
    else:
        schema = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(url_postgres_de_test(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{url_postgres_de_test()}?schema={schema}"
    registre, _ = ouvrir(HISTOIRE, url, dossier / "territoire.toml")
    generer(registre, HISTOIRE, barre=False)
    yield registre
    registre.close()
    if schema:
        with psycopg.connect(url_postgres_de_test(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def contenu(registre: Registre, liste: list[Suiveur]) -> dict[str, Any]:
    """Every row of every live read model table (annexes included), sorted, and the positions."""
    out: dict[str, Any] = {}
    with registre.engine.connect() as conn:
        for s in liste:
            for t in s.tables + s.projection.annexes(""):
                out[t.name] = sorted(tuple(r) for r in conn.execute(sa.select(t)))
        out["ledger_suivi"] = sorted(tuple(r) for r in conn.execute(sa.select(suivi)))
    return out


def tables_de_reconstruction(registre: Registre) -> list[str]:
    return [n for n in sa.inspect(registre.engine).get_table_names() if "__r" in n]


@pytest.mark.parametrize("processus", [1, 2])
def test_the_fast_rebuild_gives_the_followers_rows(generee: Registre, processus: int) -> None:
    registre = generee
    liste = list(suiveurs(registre).values())
    lus = reconstruire_ensemble(liste, barre=False)
    attendu = contenu(registre, liste)
    # Not a trivial history: deadlines, scores of active demands, facts, retractions, erasures.
    assert len(attendu["vue_cotation"]) > 200 and len(attendu["vue_stat_faits"]) > 1000
    assert len(attendu["vue_echeances"]) > 200 and attendu["vue_cotation_effectifs"]
    with registre.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM vue_stat_faits WHERE retracte")).scalar()
    for s in liste:
        s.projection.oublier()
    assert reconstruire_vite(liste, processus=processus) == lus
    assert contenu(registre, liste) == attendu
    assert all(s.position() == registre.position() for s in liste)
    assert tables_de_reconstruction(registre) == []


def test_events_appended_during_the_rebuild_are_applied_once_before_the_swap(
    generee: Registre, monkeypatch: pytest.MonkeyPatch
) -> None:
    registre = generee
    liste = list(suiveurs(registre).values())
    numero = next(n for n in registre.numeros() if registre.demande(n).etat.active)
    oph = registre.territoire.organisations[0]
    remplir = module._remplir

    def puis_une_commande(*a: Any, **k: Any) -> int:
        n = remplir(*a, **k)
        # A command lands after the log's end was read and the bulk fill is done.
        version = registre.demande(numero).version
        registre.executer(oph, oph.agents[0].identifiant,
                          c.Modifier(occurred_on=FIN, situations=("handicap",)), numero)
        assert registre.demande(numero).version == version + 1
        return n

    monkeypatch.setattr(module, "_remplir", puis_une_commande)
    reconstruire_vite(liste, processus=1)
    monkeypatch.undo()
    apres = contenu(registre, liste)
    assert all(s.position() == registre.position() for s in liste)
    # The same as the follower's rebuild of the whole log, the new event included.
    reconstruire_ensemble(liste, barre=False)
    assert contenu(registre, liste) == apres


def test_a_failing_rebuild_leaves_the_live_read_models_and_no_table_behind(
    generee: Registre, monkeypatch: pytest.MonkeyPatch
) -> None:
    registre = generee
    liste = list(suiveurs(registre).values())
    for s in liste:
        s.suivre()
    avant = contenu(registre, liste)

    def panne(*a: Any, **k: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "_statistiques", panne)
    with pytest.raises(RuntimeError, match="disk full"):
        reconstruire_vite(liste, processus=1)
    assert contenu(registre, liste) == avant
    assert tables_de_reconstruction(registre) == []


def test_the_bulk_recompute_of_a_new_day_gives_the_transactional_rows(
    generee: Registre, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`recalculer_vite` (what a served ledger of 100,000 active demands or more does at each new
    day) gives every active demand the row `recalculer` gives it, but for the day it was computed
    for (`recalculer` rescores only the rows whose next change has come, the bulk path every
    row); only the rows of inactive demands, which carry no score, differ by their day too."""
    registre = generee
    s = suiveurs(registre)["cotation"]
    s.suivre()
    (t,) = s.tables
    jour = INSTANT_DES_TESTS.date() + timedelta(days=40)  # ages, ancienneté and décotes move

    def lignes() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
        # Without calcule_au (column 6): a row left alone keeps the day it was computed for.
        with registre.engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.select(t))]
        return {r[:6] + r[7:] for r in rows if r[1]}, {r[:6] for r in rows if not r[1]}

    with registre.engine.begin() as conn:
        assert s.projection.recalculer(conn, t, jour) > 10
    actives, inactives = lignes()
    avec_effectifs = contenu(registre, [s])["vue_cotation_effectifs"]
    reconstruire_ensemble([s], barre=False)  # back to today
    monkeypatch.setattr(module, "SEUIL_RECALCUL_EN_MASSE", 1)
    assert module.changer_de_jour(s, jour) > 10  # the rows due, brought by the bulk path
    assert lignes() == (actives, inactives)
    assert contenu(registre, [s])["vue_cotation_effectifs"] == avec_effectifs
    with registre.engine.connect() as conn:
        assert set(conn.execute(sa.select(t.c.calcule_au).where(t.c.active).distinct()).scalars()) == {jour}


def test_one_fold_gives_the_aggregates_stored_state_and_state_of_the_day(generee: Registre) -> None:
    """`etat_du_jour` folds a demand's facts once, without the aggregate: whenever it answers,
    its state is both the aggregate's stored state and `etat_courant`'s for that day; it declines
    (the rebuild then takes the aggregate's way) when facts are dated after the day or the
    schedule owes something by then. Both happen on the generated history."""
    registre = generee
    ret = registre.territoire.retention_donnees_mois
    aujourdhui = horloge.aujourdhui()
    repondu = decline = 0
    for au in (aujourdhui, aujourdhui + timedelta(days=40), FIN - timedelta(days=200)):
        jusquau = min(au, aujourdhui)
        for numero in registre.numeros():
            d = registre.demande(numero)
            pli = module.etat_du_jour(list(d.faits), au, jusquau, ret)
            if pli is None:
                decline += 1
                continue
            repondu += 1
            assert pli.etat == d.etat == d.etat_courant(au, ret)
            assert pli.numero_unique == d.numero_unique and pli.faits == d.faits
    assert repondu > 100 and decline > 100
