"""The ledger application: the eventsourcing Application that executes commands.

A command loads the demand (and the dwelling it concerns), checks If-Match, catches the demand up
with its own schedule, hands everything to the domain's handler (`domain/traitements.py`:
permissions, preconditions, events), and saves every aggregate it returns in one transaction,
retrying when another writer touched a dwelling meanwhile. A refused command saves nothing, so
the log stays as it was. The Registre decides nothing itself: it loads, saves, mints numéros and
keeps the demands' keys. `Lot` and `executer_lot` do the same for many commands in one transaction.

It runs past 600 lines: loading, If-Match, the schedule's catch-up, saving with retries, the
batch path and the keys' life are the one Application's, and splitting them would only spread
its state across modules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any
from uuid import UUID

import msgspec
import sqlalchemy as sa
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Mapper, Notification, RecordConflictError

from adapters import ajout_massif, schema
from adapters.cles import Coffre, CoffreDeLot, coffre_depuis_env
from adapters.database import (
    APP_NAME,
    BaseInjoignable,
    Stockage,
    lecture_depuis_env,
    verifier_connexion,
)
from adapters.grid_file import load_grid
from adapters.idempotence import Idempotence
from adapters.mapper import LedgerMapper
from adapters.tables import numerotation
from domain import commandes as c
from domain import permissions, traitements
from domain.acte import Acte
from domain.cal import SessionCAL
from domain.codes import Canal
from domain.demande import Demande
from domain.depot import Depot
from domain.erreurs import Introuvable, RefusCommande, RegleEnfreinte, VersionPerimee
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
            verifier_connexion(self.engine)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as e:
            self.engine.dispose()
            raise BaseInjoignable(stockage, e) from None
        # The keys: in this database, or in the store LEDGER_KEYS_URL names (adapters/cles.py).
        self.coffre = coffre_depuis_env(self.engine)
        self.grille = load_grid(territoire.grille) if territoire.grille else None
        try:
            super().__init__(env=stockage.eventsourcing_env)
        except Exception as e:
            # The library reads the schema as it starts: a role that may not, on a store not
            # yet initialised, is told to run `ledger init` as the owner.
            self.engine.dispose()
            raise schema.incomplet(stockage, self.engine, e) from None
        try:
            # No DDL at all when the schema is complete: the app may run as a role that owns
            # nothing (adapters/schema.py).
            schema.preparer(self)
        except BaseException:
            self.close()
            raise
        # The role the read models are created and swapped as (PostgreSQL), when we may take it.
        self.role_modeles = schema.role_modeles(stockage, self.engine)

    def construct_mapper(self) -> Mapper[UUID]:
        return LedgerMapper(self.coffre)

    def close(self) -> None:
        super().close()
        self.coffre.close()
        self.engine.dispose()
        if self.lecture is not self.engine:
            self.lecture.dispose()

    # -- reading ---------------------------------------------------------------------------

    def demande(self, numero_unique: str) -> Demande:
        ident = Demande.id_pour(numero_unique)
        try:
            # The demand's key is read once for its events, and forgotten after (no cache).
            with self.coffre.lot([ident]):
                d = self.repository.get(ident)
                survivante = d.etat.effacee and self.coffre.cle(ident) is not None
        except AggregateNotFoundError:
            raise Introuvable(
                "demande_inconnue", f"no demand with numéro unique {numero_unique!r}"
            ) from None
        if survivante:
            # Erased in the log, but its key survived (the process stopped between the erasure
            # event and the key's destruction): destroy it now, and read the demand without it.
            self.coffre.effacer(ident)
            d = self.repository.get(ident)
        return d  # type: ignore[no-any-return]

    def logement(self, identifiant: str) -> Logement | None:
        try:
            return self.repository.get(Logement.id_pour(identifiant))
        except AggregateNotFoundError:
            return None

    def session(self, identifiant: str) -> SessionCAL | None:
        try:
            return self.repository.get(SessionCAL.id_pour(identifiant))
        except AggregateNotFoundError:
            return None

    def session_requise(self, identifiant: str) -> SessionCAL:
        s = self.session(identifiant)
        if s is None:
            raise Introuvable("session_inconnue", f"no CAL session {identifiant!r}")
        return s

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
        idempotence: Idempotence | None = None,
    ) -> Resultat:
        """One command in one transaction: the demand loaded (and the dwelling it concerns),
        If-Match checked, the demand caught up with its schedule, the domain's handler
        (`domain.traitements`) applied, everything it returns saved; retried when another
        writer touched the same dwelling meanwhile. With `idempotence`, the command's first
        answer is stored in that transaction (adapters/idempotence.py)."""
        permissions.ecriture(org)
        acte = Acte(commande.occurred_on, org.code, agent, canal)
        if isinstance(commande, c.Enregistrer):
            return self._enregistrer(org, acte, commande, idempotence)
        numero = _numero_requis(numero_unique)
        for _ in range(TENTATIVES):
            demande = self.demande(numero)
            avant = demande.version
            _verifier_version(demande, version_attendue)
            a_sauver = self._appliquer(org, acte, demande, commande, self.logement, self.session)
            try:
                resultat = self._sauver(a_sauver, idempotence, lambda p, d=demande, v=avant: self._resultat_a(d, v, p))
            except RecordConflictError:
                # Someone else wrote meanwhile. On this demand: the client decided on a state
                # that no longer is, so say so. On a dwelling only: decide again.
                if self.demande(numero).version != avant:
                    raise VersionPerimee(
                        "ecriture_concurrente",
                        f"demand {numero} was changed by another writer; reload and retry",
                    ) from None
                continue
            self._apres_sauvegarde(demande)
            return resultat
        raise VersionPerimee("conflit", f"dwelling kept changing while recording on {numero}")

    def _sauver(
        self, agregats: list[Any], idempotence: Idempotence | None, resultat: Callable[[int | None], Any]
    ) -> Any:
        """Saves the aggregates in one transaction and returns `resultat(position)`; with
        `idempotence`, through the bulk path, which stores the answer made of that result in
        the same transaction."""
        if idempotence is None:
            recordings = self.save(*agregats)
            return resultat(max((r.notification.id for r in recordings), default=None))
        fait: list[Any] = []

        def ligne(position: int | None) -> dict[str, Any]:
            fait.append(resultat(position))
            return idempotence.ligne(fait[-1])

        stockes = [self.mapper.to_stored_event(e) for a in agregats for e in a.pending_events]
        ajout_massif.ajouter(self, stockes, None, ligne)
        for a in agregats:
            a.collect_events()
        return fait[-1]

    def executer_lot(self, ordres: Iterable[Ordre]) -> list[Resultat]:
        """Many commands, on many demands, through the same handlers as `executer`, saved in one
        transaction: all of them or, if one is refused, none (its refusal is raised, with the
        order's index in `details["ordre"]`). Retried as a whole when another writer touched one
        of its dwellings meanwhile; refused as stale if it touched one of its demands."""
        liste = list(ordres)
        for _ in range(TENTATIVES):
            lot = Lot(self)
            resultats: list[Resultat] = []
            for i, o in enumerate(liste):
                try:
                    resultats.append(
                        lot.executer(
                            o.organisation, o.agent, o.commande, o.numero_unique, o.version_attendue, o.canal
                        )
                    )
                except RefusCommande as e:
                    lot.abandonner()
                    e.details.setdefault("ordre", i)
                    raise
            try:
                position = lot.sauver()
            except RecordConflictError:
                if lot.demandes_changees():
                    raise VersionPerimee(
                        "ecriture_concurrente",
                        "a demand of the batch was changed by another writer; reload and retry",
                    ) from None
                continue
            return [msgspec.structs.replace(r, position=position) for r in resultats]
        raise VersionPerimee("conflit", "dwellings kept changing while recording the batch")

    def declarer_vacance(
        self,
        org: Organisation,
        agent: str,
        identifiant: str,
        commande: c.DeclarerVacance,
        idempotence: Idempotence | None = None,
    ) -> int:
        permissions.ecriture(org)
        acte = Acte(commande.occurred_on, org.code, agent)
        spec = self._spec(identifiant)
        for _ in range(TENTATIVES):
            ctx = self._contexte(org, acte, spec, self.logement(identifiant))
            lgt = traitements.declarer_vacance(ctx, identifiant, commande)
            try:
                n = len(lgt.vacances)
                return int(self._sauver([lgt], idempotence, lambda _p, n=n: n))
            except RecordConflictError:
                continue
        raise VersionPerimee("conflit", f"dwelling {identifiant} kept changing; try again")

    def orienter_vacance(
        self, org: Organisation, agent: str, identifiant: str, commande: c.OrienterVacance
    ) -> int:
        """In flux: the bailleur orients its dwelling's current vacancy; returns its number."""
        permissions.ecriture(org)
        acte = Acte(commande.occurred_on, org.code, agent)
        spec = self._spec(identifiant)
        for _ in range(TENTATIVES):
            ctx = self._contexte(org, acte, spec, self.logement(identifiant))
            lgt = traitements.orienter_vacance(ctx, identifiant, commande)
            try:
                self.save(lgt)
                return len(lgt.vacances)
            except RecordConflictError:
                continue
        raise VersionPerimee("conflit", f"dwelling {identifiant} kept changing; try again")

    def ouvrir_session(self, org: Organisation, agent: str, commande: c.OuvrirSession) -> SessionCAL:
        """A session of the organisation's CAL; its identifier is minted unless given."""
        permissions.ecriture(org)
        acte = Acte(commande.occurred_on, org.code, agent)
        for _ in range(TENTATIVES):
            identifiant = commande.identifiant or self._identifiant_session(org.code, acte.occurred_on)
            session = traitements.ouvrir_session(self._contexte(org, acte), commande, identifiant)
            # The session's own key, for its members' names (an existing one is never replaced).
            self.coffre.creer(session.id)
            try:
                self.save(session)
                return session
            except RecordConflictError:
                if commande.identifiant is not None:
                    raise RegleEnfreinte(
                        "session_existante", f"a CAL session {identifiant!r} already exists"
                    ) from None
        raise VersionPerimee("conflit", "sessions kept being opened meanwhile; try again")

    def clore_session(self, org: Organisation, agent: str, identifiant: str, commande: c.CloreSession) -> SessionCAL:
        permissions.ecriture(org)
        acte = Acte(commande.occurred_on, org.code, agent)
        for _ in range(TENTATIVES):
            session = traitements.clore_session(
                self._contexte(org, acte), self.session_requise(identifiant), commande
            )
            try:
                self.save(session)
                return session
            except RecordConflictError:
                continue
        raise VersionPerimee("conflit", f"session {identifiant} kept changing; try again")

    def _identifiant_session(self, bailleur: str, jour: date) -> str:
        n = 1
        while self.session(f"CAL-{bailleur}-{jour:%Y%m%d}-{n}") is not None:
            n += 1
        return f"CAL-{bailleur}-{jour:%Y%m%d}-{n}"

    def _contexte(
        self,
        org: Organisation,
        acte: Acte,
        spec: LogementSocial | None = None,
        agregat: Logement | None = None,
        session: SessionCAL | None = None,
    ) -> traitements.Contexte:
        return traitements.Contexte(org, acte, self.territoire, spec, agregat, session, self.grille)

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

    def _appliquer(
        self,
        org: Organisation,
        acte: Acte,
        demande: Demande,
        commande: c.Commande,
        logement: Callable[[str], Logement | None],
        session: Callable[[str], SessionCAL | None],
    ) -> list[traitements.Agregat]:
        """The demand caught up with its schedule, the dwelling and the CAL session the command
        concerns loaded (through `logement` and `session`: the store, or a batch's own copy
        first), the handler applied."""
        # A demand is never behind its own schedule (docs/rules.md "Deadlines").
        demande.rattraper(acte.occurred_on, self.territoire.retention_donnees_mois)
        identifiant = traitements.logement_concerne(demande, commande)
        spec = agregat = None
        if identifiant is not None:
            spec = self._spec_ou_rien(identifiant)
            agregat = logement(identifiant)
        nom_session = traitements.session_concernee(demande, commande)
        sess = session(nom_session) if nom_session is not None else None
        ctx = self._contexte(org, acte, spec, agregat, sess)
        return traitements.traiter(ctx, demande, commande)

    def _nouvelle_demande(
        self, org: Organisation, acte: Acte, cmd: c.Enregistrer, cles: dict[UUID, bytes] | None = None
    ) -> Demande:
        """Registration up to the key: the numéro (given, or minted once the payload holds),
        the demand, its catch-up, and its key, which exists before the first event is encoded:
        personal data never reach the store in clear, not even once. With `cles`, the key is
        made there instead, for a bulk append that writes it in the events' transaction."""
        ctx = self._contexte(org, acte)
        code_guichet = traitements.preparer_enregistrement(ctx, cmd)
        if code_guichet is None:
            assert cmd.numero_unique is not None
            numero = cmd.numero_unique
        else:
            numero = composer(
                self.territoire.code, cmd.filed_on or acte.occurred_on, self._sequence(), code_guichet
            )
        demande = traitements.enregistrer(ctx, cmd, numero, preparee=True)
        demande.rattraper(acte.occurred_on, self.territoire.retention_donnees_mois)
        if cles is None:
            self.coffre.creer(demande.id)
        else:
            cles.setdefault(demande.id, Coffre.nouvelle_cle())
        return demande

    def _enregistrer(
        self, org: Organisation, acte: Acte, cmd: c.Enregistrer, idempotence: Idempotence | None = None
    ) -> Resultat:
        depot = None
        if cmd.depot is not None:
            # The dépôt this guichet recorded: its date is the demand's filed_on, and the
            # registration closes it in the same transaction (R.441-2-4).
            permissions.exiger(org, cmd)
            depot = self.depot(org.code, cmd.depot)
            if cmd.filed_on is not None and cmd.filed_on != depot.depose_le:
                raise RegleEnfreinte(
                    "filed_on_du_depot",
                    f"filed_on {cmd.filed_on} differs from the dépôt's date {depot.depose_le}: leave it out",
                )
            cmd = msgspec.structs.replace(cmd, filed_on=depot.depose_le)
        demande = self._nouvelle_demande(org, acte, cmd)
        agregats: list[Any] = [demande]
        if depot is not None:
            depot.enregistrer(acte, demande.numero_unique)
            agregats.append(depot)
        try:
            return self._sauver(agregats, idempotence, lambda p: self._resultat_a(demande, 0, p))  # type: ignore[no-any-return]
        except RecordConflictError:
            if depot is not None and self.depot(org.code, depot.reference).numero_unique is not None:
                raise RegleEnfreinte("depot_deja_enregistre", f"dépôt {depot.reference} was registered meanwhile") from None
            raise _deja_enregistree(demande.numero_unique) from None

    # -- dépôts (R.441-2-4) ------------------------------------------------------------------

    def depot(self, guichet: str, reference: str) -> Depot:
        try:
            return self.repository.get(Depot.id_pour(guichet, reference.strip()))
        except AggregateNotFoundError:
            raise Introuvable("depot_inconnu", f"{guichet} recorded no dépôt {reference!r}") from None

    def _apres_sauvegarde(self, demande: Demande) -> None:
        # Crypto-shredding happens once the erasure event is safely in the log.
        if demande.etat.effacee and self.coffre.cle(demande.id) is not None:
            self.coffre.effacer(demande.id)

    def _resultat_a(self, demande: Demande, avant: int, position: int | None) -> Resultat:
        return Resultat(
            numero_unique=demande.numero_unique,
            version=demande.version,
            evenements=tuple(range(avant + 1, demande.version + 1)),
            position=position,
        )

    def _resultat(self, demande: Demande, avant: int, recordings: list[Any]) -> Resultat:
        return Resultat(
            numero_unique=demande.numero_unique,
            version=demande.version,
            evenements=tuple(range(avant + 1, demande.version + 1)),
            position=max((r.notification.id for r in recordings), default=None),
        )

    def _sequence(self) -> int:
        with self.engine.begin() as conn:
            if self.stockage.postgres:
                return int(conn.exec_driver_sql("SELECT nextval('ledger_numero_seq')").scalar_one())
            res = conn.execute(sa.insert(numerotation).values(territoire=self.territoire.code))
            return int(res.inserted_primary_key[0])

    def _spec(self, identifiant: str) -> LogementSocial:
        spec = self._spec_ou_rien(identifiant)
        if spec is None:
            raise Introuvable("logement_inconnu", f"dwelling {identifiant!r} is not in the territory")
        return spec

    def _spec_ou_rien(self, identifiant: str) -> LogementSocial | None:
        try:
            return self.territoire.logement(identifiant)
        except KeyError:
            return None

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



class Ordre(msgspec.Struct, frozen=True):
    """One command of a batch (`Registre.executer_lot`), with what `Registre.executer` takes."""

    organisation: Organisation
    agent: str
    commande: c.Commande
    numero_unique: str | None = None
    version_attendue: int | None = None
    canal: Canal = Canal.api


class Lot:
    """Commands applied one by one as `Registre.executer` applies them (the same handlers, the
    same catch-up), kept in memory and saved together by `sauver`: the generator's day of back
    office, the schedule's night, a bulk import. A refused command leaves the lot as it was
    before it, so the caller may go on with the next one. Each aggregate's events keep the order
    of the commands; in the log they come aggregate after aggregate, in the order first touched.

    Until `sauver`, what the lot did is nowhere but here: a reader (or `Registre.executer`) sees
    the store without it, so a caller that mixes both saves the lot first (`in` tells whether a
    demand is in it).

    On PostgreSQL a lot of `COPIE_DES` events or more is appended with COPY under the log's lock
    (`adapters/ajout_massif.py`), the way the library's save appends, at the database's speed.
    With `cles`, new demands' keys are made in that dict rather than in the store, for a caller
    that writes them with the events (`sauver` does; so does an import's `Depot`)."""

    COPIE_DES = 200

    def __init__(self, registre: Registre, cles: dict[UUID, bytes] | None = None) -> None:
        self.registre = registre
        self._agregats: dict[UUID, traitements.Agregat] = {}  # in the order first touched
        self._versions_lues: dict[UUID, int] = {}  # each demand's stored version when loaded
        self._journal: list[tuple[UUID, Any]] = []  # what each `_garder` replaced (None: nothing), for `revenir`
        self.cles = cles
        self._absentes: set[UUID] = set()

    def __contains__(self, numero_unique: str) -> bool:
        return Demande.id_pour(numero_unique) in self._agregats

    def __len__(self) -> int:
        return len(self._agregats)

    def executer(
        self,
        org: Organisation,
        agent: str,
        commande: c.Commande,
        numero_unique: str | None = None,
        version_attendue: int | None = None,
        canal: Canal = Canal.api,
    ) -> Resultat:
        """`Registre.executer` without the save: raises its refusals; the Resultat's position
        is None until `sauver`."""
        r = self.registre
        permissions.ecriture(org)
        acte = Acte(commande.occurred_on, org.code, agent, canal)
        if isinstance(commande, c.Enregistrer):
            if commande.depot is not None:
                # A batch keeps demands only; the registration of a dépôt goes alone.
                raise RegleEnfreinte("depot_hors_lot", "a registration that closes a dépôt is not batched")
            demande = r._nouvelle_demande(org, acte, commande, self.cles)
            # What the store's unique version says at the save of a single registration.
            self._verifier_nouveau(demande.numero_unique)
            self._garder([demande])
            return r._resultat(demande, 0, [])
        numero = _numero_requis(numero_unique)
        demande = self._copie(Demande.id_pour(numero)) or r.demande(numero)
        avant = demande.version
        self._versions_lues.setdefault(demande.id, avant - len(demande.pending_events))
        _verifier_version(demande, version_attendue)
        a_sauver = r._appliquer(org, acte, demande, commande, self._logement, self._session)
        self._garder(a_sauver)
        return r._resultat(demande, avant, [])

    def rattraper(self, numero_unique: str, jusquau: date) -> Resultat | None:
        """`Registre.rattraper` without the save."""
        demande = self._copie(Demande.id_pour(numero_unique)) or self.registre.demande(numero_unique)
        avant = demande.version
        self._versions_lues.setdefault(demande.id, avant - len(demande.pending_events))
        if not demande.rattraper(jusquau, self.registre.territoire.retention_donnees_mois):
            return None
        self._garder([demande])
        return self.registre._resultat(demande, avant, [])

    def sauver(self) -> int | None:
        """Saves everything in one transaction and empties the lot; returns the highest
        notification id written (None if there was nothing to save). Lets the store's
        RecordConflictError through, the lot emptied and nothing saved."""
        if not self._agregats:
            return None
        agregats = list(self._agregats.values())
        cles = self.cles
        self.abandonner()
        r = self.registre
        evenements = [e for a in agregats for e in a.pending_events]
        if cles or (r.stockage.postgres and len(evenements) >= self.COPIE_DES):
            mapper = LedgerMapper(CoffreDeLot(r.coffre, cles)) if cles else r.mapper
            position = ajout_massif.ajouter(r, [mapper.to_stored_event(e) for e in evenements], cles)
            cache = r.repository.cache if not r.repository.fastforward else None
            for a in agregats:
                a.collect_events()  # saved: as the library's save leaves an aggregate
                if cache is not None:
                    # As the library's save does: the lot worked on copies, so without this a
                    # Registre with an aggregate cache (the generator's) would read the version
                    # before the lot next time, and append on top of it a version that exists.
                    cache.put(a.id, a)
        else:
            recordings = r.save(*agregats)
            position = max((x.notification.id for x in recordings), default=None)
        for a in agregats:
            if isinstance(a, Demande):
                r._apres_sauvegarde(a)
        return position

    def abandonner(self) -> None:
        """Forgets everything not saved yet."""
        self._agregats = {}
        self._journal = []
        if self.cles is not None:
            self.cles = {}

    def absentes(self, numeros: Iterable[str]) -> None:
        """Demands the caller found absent from the store (in one query for a whole batch):
        registering them needs no look-up of its own."""
        self._absentes.update(Demande.id_pour(n) for n in numeros)

    def marque(self) -> tuple[int, int, int]:
        """Where the lot stands, to come back to with `revenir`: the commands of one demand of
        an import are all kept or none. The lot never changes an aggregate it holds in place
        (each command works on a copy), so what it holds is undone from a journal of what each
        `_garder` replaced; the versions read and the new keys are only ever added, so their
        count is enough (a mark costs nothing however large the lot: an import marks every
        demand of a thousand-demand batch)."""
        return len(self._journal), len(self._versions_lues), len(self.cles or ())

    def revenir(self, marque: tuple[int, int, int]) -> None:
        journal, versions, cles = marque
        while len(self._journal) > journal:
            ident, avant = self._journal.pop()
            if avant is None:
                del self._agregats[ident]
            else:
                self._agregats[ident] = avant
        for i in list(self._versions_lues)[versions:]:
            del self._versions_lues[i]
        if self.cles is not None:
            for i in list(self.cles)[cles:]:
                del self.cles[i]

    def agregats(self) -> list[traitements.Agregat]:
        """What the lot would save, in the order it would save it."""
        return list(self._agregats.values())

    def demandes_changees(self) -> bool:
        """Whether a demand this lot loaded was changed in the store since."""
        recorder = self.registre.recorder
        return any(
            recorder.select_events(i, desc=True, limit=1)[0].originator_version != v
            for i, v in self._versions_lues.items()
        )

    def _copie(self, ident: UUID) -> Any:
        # A command works on a copy of what the lot holds, so that a refusal halfway (after the
        # catch-up, or between two events of one command) leaves the lot's state untouched.
        agregat = self._agregats.get(ident)
        return copy.deepcopy(agregat) if agregat is not None else None

    def _logement(self, identifiant: str) -> Logement | None:
        return self._copie(Logement.id_pour(identifiant)) or self.registre.logement(identifiant)

    def _session(self, identifiant: str) -> SessionCAL | None:
        return self._copie(SessionCAL.id_pour(identifiant)) or self.registre.session(identifiant)

    def _garder(self, agregats: list[traitements.Agregat]) -> None:
        for a in agregats:
            self._journal.append((a.id, self._agregats.get(a.id)))
            self._agregats[a.id] = a  # an aggregate already held keeps its place in the order

    def _verifier_nouveau(self, numero: str) -> None:
        ident = Demande.id_pour(numero)
        if ident in self._agregats:
            raise _deja_enregistree(numero)
        if ident in self._absentes:
            return
        try:
            self.registre.repository.get(ident)
        except AggregateNotFoundError:
            return
        raise _deja_enregistree(numero)


def _numero_requis(numero_unique: str | None) -> str:
    if numero_unique is None:
        raise RegleEnfreinte("numero_requis", "this command concerns an existing demand")
    return numero_unique


def _verifier_version(demande: Demande, version_attendue: int | None) -> None:
    if version_attendue is not None and demande.version != version_attendue:
        raise VersionPerimee(
            "version_perimee",
            f"demand {demande.numero_unique} is at version {demande.version}, not {version_attendue}",
            version=demande.version,
        )


def _deja_enregistree(numero: str) -> RegleEnfreinte:
    return RegleEnfreinte("numero_unique_existant", f"numéro unique {numero} is already registered")
