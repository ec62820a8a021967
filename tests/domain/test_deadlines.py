"""Deadline arithmetic of docs/rules.md "Deadlines" (domain/calendrier.py): calendar months clamped to the end
of the month, "within N days" including day N, ages in whole years."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import calendrier as cal

# -- month arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depart", "mois", "attendu"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # common year
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # divisible by 400: leap
        (date(1900, 1, 31), 1, date(1900, 2, 28)),  # divisible by 100 only: not leap
        (date(2100, 1, 30), 1, date(2100, 2, 28)),
        (date(2026, 1, 28), 1, date(2026, 2, 28)),  # no clamping needed
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 5, 31), 1, date(2026, 6, 30)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 7, 31), 1, date(2026, 8, 31)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # across the year
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 1, 31), 13, date(2027, 2, 28)),
        (date(2026, 1, 31), 25, date(2028, 2, 29)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
        # backwards (renewal notices are anniversary − 1 and − 2 months)
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2026, 3, 31), -2, date(2026, 1, 31)),
        (date(2026, 4, 30), -2, date(2026, 2, 28)),
        (date(2027, 1, 15), -1, date(2026, 12, 15)),
        (date(2027, 1, 31), -2, date(2026, 11, 30)),
        (date(2026, 5, 31), -15, date(2025, 2, 28)),
    ],
)
def test_ajouter_mois_clamps_to_the_end_of_the_month(depart: date, mois: int, attendu: date) -> None:
    assert cal.ajouter_mois(depart, mois) == attendu


@pytest.mark.parametrize(
    ("depart", "ans", "attendu"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2096, 2, 29), 4, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2023, 2, 28), 1, date(2024, 2, 28)),  # not moved to the 29th
        (date(2026, 3, 1), 1, date(2027, 3, 1)),
        (date(2025, 2, 28), -1, date(2024, 2, 28)),
    ],
)
def test_ajouter_ans(depart: date, ans: int, attendu: date) -> None:
    assert cal.ajouter_ans(depart, ans) == attendu


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)), st.integers(-600, 600))
def test_ajouter_mois_lands_in_the_right_month_on_the_clamped_day(depart: date, mois: int) -> None:
    resultat = cal.ajouter_mois(depart, mois)
    index = depart.year * 12 + depart.month - 1 + mois
    assert (resultat.year, resultat.month - 1) == divmod(index, 12)
    dernier = calendar.monthrange(resultat.year, resultat.month)[1]
    assert resultat.day == min(depart.day, dernier)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)), st.integers(-600, 600))
def test_ajouter_mois_keeps_days_that_exist(depart: date, mois: int) -> None:
    """Days 1–28 exist in every month: adding then removing months is the identity."""
    depart = depart.replace(day=min(depart.day, 28))
    assert cal.ajouter_mois(cal.ajouter_mois(depart, mois), -mois) == depart


# -- named deadlines -------------------------------------------------------------------------


def test_anniversary_and_renewal_notices() -> None:
    assert cal.anniversaire(date(2025, 3, 31)) == date(2026, 3, 31)
    assert cal.anniversaire(date(2024, 2, 29)) == date(2025, 2, 28)
    anniv = date(2026, 3, 31)
    assert cal.premier_preavis(anniv) == date(2026, 1, 31)
    assert cal.second_preavis(anniv) == date(2026, 2, 28)
    assert cal.radiation_non_renouvellement(anniv) == date(2026, 4, 30)
    anniv = date(2028, 4, 30)
    assert cal.premier_preavis(anniv) == date(2028, 2, 29)
    assert cal.second_preavis(anniv) == date(2028, 3, 30)
    assert cal.radiation_non_renouvellement(anniv) == date(2028, 5, 30)


def test_month_long_delays_clamp() -> None:
    assert cal.reactivation_possible_jusqua(date(2026, 1, 31)) == date(2026, 2, 28)
    assert cal.reactivation_possible_jusqua(date(2024, 1, 30)) == date(2024, 2, 29)
    assert cal.reactivation_possible_jusqua(date(2026, 12, 31)) == date(2027, 1, 31)
    assert cal.radiation_apres_mise_en_demeure(date(2026, 1, 31)) == date(2026, 2, 28)
    assert cal.radiation_apres_mise_en_demeure(date(2026, 2, 28)) == date(2026, 3, 28)
    assert cal.effacement(date(2026, 1, 31), 12) == date(2027, 1, 31)
    assert cal.effacement(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert cal.effacement(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert cal.fin_decote(date(2024, 2, 29)) == date(2025, 2, 28)
    assert cal.fin_decote(date(2026, 5, 10)) == date(2027, 5, 10)
    assert cal.delai_anormalement_long(date(2021, 8, 31), 60) == date(2026, 8, 31)
    assert cal.delai_anormalement_long(date(2023, 2, 28), 18) == date(2024, 8, 28)


@pytest.mark.parametrize(
    ("notification", "dernier_jour"),
    [
        (date(2026, 10, 1), date(2026, 10, 16)),
        (date(2026, 2, 20), date(2026, 3, 7)),  # common February
        (date(2024, 2, 20), date(2024, 3, 6)),  # leap February
        (date(2026, 12, 20), date(2027, 1, 4)),
    ],
)
def test_recours_possible_jusqua_includes_day_15(notification: date, dernier_jour: date) -> None:
    assert cal.DELAI_RECOURS_JOURS == 15
    assert cal.recours_possible_jusqua(notification) == dernier_jour
    # day 15 after the notification is the last day; day 16 is late
    assert (dernier_jour - notification).days == 15


def test_reponse_offre_due_includes_day_10() -> None:
    assert cal.reponse_offre_due(date(2026, 2, 25)) == date(2026, 3, 7)
    assert cal.reponse_offre_due(date(2024, 2, 25)) == date(2024, 3, 6)
    assert cal.dernier_jour_dans(date(2026, 1, 1), 0) == date(2026, 1, 1)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 1)))
def test_recours_window_is_fifteen_days_after_notification(notification: date) -> None:
    assert cal.recours_possible_jusqua(notification) == notification + timedelta(days=15)


# -- ages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("naissance", "au", "age"),
    [
        (date(1996, 5, 2), date(2026, 5, 2), 30),  # on the birthday
        (date(1996, 5, 2), date(2026, 5, 1), 29),  # the day before
        (date(1996, 5, 2), date(2026, 5, 3), 30),
        (date(1966, 11, 23), date(2026, 11, 23), 60),
        (date(1966, 11, 23), date(2026, 11, 22), 59),
        (date(1996, 12, 31), date(2027, 1, 1), 30),
        (date(1996, 1, 1), date(2025, 12, 31), 29),
        (date(2016, 9, 1), date(2030, 9, 1), 14),
        (date(2016, 9, 1), date(2030, 8, 31), 13),
        (date(2026, 11, 23), date(2026, 11, 23), 0),
        # 29 February: a year older on 1 March in common years, on 29 February in leap years
        (date(2000, 2, 29), date(2001, 2, 28), 0),
        (date(2000, 2, 29), date(2001, 3, 1), 1),
        (date(2000, 2, 29), date(2004, 2, 28), 3),
        (date(2000, 2, 29), date(2004, 2, 29), 4),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(1966, 2, 28), date(2026, 2, 28), 60),  # 28 February is not moved
        (date(1966, 3, 1), date(2026, 2, 28), 59),
    ],
)
def test_age_au(naissance: date, au: date, age: int) -> None:
    assert cal.age_au(naissance, au) == age


def _anniversaire(naissance: date, annee: int) -> date:
    """Birthday in `annee`; 29 February becomes 1 March in a common year."""
    if (naissance.month, naissance.day) == (2, 29) and not calendar.isleap(annee):
        return date(annee, 3, 1)
    return naissance.replace(year=annee)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)),
)
def test_age_au_counts_birthdays_passed(naissance: date, au: date) -> None:
    """Age n from the n-th birthday included until the (n + 1)-th excluded."""
    if au < naissance:
        return
    age = cal.age_au(naissance, au)
    assert _anniversaire(naissance, naissance.year + age) <= au
    assert au < _anniversaire(naissance, naissance.year + age + 1)
