"""The rebuild built for throughput: the deadlines, cotation and statistics read models
regenerated from the log at close to the speed of reading it, with the same rows as the follower
(`projections.suivi`) writes, "built beside, then swapped in one transaction".

The follower applies the log in position order, page by page, rewriting the rows of every demand
a page touches; a rebuild needs none of that, since a read model is a function of each demand's
whole history. So:

- the demands' events are read straight from the events table **in (demand, version) order**
  (the table's primary key), in large pages, their personal-data keys loaded in one query per
  page; each demand's facts are folded once, straight into its state as of today
  (`etat_du_jour`: no aggregate, no second fold for `etat_courant`, the aggregate's way kept for
  the few demands the schedule owes something), shared by the deadlines and the score rows, then
  dropped: memory stays flat whatever the log; the cyclic garbage collector is off during the
  pass and run once a page (`sans_ramasse_miettes`), since a page's decoded events all live until
  it is folded and every automatic collection walked them again;
- the demand space is cut into ranges of aggregate ids, one per **process** (two cores, two
  processes), each writing its rows itself, in bulk (`COPY` on PostgreSQL, `executemany` on
  SQLite); the ranks' counts table is the sum of the processes' counts, written once;
- meanwhile, the statistics facts are extracted in log order in this process from the public
  fields only (the light decoding of `projections.journal`: no key, no decryption) and copied in
  with the same dense numbering (`ordre`) as the follower gives them; retractions are flagged at
  the end;
- the log's end is read once at the start (`fin`); the new tables are recorded at that position
  and the ordinary follower then applies whatever was appended during the rebuild (its
  exactly-once bookkeeping, position and rows in one transaction), before the swap: the live
  tables keep serving until the swap's transaction commits (`Suiveur`'s own swap).

Read models of other kinds are rebuilt by `projections.suivi.reconstruire_ensemble`.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from multiprocessing import get_context
from typing import Any
from uuid import UUID

import msgspec
import sqlalchemy as sa

from adapters.database import Stockage, depuis_url
from adapters.mapper import CHIFFRE
from adapters.registre import Registre
from domain import horloge
from domain.cotation import Grille
from domain.depot import cle_depot, enregistrement_du
from domain.etat_demande import EtatDemande, prochaine_echeance, replier
from domain.territoire import Territoire
from projections.cotation import (
    Case,
    ProjectionCotation,
    ajouter_effectifs,
    case_effectifs,
    ligne_cotation,
)
from projections.demandes_suivies import TOPICS_DEMANDE
from projections.echeances import TOPICS_DEPOT, ProjectionEcheances, lignes_echeances
from projections.indicateurs import Retraction, extraire, extraire_logement
from projections.journal import DECODEURS as DECODEURS_STATISTIQUES
from projections.suivi import (
    Cible,
    Reconstruction,
    Suiveur,
    reconstruire_ensemble,
    suiveurs_ordonnes,
    suivi,
    suivre_cibles,
)
from projections.vue_statistiques import ENCODEUR, GENRES, ProjectionStatistiques

PAGE = 20_000  # rows fetched, decoded and folded at a time by each process
ECRIRE_APRES = 5_000  # demands folded between two bulk writes (one transaction each)
# Below this many events in the log, the folds run in this process: starting processes costs
# more than they save.
SEUIL_PROCESSUS = 40_000
_ESPACE = 1 << 128  # aggregate ids are UUIDs: the ranges cut this space


def processus_par_defaut() -> int:
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class _Tranche:
    """One process's share of the demands: the ids in [debut, fin_ids), the events up to `fin`;
    what it writes and where. Picklable: it crosses to a process of its own."""

    url: str
    territoire: Territoire
    grille: Grille | None
    au: date
    instant: datetime | None  # the clock to install in a process of its own (tests move it)
    fin: int
    debut: int
    fin_ids: int
    echeances: tuple[str, str, str] | None  # the new tables' names
    cotation: str | None


def reconstruire_vite(
    suiveurs: Iterable[Suiveur], processus: int | None = None, barre: bool = False, au: date | None = None
) -> int:
    """Rebuild the given read models beside the live ones and swap them in one transaction;
    returns how many demand events were read (every demand event, as `reconstruire_ensemble`
    counts them). `processus`: how many processes fold demands (default: up to two, one per
    core; 1 folds in this process). `au`: the day the day-dependent rows are computed for
    (default today): `recalculer_vite` brings every score to a new day this way."""
    liste, registre = suiveurs_ordonnes(suiveurs)
    connus = (ProjectionEcheances, ProjectionCotation, ProjectionStatistiques)
    autres = [s for s in liste if not isinstance(s.projection, connus)]
    liste = [s for s in liste if isinstance(s.projection, connus)]
    total = reconstruire_ensemble(autres, barre=barre) if autres else 0
    if not liste:
        return total
    # The demand events an other read model already read count once, as reconstruire_ensemble
    # counts the events of every read model it feeds together.
    deja_lus = any(not s.projection.topics or set(TOPICS_DEMANDE) <= set(s.projection.topics) for s in autres)
    with ExitStack() as pile:
        for s in liste:
            pile.enter_context(s.verrou)
        neuves: list[Reconstruction] = []
        try:
            for s in liste:
                neuves.append(s.neuve())
            par_type = {type(s.projection): r for s, r in zip(liste, neuves, strict=True)}
            lus, lus_depots = _remplir(registre, par_type, processus, barre, au)
            total += 0 if deja_lus else lus
            # The dépôts' events, which only the deadlines read, count once too.
            total += 0 if any(not s.projection.topics or set(TOPICS_DEPOT) <= set(s.projection.topics)
                              for s in autres) else lus_depots
            fin = _fin_lue(registre, neuves)
            # What was appended meanwhile: the follower's own path, exactly once.
            cibles = [Cible(s, r.nom, r.tables, fin, True) for s, r in zip(liste, neuves, strict=True)]
            suivre_cibles(registre, cibles, False)
            if registre.stockage.postgres:
                with registre.engine.connect() as conn:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    for r in neuves:
                        for t in r.toutes:
                            conn.exec_driver_sql(f"VACUUM (ANALYZE) {t.name}")
            with registre.engine.begin() as conn:
                for s, r in zip(liste, neuves, strict=True):
                    s.echanger(conn, r)
            for r in neuves:
                r.lacher()
            for s in liste:
                s.reconstruction_requise = False
            for s in autres:  # what was appended while the others were rebuilt
                s.suivre()
            return total
        except BaseException:
            for s, r in zip(liste, neuves, strict=True):
                s.abandonner(r)
            raise


def recalculer_vite(suiveur: Suiveur, jour: date, processus: int | None = None) -> int:
    """Every score brought to `jour` at once, for a territory too big for
    `ProjectionCotation.recalculer` (which rewrites the rows of the day in the caller's
    transaction, one demand at a time): the cotation read model rebuilt as of `jour` beside the
    live one, then swapped. The rows are those `recalculer` gives, except that the rows of
    inactive demands carry `jour` too (they are not scored). Returns the events read."""
    if not isinstance(suiveur.projection, ProjectionCotation):
        raise ValueError(f"recalculer_vite rebuilds the cotation read model, not {suiveur.projection.nom}")
    return reconstruire_vite([suiveur], processus=processus, au=jour)


# From this many active demands on, a served ledger brings the scores to a new day in bulk
# (`recalculer_vite`, ≈ a minute at a million) rather than in one transaction demand by demand.
SEUIL_RECALCUL_EN_MASSE = 100_000


def changer_de_jour(suiveur: Suiveur, jour: date) -> int:
    """What the background work does at each new day for one read model: the transactional
    `Suiveur.changer_de_jour`, or for a cotation read model of `SEUIL_RECALCUL_EN_MASSE` active
    demands or more, `recalculer_vite` (the ranks read yesterday's scores until its swap).
    Returns how many demands were brought to `jour`."""
    if isinstance(suiveur.projection, ProjectionCotation):
        (t,) = suiveur.tables
        with suiveur.engine.connect() as conn:
            # The rows the day's recompute would rescore (their next change has come, or they
            # were computed for a later day): usually a few per thousand.
            dues = conn.execute(
                sa.select(sa.func.count()).where(
                    t.c.active, sa.or_(t.c.prochain_changement <= jour, t.c.calcule_au > jour)
                )
            ).scalar_one()
        if dues >= SEUIL_RECALCUL_EN_MASSE:
            recalculer_vite(suiveur, jour)
            return int(dues)
    return suiveur.changer_de_jour(jour)


def _fin_lue(registre: Registre, neuves: list[Reconstruction]) -> int:
    with registre.engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.max(suivi.c.position)).where(
                suivi.c.projection.in_([r.nom for r in neuves])
            )).scalar() or 0
        )


def _remplir(
    registre: Registre, par_type: dict[type, Reconstruction], processus: int | None, barre: bool,
    au: date | None = None,
) -> tuple[int, int]:
    """Fill the new tables up to the log's end as read now, and record that position for each;
    returns the demand events read, and the dépôt events read."""
    fin = registre.position()
    if fin == 0:
        return 0, 0
    au = au or horloge.aujourdhui()
    r_ech = par_type.get(ProjectionEcheances)
    r_cot = par_type.get(ProjectionCotation)
    r_stat = par_type.get(ProjectionStatistiques)
    n = processus or (processus_par_defaut() if fin >= SEUIL_PROCESSUS else 1)
    lus = 0
    effectifs: Counter[Case] = Counter()
    if r_ech is not None or r_cot is not None:
        tranches = [
            _Tranche(
                url=registre.stockage.url,
                territoire=registre.territoire,
                grille=registre.grille,
                au=au,
                instant=horloge.maintenant() if n > 1 else None,
                fin=fin,
                debut=k * _ESPACE // n,
                fin_ids=(k + 1) * _ESPACE // n,
                echeances=tuple(t.name for t in r_ech.tables) if r_ech else None,  # type: ignore[arg-type]
                cotation=r_cot.tables[0].name if r_cot else None,
            )
            for k in range(n)
        ]
        if n == 1:
            lus, effectifs = replier_tranche(tranches[0], registre.engine)
            if r_stat is not None:
                # The flux's dwelling events, which only the statistics read, count once too.
                lus += _statistiques(registre, r_stat.tables[0], fin)[1]
        else:
            with ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn")) as pool:
                futures: list[Future[tuple[int, Counter[Case]]]] = [
                    pool.submit(replier_tranche, tr) for tr in tranches
                ]
                if r_stat is not None:
                    lus += _statistiques(registre, r_stat.tables[0], fin)[1]
                for f in futures:
                    x, c = f.result()
                    lus += x
                    effectifs.update(c)
    elif r_stat is not None:
        lus = _statistiques(registre, r_stat.tables[0], fin)[0]
    lus_depots = 0
    with registre.engine.begin() as conn:
        if r_ech is not None:
            lignes_depots, lus_depots = _depots_en_attente(registre, fin)
            if lignes_depots:
                conn.execute(sa.insert(r_ech.tables[0]), lignes_depots)
        if r_cot is not None:
            ajouter_effectifs(conn, r_cot.tables[0], effectifs)
        for r in par_type.values():
            conn.execute(sa.insert(suivi).values(projection=r.nom, position=fin))
    return lus, lus_depots


def _depots_en_attente(registre: Registre, fin: int) -> tuple[list[dict[str, Any]], int]:
    """The deadline rows of the dépôts not yet registered nor retracted at `fin` (few: a dépôt is
    registered within the month), as the follower writes them (`ligne_depot`), and the dépôt
    events read."""
    stockage = registre.stockage
    table, pos = stockage.table_evenements, stockage.colonne_position
    topics = ", ".join(f"'{t}'" for t in TOPICS_DEPOT)  # constants of ours, not input
    q = sa.text(f"SELECT topic, state FROM {table} WHERE {pos} <= :fin AND topic IN ({topics}) ORDER BY {pos}")
    derniers: dict[tuple[str, str], tuple[str, date]] = {}
    lus = 0
    with registre.engine.connect() as conn:
        for topic, state in conn.execute(q, {"fin": fin}):
            lus += 1
            e = _DECODEUR_DEPOT.decode(bytes(state))
            derniers[(e.guichet, e.reference)] = (topic, e.occurred_on)
    return [
        {"demande": cle_depot(g, r), "type": "enregistrement_du", "echeance": enregistrement_du(jour),
         "reference": None, "detail": f"{g} {r}"[:200]}
        for (g, r), (topic, jour) in derniers.items() if topic.endswith(".Recu")
    ], lus


class _EvenementDepot(msgspec.Struct):
    guichet: str
    reference: str
    occurred_on: date


_DECODEUR_DEPOT = msgspec.json.Decoder(_EvenementDepot)


# -- the demands' folds, in a process of their own ------------------------------------------------


def replier_tranche(
    tr: _Tranche, engine: sa.Engine | None = None
) -> tuple[int, Counter[Case]]:
    """Fold every demand whose id falls in the tranche, from its events up to `tr.fin`, and write
    its deadline and score rows; returns (events read, the score counts per bucket)."""
    from adapters.cles import Coffre
    from adapters.mapper import LedgerMapper

    propre = engine is None
    if tr.instant is not None:
        from adapters.clock import HorlogeReglable

        HorlogeReglable(tr.instant).installer()
    stockage = depuis_url(tr.url)
    if engine is None:
        engine = stockage.engine(pool_size=2)
    try:
        coffre = Coffre(engine)
        mapper = LedgerMapper(coffre)
        t = tr.territoire
        ret = t.retention_donnees_mois
        echeances = tr.echeances
        cotation = tr.cotation
        lus = 0
        effectifs: Counter[Case] = Counter()
        tampon: tuple[list[tuple[Any, ...]], ...] = ([], [], [], [])
        jusquau = min(tr.au, horloge.aujourdhui())  # what `etat_courant` counts as fallen due
        for demandes, evenements in enumerate(_demandes(engine, stockage, tr, coffre, mapper), 1):
            lus += len(evenements)
            d: Any = etat_du_jour(evenements, tr.au, jusquau, ret)
            if d is not None:
                etat = d.etat
            else:  # the aggregate's way: the schedule owes something by then, or facts come later
                for e in evenements:
                    d = e.mutate(d)
                assert d is not None
                etat = d.etat_courant(tr.au, ret)
            if echeances is not None:
                for k, lignes in enumerate(lignes_echeances(d, etat, tr.au, t)):
                    tampon[k].extend(tuple(x.values()) for x in lignes)
            if cotation is not None:
                x = ligne_cotation(etat, tr.au, t, tr.grille, d.faits)
                tampon[3].append(tuple(x.values()))
                cle = case_effectifs(x["active"], x["points"], x["typologie"], x["filed_on"])
                if cle is not None:
                    effectifs[cle] += 1
            if demandes % ECRIRE_APRES == 0:
                _vider(engine, tr, tampon)
        _vider(engine, tr, tampon)
        return lus, effectifs
    finally:
        if propre:
            engine.dispose()


@dataclass(frozen=True, slots=True)
class Pli:
    """A demand folded once: what the rows of the day read of it (`lignes_echeances`)."""

    numero_unique: str
    etat: EtatDemande  # as stored, which is also its state of the day (`etat_du_jour`)
    faits: list[Any]


def etat_du_jour(faits: list[Any], au: date, jusquau: date, retention_mois: int) -> Pli | None:
    """A demand's facts (version order) folded once, straight into its state as of `au`,
    without the aggregate: when no fact is dated after `au` and the schedule owes nothing by
    then, the stored state (the aggregate's fold), the state as of `au` and `etat_courant`'s
    are one and the same fold (`replier`). None otherwise: the caller takes the aggregate's
    way (`Demande.etat_courant`), which appends the schedule's due facts to a copy. `jusquau`:
    min(au, today), up to which `etat_courant` counts the schedule's facts as fallen due."""
    if any(f.occurred_on > au for f in faits):
        return None
    etat = replier(faits, au)
    due = prochaine_echeance(etat, retention_mois)
    if due is not None and due[0] <= jusquau:
        return None
    return Pli(etat.numero_unique, etat, faits)


_COLONNES_ECHEANCES = (
    ("demande", "type", "echeance", "reference", "detail"),
    ("demande", "decote", "code", "decote_le", "notifiee_le", "recours", "depose_le", "organisation"),
    ("demande", "echeance", "quoi", "calcule_au", "a_recalculer_le"),
)
_COLONNES_COTATION = (
    "demande", "active", "points", "filed_on", "typologie", "version_grille", "calcule_au", "prochain_changement",
)


def _vider(engine: sa.Engine, tr: _Tranche, tampon: tuple[list[tuple[Any, ...]], ...]) -> None:
    """Write and clear the buffered rows, in one transaction."""
    cibles: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = []
    if tr.echeances is not None:
        cibles += [(nom, cols, tampon[k]) for k, (nom, cols) in
                   enumerate(zip(tr.echeances, _COLONNES_ECHEANCES, strict=True))]
    if tr.cotation is not None:
        cibles.append((tr.cotation, _COLONNES_COTATION, tampon[3]))
    if not any(lignes for _, _, lignes in cibles):
        return
    with engine.begin() as conn:
        for nom, cols, lignes in cibles:
            ecrire_en_masse(conn, nom, cols, lignes)
    for liste in tampon:
        liste.clear()


def ecrire_en_masse(conn: sa.Connection, table: str, colonnes: Sequence[str], lignes: list[tuple[Any, ...]]) -> None:
    """Rows into a table inside the caller's transaction: `COPY` on PostgreSQL, one
    `executemany` on SQLite."""
    if not lignes:
        return
    if conn.dialect.name == "postgresql":
        brute = conn.connection.driver_connection
        with brute.cursor() as cur, cur.copy(  # type: ignore[union-attr]
            f"COPY {table} ({', '.join(colonnes)}) FROM STDIN"
        ) as copie:
            for ligne in lignes:
                copie.write_row(ligne)
    else:
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(colonnes)}) VALUES ({', '.join('?' for _ in colonnes)})",
            lignes,
        )


def _demandes(
    engine: sa.Engine, stockage: Stockage, tr: _Tranche, coffre: Any, mapper: Any
) -> Iterator[list[Any]]:
    """Each demand of the tranche with its events (version order) up to `tr.fin`, decoded: read
    in pages in the primary key's order, keys loaded in one query per page."""
    table, pos = stockage.table_evenements, stockage.colonne_position
    topics = ", ".join(f"'{t}'" for t in TOPICS_DEMANDE)  # constants of ours, not input
    postgres = stockage.postgres

    def borne(i: int) -> Any:
        # SQLite stores the ids as 32 hex digits: they sort as the UUIDs do.
        u = UUID(int=i)
        return u if postgres else u.hex

    conditions = [f"{pos} <= :fin", f"topic IN ({topics})", "originator_id >= :debut"]
    params: dict[str, Any] = {"fin": tr.fin, "debut": borne(tr.debut)}
    if tr.fin_ids < _ESPACE:
        conditions.append("originator_id < :fin_ids")
        params["fin_ids"] = borne(tr.fin_ids)
    q = sa.text(
        f"SELECT originator_id, originator_version, topic, state FROM {table} "
        f"WHERE {' AND '.join(conditions)} ORDER BY originator_id, originator_version"
    )
    courant: Any = None
    evenements: list[Any] = []
    depuis_ligne = mapper.depuis_ligne
    with engine.connect() as conn, sans_ramasse_miettes():
        res = conn.execution_options(stream_results=True, yield_per=PAGE).execute(q, params)
        for page in res.partitions(PAGE):
            a_dechiffrer = {r[0] for r in page if CHIFFRE in r[3]}
            with coffre.lot(a_dechiffrer):  # their keys in one query, for this page only
                decodes = [(oid, depuis_ligne(oid, v, topic, state)) for oid, v, topic, state in page]
            for oid, e in decodes:
                if oid != courant:
                    if evenements:
                        yield evenements
                    evenements = []
                    courant = oid
                evenements.append(e)
            del decodes, page
            gc.collect()  # the page's cycles, if any, once per page
    if evenements:
        yield evenements


@contextmanager
def sans_ramasse_miettes() -> Iterator[None]:
    """The cyclic garbage collector off for a bulk pass, which collects once a page itself:
    decoding a page allocates hundreds of thousands of objects that all live until the page is
    folded, and each automatic collection would walk them again (the page's decoding took twice
    as long with it on). Reference counting still frees everything acyclic at once."""
    avant = gc.isenabled()
    gc.disable()
    # What lived before the pass (modules, the application) is not walked by its collections.
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if avant:
            gc.enable()


# -- the statistics facts, in log order, in this process -----------------------------------------


def _statistiques(registre: Registre, t: sa.Table, fin: int) -> tuple[int, int]:
    """The facts of every statistics event up to `fin`, in log order, numbered 1, 2, 3… as the
    follower numbers them, then the retracted ones flagged; returns the events read, and how
    many of them were the flux's dwelling events."""
    stockage = registre.stockage
    table, pos = stockage.table_evenements, stockage.colonne_position
    topics = ", ".join(f"'{x}'" for x in DECODEURS_STATISTIQUES)
    q = sa.text(
        f"SELECT originator_id, originator_version, topic, state FROM {table} "
        f"WHERE {pos} <= :fin AND topic IN ({topics}) ORDER BY {pos}"
    )
    colonnes = ("ordre", "demande", "version", "genre", "jour", "fait", "retracte")
    territoire = registre.territoire
    ordre = 0
    lus = de_logements = 0
    retractions: list[dict[str, Any]] = []
    with registre.engine.connect() as lecture, sans_ramasse_miettes():
        res = lecture.execution_options(stream_results=True, yield_per=PAGE).execute(q, {"fin": fin})
        for page in res.partitions(PAGE):
            gc.collect()  # the previous page's cycles, if any, once per page
            lignes: list[tuple[Any, ...]] = []
            for oid, v, topic, state in page:
                genre, decodeur, de_logement = DECODEURS_STATISTIQUES[topic]
                e = decodeur.decode(state)
                # The follower names a demand (or a dwelling, for the flux) by its UUID's text
                # (SQLite stores bare hex).
                demande = str(oid if isinstance(oid, UUID) else UUID(oid))
                lire = extraire_logement if de_logement else extraire
                de_logements += de_logement
                for f in lire(genre, demande, v, e, territoire):
                    ordre += 1
                    lignes.append(
                        (ordre, f.demande, f.version, GENRES[type(f)], f.jour, ENCODEUR.encode(f).decode(), False)
                    )
                    if isinstance(f, Retraction):
                        retractions.append({"b_demande": f.demande, "b_version": f.cible})
            lus += len(page)
            with registre.engine.begin() as conn:
                ecrire_en_masse(conn, t.name, colonnes, lignes)
    if retractions:
        with registre.engine.begin() as conn:
            conn.execute(
                sa.update(t)
                .where(t.c.demande == sa.bindparam("b_demande"), t.c.version == sa.bindparam("b_version"))
                .values(retracte=True),
                retractions,
            )
    return lus, de_logements
