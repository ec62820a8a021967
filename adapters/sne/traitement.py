"""A batch of a national file's demands through the domain, as far as it can go without the rest
of the file: each demand read is mapped to the ledger's commands (`correspondance`: a new demand
registers, a known one appends what differs, an unchanged one appends nothing), the commands go
through the same handlers as any command (`adapters.registre.Lot`: permissions, every
precondition, the schedule's catch-up, every event typed and its personal data encrypted under
the demand's new key), and the events come out encoded, ready to be set aside.

What a batch cannot know alone — that a numéro unique already came in an earlier batch — is for
the import that receives the batches in the file's order (`importation._Import.recevoir`). This
part reads the log but writes nothing, so it runs as well in the import's process as in a worker
process of its own (`ateliers`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.persistence import StoredEvent

from adapters.cles import CoffreDeLot
from adapters.lignes_du_log import lignes_de
from adapters.mapper import LedgerMapper
from adapters.registre import Lot, Registre
from adapters.sne.correspondance import Intraduisible, commandes
from adapters.sne.lecture import DemandeLue
from adapters.sne.schema import ErreurSNE
from domain.codes import Canal
from domain.demande import Demande
from domain.erreurs import RefusCommande
from domain.territoire import Organisation

ENREGISTREE, MODIFIEE, INCHANGEE, REFUSEE = "enregistree", "modifiee", "inchangee", "refusee"
LUE = "lue"  # read whole, but the file has no header to date it: it goes no further


@dataclass(slots=True)
class Issue:
    """What became of one demand of the batch. `ident` is set once it was read whole (the
    demands the file may hold twice); `connue`: the log already held it; `doublon`: the line of
    an earlier demand of the batch with the same numéro unique (the demand is then refused)."""

    ligne: int
    numero_unique: str | None
    ident: UUID | None = None
    etat: str = REFUSEE
    connue: bool = False
    doublon: int | None = None
    erreurs: list[ErreurSNE] = field(default_factory=list)


@dataclass(slots=True)
class Groupe:
    """One demand's encoded events, and its new key (None for a demand already in the log)."""

    ident: UUID
    ligne: int
    evenements: list[StoredEvent]
    cle: bytes | None


@dataclass(slots=True)
class Traitement:
    """A batch's outcome, in the file's order; `secondes`: (domain, encoding)."""

    issues: list[Issue]
    groupes: list[Groupe]
    secondes: tuple[float, float] = (0.0, 0.0)


def traiter(
    registre: Registre, organisation: Organisation, agent: str, lues: list[DemandeLue], jour: date
) -> Traitement:
    """The batch's demands through the domain, on the day of the file (`jour`): each demand's
    commands are all kept or none."""
    t = time.perf_counter()
    valides = {Demande.id_pour(lue.demande.numero_unique): lue for lue in lues if lue.demande is not None}
    connues = _dans_le_log(registre, list(valides))
    chargees = _charger(registre, connues)
    lot = Lot(registre, cles={})
    lot.absentes(lue.demande.numero_unique for i, lue in valides.items() if i not in connues)  # type: ignore[union-attr]
    faites: dict[UUID, int] = {}  # demands of this batch met by the domain, and their line
    issues: list[Issue] = []
    for lue in lues:
        d = lue.demande
        if d is None:
            issues.append(_illisible(lue))
            continue
        ident = Demande.id_pour(d.numero_unique)
        issue = Issue(lue.ligne, lue.numero_unique, ident, connue=ident in connues)
        issues.append(issue)
        if ident in faites:
            issue.doublon = faites[ident]
            continue
        etat = chargees[ident].etat if ident in chargees else None
        try:
            a_faire = commandes(d, jour, etat)
        except Intraduisible as e:
            issue.erreurs.append(_erreur(lue, "demande/demandeLogement/personnePhysique", str(e)))
            continue
        faites[ident] = lue.ligne
        if not a_faire:
            issue.etat = INCHANGEE
            continue
        marque = lot.marque()
        try:
            for cmd in a_faire:
                lot.executer(organisation, agent, cmd, d.numero_unique, canal=Canal.import_)
        except RefusCommande as e:
            lot.revenir(marque)
            issue.erreurs.append(_erreur(lue, "demande/demandeLogement", f"{e.regle}: {e.message}"))
            continue
        issue.etat = MODIFIEE if etat is not None else ENREGISTREE
    t2 = time.perf_counter()
    cles = lot.cles or {}
    mapper = LedgerMapper(CoffreDeLot(registre.coffre, cles))
    groupes = [
        Groupe(
            a.id,
            faites.get(a.id, 0),
            [mapper.to_stored_event(e) for e in a.pending_events],
            cles.get(a.id),
        )
        for a in lot.agregats()
    ]
    lot.abandonner()
    return Traitement(issues, groupes, (t2 - t, time.perf_counter() - t2))


def sans_jour(lues: list[DemandeLue]) -> Traitement:
    """A batch of a file without a header (refused): only what is wrong with each demand."""
    return Traitement([_illisible(x) if x.demande is None else Issue(x.ligne, x.numero_unique, etat=LUE) for x in lues], [])


def _illisible(lue: DemandeLue) -> Issue:
    return Issue(lue.ligne, lue.numero_unique, erreurs=lue.erreurs or [ErreurSNE(lue.ligne, "demande", "unreadable demand")])


def _erreur(lue: DemandeLue, element: str, raison: str) -> ErreurSNE:
    return ErreurSNE(lue.ligne, element, raison, lue.numero_unique)


def _charger(registre: Registre, ids: set[UUID]) -> dict[UUID, Demande]:
    """The known demands of a batch, folded from their events read in one query (a re-import
    reads back every demand of its file: one query each would be its cost)."""
    liste = sorted(ids)
    par_id: dict[UUID, list[Any]] = {}
    lignes = lignes_de(registre, liste, ("originator_id", "originator_version", "topic", "state"))
    with registre.coffre.lot(liste):  # their keys in one query, for this batch only
        for i, version, topic, state in lignes:
            par_id.setdefault(i, []).append(registre.mapper.to_domain_event(StoredEvent(i, version, topic, state)))
    return {i: project_aggregate(None, evenements) for i, evenements in par_id.items()}  # type: ignore[misc]


def _dans_le_log(registre: Registre, ids: list[UUID]) -> set[UUID]:
    """Which of these demands the log holds, in one query."""
    return {ligne[0] for ligne in lignes_de(registre, ids, ("originator_id",), premieres=True)}
