"""Importing a national exchange file (SNE interfaceNuu) through the domain, at bulk speed.

The file is read as a stream (`lecture`), a batch of demands at a time: each demand is checked
against the structure and read, and the batch goes through the domain (`traitement`: mapped to
the ledger's commands, the same handlers as any command, every event typed and its personal data
encrypted) — in this process, or in worker processes (`ateliers`) while this one reads on.
Whatever is refused is an error with its line, element and why. The batches are received in the
file's order (a numéro unique already met is refused), their events set aside
(`ajout_massif.Depot`), and memory is freed.

At the end of the file: with errors and without `partiel`, nothing is appended and the report
lists them all; else every demand that passed is moved into the log under the log's lock, in
order, many demands per transaction (`Depot.verser`). Re-importing the same file appends
nothing; an import interrupted while moving (a crash, a demand changed meanwhile) is completed
by running it again.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import RecordConflictError

from adapters.ajout_massif import Depot
from adapters.registre import Registre
from adapters.sne.ateliers import Ateliers
from adapters.sne.lecture import DemandeLue, FichierIllisible, Lecture, en_octets
from adapters.sne.schema import ErreurSNE
from adapters.sne.traitement import (
    ENREGISTREE,
    INCHANGEE,
    MODIFIEE,
    REFUSEE,
    Traitement,
    sans_jour,
    traiter,
)
from domain.territoire import Organisation

T = TypeVar("T")
TAILLE_LOT = 1000  # demands read, checked and set aside together
MAX_ERREURS = 10_000  # errors kept in the report (all are counted, and told to `sur_erreur`)
# Bytes of file from which worker processes pay for their start (~1 s) and for sharing the cores:
# on 2 cores they lost at 21 MB and won a little at 42 MB (docs/sne.md).
ATELIERS_DES = 64_000_000
ATELIERS_MAX = 8  # by default: each worker holds ~90 MiB and up to three database connections


def processus_pour(octets: int) -> int:
    """The processes an import of a file of that size runs on by default: one per core (at most
    ATELIERS_MAX) for a large file, else only its own."""
    return min(max(1, os.cpu_count() or 1), ATELIERS_MAX) if octets >= ATELIERS_DES else 1


class RapportImport(msgspec.Struct, kw_only=True):
    """What an import did: demands read, what they became, the events appended (none when the
    file was refused), and every error with its line, element and why."""

    importe: bool  # anything appended, or the file taken whole with nothing to append
    partiel: bool
    date_fichier: datetime | None = None
    demandes: int = 0
    enregistrees: int = 0
    modifiees: int = 0
    inchangees: int = 0
    refusees: int = 0
    evenements: int = 0
    position: int | None = None  # the last notification id written, for read-your-writes
    erreurs_total: int = 0
    erreurs: list[ErreurSNE] = []

    def resume(self) -> str:
        if not self.importe:
            return (
                f"file refused: {self.erreurs_total} error(s) in {self.demandes} demand(s) read; "
                "nothing appended (--partiel imports the valid demands)"
            )
        texte = (
            f"{self.demandes} demand(s) read: {self.enregistrees} registered, {self.modifiees} "
            f"modified, {self.inchangees} unchanged, {self.refusees} refused; {self.evenements} "
            "event(s) appended"
        )
        return texte + (f"; last position {self.position}" if self.position else "")


class _Compteur:
    """A file object that counts the bytes read, for a progress bar."""

    def __init__(self, source: IO[bytes], progression: Callable[[int], None] | None) -> None:
        self.source = source
        self.progression = progression

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        if self.progression is not None and data:
            self.progression(len(data))
        return data


def importer(
    registre: Registre,
    organisation: Organisation,
    agent: str,
    source: IO[bytes],
    *,
    partiel: bool = False,
    taille_lot: int = TAILLE_LOT,
    progression: Callable[[int], None] | None = None,
    sur_erreur: Callable[[ErreurSNE], None] | None = None,
    phases: dict[str, float] | None = None,
    processus: int = 1,
    progression_versement: Callable[[int, int], None] | None = None,
) -> RapportImport:
    """`processus` > 1: the demands read and run through the domain by that many worker
    processes (`ateliers`), this one reading the file's structure and setting aside what they
    send back, in order (docs/sne.md: worth it for a large file, with cores to spare).
    `phases`, if given, gets the seconds spent reading the file, in the domain (mapping and
    commands), encoding, setting aside and moving into the log — with workers, reading is this
    process's reading of the file's structure, and the domain and encoding are the workers',
    added up (the benchmark's breakdown). `progression` is told the bytes read as the file is read;
    `progression_versement` (demands moved into the log, of how many) once it has been found clean
    and while it is moved."""
    if processus < 1:
        raise ValueError(f"processus: at least 1 process, got {processus}")
    rapport = RapportImport(importe=False, partiel=partiel)
    ph = phases if phases is not None else {}
    for k in ("lecture", "domaine", "encodage", "depot", "versement"):
        ph.setdefault(k, 0.0)

    def erreur(e: ErreurSNE) -> None:
        rapport.erreurs_total += 1
        if len(rapport.erreurs) < MAX_ERREURS:
            rapport.erreurs.append(e)
        if sur_erreur is not None:
            sur_erreur(e)

    lecture = Lecture(_Compteur(source, progression))  # type: ignore[arg-type]
    du_fichier = 0  # errors of the file itself (its root, its header, not well-formed XML)

    def du_lot() -> None:
        nonlocal du_fichier
        du_fichier += len(lecture.erreurs)
        for e in lecture.erreurs:
            erreur(e)
        lecture.erreurs.clear()

    def jour() -> date | None:
        return lecture.entete.date_fichier.date() if lecture.entete else None

    with Depot(registre) as depot, ramasse_miettes_espace():
        travail = _Import(depot, rapport, erreur, ph)
        try:
            if processus == 1:
                for lues in _par_lots(lecture.demandes(), taille_lot, ph):
                    du_lot()
                    travail.recevoir(_traiter_ici(registre, organisation, agent, lues, jour()))
            else:
                with Ateliers(registre.stockage, registre.territoire, organisation, agent, processus) as ateliers:
                    try:
                        for elements in _par_lots(lecture.elements(en_octets), max(1, taille_lot // processus), ph):
                            du_lot()
                            for fait in ateliers.confier(elements, jour()):
                                travail.recevoir(fait)
                    except FichierIllisible:
                        # What was handed over before the file turned out unreadable is told
                        # too, as the import's process alone would have told it.
                        for fait in ateliers.reste():
                            travail.recevoir(fait)
                        raise
                    for fait in ateliers.reste():
                        travail.recevoir(fait)
            du_lot()
        except FichierIllisible as e:
            du_lot()
            erreur(e.erreur)
            return rapport
        rapport.date_fichier = lecture.entete.date_fichier if lecture.entete else None
        # A file's own errors refuse it whole, even with `partiel`: there is no telling what its
        # demands mean.
        if du_fichier or lecture.entete is None or (rapport.erreurs_total and not partiel):
            return rapport
        try:
            t = time.perf_counter()
            rapport.position = depot.verser(progression=progression_versement)
            ph["versement"] += time.perf_counter() - t
        except RecordConflictError:
            erreur(
                ErreurSNE(
                    0,
                    "(ledger)",
                    "a demand of the file was changed by another writer while importing: part of "
                    "the file may be appended; run the import again to complete it (it appends "
                    "only what is missing)",
                )
            )
            return rapport
        rapport.evenements = depot.evenements
        rapport.importe = True
    return rapport


def _par_lots(elements: Iterator[T], taille: int, phases: dict[str, float]) -> Iterator[list[T]]:
    """The file's demands `taille` at a time; the time spent reading them goes to `lecture`.
    A file found unreadable part-way still hands over the demands read before the fault, so
    that what is wrong with them is told whatever the batches' size."""
    lot: list[T] = []
    t = time.perf_counter()
    try:
        for x in elements:
            lot.append(x)
            if len(lot) >= taille:
                phases["lecture"] += time.perf_counter() - t
                yield lot
                lot = []
                t = time.perf_counter()
    except FichierIllisible:
        if lot:
            yield lot
        raise
    phases["lecture"] += time.perf_counter() - t
    if lot:
        yield lot


def _traiter_ici(
    registre: Registre, organisation: Organisation, agent: str, lues: list[DemandeLue], jour: date | None
) -> Traitement:
    return traiter(registre, organisation, agent, lues, jour) if jour is not None else sans_jour(lues)


class _Import:
    """The batches received in the file's order: a numéro unique met in an earlier batch is
    refused, the rest counted and set aside."""

    def __init__(
        self, depot: Depot, rapport: RapportImport, erreur: Callable[[ErreurSNE], None], phases: dict[str, float]
    ) -> None:
        self.depot = depot
        self.rapport = rapport
        self.erreur = erreur
        self.phases = phases
        self.connues_vues: dict[UUID, int] = {}  # demands already in the log, met in this file

    def recevoir(self, fait: Traitement) -> None:
        t = time.perf_counter()
        r = self.rapport
        r.demandes += len(fait.issues)
        self.phases["domaine"] += fait.secondes[0]
        self.phases["encodage"] += fait.secondes[1]
        nouvelles = [i.ident for i in fait.issues if i.ident is not None and not i.connue]
        deja = self.depot.deja(nouvelles)  # set aside by an earlier batch
        # Met in an earlier batch, and on which line: what this batch made of it is dropped.
        ailleurs: dict[UUID, int] = {}
        for i in fait.issues:
            avant = None
            if i.ident is not None:
                avant = ailleurs.get(i.ident) or deja.get(i.ident) or self.connues_vues.get(i.ident)
                if avant is not None:
                    ailleurs[i.ident] = avant
            avant = avant or i.doublon  # else an earlier line of this batch
            if avant is not None:
                i.etat = REFUSEE
                i.erreurs = [
                    ErreurSNE(
                        i.ligne,
                        "demande/demandeLogement/numUnique",
                        f"this numéro unique is already in this file, line {avant}",
                        i.numero_unique,
                    )
                ]
            elif i.connue and i.ident is not None:
                self.connues_vues[i.ident] = i.ligne
            if i.etat == REFUSEE:
                r.refusees += 1
                for e in i.erreurs:
                    self.erreur(e)
            elif i.etat == ENREGISTREE:
                r.enregistrees += 1
            elif i.etat == MODIFIEE:
                r.modifiees += 1
            elif i.etat == INCHANGEE:
                r.inchangees += 1
        groupes = [
            (g.evenements, (g.ident, g.cle, g.ligne) if g.cle is not None else None)
            for g in fait.groupes
            if g.ident not in ailleurs
        ]
        if groupes:
            self.depot.deposer(groupes)
        self.phases["depot"] += time.perf_counter() - t


@contextmanager
def ramasse_miettes_espace() -> Iterator[None]:
    """Python's cycle collector run less often while a file is imported: a batch holds a
    thousand demands' objects alive, and at the default thresholds the collector walked them
    hundreds of times per 5,000 demands, 12 % of the import's CPU (measured with gc.callbacks).
    It still runs (memory stays bounded), every 50,000 allocations rather than 700."""
    avant = gc.get_threshold()
    gc.set_threshold(max(avant[0], 50_000), max(avant[1], 50), max(avant[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*avant)


def importer_fichier(
    registre: Registre, organisation: Organisation, agent: str, chemin: Any, **kw: Any
) -> RapportImport:
    with open(chemin, "rb") as f:
        return importer(registre, organisation, agent, f, **kw)
