"""The day's recompute rescores only the demands whose next change has come
(`vue_cotation.prochain_changement`), and the read model it leaves is, day after day, the one a
full recompute gives: on a generated territory, over more than 400 days that cross a 1 January
and every filing anniversary, on SQLite and PostgreSQL, row for row and count for count."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from adapters.clock import HorlogeReglable
from adapters.generation import Parametres, generer, ouvrir
from adapters.registre import Registre
from domain import horloge
from projections.cotation import ProjectionCotation, compter_effectifs, lire_effectifs
from projections.modeles import suiveurs
from tests.conftest import url_postgres_de_test

FIN = date(2024, 6, 28)  # the generated history's last day; the walk starts the day after
JOURS = 420  # crosses 1 January 2025 and a year of filing anniversaries
HISTOIRE = Parametres(echelle=0.03, annees=2, graine=14, jusquau=FIN)


@pytest.fixture
def registre_genere(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Registre, HorlogeReglable]]:
    precedente = horloge.source()
    h = HorlogeReglable(datetime.combine(FIN + timedelta(days=1), time(9, 0), UTC)).installer()
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    else:
        schema = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(url_postgres_de_test(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{url_postgres_de_test()}?schema={schema}"
    registre, _ = ouvrir(HISTOIRE, url, tmp_path / "territoire.toml")
    try:
        generer(registre, HISTOIRE, barre=False)
        yield registre, h
    finally:
        registre.close()
        horloge.installer(precedente)
        if schema:
            with psycopg.connect(url_postgres_de_test(), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def sans_jour(r: Any) -> tuple[Any, ...]:
    """A score row without `calcule_au`: the day it was last computed is all that differs
    between a row left alone and the same row recomputed."""
    d = r._asdict()
    del d["calcule_au"]
    return tuple(sorted(d.items()))


@pytest.mark.parametrize("registre_genere", ["sqlite", "postgresql"], indirect=True)
def test_each_day_the_incremental_scores_equal_a_full_recompute(
    registre_genere: tuple[Registre, HorlogeReglable],
) -> None:
    registre, h = registre_genere
    s = suiveurs(registre)["cotation"]
    projection = s.projection
    assert isinstance(projection, ProjectionCotation)
    (t,) = s.tables
    jour = FIN + timedelta(days=1)
    s.reconstruire(barre=False)
    demandes = {n: registre.demande(n) for n in registre.numeros()}
    with registre.engine.connect() as conn:
        actives = conn.execute(sa.select(sa.func.count()).where(t.c.active)).scalar_one()
    assert actives > 50, "too small a territory to prove anything"
    refaites: dict[date, int] = {}
    changees = 0
    for _ in range(JOURS):
        jour += timedelta(days=1)
        h.regler(jour)
        with registre.engine.connect() as conn:
            avant = {r.demande: r for r in conn.execute(sa.select(t))}
        refaites[jour] = s.changer_de_jour(jour)
        with registre.engine.connect() as conn:
            lignes = {r.demande: r for r in conn.execute(sa.select(t))}
            assert lire_effectifs(conn, t) == compter_effectifs(conn, t), jour
        attendues = {n: projection.ligne(demandes[n], jour) for n in lignes}
        for n, r in lignes.items():
            x = attendues[n]
            assert sans_jour(r) == tuple(sorted((k, v) for k, v in x.items() if k != "calcule_au")), (jour, n)
        changees += sum(
            1 for n, r in lignes.items() if (avant[n].active, avant[n].points) != (r.active, r.points)
        )
    # Not a trivial walk: scores did change with the days (ages, ancienneté, décotes, RADREN
    # radiations), yet most days rescored few. (1 January is a day only for the households
    # between two years' thresholds, 1.6 % apart here: tests/domain/test_prochain_changement.py.)
    assert changees > 20
    total = sum(refaites.values())
    assert total < JOURS * actives / 20, (total, actives)
    assert sum(1 for n in refaites.values() if n == 0) > JOURS // 4
