"""The facts statistics count (docs/statistics.md, docs/rules.md and docs/flux.md): one small struct per event that matters to an
indicator, and `extraire` / `extraire_logement`, which turn a demand's or a dwelling's event into
them. Both readers of the observatory use these and only these: `projections.journal` on the
raw log's lighter decoding, `projections.vue_statistiques` on the library's domain events; the
arithmetic over them is `projections.indicateurs`. Facts hold no personal data."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from domain import calendrier
from domain.codes import ATTRIBUTIONS
from domain.logement import Logement
from domain.menage import type_menage_des_roles
from domain.territoire import Territoire

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
    # the vacancy was in flux (docs/statistics.md, docs/rules.md and docs/flux.md).
    organisation: str = SANS_RESERVATAIRE
    flux: bool = False
    vacance: int = 0
    # The household's profile at attribution ("inconnue" before it was kept, or unknown).
    tranche_age: str = "inconnue"
    type_menage: str = "inconnue"


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
    tranche_age: str = "inconnue"
    type_menage: str = "inconnue"
    mutation: bool = False


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
    # The profile (docs/statistics.md): the age band registration, renewal and reactivation
    # state; the kind of household, from the members whenever they are set.
    tranche_age: str | None = None
    type_menage: str | None = None


class Enregistrement(Fait, tag="enregistrement"):
    """A registration made by a guichet (not an import of a demand registered elsewhere): the
    delay from its dépôt (filed_on) to its registration, which R.441-2-4 bounds at one month."""

    guichet: str
    filed_on: date

    @property
    def delai_jours(self) -> int:
        return (self.jour - self.filed_on).days


class Retraction(Fait, tag="retraction"):
    cible: int  # version of the retracted event on the same demand


class VacanceOuverte(Fait, tag="vacance"):
    """A dwelling's vacancy opened (`demande` holds the dwelling aggregate's id): the bailleur's
    flux of the year is made of those opened in flux (docs/rules.md and docs/flux.md)."""

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
    | Enregistrement
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
# Dwelling events the flux reads (docs/rules.md and docs/flux.md): vacancies and their orientation.
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
        # An import carries a dépôt made long before elsewhere: not a registration delay.
        importee = str(getattr(evenement, "canal", "api")) == "import"
        enregistrement: list[Fait] = [] if importee else [
            Enregistrement(demande, v, jour, evenement.organisation, evenement.filed_on)
        ]
        return enregistrement + [
            Changement(
                demande, v, jour, "enregistree", souhaits=True,
                filed_on=evenement.filed_on,
                premier_choix=s.communes[0] if s.communes else None,
                typologie=str(s.typologies[0]) if s.typologies else None,
                mutation=la is not None and str(la.modele) == "HLM",
                anniversaire=evenement.anniversaire,
                tranche_age=evenement.tranche_age,
                type_menage=_type_menage(evenement.membres),
            )
        ]
    if genre == "Renouvelee":
        return [Changement(demande, v, jour, "renouvelee", anniversaire=calendrier.anniversaire(jour),
                           tranche_age=evenement.tranche_age)]
    if genre == "Modifiee":
        s, la = evenement.souhaits, evenement.logement_actuel
        if s is None and la is None and evenement.membres is None:
            return []
        return [
            Changement(
                demande, v, jour, "modifiee", souhaits=s is not None,
                premier_choix=(s.communes[0] if s.communes else None) if s is not None else None,
                typologie=(str(s.typologies[0]) if s.typologies else None) if s is not None else None,
                mutation=str(la.modele) == "HLM" if la is not None else None,
                type_menage=_type_menage(evenement.membres) if evenement.membres is not None else None,
            )
        ]
    if genre == "Radiee":
        return [
            Changement(demande, v, jour, "radiee"),
            Radiation(demande, v, jour, str(evenement.motif)),
        ]
    if genre == "Reactivee":
        return [Changement(demande, v, jour, "reactivee", anniversaire=calendrier.anniversaire(jour),
                           tranche_age=evenement.tranche_age)]
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
                    s.flux, s.tranche_age or "inconnue", s.type_menage or "inconnue", s.mutation,
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
                s.flux, evenement.vacance, s.tranche_age or "inconnue", s.type_menage or "inconnue",
            )
        ]
    if genre == "Retractee":
        return [Retraction(demande, v, jour, evenement.cible)]
    return []


def _type_menage(membres: Any) -> str:
    """`domain.menage.type_menage` on roles, whichever decoding gives them (enum or text)."""
    return type_menage_des_roles(str(m.role) for m in membres)


def _bailleur(territoire: Territoire, logement: str) -> str:
    try:
        return territoire.logement(logement).bailleur
    except KeyError:
        return "?"  # a dwelling no longer in the territory file still counts, unattributed
