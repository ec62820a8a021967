"""The demand aggregate and its events (DOMAIN.md §2–4).

Every event keeps its own `occurred_on` (valid time) and `timestamp` (recorded_at, knowledge time).
The aggregate keeps its whole list of facts because a demand's state is a fold of them that can be
taken as of any date and as known at any instant: retractions and annulled décotes change the past,
so the current state is re-folded when one arrives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate

from domain import calendrier, horloge
from domain.acte import SYSTEME, Acte, acte_systeme
from domain.codes import (
    ATTRIBUTIONS,
    Canal,
    CodeDecote,
    DecisionRecours,
    Financement,
    Justification,
    MotifMiseEnDemeure,
    MotifPreavis,
    MotifRadiation,
    QualificationRefus,
    RoleMembre,
    SousMotifIrrecevabilite,
    StadeRefus,
    StatutDalo,
    TypeDecisionCAL,
    TypeReservataire,
    Typologie,
)
from domain.erreurs import RegleEnfreinte
from domain.foyer import DonneesPersonnelles, Efface, LogementActuel, Membre, Personnel, Souhaits
from domain.territoire import LogementSocial

ESPACE_DEMANDES = uuid5(NAMESPACE_URL, "urn:demand-ledger:demande")
_INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
_CODE_CRITERE = re.compile(r"^[a-z][a-z0-9_]*$")


class SituationAttribution(msgspec.Struct, frozen=True):
    """What statistics need of a household at attribution, kept on the bail so that they never
    need personal data (DOMAIN.md §3, bail signé)."""

    ressources_par_uc: Decimal
    premier_quartile: bool
    prioritaire: bool
    dalo: bool
    contingent: TypeReservataire
    commune: str
    qpv: bool
    typologie: Typologie
    financement: Financement
    bailleur: str
    filed_on: date
    mutation: bool


# ----------------------------------------------------------------------------------------------
# State: what a fold of the facts gives.


@dataclass
class Decote:
    version: int
    code: CodeDecote
    date: date
    notifiee_le: date
    organisation: str
    refus: int | None
    recours: int | None = None  # version of the pending or decided recours
    recours_depose_le: date | None = None
    decision: DecisionRecours | None = None
    decision_version: int | None = None

    @property
    def recours_du_au_plus_tard(self) -> date:
        return calendrier.recours_possible_jusqua(self.notifiee_le)

    def compte_le(self, jour: date) -> bool:
        return self.date <= jour < calendrier.fin_decote(self.date)


@dataclass
class Candidature:
    """This demand's part in one vacancy of one dwelling."""

    logement: str
    vacance: int
    designations: list[int] = field(default_factory=list)
    contingent: TypeReservataire | None = None
    decisions: list[int] = field(default_factory=list)
    refus: int | None = None
    condition_levee: bool = False
    bail: int | None = None


@dataclass
class EtatDemande:
    numero_unique: str
    filed_on: date
    anniversaire: date
    membres: tuple[Membre, ...]
    logement_actuel: LogementActuel | None
    souhaits: Souhaits
    motifs: tuple[str, ...]
    situations: frozenset[str]
    personnel: Personnel | None
    active: bool = True
    radiation: MotifRadiation | None = None
    radiee_le: date | None = None
    mise_en_demeure: tuple[date, MotifMiseEnDemeure] | None = None
    preavis: set[tuple[date, MotifPreavis]] = field(default_factory=set)
    statut_dalo: StatutDalo = StatutDalo.NON
    justifications: dict[str, Justification] = field(default_factory=dict)
    candidatures: dict[tuple[str, int], Candidature] = field(default_factory=dict)
    decotes: dict[int, Decote] = field(default_factory=dict)
    effacee: bool = False
    dernier_jour: date = date.min
    # For explanations: which fact last set each part of the state.
    sources: dict[str, int] = field(default_factory=dict)
    faits: dict[int, Any] = field(default_factory=dict)

    @property
    def mutation(self) -> bool:
        return self.logement_actuel is not None and self.logement_actuel.modele.value == "HLM"

    def candidature(self, logement: str, vacance: int) -> Candidature | None:
        return self.candidatures.get((logement, vacance))


# ----------------------------------------------------------------------------------------------
# The aggregate and its events.


class Demande(Aggregate):
    """A demande de logement social, identified by its numéro unique."""

    @staticmethod
    def id_pour(numero_unique: str) -> UUID:
        return uuid5(ESPACE_DEMANDES, numero_unique)

    class Event(Aggregate.Event):
        occurred_on: date
        organisation: str
        agent: str
        canal: Canal

        @staticmethod
        def create_timestamp() -> datetime:
            # recorded_at comes from the ledger's clock, which tests and replays can set.
            return horloge.maintenant()

        retractable: ClassVar[bool] = True
        # Events whose retraction must be mirrored on the dwelling they concern.
        concerne_logement: ClassVar[bool] = False

        def evoluer(self, etat: EtatDemande) -> None:
            pass

        def apply(self, aggregate: Demande) -> None:
            aggregate._enregistrer_fait(self)

    class Enregistree(Event, Aggregate.Created):
        numero_unique: str
        filed_on: date
        anniversaire: date
        membres: tuple[Membre, ...]
        logement_actuel: LogementActuel | None
        souhaits: Souhaits
        motifs: tuple[str, ...]
        situations: tuple[str, ...]
        personnel: Personnel | None

        retractable: ClassVar[bool] = False

        def apply(self, aggregate: Demande) -> None:
            aggregate.faits = []
            aggregate._enregistrer_fait(self)

    class Modifiee(Event):
        membres: tuple[Membre, ...] | None = None
        logement_actuel: LogementActuel | None = None
        souhaits: Souhaits | None = None
        motifs: tuple[str, ...] | None = None
        situations: tuple[str, ...] | None = None
        personnel: Personnel | None = None

        def evoluer(self, etat: EtatDemande) -> None:
            v = self.originator_version
            if self.membres is not None:
                etat.membres, etat.sources["membres"] = self.membres, v
            if self.logement_actuel is not None:
                etat.logement_actuel, etat.sources["logement_actuel"] = self.logement_actuel, v
            if self.souhaits is not None:
                etat.souhaits, etat.sources["souhaits"] = self.souhaits, v
            if self.motifs is not None:
                etat.motifs, etat.sources["motifs"] = self.motifs, v
            if self.situations is not None:
                etat.situations, etat.sources["situations"] = frozenset(self.situations), v
            if self.personnel is not None and not etat.effacee:
                etat.personnel, etat.sources["personnel"] = self.personnel, v

    class Renouvelee(Event):
        def evoluer(self, etat: EtatDemande) -> None:
            etat.anniversaire = calendrier.anniversaire(self.occurred_on)
            # Renewing answers the ledger's correspondence: a warning for no answer lapses.
            if etat.mise_en_demeure and etat.mise_en_demeure[1] is MotifMiseEnDemeure.absence_reponse:
                etat.mise_en_demeure = None

    class PreavisEnvoye(Event):
        rang: MotifPreavis
        anniversaire: date
        retractable: ClassVar[bool] = False

        def evoluer(self, etat: EtatDemande) -> None:
            etat.preavis.add((self.anniversaire, self.rang))

    class MiseEnDemeure(Event):
        motif: MotifMiseEnDemeure

        def evoluer(self, etat: EtatDemande) -> None:
            etat.mise_en_demeure = (self.occurred_on, self.motif)

    class Radiee(Event):
        motif: MotifRadiation

        def evoluer(self, etat: EtatDemande) -> None:
            etat.active = False
            etat.radiation = self.motif
            etat.radiee_le = self.occurred_on

    class Reactivee(Event):
        def evoluer(self, etat: EtatDemande) -> None:
            etat.active = True
            etat.radiation = None
            etat.radiee_le = None
            etat.mise_en_demeure = None
            etat.anniversaire = calendrier.anniversaire(self.occurred_on)

    class DaloReconnu(Event):
        statut: StatutDalo

        def evoluer(self, etat: EtatDemande) -> None:
            etat.statut_dalo = self.statut
            etat.sources["statut_dalo"] = self.originator_version

    class CritereJustifie(Event):
        critere: str
        justification: Justification

        def evoluer(self, etat: EtatDemande) -> None:
            etat.justifications[self.critere] = self.justification
            etat.sources["justification:" + self.critere] = self.originator_version

    class Designee(Event):
        logement: str
        vacance: int
        contingent: TypeReservataire
        concerne_logement: ClassVar[bool] = True

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.setdefault(
                (self.logement, self.vacance), Candidature(self.logement, self.vacance)
            )
            c.designations.append(self.originator_version)
            c.contingent = self.contingent

    class DecisionCAL(Event):
        logement: str
        vacance: int
        decision: TypeDecisionCAL
        rang: int | None = None
        motif: str | None = None
        sous_motif_irrecevabilite: SousMotifIrrecevabilite | None = None
        piece_manquante: str | None = None
        delai_jours: int | None = None
        # Product rule: fewer than three candidates examined must carry its reason (R.441-3).
        moins_de_trois_candidats: str | None = None
        # On an attribution: the household as the CAL saw it, so that attribution statistics
        # (§6) never need personal data nor a replay. None on other decisions.
        situation: SituationAttribution | None = None
        concerne_logement: ClassVar[bool] = True

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.get((self.logement, self.vacance))
            if c is not None:
                c.decisions.append(self.originator_version)

    class ConditionLevee(Event):
        logement: str
        vacance: int
        concerne_logement: ClassVar[bool] = True

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.get((self.logement, self.vacance))
            if c is not None:
                c.condition_levee = True

    class Refusee(Event):
        logement: str
        vacance: int
        stade: StadeRefus
        motif: str
        qualification: QualificationRefus
        concerne_logement: ClassVar[bool] = True

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.get((self.logement, self.vacance))
            if c is not None:
                c.refus = self.originator_version

    class DecoteAppliquee(Event):
        code: CodeDecote
        notifiee_le: date
        refus: int | None = None  # version of the non_recevable refusal, for decote_refus

        def evoluer(self, etat: EtatDemande) -> None:
            etat.decotes[self.originator_version] = Decote(
                version=self.originator_version,
                code=self.code,
                date=self.occurred_on,
                notifiee_le=self.notifiee_le,
                organisation=self.organisation,
                refus=self.refus,
            )

    class RecoursDepose(Event):
        decote: int

        def evoluer(self, etat: EtatDemande) -> None:
            d = etat.decotes.get(self.decote)
            if d is not None:
                d.recours = self.originator_version
                d.recours_depose_le = self.occurred_on
                d.decision = None

    class RecoursDecide(Event):
        decote: int
        decision: DecisionRecours
        motivation: str

        def evoluer(self, etat: EtatDemande) -> None:
            d = etat.decotes.get(self.decote)
            if d is not None:
                d.decision = self.decision
                d.decision_version = self.originator_version

    class BailSigne(Event):
        logement: str
        vacance: int
        situation: SituationAttribution
        retractable: ClassVar[bool] = False
        concerne_logement: ClassVar[bool] = True

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.get((self.logement, self.vacance))
            if c is not None:
                c.bail = self.originator_version

    class Retractee(Event):
        cible: int
        motif: str
        retractable: ClassVar[bool] = False

    class DonneesEffacees(Event):
        retractable: ClassVar[bool] = False

        def evoluer(self, etat: EtatDemande) -> None:
            etat.effacee = True
            etat.personnel = Efface()

    # -- state ----------------------------------------------------------------------------

    # `faits` (list of events) and `etat` (their fold) are set by the creation event's apply:
    # annotating them here would make the library turn the aggregate into a dataclass.

    def _enregistrer_fait(self, fait: Demande.Event) -> None:
        self.faits.append(fait)
        if isinstance(fait, Demande.Retractee) or (
            isinstance(fait, Demande.RecoursDecide) and fait.decision is DecisionRecours.annulee
        ):
            # These change the past: fold again from the start.
            self.etat = replier(self.faits)
        elif isinstance(fait, Demande.Enregistree):
            self.etat = etat_initial(fait)
        else:
            _appliquer(self.etat, fait)

    @property
    def numero_unique(self) -> str:
        return self.etat.numero_unique

    def fait(self, version: int) -> Demande.Event:
        if not 1 <= version <= len(self.faits):
            raise RegleEnfreinte(
                "evenement_inconnu", f"demand {self.numero_unique} has no event {version}"
            )
        return self.faits[version - 1]

    def etat_au(self, au: date | None = None, connu_a: datetime | None = None) -> EtatDemande:
        return replier(self.faits, au=au, connu_a=connu_a)

    # -- commands -------------------------------------------------------------------------

    @classmethod
    def enregistrer(
        cls,
        numero_unique: str,
        acte: Acte,
        *,
        membres: tuple[Membre, ...],
        logement_actuel: LogementActuel | None,
        souhaits: Souhaits,
        motifs: tuple[str, ...] = (),
        situations: tuple[str, ...] = (),
        personnel: DonneesPersonnelles | None = None,
        filed_on: date | None = None,
        anniversaire: date | None = None,
    ) -> Demande:
        _verifier_pas_dans_le_futur(acte.occurred_on)
        depot = filed_on or acte.occurred_on
        if depot > acte.occurred_on:
            raise RegleEnfreinte(
                "filed_on_apres_enregistrement",
                f"filed_on {depot} is after the registration date {acte.occurred_on}",
            )
        if not numero_unique or len(numero_unique) > 64 or not numero_unique.isprintable():
            raise RegleEnfreinte("numero_unique_invalide", f"invalid numéro unique {numero_unique!r}")
        _verifier_foyer(membres, personnel)
        _verifier_souhaits(souhaits)
        _verifier_logement_actuel(logement_actuel)
        _verifier_situations(situations)
        if anniversaire is not None and anniversaire <= depot:
            raise RegleEnfreinte(
                "anniversaire_invalide", f"anniversary {anniversaire} is not after filed_on {depot}"
            )
        if anniversaire is not None and anniversaire > calendrier.anniversaire(acte.occurred_on):
            # The last renewal cannot be later than the registration that imports it.
            raise RegleEnfreinte(
                "anniversaire_invalide",
                f"anniversary {anniversaire} is more than a year after the registration date "
                f"{acte.occurred_on}",
            )
        demande = cls._create(
            cls.Enregistree,
            id=cls.id_pour(numero_unique),
            **_champs(acte),
            numero_unique=numero_unique,
            filed_on=depot,
            anniversaire=anniversaire or calendrier.anniversaire(depot),
            membres=membres,
            logement_actuel=logement_actuel,
            souhaits=souhaits,
            motifs=motifs,
            situations=situations,
            personnel=personnel,
        )
        return demande

    def rattraper(self, jusquau: date, retention_mois: int) -> int:
        """Append whatever fell due on or before `jusquau` (notices, RADREN radiation, erasure),
        each dated on its own due date (DOMAIN.md §4). Returns how many events it appended."""
        avant = len(self.pending_events)
        jusquau = min(jusquau, horloge.aujourdhui())  # nothing is ever dated in the future
        while True:
            etat = self.etat
            echeance = prochaine_echeance(etat, retention_mois)
            if echeance is None or echeance[0] > jusquau:
                break
            jour, quoi = echeance
            jour = max(jour, etat.dernier_jour)  # never backwards, even for a late import
            acte = acte_systeme(jour)
            if quoi == "radiation":
                self.trigger_event(self.Radiee, **_champs(acte), motif=MotifRadiation.RADREN)
            elif quoi == "effacement":
                self.trigger_event(self.DonneesEffacees, **_champs(acte))
            else:
                self.trigger_event(
                    self.PreavisEnvoye,
                    **_champs(acte),
                    rang=MotifPreavis(quoi),
                    anniversaire=etat.anniversaire,
                )
        return len(self.pending_events) - avant

    def modifier(
        self,
        acte: Acte,
        *,
        membres: tuple[Membre, ...] | None = None,
        logement_actuel: LogementActuel | None = None,
        souhaits: Souhaits | None = None,
        motifs: tuple[str, ...] | None = None,
        situations: tuple[str, ...] | None = None,
        personnel: DonneesPersonnelles | None = None,
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("modification")
        if all(x is None for x in (membres, logement_actuel, souhaits, motifs, situations, personnel)):
            raise RegleEnfreinte("modification_vide", "a modification must change at least one field")
        _verifier_foyer(
            membres if membres is not None else self.etat.membres,
            personnel if personnel is not None else _lisible(self.etat.personnel),
        )
        if souhaits is not None:
            _verifier_souhaits(souhaits)
        _verifier_logement_actuel(logement_actuel)
        if situations is not None:
            _verifier_situations(situations)
        self.trigger_event(
            self.Modifiee,
            **_champs(acte),
            membres=membres,
            logement_actuel=logement_actuel,
            souhaits=souhaits,
            motifs=motifs,
            situations=situations,
            personnel=personnel,
        )

    def renouveler(self, acte: Acte) -> None:
        self._verifier_acte(acte)
        self._verifier_active("renouvellement")
        self.trigger_event(self.Renouvelee, **_champs(acte))

    def mettre_en_demeure(self, acte: Acte, motif: MotifMiseEnDemeure) -> None:
        self._verifier_acte(acte)
        self._verifier_active("mise_en_demeure")
        if motif is MotifMiseEnDemeure.irrecevabilite and not self._irrecevabilite_prononcee(
            acte.organisation
        ):
            raise RegleEnfreinte(
                "irrecevabilite_non_prononcee",
                "a mise en demeure for irrecevabilité needs an irrecevabilité pronounced by this "
                "bailleur's CAL on this demand",
            )
        self.trigger_event(self.MiseEnDemeure, **_champs(acte), motif=motif)

    def radier(self, acte: Acte, motif: MotifRadiation) -> None:
        self._verifier_acte(acte)
        self._verifier_active("radiation")
        if motif in (MotifRadiation.RADATT, MotifRadiation.RADREN):
            raise RegleEnfreinte(
                "radiation_automatique",
                f"{motif} is appended by the ledger itself "
                + ("with the bail" if motif is MotifRadiation.RADATT else "on schedule"),
            )
        if motif in (MotifRadiation.RADCON, MotifRadiation.RADIRR):
            attendu = (
                MotifMiseEnDemeure.absence_reponse
                if motif is MotifRadiation.RADCON
                else MotifMiseEnDemeure.irrecevabilite
            )
            med = self.etat.mise_en_demeure
            if med is None or med[1] is not attendu:
                raise RegleEnfreinte(
                    "mise_en_demeure_requise",
                    f"{motif} needs a prior mise en demeure ({attendu})",
                )
            possible = calendrier.radiation_apres_mise_en_demeure(med[0])
            if acte.occurred_on < possible:
                raise RegleEnfreinte(
                    "delai_mise_en_demeure",
                    f"{motif} is allowed from {possible.isoformat()}, one month after the mise en "
                    f"demeure of {med[0].isoformat()}",
                    possible_le=possible.isoformat(),
                )
        self.trigger_event(self.Radiee, **_champs(acte), motif=motif)

    def reactiver(self, acte: Acte) -> None:
        self._verifier_acte(acte)
        etat = self.etat
        if etat.active:
            raise RegleEnfreinte("demande_active", f"demand {etat.numero_unique} is active")
        if etat.radiation is not MotifRadiation.RADREN:
            raise RegleEnfreinte(
                "reactivation_radren_seulement",
                f"only a RADREN radiation can be undone; this demand was radiated {etat.radiation}",
            )
        assert etat.radiee_le is not None
        limite = calendrier.reactivation_possible_jusqua(etat.radiee_le)
        if acte.occurred_on > limite:
            raise RegleEnfreinte(
                "delai_reactivation",
                f"reactivation was possible until {limite.isoformat()} (RADREN radiation of "
                f"{etat.radiee_le.isoformat()} + 1 month)",
                possible_jusqua=limite.isoformat(),
            )
        self.trigger_event(self.Reactivee, **_champs(acte))

    def reconnaitre_dalo(self, acte: Acte, statut: StatutDalo) -> None:
        self._verifier_acte(acte)
        self.trigger_event(self.DaloReconnu, **_champs(acte), statut=statut)

    def justifier(self, acte: Acte, critere: str, justification: Justification) -> None:
        self._verifier_acte(acte)
        if critere not in self.etat.situations and critere not in CRITERES_DERIVES:
            raise RegleEnfreinte(
                "critere_non_revendique",
                f"criterion {critere!r} is neither declared in the demand's situations nor derived",
            )
        self.trigger_event(
            self.CritereJustifie, **_champs(acte), critere=critere, justification=justification
        )

    def designer(
        self, acte: Acte, logement: LogementSocial, vacance: int, contingent: TypeReservataire
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("designation")
        c = self.etat.candidature(logement.identifiant, vacance)
        if c is not None and c.designations and c.refus is None:
            raise RegleEnfreinte(
                "deja_designee",
                f"demand is already a candidate on {logement.identifiant} for this vacancy",
            )
        self.trigger_event(
            self.Designee,
            **_champs(acte),
            logement=logement.identifiant,
            vacance=vacance,
            contingent=contingent,
        )

    def decider_cal(
        self,
        acte: Acte,
        logement: LogementSocial,
        vacance: int,
        decision: TypeDecisionCAL,
        *,
        rang: int | None = None,
        motif: str | None = None,
        sous_motif_irrecevabilite: SousMotifIrrecevabilite | None = None,
        piece_manquante: str | None = None,
        delai_jours: int | None = None,
        moins_de_trois_candidats: str | None = None,
        situation: SituationAttribution | None = None,
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("decision_cal")
        c = self._candidature_designee(
            logement, vacance, "non_designee",
            f"demand is not designated on {logement.identifiant} for its current vacancy",
        )
        if c.refus is not None:
            raise RegleEnfreinte("deja_refusee", "the candidate has already refused this dwelling")
        _verifier_decision(decision, rang, motif, sous_motif_irrecevabilite, piece_manquante, delai_jours)
        self.trigger_event(
            self.DecisionCAL,
            **_champs(acte),
            logement=logement.identifiant,
            vacance=vacance,
            decision=decision,
            rang=rang,
            motif=motif,
            sous_motif_irrecevabilite=sous_motif_irrecevabilite,
            piece_manquante=piece_manquante,
            delai_jours=delai_jours,
            moins_de_trois_candidats=moins_de_trois_candidats,
            situation=situation if decision in ATTRIBUTIONS else None,
        )

    def lever_condition(self, acte: Acte, logement: LogementSocial, vacance: int) -> None:
        self._verifier_acte(acte)
        self._verifier_active("condition_levee")
        c = self.etat.candidature(logement.identifiant, vacance)
        decisions = [self.fait(v) for v in (c.decisions if c else [])]
        if not any(
            d.decision is TypeDecisionCAL.attribution_sous_condition for d in decisions  # type: ignore[attr-defined]
        ):
            raise RegleEnfreinte(
                "pas_de_condition_suspensive",
                f"no attribution sous condition suspensive on {logement.identifiant}",
            )
        if c is not None and c.condition_levee:
            raise RegleEnfreinte("condition_deja_levee", "the suspensive condition is already met")
        self.trigger_event(
            self.ConditionLevee, **_champs(acte), logement=logement.identifiant, vacance=vacance
        )

    def refuser(
        self,
        acte: Acte,
        logement: LogementSocial,
        vacance: int,
        stade: StadeRefus,
        motif: str,
        qualification: QualificationRefus,
    ) -> int:
        """Returns the version of the refusal, for a décote that may follow it."""
        self._verifier_acte(acte)
        self._verifier_active("refus")
        c = self._candidature_designee(
            logement, vacance, "aucune_proposition",
            f"no designation or CAL decision on {logement.identifiant} for this demand",
        )
        if c.refus is not None:
            raise RegleEnfreinte("deja_refusee", "this proposal was already refused")
        if stade is not StadeRefus.avant_cal and not c.decisions:
            raise RegleEnfreinte(
                "refus_sans_decision", f"a refusal at stage {stade} needs a CAL decision first"
            )
        if not motif.strip():
            raise RegleEnfreinte("motif_requis", "a refusal needs its motif")
        self.trigger_event(
            self.Refusee,
            **_champs(acte),
            logement=logement.identifiant,
            vacance=vacance,
            stade=stade,
            motif=motif,
            qualification=qualification,
        )
        return self.version

    def appliquer_decote(
        self,
        acte: Acte,
        code: CodeDecote,
        *,
        refus: int | None = None,
        notifiee_le: date | None = None,
    ) -> int:
        """Who may apply it (the refused proposal's bailleur, or a guichet for pièces) is a
        permission, asked by the command's handler first (`permissions.decote`)."""
        self._verifier_acte(acte)
        self._verifier_active("decote")
        if code is CodeDecote.decote_refus:
            if refus is None:
                raise RegleEnfreinte("refus_requis", "decote_refus must name the refusal it follows")
            fait = self.fait(refus)
            if not isinstance(fait, Demande.Refusee) or self._retracte(refus):
                raise RegleEnfreinte("refus_inconnu", f"event {refus} is not a standing refusal")
            if fait.qualification is not QualificationRefus.non_recevable:
                raise RegleEnfreinte(
                    "refus_recevable",
                    f"refusal {refus} was qualified {fait.qualification}: only a non_recevable "
                    "refusal may be penalised",
                )
            limite = calendrier.ajouter_ans(fait.occurred_on, 1)
            if acte.occurred_on >= limite:
                raise RegleEnfreinte(
                    "decote_hors_delai",
                    f"a décote for the refusal of {fait.occurred_on.isoformat()} was possible "
                    f"until {(limite - timedelta(days=1)).isoformat()}",
                )
            if any(d.refus == refus for d in self.etat.decotes.values()):
                raise RegleEnfreinte("decote_deja_appliquee", f"refusal {refus} already has its décote")
        elif refus is not None:
            raise RegleEnfreinte("refus_inattendu", "decote_pieces does not follow a refusal")
        notification = notifiee_le or acte.occurred_on
        if notification < acte.occurred_on or notification > horloge.aujourdhui():
            raise RegleEnfreinte(
                "notification_invalide",
                "the notification date cannot be before the décote nor in the future",
            )
        self.trigger_event(
            self.DecoteAppliquee, **_champs(acte), code=code, notifiee_le=notification, refus=refus
        )
        return self.version

    def deposer_recours(self, acte: Acte, decote: int) -> None:
        self._verifier_acte(acte)
        d = self._decote(decote)
        if d.recours is not None and d.decision is None:
            raise RegleEnfreinte("recours_pendant", f"décote {decote} already has a pending recours")
        if d.decision is not None:
            raise RegleEnfreinte("recours_deja_decide", f"the recours against décote {decote} was decided")
        limite = d.recours_du_au_plus_tard
        if acte.occurred_on > limite:
            raise RegleEnfreinte(
                "recours_hors_delai",
                f"a recours against décote {decote} was due by {limite.isoformat()} "
                f"(notification of {d.notifiee_le.isoformat()} + 15 days)",
                du_au_plus_tard=limite.isoformat(),
            )
        self.trigger_event(self.RecoursDepose, **_champs(acte), decote=decote)

    def decider_recours(
        self, acte: Acte, decote: int, decision: DecisionRecours, motivation: str
    ) -> None:
        """That the décote's author decides is a permission (`permissions.auteur_de_la_decote`),
        asked by the command's handler first."""
        self._verifier_acte(acte)
        d = self._decote(decote)
        if d.recours is None or d.decision is not None:
            raise RegleEnfreinte("aucun_recours_pendant", f"décote {decote} has no pending recours")
        if not motivation.strip():
            raise RegleEnfreinte("motivation_requise", "a decision on a recours must be motivated")
        self.trigger_event(
            self.RecoursDecide, **_champs(acte), decote=decote, decision=decision, motivation=motivation
        )

    def signer_bail(
        self, acte: Acte, logement: LogementSocial, vacance: int, situation: SituationAttribution
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("bail")
        c = self.etat.candidature(logement.identifiant, vacance)
        attributions = [
            self.fait(v) for v in (c.decisions if c else []) if self.fait(v).decision in ATTRIBUTIONS  # type: ignore[attr-defined]
        ]
        if c is None or not attributions:
            raise RegleEnfreinte(
                "aucune_attribution", f"no CAL attribution of {logement.identifiant} to this demand"
            )
        if c.refus is not None:
            raise RegleEnfreinte("attribution_refusee", "the candidate refused this dwelling")
        self.trigger_event(
            self.BailSigne,
            **_champs(acte),
            logement=logement.identifiant,
            vacance=vacance,
            situation=situation,
        )
        self.trigger_event(self.Radiee, **_champs(acte), motif=MotifRadiation.RADATT)

    def retracter(self, acte: Acte, cible: int, motif: str) -> Demande.Event:
        self._verifier_acte(acte)
        fait = self.fait(cible)
        if not fait.retractable:
            raise RegleEnfreinte(
                "non_retractable", f"event {cible} ({type(fait).__name__}) cannot be retracted"
            )
        if self._retracte(cible):
            raise RegleEnfreinte("deja_retracte", f"event {cible} is already retracted")
        if fait.organisation != acte.organisation:
            raise RegleEnfreinte(
                "retractation_par_l_auteur",
                f"only {fait.organisation}, which recorded event {cible}, may retract it",
            )
        if not motif.strip():
            raise RegleEnfreinte("motif_requis", "a retraction needs its motif")
        self.trigger_event(self.Retractee, **_champs(acte), cible=cible, motif=motif)
        return fait

    # -- helpers --------------------------------------------------------------------------

    def _verifier_acte(self, acte: Acte) -> None:
        _verifier_pas_dans_le_futur(acte.occurred_on)
        if acte.occurred_on < self.etat.dernier_jour:
            raise RegleEnfreinte(
                "date_anterieure",
                f"occurred_on {acte.occurred_on.isoformat()} is before the demand's last event "
                f"({self.etat.dernier_jour.isoformat()}): dates never go backwards on a demand",
                dernier_evenement_le=self.etat.dernier_jour.isoformat(),
            )
        if acte.organisation == SYSTEME and acte.canal is not Canal.schedule:
            raise RegleEnfreinte("systeme_reserve", "only the schedule acts as the systeme")

    def _verifier_active(self, commande: str) -> None:
        if not self.etat.active:
            raise RegleEnfreinte(
                "demande_radiee",
                f"{commande} needs an active demand; {self.etat.numero_unique} was radiated "
                f"({self.etat.radiation}) on {self.etat.radiee_le}",
                motif_radiation=str(self.etat.radiation),
            )

    def _candidature_designee(
        self, logement: LogementSocial, vacance: int, regle: str, message: str
    ) -> Candidature:
        c = self.etat.candidature(logement.identifiant, vacance)
        if c is None or not c.designations:
            raise RegleEnfreinte(regle, message)
        return c

    def _decote(self, version: int) -> Decote:
        d = self.etat.decotes.get(version)
        if d is None:
            raise RegleEnfreinte("decote_inconnue", f"event {version} is not a standing décote")
        return d

    def _retracte(self, version: int) -> bool:
        return any(isinstance(f, Demande.Retractee) and f.cible == version for f in self.faits)

    def _irrecevabilite_prononcee(self, organisation: str) -> bool:
        return any(
            isinstance(f, Demande.DecisionCAL)
            and f.decision is TypeDecisionCAL.irrecevabilite
            and f.organisation == organisation
            and not self._retracte(f.originator_version)
            for f in self.faits
        )


# Derived criteria of the grid (DOMAIN.md §5.1): a justification may concern them too.
CRITERES_DERIVES = frozenset(
    {
        "dalo",
        "premier_quartile",
        "sans_logement",
        "heberge_tiers",
        "heberge_structure",
        "travaille_epci",
        "travaille_commune",
        "habite_commune",
        "jeune_moins_30",
        "personne_agee_60",
        "parent_isole",
        "cdd_interim",
        "etudiant_apprenti",
        "anciennete_1an",
        "aspa_60_epci",
    }
)


# ----------------------------------------------------------------------------------------------
# Folding.


def etat_initial(e: Demande.Enregistree) -> EtatDemande:
    v = e.originator_version
    etat = EtatDemande(
        numero_unique=e.numero_unique,
        filed_on=e.filed_on,
        anniversaire=e.anniversaire,
        membres=e.membres,
        logement_actuel=e.logement_actuel,
        souhaits=e.souhaits,
        motifs=e.motifs,
        situations=frozenset(e.situations),
        personnel=e.personnel,
        sources={k: v for k in ("membres", "logement_actuel", "souhaits", "motifs", "situations", "personnel")},
    )
    etat.dernier_jour = e.occurred_on
    etat.faits[v] = e
    return etat


def _appliquer(etat: EtatDemande, fait: Demande.Event) -> None:
    fait.evoluer(etat)
    etat.faits[fait.originator_version] = fait
    if fait.occurred_on > etat.dernier_jour:
        etat.dernier_jour = fait.occurred_on


def replier(
    faits: list[Demande.Event], au: date | None = None, connu_a: datetime | None = None
) -> EtatDemande:
    """The demand's state as of `au` (valid time) and as known at `connu_a` (knowledge time):
    only facts recorded by `connu_a`, occurred by `au`, not retracted, and no annulled décote."""
    connus = [f for f in faits if connu_a is None or f.timestamp <= connu_a]
    if not connus:
        raise RegleEnfreinte("inconnue_a_cette_date", "the demand was not yet recorded at that instant")
    retractes = {f.cible for f in connus if isinstance(f, Demande.Retractee)}
    annulees = {
        f.decote
        for f in connus
        if isinstance(f, Demande.RecoursDecide)
        and f.decision is DecisionRecours.annulee
        and f.originator_version not in retractes
    }
    premier = connus[0]
    assert isinstance(premier, Demande.Enregistree)
    if au is not None and premier.occurred_on > au and premier.filed_on > au:
        raise RegleEnfreinte(
            "inconnue_a_cette_date", f"the demand did not exist on {au.isoformat()}"
        )
    etat = etat_initial(premier)
    for f in connus[1:]:
        v = f.originator_version
        if v in retractes or isinstance(f, Demande.Retractee):
            continue
        if au is not None and f.occurred_on > au:
            break  # occurred_on never goes backwards on a demand
        if isinstance(f, Demande.DecoteAppliquee) and v in annulees:
            continue
        _appliquer(etat, f)
    # Dates never go backwards against any recorded fact, retracted ones and retractions included.
    etat.dernier_jour = max(
        (f.occurred_on for f in connus if au is None or f.occurred_on <= au), default=etat.dernier_jour
    )
    return etat


def prochaine_echeance(etat: EtatDemande, retention_mois: int) -> tuple[date, str] | None:
    """The next thing the schedule must append for this demand, with its due date."""
    if etat.active:
        anniv = etat.anniversaire
        for rang, jour in (
            (MotifPreavis.premier, calendrier.premier_preavis(anniv)),
            (MotifPreavis.second, calendrier.second_preavis(anniv)),
        ):
            if (anniv, rang) not in etat.preavis:
                return jour, rang.value
        return calendrier.radiation_non_renouvellement(anniv), "radiation"
    if not etat.effacee and etat.radiee_le is not None:
        return calendrier.effacement(etat.radiee_le, retention_mois), "effacement"
    return None


# ----------------------------------------------------------------------------------------------
# Validation of payloads.


def _champs(acte: Acte) -> dict[str, Any]:
    return {
        "occurred_on": acte.occurred_on,
        "organisation": acte.organisation,
        "agent": acte.agent,
        "canal": acte.canal,
    }


def _lisible(p: Personnel | None) -> DonneesPersonnelles | None:
    return p if isinstance(p, DonneesPersonnelles) else None


def _verifier_pas_dans_le_futur(jour: date) -> None:
    today = horloge.aujourdhui()
    if jour > today:
        raise RegleEnfreinte(
            "date_future",
            f"occurred_on {jour.isoformat()} is in the future (today is {today.isoformat()})",
        )


def _verifier_foyer(membres: tuple[Membre, ...], personnel: DonneesPersonnelles | None) -> None:
    demandeurs = [m for m in membres if m.role is RoleMembre.demandeur]
    if len(demandeurs) != 1:
        raise RegleEnfreinte(
            "foyer_invalide", f"the household needs exactly one demandeur, found {len(demandeurs)}"
        )
    ids = [m.id for m in membres]
    if len(set(ids)) != len(ids):
        raise RegleEnfreinte("foyer_invalide", "household member ids must be unique")
    for m in membres:
        if m.commune_travail is not None and not _INSEE.match(m.commune_travail):
            raise RegleEnfreinte(
                "commune_invalide", f"member {m.id}: work commune {m.commune_travail!r} is not an INSEE code"
            )
        for r in m.ressources:
            if r.montant_mensuel < 0:
                raise RegleEnfreinte("ressource_negative", f"member {m.id}: negative resource {r.code}")
    if personnel is not None:
        connus = set(ids)
        for i in personnel.identites:
            if i.membre not in connus:
                raise RegleEnfreinte(
                    "identite_orpheline", f"identity for unknown household member {i.membre!r}"
                )
            if i.date_naissance > horloge.aujourdhui():
                raise RegleEnfreinte("naissance_future", f"member {i.membre}: birth date in the future")


def _verifier_souhaits(s: Souhaits) -> None:
    if not s.communes:
        raise RegleEnfreinte("souhaits_invalides", "wishes need at least one commune")
    for c in s.communes:
        if not _INSEE.match(c):
            raise RegleEnfreinte("commune_invalide", f"wished commune {c!r} is not an INSEE code")
    if not s.typologies:
        raise RegleEnfreinte("souhaits_invalides", "wishes need at least one typology")


def _verifier_logement_actuel(lgt: LogementActuel | None) -> None:
    if lgt is not None and lgt.commune is not None and not _INSEE.match(lgt.commune):
        raise RegleEnfreinte(
            "commune_invalide", f"current housing commune {lgt.commune!r} is not an INSEE code"
        )


def _verifier_situations(situations: tuple[str, ...]) -> None:
    for s in situations:
        if not _CODE_CRITERE.match(s):
            raise RegleEnfreinte("situation_invalide", f"situation {s!r} is not a criterion code")


def _verifier_decision(
    decision: TypeDecisionCAL,
    rang: int | None,
    motif: str | None,
    sous_motif: SousMotifIrrecevabilite | None,
    piece: str | None,
    delai: int | None,
) -> None:
    if decision is TypeDecisionCAL.attribution_par_classement:
        if rang is None or rang < 1:
            raise RegleEnfreinte("rang_requis", "an attribution par classement needs its rank (≥ 1)")
    elif rang is not None:
        raise RegleEnfreinte("rang_inattendu", f"a {decision} decision has no rank")
    if decision is TypeDecisionCAL.attribution_sous_condition and (
        not piece or delai is None or delai < 1
    ):
        raise RegleEnfreinte(
            "condition_incomplete",
            "an attribution sous condition suspensive needs the missing pièce and a delay in days",
        )
    if decision is TypeDecisionCAL.non_attribution and not motif:
        raise RegleEnfreinte("motif_requis", "a non-attribution needs its motif")
    if decision is TypeDecisionCAL.irrecevabilite and sous_motif is None:
        raise RegleEnfreinte(
            "sous_motif_requis", "an irrecevabilité needs its sousMotifIrrecevabilite"
        )
