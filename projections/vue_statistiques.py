"""The live statistics read model: the facts of `projections.indicateurs.extraire`, kept in SQL.

The follower (`projections.suivi.Suiveur`) feeds it the demand events the statistics read, decoded
by the library, in log order. Each event's facts become rows of `vue_stat_faits`; a `Retraction`
fact flags the rows of the event it names (`retracte`) instead of deleting them, so the table
stays a record of everything that was said. A period's figures are then a handful of indexed
range queries by (genre, jour), folded into `indicateurs.Faits` and handed to the same
arithmetic as the raw log (`indicateurs.calculer`).

The read model answers "as known now" only: it has no knowledge time, since a retraction
rewrites the flag of the row it names. Figures as known at an instant come from the raw log
(`projections.journal.regenerer(..., connu_a=...)`).

`lire_bilan` gives a period's figures from either source (GET /statistiques). `verifier` is the
check between the two: it brings the read model up to date, regenerates the same period from the
raw log up to the very position the read model has applied, and reports every figure that
differs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from adapters.registre import Registre
from domain.territoire import Territoire
from projections.indicateurs import (
    EVENEMENTS_LOGEMENT_LUS,
    EVENEMENTS_LUS,
    PREFIXE_TOPIC,
    PREFIXE_TOPIC_LOGEMENT,
    Attribution,
    Bail,
    Bilan,
    BilanFlux,
    Changement,
    Decote,
    Ecart,
    Enregistrement,
    ExamenCAL,
    Fait,
    Faits,
    Orientation,
    Periode,
    Proposition,
    Radiation,
    RecoursDecide,
    RecoursDepose,
    Refus,
    Retraction,
    VacanceOuverte,
    bilan_flux,
    calculer,
    comparer,
    delais_recours,
    extraire,
    extraire_logement,
    recours_en_attente,
    replier,
)
from projections.journal import bilan_flux_du_journal, regenerer
from projections.lecteurs import Lecteurs
from projections.suivi import Projection, Suiveur, suivi

NOM = "statistiques"
TABLE = "vue_stat_faits"


def _genre(t: type[Fait]) -> str:
    tag = t.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


# One genre per fact class: the struct's own tag ("bail", "changement", …).
_CLASSES: tuple[type[Fait], ...] = (
    Bail, Attribution, Proposition, Refus, Radiation, Decote, RecoursDepose, RecoursDecide,
    ExamenCAL, Changement, Retraction, VacanceOuverte, Orientation, Enregistrement,
)
GENRES: dict[type[Fait], str] = {t: _genre(t) for t in _CLASSES}
_DECODEURS_LISTES: dict[str, msgspec.json.Decoder[Any]] = {
    g: msgspec.json.Decoder(list[t]) for t, g in GENRES.items()  # type: ignore[valid-type]
}
ENCODEUR = msgspec.json.Encoder()


def tables_statistiques(suffixe: str) -> list[sa.Table]:
    """`vue_stat_faits`: one row per fact.

    - `ordre`: the fact's rank in log order (1, 2, 3… as applied; a rebuild numbers them again the
      same way), so facts read back come in the order the raw log gives them;
    - `demande`, `version`, `genre`: the event a fact comes from (one event may give two facts of
      different genres, e.g. a radiation is a `changement` and a `radiation`); unique;
    - `jour`: the event's occurred_on; `(genre, jour)` is indexed, so a period's facts of one genre
      are one range scan;
    - `fait`: the fact itself, msgspec JSON (tagged), decoded back to the very struct;
    - `retracte`: set when a later retraction names (demande, version).
    """
    md = sa.MetaData()
    t = sa.Table(
        f"{TABLE}{suffixe}",
        md,
        sa.Column("ordre", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("demande", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("genre", sa.String(20), nullable=False),
        sa.Column("jour", sa.Date, nullable=False),
        sa.Column("fait", sa.Text, nullable=False),
        sa.Column("retracte", sa.Boolean, nullable=False, default=False),
    )
    sa.Index(f"ix_{TABLE}{suffixe}_genre_jour", t.c.genre, t.c.jour)
    sa.Index(f"ux_{TABLE}{suffixe}_evenement", t.c.demande, t.c.version, t.c.genre, unique=True)
    return [t]


class ProjectionStatistiques(Projection):
    """Facts of the demand events statistics read; every other event (dwelling events included)
    contributes nothing and is not even delivered (`topics`)."""

    nom = NOM
    topics = tuple(PREFIXE_TOPIC + g for g in sorted(EVENEMENTS_LUS)) + tuple(
        PREFIXE_TOPIC_LOGEMENT + g for g in sorted(EVENEMENTS_LOGEMENT_LUS)
    )
    # 2: renewals and anniversaries, for the RADREN that fell due; 3: coded motifs, réservataire
    # organisations, the flux's vacancies and orientations
    version = 5  # 4: registrations and their delay from the dépôt; 5: profiles (age band,
    # household type), mutation on attributions, recours delays

    def __init__(self, registre: Registre) -> None:
        self.territoire: Territoire = registre.territoire

    def tables(self, suffixe: str) -> list[sa.Table]:
        return tables_statistiques(suffixe)

    def oublier(self) -> None:
        pass  # nothing is kept in memory: every fact is in the table

    def faits(self, evenements: list[Any]) -> list[Fait]:
        """The facts of domain events, in order."""
        faits: list[Fait] = []
        for e in evenements:
            classe, _, genre = type(e).__qualname__.rpartition(".")
            if classe == "Demande" and genre in EVENEMENTS_LUS:
                faits.extend(extraire(genre, str(e.originator_id), e.originator_version, e, self.territoire))
            elif classe == "Logement" and genre in EVENEMENTS_LOGEMENT_LUS:
                faits.extend(
                    extraire_logement(genre, str(e.originator_id), e.originator_version, e, self.territoire)
                )
        return faits

    def appliquer_lot(self, conn: sa.Connection, tables: list[sa.Table], evenements: list[Any]) -> None:
        (t,) = tables
        faits = self.faits(evenements)
        if not faits:
            return
        # Only one runner applies a given table at a time (the read model's lock, under which
        # the follower reads its position again), so numbering from the highest rank is safe.
        dernier = conn.execute(sa.select(sa.func.max(t.c.ordre))).scalar() or 0
        lignes = [
            {
                "ordre": dernier + i,
                "demande": f.demande,
                "version": f.version,
                "genre": GENRES[type(f)],
                "jour": f.jour,
                "fait": ENCODEUR.encode(f).decode(),
                "retracte": False,
            }
            for i, f in enumerate(faits, 1)
        ]
        conn.execute(sa.insert(t), lignes)
        # A retraction always comes after its target (a higher version of the same demand), so
        # the target's rows are stored by now, in this batch or an earlier one.
        retractions = [
            {"b_demande": f.demande, "b_version": f.cible} for f in faits if isinstance(f, Retraction)
        ]
        if retractions:
            conn.execute(
                sa.update(t)
                .where(t.c.demande == sa.bindparam("b_demande"), t.c.version == sa.bindparam("b_version"))
                .values(retracte=True),
                retractions,
            )


# -- reading a period ---------------------------------------------------------------------------


@contextmanager
def instantane(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One consistent snapshot of the read model, so the facts read and the position they
    stand for belong together even while a follower commits meanwhile."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
        else:
            # pysqlite starts no transaction for reads: start one, so every read below sees the
            # same WAL snapshot; closing the connection rolls it back.
            conn.exec_driver_sql("BEGIN")
            yield conn


def _lire(conn: sa.Connection, t: sa.Table, genre: str, *conditions: Any) -> list[Any]:
    """The facts of one genre, in log order, decoded in one call: the rows' JSON texts are
    joined into one array (by PostgreSQL itself, else here) that one typed decoder reads, which
    costs a fraction of decoding and fetching them row by row."""
    return _tableau(conn, t, genre, (t.c.ordre,), *conditions)


def _tableau(
    conn: sa.Connection, t: sa.Table, genre: str, ordre: tuple[Any, ...], *conditions: Any
) -> list[Any]:
    filtre = (t.c.genre == genre, t.c.retracte.is_(False), *conditions)
    if conn.dialect.name == "postgresql":
        q = sa.select(sa.func.string_agg(t.c.fait, aggregate_order_by(sa.literal_column("','"), *ordre)))
        texte = conn.execute(q.where(*filtre)).scalar()
        if texte is None:
            return []
    else:
        texte = ",".join(conn.execute(sa.select(t.c.fait).where(*filtre).order_by(*ordre)).scalars())
    return _DECODEURS_LISTES[genre].decode(f"[{texte}]")


def position_appliquee(conn: sa.Connection) -> int:
    """The log position the read model has applied, as this connection's snapshot sees it."""
    p = conn.execute(sa.select(suivi.c.position).where(suivi.c.projection == NOM)).scalar_one_or_none()
    return int(p or 0)


def baux_de_la_periode(conn: sa.Connection, periode: Periode) -> list[Bail]:
    """The baux signed du..au, retracted ones excluded, in log order (one index range)."""
    t = tables_statistiques("")[0]
    return _lire(conn, t, GENRES[Bail], t.c.jour >= periode.du, t.c.jour <= periode.au)


def faits_de_la_periode(conn: sa.Connection, t: sa.Table, periode: Periode) -> Faits:
    """The period's facts from the table, retracted rows excluded: the same `Faits` as
    `indicateurs.Collecte.pour` gives from the raw log."""
    du, au = periode.du, periode.au
    debut12, fin12 = periode.douze_mois
    dans = (t.c.jour >= du, t.c.jour <= au)
    r = Faits()
    r.baux = _lire(conn, t, GENRES[Bail], *dans)
    # Half-open, as Collecte.pour: after au − 12 months, up to and including au.
    r.baux_douze_mois = _lire(conn, t, GENRES[Bail], t.c.jour > debut12, t.c.jour <= fin12)
    r.attributions = _lire(conn, t, GENRES[Attribution], *dans)
    r.propositions = _lire(conn, t, GENRES[Proposition], *dans)
    r.refus = _lire(conn, t, GENRES[Refus], *dans)
    r.radiations = _lire(conn, t, GENRES[Radiation], *dans)
    r.decotes = _lire(conn, t, GENRES[Decote], *dans)
    r.examens = _lire(conn, t, GENRES[ExamenCAL], *dans)
    r.vacances = _lire(conn, t, GENRES[VacanceOuverte], *dans)
    r.orientations = _lire(conn, t, GENRES[Orientation], t.c.jour <= au)
    r.enregistrements = _lire(conn, t, GENRES[Enregistrement], *dans)

    # Recours: those of the period, and every one filed or decided by `au` for the pending stock
    # (in log order, so a recours filed again after its decision is pending again).
    deposes: dict[tuple[str, int], date] = {}
    decides: dict[tuple[str, int], date] = {}
    depots: dict[tuple[str, int], list[RecoursDepose]] = defaultdict(list)
    for f in _lire(conn, t, GENRES[RecoursDepose], t.c.jour <= au):
        deposes[(f.demande, f.decote)] = f.jour
        depots[(f.demande, f.decote)].append(f)
        if f.jour >= du:
            r.recours_deposes.append(f)
    for f in _lire(conn, t, GENRES[RecoursDecide], t.c.jour <= au):
        decides[(f.demande, f.decote)] = f.jour
        if f.jour >= du:
            r.recours_decides.append(f)
    r.recours_en_attente = recours_en_attente(deposes, decides)
    r.recours_delais = delais_recours(depots, r.recours_decides)

    # Stocks on `au`: fold each demand's changes up to `au` in version order. occurred_on never
    # goes backwards on a demand, so the range (jour <= au) is exactly what `replier` keeps.
    # In log order, which is each demand's version order; grouped here rather than sorted by
    # the database, which costs more.
    par_demande: dict[str, list[Changement]] = defaultdict(list)
    for c in _lire(conn, t, GENRES[Changement], t.c.jour <= au):
        par_demande[c.demande].append(c)
    for lignes in par_demande.values():
        etat = replier(lignes, au)
        if etat is not None:
            r.actives.append(etat)
    return r


def bilan_vue(engine: sa.Engine, territoire: Territoire, periode: Periode) -> Bilan:
    """Every indicator of the period from the live read model, as known now (no `connu_a`).

    `position` is the log position the read model had applied when read (read in the same
    snapshot as the facts); `evenements` is the number of facts the read model has stored
    (retractions and retracted facts included) — facts, not events: one event may give none,
    one or two facts. The read model is read as it stands: bring it up to date first
    (`Suiveur.suivre`) for figures as of the log's end."""
    t = tables_statistiques("")[0]
    with instantane(engine) as conn:
        if not sa.inspect(conn).has_table(t.name):
            raise ValueError(
                f"the {NOM} read model does not exist yet: run `ledger rebuild {NOM}` or follow the log"
            )
        position = position_appliquee(conn)
        stockes = conn.execute(sa.select(sa.func.max(t.c.ordre))).scalar() or 0
        faits = faits_de_la_periode(conn, t, periode)
    return Bilan(
        territoire=territoire.code,
        periode=periode,
        source="vue",
        connu_a=None,
        position=int(position),
        evenements=int(stockes),
        figures=calculer(faits, periode, territoire),
    )


def bilan_flux_vue(engine: sa.Engine, territoire: Territoire, periode: Periode) -> tuple[BilanFlux, int]:
    """The bilan du flux of the period from the live read model, and its position."""
    t = tables_statistiques("")[0]
    with instantane(engine) as conn:
        if not sa.inspect(conn).has_table(t.name):
            raise ValueError(
                f"the {NOM} read model does not exist yet: run `ledger rebuild {NOM}` or follow the log"
            )
        position = position_appliquee(conn)
        du, au = periode.du, periode.au
        r = Faits()
        r.vacances = _lire(conn, t, GENRES[VacanceOuverte], t.c.jour >= du, t.c.jour <= au)
        r.orientations = _lire(conn, t, GENRES[Orientation], t.c.jour <= au)
        r.attributions = _lire(conn, t, GENRES[Attribution], t.c.jour >= du, t.c.jour <= au)
        r.baux = _lire(conn, t, GENRES[Bail], t.c.jour >= du, t.c.jour <= au)
    return bilan_flux(r, periode, territoire), int(position)


def lire_bilan(
    registre: Registre,
    lecteurs: Lecteurs,
    periode: Periode,
    source: str = "journal",
    connu_a: datetime | None = None,
) -> Bilan:
    """Every indicator of the period, from the raw log (`journal`, as known at `connu_a`) or from
    the live read model (`vue`, brought up to date first unless the background does it; as known
    now only): what GET /statistiques answers."""
    if source == "vue":
        if connu_a is not None:
            raise ValueError("the live read model answers as known now only")
        lecteurs.lecteur(NOM)
        return bilan_vue(registre.lecture, registre.territoire, periode)
    return regenerer(registre.lecture, registre.stockage, registre.territoire, periode, connu_a=connu_a)


def lire_bilan_flux(registre: Registre, lecteurs: Lecteurs, periode: Periode, source: str = "vue") -> tuple[BilanFlux, int]:
    """The bilan du flux of the period from the raw log (`journal`) or the live read model (`vue`,
    brought up to date first unless the background does it), and the log position it stands
    for: what GET /bilan-du-flux answers."""
    if source == "journal":
        return bilan_flux_du_journal(registre.engine, registre.stockage, registre.territoire, periode)
    lecteurs.lecteur(NOM)
    return bilan_flux_vue(registre.engine, registre.territoire, periode)


# -- the check ----------------------------------------------------------------------------------


def suiveur_statistiques(registre: Registre) -> Suiveur:
    """This read model alone, for the check run on its own (tests, a script); the ledger's
    processes build theirs with every other in `projections.modeles`."""
    return Suiveur(registre, ProjectionStatistiques(registre))


def confronter(
    registre: Registre, periode: Periode, suiveur: Suiveur | None = None, barre: bool = False
) -> tuple[Bilan, Bilan, list[Ecart]]:
    """(raw log, read model, differences): the read model brought up to date, then the raw log
    regenerated up to the very position the read model stands at."""
    suiveur = suiveur or suiveur_statistiques(registre)
    suiveur.suivre(barre=barre)
    vue = bilan_vue(registre.engine, registre.territoire, periode)
    journal = regenerer(
        registre.engine, registre.stockage, registre.territoire, periode, jusqua=vue.position, barre=barre
    )
    return journal, vue, comparer(journal, vue)


def verifier(registre: Registre, periode: Periode, suiveur: Suiveur | None = None) -> list[Ecart]:
    """Every figure of the period on which the live read model and the raw log disagree: empty
    when they agree to the last digit."""
    return confronter(registre, periode, suiveur)[2]
