"""Cotation (DOMAIN.md §5): the worked example, every derived criterion on its boundary,
décotes and their recours, grid versions, the grid file, and ranking. Demands are built
through the real aggregate, with a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from adapters.clock import HorlogeReglable
from adapters.grid_file import GridFileError, load_grid
from adapters.territory_file import load_territory
from domain import horloge
from domain.acte import Acte
from domain.codes import (
    CodeDecote,
    DecisionRecours,
    Justification,
    ModeleLogement,
    MotifRadiation,
    RessourceRecue,
    RoleMembre,
    StatutDalo,
    TypeContratTravail,
    Typologie,
)
from domain.cotation import Cotation, Critere, Grille, VersionGrille, coter, coter_demande
from domain.demande import Demande
from domain.erreurs import RegleEnfreinte
from domain.foyer import DonneesPersonnelles, Identite, LogementActuel, Membre, Ressource, Souhaits
from domain.pieces import MotifRefusPiece, TypePiece
from domain.rang import Candidat, candidat, classer
from domain.territoire import Territoire

RACINE = Path(__file__).resolve().parents[2]
GRILLE = RACINE / "territories" / "cannes-pays-de-lerins.grille.toml"
TERRITOIRE = RACINE / "territories" / "cannes-pays-de-lerins.toml"
CANNES, LE_CANNET, HORS_EPCI = "06029", "06030", "06088"  # 06088: Nice
GUICHET = "OPH-CPL"

EXEMPLE = [
    "heberge_tiers",
    "travaille_epci",
    "travaille_commune",
    "habite_commune",
    "jeune_moins_30",
    "parent_isole",
    "cdd_interim",
]


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


def acte(jour: date, organisation: str = GUICHET) -> Acte:
    return Acte(occurred_on=jour, organisation=organisation, agent="agent-test")


def demandeuse(
    *,
    contrat: TypeContratTravail | None = TypeContratTravail.CDD,
    commune_travail: str | None = CANNES,
    ressources: tuple[Ressource, ...] = (
        Ressource(RessourceRecue.SAL, Decimal(900)),
        Ressource(RessourceRecue.AF, Decimal(150)),
    ),
) -> Membre:
    return Membre(
        id="m1",
        role=RoleMembre.demandeur,
        contrat=contrat,
        ressources=ressources,
        commune_travail=commune_travail,
    )


FILS = Membre(id="m2", role=RoleMembre.personne_a_charge)


def enregistrer(
    h: HorlogeReglable,
    *,
    numero: str = "006TEST0000000001",
    filed_on: date = date(2024, 1, 15),
    membres: tuple[Membre, ...] | None = None,
    naissances: dict[str, date] | None = None,
    logement: LogementActuel | None = None,
    souhaits: Souhaits | None = None,
    situations: tuple[str, ...] = (),
) -> Demande:
    """The worked example of §5.5 unless told otherwise."""
    h.regler(filed_on)
    membres = membres if membres is not None else (demandeuse(), FILS)
    if naissances is None:
        defaut = {"m1": date(1996, 5, 2), "m2": date(2016, 9, 1)}
        naissances = {m.id: defaut[m.id] for m in membres if m.id in defaut}
    personnel = DonneesPersonnelles(
        identites=tuple(
            Identite(membre=m, nom="Martin", prenom=f"P{m}", date_naissance=n)
            for m, n in naissances.items()
        )
    )
    return Demande.enregistrer(
        numero,
        acte(filed_on),
        membres=membres,
        logement_actuel=logement or LogementActuel(ModeleLogement.CP, commune=CANNES),
        souhaits=souhaits or Souhaits(communes=(CANNES,), typologies=(Typologie.T2,)),
        situations=situations,
        personnel=personnel,
    )


def codes(c: Cotation) -> list[str]:
    return [e.code for e in c.explications]


def score(d: Demande, au: date, territoire: Territoire, grille: Grille) -> Cotation:
    return coter(d.etat_au(au), au, territoire, grille)


# -- the worked example (§5.5) -------------------------------------------------------------------


def test_worked_example(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert c.points == 175
    assert c.version == "2024-01"
    assert codes(c) == EXEMPLE
    assert all(e.sources == [1] for e in c.explications)  # all from the registration
    assert {e.code: e.points for e in c.explications}["habite_commune"] == 40

    c = score(d, date(2025, 1, 15), territoire, grille)
    assert c.points == 215
    assert codes(c) == [*EXEMPLE, "anciennete_1an"]


def test_explanation_points_to_the_modification_that_caused_it(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 3, 1))
    d.modifier(acte(date(2024, 3, 1)), logement_actuel=LogementActuel(ModeleLogement.SD))
    c = score(d, date(2024, 6, 1), territoire, grille)
    sources = {e.code: e.sources for e in c.explications}
    assert "heberge_tiers" not in sources and "habite_commune" not in sources
    assert sources["sans_logement"] == [2]
    assert sources["travaille_commune"] == [1]
    assert c.points == 175 - 20 - 40 + 30


# -- derived criteria on their boundaries ----------------------------------------------------------


def test_jeune_moins_30_until_the_day_before_the_30th_birthday(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    assert "jeune_moins_30" in codes(score(d, date(2026, 5, 1), territoire, grille))
    assert "jeune_moins_30" not in codes(score(d, date(2026, 5, 2), territoire, grille))


def test_jeune_moins_30_needs_every_titulaire_under_30(horloge_test, territoire, grille):
    conjoint = Membre(id="m3", role=RoleMembre.cotitulaire)
    d = enregistrer(
        horloge_test,
        membres=(demandeuse(), conjoint),
        naissances={"m1": date(1996, 5, 2), "m3": date(1990, 1, 1)},
    )
    assert "jeune_moins_30" not in codes(score(d, date(2024, 6, 1), territoire, grille))


def test_personne_agee_60_from_the_60th_birthday_of_any_titulaire(horloge_test, territoire, grille):
    conjoint = Membre(id="m3", role=RoleMembre.cotitulaire)
    d = enregistrer(
        horloge_test,
        membres=(demandeuse(), conjoint),
        naissances={"m1": date(1970, 1, 1), "m3": date(1964, 6, 1)},
    )
    assert "personne_agee_60" not in codes(score(d, date(2024, 5, 31), territoire, grille))
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert codes(c).count("personne_agee_60") == 1
    assert "parent_isole" not in codes(c)  # a co-titulaire


def test_personne_agee_60_counts_once_for_two_titulaires(horloge_test, territoire, grille):
    conjoint = Membre(id="m3", role=RoleMembre.cotitulaire, contrat=TypeContratTravail.CDD)
    d = enregistrer(
        horloge_test,
        membres=(demandeuse(), conjoint),
        naissances={"m1": date(1950, 1, 1), "m3": date(1951, 1, 1)},
    )
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert codes(c).count("personne_agee_60") == 1
    assert codes(c).count("cdd_interim") == 1
    assert c.points == sum(e.points for e in c.explications)


def test_parent_isole_until_the_child_turns_18(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, naissances={"m1": date(1980, 1, 1), "m2": date(2006, 9, 1)})
    assert "parent_isole" in codes(score(d, date(2024, 8, 31), territoire, grille))
    assert "parent_isole" not in codes(score(d, date(2024, 9, 1), territoire, grille))


def _seule_avec(salaire: str) -> tuple[Membre, ...]:
    return (demandeuse(ressources=(Ressource(RessourceRecue.SAL, Decimal(salaire)),)),)


def test_premier_quartile_strictly_below_the_threshold(horloge_test, territoire, grille):
    assert territoire.seuil_premier_quartile(2024) == Decimal(9120)
    au = date(2024, 6, 1)
    juste_dessous = enregistrer(horloge_test, membres=_seule_avec("759.99"), numero="A")
    au_seuil = enregistrer(horloge_test, membres=_seule_avec("760"), numero="B")
    c = score(juste_dessous, au, territoire, grille)
    assert "premier_quartile" in codes(c)
    assert "9119.88" in c.explications[codes(c).index("premier_quartile")].detail
    assert "premier_quartile" not in codes(score(au_seuil, au, territoire, grille))


def test_premier_quartile_uses_ages_at_the_as_of_date(horloge_test, territoire, grille):
    # Resources 12 x 1,000 = 12,000. Son under 14: UC 1.3 -> 9,230.77 (not below 9,120);
    # son 14: UC 1.5 -> 8,000 (below).
    membres = (demandeuse(ressources=(Ressource(RessourceRecue.SAL, Decimal(1000)),)), FILS)
    d = enregistrer(
        horloge_test, membres=membres, naissances={"m1": date(1980, 1, 1), "m2": date(2010, 6, 1)}
    )
    assert "premier_quartile" not in codes(score(d, date(2024, 5, 31), territoire, grille))
    assert "premier_quartile" in codes(score(d, date(2024, 6, 1), territoire, grille))


def test_anciennete_from_the_anniversary_day(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    assert "anciennete_1an" not in codes(score(d, date(2025, 1, 14), territoire, grille))
    c = score(d, date(2025, 1, 15), territoire, grille)
    assert "anciennete_1an" in codes(c)


def test_work_and_home_communes(horloge_test, territoire, grille):
    d = enregistrer(
        horloge_test,
        membres=(demandeuse(commune_travail=LE_CANNET), FILS),
        logement=LogementActuel(ModeleLogement.LP, commune=HORS_EPCI),
    )
    c = codes(score(d, date(2024, 6, 1), territoire, grille))
    assert "travaille_epci" in c
    assert "travaille_commune" not in c
    assert "habite_commune" not in c
    d = enregistrer(horloge_test, numero="B", membres=(demandeuse(commune_travail=HORS_EPCI), FILS))
    c = codes(score(d, date(2024, 6, 1), territoire, grille))
    assert "travaille_epci" not in c and "travaille_commune" not in c


def test_declared_criteria_and_qpv(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, situations=("handicap", "actif_qpv"))
    horloge_test.regler(date(2024, 2, 1))
    d.justifier(acte(date(2024, 2, 1)), "handicap", Justification.justifie)
    d.justifier(acte(date(2024, 2, 1)), "actif_qpv", Justification.justifie)
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert {"handicap", "actif_qpv"} <= set(codes(c))
    assert c.points == 175 + 40 + 30
    d = enregistrer(
        horloge_test,
        numero="B",
        situations=("actif_qpv",),
        souhaits=Souhaits(communes=(CANNES,), typologies=(Typologie.T2,), accepte_qpv=False),
    )
    assert "actif_qpv" not in codes(score(d, date(2024, 6, 1), territoire, grille))


def test_dalo_and_aspa(horloge_test, territoire, grille):
    retraitee = Membre(
        id="m1",
        role=RoleMembre.demandeur,
        contrat=TypeContratTravail.RET,
        ressources=(Ressource(RessourceRecue.AMV, Decimal(900)),),
    )
    d = enregistrer(horloge_test, membres=(retraitee,), naissances={"m1": date(1960, 1, 1)})
    horloge_test.regler(date(2024, 2, 1))
    d.reconnaitre_dalo(acte(date(2024, 2, 1), "ETAT-06"), StatutDalo.ACTIF)
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert {"dalo", "aspa_60_epci", "personne_agee_60"} <= set(codes(c))
    assert c.explications[codes(c).index("dalo")].sources == [2]


def test_unknown_birth_dates_make_age_criteria_not_apply_and_say_so(
    horloge_test, territoire, grille
):
    d = enregistrer(horloge_test, naissances={})
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert not {"jeune_moins_30", "parent_isole", "personne_agee_60"} & set(codes(c))
    remarques = {r.code: r.detail for r in c.remarques}
    assert "birth date not known" in remarques["jeune_moins_30"]
    assert "m2" in remarques["parent_isole"]


def test_erased_personal_data(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 3, 1))
    d.radier(acte(date(2024, 3, 1)), MotifRadiation.RADABA)
    horloge_test.regler(date(2025, 4, 1))
    assert d.rattraper(date(2025, 4, 1), territoire.retention_donnees_mois) == 1
    c = coter(d.etat, date(2025, 4, 1), territoire, grille)
    assert not {"jeune_moins_30", "parent_isole"} & set(codes(c))
    assert "personal data erased" in {r.code: r.detail for r in c.remarques}["jeune_moins_30"]


# -- justifications ------------------------------------------------------------------------------


def test_rejete_earns_nothing(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 2, 1))
    d.justifier(acte(date(2024, 2, 1)), "heberge_tiers", Justification.rejete)
    d.justifier(acte(date(2024, 2, 1)), "travaille_epci", Justification.justifie)
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert c.points == 155
    assert "heberge_tiers" not in codes(c)
    assert {r.code for r in c.remarques} == {"heberge_tiers"}
    assert c.explications[codes(c).index("travaille_epci")].sources == [1, 3]
    assert score(d, date(2024, 1, 31), territoire, grille).points == 175


def test_declared_criterion_counts_from_its_justification_until_a_later_rejete(
    horloge_test, territoire, grille
):
    d = enregistrer(horloge_test, situations=("handicap",))
    horloge_test.regler(date(2024, 3, 10))
    d.justifier(acte(date(2024, 3, 10)), "handicap", Justification.justifie)
    v = d.version
    horloge_test.regler(date(2024, 9, 2))
    d.justifier(acte(date(2024, 9, 2)), "handicap", Justification.rejete)

    veille = score(d, date(2024, 3, 9), territoire, grille)
    assert veille.points == 175 and "handicap" not in codes(veille)
    (attente,) = veille.en_attente
    assert (attente.code, attente.points, attente.sources) == ("handicap", 40, [1])
    assert "en attente de justification" in attente.detail
    assert "carte d'invalidité ou carte mobilité inclusion" in attente.justificatifs

    jour = score(d, date(2024, 3, 10), territoire, grille)
    assert jour.points == 215 and not jour.en_attente
    assert jour.explications[codes(jour).index("handicap")].sources == [1, v]

    apres = score(d, date(2024, 9, 2), territoire, grille)
    assert apres.points == 175 and not apres.en_attente
    assert {r.code for r in apres.remarques} == {"handicap"}


def test_as_known_at_an_instant_the_justification_not_yet_recorded_is_pending(
    horloge_test, territoire, grille
):
    d = enregistrer(horloge_test, situations=("violences_couple",))
    horloge_test.regler(datetime(2024, 3, 12, 10, tzinfo=UTC))
    d.justifier(acte(date(2024, 3, 10)), "violences_couple", Justification.justifie)  # typed in late
    avant = datetime(2024, 3, 11, 12, tzinfo=UTC)
    au = date(2024, 4, 1)
    assert coter(d.etat_au(au, avant), au, territoire, grille).points == 175
    assert coter(d.etat_au(au, avant), au, territoire, grille).en_attente[0].code == "violences_couple"
    assert coter(d.etat_au(au), au, territoire, grille).points == 225


def test_justificatifs_need_justification_requise() -> None:
    with pytest.raises(ValueError, match="justification_requise"):
        msgspec.convert(
            {"code": "x", "libelle": "x", "points": 1, "regle": "declare", "justificatifs": ["a"]},
            type=Critere,
        )


def test_cannes_grid_requires_a_justification_for_every_declared_criterion(grille):
    for critere in grille.versions[0].criteres:
        declare = critere.regle.startswith("declare")
        assert critere.justification_requise is declare, critere.code
        assert bool(critere.justificatifs) is declare, critere.code


# -- décotes ---------------------------------------------------------------------------------------


def incoherente(d: Demande, jour: date) -> int:
    """A pièce deposited and refused as incoherente on `jour`: the fact a decote_pieces cites."""
    piece = d.deposer_piece(acte(jour), TypePiece.avis_imposition, 0, "ab" * 32, 1000)
    return d.refuser_piece(acte(jour), piece, MotifRefusPiece.incoherente, None)


def test_decote_pieces_expires_one_year_after_its_fact_not_after_its_own_date(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 3, 1))
    refus_piece = incoherente(d, date(2024, 3, 1))
    horloge_test.regler(date(2024, 9, 2))
    v = d.appliquer_decote(acte(date(2024, 9, 2)), CodeDecote.decote_pieces, piece=refus_piece)
    # Not before its own date (valid time), then until the fact's anniversary (exclusive).
    assert "decote_pieces" not in codes(score(d, date(2024, 9, 1), territoire, grille))
    c = score(d, date(2025, 2, 28), territoire, grille)
    assert c.explications[codes(c).index("decote_pieces")].sources == [refus_piece, v]
    assert "for the fact of 2024-03-01 counts until 2025-03-01" in c.explications[codes(c).index("decote_pieces")].detail
    assert "decote_pieces" not in codes(score(d, date(2025, 3, 1), territoire, grille))
    assert d.etat.decotes[v].fin == date(2025, 3, 1)


def test_decote_pieces_only_within_the_year_of_an_incoherent_piece(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 3, 1))
    piece = d.deposer_piece(acte(date(2024, 3, 1)), TypePiece.identite, 0, "cd" * 32, 10)
    perimee = d.refuser_piece(acte(date(2024, 3, 1)), piece, MotifRefusPiece.perimee, None)
    refus_piece = incoherente(d, date(2024, 3, 1))
    horloge_test.regler(date(2025, 3, 1))
    with pytest.raises(RegleEnfreinte) as e:
        d.appliquer_decote(acte(date(2025, 3, 1)), CodeDecote.decote_pieces, piece=refus_piece)
    assert e.value.regle == "decote_hors_delai" and "until 2025-02-28" in e.value.message
    for regle, kw in (("piece_requise", {}), ("piece_non_incoherente", {"piece": perimee}),
                      ("piece_refusee_inconnue", {"piece": piece})):
        with pytest.raises(RegleEnfreinte) as e:
            d.appliquer_decote(acte(date(2025, 3, 1)), CodeDecote.decote_pieces, **kw)
        assert e.value.regle == regle


def test_decote_counts_for_exactly_one_year(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 3, 1))
    v = d.appliquer_decote(acte(date(2024, 3, 1)), CodeDecote.decote_pieces, piece=incoherente(d, date(2024, 3, 1)))
    assert score(d, date(2024, 2, 29), territoire, grille).points == 175
    c = score(d, date(2024, 3, 1), territoire, grille)
    assert c.points == 135
    assert c.explications[codes(c).index("decote_pieces")].sources == [v - 1, v]
    assert score(d, date(2025, 2, 28), territoire, grille).points == 175 + 40 - 40
    c = score(d, date(2025, 3, 1), territoire, grille)
    assert "decote_pieces" not in codes(c)
    assert c.points == 215


def test_no_floor(horloge_test, territoire, grille):
    d = enregistrer(
        horloge_test,
        membres=(demandeuse(contrat=None, commune_travail=None),),
        naissances={"m1": date(1980, 1, 1)},
        logement=LogementActuel(ModeleLogement.LP, commune=HORS_EPCI),
    )
    horloge_test.regler(date(2024, 3, 1))
    d.appliquer_decote(acte(date(2024, 3, 1)), CodeDecote.decote_pieces, piece=incoherente(d, date(2024, 3, 1)))
    assert score(d, date(2024, 6, 1), territoire, grille).points == -40


def test_two_active_decotes_of_the_same_code_count_once(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 3, 1))
    v1 = d.appliquer_decote(acte(date(2024, 3, 1)), CodeDecote.decote_pieces, piece=incoherente(d, date(2024, 3, 1)))
    horloge_test.regler(date(2024, 5, 1))
    v2 = d.appliquer_decote(acte(date(2024, 5, 1)), CodeDecote.decote_pieces, piece=incoherente(d, date(2024, 5, 1)))
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert c.points == 135
    assert c.explications[codes(c).index("decote_pieces")].sources == [v1 - 1, v1, v2 - 1, v2]
    # The second one alone still counts after the first expired.
    assert score(d, date(2025, 3, 1), territoire, grille).points == 215 - 40
    assert score(d, date(2025, 5, 1), territoire, grille).points == 215


def test_annulled_decote_disappears_from_past_scores_but_not_from_past_knowledge(
    horloge_test, territoire, grille
):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 3, 1))
    v = d.appliquer_decote(acte(date(2024, 3, 1)), CodeDecote.decote_pieces, piece=incoherente(d, date(2024, 3, 1)))
    horloge_test.regler(date(2024, 3, 10))
    d.deposer_recours(acte(date(2024, 3, 10)), v)
    c = score(d, date(2024, 3, 20), territoire, grille)
    assert c.points == 135
    assert c.explications[codes(c).index("decote_pieces")].sources == [v - 1, v, v + 1]
    assert "recours pending" in c.explications[codes(c).index("decote_pieces")].detail
    avant_annulation = horloge.maintenant()
    horloge_test.regler(date(2024, 4, 1))
    d.decider_recours(acte(date(2024, 4, 1)), v, DecisionRecours.annulee, "pièces cohérentes")

    for au in (date(2024, 3, 1), date(2024, 3, 20), date(2024, 6, 1)):
        assert score(d, au, territoire, grille).points == 175
    assert score(d, date(2025, 1, 15), territoire, grille).points == 215
    assert d.etat.decotes == {}

    vu_alors = d.etat_au(date(2024, 3, 20), connu_a=avant_annulation)
    assert v in vu_alors.decotes
    assert coter(vu_alors, date(2024, 3, 20), territoire, grille).points == 135
    assert (
        coter_demande(d, date(2024, 3, 20), territoire, grille, connu_a=avant_annulation).points
        == 135
    )


def test_maintained_decote_keeps_counting(horloge_test, territoire, grille):
    d = enregistrer(horloge_test)
    horloge_test.regler(date(2024, 3, 1))
    v = d.appliquer_decote(acte(date(2024, 3, 1)), CodeDecote.decote_pieces, piece=incoherente(d, date(2024, 3, 1)))
    d.deposer_recours(acte(date(2024, 3, 1)), v)
    d.decider_recours(acte(date(2024, 3, 1)), v, DecisionRecours.maintenue, "incohérentes")
    c = score(d, date(2024, 6, 1), territoire, grille)
    assert c.points == 135
    assert c.explications[codes(c).index("decote_pieces")].sources == [v - 1, v, v + 1, v + 2]


# -- grid versions ---------------------------------------------------------------------------------


def test_no_grid_before_the_first_version(horloge_test, territoire, grille):
    d = enregistrer(horloge_test, filed_on=date(2023, 6, 1))
    with pytest.raises(RegleEnfreinte) as e:
        score(d, date(2023, 12, 31), territoire, grille)
    assert e.value.regle == "grille_absente"
    assert "2024-01-01" in e.value.message
    assert score(d, date(2024, 1, 1), territoire, grille).version == "2024-01"


DEUXIEME_VERSION = """
[[versions]]
version = "2025-01"
effective_du = 2025-01-01

[[versions.criteres]]
code = "heberge_tiers"
libelle = "personnes hébergées par des tiers"
points = 25
regle = "logement_actuel_parmi"
parametres = { codes = ["CP", "CPE", "LTG"] }

[[versions.criteres]]
code = "anciennete_1an"
libelle = "ancienneté de la demande (1 an ou plus)"
points = 50
regle = "anciennete"
parametres = { ans = 1 }

[[versions.criteres]]
code = "travaille_dans_l_epci"
libelle = "travaille dans l'EPCI"
points = 35
regle = "travaille_epci"
"""


def test_a_new_grid_version_takes_effect_on_its_date(horloge_test, territoire, tmp_path):
    fichier = tmp_path / "grille.toml"
    fichier.write_text(GRILLE.read_text(encoding="utf-8") + DEUXIEME_VERSION, encoding="utf-8")
    grille = load_grid(fichier)
    d = enregistrer(horloge_test)
    c = score(d, date(2024, 12, 31), territoire, grille)
    assert (c.version, c.points) == ("2024-01", 175)
    c = score(d, date(2025, 1, 1), territoire, grille)
    assert c.version == "2025-01"
    assert codes(c) == ["heberge_tiers", "travaille_dans_l_epci"]
    assert c.points == 25 + 35
    c = score(d, date(2025, 1, 15), territoire, grille)
    assert c.points == 25 + 50 + 35


def test_grid_in_code_needs_no_file(horloge_test, territoire):
    grille = Grille(
        versions=(
            VersionGrille(
                "v1",
                date(2024, 1, 1),
                (Critere("jeune", "jeune", 7, "tous_titulaires_moins_de", {"age": 30}),),
            ),
        )
    )
    d = enregistrer(horloge_test)
    assert score(d, date(2024, 6, 1), territoire, grille).points == 7


# -- the grid file -------------------------------------------------------------------------------


def test_the_real_grid_has_every_criterion_of_the_table(grille):
    (version,) = grille.versions
    assert version.effective_du == date(2024, 1, 1)
    points = {c.code: c.points for c in version.criteres}
    assert len(points) == 39
    assert points["dalo"] == 65
    assert points["decote_refus"] == points["decote_pieces"] == -40
    assert points["travailleur_essentiel"] == 50
    assert sum(points.values()) == 1055  # summed by hand from DOMAIN.md §5.1


@pytest.mark.parametrize(
    ("remplace", "par", "attendu"),
    [
        ('regle = "travaille_epci"', 'regle = "travaille_epic"', "known rules: anciennete"),
        ("age = 30", 'age = "30"', "parametres.age"),
        ('codes = ["CDD"]', 'codes = ["XXX"]', "'XXX'"),
        ("points = 65", "points = 65\nbonus = 1", "unknown key 'bonus'"),
        ("effective_du = 2024-01-01", "", "missing key 'effective_du'"),
        ('code = "handicap"', 'code = "dalo"', "'dalo' appears twice"),
    ],
)
def test_grid_file_errors_name_the_file_and_the_entry(tmp_path, remplace, par, attendu):
    texte = GRILLE.read_text(encoding="utf-8")
    assert remplace in texte
    fichier = tmp_path / "faulty.grille.toml"
    fichier.write_text(texte.replace(remplace, par, 1), encoding="utf-8")
    with pytest.raises(GridFileError) as e:
        load_grid(fichier)
    message = str(e.value)
    assert message.startswith(str(fichier) + ": versions[0] (2024-01)")
    assert attendu in message


def test_grid_file_error_locates_the_criterion(tmp_path):
    texte = GRILLE.read_text(encoding="utf-8").replace("age = 30", "age = true")
    fichier = tmp_path / "g.toml"
    fichier.write_text(texte, encoding="utf-8")
    with pytest.raises(GridFileError, match=r"criteres\[\d+\] \(jeune_moins_30\)"):
        load_grid(fichier)


def test_missing_grid_file(tmp_path):
    with pytest.raises(GridFileError, match="no such file"):
        load_grid(tmp_path / "none.toml")


# -- ranking ---------------------------------------------------------------------------------------


def test_ranking_ties_broken_by_filed_on_then_numero():
    cands = [
        Candidat("C", 100, date(2024, 2, 1), Typologie.T2),
        Candidat("B", 100, date(2024, 1, 1), Typologie.T3),
        Candidat("A", 100, date(2024, 2, 1), Typologie.T2),
        Candidat("D", 150, date(2024, 6, 1), Typologie.T3),
        Candidat("E", -40, date(2020, 1, 1), Typologie.T2),
    ]
    rangs = classer(cands)
    assert [(r.numero_unique, r.rang, r.rang_typologie) for r in rangs] == [
        ("D", 1, 1),
        ("B", 2, 2),
        ("A", 3, 1),
        ("C", 4, 2),
        ("E", 5, 3),
    ]


def test_ranking_refuses_a_demand_twice():
    c = Candidat("A", 1, date(2024, 1, 1), Typologie.T2)
    with pytest.raises(ValueError, match="only once"):
        classer([c, c])


def test_ranking_from_demands_leaves_radiated_ones_out(horloge_test, territoire, grille):
    au = date(2024, 6, 1)
    a = enregistrer(horloge_test, numero="A", filed_on=date(2024, 1, 15))
    b = enregistrer(
        horloge_test,
        numero="B",
        filed_on=date(2024, 1, 10),
        souhaits=Souhaits(communes=(CANNES,), typologies=(Typologie.T3, Typologie.T2)),
    )
    r = enregistrer(horloge_test, numero="R", filed_on=date(2024, 1, 1))
    horloge_test.regler(date(2024, 2, 1))
    r.radier(acte(date(2024, 2, 1)), MotifRadiation.RADABA)
    cands = []
    for d in (a, b, r):
        etat = d.etat_au(au)
        c = candidat(etat, coter(etat, au, territoire, grille))
        if c is not None:
            cands.append(c)
    rangs = classer(cands)
    assert [(x.numero_unique, x.points, x.rang, x.typologie, x.rang_typologie) for x in rangs] == [
        ("B", 175, 1, Typologie.T3, 1),
        ("A", 175, 2, Typologie.T2, 1),
    ]
