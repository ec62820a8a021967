"""The CAL as a session (CCH L.441-2, R.441-3, R.441-9; DOMAIN.md §9): the aggregate of one
session of a bailleur's commission d'attribution, its members present, its agenda (each
dwelling's vacancy and its candidates in the order examined, with their points at the session
date) and the decisions taken within it, until it is closed.

Everything of a session is dated on the session's date. The minutes (procès-verbal) are this
aggregate's events up to its closing (`projections/commissions.py`): a retraction recorded
later is mirrored here (`DecisionRetractee`) but comes after the closing, so the minutes of a
closed session never change. The session holds no personal data of the applicants: candidates
are named by their numéro unique, motifs by their codes (free text stays on the demand,
encrypted); the members' names are encrypted under the session's own key (`Ouverte.noms`).

The decisions themselves are the demand's facts (`Demande.DecisionCAL`, with the session's
identifier) and the dwelling's (`Logement.DecisionEnregistree`): the handler
(`domain/traitements.py`) records all three in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate

from domain import horloge
from domain.acte import Acte
from domain.codes import (
    VOIX_DE_LA_QUALITE,
    Canal,
    Financement,
    FormeSession,
    MotifNonAttribution,
    QualiteMembre,
    RaisonMoinsDeTrois,
    SousMotifIrrecevabilite,
    TypeDecisionCAL,
    TypeReservataire,
    Typologie,
    Voix,
)
from domain.erreurs import RegleEnfreinte
from domain.verifications import pas_dans_le_futur

ESPACE_SESSIONS = uuid5(NAMESPACE_URL, "urn:demand-ledger:session-cal")


class MembreCAL(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A member present: the organisation they sit for, in what capacity, and who (an official
    acting for their organisation, named in the minutes)."""

    organisation: str
    qualite: QualiteMembre
    nom: str | None = None

    @property
    def voix(self) -> Voix:
        return VOIX_DE_LA_QUALITE[self.qualite]


class LogementExamine(msgspec.Struct, frozen=True):
    """A dwelling's vacancy on the agenda, described as the session saw it (so that the minutes
    do not change when the territory file does)."""

    logement: str
    vacance: int
    commune: str
    typologie: Typologie
    financement: Financement
    qpv: bool
    contingent: TypeReservataire
    reservataire: str | None  # the organisation the dwelling (stock) or vacancy (flux) is for
    flux: bool


@dataclass
class CandidatSession:
    demande: str  # numéro unique
    ordre: int  # 1, 2, 3… in the order examined on this dwelling
    points: int | None  # at the session date; None where the territory has no grid
    filed_on: date
    favorable: bool  # answered favourably before the CAL (else presented in addition)
    decision: Any = None  # the standing SessionCAL.DecisionPrise


@dataclass
class PointDOrdre:
    logement: LogementExamine
    candidats: list[CandidatSession] = field(default_factory=list)

    def candidat(self, demande: str) -> CandidatSession | None:
        for c in self.candidats:
            if c.demande == demande:
                return c
        return None


class SessionCAL(Aggregate):
    @staticmethod
    def id_pour(identifiant: str) -> UUID:
        return uuid5(ESPACE_SESSIONS, identifiant)

    class Event(Aggregate.Event):
        occurred_on: date
        organisation: str
        agent: str
        canal: Canal

        @staticmethod
        def create_timestamp() -> datetime:
            return horloge.maintenant()

    class Ouverte(Event, Aggregate.Created):
        identifiant: str
        bailleur: str
        forme: FormeSession
        membres: tuple[MembreCAL, ...]  # without their names since issue 12 (see `noms`)
        # The organisation whose member holds the casting vote (territory rules), if present.
        voix_preponderante: str | None
        # The members' names, in the order of `membres`: personal data of the officials, stored
        # in the event's encrypted part under the session's own key (adapters/mapper.py), not in
        # clear in the log. Sessions opened before keep the names inside `membres`.
        noms: tuple[str | None, ...] | None = None
        champs_recents: ClassVar[frozenset[str]] = frozenset({"noms"})
        champs_personnels: ClassVar[frozenset[str]] = frozenset({"noms"})

        def apply(self, s: SessionCAL) -> None:
            s.identifiant = self.identifiant
            s.bailleur = self.bailleur
            s.date = self.occurred_on
            s.forme = self.forme
            s.membres = self.membres
            if self.noms is not None:
                s.membres = tuple(
                    msgspec.structs.replace(m, nom=n) for m, n in zip(self.membres, self.noms, strict=False)
                )
            s.voix_preponderante = self.voix_preponderante
            s.ordre_du_jour = {}
            s.close = False
            s.version_cloture = None

    class LogementInscrit(Event):
        logement: LogementExamine

        def apply(self, s: SessionCAL) -> None:
            lg = self.logement
            s.ordre_du_jour[(lg.logement, lg.vacance)] = PointDOrdre(lg)

    class CandidatInscrit(Event):
        logement: str
        vacance: int
        demande: str
        ordre: int
        points: int | None
        filed_on: date
        favorable: bool

        def apply(self, s: SessionCAL) -> None:
            s.ordre_du_jour[(self.logement, self.vacance)].candidats.append(
                CandidatSession(self.demande, self.ordre, self.points, self.filed_on, self.favorable)
            )

    class DecisionPrise(Event):
        logement: str
        vacance: int
        demande: str
        decision: TypeDecisionCAL
        rang: int | None = None
        motif: MotifNonAttribution | None = None
        sous_motif_irrecevabilite: SousMotifIrrecevabilite | None = None
        piece_manquante: str | None = None
        delai_jours: int | None = None
        moins_de_trois_candidats: RaisonMoinsDeTrois | None = None

        def apply(self, s: SessionCAL) -> None:
            c = s.ordre_du_jour[(self.logement, self.vacance)].candidat(self.demande)
            assert c is not None
            c.decision = self

    class DecisionRetractee(Event):
        """Mirrors the retraction of the decision on the demand."""

        logement: str
        vacance: int
        demande: str

        def apply(self, s: SessionCAL) -> None:
            c = s.ordre_du_jour[(self.logement, self.vacance)].candidat(self.demande)
            if c is not None:
                c.decision = None

    class Close(Event):
        def apply(self, s: SessionCAL) -> None:
            s.close = True
            s.version_cloture = self.originator_version

    # identifiant, bailleur, date, forme, membres, voix_preponderante, ordre_du_jour, close and
    # version_cloture are set by Ouverte.apply (annotations would make a dataclass of it).

    @classmethod
    def ouvrir(
        cls,
        acte: Acte,
        identifiant: str,
        forme: FormeSession,
        membres: tuple[MembreCAL, ...],
        voix_preponderante: QualiteMembre,
    ) -> SessionCAL:
        pas_dans_le_futur(acte.occurred_on)
        if not any(m.organisation == acte.organisation and m.qualite is QualiteMembre.bailleur for m in membres):
            raise RegleEnfreinte(
                "membres_du_bailleur",
                f"a session of {acte.organisation}'s CAL needs at least one of its own members present "
                "(qualite bailleur)",
            )
        vus: set[tuple[str, QualiteMembre, str | None]] = set()
        for m in membres:
            cle = (m.organisation, m.qualite, m.nom)
            if cle in vus:
                raise RegleEnfreinte("membre_en_double", f"member {m.organisation} ({m.qualite}) is listed twice")
            vus.add(cle)
        tenant = next((m.organisation for m in membres if m.qualite is voix_preponderante), None)
        noms = tuple(m.nom for m in membres) if any(m.nom for m in membres) else None
        return cls._create(
            cls.Ouverte,
            id=cls.id_pour(identifiant),
            **_champs(acte),
            identifiant=identifiant,
            bailleur=acte.organisation,
            forme=forme,
            membres=tuple(msgspec.structs.replace(m, nom=None) for m in membres),
            voix_preponderante=tenant,
            noms=noms,
        )

    # -- queries ---------------------------------------------------------------------------

    def point(self, logement: str, vacance: int) -> PointDOrdre | None:
        return self.ordre_du_jour.get((logement, vacance))

    def candidat(self, logement: str, vacance: int, demande: str) -> CandidatSession | None:
        p = self.point(logement, vacance)
        return p.candidat(demande) if p is not None else None

    # -- commands --------------------------------------------------------------------------

    def _dans_la_session(self, acte: Acte, quoi: str) -> None:
        if self.close:
            raise RegleEnfreinte("session_close", f"session {self.identifiant} is closed: no more {quoi}")
        if acte.occurred_on != self.date:
            raise RegleEnfreinte(
                "date_de_session",
                f"{quoi} within session {self.identifiant} is dated on the session's date "
                f"{self.date.isoformat()}, not {acte.occurred_on.isoformat()}",
                date_session=self.date.isoformat(),
            )

    def inscrire(
        self,
        acte: Acte,
        logement: LogementExamine,
        demande: str,
        points: int | None,
        filed_on: date,
        favorable: bool,
    ) -> int:
        """Puts the candidate (and the dwelling's vacancy, if not yet) on the agenda; returns
        the candidate's order of examination on that dwelling."""
        self._dans_la_session(acte, "inscription")
        p = self.point(logement.logement, logement.vacance)
        if p is None:
            self.trigger_event(self.LogementInscrit, **_champs(acte), logement=logement)
            p = self.ordre_du_jour[(logement.logement, logement.vacance)]
        if p.candidat(demande) is not None:
            raise RegleEnfreinte(
                "deja_inscrite",
                f"demand {demande} is already on the agenda of {self.identifiant} for {logement.logement}",
            )
        ordre = len(p.candidats) + 1
        self.trigger_event(
            self.CandidatInscrit, **_champs(acte), logement=logement.logement, vacance=logement.vacance,
            demande=demande, ordre=ordre, points=points, filed_on=filed_on, favorable=favorable,
        )
        return ordre

    def decider(self, acte: Acte, logement: str, vacance: int, demande: str, **decision: Any) -> None:
        self._dans_la_session(acte, "decision")
        c = self.candidat(logement, vacance, demande)
        if c is None:
            raise RegleEnfreinte(
                "non_inscrite",
                f"demand {demande} is not on the agenda of {self.identifiant} for {logement} "
                "(inscription à une CAL first)",
            )
        if c.decision is not None:
            raise RegleEnfreinte(
                "deja_decidee", f"session {self.identifiant} already decided on demand {demande} for {logement}"
            )
        self.trigger_event(
            self.DecisionPrise, **_champs(acte), logement=logement, vacance=vacance, demande=demande, **decision
        )

    def retracter_decision(self, acte: Acte, logement: str, vacance: int, demande: str) -> None:
        self.trigger_event(
            self.DecisionRetractee, **_champs(acte), logement=logement, vacance=vacance, demande=demande
        )

    def clore(self, acte: Acte) -> None:
        self._dans_la_session(acte, "closing")
        self.trigger_event(self.Close, **_champs(acte))


def _champs(acte: Acte) -> dict[str, Any]:
    pas_dans_le_futur(acte.occurred_on)
    return {
        "occurred_on": acte.occurred_on,
        "organisation": acte.organisation,
        "agent": acte.agent,
        "canal": acte.canal,
    }
