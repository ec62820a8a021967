"""Read models of deadlines (DOMAIN.md §4) and of the pending recours queue, rebuilt from the log.

The projection folds each demand in memory as its events stream past (a demand missing from the
cache is loaded up to that event), so a rebuild reads the log once and nothing else."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from adapters.registre import Registre
from domain.demande import Demande
from domain.echeances import echeances, recours_pendants
from projections.demandes_suivies import DemandesSuivies
from projections.suivi import Projection

_TOPICS = tuple(
    f"domain.demande:Demande.{n}"
    for n, v in vars(Demande).items()
    if isinstance(v, type) and issubclass(v, Demande.Event) and n != "Event"
)


def tables_echeances(suffixe: str) -> list[sa.Table]:
    md = sa.MetaData()
    echeance = sa.Table(
        f"vue_echeances{suffixe}",
        md,
        sa.Column("demande", sa.String(64), nullable=False, index=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("echeance", sa.Date, nullable=False, index=True),
        sa.Column("reference", sa.Integer, nullable=True),
        sa.Column("detail", sa.String(200), nullable=False, default=""),
    )
    recours = sa.Table(
        f"vue_recours{suffixe}",
        md,
        sa.Column("demande", sa.String(64), nullable=False, index=True),
        sa.Column("decote", sa.Integer, nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("decote_le", sa.Date, nullable=False),
        sa.Column("notifiee_le", sa.Date, nullable=False),
        sa.Column("recours", sa.Integer, nullable=False),
        sa.Column("depose_le", sa.Date, nullable=False),
        sa.Column("organisation", sa.String(40), nullable=False, index=True),
    )
    return [echeance, recours]


class ProjectionEcheances(Projection):
    nom = "echeances"
    topics = _TOPICS

    def __init__(self, registre: Registre) -> None:
        self.registre = registre
        self.demandes = DemandesSuivies(registre)

    def tables(self, suffixe: str) -> list[sa.Table]:
        return tables_echeances(suffixe)

    def oublier(self) -> None:
        self.demandes.oublier()

    def appliquer_lot(self, conn: sa.Connection, tables: list[sa.Table], evenements: list[Any]) -> None:
        echeance, recours = tables
        touchees: dict[UUID, Demande] = {}
        for e in evenements:
            touchees[e.originator_id] = self.demandes.suivre(e)
        if not touchees:
            return
        t = self.registre.territoire
        numeros = [d.numero_unique for d in touchees.values()]
        conn.execute(sa.delete(echeance).where(echeance.c.demande.in_(numeros)))
        conn.execute(sa.delete(recours).where(recours.c.demande.in_(numeros)))
        lignes_e: list[dict[str, Any]] = []
        lignes_r: list[dict[str, Any]] = []
        for d in touchees.values():
            for x in echeances(d.etat, t.retention_donnees_mois, t.delai_anormalement_long_mois):
                lignes_e.append(
                    {"demande": d.numero_unique, "type": x.type, "echeance": x.echeance,
                     "reference": x.reference, "detail": x.detail}
                )
            for r in recours_pendants(d.etat):
                lignes_r.append(
                    {"demande": r.demande, "decote": r.decote, "code": r.code, "decote_le": r.decote_le,
                     "notifiee_le": r.notifiee_le, "recours": r.recours, "depose_le": r.depose_le,
                     "organisation": r.organisation}
                )
        if lignes_e:
            conn.execute(sa.insert(echeance), lignes_e)
        if lignes_r:
            conn.execute(sa.insert(recours), lignes_r)
