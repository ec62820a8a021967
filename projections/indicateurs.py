"""The observatory's indicators (docs/statistics.md, docs/flux.md): the facts of a period and
the arithmetic, the bilan du flux included.

Two readers feed the same arithmetic: `projections.journal` reads the raw event log, and
`projections.vue_statistiques` keeps the facts in live tables. Both turn events into the facts
of `projections/faits.py` with `extraire` (and `extraire_logement` for the flux), so a
difference between them can only come from reading, storing, retracting or folding, which is
exactly what the check between them is for.

Every figure is computed with integers and Decimals and rounded half-up, so the same log gives
the same figures to the last digit whenever they are regenerated.

It runs past 600 lines because every indicator's arithmetic is here, side by side, so that the
raw-log reader and the live read model share one definition of each figure.
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
from domain.territoire import Convention, Territoire

# The facts and their extraction live in projections/faits.py; they are read from here too.
from projections.faits import (  # noqa: F401
    EVENEMENTS_LOGEMENT_LUS,
    EVENEMENTS_LUS,
    PREFIXE_TOPIC,
    PREFIXE_TOPIC_LOGEMENT,
    SANS_RESERVATAIRE,
    Attribution,
    Bail,
    Changement,
    Decote,
    Enregistrement,
    ExamenCAL,
    Fait,
    Orientation,
    Proposition,
    Radiation,
    RecoursDecide,
    RecoursDepose,
    Refus,
    Retraction,
    TypeFait,
    VacanceOuverte,
    extraire,
    extraire_logement,
    organisation_reservataire,
)

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


# -- the facts of a period ---------------------------------------------------------------------


class DemandeActive(msgspec.Struct, frozen=True):
    demande: str
    filed_on: date
    premier_choix: str | None
    typologie: str | None
    mutation: bool
    tranche_age: str = "inconnue"
    type_menage: str = "inconnue"


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
    # (decision, days from the filing to the decision) of the recours decided in the period.
    recours_delais: list[tuple[str, int]] = field(default_factory=list)
    examens: list[ExamenCAL] = field(default_factory=list)
    actives: list[DemandeActive] = field(default_factory=list)  # on `au`
    vacances: list[VacanceOuverte] = field(default_factory=list)  # opened in the period
    orientations: list[Orientation] = field(default_factory=list)  # recorded by `au`
    enregistrements: list[Enregistrement] = field(default_factory=list)  # registered in the period


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
                c.demande, c.filed_on or c.jour, c.premier_choix, c.typologie, bool(c.mutation),
                c.tranche_age or "inconnue", c.type_menage or "inconnue",
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
                etat.tranche_age,
                c.type_menage or etat.type_menage,
            )
        elif c.genre == "radiee":
            actif = False
        elif c.genre == "reactivee":
            actif = True
        if c.genre in ("renouvelee", "reactivee") and c.tranche_age is not None:
            etat = msgspec.structs.replace(etat, tranche_age=c.tranche_age)
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
        depots: dict[tuple[str, int], list[RecoursDepose]] = defaultdict(list)
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
                    depots[(f.demande, f.decote)].append(f)
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
        r.recours_delais = delais_recours(depots, r.recours_decides)
        for cs in changements.values():
            cs.sort(key=lambda c: c.version)
            etat = replier(cs, periode.au)
            if etat is not None:
                r.actives.append(etat)
        return r


def recours_en_attente(deposes: dict[tuple[str, int], date], decides: dict[tuple[str, int], date]) -> int:
    # A recours filed again after a decision is pending again (one pending per décote).
    return sum(1 for k, jour in deposes.items() if k not in decides or decides[k] < jour)


def delais_recours(
    depots: dict[tuple[str, int], list[RecoursDepose]], decisions: list[RecoursDecide]
) -> list[tuple[str, int]]:
    """Days from filing to decision: the decision's recours is the last one filed on its décote
    before it (a recours may be filed again after a decision)."""
    out: list[tuple[str, int]] = []
    for d in decisions:
        avant = [x for x in depots.get((d.demande, d.decote), ()) if x.version < d.version]
        if avant:
            out.append((d.decision, (d.jour - max(avant, key=lambda x: x.version).jour).days))
    return out


def _liste(r: Faits, f: Fait) -> list[Any]:
    return {
        Attribution: r.attributions,
        Proposition: r.propositions,
        Refus: r.refus,
        Radiation: r.radiations,
        Decote: r.decotes,
        ExamenCAL: r.examens,
        VacanceOuverte: r.vacances,
        Enregistrement: r.enregistrements,
    }[type(f)]


# -- the bilan du flux (docs/rules.md and docs/flux.md, R.441-5-1) -----------------------------------------------


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
    origine_cible: str | None = None  # loi (the law's default) | cia (the territory's commitment)

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
    ("mutations", "%", "baux à des demandes de mutation"),
    ("demandes_actives", "nombre", "demandes actives"),
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
    ("recours_delai_moyen", "jours", "délai moyen du dépôt du recours à sa décision"),
    ("recours_delai_median", "jours", "délai médian du dépôt du recours à sa décision"),
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
    "issue", "raison", "convention", "retrait", "tranche_age", "type_menage",
)
CIBLES: dict[str, Decimal] = {
    "premier_quartile_hors_qpv": Decimal(25),  # L.441-1, CIA
    "hors_premier_quartile_qpv": Decimal(50),
    "prioritaires_dalo": Decimal(25),  # per bailleur and per réservataire
}
# The priority target is set per bailleur and per réservataire (and so for their sum).
# Per réservataire means per organisation, each on its own contingent or flux share, in flux and
# in stock (docs/statistics.md): the kind of contingent (`reservataire`) is shown, the target is the
# organisation's.
_CIBLE_DIMENSIONS = {
    "prioritaires_dalo": {"territoire", "bailleur", "reservataire", "organisation", "organisation_gestion"}
}

CENT = Decimal(100)
# R.441-2-4: a demand is registered within one month of its dépôt; counted as 30 days, day 30
# included (docs/rules.md).
DELAI_ENREGISTREMENT_JOURS = 30


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


def cible(territoire: Territoire, nom: str, dimension: str, cle: str, annee: int) -> tuple[Decimal | None, str | None]:
    """The target of a figure for the year and where it comes from: a commitment of the
    territory file for that bailleur or réservataire organisation, the territory's own target
    for the year, else the law's default where it applies (CCH L.441-1)."""
    for c in territoire.cibles:
        if c.indicateur != nom or c.annee != annee:
            continue
        if dimension == "bailleur" and c.bailleur == cle and c.reservataire is None:
            return c.valeur, c.source
        if dimension == "organisation" and c.reservataire == cle and c.bailleur is None:
            return c.valeur, c.source
        if dimension == "territoire" and c.bailleur is None and c.reservataire is None:
            return c.valeur, c.source
    if dimension in _CIBLE_DIMENSIONS.get(nom, {dimension}) and nom in CIBLES:
        return CIBLES[nom], "loi"
    return None, None


def calculer(faits: Faits, periode: Periode, territoire: Territoire) -> tuple[Figure, ...]:
    figures: list[Figure] = []
    annee = periode.au.year

    def taux(nom: str, faits_: list[Any], dans: Callable[[Any], bool], dims: dict[str, Callable[[Any], str]]) -> None:
        for dim, cle in dims.items():
            groupes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for f in faits_:
                g = groupes[cle(f)]
                g[1] += 1
                g[0] += dans(f)
            for k, (n, d) in groupes.items():
                c, origine = cible(territoire, nom, dim, k, annee)
                figures.append(
                    Figure(nom, dim, k, n, d, pourcentage(n, d), "%", c, ">=" if c is not None else None, origine)
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
            c, origine = cible(territoire, nom, "territoire", "", annee)
            figures.append(Figure(nom, "territoire", "", 0, 0, None, "%", c, ">=" if c is not None else None, origine))
    profils: dict[str, Callable[[Any], str]] = {
        "tranche_age": lambda f: f.tranche_age, "type_menage": lambda f: f.type_menage,
    }
    taux("mutations", faits.baux, lambda b: b.mutation, {**tout, "bailleur": lambda b: b.bailleur})
    compte("baux", faits.baux, {**partenaires, "typologie": lambda b: b.typologie, **profils})
    compte("attributions", faits.attributions, {**partenaires, "decision": lambda a: a.decision, **profils})
    compte("demandes_actives", faits.actives, {**tout, **profils})

    # Registration within a month of the dépôt (R.441-2-4: 30 days, day 30 included), per guichet.
    guichets: dict[str, Callable[[Any], str]] = {**tout, "guichet": lambda e: e.guichet}
    taux("enregistrement_30_jours", faits.enregistrements, lambda e: e.delai_jours <= DELAI_ENREGISTREMENT_JOURS,
         guichets)
    for dim, cle in guichets.items():
        par_guichet: dict[str, list[int]] = defaultdict(list)
        for e in faits.enregistrements:
            par_guichet[cle(e)].append(e.delai_jours)
        for k, delais in par_guichet.items():
            figures.append(Figure("delai_enregistrement_moyen", dim, k, None, len(delais),
                                  jours(Decimal(sum(delais)) / len(delais)), "jours"))

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
    delais: dict[tuple[str, str], list[int]] = defaultdict(list)
    for decision, j in faits.recours_delais:
        delais[("territoire", "")].append(j)
        delais[("issue", "annulees" if decision == "annulee" else "maintenues")].append(j)
    for (dim, k), js in sorted(delais.items()):
        figures.append(Figure("recours_delai_moyen", dim, k, None, len(js), jours(Decimal(sum(js)) / len(js)), "jours"))
        figures.append(Figure("recours_delai_median", dim, k, None, len(js), jours(Decimal(str(statistics.median(js)))), "jours"))

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
