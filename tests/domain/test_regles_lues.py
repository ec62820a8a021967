"""Rules that the read side asks the domain rather than deciding itself (docs/architecture.md):
where a décote stands and whether a recours is still possible (the demandeur's page), the
household type (the statistics' profiles), the territory's grid."""

from __future__ import annotations

from datetime import date

import pytest

from domain.codes import RoleMembre
from domain.cotation import grille_en_place
from domain.erreurs import RegleEnfreinte
from domain.foyer import Membre
from domain.menage import type_menage, type_menage_des_roles
from domain.regles_decotes import recours_encore_possible, statut_decote

FAIT = date(2024, 2, 29)  # a refusal on a leap day: the year ends on 28 February 2025


@pytest.mark.parametrize(
    ("jour", "annulee", "statut"),
    [
        (date(2024, 3, 10), False, "en_vigueur"),
        (date(2025, 2, 27), False, "en_vigueur"),
        (date(2025, 2, 28), False, "expiree"),  # fact + 1 year, clamped: no longer counts
        (date(2024, 3, 10), True, "annulee"),
        (date(2026, 1, 1), True, "annulee"),
    ],
)
def test_statut_decote_counts_one_year_from_its_fact(jour: date, annulee: bool, statut: str) -> None:
    assert statut_decote(jour, FAIT, annulee) == statut


def test_recours_possible_within_fifteen_days_of_notification_once() -> None:
    notifiee = date(2026, 3, 2)
    assert recours_encore_possible(date(2026, 3, 17), notifiee, False, False)  # day 15 included
    assert not recours_encore_possible(date(2026, 3, 18), notifiee, False, False)
    assert not recours_encore_possible(date(2026, 3, 5), notifiee, True, False)  # already filed
    assert not recours_encore_possible(date(2026, 3, 5), notifiee, False, True)  # annulled


@pytest.mark.parametrize(
    ("roles", "attendu"),
    [
        ((), "isole"),
        (("personne_a_charge",), "parent_isole"),
        (("cotitulaire",), "couple"),
        (("cotitulaire", "personne_a_charge", "personne_a_charge"), "couple_enfants"),
        (("cotitulaire", "cotitulaire"), "autre"),
    ],
)
def test_household_type_same_from_members_and_from_stored_roles(roles: tuple[str, ...], attendu: str) -> None:
    membres = tuple(
        Membre(id=f"p{i}", role=RoleMembre(r)) for i, r in enumerate(("demandeur", *roles), 1)
    )
    assert type_menage(membres) == attendu
    assert type_menage_des_roles(("demandeur", *roles)) == attendu


def test_no_grid_is_a_named_refusal() -> None:
    with pytest.raises(RegleEnfreinte) as e:
        grille_en_place(None)
    assert e.value.regle == "grille_absente"
