"""Importing a national exchange file (SNE interfaceNuu) through the domain, at bulk speed.

The file is read as a stream (`lecture`), a batch of demands at a time: each demand is checked
against the structure and read, mapped to the ledger's commands (`correspondance`: a new demand
registers, a known one appends what differs, an unchanged one appends nothing), and the commands
go through the same handlers as any command (`adapters.registre.Lot`: permissions, every
precondition, the schedule's catch-up, every event typed and its personal data encrypted under
the demand's new key). Whatever is refused is an error with its line, element and why. The
batch's events are encoded and set aside (`ajout_massif.Depot`), and memory is freed.

At the end of the file: with errors and without `partiel`, nothing is appended and the report
lists them all; else every demand that passed is moved into the log under the log's lock, in
order, many demands per transaction (`Depot.verser`). Re-importing the same file appends
nothing; an import interrupted while moving (a crash, a demand changed meanwhile) is completed
by running it again.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any
from uuid import UUID

import msgspec
from eventsourcing.application import project_aggregate
from eventsourcing.persistence import RecordConflictError, StoredEvent
from psycopg.rows import tuple_row

from adapters.ajout_massif import Depot
from adapters.cles import CoffreDeLot
from adapters.mapper import LedgerMapper
from adapters.registre import Lot, Registre
from adapters.sne.correspondance import Intraduisible, commandes
from adapters.sne.lecteur_separe import dans_ce_processus, dans_un_processus
from adapters.sne.lecture import DemandeLue, FichierIllisible
from adapters.sne.modele import Entete
from adapters.sne.schema import ErreurSNE
from domain.codes import Canal
from domain.demande import Demande
from domain.erreurs import RefusCommande
from domain.territoire import Organisation

TAILLE_LOT = 1000  # demands read, checked and set aside together
MAX_ERREURS = 10_000  # errors kept in the report (all are counted, and told to `sur_erreur`)


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
    separe: bool = False,
) -> RapportImport:
    """`phases`, if given, gets the seconds spent reading the file (waiting for the reader, when
    it is a process of its own), in the domain (mapping and commands), encoding and setting
    aside, and moving into the log (the benchmark's breakdown). `separe`: read the file in a
    process of its own (`lecteur_separe`): worth it with a core to spare (docs/sne.md)."""
    rapport = RapportImport(importe=False, partiel=partiel)
    ph = phases if phases is not None else {}
    for k in ("lecture", "domaine", "encodage", "versement"):
        ph.setdefault(k, 0.0)

    def erreur(e: ErreurSNE) -> None:
        rapport.erreurs_total += 1
        if len(rapport.erreurs) < MAX_ERREURS:
            rapport.erreurs.append(e)
        if sur_erreur is not None:
            sur_erreur(e)

    lire = dans_un_processus if separe else dans_ce_processus
    # Errors of the file itself (its root, its header, not well-formed XML) refuse it whole,
    # even with `partiel`: there is no telling what its demands mean.
    du_fichier = 0
    entete: Entete | None = None

    with Depot(registre) as depot, ramasse_miettes_espace():
        travail = _Import(registre, organisation, agent, depot, rapport, erreur, ph)
        try:
            lots = lire(_Compteur(source, progression), taille_lot)  # type: ignore[arg-type]
            while True:
                t = time.perf_counter()
                tranche = next(lots, None)
                ph["lecture"] += time.perf_counter() - t
                if tranche is None:
                    break
                for e in tranche.erreurs:
                    du_fichier += 1
                    erreur(e)
                entete = tranche.entete
                if tranche.demandes:
                    travail.lot(tranche.demandes, entete)
        except FichierIllisible as e:
            erreur(e.erreur)
            return rapport
        rapport.date_fichier = entete.date_fichier if entete else None
        if du_fichier or entete is None or (rapport.erreurs_total and not partiel):
            return rapport
        try:
            t = time.perf_counter()
            rapport.position = depot.verser()
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


class _Import:
    def __init__(
        self,
        registre: Registre,
        organisation: Organisation,
        agent: str,
        depot: Depot,
        rapport: RapportImport,
        erreur: Callable[[ErreurSNE], None],
        phases: dict[str, float],
    ) -> None:
        self.phases = phases
        self.registre = registre
        self.organisation = organisation
        self.agent = agent
        self.depot = depot
        self.rapport = rapport
        self.erreur = erreur
        self.connues_vues: dict[UUID, int] = {}  # demands already in the log, met in this file

    def lot(self, lues: list[DemandeLue], entete: Entete | None) -> None:
        t = time.perf_counter()
        r = self.rapport
        r.demandes += len(lues)
        valides: list[DemandeLue] = []
        for lue in lues:
            if lue.demande is None:
                r.refusees += 1
                for e in lue.erreurs or [ErreurSNE(lue.ligne, "demande", "unreadable demand")]:
                    self.erreur(e)
            else:
                valides.append(lue)
        if not valides:
            return
        if entete is None:
            return  # the file's own error (no header) refuses it; nothing to date the facts with
        jour = entete.date_fichier.date()
        ids = {Demande.id_pour(lue.demande.numero_unique): lue for lue in valides}  # type: ignore[union-attr]
        connues = self._dans_le_log(list(ids))
        chargees = self._charger(connues)
        deja = self.depot.deja([i for i in ids if i not in connues])
        lot = Lot(self.registre, cles={})
        lot.absentes(lue.demande.numero_unique for i, lue in ids.items() if i not in connues)  # type: ignore[union-attr]
        lignes: dict[UUID, int] = {}
        for lue in valides:
            d = lue.demande
            assert d is not None
            ident = Demande.id_pour(d.numero_unique)
            avant = deja.get(ident) or lignes.get(ident) or self.connues_vues.get(ident)
            if avant is not None:
                self._refus(
                    lue,
                    "demande/demandeLogement/numUnique",
                    f"this numéro unique is already in this file, line {avant}",
                )
                continue
            etat = chargees[ident].etat if ident in chargees else None
            if ident in connues:
                self.connues_vues[ident] = lue.ligne
            try:
                a_faire = commandes(d, jour, etat)
            except Intraduisible as e:
                self._refus(lue, "demande/demandeLogement/personnePhysique", str(e))
                continue
            lignes[ident] = lue.ligne
            if not a_faire:
                r.inchangees += 1
                continue
            marque = lot.marque()
            try:
                for cmd in a_faire:
                    lot.executer(
                        self.organisation, self.agent, cmd, d.numero_unique, canal=Canal.import_
                    )
            except RefusCommande as e:
                lot.revenir(marque)
                self._refus(lue, "demande/demandeLogement", f"{e.regle}: {e.message}")
                continue
            if etat is None:
                r.enregistrees += 1
            else:
                r.modifiees += 1
        t2 = time.perf_counter()
        self.phases["domaine"] += t2 - t
        cles = lot.cles or {}
        mapper = LedgerMapper(CoffreDeLot(self.registre.coffre, cles))
        groupes: list[tuple[list[Any], tuple[UUID, bytes, int] | None]] = []
        for a in lot.agregats():
            evenements = [mapper.to_stored_event(e) for e in a.pending_events]
            cle = (a.id, cles[a.id], lignes.get(a.id, 0)) if a.id in cles else None
            groupes.append((evenements, cle))
        lot.abandonner()
        if groupes:
            self.depot.deposer(groupes)
        self.phases["encodage"] += time.perf_counter() - t2

    def _refus(self, lue: DemandeLue, element: str, raison: str) -> None:
        self.rapport.refusees += 1
        self.erreur(ErreurSNE(lue.ligne, element, raison, lue.numero_unique))

    def _charger(self, ids: set[UUID]) -> dict[UUID, Demande]:
        """The known demands of a batch, folded from their events read in one query (a
        re-import reads back every demand of its file: one query each would be its cost)."""
        if not ids:
            return {}
        rec = self.registre.recorder
        table = rec.events_table_name  # type: ignore[attr-defined]
        liste = sorted(ids)
        lignes: list[tuple[Any, int, str, bytes]] = []
        if self.registre.stockage.postgres:
            schema = rec.datastore.schema  # type: ignore[attr-defined]
            with rec.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:  # type: ignore[attr-defined]
                cur.execute(
                    f'SELECT originator_id, originator_version, topic, state FROM "{schema}"."{table}" '
                    "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version",
                    (liste,),
                )
                lignes = [(a, b, c, bytes(d)) for a, b, c, d in cur.fetchall()]
        else:
            with rec.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
                for k in range(0, len(liste), 500):
                    part = [i.hex for i in liste[k : k + 500]]
                    c.execute(
                        f"SELECT originator_id, originator_version, topic, state FROM {table} "
                        f"WHERE originator_id IN ({','.join('?' * len(part))}) ORDER BY originator_id, originator_version",
                        part,
                    )
                    lignes += [(a, b, t, bytes(d)) for a, b, t, d in c.fetchall()]
        par_id: dict[UUID, list[Any]] = {}
        with self.registre.coffre.lot(liste):  # their keys in one query, for this batch only
            for oid, version, topic, state in lignes:
                i = oid if isinstance(oid, UUID) else UUID(str(oid))
                par_id.setdefault(i, []).append(
                    self.registre.mapper.to_domain_event(StoredEvent(i, version, topic, state))
                )
        return {i: project_aggregate(None, evenements) for i, evenements in par_id.items()}  # type: ignore[misc]

    def _dans_le_log(self, ids: list[UUID]) -> set[UUID]:
        """Which of these demands the log holds, in one query."""
        rec = self.registre.recorder
        table = rec.events_table_name  # type: ignore[attr-defined]
        if self.registre.stockage.postgres:
            schema = rec.datastore.schema  # type: ignore[attr-defined]
            with rec.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:  # type: ignore[attr-defined]
                cur.execute(
                    f'SELECT originator_id FROM "{schema}"."{table}" WHERE originator_version = 1 '
                    "AND originator_id = ANY(%s)",
                    (ids,),
                )
                return {UUID(str(x[0])) for x in cur.fetchall()}
        out: set[UUID] = set()
        with rec.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            for k in range(0, len(ids), 500):
                part = [i.hex for i in ids[k : k + 500]]
                c.execute(
                    f"SELECT originator_id FROM {table} WHERE originator_version = 1 AND originator_id IN "
                    f"({','.join('?' * len(part))})",
                    part,
                )
                out.update(UUID(x[0]) for x in c.fetchall())
        return out


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
