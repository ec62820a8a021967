"""A household member's id is stored in clear and kept after the erasure: a short code that
cannot name the person (docs/donnees-personnelles.md)."""

from __future__ import annotations

import pytest

from domain import verifications
from domain.codes import RoleMembre
from domain.erreurs import RegleEnfreinte
from domain.foyer import Membre


@pytest.mark.parametrize("ident", ["m1", "p2", "e10", "a1", "c3", "m", "f"])
def test_short_codes_are_member_ids(ident: str) -> None:
    verifications.foyer((Membre(ident, RoleMembre.demandeur),), None)


@pytest.mark.parametrize("ident", ["amina", "Benali", "m1 Amina", "0600000001", "", "p1234", "é1"])
def test_anything_else_is_refused_naming_the_rule(ident: str) -> None:
    with pytest.raises(RegleEnfreinte) as e:
        verifications.foyer((Membre(ident, RoleMembre.demandeur),), None)
    assert e.value.regle == "id_membre_invalide"
