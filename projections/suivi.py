"""Running read models off the log, exactly once.

Each read model records the log position it has applied in the same transaction as its changes
(table `ledger_suivi`), so a crash or restart never applies an event twice or skips one. A
rebuild fills fresh tables from position zero beside the live ones, which keep serving, and swaps
them in one transaction once caught up (SQLite and PostgreSQL both have transactional DDL).

The log is read in pages of `LOT` events (`LOT_RECONSTRUCTION` when rebuilding), one transaction
per page. A rebuild spends its time decoding and folding, so: a page's personal-data keys are
loaded in one query (not one per demand); the next page is read and decoded in a second thread
while this one is applied (it decodes while the applying thread waits on the database); events
of topics no read model wants are not even read (`Projection.topics`, filtered in SQL); and
`reconstruire_ensemble` / `suivre_ensemble` feed several read models from one read and one
decoding of the log.

A read model that meets an event it cannot apply (or decode) stops there, alone: its page is
rolled back to a savepoint, the event and the reason are kept (`Suiveur.panne`, logged, shown
by `/sante`), and its reads answer 503 `modele_en_panne` (`ModeleEnPanne`) until it is fixed and
rebuilt (`ledger rebuild`); the other read models, fed by the same page, go on, and so do
commands. A rebuild that meets such an event fails, naming it.

A follower *follows* the log (`Suiveur.suivre`): the word `rattraper` is kept for the schedule's
catch-up of a demand (`Demande.rattraper`, `Registre.rattraper`), a different thing.

It runs past 600 lines because the follower's page loop, the rebuild beside the live tables and
the rebuild's tenure (its locks, the cleaning of a killed rebuild's tables) all move the same
position rows under the same locks; they are kept together so that one reading shows the
exactly-once argument whole.
"""

from __future__ import annotations

import fcntl
import logging
import re
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tqdm import tqdm

from adapters.mapper import CHIFFRE, LedgerMapper
from adapters.registre import Registre
from adapters.schema import cle_verrou, en_role_modeles, verrou_modele

log = logging.getLogger("ledger.suivi")

metadata_suivi = sa.MetaData()
suivi = sa.Table(
    "ledger_suivi",
    metadata_suivi,
    sa.Column("projection", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)
# The version of each read model's tables and rules: a read model stored by an older version is
# rebuilt (beside the live one, then swapped) before it is followed again.
versions = sa.Table(
    "ledger_suivi_version",
    metadata_suivi,
    sa.Column("projection", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

LOT = 2000  # events per read and per transaction when following
# A rebuild reads bigger pages: a demand's events are spread over years of log, and each page
# rewrites the rows of every demand it touches, so fewer pages mean fewer rewrites (on a
# generated history, pages of 50,000 rebuild about twice as fast as pages of 2,000).
LOT_RECONSTRUCTION = 50_000
ANALYSER_APRES = 10_000  # events applied in one run after which PostgreSQL vacuums and analyses


@dataclass(frozen=True)
class Panne:
    """Why a read model stopped: the first event it could not apply, and the error."""

    position: int  # the event's position in the log (notification id)
    topic: str
    demande: str  # the aggregate's id
    version: int  # the event's version in its aggregate
    raison: str

    def decrire(self, nom: str) -> str:
        return (
            f"read model {nom} stopped at event {self.position} ({self.topic.rsplit(':', 1)[-1]}, "
            f"version {self.version} of {self.demande}): {self.raison}"
        )


class ModeleEnPanne(Exception):
    """A read of a stopped read model (the API answers 503 `modele_en_panne`)."""

    def __init__(self, nom: str, panne: Panne) -> None:
        super().__init__(panne.decrire(nom))
        self.nom, self.panne = nom, panne


@dataclass(frozen=True)
class Indechiffrable:
    """In a decoded page, in place of an event the mapper could not decode."""

    notification: Any
    erreur: Exception


class Projection(ABC):
    nom: str
    topics: tuple[str, ...] = ()  # empty: every event
    # Raised whenever what the read model stores changes meaning or shape: a stored read model
    # of another version is rebuilt from the log before it serves again.
    version: int = 1

    @abstractmethod
    def tables(self, suffixe: str) -> list[sa.Table]:
        """The read model's tables, named with `suffixe` (empty for the live ones)."""

    @abstractmethod
    def appliquer_lot(self, conn: sa.Connection, tables: list[sa.Table], evenements: list[Any]) -> None:
        """Apply decoded events, in log order, inside the caller's transaction."""

    @abstractmethod
    def oublier(self) -> None:
        """Drop in-memory caches (before a rebuild)."""

    def annexes(self, suffixe: str) -> list[sa.Table]:
        """Tables the read model keeps beside `tables` (created, rebuilt and swapped with them)
        that `appliquer_lot` finds on its own, from the tables it is given."""
        return []

    def preparer(self, conn: sa.Connection, tables: list[sa.Table]) -> None:
        """Once the live tables exist (at start): bring tables that predate a change up to date."""
        return None

    def changer_de_jour(self, conn: sa.Connection, tables: list[sa.Table], jour: date) -> int:
        """Bring the rows that depend on the day (not only on events) to `jour`; returns how many
        demands were recomputed. Cheap when there is nothing to do: it is asked on reads."""
        return 0


class Suiveur:
    def __init__(self, registre: Registre, projection: Projection) -> None:
        self.registre = registre
        self.projection = projection
        self.engine = registre.engine
        # Where reads of this read model go: a streaming replica when one is configured.
        self.lecture = registre.lecture
        self.tables = projection.tables("")
        # One runner per process; across processes, each transaction that writes a read model
        # takes its lock (`schema.verrou_modele`) and re-reads its position. The functions that
        # feed several read models at once take their locks in name order.
        self.verrou = threading.Lock()
        self.panne: Panne | None = None  # set when it met an event it cannot apply
        nettoyer_reconstructions(registre)
        stockage = registre.stockage
        with self.engine.begin() as conn:
            # Several processes starting at once on a new store: one creates, the others find.
            verrou_modele(conn, stockage, "*creation")
            en_role_modeles(conn, registre.role_modeles)
            metadata_suivi.create_all(conn)
            creees = [_creer(conn, t) for t in self.tables + projection.annexes("")]
            verrou_modele(conn, stockage, projection.nom)
            projection.preparer(conn, self.tables)
            stockee = conn.execute(
                sa.select(versions.c.version).where(versions.c.projection == projection.nom)
            ).scalar_one_or_none()
            position = _position(conn, projection.nom)
            # A table created now beside a read model that already applied events is empty
            # where it should not be; a stored read model without a version predates versions.
            self.reconstruction_requise = position > 0 and (
                any(creees) or (stockee or 1) != projection.version
            )
            if position == 0 and stockee != projection.version:
                _ecrire_version(conn, projection)

    def position(self, nom: str | None = None) -> int:
        with self.engine.connect() as conn:
            return _position(conn, nom or self.projection.nom)

    def suivre(self, barre: bool = False, arret: Callable[[int], bool] | None = None) -> int:
        """Apply every event past the recorded position; returns how many were applied. A read
        model stored by an older version is rebuilt instead."""
        with self.verrou:
            if self.panne is not None:
                return 0  # stopped: only a rebuild (once the cause is fixed) starts it again
            if self.reconstruction_requise:
                return self._reconstruire(barre)
            return self._appliquer_dans(self.projection.nom, self.tables, barre, arret)

    def exiger_en_service(self) -> None:
        """`ModeleEnPanne` if this read model stopped on an event it cannot apply."""
        if self.panne is not None:
            raise ModeleEnPanne(self.projection.nom, self.panne)

    def _appliquer_dans(
        self,
        nom: str,
        tables: list[sa.Table],
        barre: bool,
        arret: Callable[[int], bool] | None = None,
    ) -> int:
        cible = Cible(self, nom, tables, self.position(nom), reconstruction=nom != self.projection.nom)
        return suivre_cibles(self.registre, [cible], barre, arret)

    def reconstruire(self, barre: bool = True) -> int:
        """Rebuild from position zero into new tables, then swap them in atomically."""
        with self.verrou:
            return self._reconstruire(barre)

    def _reconstruire(self, barre: bool) -> int:
        r = self.neuve()
        try:
            total = self._appliquer_dans(r.nom, r.tables, barre)
            # Events that arrived during the rebuild; what arrives after is the live runner's,
            # since the swapped-in tables carry their own position.
            total += self._appliquer_dans(r.nom, r.tables, False)
            with self.engine.begin() as conn:
                self.echanger(conn, r)
            r.lacher()
            self.reconstruction_requise = False
            self.panne = None
            return total
        except BaseException:
            self.abandonner(r)
            raise

    def neuve(self) -> Reconstruction:
        """Empty tables beside the live ones, under a name of their own, held as this process's
        (`nettoyer_reconstructions` drops those of a rebuild that died)."""
        self.projection.oublier()
        nettoyer_reconstructions(self.registre)
        suffixe = "__r" + uuid.uuid4().hex[:8]
        tables = self.projection.tables(suffixe)
        r = Reconstruction(self.projection.nom + suffixe, tables, tables + self.projection.annexes(suffixe))
        r.tenue = _tenir(self.registre, suffixe)
        try:
            with self.engine.begin() as conn:
                en_role_modeles(conn, self.registre.role_modeles)
                for t in r.toutes:
                    t.create(conn)
        except BaseException:
            r.lacher()
            raise
        return r

    def echanger(self, conn: sa.Connection, r: Reconstruction) -> None:
        """Swap the rebuilt tables in, inside the caller's transaction (which then commits; the
        caller releases the rebuild with `r.lacher()`)."""
        verrou_modele(conn, self.registre.stockage, self.projection.nom)
        en_role_modeles(conn, self.registre.role_modeles)
        position = conn.execute(
            sa.select(suivi.c.position).where(suivi.c.projection == r.nom)
        ).scalar_one_or_none() or 0  # an empty log leaves no position row
        vieilles = self.tables + self.projection.annexes("")
        for vieille, neuve in zip(vieilles, r.toutes, strict=True):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {vieille.name}")
            conn.exec_driver_sql(f"ALTER TABLE {neuve.name} RENAME TO {vieille.name}")
        conn.execute(sa.delete(suivi).where(suivi.c.projection.in_([r.nom, self.projection.nom])))
        conn.execute(sa.insert(suivi).values(projection=self.projection.nom, position=position))
        _ecrire_version(conn, self.projection)

    def abandonner(self, r: Reconstruction) -> None:
        try:
            with self.engine.begin() as conn:
                en_role_modeles(conn, self.registre.role_modeles)
                for t in r.toutes:
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t.name}")
                conn.execute(sa.delete(suivi).where(suivi.c.projection == r.nom))
        finally:
            r.lacher()

    def changer_de_jour(self, jour: date) -> int:
        """`Projection.changer_de_jour` on the live tables, in a transaction of its own."""
        if self.panne is not None:
            return 0
        with self.verrou, self.engine.begin() as conn:
            verrou_modele(conn, self.registre.stockage, self.projection.nom)
            return self.projection.changer_de_jour(conn, self.tables, jour)

    def attendre(self, position: int, delai: float = 10.0) -> bool:
        """Read-your-writes: wait until this read model has applied `position`."""
        limite = time.monotonic() + delai
        while self.position() < position:
            self.suivre()
            if self.panne is not None:
                return False
            if self.position() >= position:
                return True
            if time.monotonic() > limite:
                return False
            time.sleep(0.05)
        return True


@dataclass
class Reconstruction:
    nom: str  # its position row in ledger_suivi until the swap
    tables: list[sa.Table]  # what appliquer_lot is given
    toutes: list[sa.Table]  # with the annexes: what is swapped in
    tenue: _Tenue | None = None  # the sign that a live process is building them

    def lacher(self) -> None:
        if self.tenue is not None:
            self.tenue.lacher()


# -- rebuilds that died ----------------------------------------------------------------------------

# A rebuild's tables carry its suffix, "__r" and 8 hex digits.
_SUFFIXE = re.compile(r"(__r[0-9a-f]{8})(?:_[a-z_]+)?$")  # annexes: `…__rXXXXXXXX_effectifs_mois`
_EN_COURS: set[str] = set()  # the suffixes this process is building
_EN_COURS_VERROU = threading.Lock()


class _Tenue:
    """A rebuild in progress, known as such to this process (a set) and to the others: on
    PostgreSQL a session advisory lock keyed by its suffix, held on a connection of its own; on
    SQLite an `flock` on a file named after it beside the store. Both are held until the swap or
    the abandon, and a process killed with -9 loses them with its connection or its files."""

    def __init__(self, registre: Registre, suffixe: str) -> None:
        self.suffixe = suffixe
        self._conn: sa.Connection | None = None
        self._fichier: Any = None
        with _EN_COURS_VERROU:
            _EN_COURS.add(suffixe)
        if registre.stockage.postgres:
            conn = registre.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": cle_verrou(registre.stockage, "reconstruction" + suffixe)})
            self._conn = conn
        else:
            self._chemin = _fichier_tenue(registre, suffixe)
            self._fichier = open(self._chemin, "a")  # noqa: SIM115 - held until lacher()
            fcntl.flock(self._fichier, fcntl.LOCK_EX)

    def lacher(self) -> None:
        with _EN_COURS_VERROU:
            _EN_COURS.discard(self.suffixe)
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))
            finally:
                conn.close()
        if self._fichier is not None:
            f, self._fichier = self._fichier, None
            self._chemin.unlink(missing_ok=True)
            f.close()


def _fichier_tenue(registre: Registre, suffixe: str) -> Path:
    chemin = registre.stockage.sqlite_path
    assert chemin is not None
    return chemin.with_name(f"{chemin.name}.reconstruction{suffixe}.lock")


def _libre_sqlite(registre: Registre, suffixe: str) -> bool:
    """No live process holds this SQLite rebuild's file (then it is removed)."""
    chemin = _fichier_tenue(registre, suffixe)
    if not chemin.exists():
        return True
    with open(chemin, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        chemin.unlink(missing_ok=True)
        return True


def _tenir(registre: Registre, suffixe: str) -> _Tenue:
    return _Tenue(registre, suffixe)


def nettoyer_reconstructions(registre: Registre) -> list[str]:
    """Drop the tables (and position rows) of rebuilds no live process is building: those of a
    rebuild killed before its swap or abandon. Returns the tables dropped."""
    with registre.engine.connect() as conn:
        noms = sa.inspect(conn).get_table_names()
    par_suffixe: dict[str, list[str]] = {}
    for nom in noms:
        m = _SUFFIXE.search(nom)
        if m:
            par_suffixe.setdefault(m.group(1), []).append(nom)
    enleves: list[str] = []
    stockage = registre.stockage
    for suffixe, tables in sorted(par_suffixe.items()):
        with _EN_COURS_VERROU:
            if suffixe in _EN_COURS:
                continue
        with registre.engine.begin() as conn:
            if stockage.postgres:
                libre = conn.execute(
                    sa.text("SELECT pg_try_advisory_xact_lock(:k)"),
                    {"k": cle_verrou(stockage, "reconstruction" + suffixe)},
                ).scalar_one()
            else:
                libre = _libre_sqlite(registre, suffixe)
            if not libre:
                continue  # a live rebuild, in another process
            en_role_modeles(conn, registre.role_modeles)
            for t in tables:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t}")
            conn.execute(sa.delete(suivi).where(suivi.c.projection.like(f"%{suffixe}")))
        enleves += tables
    return enleves


@dataclass
class Cible:
    """One read model fed by `suivre_cibles`: its tables and the position they have applied."""

    suiveur: Suiveur
    nom: str
    tables: list[sa.Table]
    position: int
    reconstruction: bool = False  # into tables not yet live: pages of LOT_RECONSTRUCTION
    deplacee: bool = False  # another process moved its position: read again from there

    @property
    def toutes(self) -> list[sa.Table]:
        """Its tables and their annexes (named with the same suffix)."""
        projection = self.suiveur.projection
        return self.tables + projection.annexes(self.nom[len(projection.nom) :])

    @property
    def topics(self) -> frozenset[str] | None:
        t = self.suiveur.projection.topics
        return frozenset(t) if t else None


def suivre_cibles(
    registre: Registre,
    cibles: list[Cible],
    barre: bool,
    arret: Callable[[int], bool] | None = None,
) -> int:
    total = _suivre_pages(registre, cibles, barre, arret)
    for _ in range(100):
        # A read model another process followed meanwhile: on from where that one stopped.
        deplacees = [c for c in cibles if c.deplacee]
        if not deplacees:
            break
        for c in deplacees:
            c.deplacee = False
        total += _suivre_pages(registre, deplacees, False, arret)
    if total >= ANALYSER_APRES and registre.stockage.postgres:
        # After a big run (a rebuild, a long catch-up): dead row versions cleared and fresh
        # statistics for the planner, so that the read models' queries use their indexes even
        # where autovacuum is off or late. VACUUM runs outside any transaction.
        with registre.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for c in cibles:
                for t in c.toutes:
                    conn.exec_driver_sql(f"VACUUM (ANALYZE) {t.name}")
    return total


def _suivre_pages(
    registre: Registre,
    cibles: list[Cible],
    barre: bool,
    arret: Callable[[int], bool] | None = None,
) -> int:
    """Apply pages of the log to every target past its own position, one transaction per page
    (each target's rows and position together); returns how many events were read and applied.
    While a full page is applied, the next is read and decoded in a second thread; a page that
    is not full was the end of the log, and the follower stops there (no thread, no extra read
    when a live follower finds a few events). Nothing of a page is written before the page
    before it is committed, so a crash or a stop (`arret`, asked after each page) leaves every
    position exact."""
    cibles = [c for c in cibles if c.suiveur.panne is None]  # a copy: stopped ones leave it
    if not cibles:
        return 0  # every one of them stopped on an event it cannot apply
    nom = "+".join(c.nom for c in cibles)
    voulus = [c.topics for c in cibles]
    topics = [] if None in voulus else sorted(set().union(*voulus))  # type: ignore[arg-type]
    total = 0
    position = min(c.position for c in cibles)
    fin = registre.position()
    if fin <= position:
        return 0  # nothing new: a live follower asked on every read costs two queries
    taille = LOT_RECONSTRUCTION if all(c.reconstruction for c in cibles) else LOT
    lecteur: ThreadPoolExecutor | None = None
    try:
        with tqdm(total=max(fin - position, 0), disable=not barre, unit="ev", desc=nom) as progres:
            derniere, lot, evenements = _lire(registre, position, topics, taille, fin)
            while True:
                complet = len(lot) >= taille
                suivante = None
                if complet:
                    if lecteur is None:
                        lecteur = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"suivi-{nom}")
                    suivante = lecteur.submit(_lire, registre, lot[-1].id, topics, taille, None)
                # A page that is not full holds every wanted event up to `derniere`, the end of
                # the log read before it: the positions may go that far.
                nouvelle = lot[-1].id if complet else max(derniere, lot[-1].id if lot else 0)
                a_faire = [c for c in cibles if c.position < nouvelle and not c.deplacee]
                while a_faire:
                    echec = _appliquer_page(registre, a_faire, lot, evenements, nouvelle)
                    if echec is None:
                        break
                    # Rolled back for everyone: the read model that failed stops (if an event
                    # of the page is why), the page is applied again to the others.
                    fautive, erreur = echec
                    _arreter(registre, fautive, lot, evenements, erreur)
                    a_faire.remove(fautive)
                    cibles.remove(fautive)
                    for c in a_faire:
                        c.suiveur.projection.oublier()  # their caches may hold the page
                if not cibles:
                    return total
                progres.update(max(nouvelle - position, 0))
                position = max(position, nouvelle)
                total += len(lot)
                if arret is not None and lot and arret(total):
                    return total
                if suivante is None:
                    return total
                derniere, lot, evenements = suivante.result()
    finally:
        if lecteur is not None:
            lecteur.shutdown(wait=True, cancel_futures=True)


def _evenements_de(c: Cible, lot: list[Any], evenements: list[Any]) -> list[tuple[Any, Any]]:
    voulu = c.topics
    return [
        (n, e) for n, e in zip(lot, evenements, strict=True)
        if n.id > c.position and (voulu is None or n.topic in voulu)
    ]


class _Echec(Exception):
    def __init__(self, cible: Cible, erreur: Exception) -> None:
        self.cible, self.erreur = cible, erreur


def _appliquer_page(
    registre: Registre, a_faire: list[Cible], lot: list[Any], evenements: list[Any], nouvelle: int
) -> tuple[Cible, Exception] | None:
    """One transaction: each target's events of the page and its new position. None when done;
    the target whose read model raised and its error, when one did (nothing of the page is then
    written)."""
    try:
        with registre.engine.begin() as conn:
            for c in _verrouiller(conn, registre, a_faire):
                evs = [e for _, e in _evenements_de(c, lot, evenements)]
                if evs:
                    try:
                        if any(isinstance(e, Indechiffrable) for e in evs):
                            raise next(e for e in evs if isinstance(e, Indechiffrable)).erreur
                        c.suiveur.projection.appliquer_lot(conn, c.tables, evs)
                    except _PASSAGERES:
                        raise
                    except Exception as erreur:  # the read model's, whatever it is: named below
                        raise _Echec(c, erreur) from erreur
                _ecrire_position(conn, c.nom, c.position, nouvelle)
    except _Echec as e:
        return e.cible, e.erreur
    for c in a_faire:
        if not c.deplacee:
            c.position = nouvelle
    return None


# Errors of the database itself, never a reason to stop a read model for good.
_PASSAGERES = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def _arreter(
    registre: Registre, c: Cible, lot: list[Any], evenements: list[Any], erreur: BaseException
) -> None:
    """The read model of `c` met an event it cannot apply: find the first such event (applied
    one by one, in order, in a transaction always rolled back), keep it and why, and log it. A
    rebuild raises instead: its tables are dropped, the live ones stay."""
    projection = c.suiveur.projection
    projection.oublier()
    paires = _evenements_de(c, lot, evenements)
    coupable, raison = None, None
    with registre.engine.connect() as conn:
        transaction = conn.begin()
        try:
            for n, e in paires:
                try:
                    if isinstance(e, Indechiffrable):
                        raise e.erreur
                    projection.appliquer_lot(conn, c.tables, [e])
                except _PASSAGERES:
                    raise  # the database, not the event: the page is tried again later
                except Exception as x:
                    coupable, raison = n, x
                    break
        finally:
            transaction.rollback()
    projection.oublier()
    if coupable is None:
        # Each event applies on its own: the failure was not the events' (a lost connection, a
        # conflict); the whole page is rolled back and tried again, as any failure used to be.
        raise erreur
    texte = f"{type(raison).__name__}: {str(raison).splitlines()[0] if str(raison) else ''}"
    panne = Panne(
        position=int(coupable.id), topic=str(coupable.topic), demande=str(coupable.originator_id),
        version=int(coupable.originator_version), raison=texte[:500],
    )
    if c.reconstruction:
        raise ModeleEnPanne(projection.nom, panne)
    c.suiveur.panne = panne
    log.error("%s", panne.decrire(projection.nom), exc_info=raison)


def _lire(
    registre: Registre, position: int, topics: list[str], taille: int, fin: int | None
) -> tuple[int, list[Any], list[Any]]:
    """The end of the log (read first), then the page after `position`, decoded."""
    derniere = registre.position() if fin is None else fin
    lot = registre.recorder.select_notifications(start=position + 1, limit=taille, topics=topics)
    return derniere, lot, decoder(registre, lot)


def suiveurs_ordonnes(suiveurs: Iterable[Suiveur]) -> tuple[list[Suiveur], Registre]:
    liste = sorted(suiveurs, key=lambda s: s.projection.nom)  # locks always taken in this order
    if not liste:
        raise ValueError("no read model given")
    registre = liste[0].registre
    if any(s.registre is not registre for s in liste):
        raise ValueError("read models followed together must share one Registre")
    return liste, registre


def suivre_ensemble(suiveurs: Iterable[Suiveur], barre: bool = False) -> int:
    """`Suiveur.suivre` for several read models, reading and decoding the log once for all (those
    stored by an older version are rebuilt first, together)."""
    liste, registre = suiveurs_ordonnes(suiveurs)
    a_reconstruire = [s for s in liste if s.reconstruction_requise]
    if a_reconstruire:
        reconstruire_ensemble(a_reconstruire, barre=barre)
    with ExitStack() as pile:
        for s in liste:
            pile.enter_context(s.verrou)
        cibles = [Cible(s, s.projection.nom, s.tables, s.position()) for s in liste]
        return suivre_cibles(registre, cibles, barre)


def reconstruire_ensemble(suiveurs: Iterable[Suiveur], barre: bool = True) -> int:
    """Rebuild several read models from one read and one decoding of the log (each event is
    decoded once, whatever the number of read models), then swap them all in one transaction.
    Returns how many events were read."""
    liste, registre = suiveurs_ordonnes(suiveurs)
    with ExitStack() as pile:
        for s in liste:
            pile.enter_context(s.verrou)
        neuves: list[Reconstruction] = []
        try:
            for s in liste:
                neuves.append(s.neuve())
            cibles = [Cible(s, r.nom, r.tables, 0, True) for s, r in zip(liste, neuves, strict=True)]
            total = suivre_cibles(registre, cibles, barre)
            total += suivre_cibles(registre, cibles, False)
            with registre.engine.begin() as conn:
                for s, r in zip(liste, neuves, strict=True):
                    s.echanger(conn, r)
            for r in neuves:
                r.lacher()
            for s in liste:
                s.reconstruction_requise = False
                s.panne = None
            return total
        except BaseException:
            for s, r in zip(liste, neuves, strict=True):
                s.abandonner(r)
            raise


def _position(conn: sa.Connection, nom: str) -> int:
    p = conn.execute(sa.select(suivi.c.position).where(suivi.c.projection == nom)).scalar_one_or_none()
    return int(p or 0)


def _verrouiller(conn: sa.Connection, registre: Registre, cibles: list[Cible]) -> list[Cible]:
    """The targets this transaction may apply a page to: each live read model's lock taken (in
    name order), its position read again under it; one another process moved since is left out
    and marked `deplacee` with the position found (its caches, folded demands, know nothing of
    what the other process applied: they reload what they miss)."""
    garder = []
    for c in sorted(cibles, key=lambda x: x.nom):
        if c.deplacee:
            continue  # read again from its new position, in the next run
        if not c.reconstruction:
            verrou_modele(conn, registre.stockage, c.nom)
            actuelle = _position(conn, c.nom)
            if actuelle != c.position:
                c.position, c.deplacee = actuelle, True
                continue
        garder.append(c)
    return garder


def _ecrire_position(conn: sa.Connection, nom: str, ancienne: int, nouvelle: int) -> None:
    """Move the position of the read model `nom` from `ancienne` to `nouvelle`, in the
    transaction that applied the events in between (a compare-and-set)."""
    res = conn.execute(
        sa.update(suivi)
        .where(suivi.c.projection == nom, suivi.c.position == ancienne)
        .values(position=nouvelle)
    )
    if res.rowcount == 0:
        if ancienne != 0:
            # Another runner moved it: roll back rather than apply twice.
            raise RuntimeError(f"projection {nom}: position moved under us (expected {ancienne})")
        conn.execute(sa.insert(suivi).values(projection=nom, position=nouvelle))


def _ecrire_version(conn: sa.Connection, projection: Projection) -> None:
    conn.execute(sa.delete(versions).where(versions.c.projection == projection.nom))
    conn.execute(sa.insert(versions).values(projection=projection.nom, version=projection.version))


def _creer(conn: sa.Connection, t: sa.Table) -> bool:
    """Create a table, or the indexes an existing one lacks (matched by columns, since a swap
    leaves the rebuilt table's index names behind); True if the table was created."""
    if not sa.inspect(conn).has_table(t.name):
        t.create(conn)
        return True
    existants = {tuple(i["column_names"]) for i in sa.inspect(conn).get_indexes(t.name)}
    for index in t.indexes:
        colonnes = tuple(c.name for c in index.columns)
        if colonnes not in existants:
            index.create(conn, checkfirst=True)
    return False


def decoder(registre: Registre, lot: Sequence[Any]) -> list[Any]:
    """Decode stored events with the ledger's mapper, after loading in one query the keys of
    the demands whose personal data the page holds (the mapper would ask one by one)."""
    a_dechiffrer = {n.originator_id for n in lot if CHIFFRE in n.state}
    mapper = registre.mapper
    un: Callable[[Any], Any]
    if isinstance(mapper, LedgerMapper):
        depuis_ligne = mapper.depuis_ligne

        def un(n: Any) -> Any:
            return depuis_ligne(n.originator_id, n.originator_version, n.topic, n.state)
    else:
        un = mapper.to_domain_event
    decodes: list[Any] = []
    with registre.coffre.lot(a_dechiffrer):  # their keys in one query, for this page only
        for n in lot:
            try:
                decodes.append(un(n))
            except Exception as e:  # the read models that want it stop on it, the others go on
                decodes.append(Indechiffrable(n, e))
    return decodes
