"""What an organisation asks the ledger to record: one struct per command, the same for the HTTP
API, the CLI and importers. Unknown fields are refused, so a typo never passes silently."""

from datetime import date

import msgspec

from domain.cal import MembreCAL
from domain.codes import (
    CanalNotification,
    CategoriePrioritaire,
    CodeDecote,
    DecisionRecours,
    FormeSession,
    Justification,
    MotifMiseEnDemeure,
    MotifNonAttribution,
    MotifRadiation,
    MotifRefus,
    QualificationRefus,
    RaisonMoinsDeTrois,
    RetraitFlux,
    SourcePriorite,
    SousMotifIrrecevabilite,
    StadeRefus,
    StadeReponse,
    StatutDalo,
    TypeDecisionCAL,
    TypeReservataire,
)
from domain.foyer import Complements, DonneesPersonnelles, LogementActuel, Membre, Souhaits


class Commande(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    occurred_on: date


class Enregistrer(Commande):
    membres: tuple[Membre, ...]
    souhaits: Souhaits
    logement_actuel: LogementActuel | None = None
    motifs: tuple[str, ...] = ()
    situations: tuple[str, ...] = ()
    personnel: DonneesPersonnelles | None = None
    complements: Complements | None = None
    # Given on import of an existing demand; minted otherwise.
    numero_unique: str | None = None
    filed_on: date | None = None
    # On import: the demand's current anniversary (its last renewal + 1 year); by default
    # filed_on + 1 year, which would radiate at once a demand filed years ago and renewed since.
    anniversaire: date | None = None


class Modifier(Commande):
    membres: tuple[Membre, ...] | None = None
    logement_actuel: LogementActuel | None = None
    souhaits: Souhaits | None = None
    motifs: tuple[str, ...] | None = None
    situations: tuple[str, ...] | None = None
    personnel: DonneesPersonnelles | None = None
    complements: Complements | None = None


class Renouveler(Commande):
    pass


class MettreEnDemeure(Commande):
    motif: MotifMiseEnDemeure


class Radier(Commande):
    motif: MotifRadiation


class Reactiver(Commande):
    pass


class ReconnaitreDalo(Commande):
    statut: StatutDalo


class Justifier(Commande):
    critere: str
    justification: Justification


class ReconnaitrePriorite(Commande):
    """Caractère prioritaire (CCH L.441-1 a–m, or DALO), recognised by the Etat or the instance
    that labels (`source`), from `du` until `jusqua` (inclusive; None: until retracted)."""

    categorie: CategoriePrioritaire
    source: SourcePriorite
    du: date
    jusqua: date | None = None


class DeclarerEligibilite(Commande):
    """A réservataire states the demand eligible to its contingent or flux share (`eligible`
    true), or withdraws it (false)."""

    contingent: TypeReservataire
    eligible: bool = True


class Designer(Commande):
    logement: str
    # Defaults to the dwelling's contingent; a bailleur may designate hors contingent (AUCUN).
    contingent: TypeReservataire | None = None


class DeciderCAL(Commande):
    logement: str
    decision: TypeDecisionCAL
    rang: int | None = None
    # Codes shared by every bailleur; `texte`, free text beside them, is encrypted.
    motif: MotifNonAttribution | None = None  # required for a non_attribution
    sous_motif_irrecevabilite: SousMotifIrrecevabilite | None = None
    piece_manquante: str | None = None
    delai_jours: int | None = None
    # Required when fewer than three candidates who answered favourably are examined (R.441-3).
    moins_de_trois_candidats: RaisonMoinsDeTrois | None = None
    texte: str | None = None
    # The CAL session the decision is taken in (its identifier); None for a decision imported
    # from elsewhere, outside any session the ledger knows.
    session: str | None = None


class InscrireCAL(Commande):
    """Inscription à une CAL: the candidate (designated on the dwelling's current vacancy) on the
    agenda of a session of the bailleur's CAL, dated on the session's date."""

    logement: str
    session: str


class Accepter(Commande):
    """The candidate's favourable answer: avant_cal to the bailleur's contact (wishes to be
    presented), apres_cal to the CAL's offer."""

    logement: str
    stade: StadeReponse


class NotifierDecision(Commande):
    """The latest CAL decision on the dwelling notified to the candidate, through `canal`."""

    logement: str
    canal: CanalNotification


class LeverCondition(Commande):
    logement: str


class Refuser(Commande):
    logement: str
    stade: StadeRefus
    motif: MotifRefus  # the code, shared by every bailleur
    qualification: QualificationRefus
    texte: str | None = None  # free text beside the code (encrypted)
    # A non_recevable refusal and its décote may be one command; they stay two events.
    appliquer_decote: bool = False
    decote_notifiee_le: date | None = None


class AppliquerDecote(Commande):
    code: CodeDecote
    refus: int | None = None  # event number of the refusal, for decote_refus
    notifiee_le: date | None = None


class DeposerRecours(Commande):
    decote: int  # event number of the décote


class DeciderRecours(Commande):
    decote: int
    decision: DecisionRecours
    motivation: str


class SignerBail(Commande):
    logement: str


class Retracter(Commande):
    evenement: int
    motif: str


class DeclarerVacance(Commande):
    pass


class OrienterVacance(Commande):
    """In flux: the bailleur orients its dwelling's current vacancy to a réservataire under their
    convention (`reservataire`; `contingent` when it holds several conventions), keeps it
    (nothing given), or withdraws it from the flux base (`retrait`)."""

    reservataire: str | None = None
    contingent: TypeReservataire | None = None
    retrait: RetraitFlux | None = None


class OuvrirSession(Commande):
    """A session of the bailleur's CAL, held on `occurred_on`, with its members present."""

    forme: FormeSession
    membres: tuple[MembreCAL, ...]
    identifiant: str | None = None  # minted (CAL-<bailleur>-<date>-<n>) when not given


class CloreSession(Commande):
    """Closes the session: its minutes are final."""
