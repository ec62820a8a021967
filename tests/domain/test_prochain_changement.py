"""`prochain_changement`: the first day a demand's score can change with no new event, one test
per kind of day (a birthday at one of the grid's ages or at 14 for the consumption units, the
filing anniversary, 1 January, a décote's date and its end, a grid version, the RADREN
radiation, a fact dated later), each checked against `coter` itself: the same score every day
before, and a different one on the day where the kind says so; and a walk over years of days
that it is never later than the true change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from msgspec.structs import replace

from adapters.clock import HorlogeReglable
from adapters.grid_file import load_grid
from adapters.territory_file import load_territory
from domain import calendrier, horloge
from domain.calendrier import age_au
from domain.changements_cotation import jour_des_ans, prochain_changement
from domain.codes import CodeDecote, Justification, MotifRadiation, RessourceRecue
from domain.cotation import Grille, VersionGrille, coter
from domain.demande import Demande
from domain.foyer import Ressource
from domain.territoire import Territoire
from tests.domain.test_cotation import (
    FILS,
    GRILLE,
    TERRITOIRE,
    acte,
    demandeuse,
    enregistrer,
    incoherente,
)


@pytest.fixture(scope="module")
def territoire() -> Territoire:
    return load_territory(TERRITOIRE)


@pytest.fixture(scope="module")
def grille() -> Grille:
    return load_grid(GRILLE)


@pytest.fixture
def horloge_test() -> Iterator[HorlogeReglable]:
    h = HorlogeReglable(datetime(2024, 1, 15, 9, 0, tzinfo=UTC)).installer()
    yield h
    horloge.reinitialiser()


def note(d: Demande, au: date, territoire: Territoire, grille: Grille) -> tuple[bool, int | None, str | None]:
    """What a score row holds of the day: active, points, grid version."""
    etat = d.etat_courant(au, territoire.retention_donnees_mois)
    if not etat.active:
        return (False, None, None)
    c = coter(etat, au, territoire, grille)
    return (True, c.points, c.version)


def prochain(d: Demande, au: date, territoire: Territoire, grille: Grille) -> date | None:
    etat = d.etat_courant(au, territoire.retention_donnees_mois)
    return prochain_changement(etat, au, territoire, grille, d.faits)


def verifier(d: Demande, au: date, attendu: date, territoire: Territoire, grille: Grille) -> None:
    """`attendu` is the next change from `au`, the score is the same every day before it and
    different on it."""
    assert prochain(d, au, territoire, grille) == attendu
    avant = note(d, au, territoire, grille)
    jour = au
    while jour < attendu - timedelta(days=1):
        jour += timedelta(days=1)
        assert note(d, jour, territoire, grille) == avant, jour
    assert note(d, attendu, territoire, grille) != avant


def test_a_birthday_at_30_ends_jeune_moins_30(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, naissances={"m1": date(1994, 3, 10), "m2": date(2016, 9, 1)})
    verifier(d, date(2024, 2, 1), date(2024, 3, 10), territoire, grille)


def test_a_birthday_at_60_brings_personne_agee_60(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, naissances={"m1": date(1964, 4, 20), "m2": date(2016, 9, 1)})
    verifier(d, date(2024, 2, 1), date(2024, 4, 20), territoire, grille)


def test_a_dependant_turning_18_ends_parent_isole(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2006, 9, 1)})
    verifier(d, date(2024, 2, 1), date(2024, 9, 1), territoire, grille)


def test_a_member_turning_14_changes_the_consumption_units(horloge_test, territoire, grille):
    # 12,000 a year: UC 1.3 under 14 (9,230.77, not below 9,120), 1.5 from 14 (8,000, below).
    membres = (demandeuse(ressources=(Ressource(RessourceRecue.SAL, Decimal(1000)),)), FILS)
    d = enregistrer(horloge_test, membres=membres, naissances={"m1": date(1980, 1, 1), "m2": date(2010, 6, 1)})
    verifier(d, date(2024, 2, 1), date(2024, 6, 1), territoire, grille)


def test_the_filing_anniversary_brings_anciennete(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2016, 9, 1)})
    verifier(d, date(2025, 1, 2), date(2025, 1, 15), territoire, grille)


def test_1_january_takes_the_new_years_threshold(horloge_test, territoire, grille):
    # Alone on 765 a month (9,180 a year): not below the 2024 threshold, below 2025's.
    assert territoire.seuil_premier_quartile(2024) < 9180 < territoire.seuil_premier_quartile(2025)
    d = enregistrer(
        horloge_test,
        membres=(demandeuse(ressources=(Ressource(RessourceRecue.SAL, Decimal(765)),)),),
        naissances={"m1": date(1980, 1, 1)},
    )
    verifier(d, date(2024, 6, 15), date(2025, 1, 1), territoire, grille)


def test_a_decote_stops_counting_a_year_after_its_fact(horloge_test, territoire, grille):
    """Applied on 2 September 2024 for a pièce found incoherent on 1 March 2024: it stops
    counting on 1 March 2025, the fact's anniversary, not its own."""
    d = enregistrer(horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2016, 9, 1)})
    horloge_test.regler(date(2024, 3, 1))
    piece = incoherente(d, date(2024, 3, 1))
    horloge_test.regler(date(2024, 9, 2))
    d.appliquer_decote(acte(date(2024, 9, 2)), CodeDecote.decote_pieces, piece=piece)
    horloge_test.regler(date(2024, 12, 20))
    d.renouveler(acte(date(2024, 12, 20)))  # no RADREN radiation on 15 February 2025
    horloge_test.regler(date(2025, 6, 1))
    # It counts from its own date.
    verifier(d, date(2024, 6, 1), date(2024, 9, 2), territoire, grille)
    # The anniversary (2025-01-15) and 1 January come first; from after them, the décote's end.
    verifier(d, date(2025, 1, 20), date(2025, 3, 1), territoire, grille)


def test_a_fact_dated_later_counts_from_its_date(horloge_test, territoire, grille):
    """A décote, or a justification, recorded with a date after `au` (a score taken as of an
    earlier day) changes the score on its own date."""
    d = enregistrer(horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2016, 9, 1)})
    horloge_test.regler(date(2024, 3, 1))
    d.appliquer_decote(acte(date(2024, 3, 1)), CodeDecote.decote_pieces, piece=incoherente(d, date(2024, 3, 1)))
    verifier(d, date(2024, 2, 1), date(2024, 3, 1), territoire, grille)
    horloge_test.regler(date(2024, 4, 2))
    d.justifier(acte(date(2024, 4, 2)), "parent_isole", Justification.rejete)
    verifier(d, date(2024, 3, 15), date(2024, 4, 2), territoire, grille)


def test_a_grid_version_coming_into_force(horloge_test, territoire, grille):
    (v1,) = grille.versions
    v2 = VersionGrille("2024-07", date(2024, 7, 1), tuple(c for c in v1.criteres if c.code != "parent_isole"))
    deux = replace(grille, versions=(v1, v2))
    d = enregistrer(horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2016, 9, 1)})
    verifier(d, date(2024, 2, 1), date(2024, 7, 1), territoire, deux)


def test_the_radren_radiation_takes_the_demand_out(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2016, 9, 1)})
    # Not renewed: radiated a month after its anniversary (2025-01-15), counted as fallen due
    # even before the schedule appends it.
    horloge_test.regler(date(2025, 6, 1))
    radiation = calendrier.radiation_non_renouvellement(d.etat.anniversaire)
    assert radiation == date(2025, 2, 15)
    verifier(d, date(2025, 1, 20), radiation, territoire, grille)
    assert prochain(d, radiation, territoire, grille) is None


def test_a_radiated_demand_has_no_next_change(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2016, 9, 1)})
    horloge_test.regler(date(2024, 2, 1))
    d.radier(acte(date(2024, 2, 1)), MotifRadiation.RADABA)
    assert prochain(d, date(2024, 2, 1), territoire, grille) is None


def test_born_on_29_february_the_age_changes_on_1_march_in_a_common_year():
    naissance = date(2000, 2, 29)
    assert jour_des_ans(naissance, 30) == date(2030, 3, 1)
    assert jour_des_ans(naissance, 32) == date(2032, 2, 29)
    for age in range(1, 70):
        jour = jour_des_ans(naissance, age)
        assert age_au(naissance, jour) == age and age_au(naissance, jour - timedelta(days=1)) == age - 1


@pytest.mark.parametrize(
    "naissances",
    [
        {"m1": date(1996, 5, 2), "m2": date(2016, 9, 1)},
        {"m1": date(1964, 2, 29), "m2": date(2008, 2, 29)},
        {"m1": date(1994, 12, 31), "m2": date(2010, 1, 1)},
    ],
)
def test_never_later_than_the_true_change(horloge_test, territoire, grille, naissances):
    """Walking day by day over three years (with a décote, anniversaries, two 1 Januaries and
    the radiation): from each change day to the next one it names, the score stays the same."""
    d = enregistrer(horloge_test, naissances=naissances)
    horloge_test.regler(date(2024, 5, 10))
    d.appliquer_decote(acte(date(2024, 5, 10)), CodeDecote.decote_pieces, piece=incoherente(d, date(2024, 5, 10)))
    horloge_test.regler(date(2024, 12, 20))
    d.renouveler(acte(date(2024, 12, 20)))
    horloge_test.regler(date(2027, 3, 1))
    jour, fin = date(2024, 1, 15), date(2027, 1, 31)
    while jour < fin:
        suivant = prochain(d, jour, territoire, grille)
        assert suivant is None or suivant > jour
        limite = fin if suivant is None else min(suivant, fin)
        avant = note(d, jour, territoire, grille)
        while jour + timedelta(days=1) < limite:
            jour += timedelta(days=1)
            assert note(d, jour, territoire, grille) == avant, jour
        if suivant is None:
            break
        jour = limite


def test_1_january_is_no_day_for_a_household_on_the_same_side_of_both_thresholds(horloge_test, territoire, grille):
    # 500 a month (6,000 a year) is below the 2024 and the 2025 thresholds: the new year
    # changes nothing, and the next change is the filing anniversary.
    d = enregistrer(
        horloge_test,
        membres=(demandeuse(ressources=(Ressource(RessourceRecue.SAL, Decimal(500)),)),),
        naissances={"m1": date(1980, 1, 1)},
    )
    verifier(d, date(2024, 6, 15), date(2025, 1, 15), territoire, grille)


def test_a_criterion_requiring_justification_counts_from_its_justification_date(horloge_test, territoire, grille):
    """Points only when justified: `handicap` declared earns nothing until a `justifie`
    justification, and from that justification's date on."""
    d = enregistrer(
        horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2016, 9, 1)}, situations=("handicap",)
    )
    assert "handicap" not in [e.code for e in coter(d.etat_au(date(2024, 2, 1)), date(2024, 2, 1), territoire, grille).explications]
    horloge_test.regler(date(2024, 5, 6))
    d.justifier(acte(date(2024, 5, 6)), "handicap", Justification.justifie)
    horloge_test.regler(date(2024, 6, 1))
    verifier(d, date(2024, 2, 1), date(2024, 5, 6), territoire, grille)
    c = coter(d.etat_au(date(2024, 5, 6)), date(2024, 5, 6), territoire, grille)
    assert "handicap" in [e.code for e in c.explications]
