"""Read models of deadlines (DOMAIN.md §4), of the pending recours queue and of the schedule's
worklist, rebuilt from the log.

The projection folds each demand in memory as its events stream past (a demand missing from the
cache is loaded up to that event), so a rebuild reads the log once and nothing else.

Deadlines are those of the demand as a command dated that day would find it: what the schedule
owes by then counts as fallen due (`Demande.etat_courant`), so in the minutes between midnight
and the schedule's run the deadlines already agree with the demand view and the ranks. The day a
row was computed is kept in the worklist (`vue_planification`: per demand, the next thing the
schedule must append according to what is stored, and the day the rows stop being right), and
`recalculer` recomputes, when the day reaches it, the few demands whose stored state is behind
their schedule. The schedule itself
reads its work from that table (`demandes_dues`) instead of loading every demand.

`lister_echeances` and `lister_recours` are the queries of GET /echeances and GET /recours."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from adapters.registre import Registre
from domain import horloge
from domain.demande import Demande, EtatDemande, prochaine_echeance
from domain.depot import Depot, cle_depot, enregistrement_du
from domain.echeances import echeances, recours_pendants
from domain.territoire import Territoire
from projections.demandes_suivies import TOPICS_DEMANDE, DemandesSuivies
from projections.lecteurs import Lecteurs
from projections.suivi import Projection


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
    planification = sa.Table(
        f"vue_planification{suffixe}",
        md,
        sa.Column("demande", sa.String(64), primary_key=True),
        # The next notice, RADREN radiation or erasure the stored demand is owed, and its date.
        sa.Column("echeance", sa.Date, nullable=False, index=True),
        sa.Column("quoi", sa.String(20), nullable=False),
        # The day the demand's deadline rows were computed for, and the day they stop being
        # right: the next thing the schedule would append after the ones counted as fallen due.
        sa.Column("calcule_au", sa.Date, nullable=False),
        sa.Column("a_recalculer_le", sa.Date, nullable=True, index=True),
    )
    return [echeance, recours, planification]


TOPICS_DEPOT = tuple(f"domain.depot:Depot.{n}" for n in ("Recu", "Enregistre", "Retracte"))


def ligne_depot(e: Depot.Event) -> dict[str, Any] | None:
    """The deadline row of a dépôt as its latest event leaves it: registration due within 30
    days (R.441-2-4) while it is neither registered nor retracted."""
    if not isinstance(e, Depot.Recu):
        return None
    return {"demande": cle_depot(e.guichet, e.reference), "type": "enregistrement_du",
            "echeance": enregistrement_du(e.occurred_on), "reference": None,
            "detail": f"{e.guichet} {e.reference}"[:200]}


class ProjectionEcheances(Projection):
    nom = "echeances"
    topics = TOPICS_DEMANDE + TOPICS_DEPOT
    version = 3  # 2: deadlines counted with what fell due; the schedule's worklist; 3: dépôts

    def __init__(self, registre: Registre) -> None:
        self.registre = registre
        self.demandes = DemandesSuivies(registre)

    def tables(self, suffixe: str) -> list[sa.Table]:
        return tables_echeances(suffixe)

    def oublier(self) -> None:
        self.demandes.oublier()

    def appliquer_lot(self, conn: sa.Connection, tables: list[sa.Table], evenements: list[Any]) -> None:
        touchees: dict[UUID, Demande] = {}
        for e in evenements:
            if isinstance(e, Depot.Event):
                # A dépôt's row: written at its receipt, gone once registered or retracted.
                t = tables[0]
                conn.execute(sa.delete(t).where(t.c.demande == cle_depot(e.guichet, e.reference)))
                if (ligne := ligne_depot(e)) is not None:
                    conn.execute(sa.insert(t), [ligne])
                continue
            touchees[e.originator_id] = self.demandes.suivre(e)
        if touchees:
            self._ecrire(conn, tables, list(touchees.values()), horloge.aujourdhui())

    def changer_de_jour(self, conn: sa.Connection, tables: list[sa.Table], jour: date) -> int:
        return self.recalculer(conn, tables, jour)

    def recalculer(self, conn: sa.Connection, tables: list[sa.Table], au: date) -> int:
        """Recompute the deadlines of the demands whose schedule fell due after their rows were
        computed (what `etat_courant` adds changed since); returns how many."""
        planification = tables[2]
        numeros = conn.execute(
            sa.select(planification.c.demande)
            .where(planification.c.a_recalculer_le <= au)
            .order_by(planification.c.demande)
        ).scalars().all()
        for i in range(0, len(numeros), 1000):
            demandes = [
                self.demandes.get(Demande.id_pour(n)) or self.registre.demande(n)
                for n in numeros[i : i + 1000]
            ]
            self._ecrire(conn, tables, demandes, au)
        return len(numeros)

    def _ecrire(self, conn: sa.Connection, tables: list[sa.Table], demandes: list[Demande], au: date) -> None:
        t = self.registre.territoire
        numeros = [d.numero_unique for d in demandes]
        for table in tables:
            conn.execute(sa.delete(table).where(table.c.demande.in_(numeros)))
        lignes: tuple[list[dict[str, Any]], ...] = ([], [], [])
        for d in demandes:
            etat = d.etat_courant(au, t.retention_donnees_mois)
            for liste, ajout in zip(lignes, lignes_echeances(d, etat, au, t), strict=True):
                liste.extend(ajout)
        for table, lignes_t in zip(tables, lignes, strict=True):
            if lignes_t:
                conn.execute(sa.insert(table), lignes_t)


def lignes_echeances(
    d: Demande, etat: EtatDemande, au: date, t: Territoire
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of one demand in the three tables (deadlines, pending recours, worklist), from
    its stored state and its state as of `au` (`etat_courant`): shared by the follower and the
    bulk rebuild (projections.reconstruction), so both write the same rows."""
    lignes_e: list[dict[str, Any]] = []
    lignes_r: list[dict[str, Any]] = []
    lignes_p: list[dict[str, Any]] = []
    for x in echeances(etat, t.retention_donnees_mois, t.delai_anormalement_long_mois):
        lignes_e.append(
            {"demande": d.numero_unique, "type": x.type, "echeance": x.echeance,
             "reference": x.reference, "detail": x.detail}
        )
    for r in recours_pendants(etat):
        lignes_r.append(
            {"demande": r.demande, "decote": r.decote, "code": r.code, "decote_le": r.decote_le,
             "notifiee_le": r.notifiee_le, "recours": r.recours, "depose_le": r.depose_le,
             "organisation": r.organisation}
        )
    # From the stored state: what the schedule still has to append.
    due = prochaine_echeance(d.etat, t.retention_donnees_mois)
    if due is not None:
        suivante = prochaine_echeance(etat, t.retention_donnees_mois)
        lignes_p.append(
            {"demande": d.numero_unique, "echeance": due[0], "quoi": due[1], "calcule_au": au,
             "a_recalculer_le": suivante[0] if suivante else None}
        )
    return lignes_e, lignes_r, lignes_p


def demandes_dues(conn: sa.Connection, tables: list[sa.Table], jusquau: date) -> list[str]:
    """The demands the schedule owes something by `jusquau`, by due date: its whole work for
    that day, as of the read model's position."""
    planification = tables[2]
    return list(
        conn.execute(
            sa.select(planification.c.demande)
            .where(planification.c.echeance <= jusquau)
            .order_by(planification.c.echeance, planification.c.demande)
        ).scalars()
    )


def lister_echeances(
    lecteurs: Lecteurs,
    du: date,
    au: date,
    type: str | None = None,
    demande: str | None = None,
    limite: int | None = None,
    apres: tuple[date, str, str, int] | None = None,
) -> list[dict[str, Any]]:
    """The deadlines falling due du..au (both included), of one `type` and one `demande` if
    given, by date, demand and type; the read model brought to today first unless the background
    does it. With `limite`, at most that many rows after the sort key `apres` (date, demand,
    type, reference): a page (`projections.repertoire.Page` for the cursor)."""
    suiveur = lecteurs.lecteur(ProjectionEcheances.nom, horloge.aujourdhui())
    t = suiveur.tables[0]
    q = sa.select(t).where(t.c.echeance >= du, t.c.echeance <= au)
    if type:
        q = q.where(t.c.type == type)
    if demande:
        q = q.where(t.c.demande == demande)
    ref = sa.func.coalesce(t.c.reference, -1)
    if apres is not None:
        q = q.where(sa.tuple_(t.c.echeance, t.c.demande, t.c.type, ref) > sa.tuple_(*apres))
    q = q.order_by(t.c.echeance, t.c.demande, t.c.type, ref)
    if limite is not None:
        q = q.limit(limite)
    with suiveur.lecture.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [dict(r) for r in rows]


def lister_recours(
    lecteurs: Lecteurs,
    organisation: str | None = None,
    demande: str | None = None,
    limite: int | None = None,
    apres: tuple[date, str, int] | None = None,
) -> list[dict[str, Any]]:
    """The pending recours, oldest first; only those `organisation` must decide, of `demande`,
    if given. With `limite`, at most that many after the sort key `apres` (filing date, demand,
    décote)."""
    suiveur = lecteurs.lecteur(ProjectionEcheances.nom)
    t = suiveur.tables[1]
    q = sa.select(t)
    if organisation:
        q = q.where(t.c.organisation == organisation)
    if demande:
        q = q.where(t.c.demande == demande)
    if apres is not None:
        q = q.where(sa.tuple_(t.c.depose_le, t.c.demande, t.c.decote) > sa.tuple_(*apres))
    q = q.order_by(t.c.depose_le, t.c.demande, t.c.decote)
    if limite is not None:
        q = q.limit(limite)
    with suiveur.lecture.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [dict(r) for r in rows]
