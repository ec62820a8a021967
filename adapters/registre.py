"""The ledger application: the eventsourcing Application that executes commands.

A command loads the demand (and the dwelling it concerns), catches the demand up with its own
schedule, checks permissions and preconditions, and saves every resulting event of every
aggregate in one transaction. A refused command saves nothing, so the log stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from uuid import UUID

import msgspec
import sqlalchemy as sa
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Mapper, Notification, RecordConflictError

from adapters.cles import Coffre
from adapters.database import APP_NAME, BaseInjoignable, Stockage, lecture_depuis_env
from adapters.grid_file import load_grid
from adapters.immutabilite import proteger
from adapters.mapper import LedgerMapper
from adapters.tables import metadata, numerotation
from domain import commandes as c
from domain import menage, permissions
from domain.acte import Acte
from domain.codes import (
    ATTRIBUTIONS,
    Canal,
    CodeDecote,
    Justification,
    QualificationRefus,
    TypeReservataire,
)
from domain.demande import Demande, SituationAttribution
from domain.erreurs import Introuvable, RegleEnfreinte, VersionPerimee
from domain.foyer import DonneesPersonnelles
from domain.logement import Logement
from domain.numero_unique import composer
from domain.territoire import LogementSocial, Organisation, Territoire

TENTATIVES = 8  # retries when another writer touched the same dwelling meanwhile


class Resultat(msgspec.Struct, frozen=True):
    numero_unique: str
    version: int  # the demand's version after the command: the next If-Match
    evenements: tuple[int, ...]  # versions appended to the demand, catch-up included
    position: int | None  # highest notification id written, for read-your-writes


class Registre(Application[UUID]):
    name = APP_NAME

    def __init__(self, stockage: Stockage, territoire: Territoire, pool_size: int = 5) -> None:
        self.stockage = stockage
        self.territoire = territoire
        self.engine = stockage.engine(pool_size=pool_size)
        # Where the read models are read: a streaming replica when LEDGER_READ_DATABASE_URL
        # names one (adapters/replique.py), else the primary itself.
        self.stockage_lecture = lecture_depuis_env(stockage)
        self.lecture = self.stockage_lecture.engine(pool_size=pool_size) if self.stockage_lecture else self.engine
        try:
            metadata.create_all(self.engine)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as e:
            self.engine.dispose()
            raise BaseInjoignable(stockage, e) from None
        if stockage.postgres:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("CREATE SEQUENCE IF NOT EXISTS ledger_numero_seq")
        self.coffre = Coffre(self.engine)
        self.grille = load_grid(territoire.grille) if territoire.grille else None
        super().__init__(env=stockage.eventsourcing_env)
        proteger(stockage, self.engine)

    def construct_mapper(self) -> Mapper[UUID]:
        return LedgerMapper(self.coffre)

    def close(self) -> None:
        super().close()
        self.engine.dispose()
        if self.lecture is not self.engine:
            self.lecture.dispose()

    # -- reading ---------------------------------------------------------------------------

    def demande(self, numero_unique: str) -> Demande:
        try:
            return self.repository.get(Demande.id_pour(numero_unique))
        except AggregateNotFoundError:
            raise Introuvable(
                "demande_inconnue", f"no demand with numéro unique {numero_unique!r}"
            ) from None

    def logement(self, identifiant: str) -> Logement | None:
        try:
            return self.repository.get(Logement.id_pour(identifiant))
        except AggregateNotFoundError:
            return None

    def spec_logement(self, identifiant: str) -> LogementSocial:
        try:
            return self.territoire.logement(identifiant)
        except KeyError:
            raise Introuvable(
                "logement_inconnu", f"dwelling {identifiant!r} is not in the territory"
            ) from None

    def position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def notifications(self, depuis: int, limite: int = 1000) -> list[Notification]:
        return self.recorder.select_notifications(start=depuis + 1, limit=limite)

    # -- commands --------------------------------------------------------------------------

    def executer(
        self,
        org: Organisation,
        agent: str,
        commande: c.Commande,
        numero_unique: str | None = None,
        version_attendue: int | None = None,
        canal: Canal = Canal.api,
    ) -> Resultat:
        permissions.ecriture(org)
        acte = Acte(commande.occurred_on, org.code, agent, canal)
        if isinstance(commande, c.Enregistrer):
            return self._enregistrer(org, acte, commande)
        if numero_unique is None:
            raise RegleEnfreinte("numero_requis", "this command concerns an existing demand")
        handler = self._handlers[type(commande)]
        return self._sur_demande(
            numero_unique, acte, version_attendue, lambda d: handler(self, org, acte, d, commande)
        )

    def declarer_vacance(
        self, org: Organisation, agent: str, identifiant: str, commande: c.DeclarerVacance
    ) -> int:
        permissions.ecriture(org)
        spec = self.spec_logement(identifiant)
        permissions.bailleur_du_logement(org, spec, "a vacancy")
        acte = Acte(commande.occurred_on, org.code, agent)
        for _ in range(TENTATIVES):
            lgt = self._logement_ou_ouvrir(spec, acte)
            lgt.declarer_vacance(acte)
            try:
                self.save(lgt)
                return len(lgt.vacances)
            except RecordConflictError:
                continue
        raise VersionPerimee("conflit", f"dwelling {identifiant} kept changing; try again")

    def rattraper(self, numero_unique: str, jusquau: date) -> Resultat | None:
        """What the schedule does for one demand: append whatever fell due by `jusquau`."""
        for _ in range(TENTATIVES):
            demande = self.demande(numero_unique)
            avant = demande.version
            if not demande.rattraper(jusquau, self.territoire.retention_donnees_mois):
                return None
            try:
                recordings = self.save(demande)
            except RecordConflictError:
                continue
            self._apres_sauvegarde(demande)
            return self._resultat(demande, avant, recordings)
        raise VersionPerimee("conflit", f"demand {numero_unique} kept changing during the schedule")

    def _sur_demande(
        self,
        numero_unique: str,
        acte: Acte,
        version_attendue: int | None,
        action: Callable[[Demande], list[Logement]],
    ) -> Resultat:
        for _ in range(TENTATIVES):
            demande = self.demande(numero_unique)
            avant = demande.version
            if version_attendue is not None and avant != version_attendue:
                raise VersionPerimee(
                    "version_perimee",
                    f"demand {numero_unique} is at version {avant}, not {version_attendue}",
                    version=avant,
                )
            # A demand is never behind its own schedule (DOMAIN.md §4).
            demande.rattraper(acte.occurred_on, self.territoire.retention_donnees_mois)
            autres = action(demande)
            try:
                recordings = self.save(demande, *autres)
            except RecordConflictError:
                # Someone else wrote meanwhile. On this demand: the client decided on a state
                # that no longer is, so say so. On a dwelling only: decide again.
                if self.demande(numero_unique).version != avant:
                    raise VersionPerimee(
                        "ecriture_concurrente",
                        f"demand {numero_unique} was changed by another writer; reload and retry",
                    ) from None
                continue
            self._apres_sauvegarde(demande)
            return self._resultat(demande, avant, recordings)
        raise VersionPerimee("conflit", f"dwelling kept changing while recording on {numero_unique}")

    def _apres_sauvegarde(self, demande: Demande) -> None:
        # Crypto-shredding happens once the erasure event is safely in the log.
        if demande.etat.effacee and self.coffre.cle(demande.id) is not None:
            self.coffre.effacer(demande.id)

    def _resultat(self, demande: Demande, avant: int, recordings: list[Any]) -> Resultat:
        return Resultat(
            numero_unique=demande.numero_unique,
            version=demande.version,
            evenements=tuple(range(avant + 1, demande.version + 1)),
            position=max((r.notification.id for r in recordings), default=None),
        )

    def _enregistrer(self, org: Organisation, acte: Acte, cmd: c.Enregistrer) -> Resultat:
        permissions.guichet(org, "a registration")
        if cmd.numero_unique is not None:
            numero = cmd.numero_unique
        else:
            if org.code_guichet is None:
                raise RegleEnfreinte(
                    "code_guichet_manquant",
                    f"{org.code} has no guichet code to mint a numéro unique with",
                )
            # Validate before taking a number, so a bad payload does not burn one.
            Demande.enregistrer(
                "validation", acte, membres=cmd.membres, logement_actuel=cmd.logement_actuel,
                souhaits=cmd.souhaits, motifs=cmd.motifs, situations=cmd.situations,
                personnel=cmd.personnel, filed_on=cmd.filed_on, anniversaire=cmd.anniversaire,
            )
            numero = composer(
                self.territoire.code, cmd.filed_on or acte.occurred_on, self._sequence(), org.code_guichet
            )
        demande = Demande.enregistrer(
            numero,
            acte,
            membres=cmd.membres,
            logement_actuel=cmd.logement_actuel,
            souhaits=cmd.souhaits,
            motifs=cmd.motifs,
            situations=cmd.situations,
            personnel=cmd.personnel,
            filed_on=cmd.filed_on,
            anniversaire=cmd.anniversaire,
        )
        demande.rattraper(acte.occurred_on, self.territoire.retention_donnees_mois)
        # The key exists before the first event is encoded: personal data never reach the
        # store in clear, not even once.
        self.coffre.creer(demande.id)
        try:
            recordings = self.save(demande)
        except RecordConflictError:
            raise RegleEnfreinte(
                "numero_unique_existant", f"numéro unique {numero} is already registered"
            ) from None
        return self._resultat(demande, 0, recordings)

    def _sequence(self) -> int:
        with self.engine.begin() as conn:
            if self.stockage.postgres:
                return int(conn.exec_driver_sql("SELECT nextval('ledger_numero_seq')").scalar_one())
            res = conn.execute(sa.insert(numerotation).values(territoire=self.territoire.code))
            return int(res.inserted_primary_key[0])

    def _logement_ou_ouvrir(self, spec: LogementSocial, acte: Acte) -> Logement:
        lgt = self.logement(spec.identifiant)
        if lgt is None:
            lgt = Logement.ouvrir(spec, acte)
        return lgt

    # -- handlers, one per command ---------------------------------------------------------

    def _modifier(self, org: Organisation, acte: Acte, d: Demande, cmd: c.Modifier) -> list[Logement]:
        permissions.guichet(org, "a modification")
        d.modifier(
            acte,
            membres=cmd.membres,
            logement_actuel=cmd.logement_actuel,
            souhaits=cmd.souhaits,
            motifs=cmd.motifs,
            situations=cmd.situations,
            personnel=cmd.personnel,
        )
        return []

    def _renouveler(self, org: Organisation, acte: Acte, d: Demande, cmd: c.Renouveler) -> list[Logement]:
        permissions.guichet(org, "a renewal")
        d.renouveler(acte)
        return []

    def _mettre_en_demeure(
        self, org: Organisation, acte: Acte, d: Demande, cmd: c.MettreEnDemeure
    ) -> list[Logement]:
        permissions.mise_en_demeure(org, cmd.motif)
        d.mettre_en_demeure(acte, cmd.motif)
        return []

    def _radier(self, org: Organisation, acte: Acte, d: Demande, cmd: c.Radier) -> list[Logement]:
        permissions.radiation(org, cmd.motif)
        d.radier(acte, cmd.motif)
        return []

    def _reactiver(self, org: Organisation, acte: Acte, d: Demande, cmd: c.Reactiver) -> list[Logement]:
        permissions.guichet(org, "a reactivation")
        d.reactiver(acte)
        return []

    def _dalo(self, org: Organisation, acte: Acte, d: Demande, cmd: c.ReconnaitreDalo) -> list[Logement]:
        permissions.dalo(org)
        d.reconnaitre_dalo(acte, cmd.statut)
        return []

    def _justifier(self, org: Organisation, acte: Acte, d: Demande, cmd: c.Justifier) -> list[Logement]:
        permissions.guichet(org, "a justification")
        d.justifier(acte, cmd.critere, cmd.justification)
        return []

    def _designer(self, org: Organisation, acte: Acte, d: Demande, cmd: c.Designer) -> list[Logement]:
        spec = self.spec_logement(cmd.logement)
        permissions.designation(org, spec)
        contingent = cmd.contingent or spec.contingent
        est_bailleur = spec.bailleur == org.code
        if contingent is not spec.contingent and not (est_bailleur and contingent is TypeReservataire.AUCUN):
            raise RegleEnfreinte(
                "contingent_invalide",
                f"dwelling {spec.identifiant} belongs to contingent {spec.contingent}, not {contingent}",
            )
        lgt = self._logement_ou_ouvrir(spec, acte)
        vacance = lgt.designer(acte, d.numero_unique)
        d.designer(acte, spec, vacance, contingent)
        return [lgt]

    def _decider(self, org: Organisation, acte: Acte, d: Demande, cmd: c.DeciderCAL) -> list[Logement]:
        spec = self.spec_logement(cmd.logement)
        permissions.bailleur_du_logement(org, spec, "a CAL decision")
        lgt = self._logement_ou_ouvrir(spec, acte)
        vacance = lgt.vacance_ouverte().numero
        candidature = d.etat.candidature(spec.identifiant, vacance)
        contingent = (candidature.contingent if candidature else None) or spec.contingent
        d.decider_cal(
            acte,
            spec,
            vacance,
            cmd.decision,
            rang=cmd.rang,
            motif=cmd.motif,
            sous_motif_irrecevabilite=cmd.sous_motif_irrecevabilite,
            piece_manquante=cmd.piece_manquante,
            delai_jours=cmd.delai_jours,
            moins_de_trois_candidats=cmd.moins_de_trois_candidats,
            situation=(
                self._situation(d, spec, contingent, acte.occurred_on)
                if cmd.decision in ATTRIBUTIONS
                else None
            ),
        )
        lgt.enregistrer_decision(acte, d.numero_unique, cmd.decision, cmd.rang, cmd.moins_de_trois_candidats)
        return [lgt]

    def _lever(self, org: Organisation, acte: Acte, d: Demande, cmd: c.LeverCondition) -> list[Logement]:
        spec = self.spec_logement(cmd.logement)
        permissions.bailleur_du_logement(org, spec, "meeting a suspensive condition")
        lgt = self._logement_ou_ouvrir(spec, acte)
        d.lever_condition(acte, spec, lgt.vacance_ouverte().numero)
        lgt.lever_condition(acte, d.numero_unique)
        return [lgt]

    def _refuser(self, org: Organisation, acte: Acte, d: Demande, cmd: c.Refuser) -> list[Logement]:
        spec = self.spec_logement(cmd.logement)
        permissions.bailleur_du_logement(org, spec, "a refusal")
        if cmd.appliquer_decote and cmd.qualification is not QualificationRefus.non_recevable:
            raise RegleEnfreinte(
                "refus_recevable", "only a non_recevable refusal may carry a décote"
            )
        lgt = self._logement_ou_ouvrir(spec, acte)
        v = lgt.vacance_ouverte().numero
        refus = d.refuser(acte, spec, v, cmd.stade, cmd.motif, cmd.qualification)
        lgt.enregistrer_refus(acte, d.numero_unique)
        if cmd.appliquer_decote:
            d.appliquer_decote(
                acte,
                CodeDecote.decote_refus,
                refus=refus,
                notifiee_le=cmd.decote_notifiee_le,
                bailleur_du_refus=spec.bailleur,
            )
        return [lgt]

    def _decote(self, org: Organisation, acte: Acte, d: Demande, cmd: c.AppliquerDecote) -> list[Logement]:
        spec: LogementSocial | None = None
        if cmd.code is CodeDecote.decote_refus and cmd.refus is not None:
            fait = d.fait(cmd.refus)
            if isinstance(fait, Demande.Refusee):
                spec = self.spec_logement(fait.logement)
        permissions.decote(org, cmd.code, spec)
        d.appliquer_decote(
            acte,
            cmd.code,
            refus=cmd.refus,
            notifiee_le=cmd.notifiee_le,
            bailleur_du_refus=spec.bailleur if spec else None,
        )
        return []

    def _recours(self, org: Organisation, acte: Acte, d: Demande, cmd: c.DeposerRecours) -> list[Logement]:
        permissions.guichet(org, "a recours")
        d.deposer_recours(acte, cmd.decote)
        return []

    def _decision_recours(
        self, org: Organisation, acte: Acte, d: Demande, cmd: c.DeciderRecours
    ) -> list[Logement]:
        decote = d.etat.decotes.get(cmd.decote)
        if decote is not None and decote.organisation != org.code:
            raise permissions.Interdit(
                "auteur_de_la_decote",
                f"only {decote.organisation}, which applied décote {cmd.decote}, decides on its recours",
            )
        d.decider_recours(acte, cmd.decote, cmd.decision, cmd.motivation)
        return []

    def _bail(self, org: Organisation, acte: Acte, d: Demande, cmd: c.SignerBail) -> list[Logement]:
        spec = self.spec_logement(cmd.logement)
        permissions.bailleur_du_logement(org, spec, "a bail")
        lgt = self._logement_ou_ouvrir(spec, acte)
        v = lgt.vacance_ouverte().numero
        candidature = d.etat.candidature(spec.identifiant, v)
        contingent = (candidature.contingent if candidature else None) or spec.contingent
        lgt.louer(acte, d.numero_unique)
        d.signer_bail(acte, spec, v, self._situation(d, spec, contingent, acte.occurred_on))
        return [lgt]

    def _retracter(self, org: Organisation, acte: Acte, d: Demande, cmd: c.Retracter) -> list[Logement]:
        fait = d.retracter(acte, cmd.evenement, cmd.motif)
        if not fait.concerne_logement:
            return []
        quoi = {
            Demande.Designee: "designation",
            Demande.DecisionCAL: "decision",
            Demande.Refusee: "refus",
            Demande.ConditionLevee: "condition",
        }[type(fait)]
        lgt = self.logement(fait.logement)  # type: ignore[attr-defined]
        assert lgt is not None
        lgt.retracter(acte, fait.vacance, d.numero_unique, quoi)  # type: ignore[attr-defined]
        return [lgt]

    def _situation(
        self, d: Demande, spec: LogementSocial, contingent: TypeReservataire, jour: date
    ) -> SituationAttribution:
        e = d.etat
        personnel = e.personnel if isinstance(e.personnel, DonneesPersonnelles) else None
        par_uc = menage.ressources_par_uc(e.membres, personnel, jour)
        rejetes = frozenset(k for k, v in e.justifications.items() if v is Justification.rejete)
        return SituationAttribution(
            ressources_par_uc=menage.arrondi(par_uc),
            premier_quartile=menage.premier_quartile(
                par_uc, self.territoire.seuil_premier_quartile(jour.year)
            ),
            prioritaire=menage.prioritaire(e.situations, e.logement_actuel, rejetes),
            dalo=menage.dalo(e.statut_dalo),
            contingent=contingent,
            commune=spec.commune,
            qpv=spec.qpv,
            typologie=spec.typologie,
            financement=spec.financement,
            bailleur=spec.bailleur,
            filed_on=e.filed_on,
            mutation=e.mutation,
        )

    _handlers: dict[type, Callable[..., list[Logement]]] = {
        c.Modifier: _modifier,
        c.Renouveler: _renouveler,
        c.MettreEnDemeure: _mettre_en_demeure,
        c.Radier: _radier,
        c.Reactiver: _reactiver,
        c.ReconnaitreDalo: _dalo,
        c.Justifier: _justifier,
        c.Designer: _designer,
        c.DeciderCAL: _decider,
        c.LeverCondition: _lever,
        c.Refuser: _refuser,
        c.AppliquerDecote: _decote,
        c.DeposerRecours: _recours,
        c.DeciderRecours: _decision_recours,
        c.SignerBail: _bail,
        c.Retracter: _retracter,
    }

    # -- iteration over the whole log --------------------------------------------------------

    def numeros(self) -> Iterator[str]:
        """Every registered demand, in log order (the schedule walks them)."""
        topic = "domain.demande:Demande.Enregistree"
        position = 0
        while True:
            lot = self.recorder.select_notifications(start=position + 1, limit=1000, topics=[topic])
            if not lot:
                return
            for n in lot:
                yield self.mapper.to_domain_event(n).numero_unique  # type: ignore[attr-defined]
            position = lot[-1].id

