"""Read model of current cotation scores, from which ranks are counted (DOMAIN.md §5.4).

Scores depend on the day (ages, ancienneté, décotes expiring), not only on events: each row
remembers the day it was computed for, and `recalculer` brings every active demand to a new day
(the follower does it when the date changes, `ledger schedule` too)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from adapters.registre import Registre
from domain import horloge
from domain.cotation import coter
from domain.demande import Demande
from projections.demandes_suivies import DemandesSuivies
from projections.echeances import _TOPICS
from projections.suivi import Projection


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
    )
    sa.Index(f"ix_vue_cotation{suffixe}_ordre", t.c.active, t.c.points.desc(), t.c.filed_on, t.c.demande)
    return [t]


class ProjectionCotation(Projection):
    nom = "cotation"
    topics = _TOPICS

    def __init__(self, registre: Registre) -> None:
        self.registre = registre
        self.demandes = DemandesSuivies(registre)

    def tables(self, suffixe: str) -> list[sa.Table]:
        return tables_cotation(suffixe)

    def oublier(self) -> None:
        self.demandes.oublier()

    def ligne(self, d: Demande, au: date) -> dict[str, Any]:
        etat = d.etat_au(au)
        points = version = None
        grille = self.registre.grille
        if etat.active and grille is not None and au >= grille.versions[0].effective_du:
            c = coter(etat, au, self.registre.territoire, grille)
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
        }

    def appliquer_lot(self, conn: sa.Connection, tables: list[sa.Table], evenements: list[Any]) -> None:
        (t,) = tables
        touchees: dict[UUID, Demande] = {}
        for e in evenements:
            touchees[e.originator_id] = self.demandes.suivre(e)
        au = horloge.aujourdhui()
        lignes = [self.ligne(d, au) for d in touchees.values()]
        conn.execute(sa.delete(t).where(t.c.demande.in_([x["demande"] for x in lignes])))
        conn.execute(sa.insert(t), lignes)

    def recalculer(self, conn: sa.Connection, t: sa.Table, au: date) -> int:
        """Bring every active demand's score to `au`; returns how many rows changed day."""
        numeros = conn.execute(
            sa.select(t.c.demande).where(t.c.active, t.c.calcule_au != au)
        ).scalars().all()
        for n in numeros:
            d = self.demandes.get(Demande.id_pour(n)) or self.registre.demande(n)
            conn.execute(sa.update(t).where(t.c.demande == n).values(**self.ligne(d, au)))
        return len(numeros)


def rang(conn: sa.Connection, t: sa.Table, numero: str) -> tuple[int, int, int, int] | None:
    """(rank, out of, rank in first-choice typology, out of), by points desc, filed_on, numéro."""
    row = conn.execute(sa.select(t).where(t.c.demande == numero)).mappings().one_or_none()
    if row is None or not row["active"] or row["points"] is None:
        return None
    p, f, n, typ = row["points"], row["filed_on"], row["demande"], row["typologie"]
    devant = sa.and_(
        t.c.active,
        t.c.points.is_not(None),
        sa.or_(
            t.c.points > p,
            sa.and_(t.c.points == p, t.c.filed_on < f),
            sa.and_(t.c.points == p, t.c.filed_on == f, t.c.demande < n),
        ),
    )
    actives = sa.and_(t.c.active, t.c.points.is_not(None))
    compter = lambda *c: conn.execute(sa.select(sa.func.count()).select_from(t).where(*c)).scalar_one()  # noqa: E731
    return (
        compter(devant) + 1,
        compter(actives),
        compter(devant, t.c.typologie == typ) + 1,
        compter(actives, t.c.typologie == typ),
    )
