"""Figures (a), (b) and (c), on a history generated through the domain by `adapters.generation`
(the `scripts/generate` simulation of a Cannes Pays de Lérins-like territory, seeded):

  (a) the import's rate, beside a raw COPY of the same encoded rows and the plain eventsourcing
      recorder saving the same stored events in the same transactions;
  (b) rebuilding every read model, beside a raw sequential read of the log;
  (c) every indicator of a year from the raw log, beside the raw read in the same unit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from adapters.banc.mesure import Figure, chrono, dire
from adapters.banc.postgres import lecture_brute, schema_neuf, url_libpq
from adapters.registre import Registre

# Calibration of --evenements: the generator writes about this many events per dwelling-year
# (Cannes profile: scale 1 ≈ 10,213 dwellings), from runs on this machine.
EVENEMENTS_PAR_ECHELLE_ANNEE = 47_000  # 37,000 before the CAL sessions, answers and notifications (issue 11)


@dataclass
class Historique:
    """A generated history in a schema of its own, and how long writing it took."""

    base: str
    schema: str
    registre: Registre
    secondes: float
    evenements: int
    quoi: str  # how it was made, for the notes
    clones: int = 0  # events added by cloning (bench-only, untimed): not in `evenements`
    _brut: tuple[float, int] | None = None

    def brut(self) -> tuple[float, int]:
        """The raw sequential read of this log (seconds, rows), measured once, shared by (b)
        and (c)."""
        if self._brut is None:
            self._brut = lecture_brute(self.base, self.schema)
        return self._brut


@contextmanager
def historique(
    base: str, echelle: float, annees: int, graine: int, barre: bool, clones: int = 0
) -> Iterator[Historique]:
    """The history through the domain, timed, in a fresh schema dropped on exit; with `clones`,
    every demand then cloned that many times by COPY (bench-only, `clonage`), untimed."""
    from adapters.generation import Parametres, generer, ouvrir

    with schema_neuf(base, "hist") as (schema, url), TemporaryDirectory() as tmp:
        dire("generating the history through the domain…")
        p = Parametres(scenario="cannes", graine=graine, echelle=echelle, annees=annees)
        registre, _ = ouvrir(p, url, Path(tmp) / "territoire.toml", pool_size=4)
        try:
            s, rapport = chrono(generer, registre, p, barre=barre)
            if rapport.refus:
                dire(f"the generator had {len(rapport.refus)} commands refused (first: {rapport.refus[0]})")
            quoi = (
                f"scripts/generate --echelle {echelle:g} --annees {rapport.fin.year - rapport.debut.year} "
                f"--seed {graine}: {rapport.logements:,} dwellings, {rapport.demandes:,} demands, "
                f"{rapport.baux:,} baux, {rapport.debut}..{rapport.fin}; through Registre.executer, "
                "one command per transaction (the schedule and the initial import: 250 demands per save)"
            )
            n = rapport.evenements
            h = Historique(base, schema, registre, s, n, quoi)
            if clones:
                from adapters.banc.clonage import cloner

                dire(f"cloning every demand {clones} times (COPY)…")
                s_clones, ajoutes = chrono(cloner, base, schema, 1, clones + 1, barre)
                quoi += (f"; then every demand cloned {clones} times by COPY (adapters/banc/clonage.py): "
                         f"{ajoutes:,} events more in {s_clones:.0f} s")
                h.quoi, h.clones = quoi, ajoutes
            yield h
        finally:
            registre.close()


def ligne_historique(h: Historique) -> Figure:
    """The history's writing rate as an informative line, when (a) is not asked for."""
    return Figure("", "history written through the domain", h.evenements / h.secondes, "events/s",
                  note=h.quoi)


# -- (a) -------------------------------------------------------------------------------------------


def lire_lignes(base: str, schema: str) -> list[tuple[Any, ...]]:
    """The stored rows as they are, with the transaction that wrote each (xmin)."""
    import psycopg

    with psycopg.connect(url_libpq(base)) as conn, conn.cursor(name="lignes") as cur:
        cur.itersize = 10_000
        cur.execute(
            f'SELECT notification_id, originator_id, originator_version, topic, state, xmin::text::bigint '
            f'FROM "{schema}".ledger_events ORDER BY notification_id'
        )
        return list(cur)


def copie_brute(base: str, schema: str, lignes: list[tuple[Any, ...]], essais: int = 3) -> float:
    """Raw COPY of the same encoded rows into a fresh table of the same shape (same primary key,
    same unique index on notification_id), from Python, one COPY, committed: the best of
    `essais` tries (a physical limit, so the least disturbed try), in seconds."""
    return min(_copier(base, schema, lignes) for _ in range(essais))


def _copier(base: str, schema: str, lignes: list[tuple[Any, ...]]) -> float:
    import psycopg

    with psycopg.connect(url_libpq(base)) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{schema}".copie_evenements')
        conn.execute(
            f'CREATE TABLE "{schema}".copie_evenements (LIKE "{schema}".ledger_events INCLUDING ALL)'
        )
        conn.commit()
        t = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            f'COPY "{schema}".copie_evenements (notification_id, originator_id, originator_version, '
            "topic, state) FROM STDIN (FORMAT BINARY)"
        ) as copie:
            copie.set_types(["int8", "uuid", "int8", "text", "bytea"])
            for r in lignes:
                copie.write_row(r[:5])
        conn.commit()
        s = time.perf_counter() - t
        (n,) = conn.execute(f'SELECT count(*) FROM "{schema}".copie_evenements').fetchone()  # type: ignore[misc]
        assert n == len(lignes), (n, len(lignes))
    return s


def bibliotheque(base: str, lignes: list[tuple[Any, ...]], par_transaction: int | None = None) -> tuple[float, int]:
    """The plain eventsourcing library saving the same stored events, in the same transactions
    (rows of one xmin together) or `par_transaction` at a time, through its PostgreSQL recorder
    (table lock included), with no domain and no mapper: (seconds, transactions)."""
    from eventsourcing.application import Application
    from eventsourcing.persistence import StoredEvent

    from adapters.database import depuis_url

    class Copie(Application[uuid.UUID]):
        name = "Copie"  # its table: copie_events

    lots: list[list[StoredEvent]] = []
    xmin = None
    for i, (_, oid, v, topic, state, x) in enumerate(lignes):
        if (x != xmin if par_transaction is None else i % par_transaction == 0):
            lots.append([])
            xmin = x
        lots[-1].append(StoredEvent(originator_id=oid, originator_version=v, topic=topic, state=bytes(state)))
    with schema_neuf(base, "es") as (_, url):
        app = Copie(env=depuis_url(url).env_bibliotheque)
        try:
            recorder = app.recorder
            s, _ = chrono(lambda: [recorder.insert_events(lot) for lot in lots])
            assert (recorder.max_notification_id() or 0) == len(lignes)
        finally:
            app.close()
    return s, len(lots)


def figure_a(h: Historique) -> list[Figure]:
    dire("(a) reading back the encoded rows, then raw COPY and the plain library…")
    lignes = lire_lignes(h.base, h.schema)
    assert len(lignes) == h.evenements, (len(lignes), h.evenements)
    s_copie = copie_brute(h.base, h.schema, lignes)
    s_lib, transactions = bibliotheque(h.base, lignes)
    debit = h.evenements / h.secondes
    copie = h.evenements / s_copie
    lib = h.evenements / s_lib
    return [
        Figure(
            "a", "import through the domain", debit, "events/s", copie, "events/s",
            "raw COPY of the same rows (best of 3)",
            objectif="≥ 0.40 × raw COPY", atteint=debit >= 0.40 * copie,
            note=f"{h.evenements:,} events in {h.secondes:.1f} s — {h.quoi}",
            details={"evenements": h.evenements, "secondes": h.secondes, "copie_secondes": s_copie},
        ),
        Figure(
            "a", "  plain eventsourcing recorder, same stored events", lib, "events/s", copie,
            "events/s", "raw COPY",
            note=f"{transactions:,} transactions as the import made them (rows grouped by xmin), "
            f"{s_lib:.1f} s; the domain import runs at {debit / lib:.3f} × this",
            details={"transactions": transactions, "secondes": s_lib},
        ),
    ]


# -- (b) -------------------------------------------------------------------------------------------


# The follower's rebuild (and the library's read + mapper) beside the fast one only up to this
# many events: beyond, they take many minutes (2,075 events/s at a million, docs/scaling.md).
SUIVEUR_JUSQUA = 500_000


def figure_b(h: Historique, barre: bool) -> list[Figure]:
    from projections.cotation import ProjectionCotation
    from projections.echeances import ProjectionEcheances
    from projections.reconstruction import SEUIL_PROCESSUS, processus_par_defaut, reconstruire_vite
    from projections.suivi import LOT_RECONSTRUCTION, Suiveur, decoder, reconstruire_ensemble
    from projections.vue_statistiques import ProjectionStatistiques

    registre = h.registre
    s_brut, lus = h.brut()
    raw = lus / s_brut

    def lire_decoder() -> int:
        """The library's read + the ledger's mapper alone (keys loaded per page), no read model."""
        n, position = 0, 0
        while True:
            lot = registre.recorder.select_notifications(start=position + 1, limit=LOT_RECONSTRUCTION)
            if not lot:
                return n
            decoder(registre, lot)
            n += len(lot)
            position = lot[-1].id

    suiveurs = [Suiveur(registre, p(registre))
                for p in (ProjectionEcheances, ProjectionCotation, ProjectionStatistiques)]
    noms = ", ".join(s.projection.nom for s in suiveurs)
    processus = processus_par_defaut() if lus >= SEUIL_PROCESSUS else 1
    dire(f"(b) rebuilding {noms} with projections.reconstruction ({processus} processes)…")
    registre.coffre.oublier()
    s_vite, n_vite = chrono(reconstruire_vite, suiveurs, processus=processus, barre=barre)
    debit = n_vite / s_vite
    figures = [
        Figure(
            "b", f"rebuild every read model ({noms})", debit, "events/s", raw, "rows/s",
            "raw sequential read", objectif="≥ 0.33 × raw read", atteint=debit >= 0.33 * raw,
            note=f"{n_vite:,} events (every demand event; no read model wants the dwellings' "
            f"{lus - n_vite:,}) in {s_vite:.1f} s; projections.reconstruction.reconstruire_vite: demands "
            f"folded by id range in {processus} processes, statistics facts in log order meanwhile, "
            f"COPY, swap; raw read: {lus:,} rows in {s_brut:.2f} s (best of 3), psycopg server-side "
            "cursor, itersize 5000",
            details={"evenements": n_vite, "secondes": s_vite, "processus": processus,
                     "brut_lignes": lus, "brut_secondes": s_brut},
        )
    ]
    if lus <= SUIVEUR_JUSQUA:
        dire("(b) the same with the follower's rebuild (projections.suivi.reconstruire_ensemble)…")
        registre.coffre.oublier()
        s_ens, n_ens = chrono(reconstruire_ensemble, suiveurs, barre=barre)
        figures.append(Figure(
            "b", "  the follower's rebuild, one read (reconstruire_ensemble)", n_ens / s_ens, "events/s",
            raw, "rows/s", "raw sequential read",
            note=f"{s_ens:.1f} s: pages of {LOT_RECONSTRUCTION:,} in log order, one process; the fast "
            f"rebuild runs at {debit / (n_ens / s_ens):.2f} × this",
            details={"evenements": n_ens, "secondes": s_ens},
        ))
    figures.append(disque(h))
    if lus > SUIVEUR_JUSQUA:
        return figures
    registre.coffre.oublier()
    s_dec, decodes = chrono(lire_decoder)
    figures.append(Figure(
        "b", "  library read + ledger mapper alone (no read model)", decodes / s_dec, "events/s",
        raw, "rows/s", "raw sequential read",
        note=f"select_notifications pages of {LOT_RECONSTRUCTION:,} + LedgerMapper.depuis_ligne, "
        "keys loaded per page (projections.suivi.decoder), one process",
    ))
    return figures


def disque(h: Historique) -> Figure:
    """The log's and the read models' size on disk (tables, indexes, TOAST), as an informative
    line: bytes per event, and what a national log would weigh."""
    import psycopg

    with psycopg.connect(url_libpq(h.base)) as conn:
        tailles = dict(conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
            (h.schema,),
        ).fetchall())
        (n,) = conn.execute(f'SELECT count(*) FROM "{h.schema}".ledger_events').fetchone()  # type: ignore[misc]
    journal = tailles.get("ledger_events", 0)
    vues = sum(v for k, v in tailles.items() if k.startswith("vue_"))
    return Figure(
        "", "disk: the log, bytes per event", journal / max(n, 1), "B",
        note=f"ledger_events {journal / 1e9:.2f} GB for {n:,} events (heap, primary key, position "
        f"index); read models {vues / 1e9:.2f} GB; keys {tailles.get('ledger_cles_demandes', 0) / 1e6:.0f} MB",
        details={"octets_journal": journal, "octets_vues": vues, "evenements": n, "tables": tailles},
    )


# -- (c) -------------------------------------------------------------------------------------------


def figure_c(h: Historique) -> list[Figure]:
    from domain import horloge
    from projections.indicateurs import Periode, comparer
    from projections.journal import regenerer
    from projections.vue_statistiques import bilan_vue, suiveur_statistiques

    registre = h.registre
    s_brut, lus = h.brut()
    par_million_brut = s_brut / lus * 1e6
    annee = horloge.aujourdhui().year - 1
    periode = Periode.annee(annee)
    dire(f"(c) regenerating every indicator of {annee} from the raw log…")
    s, bilan = chrono(regenerer, registre.engine, registre.stockage, registre.territoire, periode)
    total = registre.position()
    par_million = s / total * 1e6
    # The columnar pass: the same indicators over the statistics read model, the decoded public
    # fields of the same events kept in SQL by the follower (brought up to date untimed).
    suiveur_statistiques(registre).suivre()
    s_vue, vue = min(
        (chrono(bilan_vue, registre.engine, registre.territoire, periode) for _ in range(3)),
        key=lambda r: r[0],
    )
    ecarts = comparer(bilan, vue)
    par_million_vue = s_vue / total * 1e6
    return [
        Figure(
            "c", f"every indicator of {annee} from the raw log", par_million, "s per M events",
            par_million_brut, "s per M", "raw sequential read", sens="moins",
            objectif="≤ 1 s per M events", atteint=par_million <= 1,
            note=f"{s:.2f} s over a log of {total:,} events ({bilan.evenements:,} decoded: the "
            "statistics' topics, their fields only); projections.journal.regenerer",
            details={"secondes": s, "evenements_log": total, "evenements_lus": bilan.evenements},
        ),
        Figure(
            "c", "  the same over the decoded public fields (statistics read model)", par_million_vue,
            "s per M events", par_million_brut, "s per M", "raw sequential read", sens="moins",
            objectif="≤ 1 s per M events, equal to the raw log's",
            atteint=par_million_vue <= 1 and not ecarts,
            note=f"{s_vue:.2f} s (best of 3) over the {vue.evenements:,} facts of the log's {total:,} "
            f"events; projections.vue_statistiques.bilan_vue; figures differing from the raw log's: "
            f"{len(ecarts)}",
            details={"secondes": s_vue, "faits": vue.evenements, "ecarts": [str(e) for e in ecarts[:10]]},
            erreurs=len(ecarts),
        ),
    ]
