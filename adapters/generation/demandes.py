"""The life of a demand at the guichets: registration (and the initial import), the yearly
cycle planned at each registration, renewal or reactivation (renewal or not, modifications,
renunciation, warnings, pièces), DALO recognitions, justifications, décotes and their recours.
A mixin of `simulation.Simulation`, whose engine (clock, commands, mirror) it uses."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from datetime import time as heure
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from adapters.generation.dossiers import DecoteMiroir, Dossier
from adapters.generation.menages import SITUATIONS, choix, generer_menage
from adapters.registre import Lot
from domain import calendrier, menage
from domain import commandes as c
from domain.codes import (
    Canal,
    CategoriePrioritaire,
    CodeDecote,
    DecisionRecours,
    Justification,
    ModeleLogement,
    MotifMiseEnDemeure,
    MotifRadiation,
    SourcePriorite,
    StatutDalo,
    TypeContratTravail,
    TypeReservataire,
    Typologie,
)
from domain.foyer import LogementActuel, Membre, Ressource, Souhaits
from domain.numero_unique import composer
from domain.pieces import MotifRefusPiece, TypePiece

if TYPE_CHECKING:
    from adapters.generation.simulation import Simulation

    _Base = Simulation
else:
    _Base = object

UN_JOUR = timedelta(days=1)
TYPOS = list(Typologie)
LOT = 250  # demands per save of the initial import

# Life of a demand, per yearly cycle (between two renewals).
P_RENOUVELLE = 0.82  # renews within the window; the others get RADREN from the schedule
P_REACTIVE = 0.2  # of the RADREN radiations, reactivated within the month
MODIFICATIONS = ((0, 68), (1, 26), (2, 6))  # modifications per cycle
P_RENONCE = 0.045  # written renunciation (RADABA)
P_MISE_EN_DEMEURE = 0.025  # for no answer; RADCON follows for P_RADCON of them
P_RADCON = 0.65
P_DECOTE_PIECES = 0.004
P_JUSTIFIE_GUICHET = 0.3  # a guichet checks a declared situation
P_DALO = 0.12  # of the priority households, recognised DALO by the préfet
P_CADUC = 0.15
P_RECOURS = 0.4  # of décotes, contested within 15 days
P_ANNULEE = 0.4
P_RETRACTE_JUSTIFICATION = 0.02
P_RETRACTE_MODIFICATION = 0.01
# Points only when justified (docs/rules.md): the instructing guichet or a bailleur checks the
# pièces of most declared situations within weeks of their declaration; some are refused, the
# rest wait for pièces never produced.
P_PIECES_PRODUITES = 0.86
P_PIECES_REJETEES = 0.08
JUSTIFIE_SOUS = (4, 45)  # days after the declaration
# Priority recognised by the Etat or a labelling instance (CCH L.441-1), of the households that
# declare or live a priority situation; eligibility stated by réservataires.
P_PRIORITE_RECONNUE = 0.1
P_ELIGIBLE_COLACT = 0.22  # of households with an employed titulaire: Action Logement
P_ELIGIBLE_PFONCT = 0.03  # a public servant: the Etat's PFONCT share
P_ELIGIBILITE_RETIREE = 0.08
CATEGORIES = {  # declared situation or derived criterion -> L.441-1 category
    "handicap": CategoriePrioritaire.a, "sortie_act": CategoriePrioritaire.b,
    "heberge_structure": CategoriePrioritaire.d, "chomage_longue_duree": CategoriePrioritaire.e,
    "logement_indigne": CategoriePrioritaire.f, "violences_couple": CategoriePrioritaire.g,
    "victime_viol": CategoriePrioritaire.g_bis, "sortie_prostitution": CategoriePrioritaire.h,
    "victime_traite": CategoriePrioritaire.i, "non_decent_mineur": CategoriePrioritaire.j,
    "sur_occupation_mineur": CategoriePrioritaire.j, "sans_logement": CategoriePrioritaire.k,
    "heberge_tiers": CategoriePrioritaire.k, "menace_expulsion": CategoriePrioritaire.l,
    "jeune_ase": CategoriePrioritaire.m,
}
SOURCES = (SourcePriorite.syplo, SourcePriorite.accord_collectif, SourcePriorite.examen_particulier)


class VieDesDemandes(_Base):
    def _importer(self, jour: date, n: int) -> None:
        """The demands active when the ledger starts, imported from the previous system through
        the Registre's registration (canal import, their numéro, filed_on in the past), LOT
        demands per save (a `Lot`)."""
        self._regler(datetime.combine(jour, heure(5), UTC))
        premier_du_mois = jour.replace(day=1)
        lot = Lot(self.registre)
        for i in range(n):
            classe = self.politique.classe_menage(self, jour)
            m = generer_menage(self.rng, jour, self.contexte, self.seuil(jour.year), classe)
            guichet = self.guichet_pour(m.souhaits.communes[0])
            anciennete = min(int(self.rng.expovariate(1 / 650)), 10 * 365)
            filed_on = premier_du_mois - timedelta(days=1 + anciennete)
            anniversaire = jour + timedelta(days=self.rng.randint(1, 365))
            # Imported numéros are the previous system's; never minted here (filed before this month).
            numero = composer(self.territoire.code, filed_on, i + 1, self.orgs[guichet].code_guichet or "IMP00")
            res = lot.executer(
                self.orgs[guichet], self.agent(guichet),
                c.Enregistrer(
                    occurred_on=jour, membres=m.membres, logement_actuel=m.logement_actuel, souhaits=m.souhaits,
                    motifs=m.motifs, situations=m.situations, personnel=m.personnel, numero_unique=numero,
                    filed_on=filed_on, anniversaire=anniversaire,
                ),
                canal=Canal.import_,
            )
            d = self._nouveau_dossier(numero, guichet, filed_on, anniversaire, jour, m, classe)
            self.rattrape(d, jour)
            d.version = res.version
            if len(lot) >= LOT:
                lot.sauver()
        lot.sauver()
        self.rapport.importees = n
        self.rapport.commandes["import"] += n

    def _nouveau_dossier(
        self, numero: str, guichet: str, filed_on: date, anniversaire: date, jour: date, m: Any, classe: str | None
    ) -> Dossier:
        d = Dossier(
            numero=numero, guichet=guichet, filed_on=filed_on, anniversaire=anniversaire, dernier=jour,
            membres=m.membres,
            naissances=tuple((i.membre, i.date_naissance) for i in m.personnel.identites),
            logement_actuel=m.logement_actuel, souhaits=m.souhaits, situations=m.situations,
            version=1, classe=classe,
        )
        self.dossiers[numero] = d
        self.rapport.demandes += 1
        self.entree(d)
        self.planifier_echeance(d)
        self.planifier_cycle(d, jour)
        if d.prioritaire and self.rng.random() < P_DALO:
            self.planifier(self.ouvre(jour + timedelta(days=self.rng.randint(60, 400))), self.dalo, d)
        self.planifier_pieces(d, d.situations, jour)
        self.planifier_priorite_et_eligibilite(d, jour)
        return d

    # -- pièces, priority, eligibility ----------------------------------------------------------

    def planifier_pieces(self, d: Dossier, situations: tuple[str, ...], depuis: date) -> None:
        """The pièces of each newly declared situation, checked within weeks (or never)."""
        rng = self.rng
        for s in situations:
            if rng.random() < P_PIECES_PRODUITES:
                jour = self.ouvre(depuis + timedelta(days=rng.randint(*JUSTIFIE_SOUS)))
                self.planifier(jour, self.justifier_situation, d, s, d.cycle)

    def justifier_situation(self, d: Dossier, situation: str, cycle: int) -> None:
        if not d.active or situation not in d.situations or situation in d.justifies or situation in d.rejetes:
            return
        rejete = self.rng.random() < P_PIECES_REJETEES
        self.justifier(d, d.guichet, (situation, Justification.rejete if rejete else Justification.justifie))

    def planifier_priorite_et_eligibilite(self, d: Dossier, jour: date) -> None:
        rng = self.rng
        if self.categorie_prioritaire(d) is not None and rng.random() < P_PRIORITE_RECONNUE:
            self.planifier(self.ouvre(jour + timedelta(days=rng.randint(20, 240))), self.reconnaitre_priorite, d)
        employe = any(m.contrat in (TypeContratTravail.CDI, TypeContratTravail.CDD) for m in d.membres)
        if employe and self.eligibilite_colact and rng.random() < P_ELIGIBLE_COLACT:
            self.planifier(self.ouvre(jour + timedelta(days=rng.randint(5, 90))), self.declarer_eligibilite,
                           d, self.eligibilite_colact, TypeReservataire.COLACT)
        elif employe and rng.random() < P_ELIGIBLE_PFONCT:
            self.planifier(self.ouvre(jour + timedelta(days=rng.randint(5, 90))), self.declarer_eligibilite,
                           d, self.etat, TypeReservataire.PFONCT)

    def categorie_prioritaire(self, d: Dossier) -> CategoriePrioritaire | None:
        for s in d.situations:
            if s in CATEGORIES:
                return CATEGORIES[s]
        lgt = d.logement_actuel
        if lgt is not None and lgt.modele in menage.HEBERGE_STRUCTURE:
            return CategoriePrioritaire.d
        if lgt is not None and lgt.modele in menage.SANS_LOGEMENT | menage.HEBERGE_TIERS:
            return CategoriePrioritaire.k
        return None

    def reconnaitre_priorite(self, d: Dossier) -> None:
        categorie = self.categorie_prioritaire(d)
        if not d.active or categorie is None or categorie in d.priorites:
            return
        jour = self.jour
        jusqua = calendrier.ajouter_ans(jour, 1) if self.rng.random() < 0.5 else None
        r = self.executer(self.etat, c.ReconnaitrePriorite(
            occurred_on=jour, categorie=categorie, source=self.rng.choice(SOURCES), du=jour, jusqua=jusqua), d)
        if r is not None:
            d.priorites += (categorie,)

    def declarer_eligibilite(self, d: Dossier, org: str, contingent: TypeReservataire) -> None:
        if not d.active or (org, contingent) in d.eligibilites:
            return
        if self.executer(org, c.DeclarerEligibilite(occurred_on=self.jour, contingent=contingent), d) is None:
            return
        d.eligibilites += ((org, contingent),)
        if self.rng.random() < P_ELIGIBILITE_RETIREE:
            self.planifier(self.ouvre(self.jour + timedelta(days=self.rng.randint(30, 300))),
                           self.retirer_eligibilite, d, org, contingent)

    def retirer_eligibilite(self, d: Dossier, org: str, contingent: TypeReservataire) -> None:
        if (org, contingent) not in d.eligibilites:
            return
        r = self.executer(org, c.DeclarerEligibilite(occurred_on=self.jour, contingent=contingent, eligible=False), d)
        if r is not None:
            d.eligibilites = tuple(x for x in d.eligibilites if x != (org, contingent))

    # -- guichets: registration and the yearly cycle --------------------------------------------

    def _inscrire(self, jour: date | None = None) -> Dossier | None:
        jour = jour or self.jour
        classe = self.politique.classe_menage(self, jour)
        m = generer_menage(self.rng, jour, self.contexte, self.seuil(jour.year), classe)
        guichet = self.guichet_pour(m.souhaits.communes[0])
        # The dépôt, some days before (R.441-2-4: within a month), recorded as one or not.
        depot, reference = self.deposer(guichet, jour)
        r = self.executer(
            guichet,
            c.Enregistrer(
                occurred_on=jour, membres=m.membres, souhaits=m.souhaits, logement_actuel=m.logement_actuel,
                motifs=m.motifs, situations=m.situations, personnel=m.personnel,
                filed_on=None if reference else depot, depot=reference,
            ),
            tardif=True,
        )
        if r is None:
            return None
        res, le = r
        d = self._nouveau_dossier(res.numero_unique, guichet, depot, calendrier.anniversaire(depot), le, m, classe)
        d.version = res.version
        self.planifier_dossier(d, le)
        return d

    def planifier_cycle(self, d: Dossier, depuis: date) -> None:
        """What will happen to the demand until its next anniversary."""
        rng, cycle = self.rng, d.cycle
        a = d.anniversaire
        radren = calendrier.radiation_non_renouvellement(a)
        veille = radren - UN_JOUR
        lendemain = depuis + UN_JOUR
        if rng.random() < self.politique.p_renouvelle:
            u = rng.random()
            if u < 0.15:
                lo, hi = calendrier.ajouter_mois(a, -3), calendrier.ajouter_mois(a, -2)
            elif u < 0.75:
                lo, hi = calendrier.ajouter_mois(a, -2), a
            else:
                lo, hi = a, veille
            lo = min(max(lo, lendemain), veille)
            jour = self.ouvre(self.entre(lo, max(lo, min(hi, veille))), limite=veille)
            self.planifier(max(jour, lendemain), self.renouveler, d, cycle)
        elif rng.random() < P_REACTIVE:
            limite = calendrier.reactivation_possible_jusqua(radren)
            self.planifier(self.ouvre(radren + timedelta(days=rng.randint(1, 27)), limite=limite), self.reactiver, d, cycle)
        fin = max(veille, lendemain)
        for _ in range(int(choix(rng, MODIFICATIONS))):  # type: ignore[call-overload]
            self.planifier(self.ouvre(self.entre(depuis + timedelta(days=5), fin)), self.modifier, d, cycle)
        if rng.random() < P_RENONCE:
            self.planifier(self.ouvre(self.entre(lendemain, fin)), self.renoncer, d, cycle)
        if rng.random() < P_MISE_EN_DEMEURE:
            self.planifier(self.ouvre(self.entre(lendemain, fin)), self.mettre_en_demeure, d, cycle)
        if rng.random() < P_DECOTE_PIECES:
            self.planifier(self.ouvre(self.entre(lendemain, fin)), self.decote_pieces, d, cycle)
        if d.situations and rng.random() < P_JUSTIFIE_GUICHET:
            self.planifier(self.ouvre(depuis + timedelta(days=rng.randint(3, 60))), self.justifier, d, d.guichet)

    def _du_cycle(self, d: Dossier, cycle: int) -> bool:
        return d.active and d.cycle == cycle

    def renouveler(self, d: Dossier, cycle: int) -> None:
        if not self._du_cycle(d, cycle):
            return
        r = self.executer(d.guichet, c.Renouveler(occurred_on=self.jour), d, tardif=True)
        if r is not None:
            d.renouveler(r[1])
            self.planifier_echeance(d)
            self.planifier_cycle(d, r[1])
            self.planifier_dossier(d, r[1], renouvellement=True)

    def reactiver(self, d: Dossier, cycle: int) -> None:
        if d.active or d.cycle != cycle or d.radiation is not MotifRadiation.RADREN or d.radiee_le is None:
            return
        if self.jour > calendrier.reactivation_possible_jusqua(d.radiee_le):
            return
        r = self.executer(d.guichet, c.Reactiver(occurred_on=self.jour), d)
        if r is not None:
            d.reactiver(r[1])
            self.entree(d)
            self.planifier_echeance(d)
            self.planifier_cycle(d, r[1])

    def renoncer(self, d: Dossier, cycle: int) -> None:
        if not self._du_cycle(d, cycle):
            return
        if d.candidature is not None:  # a candidate renounces once the proposal is over
            self.planifier(self.ouvre(self.jour + timedelta(days=20)), self.renoncer, d, cycle)
            return
        self.radier(d, MotifRadiation.RADABA, d.guichet, tardif=True)

    def radier(self, d: Dossier, motif: MotifRadiation, org: str, tardif: bool = False) -> bool:
        r = self.executer(org, c.Radier(occurred_on=self.jour, motif=motif), d, tardif=tardif)
        if r is None:
            return False
        d.radier(r[1], motif)
        self.sortie(d)
        self.planifier_echeance(d)
        return True

    def mettre_en_demeure(self, d: Dossier, cycle: int) -> None:
        if not self._du_cycle(d, cycle) or d.mise_en_demeure is not None:
            return
        motif = MotifMiseEnDemeure.absence_reponse
        r = self.executer(d.guichet, c.MettreEnDemeure(occurred_on=self.jour, motif=motif), d)
        if r is None:
            return
        d.mise_en_demeure = (r[1], motif)
        if self.rng.random() < P_RADCON:
            possible = calendrier.radiation_apres_mise_en_demeure(r[1])
            self.planifier(self.ouvre(possible + timedelta(days=self.rng.randint(0, 25))), self.radcon, d, r[1])

    def radcon(self, d: Dossier, mise_en_demeure: date) -> None:
        if d.active and d.mise_en_demeure == (mise_en_demeure, MotifMiseEnDemeure.absence_reponse):
            if d.candidature is not None:
                return  # a candidate answered: the guichet does not radiate
            self.radier(d, MotifRadiation.RADCON, d.guichet)

    def irrecevable(self, d: Dossier, bailleur: str) -> None:
        """After a CAL's irrecevabilité: the bailleur's warning, then RADIRR a month later."""
        if not d.active or d.mise_en_demeure is not None:
            return
        motif = MotifMiseEnDemeure.irrecevabilite
        r = self.executer(bailleur, c.MettreEnDemeure(occurred_on=self.jour, motif=motif), d)
        if r is None:
            return
        d.mise_en_demeure = (r[1], motif)
        if self.rng.random() < 0.8:
            possible = calendrier.radiation_apres_mise_en_demeure(r[1])
            self.planifier(self.ouvre(possible + timedelta(days=self.rng.randint(0, 20))), self.radirr, d, r[1], bailleur)

    def radirr(self, d: Dossier, mise_en_demeure: date, bailleur: str) -> None:
        motif = MotifMiseEnDemeure.irrecevabilite
        if d.active and d.mise_en_demeure == (mise_en_demeure, motif) and d.candidature is None:
            self.radier(d, MotifRadiation.RADIRR, bailleur)

    def dalo(self, d: Dossier) -> None:
        if not d.active or d.statut_dalo is not StatutDalo.NON:
            return
        r = self.executer(self.etat, c.ReconnaitreDalo(occurred_on=self.jour, statut=StatutDalo.ACTIF), d)
        if r is not None:
            d.statut_dalo = StatutDalo.ACTIF
            if self.rng.random() < P_CADUC:
                self.planifier(self.ouvre(self.jour + timedelta(days=self.rng.randint(200, 500))), self.dalo_caduc, d)

    def dalo_caduc(self, d: Dossier) -> None:
        if d.active and d.statut_dalo is StatutDalo.ACTIF and d.candidature is None:
            r = self.executer(self.etat, c.ReconnaitreDalo(occurred_on=self.jour, statut=StatutDalo.CADUC), d)
            if r is not None:
                d.statut_dalo = StatutDalo.CADUC

    def justifier(self, d: Dossier, org: str, choisi: tuple[str, Justification] | None = None) -> None:
        if not d.active:
            return
        a_verifier = [s for s in d.situations if s not in d.justifies and s not in d.rejetes]
        if choisi is not None:
            critere, justification = choisi
        elif a_verifier:
            critere = self.rng.choice(a_verifier)
            justification = Justification.rejete if self.rng.random() < 0.15 else Justification.justifie
        elif "premier_quartile" not in d.justifies:
            critere, justification = "premier_quartile", Justification.justifie  # avis d'imposition seen
        else:
            return
        r = self.executer(org, c.Justifier(occurred_on=self.jour, critere=critere, justification=justification), d, tardif=True)
        if r is None:
            return
        if justification is Justification.rejete:
            d.rejetes += (critere,)
        else:
            d.justifies += (critere,)
        if self.rng.random() < P_RETRACTE_JUSTIFICATION:
            self.planifier(self.ouvre(self.jour + UN_JOUR), self.retracter_justification, d, r[0].version, org, critere)

    def retracter_justification(self, d: Dossier, version: int, org: str, critere: str) -> None:
        motif = "erreur de saisie : pièce d'un autre dossier"
        if self.executer(org, c.Retracter(occurred_on=self.jour, evenement=version, motif=motif), d) is not None:
            d.rejetes = tuple(x for x in d.rejetes if x != critere)
            d.justifies = tuple(x for x in d.justifies if x != critere)

    def modifier(self, d: Dossier, cycle: int) -> None:
        if not self._du_cycle(d, cycle):
            return
        rng = self.rng
        sortes = [("souhaits", 40), ("situations", 20), ("logement", 10), ("motifs", 5)]
        if self.politique.modifie_ressources:
            sortes.append(("ressources", 25))
        sorte = str(choix(rng, tuple(sortes)))  # type: ignore[arg-type]
        champs: dict[str, Any] = {}
        if sorte == "souhaits":
            s = d.souhaits
            autres = [com for com, _ in self.communes if com not in s.communes]
            if autres and (rng.random() < 0.6 or len(s.typologies) > 1):
                communes = s.communes + (rng.choice(autres),)
                champs["souhaits"] = Souhaits(communes, s.typologies, s.accepte_qpv)
            else:
                i = TYPOS.index(s.typologies[-1])
                plus = TYPOS[min(i + 1, len(TYPOS) - 1)]
                typos = s.typologies + ((plus,) if plus not in s.typologies else ())
                champs["souhaits"] = Souhaits(s.communes, typos, not s.accepte_qpv if len(typos) == len(s.typologies) else s.accepte_qpv)
        elif sorte == "situations":
            nouvelles = [x for x, _ in SITUATIONS if x not in d.situations]
            champs["situations"] = d.situations + (rng.choice(nouvelles),)
        elif sorte == "logement":
            ancien = d.logement_actuel
            modele = rng.choice((ModeleLogement.LP, ModeleLogement.CP, ModeleLogement.CPE, ModeleLogement.HLM, ModeleLogement.SH))
            champs["logement_actuel"] = LogementActuel(
                modele=modele, commune=ancien.commune if ancien else self.communes[0][0],
                pieces=ancien.pieces if ancien else None, occupants=len(d.membres),
            )
        elif sorte == "ressources":
            facteur = Decimal(str(round(rng.uniform(0.8, 1.25), 2)))
            champs["membres"] = tuple(
                Membre(
                    m.id, m.role,
                    (TypeContratTravail.CDI if m.contrat is TypeContratTravail.CDD and rng.random() < 0.3 else m.contrat),
                    tuple(Ressource(x.code, (x.montant_mensuel * facteur).quantize(Decimal(1))) for x in m.ressources),
                    m.commune_travail,
                )
                for m in d.membres
            )
        else:
            champs["motifs"] = (rng.choice(("09", "13", "17", "19", "21")),)
        r = self.executer(d.guichet, c.Modifier(occurred_on=self.jour, **champs), d, tardif=True)
        if r is None:
            return
        if "souhaits" in champs:
            disponible = d.active and d.candidature is None
            if disponible:
                self._hors_vivier(d)
            d.souhaits = champs["souhaits"]
            if disponible:
                self._au_vivier(d)
        if "situations" in champs:
            self.planifier_pieces(d, champs["situations"][len(d.situations):], self.jour)
        d.situations = champs.get("situations", d.situations)
        d.logement_actuel = champs.get("logement_actuel", d.logement_actuel)
        d.membres = champs.get("membres", d.membres)
        if sorte == "motifs" and rng.random() < P_RETRACTE_MODIFICATION * 20:
            self.planifier(self.ouvre(self.jour + UN_JOUR), self.retracter_modification, d, r[0].version)

    def retracter_modification(self, d: Dossier, version: int) -> None:
        motif = "modification saisie sur le mauvais dossier"
        self.executer(d.guichet, c.Retracter(occurred_on=self.jour, evenement=version, motif=motif), d)

    # -- décotes and recours ------------------------------------------------------------------

    def decote_pieces(self, d: Dossier, cycle: int) -> None:
        """Pièces found incoherent at the instruction: the pièce received and refused as
        incoherente, then the décote that cites that refusal (dossier_unique.py)."""
        if not self._du_cycle(d, cycle):
            return
        cmd = c.DeposerPiece(occurred_on=self.jour, type_piece=TypePiece.ressources_mensuelles,
                             empreinte=hashlib.sha256(f"{d.numero}:{self.jour}".encode()).hexdigest(), taille=48_000)
        r = self.executer(d.guichet, cmd, d)
        if r is None:
            return
        refus = self.executer(d.guichet, c.RefuserPiece(occurred_on=self.jour, piece=r[0].version,
                                                        motif=MotifRefusPiece.incoherente), d)
        if refus is not None:
            self.decote_incoherente(d, refus[0].version)

    def decote_refus(self, d: Dossier, refus: int, bailleur: str) -> None:
        if not d.active:
            return
        cmd = c.AppliquerDecote(occurred_on=self.jour, code=CodeDecote.decote_refus, refus=refus)
        r = self.executer(bailleur, cmd, d)
        if r is not None:
            self.decote_appliquee(d, r[0].version, r[1], bailleur)

    def decote_appliquee(self, d: Dossier, version: int, le: date, auteur: str) -> None:
        d.decotes[version] = DecoteMiroir(version, le, le, auteur)
        if self.rng.random() < P_RECOURS:
            limite = calendrier.recours_possible_jusqua(le)
            jour = self.ouvre(le + timedelta(days=self.rng.randint(1, 15)), limite=limite)
            if jour >= self.jour:
                self.planifier(jour, self.recours, d, version)

    def recours(self, d: Dossier, version: int) -> None:
        dec = d.decotes.get(version)
        if dec is None or dec.recours or self.jour > calendrier.recours_possible_jusqua(dec.notifiee_le):
            return
        cmd = c.DeposerRecours(occurred_on=self.jour, decote=version, **self.dossier_de_recours())  # type: ignore[arg-type]
        if self.executer(d.guichet, cmd, d) is not None:
            dec.recours = True
            self.planifier(self.ouvre(self.jour + timedelta(days=self.rng.randint(5, 45))), self.decider_recours, d, version)

    def decider_recours(self, d: Dossier, version: int) -> None:
        dec = d.decotes.get(version)
        if dec is None or dec.decidee:
            return
        if self.rng.random() < P_ANNULEE:
            decision, motivation = DecisionRecours.annulee, "refus motivé par l'inadaptation du logement à la situation"
        else:
            decision, motivation = DecisionRecours.maintenue, "motif du refus non recevable au regard de la charte"
        cmd = c.DeciderRecours(occurred_on=self.jour, decote=version, decision=decision, motivation=motivation)
        if self.executer(dec.organisation, cmd, d) is not None:
            dec.decidee = True
