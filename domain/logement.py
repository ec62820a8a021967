"""The dwelling aggregate: one vacancy at a time, its orientation, its candidates and its one bail.

Rules that span several demands live here, so that two writers racing on the same dwelling
collide on this aggregate's version instead of both succeeding (docs/rules.md): a dwelling is let
once per vacancy, ranks par classement are unique per CAL, an attribution par classement
stands only when every candidate ranked ahead of it on the same CAL has refused, and a CAL that
examines fewer than three candidates who answered favourably says why, with a code (R.441-3).
In flux (docs/rules.md and docs/flux.md), the bailleur orients each vacancy to a réservataire (or keeps it, or
withdraws it from the flux base with its reason) before anyone designates on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import horloge
from domain.acte import Acte
from domain.codes import Canal, RaisonMoinsDeTrois, RetraitFlux, TypeDecisionCAL, TypeReservataire
from domain.erreurs import RegleEnfreinte
from domain.horloge import aujourdhui
from domain.territoire import LogementSocial

ESPACE_LOGEMENTS = uuid5(NAMESPACE_URL, "urn:demand-ledger:logement")


@dataclass
class Candidat:
    designe: bool = True
    decision: TypeDecisionCAL | None = None
    rang: int | None = None
    cal: date | None = None
    refuse: bool = False
    condition_levee: bool = False
    # Answered the bailleur's contact favourably before the CAL: counts towards three (R.441-3).
    favorable: bool = False


@dataclass(frozen=True)
class Orientation:
    """Whom the bailleur oriented a vacancy in flux to: a réservataire under its convention
    (`reservataire`, `contingent`, `convention`), or nobody (the bailleur keeps it, or it is
    withdrawn from the flux base for `retrait`)."""

    jour: date
    reservataire: str | None
    contingent: TypeReservataire
    convention: str | None
    retrait: RetraitFlux | None


@dataclass
class Vacance:
    numero: int
    ouverte_le: date | None
    candidats: dict[str, Candidat] = field(default_factory=dict)
    loue_a: str | None = None
    orientation: Orientation | None = None


class Logement(Aggregate):
    @staticmethod
    def id_pour(identifiant: str) -> UUID:
        return uuid5(ESPACE_LOGEMENTS, identifiant)

    class Event(Aggregate.Event):
        occurred_on: date
        organisation: str
        agent: str
        canal: Canal

        @staticmethod
        def create_timestamp() -> datetime:
            # recorded_at comes from the ledger's clock, which tests and replays can set.
            return horloge.maintenant()

    class Ouvert(Event, Aggregate.Created):
        """The ledger starts following the dwelling, in the state the territory file gives."""

        identifiant: str
        bailleur: str
        vacant: bool

        def apply(self, lgt: Logement) -> None:
            lgt.identifiant = self.identifiant
            lgt.bailleur = self.bailleur
            lgt.vacances = [Vacance(1, self.occurred_on)] if self.vacant else []

    class VacanceDeclaree(Event):
        def apply(self, lgt: Logement) -> None:
            lgt.vacances.append(Vacance(len(lgt.vacances) + 1, self.occurred_on))

    class CandidatDesigne(Event):
        vacance: int
        demande: str

        def apply(self, lgt: Logement) -> None:
            lgt._vacance(self.vacance).candidats[self.demande] = Candidat()

    class DecisionEnregistree(Event):
        vacance: int
        demande: str
        decision: TypeDecisionCAL
        rang: int | None

        def apply(self, lgt: Logement) -> None:
            c = lgt._vacance(self.vacance).candidats[self.demande]
            c.decision, c.rang, c.cal = self.decision, self.rang, self.occurred_on

    class VacanceOrientee(Event):
        """In flux: the bailleur orients the vacancy (docs/rules.md and docs/flux.md)."""

        vacance: int
        ouverte_le: date  # the vacancy's opening: its year is the flux's year
        reservataire: str | None  # None: the bailleur keeps it, or it is withdrawn
        contingent: TypeReservataire  # what designations on it carry (AUCUN when kept)
        convention: str | None = None  # Convention.identifiant
        retrait: RetraitFlux | None = None

        def apply(self, lgt: Logement) -> None:
            lgt._vacance(self.vacance).orientation = Orientation(
                self.occurred_on, self.reservataire, self.contingent, self.convention, self.retrait
            )

    class CandidatFavorable(Event):
        """The candidate answered the bailleur's contact favourably before the CAL."""

        vacance: int
        demande: str

        def apply(self, lgt: Logement) -> None:
            lgt._vacance(self.vacance).candidats[self.demande].favorable = True

    class ConditionLevee(Event):
        vacance: int
        demande: str

        def apply(self, lgt: Logement) -> None:
            lgt._vacance(self.vacance).candidats[self.demande].condition_levee = True

    class RefusEnregistre(Event):
        vacance: int
        demande: str

        def apply(self, lgt: Logement) -> None:
            lgt._vacance(self.vacance).candidats[self.demande].refuse = True

    class CandidatureRetractee(Event):
        """Mirrors a retraction on the demand: the candidate's designation, decision or
        refusal stops counting for the dwelling's rules too."""

        vacance: int
        demande: str
        quoi: str  # designation | decision | refus | condition | favorable

        def apply(self, lgt: Logement) -> None:
            v = lgt._vacance(self.vacance)
            c = v.candidats.get(self.demande)
            if c is None:
                return
            if self.quoi == "designation":
                del v.candidats[self.demande]
            elif self.quoi == "decision":
                c.decision, c.rang, c.cal = None, None, None
            elif self.quoi == "refus":
                c.refuse = False
            elif self.quoi == "condition":
                c.condition_levee = False
            elif self.quoi == "favorable":
                c.favorable = False

    class Loue(Event):
        vacance: int
        demande: str

        def apply(self, lgt: Logement) -> None:
            lgt._vacance(self.vacance).loue_a = self.demande

    # identifiant, bailleur and vacances are set by Ouvert.apply (annotations here would make
    # the library turn the aggregate into a dataclass).

    @classmethod
    def ouvrir(cls, spec: LogementSocial, acte: Acte) -> Logement:
        return cls._create(
            cls.Ouvert,
            id=cls.id_pour(spec.identifiant),
            **_champs(acte),
            identifiant=spec.identifiant,
            bailleur=spec.bailleur,
            vacant=spec.vacant,
        )

    # -- queries ---------------------------------------------------------------------------

    @property
    def vacance_courante(self) -> Vacance | None:
        return self.vacances[-1] if self.vacances else None

    @property
    def vacant(self) -> bool:
        v = self.vacance_courante
        return v is not None and v.loue_a is None

    def _vacance(self, numero: int) -> Vacance:
        return self.vacances[numero - 1]

    def vacance_ouverte(self) -> Vacance:
        v = self.vacance_courante
        if v is None or v.loue_a is not None:
            raise RegleEnfreinte(
                "logement_non_vacant",
                f"dwelling {self.identifiant} is let; its bailleur must declare a vacancy first",
            )
        return v

    def attribution_tient(self, demande: str) -> tuple[bool, str]:
        """Whether this candidate's attribution stands now, and why not."""
        v = self.vacance_ouverte()
        c = v.candidats.get(demande)
        if c is None or c.decision is None:
            return False, "no CAL decision for this candidate on this vacancy"
        if c.refuse:
            return False, "the candidate refused"
        if c.decision is TypeDecisionCAL.attribution:
            return True, ""
        if c.decision is TypeDecisionCAL.attribution_sous_condition:
            return (c.condition_levee, "the suspensive condition is not met")
        if c.decision is TypeDecisionCAL.attribution_par_classement:
            devant = [
                (d, x)
                for d, x in v.candidats.items()
                if x.decision is TypeDecisionCAL.attribution_par_classement
                and x.cal == c.cal
                and x.rang is not None
                and c.rang is not None
                and x.rang < c.rang
                and not x.refuse
            ]
            if devant:
                qui = ", ".join(f"{d} (rank {x.rang})" for d, x in sorted(devant, key=lambda p: p[1].rang or 0))
                return False, f"candidates ranked ahead have not refused: {qui}"
            return True, ""
        return False, f"the CAL decided {c.decision}, not an attribution"

    # -- commands --------------------------------------------------------------------------

    def declarer_vacance(self, acte: Acte) -> None:
        if self.vacant:
            raise RegleEnfreinte(
                "deja_vacant", f"dwelling {self.identifiant} is already vacant (vacancy {len(self.vacances)})"
            )
        self.trigger_event(self.VacanceDeclaree, **_champs(acte))

    def designer(self, acte: Acte, demande: str) -> int:
        v = self.vacance_ouverte()
        if demande in v.candidats and not v.candidats[demande].refuse:
            raise RegleEnfreinte(
                "deja_designee", f"demand {demande} is already a candidate on {self.identifiant}"
            )
        self.trigger_event(self.CandidatDesigne, **_champs(acte), vacance=v.numero, demande=demande)
        return v.numero

    def favorables(self, v: Vacance) -> list[str]:
        """The candidates who count towards three (R.441-3, product rule): those who answered
        favourably before the CAL and have not refused since."""
        return sorted(d for d, x in v.candidats.items() if x.favorable and not x.refuse)

    def enregistrer_decision(
        self,
        acte: Acte,
        demande: str,
        decision: TypeDecisionCAL,
        rang: int | None,
        moins_de_trois_candidats: RaisonMoinsDeTrois | None = None,
    ) -> int:
        v = self.vacance_ouverte()
        if demande not in v.candidats:
            raise RegleEnfreinte(
                "non_designee", f"demand {demande} is not designated on {self.identifiant}"
            )
        # Product rule (R.441-3): fewer than three candidates who answered favourably is allowed,
        # never silently; those who did not answer are presented in addition and do not count.
        favorables = len(self.favorables(v))
        if favorables < 3 and moins_de_trois_candidats is None:
            raise RegleEnfreinte(
                "moins_de_trois_candidats",
                f"the CAL examines {favorables} candidate(s) who answered favourably on "
                f"{self.identifiant} (of {len(v.candidats)} designated): the decision must give the "
                "reason's code in moins_de_trois_candidats ("
                + ", ".join(r.value for r in RaisonMoinsDeTrois) + ")",
                favorables=favorables,
                designes=len(v.candidats),
            )
        if decision is TypeDecisionCAL.attribution_par_classement:
            for autre, x in v.candidats.items():
                if (
                    autre != demande
                    and x.decision is TypeDecisionCAL.attribution_par_classement
                    and x.cal == acte.occurred_on
                    and x.rang == rang
                ):
                    raise RegleEnfreinte(
                        "rang_deja_attribue",
                        f"rank {rang} on {self.identifiant} at the CAL of "
                        f"{acte.occurred_on.isoformat()} is already given to demand {autre}",
                    )
        self.trigger_event(
            self.DecisionEnregistree,
            **_champs(acte),
            vacance=v.numero,
            demande=demande,
            decision=decision,
            rang=rang,
        )
        return v.numero

    def orienter(
        self,
        acte: Acte,
        reservataire: str | None,
        contingent: TypeReservataire,
        convention: str | None,
        retrait: RetraitFlux | None,
    ) -> int:
        v = self.vacance_ouverte()
        designes = sorted(d for d, x in v.candidats.items() if not x.refuse)
        if designes:
            raise RegleEnfreinte(
                "vacance_deja_pourvue",
                f"vacancy {v.numero} of {self.identifiant} already has candidates ({', '.join(designes)}): "
                "its orientation can no longer change",
            )
        self.trigger_event(
            self.VacanceOrientee, **_champs(acte), vacance=v.numero, ouverte_le=v.ouverte_le or acte.occurred_on,
            reservataire=reservataire,
            contingent=contingent, convention=convention, retrait=retrait,
        )
        return v.numero

    def enregistrer_favorable(self, acte: Acte, demande: str) -> None:
        v = self.vacance_ouverte()
        if demande not in v.candidats:
            raise RegleEnfreinte(
                "non_designee", f"demand {demande} is not designated on {self.identifiant}"
            )
        self.trigger_event(self.CandidatFavorable, **_champs(acte), vacance=v.numero, demande=demande)

    def lever_condition(self, acte: Acte, demande: str) -> None:
        v = self.vacance_ouverte()
        self.trigger_event(self.ConditionLevee, **_champs(acte), vacance=v.numero, demande=demande)

    def enregistrer_refus(self, acte: Acte, demande: str) -> None:
        v = self.vacance_ouverte()
        self.trigger_event(self.RefusEnregistre, **_champs(acte), vacance=v.numero, demande=demande)

    def retracter(self, acte: Acte, vacance: int, demande: str, quoi: str) -> None:
        self.trigger_event(
            self.CandidatureRetractee, **_champs(acte), vacance=vacance, demande=demande, quoi=quoi
        )

    def louer(self, acte: Acte, demande: str) -> int:
        v = self.vacance_ouverte()
        tient, pourquoi = self.attribution_tient(demande)
        if not tient:
            raise RegleEnfreinte(
                "attribution_ne_tient_pas",
                f"no standing attribution of {self.identifiant} to demand {demande}: {pourquoi}",
            )
        self.trigger_event(self.Loue, **_champs(acte), vacance=v.numero, demande=demande)
        return v.numero


def _champs(acte: Acte) -> dict[str, Any]:
    if acte.occurred_on > aujourdhui():
        raise RegleEnfreinte(
            "date_future",
            f"occurred_on {acte.occurred_on.isoformat()} is in the future (today is {aujourdhui().isoformat()})",
        )
    return {
        "occurred_on": acte.occurred_on,
        "organisation": acte.organisation,
        "agent": acte.agent,
        "canal": acte.canal,
    }
