"""The demand aggregate and the events it records: the schema of a demand's part of the log.

Every event keeps its own `occurred_on` (valid time) and `timestamp` (recorded_at, knowledge time).
The aggregate keeps its whole list of facts because a demand's state is a fold of them that can be
taken as of any date and as known at any instant (`domain/etat_demande.py`).

Why the file holds what it holds. The events are stored under topics `domain.demande:Demande.<Name>`
(module and qualified name), which every log already written holds and which the read side
filters on: they stay nested classes of `Demande`, defined here, so that the classes write the
topics they always wrote and old logs decode without aliases (tests/storage/test_journal_ancien.py). What
this module does not need to hold lives beside it, by what it is:
- the state and its fold, and the schedule's next due date: `domain/etat_demande.py`;
- the checks of a command's payload (household, wishes, dates): `domain/verifications.py`;
- the rules for recording each family of events, as mixins of `Demande`: the life of the file
  (`domain/regles_dossier.py`), candidacies (`domain/regles_candidature.py`), décotes and recours
  (`domain/regles_decotes.py`). Retraction, which concerns every family, stays here.
Who may record what is not the aggregate's business: `domain/permissions.py`, asked by the
command handlers (`domain/traitements.py`) first.

That is also why the module runs past 600 lines: the event classes cannot move out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import calendrier, horloge, permissions, verifications
from domain.acte import SYSTEME, Acte
from domain.codes import (
    Canal,
    CanalNotification,
    CategoriePrioritaire,
    CodeDecote,
    DecisionRecours,
    Justification,
    MotifMiseEnDemeure,
    MotifNonAttribution,
    MotifPreavis,
    MotifRadiation,
    MotifRefus,
    QualificationRefus,
    RaisonMoinsDeTrois,
    SourcePriorite,
    SousMotifIrrecevabilite,
    StadeRefus,
    StadeReponse,
    StatutDalo,
    TypeDecisionCAL,
    TypeReservataire,
    Typologie,
)
from domain.dossier_unique import Attestation, PieceRecue, PiecesDemandees, Visite
from domain.erreurs import RefusCommande, RegleEnfreinte
from domain.etat_demande import (
    Candidature,
    Decote,
    EtatDemande,
    Priorite,
    SituationAttribution,
    appliquer,
    champs,
    change_le_passe,
    etat_initial,
    prochaine_echeance,
    replier,
)
from domain.foyer import (
    Complements,
    Efface,
    LogementActuel,
    Membre,
    Personnel,
    Souhaits,
    TexteLibre,
    TexteOuEfface,
)
from domain.pieces import (
    CanalAttestation,
    DeposantRecours,
    MotifRefusPiece,
    TypeAttestation,
    TypePiece,
)
from domain.regles_candidature import ReglesDeCandidature
from domain.regles_decotes import ReglesDesDecotes
from domain.regles_dossier import CRITERES_DERIVES, ReglesDuDossier
from domain.regles_pieces import ReglesDesPieces
from domain.regles_priorite import ReglesDePriorite

# Imported from here before the split; they keep working from here.
__all__ = [
    "CRITERES_DERIVES",
    "Candidature",
    "Decote",
    "Demande",
    "EtatDemande",
    "SituationAttribution",
    "etat_initial",
    "prochaine_echeance",
    "replier",
]

ESPACE_DEMANDES = uuid5(NAMESPACE_URL, "urn:demand-ledger:demande")


class Demande(
    ReglesDuDossier, ReglesDesPieces, ReglesDeCandidature, ReglesDesDecotes, ReglesDePriorite, Aggregate
):
    """A demande de logement social, identified by its numéro unique."""

    @staticmethod
    @lru_cache(maxsize=8192)  # a bulk import asks several times per demand; bounded memory
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
        # Fields added to an event class after logs were written with it: stored only when not
        # at their default (adapters/mapper.py), so that an event that does not use them is
        # written exactly as before, and an older version reads it as it always did.
        champs_recents: ClassVar[frozenset[str]] = frozenset()
        # What the fold asks of a fact (`etat_demande.Fait`).
        creation: ClassVar[bool] = False
        annulable: ClassVar[bool] = False
        # Fields added after the event was first stored: written only when set, so that an old
        # event is encoded back to the bytes it was stored with (adapters/mapper.py).
        champs_ajoutes: ClassVar[frozenset[str]] = frozenset()
        # Free text an organisation writes about the demand: personal data, stored in the
        # event's encrypted part under the demand's key and erased with it (adapters/mapper.py).
        # Rows written before keep them in clear; they read as empty once the demand is erased.
        champs_personnels: ClassVar[frozenset[str]] = frozenset()

        def evoluer(self, etat: EtatDemande) -> None:
            pass

        def retracte(self) -> int | None:
            return None

        def decote_annulee(self) -> int | None:
            return None

        def apply(self, aggregate: Demande) -> None:
            aggregate._enregistrer_fait(self)

    # -- the life of the file (regles_dossier.py) ------------------------------------------

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
        complements: Complements | None = None  # what the national files carry besides (SNE)
        # The demandeur's age band on that day, in clear for the statistics (no birth date).
        tranche_age: str | None = None

        retractable: ClassVar[bool] = False
        creation: ClassVar[bool] = True
        champs_ajoutes: ClassVar[frozenset[str]] = frozenset({"complements", "tranche_age"})

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
        complements: Complements | None = None

        champs_ajoutes: ClassVar[frozenset[str]] = frozenset({"complements"})

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
            if self.complements is not None:
                etat.complements, etat.sources["complements"] = self.complements, v

    class Renouvelee(Event):
        tranche_age: str | None = None  # the demandeur's age band that day (statistics)
        champs_ajoutes: ClassVar[frozenset[str]] = frozenset({"tranche_age"})

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
            etat.mise_en_demeure_par = self.organisation

    class Radiee(Event):
        motif: MotifRadiation

        def evoluer(self, etat: EtatDemande) -> None:
            etat.active = False
            etat.radiation = self.motif
            etat.radiee_le = self.occurred_on

    class Reactivee(Event):
        tranche_age: str | None = None  # the demandeur's age band that day (statistics)
        champs_ajoutes: ClassVar[frozenset[str]] = frozenset({"tranche_age"})

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

    class DonneesEffacees(Event):
        retractable: ClassVar[bool] = False

        def evoluer(self, etat: EtatDemande) -> None:
            etat.effacee = True
            etat.personnel = Efface()

    # -- priority and eligibility, shared with every partner (regles_priorite.py) ----------

    class CaracterePrioritaireReconnu(Event):
        """A priority recognised by the Etat or a labelling instance (CCH L.441-1, L.441-2-3):
        the category, the source, and the days it holds (`jusqua` inclusive, None: open)."""

        categorie: CategoriePrioritaire
        source: SourcePriorite
        du: date
        jusqua: date | None = None

        def evoluer(self, etat: EtatDemande) -> None:
            etat.priorites[self.originator_version] = Priorite(
                self.originator_version, self.categorie, self.source, self.du, self.jusqua,
                self.organisation,
            )

    class EligibiliteContingent(Event):
        """A réservataire states the demand eligible to its contingent or flux share, or
        withdraws that (`eligible` false)."""

        contingent: TypeReservataire
        eligible: bool

        def evoluer(self, etat: EtatDemande) -> None:
            cle = (self.organisation, self.contingent)
            if self.eligible:
                etat.contingents_eligibles[cle] = self.originator_version
            else:
                etat.contingents_eligibles.pop(cle, None)

    # -- candidacies (regles_candidature.py) ---------------------------------------------

    class Designee(Event):
        logement: str
        vacance: int
        contingent: TypeReservataire
        # The réservataire organisation the designation is for: the holder of the dwelling's
        # contingent (stock) or the one the vacancy was oriented to (flux); None: the bailleur's.
        # Absent from designations recorded before the flux: read from the territory file.
        reservataire: str | None = None
        flux: bool = False
        concerne_logement: ClassVar[bool] = True
        champs_recents: ClassVar[frozenset[str]] = frozenset({"reservataire", "flux"})

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.setdefault(
                (self.logement, self.vacance), Candidature(self.logement, self.vacance)
            )
            c.designations.append(self.originator_version)
            c.contingent = self.contingent
            c.reservataire = self.reservataire
            c.flux = self.flux
            c.favorable = c.acceptee = False

    class InscriteCAL(Event):
        """Inscription à une CAL (docs/rules.md and docs/flux.md): on the agenda of a session for a dwelling."""

        logement: str
        vacance: int
        session: str
        ordre: int
        points: int | None = None
        retractable: ClassVar[bool] = False

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.get((self.logement, self.vacance))
            if c is not None:
                c.sessions.append(self.session)

    class Acceptee(Event):
        """The candidate answered favourably: before the CAL, to the bailleur's contact (counts
        towards three, R.441-3); after it, to the offer (R.441-10)."""

        logement: str
        vacance: int
        stade: StadeReponse
        concerne_logement: ClassVar[bool] = True

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.get((self.logement, self.vacance))
            if c is not None:
                if self.stade is StadeReponse.avant_cal:
                    c.favorable = True
                else:
                    c.acceptee = True

    class DecisionNotifiee(Event):
        """The CAL's decision notified to the candidate: the 10-day answer period of an offer
        runs from here (R.441-10)."""

        logement: str
        vacance: int
        decision: int  # version of the DecisionCAL notified
        canal_notification: CanalNotification

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.get((self.logement, self.vacance))
            if c is not None:
                c.notifications[self.decision] = self.occurred_on

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
        # Free text in logs written before the codes (read as `autre`, `raison`).
        moins_de_trois_candidats: str | None = None
        # On an attribution: the household as the CAL saw it, so that attribution statistics
        # (§6) never need personal data nor a replay. None on other decisions.
        situation: SituationAttribution | None = None
        # The codes (shared by every bailleur) and the session the decision was taken in; free
        # text beside them is personal data (encrypted). `motif` above is the free text of logs
        # written before the codes.
        code_motif: MotifNonAttribution | None = None
        code_moins_de_trois: RaisonMoinsDeTrois | None = None
        session: str | None = None
        personnel: TexteOuEfface | None = None
        concerne_logement: ClassVar[bool] = True
        champs_recents: ClassVar[frozenset[str]] = frozenset(
            {"code_motif", "code_moins_de_trois", "session", "personnel"}
        )
        champs_personnels: ClassVar[frozenset[str]] = frozenset(
            {"piece_manquante", "motif", "moins_de_trois_candidats"}
        )

        @property
        def motif_code(self) -> MotifNonAttribution | None:
            """The non-attribution motif's code; a free-text motif of an older log reads `autre`."""
            if self.code_motif is not None:
                return self.code_motif
            return MotifNonAttribution.autre if self.motif else None

        @property
        def texte(self) -> str | None:
            """The free text beside the codes (None once erased), or an older log's motif."""
            if isinstance(self.personnel, TexteLibre):
                return self.personnel.texte
            return self.motif

        @property
        def raison(self) -> RaisonMoinsDeTrois | None:
            """Why fewer than three candidates, as a code; older free text reads `autre`."""
            if self.code_moins_de_trois is not None:
                return self.code_moins_de_trois
            return RaisonMoinsDeTrois.autre if self.moins_de_trois_candidats else None

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
        motif: str  # free text of logs written before the codes; "" since
        qualification: QualificationRefus
        code: MotifRefus = MotifRefus.autre  # an older free-text motif reads `autre`
        personnel: TexteOuEfface | None = None  # free text beside the code, encrypted
        # The proposal as refused, so that a reader can check a non_recevable qualification:
        # the dwelling's typology and its rent (hors charges, €/month, as the bailleur gives it),
        # and what the qualification states — the dwelling adapted to the household's
        # composition and to its resources (the grid's words). Absent from older refusals.
        typologie: Typologie | None = None
        loyer: Decimal | None = None
        adapte_composition: bool = False
        adapte_ressources: bool = False
        concerne_logement: ClassVar[bool] = True
        champs_recents: ClassVar[frozenset[str]] = frozenset(
            {"code", "personnel", "typologie", "loyer", "adapte_composition", "adapte_ressources"}
        )
        champs_personnels: ClassVar[frozenset[str]] = frozenset({"motif"})

        @property
        def texte(self) -> str | None:
            """The free text beside the code (None once erased), or an older log's motif."""
            if isinstance(self.personnel, TexteLibre):
                return self.personnel.texte
            return self.motif or None

        def evoluer(self, etat: EtatDemande) -> None:
            c = etat.candidatures.get((self.logement, self.vacance))
            if c is not None:
                c.refus = self.originator_version

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

    # -- décotes and recours (regles_decotes.py) ------------------------------------------

    class DecoteAppliquee(Event):
        code: CodeDecote
        notifiee_le: date
        refus: int | None = None  # version of the non_recevable refusal, for decote_refus
        # For decote_pieces: the version of the pièce refused as incoherente it sanctions.
        piece: int | None = None
        annulable: ClassVar[bool] = True
        champs_recents: ClassVar[frozenset[str]] = frozenset({"piece"})

        def evoluer(self, etat: EtatDemande) -> None:
            # The fact sanctioned: the refused proposal, or the refusal of the incoherent pièce
            # (the day it was established). The décote counts for a year from it.
            sanctionne = self.refus if self.refus is not None else self.piece
            fait = etat.faits.get(sanctionne) if sanctionne is not None else None
            etat.decotes[self.originator_version] = Decote(
                version=self.originator_version,
                code=self.code,
                date=self.occurred_on,
                notifiee_le=self.notifiee_le,
                organisation=self.organisation,
                refus=self.refus,
                fait_le=fait.occurred_on if fait is not None else None,
                piece=self.piece,
            )

    class RecoursDepose(Event):
        decote: int
        # Who filed it on the demandeur's behalf, and the demandeur's explanations (free text:
        # personal data, in `personnel`, encrypted under the demand's key). Absent from older logs.
        depose_par: DeposantRecours | None = None
        personnel: TexteOuEfface | None = None
        champs_recents: ClassVar[frozenset[str]] = frozenset({"depose_par", "personnel"})

        @property
        def explications(self) -> str | None:
            return self.personnel.texte if isinstance(self.personnel, TexteLibre) else None

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
        champs_personnels: ClassVar[frozenset[str]] = frozenset({"motivation"})

        def evoluer(self, etat: EtatDemande) -> None:
            d = etat.decotes.get(self.decote)
            if d is not None:
                d.decision = self.decision
                d.decision_version = self.originator_version

        def decote_annulee(self) -> int | None:
            return self.decote if self.decision is DecisionRecours.annulee else None

    # -- the dossier unique (regles_pieces.py) ---------------------------------------------

    class PieceDeposee(Event):
        """A pièce of the dossier unique received (arrêté du 6 août 2022): its type, the member
        it concerns, its SHA-256 digest and size. The file itself, when uploaded, is kept
        encrypted under the demand's key beside the log (`adapters/pieces.py`)."""

        type_piece: TypePiece
        membre: int  # index in the household's members, 0 for the demandeur
        empreinte: str
        taille: int
        en_reponse_a: int | None = None  # the request for pièces it answers

        def evoluer(self, etat: EtatDemande) -> None:
            v = self.originator_version
            etat.dossier.pieces[v] = PieceRecue(
                v, self.type_piece, self.membre, self.occurred_on, self.empreinte, self.taille
            )
            d = etat.dossier.demandes.get(self.en_reponse_a) if self.en_reponse_a is not None else None
            if d is not None:
                d.reponses.append(v)

    class PieceValidee(Event):
        piece: int

        def evoluer(self, etat: EtatDemande) -> None:
            p = etat.dossier.pieces.get(self.piece)
            if p is not None:
                p.verification, p.refusee, p.verifiee_le = self.originator_version, None, self.occurred_on

    class PieceRefusee(Event):
        """A pièce refused, with its reason's code (free text beside it, encrypted); an
        *incoherente* one is the fact a decote_pieces sanctions."""

        piece: int
        motif: MotifRefusPiece
        personnel: TexteOuEfface | None = None

        def evoluer(self, etat: EtatDemande) -> None:
            p = etat.dossier.pieces.get(self.piece)
            if p is not None:
                p.verification, p.refusee, p.verifiee_le = self.originator_version, self.motif, self.occurred_on

    class PiecesDemandees(Event):
        """Demande de pièces ou d'informations: what is asked, of which member (None: the
        household), the answer due by `du_le`; free text of what is asked is encrypted."""

        pieces: tuple[TypePiece, ...]
        du_le: date
        membre: int | None = None
        personnel: TexteOuEfface | None = None

        def evoluer(self, etat: EtatDemande) -> None:
            v = self.originator_version
            etat.dossier.demandes[v] = PiecesDemandees(v, self.pieces, self.membre, self.occurred_on, self.du_le)

    class VisiteProposee(Event):
        """A visit of a dwelling the demand is a candidate on, proposed for `visite_le`."""

        logement: str
        vacance: int
        visite_le: date

        def evoluer(self, etat: EtatDemande) -> None:
            v = self.originator_version
            etat.dossier.visites[v] = Visite(v, self.logement, self.vacance, self.occurred_on, self.visite_le)

    class VisiteConstatee(Event):
        """Whether the proposed visit took place (`effectuee`), on its day or later."""

        visite: int
        effectuee: bool

        def evoluer(self, etat: EtatDemande) -> None:
            x = etat.dossier.visites.get(self.visite)
            if x is not None:
                x.effectuee, x.constat = self.effectuee, self.originator_version

    class AttestationDelivree(Event):
        """The attestation of registration or renewal sent; the document is regenerated from
        the log (`adapters/attestation.py`)."""

        type_attestation: TypeAttestation
        canal_envoi: CanalAttestation

        def evoluer(self, etat: EtatDemande) -> None:
            etat.dossier.attestations.append(
                Attestation(self.originator_version, self.type_attestation, self.canal_envoi, self.occurred_on)
            )

    # -- the correction of any fact (here) ---------------------------------------------------

    class Retractee(Event):
        cible: int
        motif: str
        retractable: ClassVar[bool] = False
        champs_personnels: ClassVar[frozenset[str]] = frozenset({"motif"})

        def retracte(self) -> int | None:
            return self.cible

    # -- state ----------------------------------------------------------------------------

    # `faits` (list of events) and `etat` (their fold) are set by the creation event's apply:
    # annotating them here would make the library turn the aggregate into a dataclass.

    def _enregistrer_fait(self, fait: Demande.Event) -> None:
        self.faits.append(fait)
        if change_le_passe(fait):
            # Fold again from the start.
            self.etat = replier(self.faits)
        elif isinstance(fait, Demande.Enregistree):
            self.etat = etat_initial(fait)
        else:
            appliquer(self.etat, fait)

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

    def est_retracte(self, version: int) -> bool:
        return any(isinstance(f, Demande.Retractee) and f.cible == version for f in self.faits)

    # -- the correction of any fact ---------------------------------------------------------

    def retracter(self, acte: Acte, cible: int, motif: str) -> Demande.Event:
        self._verifier_acte(acte)
        fait = self.fait(cible)
        refus = self.refus_de_retractation(cible, acte.organisation)
        if refus is not None:
            raise refus
        if not motif.strip():
            raise RegleEnfreinte("motif_requis", "a retraction needs its motif")
        self.trigger_event(self.Retractee, **champs(acte), cible=cible, motif=motif)
        return fait

    def refus_de_retractation(self, cible: int, organisation: str) -> RefusCommande | None:
        """Why `organisation` may not retract event `cible`, or None if it may (what a page asks
        before offering the form; `retracter` raises it)."""
        fait = self.fait(cible)
        if not fait.retractable:
            return RegleEnfreinte(
                "non_retractable", f"event {cible} ({type(fait).__name__}) cannot be retracted"
            )
        if self.est_retracte(cible):
            return RegleEnfreinte("deja_retracte", f"event {cible} is already retracted")
        return permissions.refus_auteur(organisation, fait.organisation, cible)

    # -- what every command checks first (the family mixins call these) ---------------------

    def _verifier_acte(self, acte: Acte) -> None:
        verifications.pas_dans_le_futur(acte.occurred_on)
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
