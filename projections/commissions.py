"""The minutes (procès-verbal) of a CAL session and the sessions that examined a demand, read
from the log (CCH L.441-2, R.441-3; DOMAIN.md §7, §9).

The minutes are the session aggregate's events up to its closing: members present with their
voice, each dwelling's vacancy on the agenda with its candidates in the order examined, their
points at the session's date and their rank among the dwelling's candidates (§5.4 order: points
descending, then filing date, then numéro unique), the decisions and their motifs as codes with
their wording. What was recorded after the closing (a retraction, another session) comes after
it in the session's events or elsewhere, so the minutes of a closed session come out the same at
any later date, to the byte. An open session's minutes are a draft of what it holds so far.

They hold no personal data: candidates by numéro unique, motifs by code. The free text beside a
motif, and the pièce a conditional attribution waits for, stay on the demand, encrypted and
erased with it: the minutes read the pièce there. Once a candidate's personal data are erased
(RGPD art. 17), the minutes show that candidate anonymised: no numéro unique, no pièce; their
order, points, rank and decision stay, since they are the commission's own acts.

The same functions serve the JSON endpoints, the PDF (`adapters/proces_verbal.py`) and the
pages (the CAL workspace of a dwelling, the minutes' printable page: `api/pages/commissions.py`).
"""

from __future__ import annotations

from datetime import date

import msgspec

from adapters.registre import Registre
from domain.cal import CandidatSession, SessionCAL
from domain.codes import (
    MotifNonAttribution,
    MotifRefus,
    QualiteMembre,
    RaisonMoinsDeTrois,
    SousMotifIrrecevabilite,
    TypeDecisionCAL,
)
from domain.demande import Demande
from domain.erreurs import Introuvable
from domain.territoire import Territoire
from projections.historique import RESERVE
from projections.lectures_personnelles import Lecteur, noter, peut_lire

LIBELLES_DECISION = {
    TypeDecisionCAL.attribution: "attribution",
    TypeDecisionCAL.attribution_par_classement: "attribution par classement",
    TypeDecisionCAL.attribution_sous_condition: "attribution sous condition suspensive",
    TypeDecisionCAL.non_attribution: "non-attribution",
    TypeDecisionCAL.irrecevabilite: "irrecevabilité",
}
LIBELLES_MOTIF = {
    MotifNonAttribution.taux_effort: "taux d'effort ou reste à vivre incompatible avec le loyer",
    MotifNonAttribution.typologie_inadaptee: "logement inadapté à la composition familiale",
    MotifNonAttribution.candidat_mieux_classe: "attribué à un candidat mieux classé",
    MotifNonAttribution.dossier_incomplet: "dossier incomplet",
    MotifNonAttribution.equilibre_peuplement: "équilibre de peuplement (convention intercommunale d'attribution)",
    MotifNonAttribution.plafonds_depasses: "ressources supérieures aux plafonds",
    MotifNonAttribution.autre: "autre motif",
}
LIBELLES_MOTIF_REFUS = {
    MotifRefus.localisation: "localisation du logement",
    MotifRefus.typologie_surface: "typologie ou surface inadaptée",
    MotifRefus.loyer_charges: "loyer ou charges trop élevés",
    MotifRefus.environnement: "environnement du logement",
    MotifRefus.etat_logement: "état du logement",
    MotifRefus.accessibilite: "accessibilité (étage sans ascenseur, handicap)",
    MotifRefus.a_trouve_logement: "a trouvé un logement",
    MotifRefus.raisons_personnelles: "raisons personnelles",
    MotifRefus.absence_reponse: "absence de réponse dans le délai",
    MotifRefus.autre: "autre motif",
}
LIBELLES_IRRECEVABILITE = {
    SousMotifIrrecevabilite.IRRSEJ: "conditions de séjour non remplies",
    SousMotifIrrecevabilite.IRRRES: "ressources supérieures aux plafonds",
}
LIBELLES_MOINS_DE_TROIS = {
    RaisonMoinsDeTrois.insuffisance_candidats: "insuffisance de demandes correspondant au logement",
    RaisonMoinsDeTrois.dalo_prefet: "candidat DALO désigné par le préfet",
    RaisonMoinsDeTrois.plai_adapte: "logement PLAI adapté",
    RaisonMoinsDeTrois.autre: "autre raison",
}
LIBELLES_QUALITE = {
    QualiteMembre.bailleur: "membre désigné par le bailleur",
    QualiteMembre.maire: "maire de la commune",
    QualiteMembre.prefet: "représentant du préfet",
    QualiteMembre.president_epci: "président de l'EPCI",
    QualiteMembre.association_insertion: "association d'insertion",
    QualiteMembre.reservataire: "réservataire",
}


class MembrePV(msgspec.Struct, frozen=True):
    organisation: str
    nom_organisation: str
    qualite: str
    voix: str
    nom: str | None


class CandidatPV(msgspec.Struct, frozen=True):
    ordre: int  # order examined on this dwelling
    numero_unique: str
    points: int | None  # at the session's date
    rang: int | None  # among this dwelling's candidates (§5.4 order); None without points
    favorable: bool  # answered favourably before the CAL; else presented in addition
    decision: str | None
    libelle_decision: str | None
    rang_classement: int | None
    motif: str | None  # non-attribution motif's code
    libelle_motif: str | None
    sous_motif_irrecevabilite: str | None
    piece_manquante: str | None
    delai_jours: int | None
    efface: bool = False  # the candidate's personal data are erased: shown anonymised


ANONYME = "candidat anonymisé"


class LogementPV(msgspec.Struct, frozen=True):
    logement: str
    vacance: int
    commune: str
    nom_commune: str
    typologie: str
    financement: str
    qpv: bool
    contingent: str
    reservataire: str | None
    flux: bool
    favorables: int  # candidates who answered favourably: count towards three (R.441-3)
    moins_de_trois_candidats: str | None  # the reason's code, when fewer than three
    libelle_moins_de_trois: str | None
    candidats: tuple[CandidatPV, ...]


class ProcesVerbal(msgspec.Struct, frozen=True):
    session: str
    bailleur: str
    nom_bailleur: str
    date: date
    forme: str
    close: bool  # False: a draft, the session is still open
    membres: tuple[MembrePV, ...]
    voix_preponderante: str | None  # the organisation whose member holds the casting vote
    logements: tuple[LogementPV, ...]
    candidats: int
    decisions: int


def session_a_sa_cloture(registre: Registre, identifiant: str) -> SessionCAL:
    """The session as it stood when closed (as it stands, if open)."""
    s = registre.session(identifiant)
    if s is None:
        raise Introuvable("session_inconnue", f"no CAL session {identifiant!r}")
    if s.version_cloture is not None and s.version != s.version_cloture:
        s = registre.repository.get(SessionCAL.id_pour(identifiant), version=s.version_cloture)
    return s


def proces_verbal(registre: Registre, identifiant: str, lecteur: Lecteur | None = None) -> ProcesVerbal:
    """The minutes; for `lecteur`, the missing pièces (free text about a candidate) only if it
    may read personal data — `réservé` otherwise — and each candidate whose pièce it is shown
    journaled (projections/lectures_personnelles.py)."""
    s = session_a_sa_cloture(registre, identifiant)
    numeros = {c.demande for p in s.ordre_du_jour.values() for c in p.candidats}
    ids_effaces = registre.coffre.effacees(Demande.id_pour(n) for n in numeros)
    effaces = {n for n in numeros if Demande.id_pour(n) in ids_effaces}
    pieces: dict[tuple[str, int, str], str] = {}
    for p in s.ordre_du_jour.values():
        for c in p.candidats:
            d = c.decision
            if d is None or c.demande in effaces or d.decision is not TypeDecisionCAL.attribution_sous_condition:
                continue
            for f in registre.demande(c.demande).faits:
                if (
                    isinstance(f, Demande.DecisionCAL) and f.session == identifiant
                    and (f.logement, f.vacance) == (p.logement.logement, p.logement.vacance) and f.piece_manquante
                ):
                    pieces[(f.logement, f.vacance, c.demande)] = f.piece_manquante
    pv = proces_verbal_de(s, registre.territoire, effaces, pieces)
    if lecteur is None:
        return pv
    montrees = [c.numero_unique for lg in pv.logements for c in lg.candidats if c.piece_manquante]
    if peut_lire(lecteur):
        noter(registre, lecteur, montrees, "proces_verbal")
        return pv
    if not montrees:
        return pv
    return msgspec.structs.replace(pv, logements=tuple(
        msgspec.structs.replace(lg, candidats=tuple(
            msgspec.structs.replace(c, piece_manquante=RESERVE) if c.piece_manquante else c for c in lg.candidats
        ))
        for lg in pv.logements
    ))


def rangs(candidats: list[CandidatSession]) -> dict[str, int]:
    """Each candidate's rank among the dwelling's candidates with points (DOMAIN.md §5.4)."""
    notes = sorted(
        (c for c in candidats if c.points is not None),
        key=lambda c: (-(c.points or 0), c.filed_on, c.demande),
    )
    return {c.demande: i for i, c in enumerate(notes, 1)}


def proces_verbal_de(
    s: SessionCAL,
    territoire: Territoire,
    effaces: set[str] | None = None,
    pieces: dict[tuple[str, int, str], str] | None = None,
) -> ProcesVerbal:
    """`effaces`: the candidates whose personal data are erased (anonymised); `pieces`: the
    missing pièce of each conditional attribution, read on the demand (older sessions held it
    themselves)."""
    effaces = effaces or set()
    pieces = pieces or {}

    def nom_org(code: str) -> str:
        try:
            return territoire.organisation(code).nom
        except KeyError:
            return code

    communes = {c.insee: c.nom for c in territoire.communes}
    logements: list[LogementPV] = []
    n_candidats = n_decisions = 0
    for point in s.ordre_du_jour.values():
        lg = point.logement
        r = rangs(point.candidats)
        lignes: list[CandidatPV] = []
        raison: RaisonMoinsDeTrois | None = None
        for c in sorted(point.candidats, key=lambda c: c.ordre):
            d = c.decision
            n_candidats += 1
            if d is not None:
                n_decisions += 1
                raison = raison or d.moins_de_trois_candidats
            efface = c.demande in effaces
            piece = None if d is None or efface else (
                pieces.get((lg.logement, lg.vacance, c.demande)) or d.piece_manquante
            )
            lignes.append(
                CandidatPV(
                    ordre=c.ordre,
                    numero_unique=ANONYME if efface else c.demande,
                    points=c.points,
                    rang=r.get(c.demande),
                    favorable=c.favorable,
                    decision=d.decision.value if d else None,
                    libelle_decision=LIBELLES_DECISION[d.decision] if d else None,
                    rang_classement=d.rang if d else None,
                    motif=d.motif.value if d and d.motif else None,
                    libelle_motif=LIBELLES_MOTIF[d.motif] if d and d.motif else None,
                    sous_motif_irrecevabilite=(
                        d.sous_motif_irrecevabilite.value if d and d.sous_motif_irrecevabilite else None
                    ),
                    piece_manquante=piece,
                    delai_jours=d.delai_jours if d else None,
                    efface=efface,
                )
            )
        logements.append(
            LogementPV(
                logement=lg.logement, vacance=lg.vacance, commune=lg.commune,
                nom_commune=communes.get(lg.commune, lg.commune), typologie=lg.typologie.value,
                financement=lg.financement.value, qpv=lg.qpv, contingent=lg.contingent.value,
                reservataire=lg.reservataire, flux=lg.flux,
                favorables=sum(1 for c in point.candidats if c.favorable),
                moins_de_trois_candidats=raison.value if raison else None,
                libelle_moins_de_trois=LIBELLES_MOINS_DE_TROIS[raison] if raison else None,
                candidats=tuple(lignes),
            )
        )
    return ProcesVerbal(
        session=s.identifiant,
        bailleur=s.bailleur,
        nom_bailleur=nom_org(s.bailleur),
        date=s.date,
        forme=s.forme.value,
        close=s.close,
        membres=tuple(
            MembrePV(m.organisation, nom_org(m.organisation), m.qualite.value, m.voix.value, m.nom)
            for m in s.membres
        ),
        voix_preponderante=s.voix_preponderante,
        logements=tuple(logements),
        candidats=n_candidats,
        decisions=n_decisions,
    )


# -- the sessions that examined a demand (the demandeur's information, DOMAIN.md §7) ----------


class ExamenEnCAL(msgspec.Struct, frozen=True):
    session: str
    date: date
    bailleur: str
    close: bool
    logement: str
    vacance: int
    ordre: int
    points: int | None
    rang: int | None  # among the dwelling's candidates at that session
    sur: int  # candidates examined on that dwelling
    decision: str | None
    motif: str | None  # the non-attribution motif's code
    libelle_motif: str | None


def examens_de_la_demande(registre: Registre, numero_unique: str) -> list[ExamenEnCAL]:
    """The CAL sessions that put the demand on their agenda, in order, with its rank among the
    dwelling's candidates and the decision (as the minutes give them)."""
    d = registre.demande(numero_unique)
    out: list[ExamenEnCAL] = []
    for f in d.faits:
        if not isinstance(f, Demande.InscriteCAL):
            continue
        s = session_a_sa_cloture(registre, f.session)
        point = s.point(f.logement, f.vacance)
        if point is None:
            continue
        c = point.candidat(numero_unique)
        if c is None:
            continue
        dec = c.decision
        out.append(
            ExamenEnCAL(
                session=s.identifiant, date=s.date, bailleur=s.bailleur, close=s.close,
                logement=f.logement, vacance=f.vacance, ordre=c.ordre, points=c.points,
                rang=rangs(point.candidats).get(numero_unique), sur=len(point.candidats),
                decision=dec.decision.value if dec else None,
                motif=dec.motif.value if dec and dec.motif else None,
                libelle_motif=LIBELLES_MOTIF[dec.motif] if dec and dec.motif else None,
            )
        )
    return out


# -- the sessions of a dwelling's vacancy (the CAL workspace) ---------------------------------------


class SeanceDuLogement(msgspec.Struct, frozen=True):
    """A CAL session seen from one dwelling's vacancy: the session, and this vacancy's part of
    its minutes (None while the vacancy is not on its agenda yet)."""

    session: str
    bailleur: str
    date: date
    forme: str
    close: bool
    point: LogementPV | None


def seances_du_logement(
    registre: Registre, logement: str, vacance: int, candidats: list[str], aussi: str | None = None
) -> list[SeanceDuLogement]:
    """The CAL sessions that put the dwelling's vacancy on their agenda, found through its
    candidates' inscriptions (a session names candidates, a demand the sessions it was put
    before), and `aussi`, a session being prepared for it (404 if there is none such), in date
    order; each with the vacancy's part of its minutes, as `proces_verbal` gives them (as
    closed, or as they stand while open). A few aggregates read: the vacancy's candidates and
    its sessions."""
    ids: set[str] = set() if aussi is None else {aussi}
    for numero in candidats:
        for f in registre.demande(numero).faits:
            if isinstance(f, Demande.InscriteCAL) and f.logement == logement and f.vacance == vacance:
                ids.add(f.session)
    out = []
    for identifiant in ids:
        pv = proces_verbal(registre, identifiant)
        point = next((x for x in pv.logements if x.logement == logement and x.vacance == vacance), None)
        out.append(SeanceDuLogement(pv.session, pv.bailleur, pv.date, pv.forme, pv.close, point))
    return sorted(out, key=lambda x: (x.date, x.session))


def sessions(registre: Registre, bailleur: str | None = None, du: date | None = None, au: date | None = None) -> list[str]:
    """Identifiers of the CAL sessions opened (of `bailleur`, dated du..au), in log order."""
    topic = "domain.cal:SessionCAL.Ouverte"
    out: list[str] = []
    position = 0
    while True:
        lot = registre.recorder.select_notifications(start=position + 1, limit=1000, topics=[topic])
        if not lot:
            return out
        for n in lot:
            e = registre.mapper.to_domain_event(n)
            if bailleur is not None and e.bailleur != bailleur:
                continue
            if (du is not None and e.occurred_on < du) or (au is not None and e.occurred_on > au):
                continue
            out.append(e.identifiant)
        position = lot[-1].id
