"""A generated territory and years of its history, written through the domain (docs/generate.md).

    from adapters.generation import Parametres, ecrire_territoire, generer, ouvrir

    p = Parametres(scenario="cannes", graine=7, echelle=0.1, annees=2)
    registre, fichier = ouvrir(p, "sqlite:///var/generated/x.sqlite3", "var/generated/x.toml")
    rapport = generer(registre, p, barre=False)
    print(rapport.resume())

`generer` simulates on the territory the Registre holds; for the scenario's figures that is the
one `ecrire_territoire` writes for the same parameters. It refuses a database that already holds
events.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from adapters.generation.parametres import GenerationError, Parametres
from adapters.generation.rapport import Rapport
from adapters.generation.territoire import ecrire_territoire
from adapters.registre import Registre
from domain import horloge

__all__ = ["GenerationError", "Parametres", "Rapport", "ecrire_territoire", "generer", "ouvrir"]


def generer(registre: Registre, parametres: Parametres, barre: bool = True) -> Rapport:
    """Simulates the history day by day into `registre` (empty) and returns what it wrote.
    Today is the real clock's (or the installed one's) at the call; nothing is dated after it."""
    from adapters.generation.politique import Politique
    from adapters.generation.simulation import Simulation
    from adapters.generation.sophia import PolitiqueSophia

    p = parametres.valider(horloge.aujourdhui())
    manquants = [
        a
        for a in range(p.debut.year, p.jusquau.year + 1)  # type: ignore[union-attr]
        if registre.territoire.seuil_premier_quartile(a) is None
    ]
    if manquants:
        raise GenerationError(
            "the territory has no first-quartile threshold (seuils_premier_quartile) for "
            + ", ".join(map(str, manquants))
            + ": every simulated year needs one"
        )
    politique = PolitiqueSophia() if p.scenario == "sophia" else Politique()
    return Simulation(registre, p, politique, barre=barre).executer_tout()


def ouvrir(
    parametres: Parametres, database: str, territoire: str | Path, pool_size: int = 5, cache: int | None = None
) -> tuple[Registre, Path]:
    """Writes the territory file of `parametres` at `territoire` and opens a Registre on it and
    on `database`, which must hold no event yet (checked before the file is replaced, so that a
    ledger's territory file is never overwritten).

    The Registre keeps up to `cache` aggregates in memory (default: enough for the whole active
    stock), as the single writer it is during a generation: a command then reads its demand and
    dwelling without replaying their events. It is the eventsourcing library's aggregate cache,
    without fast-forward nor deep copies, which only a single writer may use: open another
    Registre to serve or read the ledger afterwards."""
    from adapters.database import depuis_url
    from adapters.territory_file import load_territory

    p = parametres.valider(horloge.aujourdhui())
    stockage = depuis_url(database)
    taille = cache if cache is not None else 10_000 + p.logements
    if taille:
        stockage = replace(
            stockage,
            eventsourcing_env={
                **stockage.eventsourcing_env,
                "AGGREGATE_CACHE_MAXSIZE": str(taille),
                "AGGREGATE_CACHE_FASTFORWARD": "n",
                "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
            },
        )
    if stockage.postgres and stockage.schema:
        _creer_schema(stockage)
    chemin = Path(territoire)
    provisoire = chemin.with_name(f".{chemin.name}.{os.getpid()}.toml")
    ecrire_territoire(p, provisoire)
    try:
        registre = Registre(stockage, load_territory(provisoire), pool_size=pool_size)
        position = registre.position()
        if position:
            registre.close()
            raise GenerationError(
                f"{database} already holds {position:,} events: generate into an empty database "
                "(a new SQLite file, or a new PostgreSQL schema with ?schema=NAME)"
            )
        os.replace(provisoire, chemin)
    finally:
        provisoire.unlink(missing_ok=True)
    return registre, chemin


def _creer_schema(stockage) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    url = stockage.sqlalchemy_url
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database,
        autocommit=True,
    ) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{stockage.schema}"')
