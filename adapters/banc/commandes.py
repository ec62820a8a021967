"""Figure (g): commands per second through the ledger, beside the plain eventsourcing library's
save rate on the same PostgreSQL, each at the same concurrency:

  - the baseline: a minimal eventsourcing Aggregate (one event) saved by an Application, one
    aggregate per transaction, from 1 thread and from `clients` threads;
  - the HTTP API served by uvicorn (`serveur`), 1 client and `clients` concurrent clients (threads,
    each an httpx.Client with keep-alive, each on its own demands): a mix of registration,
    modification and renewal (with If-Match);
  - the same mix through `Registre.executer` in-process, 1 thread (the cost without HTTP).

Commands are dated 90, 60 and 30 days before today, so that nothing is in the future for the
server, which runs on the real clock.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from adapters.banc import DEMO, GUICHETS
from adapters.banc.mesure import Figure, dire, ms
from adapters.banc.postgres import compter, schema_neuf
from adapters.banc.serveur import serveur

# -- payloads --------------------------------------------------------------------------------------


def jours() -> tuple[date, date, date]:
    """Registration, modification, renewal."""
    from domain import horloge

    a = horloge.aujourdhui()
    return a - timedelta(days=90), a - timedelta(days=60), a - timedelta(days=30)


def corps_enregistrement(i: int, jour: date) -> dict[str, Any]:
    return {
        "occurred_on": jour.isoformat(),
        "membres": [
            {
                "id": "m1",
                "role": "demandeur",
                "contrat": "CDI",
                "ressources": [{"code": "SAL", "montant_mensuel": str(1000 + i % 900)}],
                "commune_travail": "06029",
            },
            {"id": "m2", "role": "personne_a_charge"},
        ],
        "logement_actuel": {"modele": "LP", "commune": "06030", "pieces": 2, "occupants": 2},
        "souhaits": {"communes": ["06029", "06030"], "typologies": ["T2", "T3"]},
        "personnel": {
            "identites": [
                {"membre": "m1", "nom": f"Bench{i}", "prenom": "Alex", "date_naissance": "1988-04-12"},
                {"membre": "m2", "nom": f"Bench{i}", "prenom": "Sam", "date_naissance": "2015-06-30"},
            ],
            "email": f"bench{i}@example.org",
        },
    }


def corps_modification(jour: date) -> dict[str, Any]:
    return {
        "occurred_on": jour.isoformat(),
        "souhaits": {"communes": ["06030", "06029", "06085"], "typologies": ["T3"]},
        "situations": ["changement_lieu_travail"],
    }


def corps_renouvellement(jour: date) -> dict[str, Any]:
    return {"occurred_on": jour.isoformat()}


# -- measuring -------------------------------------------------------------------------------------


@dataclass
class Mesure:
    n: int
    secondes: float
    erreurs: int = 0
    latences: list[float] = field(default_factory=list)

    @property
    def debit(self) -> float:
        return (self.n - self.erreurs) / self.secondes if self.secondes else 0.0

    def resume(self) -> str:
        return f"p50 {ms(self.latences, 0.5):.1f} ms, p95 {ms(self.latences, 0.95):.1f} ms, {self.n:,} ops"


Travail = Callable[[int, int, Callable[[], None]], tuple[int, list[float]]]


def en_parallele(desc: str, n: int, concurrence: int, travail: Travail, barre: bool) -> Mesure:
    """Run `travail(fil, part, avance)` in `concurrence` threads sharing `n` operations, started
    together; each returns (errors, latencies); `avance()` ticks the progress bar."""
    from tqdm import tqdm

    parts = [n // concurrence + (1 if c < n % concurrence else 0) for c in range(concurrence)]
    verrou = threading.Lock()
    depart = threading.Barrier(concurrence + 1)
    resultats: list[Any] = [None] * concurrence
    progres = tqdm(total=n, desc=desc, leave=False, file=sys.stderr, disable=not barre)

    def avance() -> None:
        with verrou:
            progres.update(1)

    def fil(c: int) -> None:
        depart.wait()
        try:
            resultats[c] = travail(c, parts[c], avance)
        except BaseException as e:
            resultats[c] = e

    fils = [threading.Thread(target=fil, args=(c,), daemon=True) for c in range(concurrence)]
    for f in fils:
        f.start()
    depart.wait()
    t0 = time.perf_counter()
    for f in fils:
        f.join()
    secondes = time.perf_counter() - t0
    progres.close()
    for r in resultats:
        if isinstance(r, BaseException):
            raise r
    return Mesure(n, secondes, sum(r[0] for r in resultats), [x for r in resultats for x in r[1]])


# -- baseline: the plain eventsourcing library -----------------------------------------------------


class Point(Aggregate):
    """A minimal aggregate: its one event is its creation."""


class Bench(Application[uuid.UUID]):
    name = "Bench"  # on PostgreSQL, its events table is bench_events


def sauvegardes(base: str, n: int, concurrence: int, barre: bool) -> Mesure:
    from adapters.database import depuis_url

    with schema_neuf(base, "es") as (schema, url):
        app = Bench(env=depuis_url(url).env_bibliotheque)
        try:
            app.save(Point())  # warm-up: the table and the pool exist before the clock starts

            def travail(_c: int, part: int, avance: Callable[[], None]) -> tuple[int, list[float]]:
                lat = []
                for _ in range(part):
                    t = time.perf_counter()
                    app.save(Point())
                    lat.append(time.perf_counter() - t)
                    avance()
                return 0, lat

            m = en_parallele(f"eventsourcing save, {concurrence} thread(s)", n, concurrence, travail, barre)
            assert compter(base, schema, "bench_events") == n + 1, "the baseline lost saves"
            return m
        finally:
            app.close()


# -- the ledger in-process and over HTTP ---------------------------------------------------------


def en_processus(base: str, n: int, barre: bool) -> Mesure:
    import msgspec

    from adapters.database import depuis_url
    from adapters.registre import Registre
    from adapters.territory_file import load_territory
    from domain import commandes as c

    j = jours()
    territoire = load_territory(DEMO)
    orgs = [territoire.organisation(code) for code in GUICHETS]
    with schema_neuf(base, "reg") as (_, url):
        registre = Registre(depuis_url(url), territoire, pool_size=4)
        try:

            def travail(_c: int, part: int, avance: Callable[[], None]) -> tuple[int, list[float]]:
                erreurs, lat, numero, version = 0, [], None, None
                for k in range(part):
                    org = orgs[(k // 3) % len(orgs)]
                    agent = org.agents[0].identifiant
                    t = time.perf_counter()
                    try:
                        if k % 3 == 0:
                            cmd = msgspec.convert(corps_enregistrement(k, j[0]), c.Enregistrer)
                            r = registre.executer(org, agent, cmd)
                        else:
                            cmd = (msgspec.convert(corps_modification(j[1]), c.Modifier) if k % 3 == 1
                                   else msgspec.convert(corps_renouvellement(j[2]), c.Renouveler))
                            r = registre.executer(org, agent, cmd, numero_unique=numero,
                                                  version_attendue=version)
                        numero, version = r.numero_unique, r.version
                    except Exception:
                        erreurs += 1
                    lat.append(time.perf_counter() - t)
                    avance()
                return erreurs, lat

            return en_parallele("Registre.executer, 1 thread", n, 1, travail, barre)
        finally:
            registre.close()


def par_http(adresse: str, n: int, concurrence: int, jetons: list[str], decalage: int, barre: bool) -> Mesure:
    import httpx

    j = jours()

    def travail(c: int, part: int, avance: Callable[[], None]) -> tuple[int, list[float]]:
        erreurs, lat = 0, []
        numero, etag = None, None
        entetes = {"Authorization": f"Bearer {jetons[c % len(jetons)]}"}
        with httpx.Client(base_url=adresse, headers=entetes, timeout=60) as client:
            for k in range(part):
                i = decalage + c * 1_000_000 + k
                t = time.perf_counter()
                r = None
                if k % 3 == 0:
                    r = client.post("/demandes", json=corps_enregistrement(i, j[0]))
                    ok = r.status_code == 201
                elif numero is None:
                    ok = False
                else:
                    segment, corps = (("modifications", corps_modification(j[1])) if k % 3 == 1
                                      else ("renouvellements", corps_renouvellement(j[2])))
                    r = client.post(f"/demandes/{numero}/{segment}", json=corps,
                                    headers={"If-Match": etag or "*"})
                    ok = r.status_code == 200
                lat.append(time.perf_counter() - t)
                if ok and r is not None:
                    etag = r.headers["ETag"]
                    numero = r.json()["numero_unique"]
                else:
                    erreurs += 1
                    if erreurs <= 3 and r is not None:
                        dire(f"HTTP {r.status_code}: {r.text[:300]}")
                avance()
        return erreurs, lat

    return en_parallele(f"HTTP API, {concurrence} client(s)", n, concurrence, travail, barre)


def figure_g(base: str, n: int, clients: int, barre: bool) -> list[Figure]:
    from importlib.metadata import version

    from adapters.territory_file import load_territory

    territoire = load_territory(DEMO)
    jetons = [territoire.organisation(code).agents[0].jeton for code in GUICHETS]
    dire(f"(g) {n:,} saves, then {n:,} commands per run, 1 and {clients} at a time…")
    es1 = sauvegardes(base, n, 1, barre)
    esn = sauvegardes(base, n, clients, barre) if clients > 1 else None
    proc = en_processus(base, n, barre)
    with schema_neuf(base, "api") as (schema, url), serveur(url) as adresse:
        par_http(adresse, min(60, n), clients, jetons, 9_000_000, barre)  # warm-up, not counted
        avant = compter(base, schema, "ledger_events")
        http1 = par_http(adresse, n, 1, jetons, 0, barre)
        httpn = par_http(adresse, n, clients, jetons, 10_000_000, barre) if clients > 1 else None
        ajoutes = compter(base, schema, "ledger_events") - avant
    attendus = sum(m.n - m.erreurs for m in (http1, httpn) if m)
    perdus = abs(ajoutes - attendus)
    lib = f"eventsourcing {version('eventsourcing')} Application.save of one new Aggregate (one event)"
    out = [
        Figure(
            "g", "commands over HTTP, 1 client", http1.debit, "commands/s", es1.debit, "saves/s",
            "eventsourcing save, 1 thread", erreurs=http1.erreurs + perdus,
            note=f"{http1.resume()}; baseline {es1.resume()}; uvicorn {version('uvicorn')} 1 worker, "
            "httpx keep-alive; registration, modification, renewal (If-Match) per demand; events "
            f"appended by the timed HTTP runs: {ajoutes:,} (expected {attendus:,}); {http1.erreurs} errors",
            details={"latences_ms": [ms(http1.latences, 0.5), ms(http1.latences, 0.95)]},
        ),
    ]
    if httpn is not None and esn is not None:
        out.append(Figure(
            "g", f"  the same, {clients} clients", httpn.debit, "commands/s", esn.debit, "saves/s",
            f"eventsourcing save, {clients} threads", erreurs=httpn.erreurs,
            note=f"{httpn.resume()}; baseline {esn.resume()}; {httpn.erreurs} errors",
            details={"latences_ms": [ms(httpn.latences, 0.5), ms(httpn.latences, 0.95)]},
        ))
    out.append(Figure(
        "g", "  Registre.executer in-process, 1 thread", proc.debit, "commands/s", es1.debit, "saves/s",
        "eventsourcing save, 1 thread", erreurs=proc.erreurs,
        note=f"{proc.resume()}; the same mix, no HTTP; baseline: {lib} per transaction",
    ))
    return out
