"""Demands folded in memory as their events stream past a projection: a rebuild reads the log
once and nothing else; a demand missing from the cache (after a restart) is loaded up to the
event at hand."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from uuid import UUID

from adapters.registre import Registre
from domain.demande import Demande

CACHE_MAX = 300_000

# The topics of every demand event: what the read models that fold demands ask the log for
# (the deadlines and the scores), so that other events are not even read.
TOPICS_DEMANDE = tuple(
    f"domain.demande:Demande.{n}"
    for n, v in vars(Demande).items()
    if isinstance(v, type) and issubclass(v, Demande.Event) and n != "Event"
)


class DemandesSuivies:
    def __init__(self, registre: Registre) -> None:
        self.registre = registre
        self._demandes: OrderedDict[UUID, Demande] = OrderedDict()

    def oublier(self) -> None:
        self._demandes.clear()

    def get(self, ident: UUID) -> Demande | None:
        return self._demandes.get(ident)

    def suivre(self, evenement: Any) -> Demande:
        ident = evenement.originator_id
        d = self._demandes.pop(ident, None)
        if d is not None and d.version == evenement.originator_version - 1:
            evenement.mutate(d)
        elif evenement.originator_version == 1:
            d = evenement.mutate(None)
        else:
            # Not cached, or the cache ran ahead of a rolled-back batch: read the store.
            d = self.registre.repository.get(ident, version=evenement.originator_version)
        self._demandes[ident] = d
        if len(self._demandes) > CACHE_MAX:
            self._demandes.popitem(last=False)
        return d
