"""The dépôt of a demand at a guichet, before its registration (CCH R.441-2-4: the demand is
registered within one month of the dépôt of the complete request; the ledger counts 30 days, day
30 included).

A dépôt is an aggregate of its own: the demand does not exist yet, it has no numéro unique. The
guichet records it under its own reference (a receipt number); the registration that follows
names that reference, takes the dépôt's date as its `filed_on`, and closes the dépôt in the same
transaction. Until then the dépôt is a deadline (`enregistrement_du`, `projections/echeances.py`).
A dépôt recorded in error is retracted by its guichet while it is not registered.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import horloge, verifications
from domain.acte import Acte
from domain.codes import Canal
from domain.erreurs import RegleEnfreinte

ESPACE_DEPOTS = uuid5(NAMESPACE_URL, "urn:demand-ledger:depot")
DELAI_ENREGISTREMENT = timedelta(days=30)


def enregistrement_du(depose_le: date) -> date:
    """The last day the registration is in time: the dépôt + 30 days (R.441-2-4)."""
    return depose_le + DELAI_ENREGISTREMENT


class Depot(Aggregate):
    @staticmethod
    def id_pour(guichet: str, reference: str) -> UUID:
        return uuid5(ESPACE_DEPOTS, f"{guichet}/{reference}")

    class Event(Aggregate.Event):
        occurred_on: date
        organisation: str
        agent: str
        canal: Canal
        # Every event names its dépôt, so that a read model needs no fold to key its row.
        guichet: str
        reference: str

        @staticmethod
        def create_timestamp() -> datetime:
            return horloge.maintenant()

    class Recu(Event, Aggregate.Created):
        def apply(self, d: Depot) -> None:
            d.guichet = self.guichet
            d.reference = self.reference
            d.depose_le = self.occurred_on
            d.numero_unique = None
            d.retracte = False

    class Enregistre(Event):
        numero_unique: str

        def apply(self, d: Depot) -> None:
            d.numero_unique = self.numero_unique

    class Retracte(Event):
        motif: str

        def apply(self, d: Depot) -> None:
            d.retracte = True

    # State (guichet, reference, depose_le, numero_unique, retracte) is set by the events' apply:
    # annotating it here would make the library turn the aggregate into a dataclass.

    @property
    def cle(self) -> str:
        """The dépôt's key in the deadlines: the guichet and its reference."""
        return cle_depot(self.guichet, self.reference)

    @classmethod
    def recevoir(cls, acte: Acte, reference: str) -> Depot:
        verifications.pas_dans_le_futur(acte.occurred_on)
        ref = reference.strip()
        if not ref or len(ref) > 40 or not ref.isprintable():
            raise RegleEnfreinte("reference_invalide", f"a dépôt's reference is 1 to 40 printable characters, got {reference!r}")
        return cls._create(
            cls.Recu, id=cls.id_pour(acte.organisation, ref), occurred_on=acte.occurred_on,
            organisation=acte.organisation, agent=acte.agent, canal=acte.canal, guichet=acte.organisation,
            reference=ref,
        )

    def enregistrer(self, acte: Acte, numero_unique: str) -> None:
        """The registration that follows this dépôt (the caller records the demand itself)."""
        self._ouvert("registered")
        if acte.occurred_on < self.depose_le:
            raise RegleEnfreinte(
                "enregistrement_avant_depot",
                f"the registration ({acte.occurred_on.isoformat()}) cannot precede its dépôt "
                f"({self.depose_le.isoformat()})",
            )
        self.trigger_event(
            self.Enregistre, occurred_on=acte.occurred_on, organisation=acte.organisation, agent=acte.agent,
            canal=acte.canal, guichet=self.guichet, reference=self.reference, numero_unique=numero_unique,
        )

    def retracter(self, acte: Acte, motif: str) -> None:
        self._ouvert("retracted")
        if acte.organisation != self.guichet:
            raise RegleEnfreinte("retractation_par_l_auteur", f"only {self.guichet}, which recorded the dépôt, may retract it")
        if not motif.strip():
            raise RegleEnfreinte("motif_requis", "a retraction needs its motif")
        verifications.pas_dans_le_futur(acte.occurred_on)
        self.trigger_event(
            self.Retracte, occurred_on=max(acte.occurred_on, self.depose_le), organisation=acte.organisation,
            agent=acte.agent, canal=acte.canal, guichet=self.guichet, reference=self.reference, motif=motif,
        )

    def _ouvert(self, quoi: str) -> None:
        if self.numero_unique is not None:
            raise RegleEnfreinte(
                "depot_deja_enregistre",
                f"dépôt {self.reference} of {self.guichet} was already registered as {self.numero_unique}; it "
                f"cannot be {quoi}",
            )
        if self.retracte:
            raise RegleEnfreinte("depot_retracte", f"dépôt {self.reference} of {self.guichet} was retracted")


def cle_depot(guichet: str, reference: str) -> str:
    return f"DEPOT {guichet} {reference}"[:64]
