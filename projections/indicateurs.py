"""The observatory's indicators (DOMAIN.md §6): what facts they count and the arithmetic.

Two readers feed the same arithmetic: `projections.journal` reads the raw event log, and
`projections.vue_statistiques` keeps the facts in live tables. Both turn events into the facts
below with `extraire`, so a difference between them can only come from reading, storing,
retracting or folding, which is exactly what the check between them is for.

Every figure is computed with integers and Decimals and rounded half-up, so the same log gives
the same figures to the last digit whenever they are regenerated.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec

from domain import calendrier
from domain.calendrier import ajouter_mois
from domain.codes import ATTRIBUTIONS
from domain.logement import Logement
from domain.territoire import Convention, Territoire

# -- what is asked -------------------------------------------------------------------------------


class Periode(msgspec.Struct, frozen=True):
    """Flows count facts dated du..au inclusive; stocks (tension, pressure, délai anormalement
    long, recours pending) are taken on `au`."""

    du: date
    au: date

    def __post_init__(self) -> None:
        if self.du > self.au:
            raise ValueError(f"period starts on {self.du} after it ends on {self.au}")

    @classmethod
    def annee(cls, annee: int) -> Periode:
        return cls(date(annee, 1, 1), date(annee, 12, 31))

    def contient(self, jour: date) -> bool:
        return self.du <= jour <= self.au

    @property
    def douze_mois(self) -> tuple[date, date]:
        """The 12 months before `au` for tension and pressure: after au − 12 months, up to au."""
        return ajouter_mois(self.au, -12), self.au


# -- facts: one per event that statistics count ------------------------------------------------


class Fait(msgspec.Struct, frozen=True, tag=True):
    demande: str  # the demand's aggregate id (hex), never personal data
    version: int  # the event's version on that demand: what a retraction names
    jour: date  # occurred_on


SANS_RESERVATAIRE = "AUCUN"  # the organisation key of what no réservataire holds: the bailleur's


class Bail(Fait, tag="bail"):
    logement: str
    bailleur: str
    contingent: str
    commune: str
    qpv: bool
    typologie: str
    premier_quartile: bool
    prioritaire: bool
    dalo: bool
    filed_on: date
    mutation: bool
    # The réservataire organisation (contingent holder in stock, flux share in flux) and whether
    # the vacancy was in flux (DOMAIN.md §6, §9).
    organisation: str = SANS_RESERVATAIRE
    flux: bool = False
    vacance: int = 0


class Attribution(Fait, tag="attribution"):
    logement: str
    vacance: int
    decision: str
    bailleur: str
    contingent: str
    commune: str
    qpv: bool
    premier_quartile: bool
    prioritaire: bool
    dalo: bool
    organisation: str = SANS_RESERVATAIRE
    flux: bool = False


class Proposition(Fait, tag="proposition"):
    """A designation: the proposal a refusal rate divides by."""

    logement: str
    vacance: int
    bailleur: str
    contingent: str
    organisation: str = SANS_RESERVATAIRE
    flux: bool = False


class Refus(Fait, tag="refus"):
    logement: str
    bailleur: str
    stade: str
    motif: str
    qualification: str


class Radiation(Fait, tag="radiation"):
    motif: str


class Decote(Fait, tag="decote"):
    code: str
    organisation: str


class RecoursDepose(Fait, tag="recours_depose"):
    decote: int


class RecoursDecide(Fait, tag="recours_decide"):
    decote: int
    decision: str


class ExamenCAL(Fait, tag="examen_cal"):
    """A CAL decision: distinct (logement, vacance, jour) are the CALs held; `raison` is set when
    fewer than three candidates were examined."""

    logement: str
    vacance: int
    bailleur: str
    raison: str | None


class Changement(Fait, tag="changement"):
    """What the stocks need of a demand: whether it is active, and the attributes pressure and
    the délai anormalement long look at. None: unchanged by this event."""

    genre: str  # enregistree | modifiee | radiee | reactivee | renouvelee
    souhaits: bool = False  # premier_choix and typologie are set by this event
    filed_on: date | None = None
    premier_choix: str | None = None
    typologie: str | None = None
    mutation: bool | None = None
    # The anniversary this event sets (registration, renewal, reactivation): a demand whose
    # RADREN radiation fell due counts as radiated even before the schedule appends it.
    anniversaire: date | None = None


class Retraction(Fait, tag="retraction"):
    cible: int  # version of the retracted event on the same demand


class VacanceOuverte(Fait, tag="vacance"):
    """A dwelling's vacancy opened (`demande` holds the dwelling aggregate's id): the bailleur's
    flux of the year is made of those opened in flux (DOMAIN.md §9)."""

    logement: str
    bailleur: str
    typologie: str
    commune: str
    flux: bool


class Orientation(Fait, tag="orientation"):
    """A vacancy in flux oriented by its bailleur (`reservataire` "" when kept or withdrawn)."""

    logement: str
    vacance: int
    ouverte_le: date
    bailleur: str
    typologie: str
    commune: str
    reservataire: str
    contingent: str
    convention: str
    retrait: str


TypeFait = (
    Bail
    | Attribution
    | Proposition
    | Refus
    | Radiation
    | Decote
    | RecoursDepose
    | RecoursDecide
    | ExamenCAL
    | Changement
    | Retraction
    | VacanceOuverte
    | Orientation
)

# Demand events the statistics read; every other event (and every dwelling event) counts nothing.
EVENEMENTS_LUS = frozenset(
    {
        "Enregistree",
        "Modifiee",
        "Renouvelee",
        "Radiee",
        "Reactivee",
        "Designee",
        "DecisionCAL",
        "Refusee",
        "DecoteAppliquee",
        "RecoursDepose",
        "RecoursDecide",
        "BailSigne",
        "Retractee",
    }
)
PREFIXE_TOPIC = "domain.demande:Demande."
# Dwelling events the flux reads (DOMAIN.md §9): vacancies and their orientation.
EVENEMENTS_LOGEMENT_LUS = frozenset({"Ouvert", "VacanceDeclaree", "VacanceOrientee"})
PREFIXE_TOPIC_LOGEMENT = "domain.logement:Logement."


def organisation_reservataire(
    territoire: Territoire, logement: str, contingent: str, reservataire: str | None
) -> str:
    """The réservataire organisation of a designation or attribution: the one recorded (since
    the flux), else the holder of the dwelling's contingent in the territory file (stock), else
    nobody (the bailleur's own, hors contingent)."""
    if reservataire:
        return reservataire
    try:
        spec = territoire.logement(logement)
    except KeyError:
        return SANS_RESERVATAIRE
    if spec.reservataire and spec.contingent.value == contingent:
        return spec.reservataire
    return SANS_RESERVATAIRE


def extraire_logement(genre: str, logement_id: str, v: int, evenement: Any, territoire: Territoire) -> list[Fait]:
    """The facts one dwelling event contributes (the flux's vacancies and orientations);
    `logement_id` is the dwelling aggregate's id as text."""
    jour = evenement.occurred_on
    if genre == "Ouvert" and not evenement.vacant:
        return []
    if genre in ("Ouvert", "VacanceDeclaree"):
        spec = _logement_par_id(territoire, logement_id)
        if spec is None:
            return []
        return [
            VacanceOuverte(
                logement_id, v, jour, spec.identifiant, spec.bailleur, spec.typologie.value,
                spec.commune, territoire.en_flux(jour),
            )
        ]
    if genre == "VacanceOrientee":
        spec = _logement_par_id(territoire, logement_id)
        if spec is None:
            return []
        return [
            Orientation(
                logement_id, v, jour, spec.identifiant, evenement.vacance, evenement.ouverte_le,
                spec.bailleur, spec.typologie.value, spec.commune, evenement.reservataire or "",
                str(evenement.contingent), evenement.convention or "",
                str(evenement.retrait) if evenement.retrait else "",
            )
        ]
    return []


def _logement_par_id(territoire: Territoire, logement_id: str) -> Any:
    index = territoire.__dict__.get("_logements_par_id")
    if index is None:
        index = {str(Logement.id_pour(lg.identifiant)): lg for lg in territoire.logements}
        index.update({k.replace("-", ""): lg for k, lg in list(index.items())})
        territoire.__dict__["_logements_par_id"] = index
    return index.get(logement_id)


def extraire(
    genre: str, demande: str, v: int, evenement: Any, territoire: Territoire
) -> list[Fait]:
    """The facts one demand event contributes: `genre` is the event class name, `demande` the
    aggregate id as text, `v` the event's version; `evenement` has the event's attributes (a
    domain event, or the journal's lighter decoding of it)."""
    jour = evenement.occurred_on
    if genre == "Enregistree":
        s, la = evenement.souhaits, evenement.logement_actuel
        return [
            Changement(
                demande, v, jour, "enregistree", souhaits=True,
                filed_on=evenement.filed_on,
                premier_choix=s.communes[0] if s.communes else None,
                typologie=str(s.typologies[0]) if s.typologies else None,
                mutation=la is not None and str(la.modele) == "HLM",
                anniversaire=evenement.anniversaire,
            )
        ]
    if genre == "Renouvelee":
        return [Changement(demande, v, jour, "renouvelee", anniversaire=calendrier.anniversaire(jour))]
    if genre == "Modifiee":
        s, la = evenement.souhaits, evenement.logement_actuel
        if s is None and la is None:
            return []
        return [
            Changement(
                demande, v, jour, "modifiee", souhaits=s is not None,
                premier_choix=(s.communes[0] if s.communes else None) if s is not None else None,
                typologie=(str(s.typologies[0]) if s.typologies else None) if s is not None else None,
                mutation=str(la.modele) == "HLM" if la is not None else None,
            )
        ]
    if genre == "Radiee":
        return [
            Changement(demande, v, jour, "radiee"),
            Radiation(demande, v, jour, str(evenement.motif)),
        ]
    if genre == "Reactivee":
        return [Changement(demande, v, jour, "reactivee", anniversaire=calendrier.anniversaire(jour))]
    if genre == "Designee":
        return [
            Proposition(
                demande, v, jour, evenement.logement, evenement.vacance,
                _bailleur(territoire, evenement.logement), str(evenement.contingent),
                organisation_reservataire(
                    territoire, evenement.logement, str(evenement.contingent), evenement.reservataire
                ),
                evenement.flux,
            )
        ]
    if genre == "DecisionCAL":
        bailleur = _bailleur(territoire, evenement.logement)
        # The reason's code; a free-text reason of a log written before the codes reads `autre`.
        raison = evenement.code_moins_de_trois or ("autre" if evenement.moins_de_trois_candidats else None)
        faits: list[Fait] = [
            ExamenCAL(
                demande, v, jour, evenement.logement, evenement.vacance, bailleur, raison and str(raison),
            )
        ]
        s = evenement.situation
        if evenement.decision in ATTRIBUTIONS and s is not None:
            faits.append(
                Attribution(
                    demande, v, jour, evenement.logement, evenement.vacance,
                    str(evenement.decision), s.bailleur, str(s.contingent), s.commune, s.qpv,
                    s.premier_quartile, s.prioritaire, s.dalo,
                    organisation_reservataire(territoire, evenement.logement, str(s.contingent), s.reservataire),
                    s.flux,
                )
            )
        return faits
    if genre == "Refusee":
        return [
            Refus(
                demande, v, jour, evenement.logement, _bailleur(territoire, evenement.logement),
                str(evenement.stade), str(evenement.code), str(evenement.qualification),
            )
        ]
    if genre == "DecoteAppliquee":
        return [Decote(demande, v, jour, str(evenement.code), evenement.organisation)]
    if genre == "RecoursDepose":
        return [RecoursDepose(demande, v, jour, evenement.decote)]
    if genre == "RecoursDecide":
        return [RecoursDecide(demande, v, jour, evenement.decote, str(evenement.decision))]
    if genre == "BailSigne":
        s = evenement.situation
        return [
            Bail(
                demande, v, jour, evenement.logement, s.bailleur, str(s.contingent), s.commune,
                s.qpv, str(s.typologie), s.premier_quartile, s.prioritaire, s.dalo, s.filed_on,
                s.mutation,
                organisation_reservataire(territoire, evenement.logement, str(s.contingent), s.reservataire),
                s.flux, evenement.vacance,
            )
        ]
    if genre == "Retractee":
        return [Retraction(demande, v, jour, evenement.cible)]
    return []


def _bailleur(territoire: Territoire, logement: str) -> str:
    try:
        return territoire.logement(logement).bailleur
    except KeyError:
        return "?"  # a dwelling no longer in the territory file still counts, unattributed


# -- the facts of a period ---------------------------------------------------------------------


class DemandeActive(msgspec.Struct, frozen=True):
    demande: str
    filed_on: date
    premier_choix: str | None
    typologie: str | None
    mutation: bool


@dataclass
class Faits:
    """The facts a period's figures are computed from, retractions already applied."""

    baux: list[Bail] = field(default_factory=list)  # dated in the period
    baux_douze_mois: list[Bail] = field(default_factory=list)  # dated in Periode.douze_mois
    attributions: list[Attribution] = field(default_factory=list)
    propositions: list[Proposition] = field(default_factory=list)
    refus: list[Refus] = field(default_factory=list)
    radiations: list[Radiation] = field(default_factory=list)
    decotes: list[Decote] = field(default_factory=list)
    recours_deposes: list[RecoursDepose] = field(default_factory=list)
    recours_decides: list[RecoursDecide] = field(default_factory=list)
    recours_en_attente: int = 0  # filed by `au`, undecided on `au`
    examens: list[ExamenCAL] = field(default_factory=list)
    actives: list[DemandeActive] = field(default_factory=list)  # on `au`
    vacances: list[VacanceOuverte] = field(default_factory=list)  # opened in the period
    orientations: list[Orientation] = field(default_factory=list)  # recorded by `au`


def replier(changements: Iterable[Changement], au: date) -> DemandeActive | None:
    """A demand's state on `au` from its non-retracted changes in version order; None if it is
    not active that day, radiated or owed a RADREN radiation by then (the schedule appends it
    dated on its due date: a day's figures do not wait for it)."""
    actif, etat, anniversaire = False, None, None
    for c in changements:
        if c.jour > au:
            break
        if c.anniversaire is not None:
            anniversaire = c.anniversaire
        if c.genre == "enregistree":
            actif = True
            etat = DemandeActive(
                c.demande, c.filed_on or c.jour, c.premier_choix, c.typologie, bool(c.mutation)
            )
        elif etat is None:
            continue
        elif c.genre == "modifiee":
            etat = DemandeActive(
                etat.demande,
                etat.filed_on,
                c.premier_choix if c.souhaits else etat.premier_choix,
                c.typologie if c.souhaits else etat.typologie,
                c.mutation if c.mutation is not None else etat.mutation,
            )
        elif c.genre == "radiee":
            actif = False
        elif c.genre == "reactivee":
            actif = True
    if anniversaire is not None and calendrier.radiation_non_renouvellement(anniversaire) <= au:
        actif = False
    return etat if actif else None


class Collecte:
    """Gathers the facts of a whole log in order, then answers for a period. Retractions may
    come long after their target, so nothing is decided before the end."""

    def __init__(self) -> None:
        self.faits: list[Fait] = []
        self.retractes: set[tuple[str, int]] = set()

    def ajouter(self, faits: Iterable[Fait]) -> None:
        for f in faits:
            if isinstance(f, Retraction):
                self.retractes.add((f.demande, f.cible))
            else:
                self.faits.append(f)

    def pour(self, periode: Periode) -> Faits:
        r = Faits()
        debut12, fin12 = periode.douze_mois
        changements: dict[str, list[Changement]] = defaultdict(list)
        deposes: dict[tuple[str, int], date] = {}
        decides: dict[tuple[str, int], date] = {}
        retractes = self.retractes
        for f in self.faits:
            if (f.demande, f.version) in retractes:
                continue
            dans = periode.contient(f.jour)
            if isinstance(f, Changement):
                changements[f.demande].append(f)
            elif isinstance(f, Bail):
                if dans:
                    r.baux.append(f)
                if debut12 < f.jour <= fin12:
                    r.baux_douze_mois.append(f)
            elif isinstance(f, RecoursDepose):
                if dans:
                    r.recours_deposes.append(f)
                if f.jour <= periode.au:
                    deposes[(f.demande, f.decote)] = f.jour
            elif isinstance(f, RecoursDecide):
                if dans:
                    r.recours_decides.append(f)
                if f.jour <= periode.au:
                    decides[(f.demande, f.decote)] = f.jour
            elif isinstance(f, Orientation):
                if f.jour <= periode.au:
                    r.orientations.append(f)
            elif dans:
                _liste(r, f).append(f)
        r.recours_en_attente = recours_en_attente(deposes, decides)
        for cs in changements.values():
            cs.sort(key=lambda c: c.version)
            etat = replier(cs, periode.au)
            if etat is not None:
                r.actives.append(etat)
        return r


def recours_en_attente(deposes: dict[tuple[str, int], date], decides: dict[tuple[str, int], date]) -> int:
    # A recours filed again after a decision is pending again (one pending per décote).
    return sum(1 for k, jour in deposes.items() if k not in decides or decides[k] < jour)


def _liste(r: Faits, f: Fait) -> list[Any]:
    return {
        Attribution: r.attributions,
        Proposition: r.propositions,
        Refus: r.refus,
        Radiation: r.radiations,
        Decote: r.decotes,
        ExamenCAL: r.examens,
        VacanceOuverte: r.vacances,
    }[type(f)]


# -- the bilan du flux (DOMAIN.md §9, R.441-5-1) -----------------------------------------------


class LigneFlux(msgspec.Struct, frozen=True):
    """One convention's year: the vacancies of the bailleur's flux it covers (`base`, those
    withdrawn left out), what it promised (its share of the base, or its number), the
    vacancies oriented to it, and the CAL attributions and baux on them in the period."""

    convention: str
    reservataire: str
    bailleur: str
    annee: int
    contingent: str
    part: Decimal | None
    nombre: int | None
    base: int
    promises: Decimal
    orientees: int
    attributions: int
    baux: int

    @property
    def ecart(self) -> Decimal:
        return Decimal(self.orientees) - self.promises


class BilanFlux(msgspec.Struct, frozen=True):
    periode: Periode
    conventions: tuple[LigneFlux, ...]
    # Per bailleur: vacancies of the flux opened in the period, kept by the bailleur, withdrawn
    # from the base (by reason), and not oriented yet.
    vacances: dict[str, int]
    gardees: dict[str, int]
    retirees: dict[str, dict[str, int]]
    non_orientees: dict[str, int]


def bilan_flux(faits: Faits, periode: Periode, territoire: Territoire) -> BilanFlux:
    """The bilan du flux of the period's vacancies, convention by convention. Each vacancy's
    last orientation counts (a bailleur may orient it again until someone is designated)."""
    derniere: dict[tuple[str, int], Orientation] = {}
    for o in sorted(faits.orientations, key=lambda o: (o.jour, o.demande, o.version)):
        derniere[(o.logement, o.vacance)] = o
    vacances: dict[str, int] = defaultdict(int)
    for v in faits.vacances:
        if v.flux:
            vacances[v.bailleur] += 1
    dans = [o for o in derniere.values() if periode.contient(o.ouverte_le)]
    gardees: dict[str, int] = defaultdict(int)
    retirees: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in dans:
        if o.retrait:
            retirees[o.bailleur][o.retrait] += 1
        elif not o.reservataire:
            gardees[o.bailleur] += 1
    non_orientees = {b: max(0, n - sum(1 for o in dans if o.bailleur == b)) for b, n in vacances.items()}
    annees = set(range(periode.du.year, periode.au.year + 1))
    retire: dict[tuple[str, str, str], int] = defaultdict(int)
    for o in dans:
        if o.retrait:
            retire[(o.bailleur, o.typologie, o.commune)] += 1
    ouvertes: dict[tuple[str, str, str], int] = defaultdict(int)
    for v in faits.vacances:
        if v.flux:
            ouvertes[(v.bailleur, v.typologie, v.commune)] += 1
    attribuees: dict[tuple[str, int], int] = defaultdict(int)
    for a in faits.attributions:
        attribuees[(a.logement, a.vacance)] += 1
    louees: dict[tuple[str, int], int] = defaultdict(int)
    for b in faits.baux:
        louees[(b.logement, b.vacance)] += 1
    lignes: list[LigneFlux] = []
    for cv in sorted(territoire.conventions, key=lambda c: c.identifiant):
        if cv.annee not in annees:
            continue
        base = sum(
            n - retire[k] for k, n in ouvertes.items()
            if k[0] == cv.bailleur and _couvre(cv, k[1], k[2])
        )
        promises = (
            (cv.part * base / CENT).quantize(Decimal("0.01"), ROUND_HALF_UP) if cv.part is not None
            else Decimal(cv.nombre or 0)
        )
        siennes = [
            (o.logement, o.vacance) for o in derniere.values()
            if o.convention == cv.identifiant and o.ouverte_le.year == cv.annee
        ]
        lignes.append(
            LigneFlux(
                convention=cv.identifiant, reservataire=cv.reservataire, bailleur=cv.bailleur,
                annee=cv.annee, contingent=cv.contingent.value, part=cv.part, nombre=cv.nombre,
                base=base, promises=promises,
                orientees=sum(1 for o in dans if o.convention == cv.identifiant),
                attributions=sum(attribuees[k] for k in siennes),
                baux=sum(louees[k] for k in siennes),
            )
        )
    return BilanFlux(
        periode=periode,
        conventions=tuple(lignes),
        vacances=dict(sorted(vacances.items())),
        gardees=dict(sorted(gardees.items())),
        retirees={b: dict(sorted(r.items())) for b, r in sorted(retirees.items())},
        non_orientees=dict(sorted(non_orientees.items())),
    )


def _couvre(cv: Convention, typologie: str, commune: str) -> bool:
    return (cv.typologie is None or cv.typologie.value == typologie) and (cv.commune is None or cv.commune == commune)


# -- figures ------------------------------------------------------------------------------------


class Figure(msgspec.Struct, frozen=True):
    indicateur: str
    dimension: str  # territoire | bailleur | reservataire | commune | typologie | ...
    cle: str  # "" for the whole territory
    numerateur: int | None
    denominateur: int | None
    valeur: Decimal | None  # None when the denominator is zero
    unite: str  # "%" | "ratio" | "jours" | "nombre"
    cible: Decimal | None = None
    sens: str | None = None  # ">=": the result should be at least the target

    @property
    def atteinte(self) -> bool | None:
        if self.cible is None or self.valeur is None:
            return None
        return self.valeur >= self.cible if self.sens == ">=" else self.valeur <= self.cible


class Bilan(msgspec.Struct, frozen=True):
    territoire: str
    periode: Periode
    source: str  # "journal": the raw log | "vue": the live read model
    connu_a: datetime | None  # knowledge instant; None: everything recorded
    position: int  # last log position taken into account
    evenements: int  # events read
    figures: tuple[Figure, ...]

    def figure(self, indicateur: str, dimension: str = "territoire", cle: str = "") -> Figure | None:
        for f in self.figures:
            if (f.indicateur, f.dimension, f.cle) == (indicateur, dimension, cle):
                return f
        return None


# What each indicator is, in display order: (name, unit, label).
INDICATEURS: tuple[tuple[str, str, str], ...] = (
    ("premier_quartile_hors_qpv", "%", "baux hors QPV à des ménages du premier quartile"),
    ("hors_premier_quartile_qpv", "%", "attributions en QPV à des ménages hors premier quartile"),
    ("prioritaires_dalo", "%", "attributions à des ménages DALO ou prioritaires"),
    ("baux", "nombre", "baux signés"),
    ("attributions", "nombre", "attributions en CAL"),
    ("tension", "ratio", "demandes actives / baux des 12 mois précédents"),
    ("pression", "ratio", "demandes actives hors mutation en premier choix / baux des 12 mois"),
    ("attente_moyenne", "jours", "délai moyen d'attente (bail − dépôt)"),
    ("attente_mediane", "jours", "délai médian d'attente (bail − dépôt)"),
    ("refus", "nombre", "refus"),
    ("taux_refus", "%", "refus / propositions"),
    ("radiations", "nombre", "radiations"),
    ("decotes", "nombre", "décotes appliquées"),
    ("recours", "nombre", "recours"),
    ("delai_anormalement_long", "%", "demandes actives au-delà du délai anormalement long"),
    ("cal_moins_de_trois", "%", "CAL examinant moins de trois candidats"),
    ("flux_vacances", "nombre", "vacances du flux (hors retraits)"),
    ("flux_promises", "nombre", "vacances promises par convention de réservation"),
    ("flux_orientees", "nombre", "vacances orientées"),
    ("flux_attributions", "nombre", "attributions sur le flux orienté"),
    ("flux_baux", "nombre", "baux sur le flux orienté"),
)
ORDRE = {nom: i for i, (nom, _, _) in enumerate(INDICATEURS)}
UNITES = {nom: unite for nom, unite, _ in INDICATEURS}
LIBELLES = {nom: libelle for nom, _, libelle in INDICATEURS}
DIMENSIONS = (
    "territoire", "bailleur", "reservataire", "organisation", "organisation_gestion", "commune",
    "typologie", "typologie_commune", "decision", "stade", "motif", "qualification", "code",
    "issue", "raison", "convention", "retrait",
)
CIBLES: dict[str, Decimal] = {
    "premier_quartile_hors_qpv": Decimal(25),  # L.441-1, CIA
    "hors_premier_quartile_qpv": Decimal(50),
    "prioritaires_dalo": Decimal(25),  # per bailleur and per réservataire
}
# The priority target is set per bailleur and per réservataire (and so for their sum).
# Per réservataire means per organisation, each on its own contingent or flux share, in flux and
# in stock (DOMAIN.md §6): the kind of contingent (`reservataire`) is shown, the target is the
# organisation's.
_CIBLE_DIMENSIONS = {
    "prioritaires_dalo": {"territoire", "bailleur", "reservataire", "organisation", "organisation_gestion"}
}

CENT = Decimal(100)


def pourcentage(n: int, d: int) -> Decimal | None:
    return None if d == 0 else (CENT * n / Decimal(d)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def rapport(n: int, d: int) -> Decimal | None:
    return None if d == 0 else (Decimal(n) / Decimal(d)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def jours(x: Decimal | float | int) -> Decimal:
    return Decimal(x).quantize(Decimal("0.1"), ROUND_HALF_UP)


def attente(baux: Iterable[Bail]) -> tuple[int, Decimal | None, Decimal | None]:
    """Count, mean and median of (bail − filed_on) in days."""
    delais = sorted((b.jour - b.filed_on).days for b in baux)
    if not delais:
        return 0, None, None
    moyenne = jours(Decimal(sum(delais)) / len(delais))
    return len(delais), moyenne, jours(Decimal(str(statistics.median(delais))))


def calculer(faits: Faits, periode: Periode, territoire: Territoire) -> tuple[Figure, ...]:
    figures: list[Figure] = []

    def taux(nom: str, faits_: list[Any], dans: Callable[[Any], bool], dims: dict[str, Callable[[Any], str]]) -> None:
        for dim, cle in dims.items():
            groupes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for f in faits_:
                g = groupes[cle(f)]
                g[1] += 1
                g[0] += dans(f)
            for k, (n, d) in groupes.items():
                cible = CIBLES.get(nom) if dim in _CIBLE_DIMENSIONS.get(nom, {dim}) else None
                figures.append(
                    Figure(nom, dim, k, n, d, pourcentage(n, d), "%", cible, ">=" if cible is not None else None)
                )

    def compte(nom: str, faits_: list[Any], dims: dict[str, Callable[[Any], str]]) -> None:
        for dim, cle in dims.items():
            groupes: dict[str, int] = defaultdict(int)
            for f in faits_:
                groupes[cle(f)] += 1
            for k, n in groupes.items():
                figures.append(Figure(nom, dim, k, n, None, Decimal(n), "nombre"))

    tout: dict[str, Callable[[Any], str]] = {"territoire": lambda f: ""}
    partenaires: dict[str, Callable[[Any], str]] = {
        **tout,
        "bailleur": lambda f: f.bailleur,
        "reservataire": lambda f: f.contingent,
        "organisation": lambda f: f.organisation,
        "organisation_gestion": gestion,
        "commune": lambda f: f.commune,
    }
    # Whole-territory figures exist even when nothing happened, so a target always shows.
    hors_qpv = [b for b in faits.baux if not b.qpv]
    en_qpv = [a for a in faits.attributions if a.qpv]
    taux("premier_quartile_hors_qpv", hors_qpv, lambda b: b.premier_quartile, partenaires)
    taux("hors_premier_quartile_qpv", en_qpv, lambda a: not a.premier_quartile, partenaires)
    taux("prioritaires_dalo", faits.attributions, lambda a: a.dalo or a.prioritaire, partenaires)
    for nom, liste in (("premier_quartile_hors_qpv", hors_qpv), ("hors_premier_quartile_qpv", en_qpv),
                       ("prioritaires_dalo", faits.attributions)):
        if not liste:
            figures.append(Figure(nom, "territoire", "", 0, 0, None, "%", CIBLES[nom], ">="))
    compte("baux", faits.baux, {**partenaires, "typologie": lambda b: b.typologie})
    compte("attributions", faits.attributions, {**partenaires, "decision": lambda a: a.decision})

    # Stocks on `au` against the baux of the 12 months before.
    figures.append(
        Figure("tension", "territoire", "", len(faits.actives), len(faits.baux_douze_mois),
               rapport(len(faits.actives), len(faits.baux_douze_mois)), "ratio")
    )
    demandes: dict[str, int] = defaultdict(int)
    for a in faits.actives:
        if not a.mutation and a.premier_choix is not None:
            demandes[a.premier_choix] += 1
    baux_commune: dict[str, int] = defaultdict(int)
    for b in faits.baux_douze_mois:
        baux_commune[b.commune] += 1
    for commune in sorted(set(demandes) | set(baux_commune)):
        n, d = demandes[commune], baux_commune[commune]
        figures.append(Figure("pression", "commune", commune, n, d, rapport(n, d), "ratio"))

    # Waiting times of the period's baux.
    attentes: dict[str, Callable[[Bail], str]] = {
        "territoire": lambda b: "",
        "organisation": lambda b: b.organisation,
        "organisation_gestion": gestion,
        "typologie": lambda b: b.typologie,
        "commune": lambda b: b.commune,
        "typologie_commune": lambda b: f"{b.typologie} {b.commune}",
    }
    for dim, cle in attentes.items():
        groupes: dict[str, list[Bail]] = defaultdict(list)
        for b in faits.baux:
            groupes[cle(b)].append(b)
        for k, baux in groupes.items():
            n, moyenne, mediane = attente(baux)
            figures.append(Figure("attente_moyenne", dim, k, None, n, moyenne, "jours"))
            figures.append(Figure("attente_mediane", dim, k, None, n, mediane, "jours"))

    compte("refus", faits.refus, {
        **tout,
        "stade": lambda r: r.stade,
        "motif": lambda r: r.motif,
        "qualification": lambda r: r.qualification,
        "bailleur": lambda r: r.bailleur,
    })
    refus_par: dict[str, int] = defaultdict(int)
    props_par: dict[str, int] = defaultdict(int)
    for r in faits.refus:
        refus_par[""] += 1
        refus_par["bailleur:" + r.bailleur] += 1
    for p in faits.propositions:
        props_par[""] += 1
        props_par["bailleur:" + p.bailleur] += 1
    for k in sorted(set(refus_par) | set(props_par)):
        dim, _, cle = k.rpartition(":")
        n, d = refus_par[k], props_par[k]
        figures.append(Figure("taux_refus", dim or "territoire", cle, n, d, pourcentage(n, d), "%"))

    compte("radiations", faits.radiations, {**tout, "motif": lambda r: r.motif})
    compte("decotes", faits.decotes, {**tout, "code": lambda d: d.code})
    issues = {
        "deposes": len(faits.recours_deposes),
        "annulees": sum(1 for r in faits.recours_decides if r.decision == "annulee"),
        "maintenues": sum(1 for r in faits.recours_decides if r.decision == "maintenue"),
        "en_attente": faits.recours_en_attente,
    }
    for k, n in issues.items():
        figures.append(Figure("recours", "issue", k, n, None, Decimal(n), "nombre"))

    delai = territoire.delai_anormalement_long_mois
    long_ = sum(1 for a in faits.actives if ajouter_mois(a.filed_on, delai) <= periode.au)
    figures.append(
        Figure("delai_anormalement_long", "territoire", "", long_, len(faits.actives),
               pourcentage(long_, len(faits.actives)), "%")
    )

    cals: dict[tuple[str, int, date], ExamenCAL] = {}
    raisons: dict[tuple[str, int, date], str] = {}
    for e in faits.examens:
        k = (e.logement, e.vacance, e.jour)
        cals.setdefault(k, e)
        if e.raison:
            raisons.setdefault(k, e.raison)
    figures.append(
        Figure("cal_moins_de_trois", "territoire", "", len(raisons), len(cals),
               pourcentage(len(raisons), len(cals)), "%")
    )
    par_raison: dict[str, int] = defaultdict(int)
    for r in raisons.values():
        par_raison[r] += 1
    for r, n in par_raison.items():
        figures.append(Figure("cal_moins_de_trois", "raison", r, n, len(cals), pourcentage(n, len(cals)), "%"))

    flux = bilan_flux(faits, periode, territoire)
    if territoire.flux_depuis is not None:
        for b, n in flux.vacances.items():
            figures.append(Figure("flux_vacances", "bailleur", b, n, None, Decimal(n), "nombre"))
        for b, raisons_ in flux.retirees.items():
            for r, n in raisons_.items():
                figures.append(Figure("flux_vacances", "retrait", f"{b} {r}", n, None, Decimal(n), "nombre"))
        for b, n in flux.gardees.items():
            figures.append(Figure("flux_orientees", "organisation", f"{b} {SANS_RESERVATAIRE}", n, None, Decimal(n), "nombre"))
        for ligne in flux.conventions:
            k = ligne.convention
            figures.append(Figure("flux_promises", "convention", k, None, ligne.base, ligne.promises, "nombre"))
            figures.append(Figure("flux_orientees", "convention", k, ligne.orientees, None, Decimal(ligne.orientees), "nombre"))
            figures.append(Figure("flux_attributions", "convention", k, ligne.attributions, None, Decimal(ligne.attributions), "nombre"))
            figures.append(Figure("flux_baux", "convention", k, ligne.baux, None, Decimal(ligne.baux), "nombre"))

    return tuple(sorted(figures, key=cle_de_tri))


def gestion(f: Any) -> str:
    """The organisation and how its share is managed: "ALS flux", "ETAT-06 stock"."""
    return f"{f.organisation} {'flux' if f.flux else 'stock'}"


def cle_de_tri(f: Figure) -> tuple[int, int, str]:
    dims = {d: i for i, d in enumerate(DIMENSIONS)}
    return ORDRE.get(f.indicateur, 99), dims.get(f.dimension, 99), f.cle


# -- the check between the raw log and the live read model --------------------------------------


class Ecart(msgspec.Struct, frozen=True):
    indicateur: str
    dimension: str
    cle: str
    journal: Figure | None
    vue: Figure | None


def comparer(journal: Bilan, vue: Bilan) -> list[Ecart]:
    """Every figure that differs, or exists on one side only."""
    a = {(f.indicateur, f.dimension, f.cle): f for f in journal.figures}
    b = {(f.indicateur, f.dimension, f.cle): f for f in vue.figures}
    return [
        Ecart(*k, a.get(k), b.get(k))
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]
