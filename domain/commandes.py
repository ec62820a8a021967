"""What an organisation asks the ledger to record: one struct per command, the same for the HTTP
API, the CLI and importers. Unknown fields are refused, so a typo never passes silently."""

from datetime import date

import msgspec

from domain.codes import (
    CodeDecote,
    DecisionRecours,
    Justification,
    MotifMiseEnDemeure,
    MotifRadiation,
    QualificationRefus,
    SousMotifIrrecevabilite,
    StadeRefus,
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


class Designer(Commande):
    logement: str
    # Defaults to the dwelling's contingent; a bailleur may designate hors contingent (AUCUN).
    contingent: TypeReservataire | None = None


class DeciderCAL(Commande):
    logement: str
    decision: TypeDecisionCAL
    rang: int | None = None
    motif: str | None = None
    sous_motif_irrecevabilite: SousMotifIrrecevabilite | None = None
    piece_manquante: str | None = None
    delai_jours: int | None = None
    moins_de_trois_candidats: str | None = None


class LeverCondition(Commande):
    logement: str


class Refuser(Commande):
    logement: str
    stade: StadeRefus
    motif: str
    qualification: QualificationRefus
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
