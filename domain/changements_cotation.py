"""When a demand's score can next change with no new event (docs/rules.md, "Scores and the day").

A score as of a day depends on the day only through: the titulaires' and dependants' ages
(criteria by age, the consumption units' 14-year threshold), the filing anniversaries
(ancienneté), the year (the first-quartile threshold is set per year: 1 January is a day only
for the households between this year's threshold and next year's), the décotes' year
(counted from their date, end exclusive), the grid version in force, and what the schedule
appends on its own dates (the RADREN radiation takes the demand out of every ranking). The
day's recompute rescores only the demands whose date has come (`projections.cotation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from domain import calendrier
from domain.cotation import Grille
from domain.etat_demande import EtatDemande, Fait
from domain.foyer import DonneesPersonnelles
from domain.menage import ressources_annuelles, unites_de_consommation
from domain.territoire import Territoire

# Consumption units: a member under 14 counts 0.3, 0.5 from 14 (domain.menage).
AGE_UC = 14


def jour_des_ans(naissance: date, age: int) -> date:
    """The first day on which someone born on `naissance` is `age` (`calendrier.age_au`):
    born on 29 February, in a common year the birthday is 1 March."""
    annee = naissance.year + age
    try:
        return naissance.replace(year=annee)
    except ValueError:  # 29 February in a common year
        return date(annee, 3, 1)


def _seuils(grille: Grille) -> tuple[set[int], set[int], bool]:
    """Ages and ancienneté years that any version of the grid reads, and whether the
    first-quartile rule is used (its threshold is per year, its UC depend on age 14)."""
    ages: set[int] = set()
    ans: set[int] = set()
    quartile = False
    for v in grille.versions:
        for c in v.criteres:
            if c.regle in ("tous_titulaires_moins_de", "un_titulaire_au_moins", "parent_isole", "aspa_epci"):
                ages.add(int(c.parametres["age"]))
            elif c.regle == "anciennete":
                ans.add(int(c.parametres["ans"]))
            elif c.regle == "premier_quartile":
                quartile = True
    if quartile:
        ages.add(AGE_UC)
    return ages, ans, quartile


_SEUILS: dict[int, tuple[Grille, tuple[set[int], set[int], bool]]] = {}


def _seuils_lus(grille: Grille) -> tuple[set[int], set[int], bool]:
    # Read once per grid loaded, as `coter` reads its parametres (one call per demand a day).
    lu = _SEUILS.get(id(grille))
    if lu is None or lu[0] is not grille:
        if len(_SEUILS) > 100:
            _SEUILS.clear()
        lu = _SEUILS[id(grille)] = (grille, _seuils(grille))
    return lu[1]


def _sous_le_seuil(par_uc: Decimal, seuil: Decimal | None) -> bool:
    # No threshold set for the year: the criterion does not apply (`coter` says so).
    return seuil is not None and par_uc < seuil


def _quartile_change_au_nouvel_an(etat: EtatDemande, au: date, territoire: Territoire) -> bool:
    """Whether the first-quartile criterion can flip on the next 1 January: only if the
    household's resources per UC lie between this year's threshold and next year's (or one of
    them is not set). Its UC as of `au` hold until then unless a member turns 14 first, which
    is a day of its own (the score is then taken again, and this asked again)."""
    p = etat.personnel
    personnel = p if isinstance(p, DonneesPersonnelles) else None
    uc = unites_de_consommation(etat.membres, personnel, au)
    par_uc = ressources_annuelles(etat.membres) / uc
    cette_annee = territoire.seuil_premier_quartile(au.year)
    l_an_prochain = territoire.seuil_premier_quartile(au.year + 1)
    return _sous_le_seuil(par_uc, cette_annee) != _sous_le_seuil(par_uc, l_an_prochain)


def fait_suivant(faits: Sequence[Fait], au: date) -> date | None:
    """The date of the first recorded fact dated after `au`: occurred_on never goes backwards on
    a demand, so it is found from the end."""
    suivant = None
    for f in reversed(faits):
        if f.occurred_on <= au:
            break
        suivant = f.occurred_on
    return suivant


def prochain_changement(
    etat: EtatDemande,
    au: date,
    territoire: Territoire,
    grille: Grille | None,
    faits: Sequence[Fait] = (),
) -> date | None:
    """The earliest day after `au` on which the demand's score (and its row in the ranking:
    active or not, points, grid version) as of that day can differ from its score as of `au`
    with no new event; None if it never can. It may be earlier than the true day (the rescore
    then finds the same score and asks again), never later. `etat` is the demand's state as of
    `au` with what fell due counted (`Demande.etat_courant`); `faits` the demand's recorded
    facts, of which those dated after `au` (left out of `etat`) count from their own date
    (a justification counts from its date, a modification from the day it took effect)."""
    suivant = fait_suivant(faits, au)
    if not etat.active:
        # No score; only an event (a reactivation) brings it back. Its erasure, the schedule's
        # next act, changes nothing of its row.
        return suivant
    candidats: list[date] = [] if suivant is None else [suivant]
    # The schedule's RADREN radiation (anniversary + 1 month, `prochaine_echeance`'s last act
    # for an active demand) takes it out of every ranking on its own day; the notices before it
    # change no score, so they are not a day here.
    radiation = calendrier.radiation_non_renouvellement(etat.anniversaire)
    if radiation > au:
        candidats.append(radiation)
    if grille is not None:
        candidats += [v.effective_du for v in grille.versions if v.effective_du > au]
        ages, ans, quartile = _seuils_lus(grille)
        if quartile and _quartile_change_au_nouvel_an(etat, au, territoire):
            candidats.append(date(au.year + 1, 1, 1))
        for n in ans:
            jour = calendrier.ajouter_ans(etat.filed_on, n)
            if jour > au:
                candidats.append(jour)
        p = etat.personnel
        if ages and isinstance(p, DonneesPersonnelles):
            for m in etat.membres:
                naissance = p.naissance(m.id)
                if naissance is None:
                    continue
                for age in ages:
                    jour = jour_des_ans(naissance, age)
                    if jour > au:
                        candidats.append(jour)
    for d in etat.decotes.values():
        # Counts from its own date until a year after the sanctioned fact (`Decote.fin`).
        for jour in (d.date, d.fin):
            if jour > au:
                candidats.append(jour)
    return min(candidats, default=None)
