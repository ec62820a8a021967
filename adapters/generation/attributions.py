"""One vacancy of one dwelling, from its declaration to its bail: in flux its orientation by the
bailleur (`flux.py`), designations by the réservataire of its contingent or its orientation (or
by the bailleur), the candidates' answers to the bailleur's contact before the CAL (favourable,
or a withdrawal, or silence: presented in addition), the CAL session (`commissions.py`) that
puts them on its agenda and decides (attribution to the first, attribution par classement to the
next, sometimes under a suspensive condition, non-attributions and irrecevabilités, with coded
motifs), the notification of each decision, the answers to the offer counted from it —
acceptance, refusals with their stage, coded motif and qualification, a décote on some
non_recevable ones, silence past ten days — and the bail signed by the candidate whose
attribution stands. When every ranked candidate has fallen, a new round of designations starts
on the same vacancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from adapters.generation.dossier_unique import loyer
from adapters.generation.menages import choix
from domain import commandes as c
from domain.codes import (
    CanalNotification,
    Financement,
    MotifNonAttribution,
    MotifRefus,
    QualificationRefus,
    RaisonMoinsDeTrois,
    SousMotifIrrecevabilite,
    StadeRefus,
    StadeReponse,
    TypeDecisionCAL,
    TypeReservataire,
)
from domain.territoire import LogementSocial

if TYPE_CHECKING:
    from adapters.generation.dossiers import Dossier
    from adapters.generation.simulation import Simulation

D = TypeDecisionCAL
CANDIDATS = ((3, 86), (2, 9), (1, 5))  # designated per round; fewer than three needs a reason
P_HORS_CONTINGENT = 0.08  # the bailleur designates on a reserved dwelling (AUCUN)
P_RETRACTE_DESIGNATION = 0.015  # wrong numéro typed: retracted the same day
P_RETRAIT = 0.07  # withdraws before the CAL (refus avant_cal)
P_JUSTIFIE_BAILLEUR = 0.25  # the bailleur checks a criterion before the CAL
P_SOUS_CONDITION = 0.08
P_CONDITION_LEVEE = 0.85

P_FAVORABLE = 0.9  # answers the bailleur's contact before the CAL (else presented in addition)
P_TEXTE = 0.15  # a motif's code comes with free text beside it
M = MotifRefus
MOTIFS_REFUS = (
    M.localisation, M.typologie_surface, M.loyer_charges, M.environnement, M.etat_logement,
    M.accessibilite, M.raisons_personnelles,
)
MOTIFS_RETRAIT = (M.a_trouve_logement, M.localisation, M.raisons_personnelles)
MOTIFS_NON_ATTRIBUTION = (
    MotifNonAttribution.taux_effort, MotifNonAttribution.typologie_inadaptee,
    MotifNonAttribution.candidat_mieux_classe, MotifNonAttribution.dossier_incomplet,
)
TEXTES = ("précisé par le candidat au téléphone", "voir le compte rendu de visite", "courrier du candidat")
CANAUX = ((CanalNotification.courrier, 45), (CanalNotification.recommande, 25), (CanalNotification.email, 20),
          (CanalNotification.en_ligne, 7), (CanalNotification.sms, 3))
PIECES = ("avis d'imposition N-2", "justificatif de titre de séjour", "attestation employeur")


@dataclass
class Candidat:
    d: Dossier
    designation: int  # version of the Designee event on the demand
    statut: str = "designe"  # designe | retenu | ecarte | refuse | sorti | loue
    decision: TypeDecisionCAL | None = None
    rang: int | None = None
    delai: int | None = None
    condition_levee: bool = False
    favorable: bool = False  # answered the bailleur's contact favourably before the CAL


class MiseEnLocation:
    def __init__(self, sim: Simulation, spec: LogementSocial, vacance: int, ouverte_le: date) -> None:
        self.sim = sim
        self.spec = spec
        self.vacance = vacance
        self.ouverte_le = ouverte_le
        self.candidats: list[Candidat] = []  # every designation of this vacancy still standing
        self.designes: set[str] = set()  # numéros ever designated here (membership only)
        self.classement: list[Candidat] = []
        self.cal_le: date | None = None
        self.tour = 0
        self.i = 0  # the ranked candidate holding the offer
        self.termine = False
        self.classe: str | None = None  # scenario steering (sophia)
        # In flux: whom the bailleur oriented the vacancy to (None: kept or withdrawn).
        self.flux = sim.territoire.en_flux(ouverte_le)
        self.reservataire: str | None = None
        self.contingent_flux: TypeReservataire | None = None

    @property
    def bailleur(self) -> str:
        return self.spec.bailleur

    def demarrer(self, jour: date) -> None:
        if self.flux:
            self.reservataire, self.contingent_flux = self.sim.orientations.orienter(self.spec, jour)
        self.sim.planifier(self.sim.ouvre(jour + timedelta(days=self.sim.rng.randint(2, 10))), self.designer)

    def _plus_tard(self, depuis: date, a: int, b: int) -> date:
        return self.sim.ouvre(max(depuis, self.sim.jour) + timedelta(days=self.sim.rng.randint(a, b)))

    # -- designations ---------------------------------------------------------------------------

    def designer(self) -> None:
        sim, rng, spec = self.sim, self.sim.rng, self.spec
        if self.termine:
            return
        jour = sim.jour
        sim.politique.avant_designation(sim, self)
        reservataire = self.reservataire if self.flux else spec.reservataire
        du_logement = (self.contingent_flux or TypeReservataire.AUCUN) if self.flux else spec.contingent
        if du_logement is TypeReservataire.AUCUN or reservataire is None:
            org, contingent = spec.bailleur, None
        elif rng.random() < P_HORS_CONTINGENT:
            org, contingent = spec.bailleur, TypeReservataire.AUCUN
        else:
            org, contingent = reservataire, None
        n = int(choix(rng, CANDIDATS)) if self.tour == 0 else 3  # type: ignore[call-overload]
        choisis = sim.choisir(self, n, contingent or du_logement)
        nouveaux: list[Candidat] = []
        for d in choisis:
            r = sim.executer(org, c.Designer(occurred_on=jour, logement=spec.identifiant, contingent=contingent), d)
            if r is None:
                continue
            self.designes.add(d.numero)
            sim.prendre(d, self)
            if rng.random() < P_RETRACTE_DESIGNATION:
                motif = "erreur de désignation : numéro unique mal saisi"
                if sim.executer(org, c.Retracter(occurred_on=jour, evenement=r[0].version, motif=motif), d):
                    sim.liberer(d, self)
                    continue
            k = Candidat(d, r[0].version)
            self.candidats.append(k)
            nouveaux.append(k)
            sim.proposer_visite(d, self, spec)
        if not nouveaux:
            sim.planifier(sim.ouvre(jour + timedelta(days=7)), self.designer)
            return
        self.tour += 1
        self.cal_le = sim.jour_cal(spec.bailleur, jour + timedelta(days=rng.randint(7, 16)))
        for k in nouveaux:
            veille = self.cal_le - timedelta(days=1)
            if rng.random() < P_RETRAIT:
                sim.planifier(sim.ouvre(sim.entre(jour + timedelta(days=1), veille), limite=veille), self.retrait, k)
                continue
            if rng.random() < P_FAVORABLE:
                sim.planifier(sim.ouvre(jour + timedelta(days=1), limite=veille), self.favorable, k)
            if rng.random() < P_JUSTIFIE_BAILLEUR:
                sim.planifier(sim.ouvre(sim.entre(jour + timedelta(days=1), veille), limite=veille), self.justifier, k)
        sim.planifier(self.cal_le, self.cal)

    def favorable(self, k: Candidat) -> None:
        """The candidate answers the bailleur's contact: wishes to be presented (R.441-3)."""
        sim = self.sim
        if self.termine or k.statut != "designe" or not k.d.active or k.d.candidature is not self:
            return
        if self.cal_le is not None and sim.jour >= self.cal_le:
            return
        cmd = c.Accepter(occurred_on=sim.jour, logement=self.spec.identifiant, stade=StadeReponse.avant_cal)
        if sim.executer(self.bailleur, cmd, k.d) is not None:
            k.favorable = True

    def _texte(self) -> str | None:
        return self.sim.rng.choice(TEXTES) if self.sim.rng.random() < P_TEXTE else None

    def retrait(self, k: Candidat) -> None:
        sim = self.sim
        if self.termine or k.statut != "designe" or not k.d.active or k.d.candidature is not self:
            return
        if self.cal_le is not None and sim.jour >= self.cal_le:
            return
        qualification = QualificationRefus.recevable if sim.rng.random() < 0.85 else QualificationRefus.non_recevable
        cmd = c.Refuser(
            occurred_on=sim.jour, logement=self.spec.identifiant, stade=StadeRefus.avant_cal,
            motif=sim.rng.choice(MOTIFS_RETRAIT), qualification=qualification, texte=self._texte(),
            loyer=loyer(self.spec),
        )
        if sim.executer(self.bailleur, cmd, k.d, tardif=True) is not None:
            k.statut = "refuse"
            sim.liberer(k.d, self)

    def justifier(self, k: Candidat) -> None:
        if k.statut == "designe" and k.d.candidature is self:
            self.sim.justifier(k.d, self.bailleur)

    # -- the CAL --------------------------------------------------------------------------------

    def cal(self) -> None:
        sim, rng, spec = self.sim, self.sim.rng, self.spec
        if self.termine:
            return
        jour = sim.jour
        if sim.politique.reporter_cal(sim, self):
            self.cal_le = sim.jour_cal(spec.bailleur, jour + timedelta(days=7))
            sim.planifier(self.cal_le, self.cal)
            return
        self.cal_le = jour
        presents: list[Candidat] = []
        for k in self.candidats:
            if k.statut != "designe":
                continue
            if not k.d.active or k.d.candidature is not self:
                k.statut = "sorti"
                sim.liberer(k.d, self)
            else:
                presents.append(k)
        if not presents:
            self.nouveau_tour(jour)
            return
        # As the dwelling counts them: every candidate of the vacancy who answered favourably
        # and has not refused since, presented today or in an earlier round (R.441-3).
        favorables = sum(1 for x in self.candidats if x.favorable and x.statut != "refuse")
        raison = None if favorables >= 3 else self._raison(presents)
        session = sim.commissions.session(self)
        self.classement = []
        rang = 0
        for k in presents:
            if session is not None:
                inscription = c.InscrireCAL(occurred_on=jour, logement=spec.identifiant, session=session)
                if sim.executer(self.bailleur, inscription, k.d) is None:
                    k.statut = "sorti"
                    sim.liberer(k.d, self)
                    continue
            issue = sim.politique.issue_cal(sim, self, k)
            champs: dict[str, object] = {}
            if issue == "attribution":
                rang += 1
                if rang > 1:
                    decision = D.attribution_par_classement
                    champs["rang"] = rang
                elif rng.random() < P_SOUS_CONDITION:
                    decision = D.attribution_sous_condition
                    champs["piece_manquante"] = rng.choice(PIECES)
                    champs["delai_jours"] = k.delai = rng.choice((10, 15, 30))
                else:
                    decision = D.attribution
            elif issue == "irrecevabilite":
                decision = D.irrecevabilite
                champs["sous_motif_irrecevabilite"] = (
                    SousMotifIrrecevabilite.IRRRES if rng.random() < 0.6 else SousMotifIrrecevabilite.IRRSEJ
                )
            else:
                decision = D.non_attribution
                champs["motif"] = (
                    MotifNonAttribution.equilibre_peuplement if issue == "equilibre" else rng.choice(MOTIFS_NON_ATTRIBUTION)
                )
                champs["texte"] = self._texte()
            cmd = c.DeciderCAL(
                occurred_on=jour, logement=spec.identifiant, decision=decision,
                moins_de_trois_candidats=raison, session=session, **champs,  # type: ignore[arg-type]
            )
            if sim.executer(self.bailleur, cmd, k.d) is None:
                k.statut = "sorti"
                sim.liberer(k.d, self)
                if issue == "attribution":
                    rang -= 1
                continue
            k.decision, k.rang = decision, rang if issue == "attribution" else None
            sim.politique.apres_decision(sim, self, k)
            if issue == "attribution":
                k.statut = "retenu"
                self.classement.append(k)
            else:
                k.statut = "ecarte"
                self.notifier(k, self._plus_tard(jour, 1, 3))
                sim.liberer(k.d, self)
                if decision is D.irrecevabilite and rng.random() < 0.6:
                    sim.planifier(self._plus_tard(jour, 4, 20), sim.irrecevable, k.d, self.bailleur)
        if not self.classement:
            self.nouveau_tour(jour)
            return
        self.offrir(0, jour)

    def _raison(self, presents: list[Candidat]) -> RaisonMoinsDeTrois:
        contingent = self.contingent_flux if self.flux else self.spec.contingent
        if contingent is TypeReservataire.PPRIOR and any(k.d.dalo for k in presents):
            return RaisonMoinsDeTrois.dalo_prefet
        if self.spec.financement is Financement.PLAI and self.sim.rng.random() < 0.5:
            return RaisonMoinsDeTrois.plai_adapte
        return RaisonMoinsDeTrois.insuffisance_candidats

    def notifier(self, k: Candidat, jour: date, puis: tuple[object, ...] | None = None) -> None:
        """The decision notified to the candidate on `jour` (a letter, an e-mail…); `puis`: what
        follows the notification (the offer's answer, counted from it)."""
        self.sim.planifier(jour, self._notifier, k, puis)

    def _notifier(self, k: Candidat, puis: tuple[object, ...] | None) -> None:
        sim = self.sim
        if k.d.active and (puis is None or (not self.termine and k.statut == "retenu" and k.d.candidature is self)):
            canal = choix(sim.rng, CANAUX)
            cmd = c.NotifierDecision(occurred_on=sim.jour, logement=self.spec.identifiant, canal=canal)  # type: ignore[arg-type]
            if sim.executer(self.bailleur, cmd, k.d) is None and puis is not None:
                k.statut = "sorti"
                sim.liberer(k.d, self)
                self.offrir(self.i + 1, sim.jour)
                return
        if puis is not None:
            action, *args = puis
            action(*args)  # type: ignore[operator]

    def _tient(self, k: Candidat) -> bool:
        """As `Logement.attribution_tient`: an attribution par classement stands once every
        candidate ranked ahead of it par classement has refused."""
        if k.decision is D.attribution_par_classement:
            return all(
                x.statut == "refuse"
                for x in self.classement
                if x.decision is D.attribution_par_classement and x.rang is not None and k.rang is not None and x.rang < k.rang
            )
        return True

    # -- offers and answers -----------------------------------------------------------------------

    def offrir(self, i: int, depuis: date) -> None:
        """The i-th ranked candidate (or the next one that still can) gets the offer."""
        sim = self.sim
        while i < len(self.classement):
            k = self.classement[i]
            if k.statut == "retenu" and k.d.active and k.d.candidature is self and self._tient(k):
                break
            if k.statut == "retenu":
                k.statut = "sorti"
                sim.liberer(k.d, self)
            i += 1
        else:
            self.nouveau_tour(depuis)
            return
        self.i = i
        if k.decision is D.attribution_sous_condition and not k.condition_levee:
            assert self.cal_le is not None and k.delai is not None
            echeance = self.cal_le + timedelta(days=k.delai)
            if sim.rng.random() < P_CONDITION_LEVEE:
                jour = sim.ouvre(sim.entre(max(depuis, sim.jour) + timedelta(days=2), echeance), limite=echeance)
                sim.planifier(jour, self.lever, k)
            else:  # the pièce never came: the next ranked candidate's turn after the delay
                k.statut = "sorti"
                sim.planifier(sim.ouvre(echeance + timedelta(days=1)), self.apres_condition, k)
            return
        self._reponse(k, depuis)

    def apres_condition(self, k: Candidat) -> None:
        self.sim.liberer(k.d, self)
        self.offrir(self.i + 1, self.sim.jour)

    def lever(self, k: Candidat) -> None:
        sim = self.sim
        if self.termine or k.statut != "retenu":
            return
        if not k.d.active or k.d.candidature is not self:
            self.offrir(self.i + 1, sim.jour)
            return
        if sim.executer(self.bailleur, c.LeverCondition(occurred_on=sim.jour, logement=self.spec.identifiant), k.d) is None:
            self.offrir(self.i + 1, sim.jour)
            return
        k.condition_levee = True
        self._reponse(k, sim.jour)

    def _reponse(self, k: Candidat, depuis: date) -> None:
        """The offer notified (the ten days of R.441-10 run from it), then the answer."""
        self.notifier(k, self._plus_tard(depuis, 0, 2), (self._repondre, k))

    def _repondre(self, k: Candidat) -> None:
        sim = self.sim
        depuis = sim.jour  # the notification's day
        issue = sim.politique.reponse(sim, self, k)
        if issue == "accepte":
            # The others ranked behind will not get it: they are free for other proposals.
            for x in self.classement[self.i + 1 :]:
                if x.statut == "retenu":
                    x.statut = "sorti"
                    sim.liberer(x.d, self)
            delai = sim.politique.delai_bail(sim, self, k)
            accepte_le = self._plus_tard(depuis, 0, min(delai, 8))
            sim.planifier(accepte_le, self.accepter, k)
            sim.planifier(max(self._plus_tard(depuis, delai, delai), accepte_le), self.bail, k)
        elif issue == "refuse":
            sim.planifier(self._plus_tard(depuis, 1, 10), self.refus, k, StadeRefus.apres_cal)
        else:  # silence past the 10 days of R.441-10 is a refusal the bailleur records
            sim.planifier(self._plus_tard(depuis, 11, 14), self.refus, k, StadeRefus.absence_reponse)

    def accepter(self, k: Candidat) -> None:
        sim = self.sim
        if self.termine or k.statut != "retenu" or not k.d.active or k.d.candidature is not self:
            return
        cmd = c.Accepter(occurred_on=sim.jour, logement=self.spec.identifiant, stade=StadeReponse.apres_cal)
        sim.executer(self.bailleur, cmd, k.d)

    def refus(self, k: Candidat, stade: StadeRefus) -> None:
        sim, rng = self.sim, self.sim.rng
        if self.termine or k.statut != "retenu":
            return
        if not k.d.active or k.d.candidature is not self:
            k.statut = "sorti"
            self.offrir(self.i + 1, sim.jour)
            return
        p_non_recevable = 0.7 if stade is StadeRefus.absence_reponse else 0.4
        qualification = QualificationRefus.non_recevable if rng.random() < p_non_recevable else QualificationRefus.recevable
        u = rng.random()
        immediate = qualification is QualificationRefus.non_recevable and u < 0.42
        differee = qualification is QualificationRefus.non_recevable and 0.42 <= u < 0.6
        motif = M.absence_reponse if stade is StadeRefus.absence_reponse else rng.choice(MOTIFS_REFUS)
        cmd = c.Refuser(
            occurred_on=sim.jour, logement=self.spec.identifiant, stade=stade, motif=motif,
            qualification=qualification, appliquer_decote=immediate,
            texte=None if stade is StadeRefus.absence_reponse else self._texte(), loyer=loyer(self.spec),
        )
        r = sim.executer(self.bailleur, cmd, k.d, tardif=not immediate)
        if r is None:
            k.statut = "sorti"
            sim.liberer(k.d, self)
            self.offrir(self.i + 1, sim.jour)
            return
        res, le = r
        k.statut = "refuse"
        sim.liberer(k.d, self)
        if immediate:
            sim.decote_appliquee(k.d, res.evenements[-1], le, self.bailleur)
        elif differee:
            sim.planifier(self._plus_tard(le, 2, 25), sim.decote_refus, k.d, res.evenements[-1], self.bailleur)
        self.offrir(self.i + 1, le)

    def bail(self, k: Candidat) -> None:
        sim = self.sim
        if self.termine or k.statut != "retenu":
            return
        if not k.d.active or k.d.candidature is not self:
            k.statut = "sorti"
            self.offrir(self.i + 1, sim.jour)
            return
        if not sim.politique.peut_signer(sim, self, k):
            sim.planifier(sim.ouvre(sim.jour + timedelta(days=7)), self.bail, k)
            return
        r = sim.executer(self.bailleur, c.SignerBail(occurred_on=sim.jour, logement=self.spec.identifiant), k.d)
        if r is None:
            k.statut = "sorti"
            sim.liberer(k.d, self)
            self.offrir(self.i + 1, sim.jour)
            return
        k.statut = "loue"
        k.d.candidature = None
        self.termine = True
        sim.bail_signe(self, k.d, r[1])
        sim.politique.apres_bail(sim, self, k)
        for x in self.candidats:
            if x.statut in ("designe", "retenu"):
                x.statut = "sorti"
                sim.liberer(x.d, self)

    def nouveau_tour(self, depuis: date) -> None:
        for k in self.candidats:
            if k.statut in ("designe", "retenu"):
                k.statut = "sorti"
                self.sim.liberer(k.d, self)
        self.classement = []
        self.sim.planifier(self._plus_tard(depuis, 3, 10), self.designer)
