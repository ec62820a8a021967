"""A demand's state, and the fold that gives it from the demand's facts (DOMAIN.md §2–4, §7).

The state is a fold of the facts that can be taken as of any date (valid time) and as known at
any instant (knowledge time): retractions and annulled décotes change the past, so a fact that
does re-folds from the start. Each fact says itself how it changes the state (`evoluer`) and
whether it retracts or annuls another one; the fold needs nothing else of it (`Fait`), so this
module does not know the aggregate's event classes (`domain/demande.py`), which build on it.
Also here: what the schedule owes the demand next (`prochaine_echeance`), read off the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import msgspec

from domain import calendrier
from domain.acte import Acte
from domain.codes import (
    CategoriePrioritaire,
    CodeDecote,
    DecisionRecours,
    Financement,
    Justification,
    MotifMiseEnDemeure,
    MotifPreavis,
    MotifRadiation,
    SourcePriorite,
    StatutDalo,
    TypeReservataire,
    Typologie,
)
from domain.dossier_unique import DossierUnique
from domain.erreurs import RegleEnfreinte
from domain.foyer import Complements, LogementActuel, Membre, Personnel, Souhaits


class SituationAttribution(msgspec.Struct, frozen=True, omit_defaults=True):
    """What statistics need of a household at attribution, kept on the bail so that they never
    need personal data (DOMAIN.md §3, bail signé). Fields added since logs were first written
    have defaults, left out when encoded at their default (`omit_defaults`): an older event
    is written back exactly as it was."""

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
    # The réservataire organisation (contingent holder in stock, the flux share's in flux) and
    # whether the vacancy was in flux; absent from attributions recorded before the flux.
    reservataire: str | None = None
    flux: bool = False
    # The household's profile (docs/statistics.md): the demandeur's age band (None: unknown)
    # and the kind of household; absent from attributions recorded before issue 10.
    tranche_age: str | None = None
    type_menage: str | None = None


@dataclass
class Decote:
    version: int
    code: CodeDecote
    date: date
    notifiee_le: date
    organisation: str
    refus: int | None
    recours: int | None = None  # version of the pending or decided recours
    # The day of the sanctioned fact (the refused proposal, or the pièce found incoherent): the
    # décote counts for one year from it (CCH L.441-2-8, the grid's "dans la dernière année").
    # None for a décote recorded before it was anchored: its own date stands for the fact.
    fait_le: date | None = None
    piece: int | None = None  # version of the refused pièce a decote_pieces cites
    recours_depose_le: date | None = None
    decision: DecisionRecours | None = None
    decision_version: int | None = None

    @property
    def recours_du_au_plus_tard(self) -> date:
        return calendrier.recours_possible_jusqua(self.notifiee_le)

    @property
    def fin(self) -> date:
        """The first day the décote no longer counts: its fact's date + 1 year."""
        return calendrier.fin_decote(self.fait_le or self.date)

    def compte_le(self, jour: date) -> bool:
        return self.date <= jour < self.fin


@dataclass(frozen=True)
class Priorite:
    """A priority recognised by the Etat or a labelling instance (CCH L.441-1)."""

    version: int
    categorie: CategoriePrioritaire
    source: SourcePriorite
    du: date
    jusqua: date | None
    organisation: str

    def vaut_le(self, jour: date) -> bool:
        return self.du <= jour and (self.jusqua is None or jour <= self.jusqua)


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
    reservataire: str | None = None
    flux: bool = False
    favorable: bool = False  # answered favourably before the CAL
    acceptee: bool = False  # accepted the offer
    sessions: list[str] = field(default_factory=list)  # CAL sessions that put it on their agenda
    notifications: dict[int, date] = field(default_factory=dict)  # decision version -> notified on


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
    complements: Complements | None = None
    active: bool = True
    radiation: MotifRadiation | None = None
    radiee_le: date | None = None
    mise_en_demeure: tuple[date, MotifMiseEnDemeure] | None = None
    mise_en_demeure_par: str | None = None  # the organisation that sent the standing one
    preavis: set[tuple[date, MotifPreavis]] = field(default_factory=set)
    statut_dalo: StatutDalo = StatutDalo.NON
    justifications: dict[str, Justification] = field(default_factory=dict)
    candidatures: dict[tuple[str, int], Candidature] = field(default_factory=dict)
    decotes: dict[int, Decote] = field(default_factory=dict)
    # Recognised priorities by event version; contingents stated eligible, by (réservataire
    # organisation, contingent) -> event version.
    priorites: dict[int, Priorite] = field(default_factory=dict)
    contingents_eligibles: dict[tuple[str, TypeReservataire], int] = field(default_factory=dict)
    dossier: DossierUnique = field(default_factory=DossierUnique)  # pièces, visits, attestations
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

    def priorite_reconnue_le(self, jour: date) -> bool:
        return any(p.vaut_le(jour) for p in self.priorites.values())


# ----------------------------------------------------------------------------------------------
# What the fold asks of a fact; `Demande.Event` and `Demande.Enregistree` are what answer.


class Fait(Protocol):
    originator_version: int
    occurred_on: date
    timestamp: datetime
    creation: ClassVar[bool]  # the registration, always the first fact
    annulable: ClassVar[bool]  # a décote, which a recours decided annulee takes back

    def evoluer(self, etat: EtatDemande) -> None: ...

    def retracte(self) -> int | None:
        """The version of the fact this one retracts, if it is a retraction."""
        ...

    def decote_annulee(self) -> int | None:
        """The version of the décote this one annuls, if it is a recours decided annulee."""
        ...


class Enregistrement(Fait, Protocol):
    numero_unique: str
    filed_on: date
    anniversaire: date
    membres: tuple[Membre, ...]
    logement_actuel: LogementActuel | None
    souhaits: Souhaits
    motifs: tuple[str, ...]
    situations: tuple[str, ...]
    personnel: Personnel | None
    complements: Complements | None


def champs(acte: Acte) -> dict[str, Any]:
    """The fields every fact of a demand takes from the act that records it."""
    return {
        "occurred_on": acte.occurred_on,
        "organisation": acte.organisation,
        "agent": acte.agent,
        "canal": acte.canal,
    }


# ----------------------------------------------------------------------------------------------
# Folding.


def etat_initial(e: Enregistrement) -> EtatDemande:
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
        complements=e.complements,
        sources={
            k: v
            for k in ("membres", "logement_actuel", "souhaits", "motifs", "situations", "personnel", "complements")
        },
    )
    etat.dernier_jour = e.occurred_on
    etat.faits[v] = e
    return etat


def appliquer(etat: EtatDemande, fait: Fait) -> None:
    """One more fact on the state, in order (a fact that changes the past re-folds instead)."""
    fait.evoluer(etat)
    etat.faits[fait.originator_version] = fait
    if fait.occurred_on > etat.dernier_jour:
        etat.dernier_jour = fait.occurred_on


def change_le_passe(fait: Fait) -> bool:
    """A retraction, or a décote annulled on recours: the state must be folded again."""
    return fait.retracte() is not None or fait.decote_annulee() is not None


def replier(
    faits: list[Any], au: date | None = None, connu_a: datetime | None = None
) -> EtatDemande:
    """The demand's state as of `au` (valid time) and as known at `connu_a` (knowledge time):
    only facts recorded by `connu_a`, occurred by `au`, not retracted, and no annulled décote.
    `faits` are the demand's facts in order (`Fait`s, the registration first)."""
    connus: list[Fait] = [f for f in faits if connu_a is None or f.timestamp <= connu_a]
    if not connus:
        raise RegleEnfreinte("inconnue_a_cette_date", "the demand was not yet recorded at that instant")
    retractes = {v for f in connus if (v := f.retracte()) is not None}
    annulees = {
        v
        for f in connus
        if (v := f.decote_annulee()) is not None and f.originator_version not in retractes
    }
    premier = connus[0]
    assert premier.creation, "a demand's first fact is its registration"
    enregistrement: Enregistrement = premier  # type: ignore[assignment]
    if au is not None and premier.occurred_on > au and enregistrement.filed_on > au:
        raise RegleEnfreinte(
            "inconnue_a_cette_date", f"the demand did not exist on {au.isoformat()}"
        )
    etat = etat_initial(enregistrement)
    for f in connus[1:]:
        v = f.originator_version
        if v in retractes or f.retracte() is not None:
            continue
        if au is not None and f.occurred_on > au:
            break  # occurred_on never goes backwards on a demand
        if f.annulable and v in annulees:
            continue
        appliquer(etat, f)
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
