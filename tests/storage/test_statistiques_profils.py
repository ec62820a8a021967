"""The observatory's figures added by issue 10 (docs/statistics.md), from the raw log and from
the live read model, on SQLite and PostgreSQL: mutations, demand and attributions by age band
and household type, recours with the days from filing to decision, and targets read from the
territory file per year (the law's defaults, the CIA's commitments per bailleur and réservataire)."""

from __future__ import annotations

from decimal import Decimal

from adapters.registre import Registre
from projections.indicateurs import Periode
from projections.vue_statistiques import confronter
from tests.storage.test_statistiques import bilan, histoire, valeur  # noqa: F401


def test_profiles_mutations_and_recours_delays(registre: Registre, histoire: dict) -> None:  # noqa: F811
    b = bilan(registre, Periode.annee(2026))
    # The only bail went to a household with no current housing: not a mutation.
    assert valeur(b, "mutations") == (0, 1, Decimal("0.00"))
    assert valeur(b, "mutations", "bailleur", "OPH-CPL") == (0, 1, Decimal("0.00"))
    # Every demandeur was born on 1 January 1980 and lives alone: 30 to 59, isolé.
    assert valeur(b, "baux", "tranche_age", "30_59") == (1, None, Decimal(1))
    assert valeur(b, "baux", "type_menage", "isole") == (1, None, Decimal(1))
    assert valeur(b, "attributions", "type_menage", "isole") == (3, None, Decimal(3))
    assert valeur(b, "demandes_actives", "tranche_age", "30_59") == (2, None, Decimal(2))
    assert valeur(b, "demandes_actives") == (2, None, Decimal(2))
    # The recours filed on 20 April was annulled on 1 May: 11 days.
    assert valeur(b, "recours_delai_moyen") == (None, 1, Decimal("11.0"))
    assert valeur(b, "recours_delai_median", "issue", "annulees") == (None, 1, Decimal("11.0"))
    assert valeur(b, "recours", "issue", "annulees") == (1, None, Decimal(1))


def test_targets_come_from_the_territory_file_per_year(registre: Registre, histoire: dict) -> None:  # noqa: F811
    b = bilan(registre, Periode.annee(2026))
    territoire = b.figure("prioritaires_dalo")
    assert (territoire.cible, territoire.origine_cible) == (Decimal(25), "loi")
    oph = b.figure("prioritaires_dalo", "bailleur", "OPH-CPL")
    assert (oph.cible, oph.origine_cible, oph.atteinte) == (Decimal(30), "cia", True)
    # A year the file sets nothing for: the law's default.
    avant = bilan(registre, Periode.annee(2023))
    assert avant.figure("prioritaires_dalo").cible == Decimal(25)


def test_the_read_model_agrees_to_the_digit(registre: Registre, histoire: dict) -> None:  # noqa: F811
    for periode in (Periode.annee(2026), Periode.annee(2027)):
        _, _, ecarts = confronter(registre, periode)
        assert ecarts == []
