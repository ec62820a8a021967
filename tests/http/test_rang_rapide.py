"""One demand's rank read from the counts tables and the demands tied on its points in its filing
month equals a naive count over every row (docs/rules.md "Ranks"), on SQLite and PostgreSQL,
whatever path wrote the scores: the follower's batches, `recalculer`, a rebuild swapped in, a
score table that predates the counts."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from adapters.registre import Registre
from api.app import creer_app
from domain import commandes as c
from domain.codes import ModeleLogement, MotifRadiation, RoleMembre, Typologie
from domain.foyer import LogementActuel, Membre, Souhaits
from projections.cotation import (
    ProjectionCotation,
    compter_effectifs,
    ecrire,
    effectifs,
    lire_effectifs,
    rang,
)
from projections.suivi import Suiveur

AUDIT = {"Authorization": "Bearer demo-cil-cacpl-1"}
TYPOLOGIES = ("T1", "T2", "T3", None)


def naif(lignes: dict[str, dict[str, Any]], numero: str) -> tuple[int, int, int, int] | None:
    """Rank by the rule itself: count every active scored demand ordered before this one."""
    moi = lignes[numero]
    if not moi["active"] or moi["points"] is None:
        return None
    cle = lambda x: (-x["points"], x["filed_on"], x["demande"])  # noqa: E731
    classees = [x for x in lignes.values() if x["active"] and x["points"] is not None]
    meme = [x for x in classees if x["typologie"] == moi["typologie"]]
    return (
        sum(cle(x) < cle(moi) for x in classees) + 1,
        len(classees),
        sum(cle(x) < cle(moi) for x in meme) + 1,
        len(meme),
    )


def ligne(rng: random.Random, numero: str) -> dict[str, Any]:
    """Few points values and filing days, so that ties on points and on filed_on abound, on days
    either side of a month's end and a year apart (the finer counts are per filing month)."""
    active = rng.random() < 0.85
    return {
        "demande": numero,
        "active": active,
        "points": rng.choice((None, 40, 55, 55, 70, 70, 70, 95)) if active else rng.choice((None, 40)),
        "filed_on": date(2024, 1, 1) + timedelta(days=rng.choice((0, 0, 1, 3, 30, 31, 31, 45, 366))),
        "typologie": rng.choice(TYPOLOGIES),
        "version_grille": "2024-01",
        "calcule_au": date(2026, 11, 23),
        "prochain_changement": None,
    }


def verifier(conn: sa.Connection, t: sa.Table, lignes: dict[str, dict[str, Any]]) -> None:
    assert lire_effectifs(conn, t) == compter_effectifs(conn, t)
    for n in lignes:
        assert rang(conn, t, n) == naif(lignes, n), n
    assert rang(conn, t, "inconnu") is None


def test_rank_equals_a_naive_count_through_every_write(registre: Registre) -> None:
    rng = random.Random(4)
    suiveur = Suiveur(registre, ProjectionCotation(registre))
    (t,) = suiveur.tables
    # Numéros of unequal lengths and cases: the order is the database's (C collation) and Python's.
    numeros = [f"006{rng.randrange(10**6):06d}{i:03d}" for i in range(120)] + ["006A", "006a", "0060", "006"]
    lignes = {n: ligne(rng, n) for n in numeros}
    with registre.engine.begin() as conn:
        for i in range(0, len(numeros), 50):  # several batches, as the follower writes
            ecrire(conn, t, [lignes[n] for n in numeros[i : i + 50]])
    with registre.engine.connect() as conn:
        verifier(conn, t, lignes)
    # Replacements: points, activity and typology change, some rows written twice in a batch.
    for _ in range(3):
        changees = rng.sample(numeros, 40)
        for n in changees:
            lignes[n] = ligne(rng, n)
        with registre.engine.begin() as conn:
            ecrire(conn, t, [lignes[n] for n in changees] + [lignes[changees[0]]])
        with registre.engine.connect() as conn:
            verifier(conn, t, lignes)


def test_rank_of_registered_demands_after_recompute_and_rebuild(registre: Registre) -> None:
    """Real demands through the follower, a day passing (ancienneté: points move), a radiation,
    then a rebuild swapped in: the counts follow, ranks equal the naive count."""
    oph = registre.territoire.organisation("OPH-CPL")
    rng = random.Random(7)
    numeros = []
    for i in range(30):
        jour = date(2025, 11, 1) + timedelta(days=rng.choice((0, 0, 26, 45)))
        membres = (Membre("p1", RoleMembre.demandeur),)
        if i % 3 == 0:
            membres += (Membre("e1", RoleMembre.personne_a_charge),)
        cmd = c.Enregistrer(
            occurred_on=jour,
            membres=membres,
            logement_actuel=LogementActuel(ModeleLogement(rng.choice(("CP", "LP", "SH"))), rng.choice(("06029", "06030"))),
            souhaits=Souhaits((rng.choice(("06029", "06030")),), (rng.choice((Typologie.T2, Typologie.T3)),)),
        )
        numeros.append(registre.executer(oph, "oph-cpl-1", cmd).numero_unique)
    registre.executer(oph, "oph-cpl-1", c.Radier(occurred_on=date(2026, 11, 20), motif=MotifRadiation.RADABA), numeros[3])
    projection = ProjectionCotation(registre)
    suiveur = Suiveur(registre, projection)
    suiveur.suivre()
    (t,) = suiveur.tables

    def lignes() -> dict[str, dict[str, Any]]:
        with registre.engine.connect() as conn:
            return {r["demande"]: dict(r) for r in conn.execute(sa.select(t)).mappings()}

    lignes_avant = lignes()
    with registre.engine.connect() as conn:
        verifier(conn, t, lignes_avant)
        avant = {n: rang(conn, t, n) for n in numeros}
    # A week later: those filed on 27 November 2025 gain their ancienneté, not the others; only
    # they are due (their next change has come), the others' rows stand as they are.
    dues = [n for n, x in lignes_avant.items() if x["active"] and x["prochain_changement"] <= date(2026, 11, 30)]
    assert dues and all(lignes_avant[n]["filed_on"] == date(2025, 11, 27) for n in dues)
    with registre.engine.begin() as conn:
        assert projection.recalculer(conn, t, date(2026, 11, 30)) == len(dues) < 29
    apres = lignes()
    assert any(apres[n]["points"] != lignes_avant[n]["points"] for n in numeros if n != numeros[3])
    with registre.engine.connect() as conn:
        verifier(conn, t, apres)
    suiveur.reconstruire(barre=False)
    (t,) = suiveur.tables
    with registre.engine.connect() as conn:
        verifier(conn, t, lignes())
        assert {n: rang(conn, t, n) for n in numeros} == avant  # rebuilt as of today again
    assert avant[numeros[3]] is None


def test_counts_filled_for_a_score_table_that_predates_them(registre: Registre) -> None:
    rng = random.Random(11)
    suiveur = Suiveur(registre, ProjectionCotation(registre))
    (t,) = suiveur.tables
    lignes = {f"N{i:04d}": ligne(rng, f"N{i:04d}") for i in range(60)}
    with registre.engine.begin() as conn:
        conn.execute(sa.insert(t), list(lignes.values()))  # as the old projection wrote them
        conn.execute(sa.delete(effectifs(t)))
    Suiveur(registre, ProjectionCotation(registre))  # a new process starts
    with registre.engine.connect() as conn:
        verifier(conn, t, lignes)


def test_http_rank_equals_the_naive_count(registre: Registre) -> None:
    oph = registre.territoire.organisation("OPH-CPL")
    numeros = []
    for i in range(8):
        cmd = c.Enregistrer(
            occurred_on=date(2026, 1, 5 + i % 2),  # ties on points and filed_on
            membres=(Membre("p1", RoleMembre.demandeur),),
            logement_actuel=LogementActuel(ModeleLogement.CP if i % 4 else ModeleLogement.LP, "06029"),
            souhaits=Souhaits(("06029",), (Typologie.T2 if i % 2 else Typologie.T3,)),
        )
        numeros.append(registre.executer(oph, "oph-cpl-1", cmd).numero_unique)
    client = TestClient(creer_app(registre))
    reponses = {n: client.get(f"/demandes/{n}/cotation", headers=AUDIT).json() for n in numeros}
    t = ProjectionCotation(registre).tables("")[0]
    with registre.engine.connect() as conn:
        lignes = {r["demande"]: dict(r) for r in conn.execute(sa.select(t)).mappings()}
    for n, r in reponses.items():
        assert (r["rang"], r["sur"], r["rang_typologie"], r["sur_typologie"]) == naif(lignes, n)
    assert sorted(r["rang"] for r in reponses.values()) == list(range(1, 9))


def test_concurrent_writers_keep_the_counts_exact(schema_postgres: str, territoire, horloge_test) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: the follower and `recalculer` in API threads write the same rows at once."""
    import threading

    from adapters.database import depuis_url

    registre = Registre(depuis_url(schema_postgres), territoire, pool_size=4)
    try:
        suiveur = Suiveur(registre, ProjectionCotation(registre))
        (t,) = suiveur.tables
        numeros = [f"C{i:03d}" for i in range(80)]
        rngs = [random.Random(k) for k in range(4)]
        with registre.engine.begin() as conn:
            ecrire(conn, t, [ligne(rngs[0], n) for n in numeros])
        erreurs: list[BaseException] = []

        def ecrivain(k: int) -> None:
            try:
                for _ in range(15):
                    lot = rngs[k].sample(numeros, 30)
                    with registre.engine.begin() as conn:
                        ecrire(conn, t, [ligne(rngs[k], n) for n in lot])
            except BaseException as e:  # surfaced below
                erreurs.append(e)

        fils = [threading.Thread(target=ecrivain, args=(k,)) for k in range(4)]
        for f in fils:
            f.start()
        for f in fils:
            f.join()
        assert not erreurs, erreurs
        with registre.engine.connect() as conn:
            lignes = {r["demande"]: dict(r) for r in conn.execute(sa.select(t)).mappings()}
            verifier(conn, t, lignes)
    finally:
        registre.close()
