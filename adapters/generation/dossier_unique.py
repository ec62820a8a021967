"""The dossier unique as guichets and bailleurs keep it (CCH R.441-2-4; the PPGDID's shared
information): the dépôt some days before the registration, the attestation sent after a
registration or a renewal, the pièces deposited and then validated or refused (an incoherent
one may bring a decote_pieces, which cites that refusal), requests for pièces answered or not
before their due date, visits of the dwelling a candidate is designated on, and the recours'
file (who filed it for the demandeur, their explanations). A mixin of `simulation.Simulation`.

Its draws come from a random generator of its own, seeded from the run's seed: the run stays
reproducible, and the rest of the territory (households, vacancies, CAL choices) draws exactly
what it drew before these events existed.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from adapters import depots
from domain import commandes as c
from domain.codes import CodeDecote, Typologie
from domain.erreurs import RefusCommande
from domain.pieces import (
    CanalAttestation,
    DeposantRecours,
    MotifRefusPiece,
    TypeAttestation,
    TypePiece,
)
from domain.territoire import LogementSocial

if TYPE_CHECKING:
    from adapters.generation.dossiers import Dossier
    from adapters.generation.simulation import Simulation

    _Base = Simulation
else:
    _Base = object

UN_JOUR = timedelta(days=1)
# Days from the dépôt to the registration, beyond the three a late typing may take back: most
# within the month R.441-2-4 allows, some late.
DELAIS_ENREGISTREMENT = ((0, 2, 45), (3, 12, 35), (13, 26, 13), (27, 60, 7))
P_DEPOT_ENREGISTRE = 0.6  # the guichet records the dépôt itself, then registers it
P_DEPOT_ABANDONNE = 0.03  # a dépôt never registered (now and then retracted)
P_ATTESTATION = 0.9  # an attestation recorded as sent after a registration
P_ATTESTATION_RENOUVELLEMENT = 0.7
CANAUX = ((CanalAttestation.courrier, 50), (CanalAttestation.email, 35), (CanalAttestation.en_ligne, 15))
P_REFUSEE = 0.12  # a pièce refused
MOTIFS_REFUS = ((MotifRefusPiece.illisible, 30), (MotifRefusPiece.perimee, 30), (MotifRefusPiece.incomplete, 15),
                (MotifRefusPiece.incoherente, 15), (MotifRefusPiece.autre_personne, 5),
                (MotifRefusPiece.non_conforme, 5))
P_DECOTE_INCOHERENTE = 0.5  # an incoherent pièce sanctioned by a decote_pieces
P_DEMANDE_PIECES = 0.18  # per cycle, a request for pièces or informations
P_REPONDUE = 0.75
PIECES_DEMANDEES = (TypePiece.logement_actuel, TypePiece.ressources_mensuelles, TypePiece.situation_familiale,
                    TypePiece.situation_professionnelle, TypePiece.motif_demande)
P_VISITE = 0.35  # a designated candidate is offered a visit
P_VISITE_FAITE = 0.8
DEPOSANTS = ((DeposantRecours.demandeur, 50), (DeposantRecours.travailleur_social, 25),
             (DeposantRecours.association, 15), (DeposantRecours.mandataire, 10))
EXPLICATIONS = (
    "Le logement proposé était trop éloigné de mon travail.",
    "Les pièces ont été corrigées par l'organisme payeur.",
    "Mon enfant est scolarisé dans une autre commune.",
    "Je n'ai pas reçu le courrier de proposition à temps.",
)
LOYERS = {Typologie.T1: 290, Typologie.T2: 380, Typologie.T3: 460, Typologie.T4: 540, Typologie.T5: 620,
          Typologie.T6P: 700, Typologie.C: 250}
COEF_FINANCEMENT = {"PLAI": Decimal("0.85"), "PLUS": Decimal("1.00"), "PLS": Decimal("1.30")}


def _tirer(rng: random.Random, poids: tuple[tuple[object, int], ...]) -> object:
    return rng.choices([x for x, _ in poids], [p for _, p in poids])[0]


def loyer(spec: LogementSocial) -> Decimal:
    """A dwelling's rent (hors charges), fixed per dwelling: the territory file has none."""
    base = Decimal(LOYERS.get(spec.typologie, 450)) * COEF_FINANCEMENT.get(spec.financement.value, Decimal(1))
    return (base + Decimal(zlib.crc32(spec.identifiant.encode()) % 6000) / 100).quantize(Decimal("0.01"))


class VieDuDossier(_Base):
    @property
    def rng_dossier(self) -> random.Random:
        rng: random.Random | None = getattr(self, "_rng_dossier", None)
        if rng is None:
            rng = self._rng_dossier = random.Random(self.p.graine * 1_000_003 + 10)
        return rng

    # -- registration: its dépôt, its attestation, its first pièces -----------------------------

    def depot_avant(self, jour: date) -> date:
        """The dépôt of a registration typed in on `jour` (which a late typing may move back by up
        to three days): the registration follows it by some days."""
        lo, hi, _ = _tirer(self.rng_dossier, tuple((x, x[2]) for x in DELAIS_ENREGISTREMENT))  # type: ignore[misc]
        return jour - timedelta(days=3 + self.rng_dossier.randint(lo, hi))

    def deposer(self, guichet: str, jour: date) -> tuple[date, str | None]:
        """The dépôt of a registration typed in on `jour`: its date, and its reference when the
        guichet recorded it as a dépôt of its own (then registered at once: the delay is days);
        otherwise the registration gives the dépôt's date (some days or weeks before). Now and
        then a dépôt that is never registered (a deadline left open), or retracted."""
        rng = self.rng_dossier
        if rng.random() >= P_DEPOT_ENREGISTRE:
            return self.depot_avant(jour), None
        # Recorded when received, and registered at once; three days back at most, so that a
        # registration typed in late never precedes it (and nothing is dated before the start).
        depot = max(self.debut, jour - timedelta(days=3))
        reference = self._reference(guichet, depot)
        if self._deposer(guichet, depot, reference) is None:
            return depot, None
        if rng.random() < P_DEPOT_ABANDONNE:  # another dépôt, never registered: a deadline left open
            autre = self._reference(guichet, depot)
            if self._deposer(guichet, depot, autre) is not None and rng.random() < 0.5:
                try:
                    depots.retracter_depot(self.registre, self.orgs[guichet], self.agent(guichet), autre,
                                           c.RetracterDepot(occurred_on=jour, motif="dépôt saisi deux fois"))
                    self.rapport.commandes["RetracterDepot"] += 1
                except RefusCommande as e:
                    self.rapport.refus.append(f"{jour} RetracterDepot {autre} by {guichet}: {e.regle}: {e.message}")
        return depot, reference

    def _reference(self, guichet: str, jour: date) -> str:
        n: int = getattr(self, "_n_depots", 0) + 1
        self._n_depots = n
        return f"{guichet}-{jour:%Y%m%d}-{n}"

    def _deposer(self, guichet: str, jour: date, reference: str) -> object | None:
        try:
            depot = depots.deposer(self.registre, self.orgs[guichet], self.agent(guichet),
                                   c.Deposer(occurred_on=jour, reference=reference))
        except RefusCommande as e:
            self.rapport.refus.append(f"{jour} Deposer {reference} by {guichet}: {e.regle}: {e.message}")
            return None
        self.rapport.commandes["Deposer"] += 1
        return depot

    def planifier_dossier(self, d: Dossier, le: date, renouvellement: bool = False) -> None:
        rng = self.rng_dossier
        p = P_ATTESTATION_RENOUVELLEMENT if renouvellement else P_ATTESTATION
        if rng.random() < p:
            t = TypeAttestation.renouvellement if renouvellement else TypeAttestation.enregistrement
            self.planifier(self.ouvre(le + timedelta(days=rng.randint(0, 3))), self.attestation, d, d.cycle, t,
                           _tirer(rng, CANAUX))
        if not renouvellement:
            for t in (TypePiece.identite, TypePiece.avis_imposition):
                self.planifier(self.ouvre(le + timedelta(days=rng.randint(0, 4))), self.deposer_piece, d, t, None)
        if rng.random() < P_DEMANDE_PIECES:
            self.planifier(self.ouvre(le + timedelta(days=rng.randint(10, 120))), self.demander_pieces, d, d.cycle)

    def attestation(self, d: Dossier, cycle: int, t: TypeAttestation, canal: CanalAttestation) -> None:
        if d.active and d.cycle == cycle:
            self.executer(d.guichet, c.DelivrerAttestation(occurred_on=self.jour, type=t, canal=canal), d)

    # -- pièces ----------------------------------------------------------------------------------

    def deposer_piece(self, d: Dossier, t: TypePiece, en_reponse_a: int | None) -> None:
        if not d.active:
            return
        rng = self.rng_dossier
        contenu = f"{d.numero}:{t}:{self.jour}:{rng.random()}".encode()
        cmd = c.DeposerPiece(occurred_on=self.jour, type_piece=t, empreinte=hashlib.sha256(contenu).hexdigest(),
                             taille=20_000 + rng.randint(0, 2_000_000), membre=0, en_reponse_a=en_reponse_a)
        r = self.executer(d.guichet, cmd, d)
        if r is None:
            return
        piece = r[0].version
        self.planifier(self.ouvre(r[1] + timedelta(days=rng.randint(1, 12))), self.verifier_piece, d, piece)

    def verifier_piece(self, d: Dossier, piece: int) -> None:
        if not d.active:
            return
        rng = self.rng_dossier
        if rng.random() >= P_REFUSEE:
            self.executer(d.guichet, c.ValiderPiece(occurred_on=self.jour, piece=piece), d)
            return
        motif: MotifRefusPiece = _tirer(rng, MOTIFS_REFUS)  # type: ignore[assignment]
        r = self.executer(d.guichet, c.RefuserPiece(occurred_on=self.jour, piece=piece, motif=motif), d)
        if r is not None and motif is MotifRefusPiece.incoherente and rng.random() < P_DECOTE_INCOHERENTE:
            self.planifier(self.ouvre(r[1] + timedelta(days=rng.randint(0, 40))), self.decote_incoherente, d,
                           r[0].version)

    def decote_incoherente(self, d: Dossier, refus_piece: int) -> None:
        if not d.active:
            return
        cmd = c.AppliquerDecote(occurred_on=self.jour, code=CodeDecote.decote_pieces, piece=refus_piece)
        r = self.executer(d.guichet, cmd, d)
        if r is not None:
            self.decote_appliquee(d, r[0].version, r[1], d.guichet)

    def demander_pieces(self, d: Dossier, cycle: int) -> None:
        if not d.active or d.cycle != cycle:
            return
        rng = self.rng_dossier
        pieces = tuple(sorted(rng.sample(PIECES_DEMANDEES, rng.randint(1, 2))))
        du_le = self.jour + timedelta(days=rng.choice((15, 30, 30, 45)))
        r = self.executer(d.guichet, c.DemanderPieces(occurred_on=self.jour, du_le=du_le, pieces=pieces, membre=0), d)
        if r is None or rng.random() >= P_REPONDUE:
            return
        demande = r[0].version
        for t in pieces:
            self.planifier(self.ouvre(r[1] + timedelta(days=rng.randint(2, 14))), self.deposer_piece, d, t, demande)

    # -- visits of a dwelling a candidate is designated on ---------------------------------------

    def proposer_visite(self, d: Dossier, attribution: object, spec: LogementSocial) -> None:
        rng = self.rng_dossier
        if rng.random() < P_VISITE:
            self.planifier(self.ouvre(self.jour + timedelta(days=rng.randint(1, 4))), self.visite, d, attribution, spec)

    def visite(self, d: Dossier, attribution: object, spec: LogementSocial) -> None:
        if not d.active or d.candidature is not attribution or getattr(attribution, "termine", True):
            return
        le = self.jour + timedelta(days=self.rng_dossier.randint(1, 6))
        r = self.executer(spec.bailleur, c.ProposerVisite(occurred_on=self.jour, logement=spec.identifiant,
                                                          visite_le=le), d)
        if r is not None:
            self.planifier(self.ouvre(le), self.constater_visite, d, r[0].version, spec)

    def constater_visite(self, d: Dossier, visite: int, spec: LogementSocial) -> None:
        if not d.active:
            return
        faite = self.rng_dossier.random() < P_VISITE_FAITE
        self.executer(spec.bailleur, c.ConstaterVisite(occurred_on=self.jour, visite=visite, effectuee=faite), d)

    # -- the recours file and the proposal's rent ------------------------------------------------

    def dossier_de_recours(self) -> dict[str, object]:
        rng = self.rng_dossier
        return {"depose_par": _tirer(rng, DEPOSANTS),
                "explications": rng.choice(EXPLICATIONS) if rng.random() < 0.6 else None}
