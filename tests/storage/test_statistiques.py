"""Indicators regenerated from the raw log (DOMAIN.md §6), on a small history whose every figure
is counted by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from domain import commandes as c
from domain.codes import (
    DecisionRecours,
    Justification,
    MotifRadiation,
    MotifRefus,
    QualificationRefus,
    RaisonMoinsDeTrois,
    RessourceRecue,
    RoleMembre,
    StadeRefus,
    TypeContratTravail,
    TypeDecisionCAL,
    Typologie,
)
from domain.foyer import DonneesPersonnelles, Identite, Membre, Ressource, Souhaits
from projections.indicateurs import Bilan, Collecte, Periode, calculer, comparer, extraire
from projections.journal import regenerer

LGT = "RPLS-0602900023"  # OPH-CPL, Cannes, no contingent, not QPV, vacant
LGT_QPV = "RPLS-0602900105"  # OPH-CPL, Cannes, QPV, vacant
LGT_ETAT = "RPLS-0602900029"  # OPH-CPL, PPRIOR held by ETAT-06, vacant


def executer(registre: Registre, org: str, commande: c.Commande, numero: str | None = None) -> int:
    o = registre.territoire.organisation(org)
    r = registre.executer(o, org.lower() + "-1", commande, numero_unique=numero)
    return r.evenements[-1]


def enregistrer(registre: Registre, jour: date, salaire: str, communes: tuple[str, ...] = ("06029",),
                guichet: str = "CANNES", **kw: object) -> str:
    o = registre.territoire.organisation(guichet)
    return registre.executer(
        o, guichet.lower() + "-1",
        c.Enregistrer(
            occurred_on=jour,
            membres=(
                Membre("m1", RoleMembre.demandeur, TypeContratTravail.CDI,
                       (Ressource(RessourceRecue.SAL, Decimal(salaire)),), "06029"),
            ),
            souhaits=Souhaits(communes, (Typologie.T3,)),
            personnel=DonneesPersonnelles((Identite("m1", "Nom", "Prénom", date(1980, 1, 1)),)),
            **kw,  # type: ignore[arg-type]
        ),
    ).numero_unique


@pytest.fixture
def histoire(registre: Registre, horloge_test: HorlogeReglable) -> dict[str, object]:
    """2026: four demands, two dwellings, one bail, one refusal with décote and recours."""
    riche = enregistrer(registre, date(2026, 3, 2), "2500", situations=("handicap",))  # 30,000 €/UC
    pauvre = enregistrer(registre, date(2026, 3, 2), "500")  # 6,000 €/UC: first quartile (< 9,420)
    renonce = enregistrer(registre, date(2026, 3, 3), "1200", communes=("06030",))
    reste = enregistrer(registre, date(2026, 3, 4), "1500", communes=("06030", "06029"),
                        filed_on=date(2019, 1, 10), anniversaire=date(2027, 1, 10))
    # A declared priority criterion counts once justified (docs/rules.md).
    executer(registre, "CANNES", c.Justifier(occurred_on=date(2026, 3, 20), critere="handicap",
             justification=Justification.justifie), riche)
    for n in (riche, pauvre):
        executer(registre, "OPH-CPL", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT), n)
    executer(registre, "OPH-CPL", c.DeciderCAL(occurred_on=date(2026, 4, 10), logement=LGT,
             decision=TypeDecisionCAL.attribution, moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), riche)
    executer(registre, "OPH-CPL", c.DeciderCAL(occurred_on=date(2026, 4, 10), logement=LGT,
             decision=TypeDecisionCAL.attribution_par_classement, rang=2,
             moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), pauvre)
    decote = executer(registre, "OPH-CPL", c.Refuser(
        occurred_on=date(2026, 4, 15), logement=LGT, stade=StadeRefus.apres_cal, motif=MotifRefus.localisation, texte="localisation",
        qualification=QualificationRefus.non_recevable, appliquer_decote=True), riche)
    executer(registre, "CANNES", c.DeposerRecours(occurred_on=date(2026, 4, 20), decote=decote), riche)
    executer(registre, "OPH-CPL", c.DeciderRecours(occurred_on=date(2026, 5, 1), decote=decote,
             decision=DecisionRecours.annulee, motivation="proposition inadaptée"), riche)
    executer(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 5, 10), logement=LGT), pauvre)
    # QPV: an attribution to a household above the first quartile, never followed by a bail.
    executer(registre, "OPH-CPL", c.Designer(occurred_on=date(2026, 6, 1), logement=LGT_QPV), riche)
    executer(registre, "OPH-CPL", c.DeciderCAL(occurred_on=date(2026, 6, 5), logement=LGT_QPV,
             decision=TypeDecisionCAL.attribution, moins_de_trois_candidats=RaisonMoinsDeTrois.plai_adapte), riche)
    executer(registre, "CANNES", c.Radier(occurred_on=date(2026, 6, 1), motif=MotifRadiation.RADABA), renonce)
    # A designation recorded by mistake and retracted: it never was a proposal.
    designation = executer(registre, "ETAT-06", c.Designer(occurred_on=date(2026, 7, 1), logement=LGT_ETAT), reste)
    horloge_test.regler(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    executer(registre, "ETAT-06", c.Retracter(occurred_on=date(2026, 7, 2), evenement=designation,
             motif="mauvais dossier"), reste)
    return {"avant_retractation": datetime(2026, 11, 23, 11, 0, tzinfo=UTC)}


def bilan(registre: Registre, periode: Periode, **kw: object) -> Bilan:
    return regenerer(registre.engine, registre.stockage, registre.territoire, periode, **kw)  # type: ignore[arg-type]


def valeur(b: Bilan, indicateur: str, dimension: str = "territoire", cle: str = "") -> tuple:
    f = b.figure(indicateur, dimension, cle)
    assert f is not None, f"no figure {indicateur}/{dimension}/{cle}"
    return f.numerateur, f.denominateur, f.valeur


def test_every_figure_of_a_small_history(registre: Registre, histoire: dict) -> None:
    b = bilan(registre, Periode.annee(2026))
    assert b.source == "journal" and b.position == registre.position()
    # Baux hors QPV: the only one went to the first-quartile household.
    assert valeur(b, "premier_quartile_hors_qpv") == (1, 1, Decimal("100.00"))
    assert b.figure("premier_quartile_hors_qpv").cible == Decimal(25)
    assert b.figure("premier_quartile_hors_qpv").atteinte is True
    assert valeur(b, "premier_quartile_hors_qpv", "bailleur", "OPH-CPL") == (1, 1, Decimal("100.00"))
    assert valeur(b, "premier_quartile_hors_qpv", "reservataire", "AUCUN") == (1, 1, Decimal("100.00"))
    # QPV: one attribution, above the first quartile.
    assert valeur(b, "hors_premier_quartile_qpv") == (1, 1, Decimal("100.00"))
    # Three attributions (two on LGT, one in QPV), two to the handicap household.
    assert valeur(b, "prioritaires_dalo") == (2, 3, Decimal("66.67"))
    assert valeur(b, "attributions") == (3, None, Decimal(3))
    # Stocks on 31 December 2026: riche and reste active; pauvre let, renonce radiated.
    assert valeur(b, "tension") == (2, 1, Decimal("2.00"))
    assert valeur(b, "pression", "commune", "06029") == (1, 1, Decimal("1.00"))
    assert valeur(b, "pression", "commune", "06030") == (1, 0, None)
    # Waiting time: filed 2026-03-02, bail 2026-05-10.
    assert valeur(b, "attente_moyenne") == (None, 1, Decimal("69.0"))
    typo = registre.territoire.logement(LGT).typologie
    assert valeur(b, "attente_mediane", "typologie_commune", f"{typo} 06029")[2] == Decimal("69.0")
    assert valeur(b, "refus", "motif", "localisation")[0] == 1
    assert valeur(b, "refus", "qualification", "non_recevable")[0] == 1
    # Refusals / proposals: 1 of 3 designations (the retracted one does not count).
    assert valeur(b, "taux_refus") == (1, 3, Decimal("33.33"))
    assert valeur(b, "radiations", "motif", "RADABA")[0] == 1
    assert valeur(b, "radiations", "motif", "RADATT")[0] == 1
    assert valeur(b, "decotes", "code", "decote_refus")[0] == 1
    assert valeur(b, "recours", "issue", "deposes")[0] == 1
    assert valeur(b, "recours", "issue", "annulees")[0] == 1
    assert valeur(b, "recours", "issue", "en_attente")[0] == 0
    # Filed in 2019 with a 60-month delay: past it.
    assert valeur(b, "delai_anormalement_long") == (1, 2, Decimal("50.00"))
    # Two CALs (LGT on 10 April, LGT_QPV on 5 June), both with fewer than three candidates.
    assert valeur(b, "cal_moins_de_trois") == (2, 2, Decimal("100.00"))
    assert valeur(b, "cal_moins_de_trois", "raison", "insuffisance_candidats")[0] == 1
    assert valeur(b, "cal_moins_de_trois", "raison", "plai_adapte")[0] == 1


def test_a_period_and_an_as_of_date(registre: Registre, histoire: dict) -> None:
    avril = bilan(registre, Periode(date(2026, 4, 1), date(2026, 4, 30)))
    assert avril.figure("baux").numerateur == 0 if avril.figure("baux") else True
    assert valeur(avril, "recours", "issue", "en_attente")[0] == 1  # filed 20 April, decided in May
    assert valeur(avril, "tension")[0] == 4  # every demand still active on 30 April


def test_as_known_before_a_retraction(registre: Registre, histoire: dict) -> None:
    avant = bilan(registre, Periode.annee(2026), connu_a=histoire["avant_retractation"])
    assert valeur(avant, "taux_refus") == (1, 4, Decimal("25.00"))
    maintenant = bilan(registre, Periode.annee(2026))
    ecarts = comparer(avant, maintenant)
    assert {(e.indicateur, e.dimension) for e in ecarts} >= {("taux_refus", "territoire")}


def test_regenerating_twice_gives_the_same_figures_to_the_last_digit(registre: Registre, histoire: dict) -> None:
    a = bilan(registre, Periode.annee(2026))
    b = bilan(registre, Periode.annee(2026))
    assert a == b and comparer(a, b) == []


def test_raw_reading_equals_the_domain_events_decoded_by_the_library(registre: Registre, histoire: dict) -> None:
    """The light decoding of the journal gives the same facts as the library's full decoding."""
    collecte = Collecte()
    for n in registre.notifications(0, 10_000):
        e = registre.mapper.to_domain_event(n)
        genre = type(e).__qualname__.rpartition(".")[2]
        if n.topic.startswith("domain.demande:"):
            collecte.ajouter(extraire(genre, str(n.originator_id), n.originator_version, e, registre.territoire))
    periode = Periode.annee(2026)
    depuis_bibliotheque = calculer(collecte.pour(periode), periode, registre.territoire)
    assert depuis_bibliotheque == bilan(registre, periode).figures


def test_no_target_is_hidden_when_nothing_happened(registre: Registre) -> None:
    b = bilan(registre, Periode.annee(2025))
    for nom in ("premier_quartile_hors_qpv", "hors_premier_quartile_qpv", "prioritaires_dalo"):
        f = b.figure(nom)
        assert f is not None and f.denominateur == 0 and f.valeur is None and f.cible is not None


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="after it ends"):
        Periode(date(2026, 2, 1), date(2026, 1, 1))


def test_csv_opens_in_a_french_spreadsheet_and_json_round_trips(registre: Registre, histoire: dict) -> None:
    import csv
    import io

    from adapters.exports import depuis_json, en_csv, en_json

    b = bilan(registre, Periode.annee(2026))
    brut = en_csv(b)
    assert brut.startswith("\ufeff".encode())
    lignes = list(csv.reader(io.StringIO(brut.decode("utf-8-sig")), delimiter=";"))
    entete = lignes[0]  # the header on the first row
    prio = next(r for r in lignes[1:] if r[0] == "prioritaires_dalo" and r[2] == "territoire")
    ligne = dict(zip(entete, prio, strict=True))
    assert ligne["valeur"] == "66,67" and ligne["cible"] == "25" and ligne["atteinte"] == "oui"
    assert (ligne["territoire"], ligne["du"], ligne["au"]) == (registre.territoire.code, "2026-01-01", "2026-12-31")
    assert len(lignes) == len(b.figures) + 1
    assert depuis_json(en_json(b)) == b
