"""The directory the partners find demands and dwellings through: a read model rebuilt from the
log, and its queries, for the pages and the JSON endpoints alike.

Four tables, kept per demand (or per dwelling) as its events stream past:

- **the blind index** (`vue_repertoire_empreintes`): for each person of a demand's current
  personal data, a keyed hash of their normalised name and birth date
  (`adapters.index_aveugle.empreinte`, key outside the database). A search by name and birth date
  hashes what is typed and looks the hash up: no scan, nothing decrypted. The rows go when the
  demand's personal data are erased (CNIL: one year after radiation), so an erased person can no
  longer be found by name.
- **the wishes** (`vue_repertoire_souhaits`): one row per (commune, typology) a demand wishes,
  with its acceptance of a QPV — what the CAL workspace's list of compatible demands joins with
  the cotation read model, walked in rank order (points, filing date, numéro: docs/rules.md "Ranks").
  Whether a demand suits a dwelling is `domain.rang.compatible`; the query's SQL says the same,
  and a test checks it against that function on every demand.
- **the dwellings** (`vue_repertoire_logements`): each dwelling the log follows, its current
  vacancy and its candidates; a dwelling the log does not follow yet is as the territory file
  describes it (`lister_logements` merges both).
- **the decided recours** (`vue_repertoire_recours`): every recours decided, with its décote, so
  that they can be searched (the pending ones are the deadlines read model's queue).

Lists are paginated by a cursor: the key of the last row given, opaque to the client."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import msgspec
import sqlalchemy as sa

from adapters.index_aveugle import charger_cle, empreinte
from adapters.registre import Registre
from domain.codes import DecisionRecours
from domain.demande import Demande
from domain.foyer import DonneesPersonnelles
from domain.logement import Logement
from domain.territoire import LogementSocial
from projections.cotation import ProjectionCotation, rang_courant
from projections.demandes_suivies import TOPICS_DEMANDE, DemandesSuivies
from projections.lecteurs import Lecteurs
from projections.listes import Page, borner, lire_curseur, page_de
from projections.suivi import Projection

NOM = "repertoire"
TOPICS_LOGEMENT = tuple(
    f"domain.logement:Logement.{n}"
    for n, v in vars(Logement).items()
    if isinstance(v, type) and issubclass(v, Logement.Event) and n != "Event"
)


def tables_repertoire(suffixe: str) -> list[sa.Table]:
    md = sa.MetaData()
    empreintes = sa.Table(
        f"vue_repertoire_empreintes{suffixe}",
        md,
        sa.Column("empreinte", sa.String(64), nullable=False, index=True),
        sa.Column("demande", sa.String(64), nullable=False, index=True),
    )
    souhaits = sa.Table(
        f"vue_repertoire_souhaits{suffixe}",
        md,
        sa.Column("demande", sa.String(64), primary_key=True),
        sa.Column("commune", sa.String(5), primary_key=True),
        sa.Column("typologie", sa.String(4), primary_key=True),
        sa.Column("accepte_qpv", sa.Boolean, nullable=False),
    )
    logements = sa.Table(
        f"vue_repertoire_logements{suffixe}",
        md,
        sa.Column("logement", sa.String(64), primary_key=True),
        sa.Column("vacance", sa.Integer, nullable=True),  # the current vacancy's number
        sa.Column("ouverte_le", sa.Date, nullable=True),
        sa.Column("vacant", sa.Boolean, nullable=False),
        sa.Column("candidats", sa.Integer, nullable=False),
        sa.Column("decisions", sa.Integer, nullable=False),
        sa.Column("loue_a", sa.String(64), nullable=True),
    )
    recours = sa.Table(
        f"vue_repertoire_recours{suffixe}",
        md,
        sa.Column("demande", sa.String(64), primary_key=True),
        sa.Column("decote", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("decote_le", sa.Date, nullable=False),
        sa.Column("notifiee_le", sa.Date, nullable=False),
        sa.Column("refus", sa.Integer, nullable=True),
        sa.Column("recours", sa.Integer, nullable=False),
        sa.Column("depose_le", sa.Date, nullable=False),
        sa.Column("decision_evenement", sa.Integer, nullable=False),
        sa.Column("decide_le", sa.Date, nullable=False, index=True),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(40), nullable=False, index=True),
        sa.Column("agent", sa.String(100), nullable=False),
    )
    return [empreintes, souhaits, logements, recours]


class ProjectionRepertoire(Projection):
    nom = NOM
    topics = TOPICS_DEMANDE + TOPICS_LOGEMENT
    version = 1

    def __init__(self, registre: Registre) -> None:
        self.registre = registre
        self.demandes = DemandesSuivies(registre)
        self.logements: dict[UUID, Logement] = {}
        self._cle: bytes | None = None

    @property
    def cle(self) -> bytes:
        """The blind index's key (outside the database), read on first use."""
        if self._cle is None:
            self._cle = charger_cle(self.registre.stockage)
        return self._cle

    def tables(self, suffixe: str) -> list[sa.Table]:
        return tables_repertoire(suffixe)

    def oublier(self) -> None:
        self.demandes.oublier()
        self.logements.clear()

    def appliquer_lot(self, conn: sa.Connection, tables: list[sa.Table], evenements: list[Any]) -> None:
        demandes: dict[UUID, Demande] = {}
        logements: dict[UUID, Logement] = {}
        for e in evenements:
            if isinstance(e, Logement.Event):
                logements[e.originator_id] = self._suivre_logement(e)
            else:
                demandes[e.originator_id] = self.demandes.suivre(e)
        if demandes:
            self._ecrire_demandes(conn, tables, list(demandes.values()))
        if logements:
            self._ecrire_logements(conn, tables[2], list(logements.values()))

    def _suivre_logement(self, e: Any) -> Logement:
        ident = e.originator_id
        lgt = self.logements.get(ident)
        if lgt is not None and lgt.version == e.originator_version - 1:
            e.mutate(lgt)
        elif e.originator_version == 1:
            lgt = e.mutate(None)
        else:
            lgt = self.registre.repository.get(ident, version=e.originator_version)
        self.logements[ident] = lgt
        return lgt

    def _ecrire_demandes(self, conn: sa.Connection, tables: list[sa.Table], demandes: list[Demande]) -> None:
        empreintes, souhaits, _, recours = tables
        numeros = [d.numero_unique for d in demandes]
        for t in (empreintes, souhaits, recours):
            conn.execute(sa.delete(t).where(t.c.demande.in_(numeros)))
        lignes_e: list[dict[str, Any]] = []
        lignes_s: list[dict[str, Any]] = []
        lignes_r: list[dict[str, Any]] = []
        for d in demandes:
            e = d.etat
            if isinstance(e.personnel, DonneesPersonnelles):
                vues = {empreinte(self.cle, i.nom, i.date_naissance) for i in e.personnel.identites}
                lignes_e += [{"empreinte": x, "demande": d.numero_unique} for x in sorted(vues)]
            lignes_s += [
                {"demande": d.numero_unique, "commune": commune, "typologie": typ.value,
                 "accepte_qpv": e.souhaits.accepte_qpv}
                for commune in dict.fromkeys(e.souhaits.communes)
                for typ in dict.fromkeys(e.souhaits.typologies)
            ]
            lignes_r += recours_decides(d)
        for t, lignes in ((empreintes, lignes_e), (souhaits, lignes_s), (recours, lignes_r)):
            if lignes:
                conn.execute(sa.insert(t), lignes)

    def _ecrire_logements(self, conn: sa.Connection, t: sa.Table, logements: list[Logement]) -> None:
        conn.execute(sa.delete(t).where(t.c.logement.in_([lgt.identifiant for lgt in logements])))
        lignes = []
        for lgt in logements:
            v = lgt.vacance_courante
            lignes.append({
                "logement": lgt.identifiant,
                "vacance": v.numero if v else None,
                "ouverte_le": v.ouverte_le if v else None,
                "vacant": lgt.vacant,
                "candidats": len(v.candidats) if v else 0,
                "decisions": sum(1 for c in v.candidats.values() if c.decision is not None) if v else 0,
                "loue_a": v.loue_a if v else None,
            })
        conn.execute(sa.insert(t), lignes)


def recours_decides(d: Demande) -> list[dict[str, Any]]:
    """Every recours of the demand that stands decided (its decision not retracted)."""
    retractes = {f.cible for f in d.faits if isinstance(f, Demande.Retractee)}
    decotes: dict[int, Demande.DecoteAppliquee] = {}
    deposes: dict[int, Demande.RecoursDepose] = {}
    decides: dict[int, Demande.RecoursDecide] = {}
    for f in d.faits:
        if f.originator_version in retractes:
            continue
        if isinstance(f, Demande.DecoteAppliquee):
            decotes[f.originator_version] = f
        elif isinstance(f, Demande.RecoursDepose):
            deposes[f.decote] = f
            decides.pop(f.decote, None)
        elif isinstance(f, Demande.RecoursDecide):
            decides[f.decote] = f
    out = []
    for v, dec in decides.items():
        dc, dp = decotes.get(v), deposes.get(v)
        if dc is None or dp is None:
            continue
        out.append({
            "demande": d.numero_unique, "decote": v, "code": dc.code.value, "decote_le": dc.occurred_on,
            "notifiee_le": dc.notifiee_le, "refus": dc.refus, "recours": dp.originator_version,
            "depose_le": dp.occurred_on, "decision_evenement": dec.originator_version,
            "decide_le": dec.occurred_on, "decision": dec.decision.value,
            "organisation": dec.organisation, "agent": dec.agent,
        })
    return out


# -- the blind index -------------------------------------------------------------------------------


def rechercher(
    lecteurs: Lecteurs, nom: str, date_naissance: date, limite: int | None = None, apres: str | None = None
) -> Page:
    """The demands a person of that name and birth date belongs to (numéros, in order): the
    typed words hashed with the index's key and looked up, never a scan."""
    n = borner(limite)
    suiveur = lecteurs.lecteur(NOM)
    projection = suiveur.projection
    assert isinstance(projection, ProjectionRepertoire)
    t = suiveur.tables[0]
    x = empreinte(projection.cle, nom, date_naissance)
    q = sa.select(t.c.demande).where(t.c.empreinte == x).distinct().order_by(t.c.demande).limit(n + 1)
    cle = lire_curseur(apres, 1)
    if cle:
        q = q.where(t.c.demande > cle[0])
    with suiveur.lecture.connect() as conn:
        numeros = list(conn.execute(q).scalars())
    return page_de(numeros, n, lambda numero: [numero])


# -- dwellings and their vacancies -----------------------------------------------------------------


class LigneLogement(msgspec.Struct, frozen=True):
    identifiant: str
    bailleur: str
    commune: str
    qpv: bool
    typologie: str
    financement: str
    contingent: str
    reservataire: str | None
    suivi: bool  # the log follows it; else the territory file's state
    vacant: bool
    vacance: int | None
    ouverte_le: date | None
    candidats: int
    decisions: int


def lister_logements(
    lecteurs: Lecteurs,
    logements: Sequence[LogementSocial],
    bailleur: str | None = None,
    commune: str | None = None,
    typologie: str | None = None,
    vacant: bool | None = None,
    limite: int | None = None,
    apres: str | None = None,
) -> Page:
    """The territory's dwellings by identifier, filtered, each with its current vacancy as the
    log knows it (or as the territory file says, for a dwelling the log does not follow yet)."""
    n = borner(limite)
    cle = lire_curseur(apres, 1)
    choisis = [
        s for s in logements
        if (bailleur is None or s.bailleur == bailleur)
        and (commune is None or s.commune == commune)
        and (typologie is None or s.typologie.value == typologie)
        and (cle is None or s.identifiant > cle[0])
    ]
    choisis.sort(key=lambda s: s.identifiant)
    suiveur = lecteurs.lecteur(NOM)
    t = suiveur.tables[2]
    with suiveur.lecture.connect() as conn:
        if vacant is None:
            # Only the rows of the page's candidates are needed.
            suivis = {}
            for i in range(0, min(len(choisis), n + 1), 900):
                ids = [s.identifiant for s in choisis[i : min(i + 900, n + 1)]]
                suivis.update({r.logement: r for r in conn.execute(sa.select(t).where(t.c.logement.in_(ids)))})
        else:
            suivis = {r.logement: r for r in conn.execute(sa.select(t))}
    lignes: list[LigneLogement] = []
    for s in choisis:
        r = suivis.get(s.identifiant)
        ligne = LigneLogement(
            s.identifiant, s.bailleur, s.commune, s.qpv, s.typologie.value, s.financement.value,
            s.contingent.value, s.reservataire, r is not None,
            r.vacant if r is not None else s.vacant,
            r.vacance if r is not None else (1 if s.vacant else None),
            r.ouverte_le if r is not None else None,
            r.candidats if r is not None else 0,
            r.decisions if r is not None else 0,
        )
        if vacant is not None and ligne.vacant != vacant:
            continue
        lignes.append(ligne)
        if len(lignes) > n:
            break
    return page_de(lignes, n, lambda x: [x.identifiant])


# -- the CAL's list: compatible active demands in rank order -----------------------------------------


class Compatible(msgspec.Struct, frozen=True):
    rang: int  # among the compatible demands
    numero_unique: str
    points: int
    filed_on: date
    typologie: str | None  # first choice


def compatibles(
    lecteurs: Lecteurs, spec: LogementSocial, jour: date, limite: int | None = None, apres: str | None = None
) -> Page:
    """The active scored demands that wish the dwelling's typology in its commune (and accept a
    QPV if it is in one), in rank order (points descending, filing date, numéro unique), as the
    cotation read model stands on `jour`. The cotation's order index is walked from the top and
    each demand's wishes probed: the first page costs about (page size / share of compatible
    demands) index entries, whatever the territory's size."""
    n = borner(limite)
    cotation = lecteurs.lecteur(ProjectionCotation.nom, jour)
    repertoire = lecteurs.lecteur(NOM)
    (c,) = cotation.tables
    s = repertoire.tables[1]
    voeu = (
        sa.select(sa.literal(1))
        .where(s.c.demande == c.c.demande, s.c.commune == spec.commune, s.c.typologie == spec.typologie.value)
    )
    if spec.qpv:
        voeu = voeu.where(s.c.accepte_qpv)
    q = (
        sa.select(c.c.demande, c.c.points, c.c.filed_on, c.c.typologie)
        .where(c.c.active, c.c.points.is_not(None), voeu.exists())
        .order_by(c.c.active, c.c.points.desc(), c.c.filed_on, c.c.demande)
        .limit(n + 1)
    )
    cle = lire_curseur(apres, 4)
    premier = 1
    if cle:
        rang, points, filed_on, numero = cle
        premier = int(rang) + 1
        jour_depot = date.fromisoformat(filed_on)
        q = q.where(
            sa.or_(
                c.c.points < points,
                sa.and_(c.c.points == points, sa.tuple_(c.c.filed_on, c.c.demande) > sa.tuple_(jour_depot, numero)),
            )
        )
    with cotation.lecture.connect() as conn:
        rows = conn.execute(q).all()
    lignes = [Compatible(premier + i, r.demande, r.points, r.filed_on, r.typologie) for i, r in enumerate(rows)]
    return page_de(lignes, n, lambda x: [x.rang, x.points, x.filed_on, x.numero_unique])


# -- decided recours -------------------------------------------------------------------------------


class RecoursDecideLigne(msgspec.Struct, frozen=True):
    demande: str
    decote: int
    code: str
    decote_le: date
    notifiee_le: date
    refus: int | None
    recours: int
    depose_le: date
    decision_evenement: int
    decide_le: date
    decision: DecisionRecours
    organisation: str
    agent: str


def lister_recours_decides(
    lecteurs: Lecteurs,
    organisation: str | None = None,
    decision: str | None = None,
    demande: str | None = None,
    du: date | None = None,
    au: date | None = None,
    limite: int | None = None,
    apres: str | None = None,
) -> Page:
    """The decided recours, most recent decision first, filtered by deciding organisation,
    decision (annulee, maintenue), demand and decision dates (both included)."""
    n = borner(limite)
    suiveur = lecteurs.lecteur(NOM)
    t = suiveur.tables[3]
    q = sa.select(t)
    if organisation:
        q = q.where(t.c.organisation == organisation)
    if decision:
        q = q.where(t.c.decision == decision)
    if demande:
        q = q.where(t.c.demande == demande)
    if du:
        q = q.where(t.c.decide_le >= du)
    if au:
        q = q.where(t.c.decide_le <= au)
    cle = lire_curseur(apres, 3)
    if cle:
        jour, numero, decote = date.fromisoformat(cle[0]), cle[1], int(cle[2])
        q = q.where(
            sa.or_(
                t.c.decide_le < jour,
                sa.and_(t.c.decide_le == jour, sa.tuple_(t.c.demande, t.c.decote) > sa.tuple_(numero, decote)),
            )
        )
    q = q.order_by(t.c.decide_le.desc(), t.c.demande, t.c.decote).limit(n + 1)
    with suiveur.lecture.connect() as conn:
        rows = conn.execute(q).all()
    lignes = [msgspec.convert({str(k): v for k, v in r._asdict().items()}, RecoursDecideLigne) for r in rows]
    return page_de(lignes, n, lambda x: [x.decide_le, x.demande, x.decote])


# -- a vacancy's candidates ------------------------------------------------------------------------


class CandidatVacance(msgspec.Struct, frozen=True):
    numero_unique: str
    decision: str | None
    rang_cal: int | None  # rank given by the CAL (attribution par classement)
    cal: date | None
    refuse: bool
    condition_levee: bool
    points: int | None  # today, from the cotation read model
    rang: int | None  # current overall rank
    sur: int | None
    favorable: bool = False  # answered favourably before the CAL: counts towards three (R.441-3)


class Vacance(msgspec.Struct, frozen=True):
    logement: LigneLogement
    candidats: list[CandidatVacance]
    loue_a: str | None


def vacance_du_logement(registre: Registre, lecteurs: Lecteurs, spec: LogementSocial, jour: date) -> Vacance:
    """A dwelling's current vacancy as the dwelling aggregate holds it: its candidates in the
    order they were designated, each with its CAL decision and refusal, and its points and
    current rank today (`rang_courant`, as every other face reads it)."""
    (ligne,) = lister_logements(lecteurs, [spec], limite=1).lignes
    lgt = registre.logement(spec.identifiant)
    v = lgt.vacance_courante if lgt is not None else None
    candidats = []
    if v is not None:
        cotation = lecteurs.lecteur(ProjectionCotation.nom, jour)
        (t,) = cotation.tables
        with cotation.lecture.connect() as conn:
            points = dict(conn.execute(
                sa.select(t.c.demande, t.c.points).where(t.c.demande.in_(list(v.candidats) or [""]))
            ).all())
        for numero, c in v.candidats.items():
            r = rang_courant(lecteurs, numero, jour)
            candidats.append(CandidatVacance(
                numero, c.decision.value if c.decision else None, c.rang, c.cal, c.refuse, c.condition_levee,
                points.get(numero), r.rang if r else None, r.sur if r else None, c.favorable,
            ))
    return Vacance(ligne, candidats, v.loue_a if v is not None else None)
