"""The daily simulation: years of a territory's life, day by day, every fact recorded through the
domain (`Registre.executer`, `Registre.declarer_vacance`, `Registre.rattraper`), so that every
precondition holds and the log is one a real ledger could have written.

Each simulated day: at night the schedule appends what fell due (notices, RADREN, erasures), only
for the demands that have something due; in the day, bailleurs declare vacancies, réservataires
and bailleurs designate, CALs decide, candidates answer, guichets register, renew, modify and
radiate. The clock is set to the simulated day (`HorlogeReglable`), so recorded_at falls on it a
few hours after occurred_on; some facts are typed in one to three days after they occurred.

Everything random comes from one `random.Random(seed)`: the same parameters give the same log.
The generator keeps in memory what its next commands depend on (`dossiers.Dossier`) and never
reads the log back."""

from __future__ import annotations

import bisect
import contextlib
import heapq
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as heure
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from adapters.clock import HorlogeReglable
from adapters.generation import attributions
from adapters.generation.commissions import Commissions
from adapters.generation.demandes import VieDesDemandes
from adapters.generation.dossier_unique import VieDuDossier
from adapters.generation.dossiers import Dossier, Ensemble
from adapters.generation.flux import Orientations
from adapters.generation.menages import Contexte, choix
from adapters.generation.parametres import GenerationError, Parametres
from adapters.generation.politique import Politique
from adapters.generation.rapport import Rapport
from adapters.registre import Lot, Registre, Resultat
from domain import calendrier, horloge
from domain import commandes as c
from domain.cal import SessionCAL
from domain.codes import (
    Canal,
    MotifRadiation,
    TypeContratTravail,
    TypeOrganisation,
    TypeReservataire,
    Typologie,
)
from domain.demande import Demande
from domain.erreurs import RefusCommande
from domain.logement import Logement
from domain.territoire import LogementSocial, Organisation

UN_JOUR = timedelta(days=1)
TYPOS = list(Typologie)

TAU_JOURS = 45  # registrations steer the active stock to its target within about this delay
LOT = 250  # demands per save in the schedule's night run
GUICHET_COMMUNE = 0.55  # applicants register at their first-choice commune's service, or a bailleur's
P_TARDIF = 0.08  # typed in one to three days after the fact
# The back office's commands that concern one demand and nothing else: first thing in the day,
# they go through a `Lot` (the Registre's handlers, saved together), since one transaction per
# command would cost most of a run; the events, their dates and their order on each demand are
# the same.
EN_LOT = frozenset(
    {c.Renouveler, c.Modifier, c.Justifier, c.MettreEnDemeure, c.Radier, c.Reactiver, c.ReconnaitreDalo,
     c.ReconnaitrePriorite, c.DeclarerEligibilite,
     c.DelivrerAttestation, c.DeposerPiece, c.ValiderPiece, c.RefuserPiece, c.DemanderPieces}
)
# What the guichets do in their back office, first thing in the day and saved together.
BUREAU = frozenset(
    {
        VieDesDemandes.renouveler, VieDesDemandes.modifier, VieDesDemandes.reactiver,
        VieDesDemandes.renoncer, VieDesDemandes.mettre_en_demeure, VieDesDemandes.radcon,
        VieDesDemandes.dalo, VieDesDemandes.dalo_caduc, VieDesDemandes.justifier,
        VieDesDemandes.justifier_situation, VieDesDemandes.reconnaitre_priorite,
        VieDesDemandes.declarer_eligibilite, VieDesDemandes.retirer_eligibilite,
        VieDuDossier.attestation, VieDuDossier.deposer_piece, VieDuDossier.verifier_piece,
        VieDuDossier.demander_pieces,
    }
)


class Simulation(VieDuDossier, VieDesDemandes):
    """One generation: the territory's organisations and parc, the generator's memory of every
    demand and vacancy, the clock, and the day loop (`executer_tout`)."""

    def __init__(self, registre: Registre, p: Parametres, politique: Politique, barre: bool = True) -> None:
        assert p.jusquau is not None
        self.registre = registre
        self.territoire = registre.territoire
        self.p = p
        self.politique = politique
        self.barre = barre
        self.rng = random.Random(p.graine)
        self.debut = p.debut
        self.fin = p.jusquau
        self.jour = self.debut
        self.retention = self.territoire.retention_donnees_mois
        self.orgs = {o.code: o for o in self.territoire.organisations}
        etats = [o for o in self.territoire.organisations if o.est(TypeOrganisation.etat)]
        if not etats:
            raise GenerationError("the territory has no organisation of kind etat for DALO decisions")
        self.etat = etats[0].code
        # The réservataire holding the employers' contingent (Action Logement), which states
        # employees eligible to it.
        self.eligibilite_colact = next(
            (x.reservataire for x in self.territoire.logements
             if x.contingent is TypeReservataire.COLACT and x.reservataire in self.orgs), None)
        self._preparer_guichets()
        poids: dict[str, int] = {}
        for lgt in self.territoire.logements:
            poids[lgt.commune] = poids.get(lgt.commune, 0) + 1
        self.communes = tuple(sorted(poids.items(), key=lambda x: -x[1]))
        self.contexte = Contexte(
            communes=tuple((k, float(v)) for k, v in self.communes),
            ailleurs=politique.ailleurs,
            part_mutation=politique.part_mutation,
        )
        bailleurs = sorted({lgt.bailleur for lgt in self.territoire.logements})
        # Each bailleur holds its CAL on one weekday (Tuesday to Friday).
        self.jour_cal_bailleur = {b: 1 + i % 4 for i, b in enumerate(bailleurs)}

        self.dossiers: dict[str, Dossier] = {}
        self.vivier: dict[tuple[str, Typologie], Ensemble] = {}  # available active demands
        self.nb_actifs = 0
        self.echeancier: list[tuple[date, int, str]] = []  # the schedule: who has something due
        self.agenda: list[tuple[date, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self.loues = Ensemble()  # let dwellings, for the turnover
        self.en_cours: dict[str, attributions.MiseEnLocation] = {}
        self.nb_vacances: dict[str, int] = {}  # vacancy number on each dwelling aggregate
        self.baux: list[date] = []
        self.sorties_jour = 0
        self.sorties_moyennes = 0.0
        self._reste_inscriptions = 0.0
        self._instant = datetime.combine(self.debut, heure(1), UTC)
        self._pas = timedelta(seconds=1)
        self.horloge = HorlogeReglable(self._instant)
        self.lot = Lot(registre)
        self.commissions = Commissions(self)  # today's CAL sessions (commissions.py)
        self.orientations = Orientations(self)  # the flux's orientations (flux.py)
        self._bureau = False
        self.rapport = Rapport(
            scenario=p.scenario, graine=p.graine, debut=self.debut, fin=self.fin,
            logements=len(self.territoire.logements),
        )

    # -- the territory's actors ---------------------------------------------------------------

    def _preparer_guichets(self) -> None:
        t = self.territoire
        par_commune: dict[str, dict[str, int]] = {}
        for lgt in t.logements:
            if lgt.contingent is TypeReservataire.COLTER and lgt.reservataire:
                org = self.orgs[lgt.reservataire]
                if org.est(TypeOrganisation.guichet) and org.code_guichet:
                    compte = par_commune.setdefault(lgt.commune, {})
                    compte[org.code] = compte.get(org.code, 0) + 1
        self.guichet_commune = {
            insee: max(sorted(compte), key=lambda code: compte[code]) for insee, compte in sorted(par_commune.items())
        }
        parc: dict[str, int] = {}
        for lgt in t.logements:
            parc[lgt.bailleur] = parc.get(lgt.bailleur, 0) + 1
        self.guichets_bailleurs = tuple(
            (code, float(n))
            for code, n in sorted(parc.items())
            if self.orgs[code].code_guichet and self.orgs[code].est(TypeOrganisation.bailleur)
        )
        if not self.guichets_bailleurs and not self.guichet_commune:
            raise GenerationError("the territory has no guichet with a code_guichet to register demands")

    def guichet_pour(self, premier_choix: str) -> str:
        commune = self.guichet_commune.get(premier_choix)
        if commune and (self.rng.random() < GUICHET_COMMUNE or not self.guichets_bailleurs):
            return commune
        if self.guichets_bailleurs:
            return str(choix(self.rng, self.guichets_bailleurs))
        return commune or next(iter(self.guichet_commune.values()))

    def agent(self, org: str) -> str:
        agents = self.orgs[org].agents
        if not agents:
            return f"{org.lower()}-1"
        return agents[self.rng.randrange(len(agents))].identifiant if len(agents) > 1 else agents[0].identifiant

    def seuil(self, annee: int) -> Decimal:
        return self.territoire.seuil_premier_quartile(annee) or Decimal(9120)

    # -- dates ----------------------------------------------------------------------------

    @staticmethod
    def ouvre(jour: date, limite: date | None = None) -> date:
        """The first weekday on or after `jour`; the last one before `limite` if that is later."""
        j = jour
        while j.weekday() >= 5:
            j += UN_JOUR
        if limite is not None and j > limite:
            j = limite
            while j.weekday() >= 5:
                j -= UN_JOUR
        return j

    def entre(self, debut: date, fin: date) -> date:
        if fin <= debut:
            return debut
        return debut + timedelta(days=self.rng.randint(0, (fin - debut).days))

    def jour_cal(self, bailleur: str, apres: date) -> date:
        j = apres
        while j.weekday() != self.jour_cal_bailleur[bailleur]:
            j += UN_JOUR
        return j

    def planifier(self, jour: date, action: Callable[..., None], *args: Any) -> None:
        self._seq += 1
        heapq.heappush(self.agenda, (max(jour, self.jour), self._seq, action, args))

    def baux_12_mois(self, jour: date) -> int:
        depuis = calendrier.ajouter_ans(jour, -1)
        return len(self.baux) - bisect.bisect_right(self.baux, depuis)

    # -- the clock ------------------------------------------------------------------------

    def _regler(self, instant: datetime) -> None:
        # Only forwards: setting the clock back would hand out an instant twice.
        if instant > self._instant:
            self._instant = instant
            self.horloge.regler(instant)

    def _tic(self) -> None:
        limite = datetime.combine(self.jour, heure(19, 30), UTC)  # still the same day in Paris
        suivant = self._instant + self._pas
        if suivant > limite:
            suivant = self._instant + timedelta(milliseconds=1)
        self._regler(suivant)

    # -- executing commands ---------------------------------------------------------------

    def executer(
        self,
        org: str,
        commande: c.Commande,
        dossier: Dossier | None = None,
        *,
        tardif: bool = False,
        canal: Canal = Canal.api,
    ) -> tuple[Resultat, date] | None:
        """Runs one command; the mirror catches the demand up as the Registre did. A refused
        command (a generator bug) is reported and returns None."""
        jour = commande.occurred_on
        if tardif and self.rng.random() < P_TARDIF:
            recul = self.rng.choice((1, 1, 1, 1, 1, 1, 2, 2, 2, 3))
            jour = max(
                jour - timedelta(days=recul),
                self.politique.plancher(self, self.jour),
                dossier.dernier if dossier is not None else date.min,
            )
            commande = msgspec.structs.replace(commande, occurred_on=jour)
        self._tic()
        en_lot = dossier is not None and self._bureau and type(commande) in EN_LOT
        if dossier is not None and not en_lot and dossier.numero in self.lot:
            self.lot.sauver()  # the Registre must see what the back office did to it
        try:
            if en_lot:
                assert dossier is not None
                res = self.lot.executer(self.orgs[org], self.agent(org), commande, dossier.numero)
            else:
                res = self.registre.executer(
                    self.orgs[org], self.agent(org), commande,
                    numero_unique=dossier.numero if dossier is not None else None, canal=canal,
                )
        except RefusCommande as e:
            quoi = dossier.numero if dossier is not None else ""
            self.rapport.refus.append(f"{jour} {type(commande).__name__} {quoi} by {org}: {e.regle}: {e.message}")
            logement = getattr(commande, "logement", None)
            session = getattr(commande, "session", None)
            self.oublier(
                *([Demande.id_pour(dossier.numero)] if dossier is not None and dossier.numero not in self.lot else []),
                *([Logement.id_pour(logement)] if logement else []),
                *([SessionCAL.id_pour(session)] if session else []),
            )
            return None
        if dossier is not None:
            self.rattrape(dossier, jour)
            dossier.dernier = max(dossier.dernier, jour)
            dossier.version = res.version
        self.rapport.commandes[type(commande).__name__] += 1
        return res, jour

    def oublier(self, *ids: UUID) -> None:
        """Evicts aggregates from the Registre's cache, if it has one (`ouvrir`): a refused
        command may have left them half-changed there, which the store never saw."""
        cache = getattr(self.registre.repository, "cache", None)
        if cache is None:
            return
        for i in ids:
            with contextlib.suppress(KeyError):
                cache.get(i, evict=True)

    # -- the mirror of the demands ---------------------------------------------------------

    def _cles(self, d: Dossier) -> list[tuple[str, Typologie]]:
        return [(com, t) for com in d.souhaits.communes for t in d.souhaits.typologies]

    def _au_vivier(self, d: Dossier) -> None:
        for k in self._cles(d):
            e = self.vivier.get(k)
            if e is None:
                e = self.vivier[k] = Ensemble()
            e.ajouter(d.numero)

    def _hors_vivier(self, d: Dossier) -> None:
        for k in self._cles(d):
            e = self.vivier.get(k)
            if e is not None:
                e.retirer(d.numero)

    def prendre(self, d: Dossier, ml: attributions.MiseEnLocation) -> None:
        d.candidature = ml
        self._hors_vivier(d)

    def liberer(self, d: Dossier, ml: attributions.MiseEnLocation | None = None) -> None:
        if ml is not None and d.candidature is not ml:
            return
        d.candidature = None
        if d.active:
            self._au_vivier(d)

    def entree(self, d: Dossier) -> None:
        self.nb_actifs += 1
        if d.candidature is None:
            self._au_vivier(d)

    def sortie(self, d: Dossier) -> None:
        self.nb_actifs -= 1
        self.sorties_jour += 1
        self._hors_vivier(d)

    def planifier_echeance(self, d: Dossier) -> None:
        e = d.echeance(self.retention)
        if e is not None and e[0] != d.echeance_planifiee:
            self._seq += 1
            heapq.heappush(self.echeancier, (e[0], self._seq, d.numero))
            d.echeance_planifiee = e[0]

    def rattrape(self, d: Dossier, jusquau: date) -> list[str]:
        """The mirror's side of a catch-up the Registre did."""
        faits = d.rattraper(jusquau, self.retention)
        for f in faits:
            if f == "radiation":
                self.sortie(d)
            elif f == "effacement":
                self.dossiers.pop(d.numero, None)
        if faits:
            self.planifier_echeance(d)
        return faits

    def _planificateur(self, jour: date) -> None:
        """The schedule's night run, for the demands with something due today only: what
        `Registre.rattraper` does for one demand, through a `Lot` saved LOT demands at a time,
        since one transaction per demand would cost most of the run."""
        self._regler(datetime.combine(jour, heure(1), UTC))
        self._pas = timedelta(milliseconds=50)
        nuit = Lot(self.registre)
        while self.echeancier and self.echeancier[0][0] <= jour:
            du, _, numero = heapq.heappop(self.echeancier)
            d = self.dossiers.get(numero)
            if d is None or d.echeance_planifiee != du:
                continue  # a stale entry: the demand's schedule moved since
            d.echeance_planifiee = None
            e = d.echeance(self.retention)
            if e is None:
                continue
            if e[0] > jour:
                self.planifier_echeance(d)
                continue
            self._tic()
            res = nuit.rattraper(numero, jour)
            if res is not None:
                self.rapport.commandes["schedule"] += 1
            self.rattrape(d, jour)
            if res is not None:
                d.version = res.version
            self.planifier_echeance(d)
            if len(nuit) >= LOT:
                nuit.sauver()
        nuit.sauver()

    # -- the day ----------------------------------------------------------------------------

    def executer_tout(self) -> Rapport:
        debut_chrono = time.perf_counter()
        position0 = self.registre.position()
        if position0:
            raise GenerationError(
                f"the database already holds {position0:,} events: generate into an empty database "
                "(a new SQLite file, or a new PostgreSQL schema with ?schema=NAME)"
            )
        precedente = horloge.source()  # put back at the end: a test's clock stays in force
        self.horloge.installer()
        jours = (self.fin - self.debut).days + 1
        from tqdm import tqdm

        try:
            with tqdm(
                total=jours, unit="day", desc=f"generate {self.p.scenario}", file=sys.stderr,
                disable=not self.barre, dynamic_ncols=True,
            ) as barre:
                jour = self.debut
                while jour <= self.fin:
                    self._journee(jour)
                    barre.update(1)
                    if self.barre:
                        barre.set_postfix_str(
                            f"{jour} · {self.registre.position() - position0:,} events", refresh=False
                        )
                    jour += UN_JOUR
            r = self.rapport
            r.evenements = self.registre.position() - position0
            r.baux = len(self.baux)
            r.baux_12_mois = self.baux_12_mois(self.fin)
            r.actives_fin = self.nb_actifs
            r.scenario_chiffres = self.politique.chiffres(self)
            if self.p.verifier:
                self._verifier()
            r.secondes = time.perf_counter() - debut_chrono
            return r
        finally:
            horloge.installer(precedente)

    def _journee(self, jour: date) -> None:
        self.jour = jour
        self.sorties_jour = 0
        self._planificateur(jour)
        if jour == self.debut:
            self._demarrer(jour)
        dus: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        while self.agenda and self.agenda[0][0] <= jour:
            _, _, action, args = heapq.heappop(self.agenda)
            dus.append((action, args))
        vacances: list[LogementSocial] = []
        inscriptions = 0
        if jour.weekday() < 5:
            vacances = self.politique.vacances(self, jour)
            inscriptions = self._nb_inscriptions(jour)
        n = len(dus) + len(vacances) * 2 + inscriptions
        self._regler(datetime.combine(jour, heure(6, 30), UTC))
        self._pas = timedelta(seconds=min(120.0, 12 * 3600 / max(1, 1.5 * n)))
        # First the guichets' back office, saved as one transaction (a Lot), then the rest.
        self._bureau = True
        for action, args in dus:
            if getattr(action, "__func__", None) in BUREAU:
                action(*args)
        self._bureau = False
        self.lot.sauver()
        for spec in vacances:
            self._declarer_vacance(spec)
        for action, args in dus:
            if getattr(action, "__func__", None) not in BUREAU:
                action(*args)
        for _ in range(inscriptions):
            self._inscrire()
        # What today's actions planned for today (a same-day retraction, a new round).
        while self.agenda and self.agenda[0][0] <= jour:
            _, _, action, args = heapq.heappop(self.agenda)
            action(*args)
        self.politique.fin_de_journee(self, jour)
        self.commissions.clore(jour)  # the day's CAL sessions, their minutes final
        self.lot.sauver()
        self.sorties_moyennes += (self.sorties_jour - self.sorties_moyennes) / 60

    def _nb_inscriptions(self, jour: date) -> int:
        cible = self.politique.cible_stock(self, jour)
        par_jour = self.sorties_moyennes + (cible - self.nb_actifs) / TAU_JOURS
        self._reste_inscriptions += max(0.0, par_jour) * 7 / 5
        n = int(self._reste_inscriptions)
        self._reste_inscriptions -= n
        return n

    # -- the start: the parc as the territory file gives it, and the imported stock ---------

    def _demarrer(self, jour: date) -> None:
        for spec in self.territoire.logements:
            if spec.vacant:
                self.nb_vacances[spec.identifiant] = 1
                ml = attributions.MiseEnLocation(self, spec, 1, jour)
                self.en_cours[spec.identifiant] = ml
                ml.demarrer(jour)
            else:
                self.loues.ajouter(spec.identifiant)
        self._importer(jour, self.politique.stock_initial(self))
        # Exits expected before any is seen: the stock over an average stay of about 3 years.
        self.sorties_moyennes = self.nb_actifs / (3.2 * 365)

    # -- dwellings -------------------------------------------------------------------------------

    def _declarer_vacance(self, spec: LogementSocial) -> None:
        if spec.identifiant not in self.loues:
            return  # drawn twice today
        self._tic()
        org: Organisation = self.orgs[spec.bailleur]
        try:
            numero = self.registre.declarer_vacance(
                org, self.agent(org.code), spec.identifiant, c.DeclarerVacance(occurred_on=self.jour)
            )
        except RefusCommande as e:
            self.rapport.refus.append(f"{self.jour} vacance {spec.identifiant}: {e.regle}: {e.message}")
            self.oublier(Logement.id_pour(spec.identifiant))
            return
        self.rapport.commandes["DeclarerVacance"] += 1
        self.loues.retirer(spec.identifiant)
        self.nb_vacances[spec.identifiant] = numero
        ml = attributions.MiseEnLocation(self, spec, numero, self.jour)
        self.en_cours[spec.identifiant] = ml
        ml.demarrer(self.jour)

    def bail_signe(self, ml: attributions.MiseEnLocation, d: Dossier, le: date) -> None:
        d.radier(le, MotifRadiation.RADATT)
        self.sortie(d)
        self.planifier_echeance(d)
        self.baux.append(le)
        self.en_cours.pop(ml.spec.identifiant, None)
        self.loues.ajouter(ml.spec.identifiant)

    def choisir(self, ml: attributions.MiseEnLocation, n: int, contingent: TypeReservataire) -> list[Dossier]:
        """Candidates for a vacancy: active demands wishing the commune and typology, free of
        any other proposal, ranked roughly as a réservataire would (seniority, priority, DALO,
        local ties, employees for Action Logement)."""
        spec = ml.spec
        i = TYPOS.index(spec.typologie)
        voisines = [TYPOS[j] for j in (i - 1, i + 1) if 0 <= j < len(TYPOS)]
        cles = [(spec.commune, spec.typologie)] + [(spec.commune, t) for t in voisines]
        cles += [(com, spec.typologie) for com, _ in self.communes if com != spec.commune]
        trouves: dict[str, tuple[float, Dossier]] = {}
        for cle in cles:
            e = self.vivier.get(cle)
            if not e:
                continue
            for _ in range(min(40, 3 * len(e))):
                numero = e.tirer(self.rng)
                if numero in trouves or numero in ml.designes:
                    continue
                d = self.dossiers.get(numero)
                if d is None or not d.active or d.candidature is not None:
                    continue
                if spec.qpv and not d.souhaits.accepte_qpv:
                    continue
                if not self.politique.eligible(self, ml, d):
                    continue
                trouves[numero] = (self._priorite(d, spec, contingent), d)
                if len(trouves) >= 12:
                    break
            if len(trouves) >= max(n, 6):
                break
        classes = sorted(trouves.values(), key=lambda x: -x[0])
        return [d for _, d in classes[:n]]

    def _priorite(self, d: Dossier, spec: LogementSocial, contingent: TypeReservataire) -> float:
        p = (self.jour - d.filed_on).days / 365 + 2 * d.dalo + self.rng.random() * 2
        if contingent is TypeReservataire.PPRIOR:
            p += 4 * d.dalo + 2 * d.prioritaire
        elif contingent is TypeReservataire.COLACT:
            p += 1.5 * any(m.contrat in (TypeContratTravail.CDI, TypeContratTravail.CDD) for m in d.membres)
        elif contingent is TypeReservataire.COLTER and d.logement_actuel is not None:
            p += 1.0 * (d.logement_actuel.commune == spec.commune)
        return p

    # -- checking the mirror against the log ------------------------------------------------------

    def _verifier(self) -> None:
        from domain.etat_demande import prochaine_echeance

        for numero, d in list(self.dossiers.items()):
            # Read back from the store, not from the Registre's cache (a historical read).
            agg = self.registre.repository.get(Demande.id_pour(numero), version=1 << 40)
            e = agg.etat
            attendu = (agg.version, e.active, e.radiation, e.dernier_jour, e.statut_dalo,
                       prochaine_echeance(e, self.retention))
            miroir = (d.version, d.active, d.radiation, d.dernier, d.statut_dalo, d.echeance(self.retention))
            if attendu != miroir:
                self.rapport.ecarts.append(f"{numero}: log {attendu} != mirror {miroir}")
