"""Figures (h) and (i), the exchange with the national system and the partners:

  (h) importing N generated national files' demands (`adapters.sne.generation`, the project's
      household generator) through the domain, file to log (and again with the demands read
      and run by worker processes, `importer(processus=…)`), beside a raw COPY of the same
      encoded rows and the plain eventsourcing recorder saving the same stored events in the same
      transactions (`historique.copie_brute`, `historique.bibliotheque`); and the import's peak
      memory for N/10 and N demands, each in a process of its own, beside the same process
      importing an empty file;
  (i) the partner feed's latency, from a command's commit to a consumer long-polling `GET /flux`
      over HTTP (the API served in a child process), beside a plain `GET /flux` round trip.

    python -m adapters.banc.echange memoire URL FICHIER   # (h)'s child: prints its peak RSS in KiB
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from adapters.banc import DEMO, RACINE
from adapters.banc.historique import bibliotheque, copie_brute, lire_lignes
from adapters.banc.mesure import Figure, chrono, dire, ms
from adapters.banc.postgres import schema_neuf

ORGANISATION = "CANNES"


def _generer(chemin: Path, n: int, graine: int) -> None:
    from adapters.sne.generation import ecrire_fichier
    from adapters.territory_file import load_territory
    from domain import horloge

    with chemin.open("wb") as f:
        ecrire_fichier(f, load_territory(DEMO), n, horloge.aujourdhui(), graine)


def _importer(url: str, fichier: Path, barre: bool, phases: dict[str, float] | None = None, processus: int = 1):  # type: ignore[no-untyped-def]
    """(seconds of the import alone — the ledger opened beforehand, as a served one is —, report)."""
    from tqdm import tqdm

    from adapters.database import depuis_url
    from adapters.registre import Registre
    from adapters.sne.importation import importer
    from adapters.territory_file import load_territory

    registre = Registre(depuis_url(url), load_territory(DEMO))
    try:
        org = registre.territoire.organisation(ORGANISATION)
        with fichier.open("rb") as f, tqdm(
            total=fichier.stat().st_size, unit="B", unit_scale=True, desc="import", file=sys.stderr, disable=not barre
        ) as progres:
            return chrono(importer, registre, org, "banc", f, progression=progres.update, phases=phases, processus=processus)
    finally:
        registre.close()


def _analyser_seulement(fichier: Path) -> float:
    """Seconds to parse the file and check each demand against the schema — libxml2's work in C,
    no value read into Python: a floor under any import that checks the structure."""
    from lxml import etree

    from adapters.sne.schema import q, schema

    xsd = schema()
    t = time.perf_counter()
    for _, el in etree.iterparse(str(fichier), events=("end",), tag=q("demande"), huge_tree=True):
        xsd.validate(el)
        el.clear(keep_tail=True)
        parent = el.getparent()
        while parent is not None and el.getprevious() is not None:
            del parent[0]
    return time.perf_counter() - t


def figure_h(base: str, n: int, graine: int, barre: bool) -> list[Figure]:
    with TemporaryDirectory() as tmp:
        fichier = Path(tmp) / f"sne-{n}.xml"
        dire(f"(h) generating {n:,} national files' demands…")
        s_gen, _ = chrono(_generer, fichier, n, graine)
        taille = fichier.stat().st_size
        with schema_neuf(base, "sne") as (schema, url):
            dire(f"(h) importing {taille / 1e6:,.0f} MB through the domain…")
            phases: dict[str, float] = {}
            s, rapport = _importer(url, fichier, barre, phases)
            if not rapport.importe or rapport.erreurs_total:
                raise SystemExit(f"bench: the generated file did not import: {rapport.erreurs[:3]}")
            evenements = rapport.evenements
            dire("(h) raw COPY and the plain library on the same rows…")
            lignes = lire_lignes(base, schema)
            assert len(lignes) == evenements, (len(lignes), evenements)
            s_copie = copie_brute(base, schema, lignes)
            # The library's insert of one huge transaction (20,000 demands) runs for many minutes:
            # it saves the same rows 1,000 events per transaction, its usual batch.
            s_lib, transactions = bibliotheque(base, lignes, par_transaction=1000)
            octets = sum(len(x[4]) for x in lignes) / len(lignes)
        processus = max(2, os.cpu_count() or 1)
        with schema_neuf(base, "sne2") as (_, url):
            dire(f"(h) the same import, the demands read and run by {processus} worker processes…")
            phases_ateliers: dict[str, float] = {}
            s_ateliers, r_ateliers = _importer(url, fichier, barre, phases_ateliers, processus=processus)
            assert r_ateliers.importe and r_ateliers.evenements == evenements, r_ateliers.resume()
        s_analyse = min(_analyser_seulement(fichier) for _ in range(3))
        debit, copie, lib = evenements / s, evenements / s_copie, evenements / s_lib
        sans_lecture = s - phases["lecture"]
        dire("(h) peak memory, each size in a process of its own…")
        tailles = sorted({max(1, n // 10), n})
        memoires = {k: _memoire(base, Path(tmp), k, graine) for k in tailles}
        vide = _memoire(base, Path(tmp), 0, graine)
    figures = [
        Figure(
            "h", f"SNE import through the domain, file to log ({n:,} demands)", debit, "events/s",
            copie, "events/s", "raw COPY of the same rows (best of 3)",
            objectif="≥ 0.40 × raw COPY", atteint=debit >= 0.40 * copie,
            note=f"{evenements:,} events ({rapport.enregistrees:,} registrations, the rest the schedule's "
            f"notices due at the file's date), {octets:,.0f} bytes each, in {s:.1f} s: reading and "
            f"checking the XML {phases['lecture']:.1f} s, mapping and the domain {phases['domaine']:.1f} s, "
            f"encoding and encrypting {phases['encodage']:.1f} s, setting aside {phases['depot']:.1f} s, moving into the "
            f"log under its lock {phases['versement']:.1f} s; the file ({taille / 1e6:,.0f} MB) "
            f"generated in {s_gen:.0f} s, not counted",
            details={"evenements": evenements, "secondes": s, "phases": phases, "copie_secondes": s_copie,
                     "octets_par_evenement": octets},
        ),
        Figure(
            "h", "  the same without reading the XML (domain, encryption, COPY)", evenements / sans_lecture,
            "events/s", copie, "events/s", "raw COPY",
            objectif="≥ 0.40 × raw COPY", atteint=evenements / sans_lecture >= 0.40 * copie,
            note="the import's own time less its reading and checking of the file (one process, "
            "one thread: the phases add up)",
        ),
        Figure(
            "h", f"  the same, {processus} worker processes", evenements / s_ateliers,
            "events/s", copie, "events/s", "raw COPY",
            objectif="≥ 0.40 × raw COPY", atteint=evenements / s_ateliers >= 0.40 * copie,
            note=f"importer(processus={processus}), into a fresh schema: {s_ateliers:.1f} s; the import's "
            f"process reading the file's structure {phases_ateliers['lecture']:.1f} s and setting aside "
            f"{phases_ateliers['depot']:.1f} s, the workers' domain {phases_ateliers['domaine']:.1f} s and "
            f"encoding {phases_ateliers['encodage']:.1f} s (CPU seconds added up over the workers), moving "
            f"into the log {phases_ateliers['versement']:.1f} s, on {os.cpu_count()} core(s) shared with "
            "PostgreSQL",
        ),
        Figure(
            "h", "  its last step alone: the encoded rows moved into the log under its lock", evenements / phases["versement"],
            "events/s", copie, "events/s", "raw COPY",
            note="Depot.verser: INSERT … SELECT from the import's staging tables, in order, under the "
            "library's table lock, with the demands' keys, 20,000 demands per transaction",
        ),
        Figure(
            "h", "  a floor: the file parsed and checked against the schema, nothing more", evenements / s_analyse,
            "events/s", copie, "events/s", "raw COPY",
            note=f"lxml's iterparse and XMLSchema.validate over each demand, in C, no value read into Python, "
            f"nothing run, encoded or written (best of 3): {s_analyse:.1f} s — what any import that checks the "
            "file's structure spends before anything else",
        ),
        Figure(
            "h", "  plain eventsourcing recorder, same stored events", lib, "events/s", copie, "events/s",
            "raw COPY",
            note=f"{transactions:,} transactions of 1,000 events; the import runs at "
            f"{debit / lib:.2f} × this",
        ),
    ]
    for k, kib in memoires.items():
        figures.append(
            Figure(
                "h", f"  peak memory importing {k:,} demands", kib / 1024, "MiB", vide / 1024, "MiB",
                "the same process importing an empty file", sens="moins",
                note="VmHWM of a process of its own: the ledger opened, the file streamed",
            )
        )
    if len(memoires) == 2:
        petit, grand = (memoires[k] for k in tailles)
        figures[-1].objectif = "bounded: ≤ 1.25 × the peak at a tenth of the size"
        figures[-1].atteint = grand <= 1.25 * petit
    return figures


def _memoire(base: str, dossier: Path, n: int, graine: int) -> int:
    fichier = dossier / f"memoire-{n}.xml"
    _generer(fichier, n, graine + n)
    with schema_neuf(base, "mem") as (_, url):
        sortie = subprocess.run(
            [sys.executable, "-m", "adapters.banc.echange", "memoire", url, str(fichier)],
            check=True, capture_output=True, text=True, cwd=RACINE,
        )
    fichier.unlink()
    return int(sortie.stdout.strip().splitlines()[-1])


def memoire(url: str, fichier: Path) -> int:
    """In the child: import the file, print the process's peak resident memory (KiB): VmHWM, the
    high-water mark of this program's own memory (ru_maxrss would carry the parent's across the
    fork and exec that started it)."""
    _importer(url, fichier, barre=False)
    for ligne in Path("/proc/self/status").read_text().splitlines():
        if ligne.startswith("VmHWM:"):
            return int(ligne.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# -- (i) -------------------------------------------------------------------------------------------


def figure_i(base: str, n: int, graine: int) -> list[Figure]:
    import httpx

    from adapters.banc.serveur import serveur
    from adapters.database import depuis_url
    from adapters.registre import Registre
    from adapters.sne.correspondance import commandes
    from adapters.sne.generation import demandes
    from adapters.territory_file import load_territory
    from domain import horloge
    from domain.codes import Canal

    with schema_neuf(base, "flux") as (_, url):
        registre = Registre(depuis_url(url), load_territory(DEMO))
        try:
            org = registre.territoire.organisation(ORGANISATION)
            jour = horloge.aujourdhui()
            a_ecrire = [commandes(d, jour, None)[0] for d in demandes(registre.territoire, n + 1, jour, graine)]
            registre.executer(org, "banc", a_ecrire.pop(), canal=Canal.import_)  # the feed is not empty
            with serveur(url) as adresse:
                entetes = {"Authorization": "Bearer demo-cil-cacpl-1"}
                with httpx.Client(base_url=adresse, headers=entetes, timeout=60) as client:
                    rondes = []
                    for _ in range(100):
                        t, _r = chrono(client.get, "/flux", params={"apres": 0, "limite": 1})
                        rondes.append(t)
                commits: dict[int, float] = {}
                recus: dict[int, float] = {}
                fin = threading.Event()

                def consommer() -> None:
                    apres = registre.position()
                    with httpx.Client(base_url=adresse, headers=entetes, timeout=60) as c:
                        while not (fin.is_set() and len(recus) >= n):
                            p = c.get("/flux", params={"apres": apres, "attente": 30}).json()
                            t = time.perf_counter()
                            for e in p["evenements"]:
                                recus[e["position"]] = t
                            apres = p["suivant"]

                fil = threading.Thread(target=consommer, daemon=True)
                fil.start()
                time.sleep(0.5)
                dire(f"(i) {n} commands, one every 50 ms, followed by a long-polling consumer…")
                for cmd in a_ecrire:
                    r = registre.executer(org, "banc", cmd, canal=Canal.import_)
                    assert r.position is not None
                    commits[r.position] = time.perf_counter()
                    time.sleep(0.05)
                fin.set()
                fil.join(timeout=60)
        finally:
            registre.close()
    latences = [recus[p] - t for p, t in commits.items() if p in recus]
    perdus = len(commits) - len(latences)
    return [
        Figure(
            "i", "feed latency, commit to a long-polling consumer, p50", ms(latences, 0.5), "ms",
            ms(rondes, 0.5), "ms", "a plain GET /flux round trip, p50", sens="moins",
            objectif="a new event seen within a second", atteint=ms(latences, 0.95) < 1000 and not perdus,
            erreurs=perdus,
            note=f"{len(latences)} events, one command every 50 ms through Registre.executer in the "
            "bench's process; the consumer long-polls the API served in a child process "
            "(LISTEN/NOTIFY wakes it); an auditeur's token (personal data left out)",
        ),
        Figure(
            "i", "  the same, p95", ms(latences, 0.95), "ms", ms(rondes, 0.95), "ms",
            "a plain GET /flux round trip, p95", sens="moins",
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "memoire":
        print(memoire(sys.argv[2], Path(sys.argv[3])))
    else:
        raise SystemExit(__doc__)

