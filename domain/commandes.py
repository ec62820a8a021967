"""What an organisation asks the ledger to record: one struct per command, the same for the HTTP
API, the CLI and importers. Unknown fields are refused, so a typo never passes silently."""

from datetime import date
from decimal import Decimal

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
from domain.pieces import (
    CanalAttestation,
    DeposantRecours,
    MotifRefusPiece,
    TypeAttestation,
    TypePiece,
)


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
    # The reference of the dépôt this guichet recorded (POST /depots): its date is the filed_on.
    depot: str | None = None


class Deposer(Commande):
    """The dépôt of a complete request at the guichet, under its own reference, before the
    registration (R.441-2-4: within 30 days)."""

    reference: str


class RetracterDepot(Commande):
    motif: str


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
    # The proposal's rent (hors charges, €/month) on the record beside its typology, so that a
    # non_recevable qualification can be checked.
    loyer: Decimal | None = None


class AppliquerDecote(Commande):
    code: CodeDecote
    refus: int | None = None  # event number of the refusal, for decote_refus
    notifiee_le: date | None = None
    piece: int | None = None  # event number of the pièce's refusal (incoherente), for decote_pieces


class DeposerRecours(Commande):
    decote: int  # event number of the décote
    depose_par: DeposantRecours | None = None  # who filed it on the demandeur's behalf
    explications: str | None = None  # the demandeur's explanations (encrypted)


class DeciderRecours(Commande):
    decote: int
    decision: DecisionRecours
    motivation: str


class DeposerPiece(Commande):
    """A pièce of the dossier unique received: its type (arrêté du 6 août 2022), the member it
    concerns (0: the demandeur), the SHA-256 of the file and its size. The file itself may follow
    (PUT …/pieces/{n}/fichier), stored encrypted under the demand's key."""

    type_piece: TypePiece
    empreinte: str
    taille: int
    membre: int = 0
    en_reponse_a: int | None = None  # event number of the request it answers


class ValiderPiece(Commande):
    piece: int  # event number of the pièce déposée


class RefuserPiece(Commande):
    piece: int
    motif: MotifRefusPiece
    texte: str | None = None  # free text beside the code (encrypted)


class DemanderPieces(Commande):
    """Demande de pièces ou d'informations: the pièces asked (and/or, in texte, the informations),
    of which member (None: the household), answer due by `du_le`."""

    du_le: date
    pieces: tuple[TypePiece, ...] = ()
    membre: int | None = None
    texte: str | None = None  # encrypted


class ProposerVisite(Commande):
    logement: str
    visite_le: date


class ConstaterVisite(Commande):
    visite: int  # event number of the proposed visit
    effectuee: bool


class DelivrerAttestation(Commande):
    type: TypeAttestation
    canal: CanalAttestation


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
