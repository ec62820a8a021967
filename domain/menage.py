"""Household arithmetic: consumption units, resources, first quartile, priority (docs/cotation.md, docs/statistics.md)."""

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from domain.calendrier import age_au
from domain.codes import ModeleLogement, RoleMembre, StatutDalo
from domain.foyer import DonneesPersonnelles, LogementActuel, Membre

# Criteria of L.441-1 counted as priority by the statistics (not premier_quartile).
CRITERES_PRIORITAIRES = frozenset(
    {
        "handicap",
        "chomage_longue_duree",
        "sortie_act",
        "logement_indigne",
        "menace_expulsion",
        "violences_couple",
        "non_decent_mineur",
        "sur_occupation_mineur",
        "sans_logement",
        "heberge_tiers",
        "heberge_structure",
        "victime_viol",
        "sortie_prostitution",
        "jeune_ase",
        "victime_traite",
    }
)
SANS_LOGEMENT = frozenset({ModeleLogement.SD, ModeleLogement.SQUAT, ModeleLogement.CAMCAR, ModeleLogement.HOT})
HEBERGE_TIERS = frozenset({ModeleLogement.CP, ModeleLogement.CPE, ModeleLogement.LTG})
HEBERGE_STRUCTURE = frozenset(
    {ModeleLogement.SH, ModeleLogement.RS, ModeleLogement.RHVS, ModeleLogement.SLHT, ModeleLogement.CDEFCM}
)


def ressources_annuelles(membres: tuple[Membre, ...]) -> Decimal:
    return 12 * sum((r.montant_mensuel for m in membres for r in m.ressources), Decimal(0))


def unites_de_consommation(
    membres: tuple[Membre, ...], personnel: DonneesPersonnelles | None, au: date
) -> Decimal:
    """OECD-modified scale; a person whose birth date is unknown (erased) counts as an adult."""
    uc = Decimal(0)
    for m in membres:
        if m.role is RoleMembre.demandeur:
            uc += 1
            continue
        naissance = personnel.naissance(m.id) if personnel else None
        uc += Decimal("0.3") if naissance is not None and age_au(naissance, au) < 14 else Decimal("0.5")
    return uc


def ressources_par_uc(
    membres: tuple[Membre, ...], personnel: DonneesPersonnelles | None, au: date
) -> Decimal:
    """Unrounded: the first quartile is "strictly below" the threshold (§5.2), so rounding
    first would move households across it. Round only for display or storage."""
    uc = unites_de_consommation(membres, personnel, au)
    return ressources_annuelles(membres) / uc


def arrondi(montant: Decimal) -> Decimal:
    return montant.quantize(Decimal("0.01"), ROUND_HALF_UP)


def premier_quartile(par_uc: Decimal, seuil: Decimal | None) -> bool:
    # Strictly below the threshold (§5.2); no threshold for the year means no first quartile.
    return seuil is not None and par_uc < seuil


def prioritaire(
    situations: frozenset[str],
    logement_actuel: LogementActuel | None,
    justifies: frozenset[str],
    rejetes: frozenset[str],
) -> bool:
    """A priority criterion of L.441-1 admitted (docs/rules.md): a declared one once justified
    (its latest justification `justifie`), a derived one unless its latest is `rejete`."""
    declares = (situations & CRITERES_PRIORITAIRES) & justifies
    derives: set[str] = set()
    if logement_actuel is not None:
        if logement_actuel.modele in SANS_LOGEMENT:
            derives.add("sans_logement")
        if logement_actuel.modele in HEBERGE_TIERS:
            derives.add("heberge_tiers")
        if logement_actuel.modele in HEBERGE_STRUCTURE:
            derives.add("heberge_structure")
    return bool(declares or (derives - rejetes))


# Profiles the statistics count (docs/statistics.md): the demandeur's age band and the kind of
# household, never a birth date. A dependant counts as a child (product rule: roles only).
TRANCHES_AGE = ("moins_30", "30_59", "60_plus")
TYPES_MENAGE = ("isole", "couple", "parent_isole", "couple_enfants", "autre")


def tranche_age(membres: tuple[Membre, ...], personnel: DonneesPersonnelles | None, au: date) -> str | None:
    """The demandeur's age band on `au`; None when the birth date is unknown or erased."""
    demandeur = next((m for m in membres if m.role is RoleMembre.demandeur), None)
    naissance = personnel.naissance(demandeur.id) if personnel and demandeur else None
    if naissance is None:
        return None
    age = age_au(naissance, au)
    return "moins_30" if age < 30 else ("30_59" if age < 60 else "60_plus")


def type_menage(membres: tuple[Membre, ...]) -> str:
    return type_menage_des_roles(str(m.role) for m in membres)


def type_menage_des_roles(roles: Iterable[str]) -> str:
    """The household type from its members' roles, however they were decoded (the statistics
    read stored events' roles as text)."""
    liste = list(roles)
    cotitulaires = liste.count(RoleMembre.cotitulaire.value)
    a_charge = liste.count(RoleMembre.personne_a_charge.value)
    if cotitulaires == 0:
        return "isole" if a_charge == 0 else "parent_isole"
    if cotitulaires == 1:
        return "couple" if a_charge == 0 else "couple_enfants"
    return "autre"


def dalo(statut: StatutDalo) -> bool:
    return statut is StatutDalo.ACTIF
