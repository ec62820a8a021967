"""(l) the hash chain's cost on append, (m) `ledger verifier-integrite` beside the raw read
(docs/integrity.md, docs/benchmarks.md).

(l) appends the same stored events, the same number per transaction, into two fresh ledgers of
the same run: one with the chain (as every ledger is), one with the chain's trigger dropped —
through the library's save (5 events a transaction, as one command) and through the bulk COPY
path (`adapters/ajout_massif.py`, 5,000 a transaction); each the best of `essais` runs.
(m) verifies a chained log of `--verification` events (`adapters.chaine.verifier`, what the
command runs) beside the raw sequential read of the same log, both in seconds per million
events; and builds the Merkle tree a checkpoint needs from a cold start.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from adapters.banc import DEMO
from adapters.banc.mesure import Figure, chrono, dire
from adapters.banc.postgres import lecture_brute, schema_neuf

PAR_COMMANDE = 5
PAR_COPIE = 5000


def _evenements(n: int, modeles: list[tuple[str, bytes]]) -> list[Any]:
    from eventsourcing.persistence import StoredEvent

    out = []
    for i in range(n):
        if i % PAR_COMMANDE == 0:
            oid = uuid.uuid4()
        topic, state = modeles[i % len(modeles)]
        out.append(StoredEvent(originator_id=oid, originator_version=i % PAR_COMMANDE + 1, topic=topic, state=state))
    return out


def _registre(url: str, chaine: bool) -> Any:
    from adapters.database import depuis_url
    from adapters.registre import Registre
    from adapters.territory_file import load_territory

    r = Registre(depuis_url(url), load_territory(DEMO), pool_size=2)
    if not chaine:
        schema = r.stockage.schema
        with r.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TRIGGER ledger_events_chaine ON "{schema}".ledger_events')
    return r


def _ajouter(base: str, evenements: list[Any], chaine: bool, bulk: bool) -> float:
    from adapters import ajout_massif

    with schema_neuf(base, "chaine") as (_, url):
        r = _registre(url, chaine)
        try:
            taille = PAR_COPIE if bulk else PAR_COMMANDE
            lots = [evenements[k : k + taille] for k in range(0, len(evenements), taille)]
            if bulk:
                s, _ = chrono(lambda: [ajout_massif.ajouter(r, lot) for lot in lots])
            else:
                s, _ = chrono(lambda: [r.recorder.insert_events(lot) for lot in lots])
            assert r.position() == len(evenements)
        finally:
            r.close()
    return s


def _modeles_reels(base: str) -> list[tuple[str, bytes]]:
    """A few demands registered through the domain and their stored events read back."""
    from datetime import date

    from adapters.registre import Lot
    from domain import commandes as c
    from domain.codes import RoleMembre, Typologie
    from domain.foyer import Membre, Souhaits

    with schema_neuf(base, "modeles") as (_, url):
        r = _registre(url, True)
        try:
            org = r.territoire.organisation("CANNES")
            lot = Lot(r)
            for _ in range(20):
                res = lot.executer(org, "banc", c.Enregistrer(
                    occurred_on=date(2026, 3, 2),
                    membres=(Membre(id="m1", role=RoleMembre.demandeur),),
                    souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
                ))
                lot.executer(org, "banc", c.Renouveler(occurred_on=date(2026, 4, 1)), res.numero_unique)
            lot.sauver()
            return [(n.topic, bytes(n.state)) for n in r.notifications(0, 1000)]
        finally:
            r.close()


def figure_l(base: str, n: int, essais: int = 3) -> list[Figure]:
    dire(f"(l) appending {n:,} events with and without the chain, best of {essais}…")
    evenements = _evenements(n, _modeles_reels(base))
    figures = []
    for bulk, quoi in ((False, f"library save, {PAR_COMMANDE} events a transaction"),
                       (True, f"bulk COPY path, {PAR_COPIE:,} events a transaction")):
        avec: list[float] = []
        sans: list[float] = []
        for _ in range(essais):  # alternated, so that both see the same disturbances
            sans.append(_ajouter(base, evenements, False, bulk))
            avec.append(_ajouter(base, evenements, True, bulk))
        figures.append(Figure(
            "l", f"append with the hash chain ({quoi})", n / min(avec), "events/s", n / min(sans), "events/s",
            "the same appends, chain trigger dropped",
            note=f"{n:,} events; best of {essais}: {min(avec):.2f} s chained, {min(sans):.2f} s unchained",
            details={"evenements": n, "secondes_avec": avec, "secondes_sans": sans},
        ))
    return figures


def figure_m(base: str, n: int, essais: int = 3) -> list[Figure]:
    from adapters import ajout_massif, chaine
    from adapters.integrite import Integrite

    dire(f"(m) a chained log of {n:,} events, then verifier-integrite beside the raw read…")
    modeles = _modeles_reels(base)
    with schema_neuf(base, "verif") as (schema, url):
        r = _registre(url, True)
        try:
            for k in range(0, n, PAR_COPIE):  # made a batch at a time: memory stays flat
                ajout_massif.ajouter(r, _evenements(min(PAR_COPIE, n - k), modeles))
            brut, lues = lecture_brute(base, schema, essais)
            assert lues == n
            mesures: list[float] = []
            for _ in range(essais):
                s, bilan = chrono(chaine.verifier, r.stockage, r.engine)
                assert bilan.anomalie is None and bilan.evenements == n, bilan
                mesures.append(s)
            arbre: Callable[[], int] = lambda: Integrite(r.stockage, r.engine, "banc").actualiser()  # noqa: E731
            t = time.perf_counter()
            assert arbre() == n
            s_arbre = time.perf_counter() - t
        finally:
            r.close()
    par_million = 1_000_000 / n
    return [
        Figure(
            "m", "verifier-integrite, per million events", min(mesures) * par_million, "s",
            brut * par_million, "s", "raw sequential read of the same log", sens="moins",
            note=f"{n:,} events; best of {essais}: {min(mesures):.2f} s (reads events and chain, "
            f"recomputes every SHA-256) beside {brut:.2f} s raw",
            details={"evenements": n, "secondes": mesures, "brut_secondes": brut},
        ),
        Figure(
            "m", "  Merkle tree from cold (first checkpoint), per million", s_arbre * par_million, "s",
            brut * par_million, "s", "raw sequential read", sens="moins",
            note=f"reads the chain and hashes 2 nodes per event: {s_arbre:.2f} s for {n:,}",
        ),
    ]
