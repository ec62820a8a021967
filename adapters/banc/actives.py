"""Figures (d), (e) and (f), on `--actives` demands that are all active today, filled in batches
through the domain (`foyers.remplir_actives`) and the cotation read model caught up:

  (d) a demand's score, explanation and rank over HTTP, beside the same read in-process; the rank
      alone beside a primary-key lookup of the same row;
  (e) the cotation read model's upkeep: catching up on the log (beside the raw read of it),
      recomputing every score for a new day (beside the domain alone), every rank in one window
      query (beside `rang` one demand at a time);
  (f) a score as of a past date: the replay beside loading the demand, and over HTTP beside the
      same read in-process.

The API runs in a child process (`serveur`), started the first time a figure needs it and kept
until the end; the figures run in that order, so that (d) reads the scores as the follower left
them and (e)'s recompute comes after.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from adapters.banc import AUDIT, DEMO
from adapters.banc.foyers import LOT_SAUVEGARDE, remplir_actives
from adapters.banc.mesure import Figure, chrono, dire, ms
from adapters.banc.postgres import lecture_brute, schema_neuf
from adapters.banc.serveur import serveur
from adapters.registre import Registre

OBJECTIF_ACTIVES = 1_000_000  # (d)'s and (e)'s goals are set at this many active demands
OBJECTIF_P95_MS = 10.0  # (d): score, explanation and rank over HTTP, p95
OBJECTIF_RECALCUL_S = 60.0  # (e): every score brought to a new day
# Above this many active demands, (e) times the bulk recompute only: the transactional one
# (`recalculer`, one demand at a time, loading those the follower's cache lacks) would take an hour.
# (e): days of the incremental recompute measured, one after the other.
JOURS_INCREMENTAUX = 7
ECHAUFFEMENT_HTTP = 50  # untimed reads before the timed ones: the server's first reads


@dataclass
class Actives:
    """The filled ledger, its cotation follower and, once asked for, the API serving it."""

    base: str
    schema: str
    url: str
    registre: Registre
    suiveur: Any  # projections.suivi.Suiveur over ProjectionCotation
    secondes_remplissage: float
    evenements: int
    secondes_suivi: float
    appliques: int
    clones: int = 0  # demands made by cloning (bench-only, untimed), not through the domain
    rattrapage: str = "Suiveur.suivre"  # how the cotation read model was first filled
    pile: ExitStack = field(default_factory=ExitStack)
    _adresses: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def table(self) -> sa.Table:
        (t,) = self.suiveur.tables
        return t

    def adresse(self, suivis: tuple[str, ...] = ("cotation",)) -> str:
        """The API's address, started on the first call: by default as `ledger serve` runs it, the
        cotation read model (the only one built here) followed in the background, so that no
        read catches up or checks the day inside the request; with `suivis=()`, a server whose
        reads catch their read models up themselves (what (p) reads, built on the way)."""
        if suivis not in self._adresses:
            quoi = f"{', '.join(suivis)} followed in the background" if suivis else "no background work"
            dire(f"serving the API (uvicorn, one worker, {quoi})…")
            self._adresses[suivis] = self.pile.enter_context(serveur(self.url, suivis=suivis))
        return self._adresses[suivis]

    def numeros_actifs(self) -> list[str]:
        """Every active demand with a score, in numéro order."""
        t = self.table
        with self.registre.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(t.c.demande).where(t.c.active, t.c.points.is_not(None)).order_by(t.c.demande)
                ).scalars()
            )


@contextmanager
def actives(base: str, n: int, graine: int, barre: bool, clones: int = 0) -> Iterator[Actives]:
    """n active demands in a fresh schema, the cotation read model caught up; everything is
    stopped and dropped on exit. With `clones`, only n / (clones + 1) are filled through the
    domain and every one of them is cloned that many times by COPY (bench-only, untimed), then
    the read model is built by the fast rebuild."""
    from adapters.database import depuis_url
    from adapters.territory_file import load_territory
    from projections.cotation import ProjectionCotation
    from projections.suivi import Suiveur

    with schema_neuf(base, "act") as (schema, url):
        registre = Registre(depuis_url(url), load_territory(DEMO), pool_size=4)
        try:
            domaine = n // (clones + 1) if clones else n
            dire(f"filling {domaine:,} active demands through the domain…")
            s_fill, ev = chrono(remplir_actives, registre, domaine, random.Random(graine), barre)
            suiveur = Suiveur(registre, ProjectionCotation(registre))
            registre.coffre.oublier()
            if clones:
                from adapters.banc.clonage import cloner
                from projections.reconstruction import reconstruire_vite

                dire(f"cloning them {clones} times (COPY)…")
                cloner(base, schema, 1, clones + 1, barre)
                dire("building the cotation read model (projections.reconstruction)…")
                s_suivi, appliques = chrono(reconstruire_vite, [suiveur], barre=barre)
                rattrapage = "reconstruire_vite"
            else:
                s_suivi, appliques = chrono(suiveur.suivre, barre=barre)
                rattrapage = "Suiveur.suivre"
            m = Actives(base, schema, url, registre, suiveur, s_fill, ev, s_suivi, appliques,
                        clones=n - domaine, rattrapage=rattrapage)
            with m.pile:
                yield m
        finally:
            registre.close()


def ligne_remplissage(m: Actives, n: int) -> Figure:
    """How the demands were made, as an informative line."""
    domaine = n - m.clones
    return Figure(
        "", f"fill: {domaine:,} active demands through the domain", m.evenements / m.secondes_remplissage,
        "events/s",
        note=f"{m.evenements:,} events in {m.secondes_remplissage:.1f} s: Demande commands, "
        f"{LOT_SAUVEGARDE} aggregates per Registre.save"
        + (f"; then {m.clones:,} more demands by cloning each {m.clones // max(domaine, 1)} times "
           "(COPY, bench-only, adapters/banc/clonage.py)" if m.clones else "")
        + f"; cotation read model ({m.rattrapage}) in {m.secondes_suivi:.1f} s",
    )


# -- (d) ---------------------------------------------------------------------------------------------


def figure_d(m: Actives, requetes: int, rng: random.Random) -> list[Figure]:
    import httpx

    from domain import horloge
    from projections.cotation import rang
    from projections.explication import expliquer

    registre, t = m.registre, m.table
    numeros = m.numeros_actifs()
    with registre.engine.connect() as conn:
        distincts = conn.execute(sa.select(sa.func.count(sa.distinct(t.c.points)))).scalar_one()
    echantillon = rng.sample(numeros, min(requetes, len(numeros)))
    aujourdhui = horloge.aujourdhui()
    dire(f"(d) reading {len(echantillon):,} scores in-process, then over HTTP…")
    # In-process: the same explanation and rank, no HTTP.
    for x in echantillon[:20]:
        expliquer(registre, x, aujourdhui, None)
    lat_proc = []
    for x in echantillon:
        t0 = time.perf_counter()
        expliquer(registre, x, aujourdhui, None)
        with registre.engine.connect() as conn:
            rang(conn, t, x)
        lat_proc.append(time.perf_counter() - t0)
    lat_rang, lat_pk = [], []
    with registre.engine.connect() as conn:
        for x in echantillon:
            s, _ = chrono(lambda: conn.execute(sa.select(t).where(t.c.demande == x)).one_or_none())  # noqa: B023
            lat_pk.append(s)
            s, _ = chrono(rang, conn, t, x)
            lat_rang.append(s)
    lat_http, erreurs, sans_rang = [], 0, 0
    with httpx.Client(base_url=m.adresse(), headers={"Authorization": f"Bearer {AUDIT}"}, timeout=60) as client:
        for x in echantillon[:ECHAUFFEMENT_HTTP]:
            client.get(f"/demandes/{x}/cotation")
        for x in echantillon:
            s, r = chrono(client.get, f"/demandes/{x}/cotation")
            lat_http.append(s)
            if r.status_code != 200:
                erreurs += 1
            elif r.json().get("rang") is None:
                sans_rang += 1
    n_actives = len(numeros)
    a_l_echelle = n_actives >= OBJECTIF_ACTIVES
    p95 = ms(lat_http, 0.95)
    commun = f"{len(echantillon):,} random demands among {n_actives:,} active with a score ({distincts} points values)"
    return [
        Figure(
            "d", f"score + explanation + rank over HTTP, p95 ({n_actives:,} active)", p95, "ms",
            ms(lat_proc, 0.95), "ms", "same read in-process (expliquer + rang), p95", sens="moins",
            objectif=f"p95 ≤ {OBJECTIF_P95_MS:g} ms at {OBJECTIF_ACTIVES:,} active",
            atteint=(p95 <= OBJECTIF_P95_MS and not sans_rang) if a_l_echelle else None,
            erreurs=erreurs + sans_rang,
            note=f"{commun}; GET /demandes/{{n}}/cotation, uvicorn 1 worker, httpx keep-alive, "
            f"{ECHAUFFEMENT_HTTP} untimed reads first; {erreurs} errors, {sans_rang} without a rank"
            + ("" if a_l_echelle else f"; the goal is judged at {OBJECTIF_ACTIVES:,} active demands only"),
            details={"p50": ms(lat_http, 0.5), "p95": p95, "erreurs": erreurs, "sans_rang": sans_rang,
                     "actives": n_actives},
        ),
        Figure("d", "  the same, median", ms(lat_http, 0.5), "ms", ms(lat_proc, 0.5), "ms",
               "same read in-process, p50", sens="moins"),
        Figure(
            "d", "  rank alone (projections.cotation.rang), p95", ms(lat_rang, 0.95), "ms",
            ms(lat_pk, 0.95), "ms", "primary-key lookup of the same row, p95", sens="moins",
            note=f"p50 {ms(lat_rang, 0.5):.2f} ms, lookup p50 {ms(lat_pk, 0.5):.2f} ms; one statement: "
            "the counts per (typology, points), the counts per (points, filing month, typology) and "
            "the demands tied on points filed in the same month",
        ),
    ]


# -- (e) ---------------------------------------------------------------------------------------------


def figure_e(m: Actives, requetes: int, rng: random.Random) -> list[Figure]:
    from domain import horloge
    from domain.demande import Demande
    from projections.cotation import rang
    from projections.reconstruction import SEUIL_PROCESSUS, processus_par_defaut, recalculer_vite
    from projections.suivi import LOT

    registre, t = m.registre, m.table
    proj = m.suiveur.projection
    s_brut, lus = lecture_brute(m.base, m.schema)
    raw = lus / s_brut
    numeros = m.numeros_actifs()
    demain = horloge.aujourdhui() + timedelta(days=1)
    # The domain alone: each demand folded as of tomorrow and scored, no SQL (the folds the
    # follower keeps, as recalculer uses them).
    dems = [proj.demandes.get(Demande.id_pour(x)) or registre.demande(x)
            for x in rng.sample(numeros, min(2000, len(numeros)))]
    s_dom, _ = chrono(lambda: [proj.ligne(d, demain) for d in dems])
    # The day's recompute as the read model does it: `recalculer` rescores only the rows whose
    # next change (`prochain_changement`) has come, each day in its own transaction, on the
    # days after today; then back to today (the rows those days rewrote, untimed).
    aujourdhui = horloge.aujourdhui()
    dire(f"(e) the day's recompute, incremental (recalculer), {JOURS_INCREMENTAUX} days from {demain}…")
    jours: list[tuple[float, int]] = []
    for k in range(1, JOURS_INCREMENTAUX + 1):
        with registre.engine.begin() as conn:
            jours.append(chrono(proj.recalculer, conn, t, aujourdhui + timedelta(days=k)))
    with registre.engine.begin() as conn:
        proj.recalculer(conn, t, aujourdhui)
        nouvel_an = date(aujourdhui.year + 1, 1, 1)
        dus_nouvel_an = conn.execute(
            sa.select(sa.func.count()).where(t.c.active, t.c.prochain_changement == nouvel_an)
        ).scalar_one()
    dire(f"(e) recomputing every score for {demain} in bulk (recalculer_vite), then every rank…")
    registre.coffre.oublier()
    s_vite, lus_vite = chrono(recalculer_vite, m.suiveur, demain)
    processus = processus_par_defaut() if lus_vite >= SEUIL_PROCESSUS else 1
    # Ranks right after the recompute (the table just rewritten, not vacuumed: the slow case
    # for the ties), one at a time on a sample, then all in one window query.
    lat_rang = []
    with registre.engine.connect() as conn:
        for x in rng.sample(numeros, min(requetes, len(numeros))):
            s, _ = chrono(rang, conn, t, x)
            lat_rang.append(s)
        s_fen, lignes = chrono(
            lambda: conn.exec_driver_sql(
                "SELECT demande, rank() OVER (ORDER BY points DESC, filed_on, demande) AS rang, "
                "rank() OVER (PARTITION BY typologie ORDER BY points DESC, filed_on, demande) AS rang_typo "
                f"FROM {t.name} WHERE active AND points IS NOT NULL"
            ).all()
        )
    # Back to today (untimed), so that the API finds its scores of the day again.
    recalculer_vite(m.suiveur, horloge.aujourdhui())
    un_par_un = 1 / statistics.fmean(lat_rang)
    a_l_echelle = len(numeros) >= OBJECTIF_ACTIVES
    figures = [
        Figure(
            "e", f"every score to a new day in bulk (recalculer_vite), {len(numeros):,} active", s_vite, "s",
            len(numeros) / (len(dems) / s_dom), "s", "domain alone at the same rate (fold + coter), one process",
            sens="moins", objectif=f"≤ {OBJECTIF_RECALCUL_S:g} s at {OBJECTIF_ACTIVES:,} active",
            atteint=(s_vite <= OBJECTIF_RECALCUL_S) if a_l_echelle else None,
            note=f"{len(numeros) / s_vite:,.0f} demands/s: the cotation read model rebuilt as of {demain} from "
            f"{lus_vite:,} events, demands folded in {processus} process(es), COPY, swapped; "
            f"baseline: {len(dems):,} demands folded and scored in memory ({len(dems) / s_dom:,.0f}/s), "
            "scaled to all"
            + ("" if a_l_echelle else f"; the goal is judged at {OBJECTIF_ACTIVES:,} active demands only"),
            details={"secondes": s_vite, "evenements": lus_vite, "actives": len(numeros)},
        ),
    ]
    s_jours = [x for x, _ in jours]
    rescorees = [n for _, n in jours]
    s_moyen = statistics.fmean(s_jours)
    figures.insert(0, Figure(
        "e", f"the day's recompute, incremental (recalculer), {len(numeros):,} active", s_moyen, "s",
        s_vite, "s", "every score in bulk (recalculer_vite), same run",
        sens="moins", objectif=f"≤ {OBJECTIF_RECALCUL_S:g} s at {OBJECTIF_ACTIVES:,} active",
        atteint=(max(s_jours) <= OBJECTIF_RECALCUL_S) if a_l_echelle else None,
        note=f"mean of {JOURS_INCREMENTAUX} days from {demain} (max {max(s_jours):.2f} s), each in one "
        f"transaction; rows rescored a day: mean {statistics.fmean(rescorees):,.0f}, max {max(rescorees):,} "
        f"({100 * statistics.fmean(rescorees) / max(len(numeros), 1):.2f} % of the active); "
        f"due on {nouvel_an} (households between two years' first-quartile thresholds): {dus_nouvel_an:,}",
        details={"secondes": s_jours, "rescorees": rescorees, "actives": len(numeros),
                 "dus_nouvel_an": dus_nouvel_an},
    ))
    return figures + [
        Figure(
            "e", f"  cotation read model from zero ({m.rattrapage})",
            m.appliques / m.secondes_suivi, "events/s", raw, "rows/s", "raw sequential read",
            note=f"{m.appliques:,} events in {m.secondes_suivi:.1f} s, "
            + (f"pages of {LOT:,}, one transaction each" if m.rattrapage == "Suiveur.suivre"
               else "projections.reconstruction")
            + f", key cache cold; raw read: {lus:,} rows in {s_brut:.2f} s (best of 3)",
        ),
        Figure(
            "e", f"every rank at once: one window query, {len(lignes):,} demands", len(lignes) / s_fen,
            "demands/s", un_par_un, "demands/s", "rang() one demand at a time",
            note=f"{1000 * s_fen:.0f} ms for all, overall and per typology; rang() right after the "
            f"recompute: p50 {ms(lat_rang, 0.5):.2f} ms, p95 {ms(lat_rang, 0.95):.2f} ms over "
            f"{len(lat_rang):,} demands",
        ),
    ]


# -- (f) ---------------------------------------------------------------------------------------------


def figure_f(m: Actives, requetes: int, rng: random.Random) -> list[Figure]:
    import httpx

    from domain import horloge
    from domain.cotation import coter
    from projections.explication import expliquer

    registre = m.registre
    territoire, grille = registre.territoire, registre.grille
    aujourdhui = horloge.aujourdhui()
    numeros = m.numeros_actifs()
    echantillon = rng.sample(numeros, min(requetes, len(numeros)))
    # A past day after every filing (the demands were filed 30 days ago or earlier).
    jours = [aujourdhui - timedelta(days=rng.randint(1, 29)) for _ in echantillon]
    dire(f"(f) replaying {len(echantillon):,} scores as of a past date, in-process then over HTTP…")
    for x, j in list(zip(echantillon, jours, strict=True))[:20]:
        expliquer(registre, x, j, None)
    lat_charge, lat_rejeu, lat_proc = [], [], []
    for x, j in zip(echantillon, jours, strict=True):
        s, _ = chrono(registre.demande, x)
        lat_charge.append(s)
        s, _ = chrono(lambda: coter(registre.demande(x).etat_au(j), j, territoire, grille))  # noqa: B023
        lat_rejeu.append(s)
        s, _ = chrono(expliquer, registre, x, j, None)
        lat_proc.append(s)
    lat_http, erreurs = [], 0
    with httpx.Client(base_url=m.adresse(), headers={"Authorization": f"Bearer {AUDIT}"}, timeout=60) as client:
        paires = list(zip(echantillon, jours, strict=True))
        for x, j in paires[:ECHAUFFEMENT_HTTP]:
            client.get(f"/demandes/{x}/cotation", params={"au": j.isoformat()})
        for x, j in paires:
            s, r = chrono(client.get, f"/demandes/{x}/cotation", params={"au": j.isoformat()})
            lat_http.append(s)
            erreurs += r.status_code != 200
    return [
        Figure(
            "f", "as-of replay in-process: load + etat_au + coter, p50", ms(lat_rejeu, 0.5), "ms",
            ms(lat_charge, 0.5), "ms", "load alone (Registre.demande), p50", sens="moins",
            note=f"p95 {ms(lat_rejeu, 0.95):.2f} ms, load alone p95 {ms(lat_charge, 0.95):.2f} ms; "
            f"{len(echantillon):,} random demands, each as of a random day of the last 29",
        ),
        Figure(
            "f", "as-of score + explanation over HTTP, p95", ms(lat_http, 0.95), "ms",
            ms(lat_proc, 0.95), "ms", "same read in-process (expliquer), p95", sens="moins",
            erreurs=erreurs,
            note=f"GET /demandes/{{n}}/cotation?au=, uvicorn 1 worker, httpx keep-alive; no rank for a "
            f"past date; {erreurs} errors",
        ),
        Figure("f", "  the same, median", ms(lat_http, 0.5), "ms", ms(lat_proc, 0.5), "ms",
               "same read in-process, p50", sens="moins"),
    ]
