"""Deadline arithmetic of docs/rules.md "Deadlines": calendar months clamped to the end of the month,
"within N days" including day N."""

import calendar
from datetime import date, timedelta
from functools import lru_cache


# Remembered: a statistics pass or a rebuild asks the same few thousand dates over and over (every
# demand's anniversary + 1 month), and the arithmetic is pure.
@lru_cache(maxsize=1 << 16)
def ajouter_mois(jour: date, mois: int) -> date:
    """31 January + 1 month = 28 or 29 February: clamp to the month's last day."""
    index = jour.year * 12 + (jour.month - 1) + mois
    annee, mois0 = divmod(index, 12)
    dernier = calendar.monthrange(annee, mois0 + 1)[1]
    return date(annee, mois0 + 1, min(jour.day, dernier))


def ajouter_ans(jour: date, ans: int) -> date:
    return ajouter_mois(jour, 12 * ans)


def dernier_jour_dans(depart: date, jours: int) -> date:
    """Last day of a delay "within N days" counted from `depart` (day N included)."""
    return depart + timedelta(days=jours)


def age_au(naissance: date, au: date) -> int:
    """Whole years at `au`; someone born on 29 February turns a year older on 1 March."""
    return au.year - naissance.year - ((au.month, au.day) < (naissance.month, naissance.day))


# Named deadlines, so that every rule reads as docs/rules.md "Deadlines" does.
def anniversaire(depuis: date) -> date:
    return ajouter_ans(depuis, 1)


def premier_preavis(anniv: date) -> date:
    return ajouter_mois(anniv, -2)


def second_preavis(anniv: date) -> date:
    return ajouter_mois(anniv, -1)


def radiation_non_renouvellement(anniv: date) -> date:
    return ajouter_mois(anniv, 1)


def reactivation_possible_jusqua(radiation: date) -> date:
    return ajouter_mois(radiation, 1)


def radiation_apres_mise_en_demeure(mise_en_demeure: date) -> date:
    return ajouter_mois(mise_en_demeure, 1)


def effacement(radiation: date, retention_mois: int) -> date:
    return ajouter_mois(radiation, retention_mois)


def fin_decote(decote: date) -> date:
    """First day the décote no longer counts (it counts for one year, end exclusive)."""
    return ajouter_ans(decote, 1)


DELAI_RECOURS_JOURS = 15
DELAI_REPONSE_OFFRE_JOURS = 10


def recours_possible_jusqua(notification: date) -> date:
    return dernier_jour_dans(notification, DELAI_RECOURS_JOURS)


def reponse_offre_due(notification: date) -> date:
    return dernier_jour_dans(notification, DELAI_REPONSE_OFFRE_JOURS)


def delai_anormalement_long(filed_on: date, mois: int) -> date:
    return ajouter_mois(filed_on, mois)
