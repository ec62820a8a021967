"""Read model of current cotation scores, from which ranks are counted (docs/rules.md "Ranks").

Scores depend on the day (ages, ancienneté, décotes expiring), not only on events: each row
remembers the day it was computed for and the first day its score can change with no new event
(`domain.changements_cotation.prochain_changement`); `recalculer` brings the read model to a new
day by rescoring only the rows whose day has come (the follower does it when the date changes,
`ledger schedule` too).

One demand's rank is read without counting the whole territory: beside the scores, a small table
(`vue_cotation_effectifs`) holds how many active scored demands have each (first-choice typology,
points), and a finer one (`vue_cotation_effectifs_mois`) how many have each (points, filing
month, typology), both kept exact in the same transaction as every write of a score. The demands
ahead of a demand are then those of the buckets with more points (a sum over a few hundred rows),
those tied on its points filed in an earlier month (a range of the finer table: a row per month
and typology), and those tied on its points filed earlier in its own month, or the same day with
a smaller numéro (an index range on (active, points, filed_on, demande), a month's filings at
most: at a million active demands the ties on one points value are ≈ 16,000, a month of them
≈ 1,300). Every write of a score goes through `ecrire`,
which locks the rows it replaces (`SELECT … FOR UPDATE` on PostgreSQL, in numéro order), so
concurrent writers (the follower, `recalculer` from several API threads) keep the counts exact."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

import sqlalchemy as sa

from adapters.registre import Registre
from domain import horloge
from domain.changements_cotation import prochain_changement
from domain.cotation import Grille, coter
from domain.demande import Demande, EtatDemande
from domain.territoire import Territoire
from projections.demandes_suivies import TOPICS_DEMANDE, DemandesSuivies
from projections.lecteurs import Lecteurs
from projections.suivi import Projection

LOT_RECALCUL = 1000  # rows brought to a new day per statement batch
_IN_MAX = 900  # bound parameters per IN list (SQLite's limit is far higher; keeps plans simple)
SANS_TYPOLOGIE = ""  # the counts' key for a demand without a first-choice typology
ANALYSER_APRES = 10_000  # rows rewritten by recalculer after which PostgreSQL re-analyses


def tables_cotation(suffixe: str) -> list[sa.Table]:
    md = sa.MetaData()
    t = sa.Table(
        f"vue_cotation{suffixe}",
        md,
        sa.Column("demande", sa.String(64), primary_key=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("points", sa.Integer, nullable=True),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("typologie", sa.String(4), nullable=True),
        sa.Column("version_grille", sa.String(40), nullable=True),
        sa.Column("calcule_au", sa.Date, nullable=False),
        # The first day on which this score can differ with no new event (None: never), from
        # `domain.changements_cotation.prochain_changement`: the day's recompute rescores only
        # the rows whose day has come. A row is the score of every day from `calcule_au` to the
        # day before this one.
        sa.Column("prochain_changement", sa.Date, nullable=True),
    )
    # The typology rides along (PostgreSQL): counting a rank's ties needs no visit of the table
    # where the visibility map is set (after the follower's VACUUM).
    sa.Index(
        f"ix_vue_cotation{suffixe}_ordre",
        t.c.active,
        t.c.points.desc(),
        t.c.filed_on,
        t.c.demande,
        postgresql_include=["typologie"],
    )
    # `recalculer` asks on every score read whether any active row is due: the first entries
    # of these indexes, whatever the planner's statistics say.
    sa.Index(
        f"ix_vue_cotation{suffixe}_calcule_au",
        t.c.calcule_au,
        postgresql_where=t.c.active,
        sqlite_where=t.c.active,
    )
    sa.Index(
        f"ix_vue_cotation{suffixe}_prochain",
        t.c.prochain_changement,
        postgresql_where=t.c.active,
        sqlite_where=t.c.active,
    )
    return [t]


_EFFECTIFS: dict[str, sa.Table] = {}
_EFFECTIFS_MOIS: dict[str, sa.Table] = {}

# A counts bucket: (first-choice typology or SANS_TYPOLOGIE, points, first day of the filing month).
Case = tuple[str, int, date]


def effectifs(t: sa.Table) -> sa.Table:
    """The counts table that goes with the score table `t` (same suffix, swapped with it)."""
    nom = f"{t.name}_effectifs"
    h = _EFFECTIFS.get(nom)
    if h is None:
        h = sa.Table(
            nom,
            sa.MetaData(),
            sa.Column("typologie", sa.String(4), primary_key=True),  # SANS_TYPOLOGIE for none
            sa.Column("points", sa.Integer, primary_key=True),
            sa.Column("n", sa.Integer, nullable=False),
        )
        _EFFECTIFS[nom] = h
    return h


def effectifs_mois(t: sa.Table) -> sa.Table:
    """The counts per (points, filing month, typology) that go with the score table `t`: its
    primary key's order makes "tied on points, filed in an earlier month" one index range."""
    nom = f"{t.name}_effectifs_mois"
    h = _EFFECTIFS_MOIS.get(nom)
    if h is None:
        h = sa.Table(
            nom,
            sa.MetaData(),
            sa.Column("points", sa.Integer, primary_key=True),
            sa.Column("mois", sa.Date, primary_key=True),  # the first day of the filing month
            sa.Column("typologie", sa.String(4), primary_key=True),  # SANS_TYPOLOGIE for none
            sa.Column("n", sa.Integer, nullable=False),
        )
        _EFFECTIFS_MOIS[nom] = h
    return h


def case_effectifs(active: bool, points: int | None, typologie: str | None, filed_on: date) -> Case | None:
    """The bucket a row counts in, or None when it is out of every ranking."""
    if not active or points is None:
        return None
    return (typologie or SANS_TYPOLOGIE, points, filed_on.replace(day=1))


def ecrire(
    conn: sa.Connection,
    t: sa.Table,
    lignes: Iterable[dict[str, Any]],
    differer: Counter[Case] | None = None,
) -> None:
    """Insert or replace score rows, keeping the counts table exact, inside the caller's
    transaction. The rows replaced are locked first, in numéro order, so two writers of the
    same demand queue up instead of both counting it. With `differer`, the counts' changes are
    added to it for the caller to apply once (`ajouter_effectifs`) before it commits: a
    transaction that writes many batches then updates each count row once, not once a batch."""
    par_numero = {x["demande"]: x for x in lignes}
    if not par_numero:
        return
    numeros = sorted(par_numero)
    anciennes: dict[str, Any] = {}
    for i in range(0, len(numeros), _IN_MAX):
        q = (
            sa.select(t.c.demande, t.c.active, t.c.points, t.c.typologie, t.c.filed_on)
            .where(t.c.demande.in_(numeros[i : i + _IN_MAX]))
            .order_by(t.c.demande)
            .with_for_update()  # PostgreSQL; SQLite has one writer at a time anyway
        )
        for r in conn.execute(q):
            anciennes[r.demande] = r
    delta: Counter[Case] = Counter()
    remplacees: list[dict[str, Any]] = []
    neuves: list[dict[str, Any]] = []
    for n in numeros:
        x = par_numero[n]
        a = anciennes.get(n)
        if a is not None:
            avant = case_effectifs(a.active, a.points, a.typologie, a.filed_on)
            if avant is not None:
                delta[avant] -= 1
            remplacees.append({f"_{k}": v for k, v in x.items()})
        else:
            neuves.append(x)
        apres = case_effectifs(x["active"], x["points"], x["typologie"], x["filed_on"])
        if apres is not None:
            delta[apres] += 1
    if remplacees:
        # UPDATE, not DELETE + INSERT: a writer that waited on the row lock then sees the new
        # version (PostgreSQL follows the update chain) instead of a row that vanished.
        conn.execute(
            sa.update(t)
            .where(t.c.demande == sa.bindparam("_demande"))
            .values({c.name: sa.bindparam(f"_{c.name}") for c in t.columns if c.name != "demande"}),
            remplacees,
        )
    if neuves:
        conn.execute(sa.insert(t), neuves)
    if differer is not None:
        differer.update(delta)
    else:
        ajouter_effectifs(conn, t, delta)


def ajouter_effectifs(conn: sa.Connection, t: sa.Table, delta: Counter[Case]) -> None:
    """Move both counts tables of `t` by `delta` (the coarse one first, each in key order, so
    that writers never deadlock)."""
    grosses: Counter[tuple[str, int]] = Counter()
    fines: Counter[tuple[int, date, str]] = Counter()
    for (typ, p, mois), n in delta.items():
        grosses[(typ, p)] += n
        fines[(p, mois, typ)] += n
    h = effectifs(t)
    _deplacer(conn, h, [h.c.typologie, h.c.points], grosses)
    hm = effectifs_mois(t)
    _deplacer(conn, hm, [hm.c.points, hm.c.mois, hm.c.typologie], fines)


def _deplacer(conn: sa.Connection, h: sa.Table, cle: list[sa.Column[Any]], delta: Counter[Any]) -> None:
    noms = [c.name for c in cle]
    valeurs = [{**dict(zip(noms, k, strict=True)), "n": n} for k, n in sorted(delta.items()) if n]
    if not valeurs:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(h)
    conn.execute(stmt.on_conflict_do_update(index_elements=cle, set_={"n": h.c.n + stmt.excluded.n}), valeurs)
    # Buckets emptied by this write go (only rows this transaction has just locked).
    cles = [tuple(v[x] for x in noms) for v in valeurs if v["n"] < 0]
    pas = _IN_MAX // len(noms)
    for i in range(0, len(cles), pas):
        conn.execute(sa.delete(h).where(sa.tuple_(*cle).in_(cles[i : i + pas]), h.c.n == 0))


def compter_effectifs(conn: sa.Connection, t: sa.Table) -> dict[Case, int]:
    """The counts recounted from the scores themselves (a full scan), per bucket: what the
    counts tables must hold (`lire_effectifs`), for checks and to fill them for a score table
    that predates them."""
    rows = conn.execute(
        sa.select(t.c.typologie, t.c.points, t.c.filed_on, sa.func.count())
        .where(t.c.active, t.c.points.is_not(None))
        .group_by(t.c.typologie, t.c.points, t.c.filed_on)
    ).all()
    out: Counter[Case] = Counter()
    for typ, p, f, n in rows:
        cle = case_effectifs(True, p, typ, f)
        assert cle is not None
        out[cle] += n
    return dict(out)


def lire_effectifs(conn: sa.Connection, t: sa.Table) -> dict[Case, int]:
    """Both counts tables as buckets, comparable with `compter_effectifs`; raises if the coarse
    table is not the sum of the finer one (they are written together, so they never differ)."""
    h, hm = effectifs(t), effectifs_mois(t)
    fines = {(r.typologie, r.points, r.mois): r.n for r in conn.execute(sa.select(hm))}
    grosses = {(r.typologie, r.points): r.n for r in conn.execute(sa.select(h))}
    sommes: Counter[tuple[str, int]] = Counter()
    for (typ, p, _), n in fines.items():
        sommes[(typ, p)] += n
    if grosses != dict(sommes):
        raise AssertionError(f"{h.name} is not the sum of {hm.name}")
    return fines


class ProjectionCotation(Projection):
    nom = "cotation"
    topics = TOPICS_DEMANDE
    # 2: a demand owed its RADREN radiation is out of the ranking at once; 3: a criterion that
    # requires a justification counts only once justified; 4: each row keeps the day its score
    # can next change, and the day's recompute rescores only those due.
    version = 4

    def __init__(self, registre: Registre) -> None:
        self.registre = registre
        self.demandes = DemandesSuivies(registre)

    def tables(self, suffixe: str) -> list[sa.Table]:
        return tables_cotation(suffixe)

    def annexes(self, suffixe: str) -> list[sa.Table]:
        return [x for t in tables_cotation(suffixe) for x in (effectifs(t), effectifs_mois(t))]

    def preparer(self, conn: sa.Connection, tables: list[sa.Table]) -> None:
        # A score table filled before the counts existed, or before the finer ones: count it
        # once (both tables, from the scores).
        (t,) = tables
        if conn.execute(sa.select(effectifs_mois(t)).limit(1)).first() is not None:
            return
        conn.execute(sa.delete(effectifs(t)))
        attendus = compter_effectifs(conn, t)
        if attendus:
            ajouter_effectifs(conn, t, Counter(attendus))

    def oublier(self) -> None:
        self.demandes.oublier()

    def ligne(self, d: Demande, au: date) -> dict[str, Any]:
        # What fell due by `au` counts as fallen due, so a demand whose RADREN the schedule has
        # not appended yet is already out of everyone's ranking.
        etat = d.etat_courant(au, self.registre.territoire.retention_donnees_mois)
        return ligne_cotation(etat, au, self.registre.territoire, self.registre.grille, d.faits)

    def appliquer_lot(self, conn: sa.Connection, tables: list[sa.Table], evenements: list[Any]) -> None:
        (t,) = tables
        touchees: dict[UUID, Demande] = {}
        for e in evenements:
            touchees[e.originator_id] = self.demandes.suivre(e)
        au = horloge.aujourdhui()
        ecrire(conn, t, [self.ligne(d, au) for d in touchees.values()])

    def changer_de_jour(self, conn: sa.Connection, tables: list[sa.Table], jour: date) -> int:
        return self.recalculer(conn, tables[0], jour)

    def recalculer(self, conn: sa.Connection, t: sa.Table, au: date) -> int:
        """Bring every active demand's score to `au`; returns how many rows were rescored: those
        whose next change (`prochain_changement`) has come by `au`, and those computed for a
        later day (a day moved backwards). The others' score as of `au` is the one they hold."""
        a_refaire = sa.or_(t.c.prochain_changement <= au, t.c.calcule_au > au)
        # Two index probes (each its own subquery: SQLite optimises a lone min or max only).
        premier, dernier = conn.execute(
            sa.select(
                sa.select(sa.func.min(t.c.prochain_changement)).where(t.c.active).scalar_subquery(),
                sa.select(sa.func.max(t.c.calcule_au)).where(t.c.active).scalar_subquery(),
            )
        ).one()
        if (premier is None or premier > au) and (dernier is None or dernier <= au):
            return 0
        numeros = conn.execute(
            sa.select(t.c.demande).where(t.c.active, a_refaire).order_by(t.c.demande)
        ).scalars().all()
        delta: Counter[Case] = Counter()
        for i in range(0, len(numeros), LOT_RECALCUL):
            lignes = []
            for n in numeros[i : i + LOT_RECALCUL]:
                d = self.demandes.get(Demande.id_pour(n)) or self.registre.demande(n)
                lignes.append(self.ligne(d, au))
            ecrire(conn, t, lignes, differer=delta)
        ajouter_effectifs(conn, t, delta)
        if len(numeros) >= ANALYSER_APRES and conn.dialect.name == "postgresql":
            # The planner's statistics still say these rows were due.
            conn.exec_driver_sql(f"ANALYZE {t.name}")
        return len(numeros)


def ligne_cotation(
    etat: EtatDemande, au: date, territoire: Territoire, grille: Grille | None, faits: Sequence[Any] = ()
) -> dict[str, Any]:
    """The score row of a demand from its state as of `au` (`Demande.etat_courant`) and its
    recorded facts (those dated after `au` are a change to come): shared by the follower and the
    bulk rebuild (projections.reconstruction), so both write the same row."""
    points = version = None
    if etat.active and grille is not None and au >= grille.versions[0].effective_du:
        c = coter(etat, au, territoire, grille)
        points, version = c.points, c.version
    typologies = etat.souhaits.typologies
    return {
        "demande": etat.numero_unique,
        "active": etat.active,
        "points": points,
        "filed_on": etat.filed_on,
        "typologie": typologies[0].value if typologies else None,
        "version_grille": version,
        "calcule_au": au,
        "prochain_changement": prochain_changement(etat, au, territoire, grille, faits),
    }


_REQUETES_RANG: dict[tuple[str, str], sa.TextClause] = {}


def _requete_rang(t: sa.Table, dialecte: str) -> sa.TextClause:
    """The statement of `rang` for this table, built once: plain SQL with the numéro bound, so
    that a rank is one round trip and next to no Python (it is read on every score request)."""
    q = _REQUETES_RANG.get((t.name, dialecte))
    if q is None:
        h, hm = effectifs(t).name, effectifs_mois(t).name

        def de_moi(colonne: str) -> str:
            # A primary-key lookup, evaluated once (an InitPlan on PostgreSQL).
            return f"(SELECT {colonne} FROM {t.name} WHERE demande = :n)"

        p, f, typ = de_moi("points"), de_moi("filed_on"), de_moi("COALESCE(typologie, '')")
        # The first day of the demand's filing month (a date on PostgreSQL, ISO text on SQLite,
        # as each stores a Date), the same day `case_effectifs` keys the finer counts by.
        mois = (
            de_moi("CAST(date_trunc('month', filed_on) AS date)") if dialecte == "postgresql"
            else de_moi("date(filed_on, 'start of month')")
        )
        # Ahead: the buckets with more points (a sum over a few hundred rows); the demands tied
        # on points filed in an earlier month (a range of the finer counts' primary key); those
        # tied on points filed earlier in the same month, or the same day with a smaller numéro
        # (a range of the index on active, points, filed_on, demande, one month long at most).
        q = sa.text(
            f"SELECT {de_moi('active')} AS active, {p} AS points, "
            "c.devant, c.sur, c.devant_typ, c.sur_typ, m.avant, m.avant_typ, e.egaux, e.egaux_typ FROM "
            f"(SELECT COALESCE(SUM(CASE WHEN points > {p} THEN n ELSE 0 END), 0) AS devant, "
            "COALESCE(SUM(n), 0) AS sur, "
            f"COALESCE(SUM(CASE WHEN typologie = {typ} AND points > {p} THEN n ELSE 0 END), 0) AS devant_typ, "
            f"COALESCE(SUM(CASE WHEN typologie = {typ} THEN n ELSE 0 END), 0) AS sur_typ "
            f"FROM {h}) AS c, "
            "(SELECT COALESCE(SUM(n), 0) AS avant, "
            f"COALESCE(SUM(CASE WHEN typologie = {typ} THEN n ELSE 0 END), 0) AS avant_typ "
            f"FROM {hm} WHERE points = {p} AND mois < {mois}) AS m, "
            "(SELECT COUNT(*) AS egaux, "
            f"COALESCE(SUM(CASE WHEN COALESCE(typologie, '') = {typ} THEN 1 ELSE 0 END), 0) AS egaux_typ "
            f"FROM {t.name} WHERE active AND points = {p} AND filed_on >= {mois} "
            f"AND (filed_on, demande) < ({f}, :n)) AS e"
        ).bindparams(sa.bindparam("n", type_=sa.String))
        _REQUETES_RANG[(t.name, dialecte)] = q
    return q


def rang(conn: sa.Connection, t: sa.Table, numero: str) -> tuple[int, int, int, int] | None:
    """(rank, out of, rank in first-choice typology, out of), by points desc, filed_on, numéro;
    None for a demand unknown, radiated or without a score.

    One statement whatever the territory's size: the demand's row, the counts tables (one row
    per typology and points value; one per month and typology on its points) and the demands
    tied on its points filed in its month."""
    r = conn.execute(_requete_rang(t, conn.dialect.name), {"n": numero}).one()
    if not r.active or r.points is None:
        return None
    return (
        int(r.devant) + int(r.avant) + int(r.egaux) + 1,
        int(r.sur),
        int(r.devant_typ) + int(r.avant_typ) + int(r.egaux_typ) + 1,
        int(r.sur_typ),
    )


class RangCourant(NamedTuple):
    """A demand's rank today: among every active scored demand, and among those of its
    first-choice typology (the fields of the same name in the cotation and demandeur answers)."""

    rang: int
    sur: int
    rang_typologie: int
    sur_typologie: int


def rang_courant(lecteurs: Lecteurs, numero: str, jour: date) -> RangCourant | None:
    """The current rank: the cotation read model brought to `jour` (today) unless the background
    does it, then `rang`. None for a demand unknown, radiated or without a score. The one place
    the current rank is read, for GET /demandes/{n}/cotation and the demandeur's information."""
    suiveur = lecteurs.lecteur(ProjectionCotation.nom, jour)
    (t,) = suiveur.tables
    # One statement: in autocommit, one round trip (no BEGIN, no ROLLBACK when the pool takes
    # the connection back), the same snapshot a transaction would have given it.
    with suiveur.lecture.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        r = rang(conn, t, numero)
    return None if r is None else RangCourant(*r)
