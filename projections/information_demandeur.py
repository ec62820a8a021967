"""The demandeur's information (CCH R.441-2-17; docs/demandeur.md): their points and rank, the
waiting time of similar demands last year, their CAL decisions and motifs, the consequences of a
refusal, and their history — the figures a demandeur reads about their own demand, computed here
once for every face that shows them (the JSON endpoint `GET /demandeur/{n}`, a future page).

The points and rank are those of GET /demandes/{n}/cotation today (`expliquer`,
`projections.cotation.rang_courant`). The waiting time is read from the live statistics read
model (`projections.vue_statistiques`): the previous calendar year's baux, one index range,
aggregated per (typology, commune) once per year and read-model position, and kept in memory until
the log moves (`AttentesParAnnee`, one per application). The arithmetic is the observatory's
(`indicateurs.attente`), so the figure is the `attente_moyenne` of dimension `typologie_commune`
of that year, to the last digit. Decisions, refusals and décotes are read from the demand's own
events; the deadlines they carry come from `domain.calendrier`, which decides them."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import msgspec
import sqlalchemy as sa

from adapters.registre import Registre
from domain import calendrier
from domain.codes import DecisionRecours, QualificationRefus, TypeDecisionCAL
from domain.demande import Demande
from domain.erreurs import RegleEnfreinte
from domain.pieces import LIBELLES_PIECES
from domain.regles_decotes import recours_encore_possible, statut_decote
from projections import demandeur_suivi as suivi
from projections.commissions import ExamenEnCAL
from projections.cotation import rang_courant
from projections.demandeur_suivi import DelaiAnormalementLong, LogementPropose
from projections.explication import expliquer
from projections.historique import EntreeHistorique, historique
from projections.indicateurs import Bail, Periode, attente
from projections.lecteurs import Lecteurs
from projections.modeles import STATISTIQUES
from projections.vue_statistiques import baux_de_la_periode, instantane, position_appliquee

JOURS_PAR_MOIS = Decimal("365.25") / 12


class Critere(msgspec.Struct, frozen=True):
    code: str
    libelle: str
    points: int
    detail: str


class CritereEnAttente(msgspec.Struct, frozen=True):
    """A criterion of the grid the demand meets but whose points wait for its justification,
    and the pièces that would earn them (docs/demandeur.md)."""

    code: str
    libelle: str
    points: int
    justificatifs: list[str]
    message: str


class Cotation(msgspec.Struct, frozen=True):
    au: date
    points: int | None  # None: no grid in force, or not scored
    version_grille: str | None
    criteres: list[Critere]
    typologie: str | None  # first-choice typology, the rank's second ranking
    rang: int | None = None  # None for a radiated demand: out of every ranking
    sur: int | None = None
    rang_typologie: int | None = None
    sur_typologie: int | None = None
    message: str = ""
    en_attente: list[CritereEnAttente] = msgspec.field(default_factory=list)


class Attente(msgspec.Struct, frozen=True):
    """Waiting time (bail − dépôt) of the baux signed in `annee` for the demand's first-choice
    typology in its first-choice commune."""

    annee: int
    typologie: str | None
    commune: str | None
    commune_nom: str | None
    baux: int
    moyenne_jours: Decimal | None
    mediane_jours: Decimal | None
    moyenne_mois: Decimal | None
    mediane_mois: Decimal | None
    message: str


class DecisionCAL(msgspec.Struct, frozen=True):
    evenement: int
    occurred_on: date
    logement: str
    commune: str | None
    typologie: str | None
    bailleur: str
    decision: TypeDecisionCAL
    libelle: str
    rang: int | None
    motif: str | None  # the free text beside the code, or the code
    sous_motif_irrecevabilite: str | None
    piece_manquante: str | None
    delai_jours: int | None
    code_motif: str | None = None  # the non-attribution motif's code (historic text: autre)


class Recours(msgspec.Struct, frozen=True):
    evenement: int
    depose_le: date
    statut: str  # en_attente | annulee | maintenue
    decide_le: date | None = None
    motivation: str | None = None


class Decote(msgspec.Struct, frozen=True):
    evenement: int
    code: str
    libelle: str
    points: int | None  # from the grid in force on the décote's date
    appliquee_le: date
    notifiee_le: date
    expire_le: date  # first day it no longer counts
    statut: str  # en_vigueur | expiree | annulee
    organisation: str
    refus: int | None
    recours_possible_jusqua: date
    recours_encore_possible: bool
    recours: Recours | None
    message: str


class Refus(msgspec.Struct, frozen=True):
    evenement: int
    occurred_on: date
    logement: str
    commune: str | None
    stade: str
    motif: str  # the free text beside the code, or the code
    qualification: QualificationRefus
    decotes: list[int]  # the décotes applied for this refusal (see `decotes`)
    consequence: str
    code: str = "autre"  # the refusal motif's code (historic free text: autre)


class PiecesDemandees(msgspec.Struct, frozen=True):
    """A request for pièces or informations made to the demandeur (PPGDID: pièces asked)."""

    evenement: int
    demandee_le: date
    du_le: date
    pieces: list[str]  # the arrêté's wording of each pièce asked
    repondue: bool  # a pièce was deposited in answer


class AttestationDelivree(msgspec.Struct, frozen=True):
    evenement: int
    type: str  # enregistrement | renouvellement
    canal: str
    delivree_le: date


class ReponseDemandeur(msgspec.Struct, frozen=True):
    numero_unique: str
    au: date
    active: bool
    filed_on: date
    anniversaire: date
    radiation: str | None
    radiee_le: date | None
    cotation: Cotation
    attente: Attente
    decisions_cal: list[DecisionCAL]
    refus: list[Refus]
    decotes: list[Decote]
    historique: list[EntreeHistorique]
    # How the demand goes (projections/demandeur_suivi.py).
    examens_cal: list[ExamenEnCAL] = msgspec.field(default_factory=list)
    logements_proposes: list[LogementPropose] = msgspec.field(default_factory=list)
    consequences_refus: str = ""
    delai_anormalement_long: DelaiAnormalementLong | None = None
    pieces_demandees: list[PiecesDemandees] = []
    attestations: list[AttestationDelivree] = []


LIBELLES_DECISION = {
    TypeDecisionCAL.attribution: "attribution",
    TypeDecisionCAL.attribution_par_classement: "attribution par classement",
    TypeDecisionCAL.attribution_sous_condition: "attribution sous condition suspensive",
    TypeDecisionCAL.non_attribution: "non-attribution",
    TypeDecisionCAL.irrecevabilite: "irrecevabilité",
}
LIBELLES_DECOTE = {
    "decote_refus": "refus d'une attribution adaptée (motif non recevable)",
    "decote_pieces": "production de pièces incohérentes",
}


def _jours_en_mois(j: Decimal | None) -> Decimal | None:
    return None if j is None else (j / JOURS_PAR_MOIS).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _fr(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _nombre(x: Decimal) -> str:
    return str(x).replace(".", ",")


# -- the whole page ------------------------------------------------------------------------------


def information_demandeur(
    registre: Registre, lecteurs: Lecteurs, attentes: AttentesParAnnee, numero_unique: str, jour: date
) -> ReponseDemandeur:
    """Everything the demandeur reads about their demand on `jour` (today): the demand as
    GET /demandes/{n} shows it (what the schedule owes by then counts as fallen due)."""
    d = registre.demande(numero_unique)
    e = d.etat_courant(jour, registre.territoire.retention_donnees_mois)
    typologie = e.souhaits.typologies[0].value if e.souhaits.typologies else None
    commune = e.souhaits.communes[0] if e.souhaits.communes else None
    decisions, refus, decotes = decisions_refus_decotes(registre, d, jour)
    return ReponseDemandeur(
        numero_unique=numero_unique,
        au=jour,
        active=e.active,
        filed_on=e.filed_on,
        anniversaire=e.anniversaire,
        radiation=str(e.radiation) if e.radiation else None,
        radiee_le=e.radiee_le,
        cotation=cotation_du_demandeur(registre, lecteurs, numero_unique, jour, typologie),
        attente=attente_comparable(registre, lecteurs, attentes, typologie, commune, jour),
        decisions_cal=decisions,
        refus=refus,
        decotes=decotes,
        historique=historique(d),
        examens_cal=suivi.examens(registre, numero_unique),
        logements_proposes=suivi.logements_proposes(registre, d),
        consequences_refus=suivi.consequences_d_un_refus(registre, e, jour),
        delai_anormalement_long=suivi.delai_anormalement_long(registre, e, jour),
        pieces_demandees=[
            PiecesDemandees(p.version, p.demandee_le, p.du_le, [LIBELLES_PIECES[x] for x in p.pieces], bool(p.reponses))
            for p in e.dossier.demandes.values()
        ],
        attestations=[
            AttestationDelivree(a.version, a.type.value, a.canal.value, a.delivree_le) for a in e.dossier.attestations
        ],
    )


# -- waiting time from the statistics read model -------------------------------------------------


class AttentesParAnnee:
    """(count, mean, median) in days per (typology, commune) of a year's baux, as the statistics
    read model stands, kept in memory until it moves. One per application: every demandeur of a
    typology and commune reads the same figure, computed once."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.verrou = threading.Lock()
        # (year, read-model position) -> {(typology, commune): (baux, mean, median)}
        self.cle_attentes: tuple[int, int] | None = None
        self.attentes: dict[tuple[str, str], tuple[int, Decimal | None, Decimal | None]] = {}

    def attentes_de_l_annee(self, annee: int) -> dict[tuple[str, str], tuple[int, Decimal | None, Decimal | None]]:
        """The figures of the baux signed in `annee`; computed again only when the read model
        has moved."""
        with self.engine.connect() as conn:
            cle = (annee, position_appliquee(conn))
        with self.verrou:
            if self.cle_attentes == cle:
                return self.attentes
        # One snapshot: the baux read and the position they stand for belong together.
        with instantane(self.engine) as conn:
            position = position_appliquee(conn)
            baux = baux_de_la_periode(conn, Periode.annee(annee))
        groupes: dict[tuple[str, str], list[Bail]] = defaultdict(list)
        for b in baux:
            groupes[(b.typologie, b.commune)].append(b)
        attentes = {k: attente(x) for k, x in groupes.items()}
        with self.verrou:
            self.cle_attentes, self.attentes = (annee, position), attentes
        return attentes


def attente_comparable(
    registre: Registre,
    lecteurs: Lecteurs,
    attentes: AttentesParAnnee,
    typologie: str | None,
    commune: str | None,
    aujourdhui: date,
) -> Attente:
    """The waiting time of the baux signed last calendar year for this typology in this commune
    (product rule of docs/demandeur.md), with a sentence saying it."""
    annee = aujourdhui.year - 1
    nom = None
    if commune is not None:
        nom = next((c.nom for c in registre.territoire.communes if c.insee == commune), None)
    lieu = f"{typologie or '?'} à {nom or commune or '?'}"
    if typologie is None or commune is None:
        return Attente(annee, typologie, commune, nom, 0, None, None, None, None,
                       "votre demande n'indique pas de typologie ou de commune en premier choix : "
                       "pas de délai d'attente comparable à indiquer")
    lecteurs.lecteur(STATISTIQUES)
    n, moyenne, mediane = attentes.attentes_de_l_annee(annee).get((typologie, commune), (0, None, None))
    if n == 0 or moyenne is None or mediane is None:
        message = (f"aucun bail n'a été signé en {annee} pour un {lieu} : "
                   "pas de délai d'attente moyen à indiquer")
    else:
        message = (
            f"pour un {lieu}, les {n} baux signés en {annee} l'ont été en moyenne "
            f"{_nombre(moyenne)} jours ({_nombre(_jours_en_mois(moyenne) or Decimal(0))} mois) après "
            f"le dépôt de la demande ; délai médian {_nombre(mediane)} jours"
            if n > 1
            else f"pour un {lieu}, le seul bail signé en {annee} l'a été {_nombre(moyenne)} jours "
            f"({_nombre(_jours_en_mois(moyenne) or Decimal(0))} mois) après le dépôt de la demande"
        )
    return Attente(annee, typologie, commune, nom, n, moyenne, mediane,
                   _jours_en_mois(moyenne), _jours_en_mois(mediane), message)


# -- points and rank: the same as GET /demandes/{n}/cotation ----------------------------------------


def cotation_du_demandeur(
    registre: Registre, lecteurs: Lecteurs, numero: str, jour: date, typologie: str | None
) -> Cotation:
    try:
        r = expliquer(registre, numero, jour, None)
    except RegleEnfreinte as e:
        return Cotation(jour, None, None, [], typologie, message=e.message)
    criteres = [Critere(x.code, x.libelle, x.points, x.detail) for x in r.explications]
    en_attente = [
        CritereEnAttente(
            x.code, x.libelle, x.points, list(x.justificatifs),
            f"{x.points} points de plus dès qu'une de ces pièces aura été validée par votre guichet "
            f"ou un bailleur : {' ; '.join(x.justificatifs) or 'pièce justificative du critère'}",
        )
        for x in r.en_attente
    ]
    c = Cotation(jour, r.points, r.version_grille, criteres, typologie, en_attente=en_attente)
    if not r.active:
        return msgspec.structs.replace(
            c, message="demande radiée : elle garde ses points mais ne figure plus dans aucun classement"
        )
    rg = rang_courant(lecteurs, numero, jour)
    return c if rg is None else msgspec.structs.replace(c, **rg._asdict())


# -- decisions, refusals, décotes, from the demand's own events ----------------------------------


def _points_decote(registre: Registre, code: str, jour: date) -> int | None:
    if registre.grille is None:
        return None
    try:
        version = registre.grille.version_en_vigueur(jour)
    except RegleEnfreinte:
        return None
    return next((c.points for c in version.criteres if c.code == code), None)


def decisions_refus_decotes(
    registre: Registre, d: Demande, aujourdhui: date
) -> tuple[list[DecisionCAL], list[Refus], list[Decote]]:
    """The demand's CAL decisions, refusals with their consequence, and décotes with their
    recours, as of `aujourdhui`; retracted ones left out (the history shows them, deleted)."""
    retractes = {f.cible for f in d.faits if isinstance(f, Demande.Retractee)}
    territoire = registre.territoire

    def spec(logement: str) -> tuple[str | None, str | None, str]:
        try:
            lgt = territoire.logement(logement)
        except KeyError:
            return None, None, "?"
        return lgt.commune, lgt.typologie.value, lgt.bailleur

    decisions: list[DecisionCAL] = []
    refus: list[Demande.Refusee] = []
    decotes: dict[int, Demande.DecoteAppliquee] = {}
    recours: dict[int, Demande.RecoursDepose] = {}
    decides: dict[int, Demande.RecoursDecide] = {}
    dates = {f.originator_version: f.occurred_on for f in d.faits}
    for f in d.faits:
        v = f.originator_version
        if v in retractes:
            continue  # the history shows it, deleted
        if isinstance(f, Demande.DecisionCAL):
            commune, typ, bailleur = spec(f.logement)
            libelle = LIBELLES_DECISION[f.decision]
            if f.decision is TypeDecisionCAL.attribution_par_classement and f.rang is not None:
                libelle += f" (rang {f.rang} : le logement vous revient si les candidats classés avant vous le refusent)"
            decisions.append(DecisionCAL(
                v, f.occurred_on, f.logement, commune, typ, bailleur, f.decision, libelle, f.rang,
                f.texte or (str(f.motif_code) if f.motif_code else None),
                str(f.sous_motif_irrecevabilite) if f.sous_motif_irrecevabilite else None,
                f.piece_manquante, f.delai_jours, str(f.motif_code) if f.motif_code else None,
            ))
        elif isinstance(f, Demande.Refusee):
            refus.append(f)
        elif isinstance(f, Demande.DecoteAppliquee):
            decotes[v] = f
        elif isinstance(f, Demande.RecoursDepose):
            recours[f.decote] = f
            decides.pop(f.decote, None)  # filed again after a decision: pending again
        elif isinstance(f, Demande.RecoursDecide):
            decides[f.decote] = f

    vues: list[Decote] = []
    for v, f in decotes.items():
        # Counted one year from its fact (the refusal, or the pièce found incoherent), not from
        # its own date (CCH L.441-2-8; docs/rules.md).
        fait = f.refus or f.piece
        anc = dates.get(fait, f.occurred_on) if fait is not None else f.occurred_on
        fin = calendrier.fin_decote(anc)
        limite = calendrier.recours_possible_jusqua(f.notifiee_le)
        r, dec = recours.get(v), decides.get(v)
        rec = None
        if r is not None:
            rec = Recours(
                r.originator_version, r.occurred_on,
                "en_attente" if dec is None else str(dec.decision),
                dec.occurred_on if dec else None, dec.motivation if dec else None,
            )
        points = _points_decote(registre, str(f.code), f.occurred_on)
        pts = f"{points} points" if points is not None else "des points"
        annulee = dec is not None and dec.decision is DecisionRecours.annulee
        statut = statut_decote(aujourdhui, anc, annulee)
        if dec is not None and statut == "annulee":
            message = (f"décote annulée sur recours le {_fr(dec.occurred_on)} : elle n'a jamais compté")
        elif statut == "expiree":
            message = f"décote de {pts} du {_fr(f.occurred_on)}, expirée le {_fr(fin)}"
        else:
            message = f"décote de {pts} du {_fr(f.occurred_on)} jusqu'au {_fr(fin)} (exclu)"
        possible = recours_encore_possible(aujourdhui, f.notifiee_le, r is not None, annulee)
        if statut != "annulee":
            if rec is None:
                message += (f" ; recours possible jusqu'au {_fr(limite)}" if possible
                            else f" ; le délai de recours a pris fin le {_fr(limite)}")
            elif rec.statut == "en_attente":
                message += f" ; recours déposé le {_fr(rec.depose_le)}, en attente de décision"
            else:
                message += f" ; recours rejeté, décote maintenue le {_fr(rec.decide_le or rec.depose_le)}"
        vues.append(Decote(
            v, str(f.code), LIBELLES_DECOTE.get(str(f.code), str(f.code)), points, f.occurred_on,
            f.notifiee_le, fin, statut, f.organisation, f.refus, limite, possible, rec, message,
        ))

    par_refus: dict[int, list[Decote]] = defaultdict(list)
    for x in vues:
        if x.refus is not None:
            par_refus[x.refus].append(x)
    refus_vus: list[Refus] = []
    for f in refus:
        v = f.originator_version
        commune, _, _ = spec(f.logement)
        liees = par_refus.get(v, [])
        if f.qualification is QualificationRefus.recevable:
            consequence = "refus jugé recevable par le bailleur : il n'entraîne aucune décote"
        elif liees:
            consequence = "refus jugé non recevable par le bailleur : " + " ; ".join(x.message for x in liees)
        else:
            jusqua = calendrier.fin_decote(f.occurred_on)
            pts = _points_decote(registre, "decote_refus", f.occurred_on)
            pts_txt = f"de {pts} points " if pts is not None else ""
            consequence = (
                f"refus jugé non recevable par le bailleur : une décote {pts_txt}pendant un an peut "
                f"être appliquée jusqu'au {_fr(jusqua)} (exclu) ; aucune ne l'est à ce jour"
                if aujourdhui < jusqua
                else "refus jugé non recevable par le bailleur : aucune décote n'a été appliquée"
            )
        refus_vus.append(Refus(
            v, f.occurred_on, f.logement, commune, str(f.stade), f.texte or str(f.code), f.qualification,
            [x.evenement for x in liees], consequence, str(f.code),
        ))
    return decisions, refus_vus, vues
