"""Preconditions of DOMAIN.md §3 and permissions of §1, on the real store (SQLite and PostgreSQL).

Every refusal is checked three ways: the error names its rule (`.regle`), its message says why
(dates, organisations, numbers), and nothing was appended — neither to the log (max notification
id), nor to the demand (its version), nor to the dwelling concerned.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from adapters.registre import Registre, Resultat
from domain import commandes as c
from domain import permissions
from domain.codes import (
    CodeDecote,
    DecisionRecours,
    Justification,
    ModeleLogement,
    MotifMiseEnDemeure,
    MotifNonAttribution,
    MotifRadiation,
    MotifRefus,
    QualificationRefus,
    RaisonMoinsDeTrois,
    RessourceRecue,
    RoleMembre,
    SousMotifIrrecevabilite,
    StadeRefus,
    StatutDalo,
    TypeContratTravail,
    TypeDecisionCAL,
    TypeReservataire,
    Typologie,
)
from domain.demande import Demande
from domain.erreurs import Interdit, Introuvable, RefusCommande, RegleEnfreinte
from domain.foyer import DonneesPersonnelles, Identite, LogementActuel, Membre, Ressource, Souhaits
from domain.pieces import MotifRefusPiece, TypePiece

AUJOURDHUI = date(2026, 11, 23)  # the horloge_test fixture's day
DEPOT = date(2026, 3, 2)  # anniversary 2027-03-02: no notice falls due before today

# Dwellings of the demo territory (checked by test_demo_dwellings_are_what_the_tests_assume).
LGT = "RPLS-0602900023"  # OPH-CPL, no contingent, vacant
LGT_ALS = "RPLS-0602900110"  # OPH-CPL, COLACT held by ALS, vacant
LGT_ETAT = "RPLS-0602900029"  # OPH-CPL, PPRIOR held by ETAT-06, vacant
LGT_ERILIA = "RPLS-0602900156"  # ERILIA, no contingent, vacant
LGT_LOUE = "RPLS-0602900015"  # OPH-CPL, no contingent, let


# -- helpers -------------------------------------------------------------------------------------


def incoherente(registre: Registre, numero: str, jour: date) -> int:
    """A pièce deposited and refused as incoherente on `jour`: the event a decote_pieces cites."""
    (piece,) = executer(registre, "CANNES", c.DeposerPiece(occurred_on=jour, type_piece=TypePiece.avis_imposition,
                                                           empreinte="ab" * 32, taille=1000), numero).evenements
    (refus,) = executer(registre, "CANNES", c.RefuserPiece(occurred_on=jour, piece=piece,
                                                           motif=MotifRefusPiece.incoherente), numero).evenements
    return refus


def executer(registre: Registre, org: str, commande: c.Commande, numero: str | None = None) -> Resultat:
    agent = org.lower() + "-1"  # every demo organisation has an agent named so
    return registre.executer(registre.territoire.organisation(org), agent, commande, numero_unique=numero)


def enregistrer(
    registre: Registre,
    jour: date = DEPOT,
    guichet: str = "CANNES",
    situations: tuple[str, ...] = ("handicap",),
    **kw: object,
) -> str:
    commande = c.Enregistrer(
        occurred_on=jour,
        membres=(
            Membre(
                id="m1",
                role=RoleMembre.demandeur,
                contrat=TypeContratTravail.CDD,
                ressources=(Ressource(RessourceRecue.SAL, Decimal("1450.00")),),
                commune_travail="06029",
            ),
            Membre(id="m2", role=RoleMembre.personne_a_charge),
        ),
        souhaits=Souhaits(communes=("06029", "06030"), typologies=(Typologie.T2, Typologie.T3)),
        logement_actuel=LogementActuel(modele=ModeleLogement.CP, commune="06029"),
        situations=situations,
        personnel=DonneesPersonnelles(
            identites=(
                Identite(membre="m1", nom="Martin", prenom="Léa", date_naissance=date(1991, 4, 3)),
                Identite(membre="m2", nom="Martin", prenom="Noé", date_naissance=date(2017, 6, 9)),
            ),
            email="lea.martin@example.org",
        ),
        **kw,  # type: ignore[arg-type]
    )
    return executer(registre, guichet, commande).numero_unique


def instantane(registre: Registre, numeros: Iterable[str], logements: Iterable[str]) -> tuple:
    versions = tuple(registre.demande(n).version for n in numeros)
    lgts = tuple(
        (lgt.version, len(lgt.vacances)) if (lgt := registre.logement(i)) else None for i in logements
    )
    return registre.position(), versions, lgts


def refuse(
    registre: Registre,
    org: str,
    commande: c.Commande,
    numero: str | None,
    regle: str,
    *mots: str,
    erreur: type[RefusCommande] = RegleEnfreinte,
    aussi: Iterable[str] = (),
) -> RefusCommande:
    """Run a command that must be refused with `regle`, its message naming each of `mots`, and
    check that nothing was appended anywhere (`aussi`: other demands to watch)."""
    numeros = [n for n in (numero, *aussi) if n is not None]
    logements = [x for x in (getattr(commande, "logement", None),) if x]
    avant = instantane(registre, numeros, logements)
    with pytest.raises(RefusCommande) as exc:
        executer(registre, org, commande, numero)
    e = exc.value
    assert type(e) is erreur, f"{type(e).__name__}({e.regle}): {e.message}"
    assert e.regle == regle, e.message
    assert e.statut == {Interdit: 403, Introuvable: 404}.get(erreur, 422)
    assert e.message and str(e) == e.message
    for mot in mots:
        assert mot in e.message, f"{mot!r} missing from {e.message!r}"
    assert instantane(registre, numeros, logements) == avant, "a refused command appended events"
    return e


def refuse_vacance(registre: Registre, org: str, logement: str, jour: date, regle: str, *mots: str,
                   erreur: type[RefusCommande] = RegleEnfreinte) -> RefusCommande:
    avant = instantane(registre, (), (logement,))
    with pytest.raises(RefusCommande) as exc:
        registre.declarer_vacance(
            registre.territoire.organisation(org), org.lower() + "-1", logement,
            c.DeclarerVacance(occurred_on=jour),
        )
    e = exc.value
    assert type(e) is erreur, f"{type(e).__name__}({e.regle}): {e.message}"
    assert e.regle == regle, e.message
    for mot in mots:
        assert mot in e.message, f"{mot!r} missing from {e.message!r}"
    assert instantane(registre, (), (logement,)) == avant
    return e


def designer(registre: Registre, numero: str, jour: date, logement: str = LGT, org: str = "OPH-CPL") -> Resultat:
    return executer(registre, org, c.Designer(occurred_on=jour, logement=logement), numero)


def decider(
    registre: Registre, numero: str, jour: date, decision: TypeDecisionCAL, logement: str = LGT, **kw: object
) -> Resultat:
    kw.setdefault("moins_de_trois_candidats", RaisonMoinsDeTrois.insuffisance_candidats)
    return executer(
        registre, "OPH-CPL", c.DeciderCAL(occurred_on=jour, logement=logement, decision=decision, **kw), numero  # type: ignore[arg-type]
    )


def refuser(
    registre: Registre,
    numero: str,
    jour: date,
    qualification: QualificationRefus = QualificationRefus.recevable,
    stade: StadeRefus = StadeRefus.apres_cal,
    logement: str = LGT,
    **kw: object,
) -> Resultat:
    return executer(
        registre,
        "OPH-CPL",
        c.Refuser(occurred_on=jour, logement=logement, stade=stade, motif=MotifRefus.localisation, texte="trop loin",
                  qualification=qualification, **kw),  # type: ignore[arg-type]
        numero,
    )


def derniers(registre: Registre, numero: str, n: int) -> list[Demande.Event]:
    return registre.demande(numero).faits[-n:]


# -- the territory the tests rely on -----------------------------------------------------------------


def test_demo_dwellings_are_what_the_tests_assume(registre: Registre) -> None:
    t = registre.territoire
    attendu = {
        LGT: ("OPH-CPL", TypeReservataire.AUCUN, None, True),
        LGT_ALS: ("OPH-CPL", TypeReservataire.COLACT, "ALS", True),
        LGT_ETAT: ("OPH-CPL", TypeReservataire.PPRIOR, "ETAT-06", True),
        LGT_ERILIA: ("ERILIA", TypeReservataire.AUCUN, None, True),
        LGT_LOUE: ("OPH-CPL", TypeReservataire.AUCUN, None, False),
    }
    for ident, (bailleur, contingent, reservataire, vacant) in attendu.items():
        s = t.logement(ident)
        assert (s.bailleur, s.contingent, s.reservataire, s.vacant) == (
            bailleur, contingent, reservataire, vacant,
        )


# -- a radiated demand -----------------------------------------------------------------------------------

RADIEE_LE = date(2026, 4, 1)


@pytest.mark.parametrize(
    ("org", "commande"),
    [
        ("CANNES", c.Modifier(occurred_on=date(2026, 5, 4), situations=("divorce_separation",))),
        ("CANNES", c.Renouveler(occurred_on=date(2026, 5, 4))),
        ("OPH-CPL", c.Designer(occurred_on=date(2026, 5, 4), logement=LGT)),
        ("ALS", c.Designer(occurred_on=date(2026, 5, 4), logement=LGT_ALS)),
        ("CANNES", c.MettreEnDemeure(occurred_on=date(2026, 5, 4), motif=MotifMiseEnDemeure.absence_reponse)),
        ("CANNES", c.Radier(occurred_on=date(2026, 5, 4), motif=MotifRadiation.RADABA)),
        ("CANNES", c.AppliquerDecote(occurred_on=date(2026, 5, 4), code=CodeDecote.decote_pieces)),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, c.Commande) else x,
)
def test_commands_on_a_radiated_demand_are_refused(registre: Registre, org: str, commande: c.Commande) -> None:
    numero = enregistrer(registre)
    executer(registre, "CANNES", c.Radier(occurred_on=RADIEE_LE, motif=MotifRadiation.RADABA), numero)
    e = refuse(registre, org, commande, numero, "demande_radiee", numero, "RADABA", "2026-04-01")
    assert e.details == {"motif_radiation": "RADABA"}


def test_designation_of_a_radiated_demand_opens_no_dwelling(registre: Registre) -> None:
    numero = enregistrer(registre)
    executer(registre, "CANNES", c.Radier(occurred_on=RADIEE_LE, motif=MotifRadiation.RADABA), numero)
    refuse(registre, "OPH-CPL", c.Designer(occurred_on=date(2026, 5, 4), logement=LGT), numero,
           "demande_radiee")
    assert registre.logement(LGT) is None


# -- dates ------------------------------------------------------------------------------------------


def test_occurred_on_before_the_last_event_is_refused(registre: Registre) -> None:
    numero = enregistrer(registre)
    executer(registre, "CANNES", c.Modifier(occurred_on=date(2026, 5, 10), motifs=("01",)), numero)
    e = refuse(registre, "CANNES", c.Renouveler(occurred_on=date(2026, 5, 9)), numero,
               "date_anterieure", "2026-05-09", "2026-05-10")
    assert e.details == {"dernier_evenement_le": "2026-05-10"}
    # Other organisations are held to the same order, and so are dwelling commands.
    refuse(registre, "OPH-CPL", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT), numero,
           "date_anterieure", "2026-04-01")
    assert registre.logement(LGT) is None
    # The same day is not backwards.
    r = executer(registre, "CANNES", c.Renouveler(occurred_on=date(2026, 5, 10)), numero)
    assert r.evenements == (3,)


def test_registration_before_filed_on_is_refused(registre: Registre) -> None:
    avant = registre.position()
    with pytest.raises(RegleEnfreinte) as exc:
        enregistrer(registre, jour=date(2026, 3, 2), filed_on=date(2026, 3, 3))
    assert exc.value.regle == "filed_on_apres_enregistrement"
    assert "2026-03-03" in exc.value.message
    assert registre.position() == avant


@pytest.mark.parametrize(
    ("org", "commande"),
    [
        ("CANNES", c.Renouveler(occurred_on=date(2026, 11, 24))),
        ("CANNES", c.Modifier(occurred_on=date(2027, 1, 1), motifs=("01",))),
        ("OPH-CPL", c.Designer(occurred_on=date(2026, 11, 24), logement=LGT)),
        ("ETAT-06", c.ReconnaitreDalo(occurred_on=date(2026, 12, 1), statut=StatutDalo.ACTIF)),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, c.Commande) else x,
)
def test_occurred_on_in_the_future_is_refused(registre: Registre, org: str, commande: c.Commande) -> None:
    numero = enregistrer(registre)
    refuse(registre, org, commande, numero, "date_future", commande.occurred_on.isoformat(), "2026-11-23")


def test_registration_in_the_future_is_refused(registre: Registre) -> None:
    avant = registre.position()
    with pytest.raises(RegleEnfreinte) as exc:
        enregistrer(registre, jour=date(2026, 11, 24))
    assert exc.value.regle == "date_future"
    assert "2026-11-24" in exc.value.message
    assert registre.position() == avant


def test_today_is_the_territory_s_legal_day(registre: Registre, horloge_test) -> None:  # type: ignore[no-untyped-def]
    numero = enregistrer(registre)
    # 23:30 UTC on 23 November is already 24 November in Paris.
    horloge_test.regler(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    executer(registre, "CANNES", c.Renouveler(occurred_on=date(2026, 11, 24)), numero)
    refuse(registre, "CANNES", c.Modifier(occurred_on=date(2026, 11, 25), motifs=("01",)), numero,
           "date_future", "2026-11-25", "2026-11-24")
    # Today itself is accepted.
    executer(registre, "CANNES", c.Modifier(occurred_on=date(2026, 11, 24), motifs=("01",)), numero)


def test_vacancy_in_the_future_is_refused(registre: Registre) -> None:
    """DOMAIN.md §3: every event carries occurred_on, and a date in the future is refused."""
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.attribution)
    executer(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 20), logement=LGT), numero)
    refuse_vacance(registre, "OPH-CPL", LGT, date(2026, 11, 24), "date_future", "2026-11-24")


# -- reactivation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depot", "radren", "dernier_jour"),
    [
        (date(2025, 6, 10), date(2026, 7, 10), date(2026, 8, 10)),
        (date(2025, 7, 31), date(2026, 8, 31), date(2026, 9, 30)),  # clamped to 30 September
    ],
)
def test_reactivation_beyond_one_month_after_radren_is_refused(
    registre: Registre, depot: date, radren: date, dernier_jour: date
) -> None:
    numero = enregistrer(registre, jour=depot)
    assert registre.demande(numero).version == 1  # the RADREN is not yet in the log
    lendemain = date.fromordinal(dernier_jour.toordinal() + 1)
    e = refuse(registre, "CANNES", c.Reactiver(occurred_on=lendemain), numero,
               "delai_reactivation", dernier_jour.isoformat(), radren.isoformat())
    assert e.details == {"possible_jusqua": dernier_jour.isoformat()}


@pytest.mark.parametrize(
    ("depot", "radren", "dernier_jour"),
    [
        (date(2025, 6, 10), date(2026, 7, 10), date(2026, 8, 10)),
        (date(2025, 7, 31), date(2026, 8, 31), date(2026, 9, 30)),
    ],
)
def test_reactivation_on_the_last_day_is_allowed(
    registre: Registre, depot: date, radren: date, dernier_jour: date
) -> None:
    numero = enregistrer(registre, jour=depot)
    r = executer(registre, "CANNES", c.Reactiver(occurred_on=dernier_jour), numero)
    # Two notices and the RADREN radiation were caught up first, then the reactivation.
    assert r.evenements == (2, 3, 4, 5)
    faits = registre.demande(numero).faits
    radiation = faits[3]
    assert isinstance(radiation, Demande.Radiee)
    assert (radiation.motif, radiation.occurred_on) == (MotifRadiation.RADREN, radren)
    assert isinstance(faits[4], Demande.Reactivee)
    etat = registre.demande(numero).etat
    assert etat.active and etat.radiation is None
    assert etat.filed_on == depot
    assert etat.anniversaire == date(dernier_jour.year + 1, dernier_jour.month, dernier_jour.day)


def test_reactivation_only_undoes_radren(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CANNES", c.Reactiver(occurred_on=date(2026, 4, 1)), numero, "demande_active", numero)
    executer(registre, "CANNES", c.Radier(occurred_on=RADIEE_LE, motif=MotifRadiation.RADABA), numero)
    refuse(registre, "CANNES", c.Reactiver(occurred_on=date(2026, 4, 2)), numero,
           "reactivation_radren_seulement", "RADABA")


# -- radiation after a mise en demeure -----------------------------------------------------------------


def test_radcon_before_one_month_after_the_mise_en_demeure_is_refused(registre: Registre) -> None:
    numero = enregistrer(registre)
    executer(registre, "CANNES",
             c.MettreEnDemeure(occurred_on=date(2026, 3, 31), motif=MotifMiseEnDemeure.absence_reponse), numero)
    e = refuse(registre, "CANNES", c.Radier(occurred_on=date(2026, 4, 29), motif=MotifRadiation.RADCON),
               numero, "delai_mise_en_demeure", "RADCON", "2026-04-30", "2026-03-31")
    assert e.details == {"possible_le": "2026-04-30"}
    # Allowed on the day (31 March + 1 month, clamped to 30 April).
    executer(registre, "CANNES", c.Radier(occurred_on=date(2026, 4, 30), motif=MotifRadiation.RADCON), numero)
    etat = registre.demande(numero).etat
    assert (etat.active, etat.radiation, etat.radiee_le) == (False, MotifRadiation.RADCON, date(2026, 4, 30))


def test_radcon_needs_a_mise_en_demeure_for_no_answer(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CANNES", c.Radier(occurred_on=date(2026, 6, 1), motif=MotifRadiation.RADCON), numero,
           "mise_en_demeure_requise", "RADCON")
    # A renewal answers the warning: the month no longer runs.
    executer(registre, "CANNES",
             c.MettreEnDemeure(occurred_on=date(2026, 6, 1), motif=MotifMiseEnDemeure.absence_reponse), numero)
    executer(registre, "CANNES", c.Renouveler(occurred_on=date(2026, 6, 15)), numero)
    refuse(registre, "CANNES", c.Radier(occurred_on=date(2026, 7, 15), motif=MotifRadiation.RADCON), numero,
           "mise_en_demeure_requise")


@pytest.mark.parametrize("motif", [MotifRadiation.RADREN, MotifRadiation.RADATT])
def test_automatic_radiations_cannot_be_recorded_by_hand(registre: Registre, motif: MotifRadiation) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CANNES", c.Radier(occurred_on=date(2026, 6, 1), motif=motif), numero,
           "radiation_automatique", str(motif))


def test_radirr_needs_the_bailleur_s_irrecevabilite_and_one_month(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "OPH-CPL",
           c.MettreEnDemeure(occurred_on=date(2026, 4, 1), motif=MotifMiseEnDemeure.irrecevabilite), numero,
           "irrecevabilite_non_prononcee")
    designer(registre, numero, date(2026, 4, 1))
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.irrecevabilite,
            sous_motif_irrecevabilite=SousMotifIrrecevabilite.IRRSEJ)
    # Another bailleur's CAL did not pronounce it.
    refuse(registre, "ERILIA",
           c.MettreEnDemeure(occurred_on=date(2026, 4, 12), motif=MotifMiseEnDemeure.irrecevabilite), numero,
           "irrecevabilite_non_prononcee")
    executer(registre, "OPH-CPL",
             c.MettreEnDemeure(occurred_on=date(2026, 4, 12), motif=MotifMiseEnDemeure.irrecevabilite), numero)
    refuse(registre, "OPH-CPL", c.Radier(occurred_on=date(2026, 5, 11), motif=MotifRadiation.RADIRR), numero,
           "delai_mise_en_demeure", "2026-05-12")
    executer(registre, "OPH-CPL", c.Radier(occurred_on=date(2026, 5, 12), motif=MotifRadiation.RADIRR), numero)
    assert registre.demande(numero).etat.radiation is MotifRadiation.RADIRR


def test_radirr_by_a_bailleur_unrelated_to_the_irrecevabilite_is_forbidden(registre: Registre) -> None:
    """OPH-CPL's CAL pronounced the irrecevabilité and OPH-CPL sent the mise en demeure: ERILIA,
    a bailleur with nothing to do with the demand, may not radiate it (403, nothing appended),
    not even once the month has run; OPH-CPL still may."""
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.irrecevabilite,
            sous_motif_irrecevabilite=SousMotifIrrecevabilite.IRRSEJ)
    executer(registre, "OPH-CPL",
             c.MettreEnDemeure(occurred_on=date(2026, 4, 12), motif=MotifMiseEnDemeure.irrecevabilite), numero)
    e = refuse(registre, "ERILIA", c.Radier(occurred_on=date(2026, 5, 12), motif=MotifRadiation.RADIRR), numero,
               "bailleur_de_l_irrecevabilite", "OPH-CPL", "ERILIA", erreur=Interdit)
    assert e.details["bailleur"] == "OPH-CPL"
    etat = registre.demande(numero).etat
    assert permissions.peut(registre.territoire.organisation("ERILIA"),
                            c.Radier(occurred_on=date(2026, 5, 12), motif=MotifRadiation.RADIRR), etat) is not None
    executer(registre, "OPH-CPL", c.Radier(occurred_on=date(2026, 5, 12), motif=MotifRadiation.RADIRR), numero)
    assert registre.demande(numero).etat.radiation is MotifRadiation.RADIRR


# -- décotes and recours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decote_le", "notifiee_le", "du"),
    [
        (date(2026, 10, 1), None, date(2026, 10, 16)),
        (date(2026, 10, 1), date(2026, 10, 5), date(2026, 10, 20)),
        (date(2026, 2, 20), None, date(2026, 3, 7)),
    ],
)
def test_recours_on_day_16_is_refused_with_its_due_date(
    registre: Registre, decote_le: date, notifiee_le: date | None, du: date
) -> None:
    numero = enregistrer(registre, jour=min(DEPOT, decote_le))
    r = executer(registre, "CANNES",
                 c.AppliquerDecote(occurred_on=decote_le, code=CodeDecote.decote_pieces, notifiee_le=notifiee_le,
                                  piece=incoherente(registre, numero, decote_le)),
                 numero)
    (decote,) = r.evenements
    jour16 = date.fromordinal(du.toordinal() + 1)
    e = refuse(registre, "CANNES", c.DeposerRecours(occurred_on=jour16, decote=decote), numero,
               "recours_hors_delai", du.isoformat())
    assert e.details == {"du_au_plus_tard": du.isoformat()}
    # Day 15 is in time, and a bailleur may file it too on the demandeur's behalf.
    r = executer(registre, "OPH-CPL", c.DeposerRecours(occurred_on=du, decote=decote), numero)
    assert r.evenements == (decote + 1,)
    d = registre.demande(numero).etat.decotes[decote]
    assert (d.recours, d.recours_depose_le, d.decision) == (decote + 1, du, None)


def test_recours_preconditions(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CANNES", c.DeposerRecours(occurred_on=date(2026, 10, 2), decote=1), numero,
           "decote_inconnue", "1")
    (decote,) = executer(registre, "CANNES",
                         c.AppliquerDecote(occurred_on=date(2026, 10, 1), code=CodeDecote.decote_pieces,
                                           piece=incoherente(registre, numero, date(2026, 10, 1))),
                         numero).evenements
    refuse(registre, "CANNES",
           c.DeciderRecours(occurred_on=date(2026, 10, 2), decote=decote,
                            decision=DecisionRecours.maintenue, motivation="pièces incohérentes"),
           numero, "aucun_recours_pendant")
    executer(registre, "CANNES", c.DeposerRecours(occurred_on=date(2026, 10, 3), decote=decote), numero)
    refuse(registre, "CANNES", c.DeposerRecours(occurred_on=date(2026, 10, 4), decote=decote), numero,
           "recours_pendant")
    refuse(registre, "CANNES",
           c.DeciderRecours(occurred_on=date(2026, 10, 5), decote=decote,
                            decision=DecisionRecours.maintenue, motivation="  "),
           numero, "motivation_requise")
    executer(registre, "CANNES",
             c.DeciderRecours(occurred_on=date(2026, 10, 5), decote=decote,
                              decision=DecisionRecours.maintenue, motivation="pièces incohérentes"),
             numero)
    refuse(registre, "CANNES", c.DeposerRecours(occurred_on=date(2026, 10, 6), decote=decote), numero,
           "recours_deja_decide")


def test_decote_on_a_recevable_refusal_is_refused(registre: Registre) -> None:
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    (refus,) = refuser(registre, numero, date(2026, 4, 10), stade=StadeRefus.avant_cal).evenements
    refuse(registre, "OPH-CPL",
           c.AppliquerDecote(occurred_on=date(2026, 4, 11), code=CodeDecote.decote_refus, refus=refus),
           numero, "refus_recevable", "recevable")


def test_decote_refus_without_a_standing_refusal_is_a_precondition_not_a_permission(
    registre: Registre,
) -> None:
    """A decote_refus that names no refusal, or an event that is not one, breaks a precondition
    (DOMAIN.md §5.3; demande.py's `refus_requis` / `refus_inconnu`, 422): the bailleur is
    allowed to apply décotes, so a 403 `bailleur_du_logement` misstates the reason."""
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    refuse(registre, "OPH-CPL",
           c.AppliquerDecote(occurred_on=date(2026, 4, 11), code=CodeDecote.decote_refus),
           numero, "refus_requis")
    refuse(registre, "OPH-CPL",
           c.AppliquerDecote(occurred_on=date(2026, 4, 11), code=CodeDecote.decote_refus, refus=2),
           numero, "refus_inconnu", "2")


def test_refusal_and_decote_in_one_command_need_a_non_recevable_refusal(registre: Registre) -> None:
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.attribution)
    refuse(registre, "OPH-CPL",
           c.Refuser(occurred_on=date(2026, 4, 15), logement=LGT, stade=StadeRefus.apres_cal, motif=MotifRefus.localisation, texte="trop loin",
                     qualification=QualificationRefus.recevable, appliquer_decote=True),
           numero, "refus_recevable")
    r = refuser(registre, numero, date(2026, 4, 15), QualificationRefus.non_recevable, appliquer_decote=True)
    assert len(r.evenements) == 2  # two events, one command
    refus, decote = derniers(registre, numero, 2)
    assert isinstance(refus, Demande.Refusee) and isinstance(decote, Demande.DecoteAppliquee)
    assert decote.refus == refus.originator_version
    refuse(registre, "OPH-CPL",
           c.AppliquerDecote(occurred_on=date(2026, 4, 16), code=CodeDecote.decote_refus,
                             refus=refus.originator_version),
           numero, "decote_deja_appliquee")


def test_decote_refus_only_within_a_year_of_the_refusal(registre: Registre) -> None:
    numero = enregistrer(registre, jour=date(2025, 9, 1))
    designer(registre, numero, date(2025, 9, 10))
    (refus,) = refuser(registre, numero, date(2025, 9, 20), QualificationRefus.non_recevable,
                       stade=StadeRefus.avant_cal).evenements
    executer(registre, "CANNES", c.Renouveler(occurred_on=date(2026, 8, 15)), numero)
    refuse(registre, "OPH-CPL",
           c.AppliquerDecote(occurred_on=date(2026, 9, 20), code=CodeDecote.decote_refus, refus=refus),
           numero, "decote_hors_delai", "2026-09-19")
    executer(registre, "OPH-CPL",
             c.AppliquerDecote(occurred_on=date(2026, 9, 19), code=CodeDecote.decote_refus, refus=refus), numero)


def test_decote_notification_cannot_precede_the_decote(registre: Registre) -> None:
    numero = enregistrer(registre)
    piece = incoherente(registre, numero, date(2026, 6, 10))
    refuse(registre, "CANNES",
           c.AppliquerDecote(occurred_on=date(2026, 6, 10), code=CodeDecote.decote_pieces,
                             notifiee_le=date(2026, 6, 9), piece=piece),
           numero, "notification_invalide")
    refuse(registre, "CANNES",
           c.AppliquerDecote(occurred_on=date(2026, 6, 10), code=CodeDecote.decote_pieces,
                             notifiee_le=date(2026, 11, 24), piece=piece),
           numero, "notification_invalide")
    refuse(registre, "CANNES",
           c.AppliquerDecote(occurred_on=date(2026, 6, 10), code=CodeDecote.decote_pieces, refus=1),
           numero, "refus_inattendu")


# -- designations, CAL decisions, refusals ---------------------------------------------------------------


def test_designation_preconditions(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "OPH-CPL", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT_LOUE), numero,
           "logement_non_vacant", LGT_LOUE)
    refuse(registre, "OPH-CPL", c.Designer(occurred_on=date(2026, 4, 1), logement="RPLS-INCONNU"), numero,
           "logement_inconnu", "RPLS-INCONNU", erreur=Introuvable)
    refuse(registre, "ALS",
           c.Designer(occurred_on=date(2026, 4, 1), logement=LGT_ALS, contingent=TypeReservataire.PPRIOR),
           numero, "contingent_invalide", "COLACT")
    designer(registre, numero, date(2026, 4, 1))
    refuse(registre, "OPH-CPL", c.Designer(occurred_on=date(2026, 4, 2), logement=LGT), numero,
           "deja_designee", LGT)


def test_cal_decision_preconditions(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "OPH-CPL",
           c.DeciderCAL(occurred_on=date(2026, 4, 1), logement=LGT, decision=TypeDecisionCAL.attribution),
           numero, "non_designee", LGT)
    assert registre.logement(LGT) is None
    designer(registre, numero, date(2026, 4, 1))
    for decision, kw, regle in [
        (TypeDecisionCAL.attribution_par_classement, {}, "rang_requis"),
        (TypeDecisionCAL.attribution_par_classement, {"rang": 0}, "rang_requis"),
        (TypeDecisionCAL.attribution, {"rang": 1}, "rang_inattendu"),
        (TypeDecisionCAL.attribution_sous_condition, {"delai_jours": 10}, "condition_incomplete"),
        (TypeDecisionCAL.attribution_sous_condition, {"piece_manquante": "avis d'imposition"},
         "condition_incomplete"),
        (TypeDecisionCAL.non_attribution, {}, "motif_requis"),
        (TypeDecisionCAL.irrecevabilite, {}, "sous_motif_requis"),
    ]:
        refuse(registre, "OPH-CPL",
               c.DeciderCAL(occurred_on=date(2026, 4, 10), logement=LGT, decision=decision, **kw),
               numero, regle)
    refuser(registre, numero, date(2026, 4, 5), stade=StadeRefus.avant_cal)
    refuse(registre, "OPH-CPL",
           c.DeciderCAL(occurred_on=date(2026, 4, 10), logement=LGT, decision=TypeDecisionCAL.attribution),
           numero, "deja_refusee")


def test_refusal_preconditions(registre: Registre) -> None:
    numero = enregistrer(registre)
    commande = c.Refuser(occurred_on=date(2026, 4, 5), logement=LGT, stade=StadeRefus.avant_cal,
                         motif=MotifRefus.localisation, texte="trop loin", qualification=QualificationRefus.recevable)
    refuse(registre, "OPH-CPL", commande, numero, "aucune_proposition", LGT)
    designer(registre, numero, date(2026, 4, 1))
    refuse(registre, "OPH-CPL",
           c.Refuser(occurred_on=date(2026, 4, 5), logement=LGT, stade=StadeRefus.apres_cal,
                     motif=MotifRefus.localisation, texte="trop loin", qualification=QualificationRefus.recevable),
           numero, "refus_sans_decision", "apres_cal")
    executer(registre, "OPH-CPL", commande, numero)
    refuse(registre, "OPH-CPL", commande, numero, "deja_refusee")


def test_suspensive_condition_preconditions(registre: Registre) -> None:
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    refuse(registre, "OPH-CPL", c.LeverCondition(occurred_on=date(2026, 4, 2), logement=LGT), numero,
           "pas_de_condition_suspensive", LGT)
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.attribution_sous_condition,
            piece_manquante="avis d'imposition", delai_jours=15)
    refuse(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 12), logement=LGT), numero,
           "attribution_ne_tient_pas", "suspensive condition")
    executer(registre, "OPH-CPL", c.LeverCondition(occurred_on=date(2026, 4, 20), logement=LGT), numero)
    refuse(registre, "OPH-CPL", c.LeverCondition(occurred_on=date(2026, 4, 21), logement=LGT), numero,
           "condition_deja_levee")
    executer(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 22), logement=LGT), numero)


def test_justification_needs_a_claimed_criterion(registre: Registre) -> None:
    numero = enregistrer(registre, situations=("handicap",))
    refuse(registre, "CANNES",
           c.Justifier(occurred_on=date(2026, 4, 1), critere="violences_couple",
                       justification=Justification.justifie),
           numero, "critere_non_revendique", "violences_couple")
    executer(registre, "CANNES",
             c.Justifier(occurred_on=date(2026, 4, 1), critere="handicap", justification=Justification.justifie),
             numero)
    executer(registre, "OPH-CPL",
             c.Justifier(occurred_on=date(2026, 4, 1), critere="heberge_tiers", justification=Justification.rejete),
             numero)


def test_payload_validation(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CANNES", c.Modifier(occurred_on=date(2026, 4, 1)), numero, "modification_vide")
    refuse(registre, "CANNES",
           c.Modifier(occurred_on=date(2026, 4, 1),
                      membres=(Membre(id="a", role=RoleMembre.demandeur), Membre(id="b", role=RoleMembre.demandeur))),
           numero, "foyer_invalide", "2")
    refuse(registre, "CANNES",
           c.Modifier(occurred_on=date(2026, 4, 1), souhaits=Souhaits(communes=("Cannes",), typologies=(Typologie.T2,))),
           numero, "commune_invalide", "Cannes")
    refuse(registre, "CANNES",
           c.Modifier(occurred_on=date(2026, 4, 1),
                      membres=(Membre(id="m1", role=RoleMembre.demandeur),)),  # m2's identity is orphaned
           numero, "identite_orpheline", "m2")
    refuse(registre, "CANNES", c.Modifier(occurred_on=date(2026, 4, 1), situations=("Handicap!",)), numero,
           "situation_invalide")


def test_registering_a_numero_unique_twice_is_refused_and_keeps_its_key(registre: Registre) -> None:
    numero = enregistrer(registre, numero_unique="1110318016982G1104")
    avant = registre.position()
    with pytest.raises(RegleEnfreinte) as exc:
        enregistrer(registre, guichet="OPH-CPL", numero_unique="1110318016982G1104")
    assert exc.value.regle == "numero_unique_existant"
    assert "1110318016982G1104" in exc.value.message
    assert registre.position() == avant
    # The first registration's personal data still decrypt: its key was not replaced.
    personnel = Registre(registre.stockage, registre.territoire).demande(numero).etat.personnel
    assert isinstance(personnel, DonneesPersonnelles)
    assert personnel.identites[0].nom == "Martin"


def test_commands_other_than_registration_need_a_numero(registre: Registre) -> None:
    refuse(registre, "CANNES", c.Renouveler(occurred_on=date(2026, 4, 1)), None, "numero_requis")


# -- the dwelling's rules: ranks, standing attributions, one bail per vacancy ----------------------------


def _deux_classes(registre: Registre) -> tuple[str, str]:
    a = enregistrer(registre)
    b = enregistrer(registre)
    designer(registre, a, date(2026, 4, 1))
    designer(registre, b, date(2026, 4, 1))
    cal = date(2026, 4, 15)
    decider(registre, a, cal, TypeDecisionCAL.attribution_par_classement, rang=1)
    decider(registre, b, cal, TypeDecisionCAL.attribution_par_classement, rang=2)
    return a, b


def test_bail_for_rank_2_while_rank_1_has_not_refused(registre: Registre) -> None:
    a, b = _deux_classes(registre)
    refuse(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 20), logement=LGT), b,
           "attribution_ne_tient_pas", LGT, a, "rank 1", aussi=[a])
    assert registre.logement(LGT).vacant
    # Rank 1 refuses: rank 2's attribution now stands.
    refuser(registre, a, date(2026, 4, 22))
    r = executer(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 25), logement=LGT), b)
    bail, radiation = derniers(registre, b, 2)
    assert r.evenements == (bail.originator_version, radiation.originator_version)
    assert isinstance(bail, Demande.BailSigne) and bail.logement == LGT
    assert isinstance(radiation, Demande.Radiee) and radiation.motif is MotifRadiation.RADATT
    lgt = registre.logement(LGT)
    assert not lgt.vacant and lgt.vacances[-1].loue_a == b


def test_bail_for_rank_1_stands_at_once(registre: Registre) -> None:
    a, b = _deux_classes(registre)
    executer(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 20), logement=LGT), a)
    assert registre.logement(LGT).vacances[-1].loue_a == a


def test_bail_without_an_attribution(registre: Registre) -> None:
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    refuse(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 20), logement=LGT), numero,
           "attribution_ne_tient_pas", "no CAL decision")
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.non_attribution, motif=MotifNonAttribution.taux_effort)
    refuse(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 20), logement=LGT), numero,
           "attribution_ne_tient_pas", "non_attribution")


def test_bail_after_the_candidate_refused(registre: Registre) -> None:
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.attribution)
    refuser(registre, numero, date(2026, 4, 12))
    refuse(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 20), logement=LGT), numero,
           "attribution_ne_tient_pas", "refused")


def test_duplicate_rank_on_the_same_cal_is_refused(registre: Registre) -> None:
    a, b = _deux_classes(registre)
    x = enregistrer(registre)
    designer(registre, x, date(2026, 4, 2))
    refuse(registre, "OPH-CPL",
           c.DeciderCAL(occurred_on=date(2026, 4, 15), logement=LGT,
                        decision=TypeDecisionCAL.attribution_par_classement, rang=1,
                        moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats),
           x, "rang_deja_attribue", "rank 1", LGT, "2026-04-15", a, aussi=[a, b])
    # Rank 3 is free; rank 1 at another CAL is another ranking.
    decider(registre, x, date(2026, 4, 15), TypeDecisionCAL.attribution_par_classement, rang=3)
    y = enregistrer(registre)
    designer(registre, y, date(2026, 4, 2))
    decider(registre, y, date(2026, 4, 16), TypeDecisionCAL.attribution_par_classement, rang=1)


def test_second_bail_on_a_let_dwelling_is_refused(registre: Registre) -> None:
    a = enregistrer(registre)
    b = enregistrer(registre)
    for n in (a, b):
        designer(registre, n, date(2026, 4, 1))
        decider(registre, n, date(2026, 4, 10), TypeDecisionCAL.attribution)
    executer(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 20), logement=LGT), a)
    refuse(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 4, 21), logement=LGT), b,
           "logement_non_vacant", LGT, aussi=[a])
    assert registre.demande(b).etat.active
    # A new vacancy does not revive the attributions of the previous one.
    assert registre.declarer_vacance(
        registre.territoire.organisation("OPH-CPL"), "oph-cpl-1", LGT, c.DeclarerVacance(occurred_on=date(2026, 6, 1))
    ) == 2
    refuse(registre, "OPH-CPL", c.SignerBail(occurred_on=date(2026, 6, 2), logement=LGT), b,
           "attribution_ne_tient_pas")


def test_vacancy_on_a_vacant_dwelling_is_refused(registre: Registre) -> None:
    refuse_vacance(registre, "OPH-CPL", LGT, date(2026, 4, 1), "deja_vacant", LGT)
    assert registre.logement(LGT) is None  # not even opened
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))  # opens the dwelling in the log
    refuse_vacance(registre, "OPH-CPL", LGT, date(2026, 4, 2), "deja_vacant", LGT, "vacancy 1")
    # A let dwelling may be declared vacant, once.
    registre.declarer_vacance(registre.territoire.organisation("OPH-CPL"), "oph-cpl-1", LGT_LOUE,
                              c.DeclarerVacance(occurred_on=date(2026, 4, 1)))
    refuse_vacance(registre, "OPH-CPL", LGT_LOUE, date(2026, 4, 2), "deja_vacant", LGT_LOUE)


# -- retraction ------------------------------------------------------------------------------------------


def test_retraction_by_another_organisation_is_refused(registre: Registre) -> None:
    numero = enregistrer(registre)
    (modif,) = executer(registre, "CANNES", c.Modifier(occurred_on=date(2026, 4, 1), motifs=("01",)),
                        numero).evenements
    # Not its author: a permission (403), not a broken precondition.
    refuse(registre, "OPH-CPL", c.Retracter(occurred_on=date(2026, 4, 2), evenement=modif, motif="erreur"),
           numero, "retractation_par_l_auteur", "CANNES", str(modif), erreur=Interdit)
    refuse(registre, "CANNES", c.Retracter(occurred_on=date(2026, 4, 2), evenement=modif, motif=" "),
           numero, "motif_requis")
    refuse(registre, "CANNES", c.Retracter(occurred_on=date(2026, 4, 2), evenement=1, motif="erreur"),
           numero, "non_retractable", "Enregistree")
    refuse(registre, "CANNES", c.Retracter(occurred_on=date(2026, 4, 2), evenement=99, motif="erreur"),
           numero, "evenement_inconnu", "99")
    executer(registre, "CANNES", c.Retracter(occurred_on=date(2026, 4, 2), evenement=modif, motif="erreur"),
             numero)
    refuse(registre, "CANNES", c.Retracter(occurred_on=date(2026, 4, 3), evenement=modif, motif="erreur"),
           numero, "deja_retracte")


def test_retraction_of_a_designation_by_the_other_designator_is_refused(registre: Registre) -> None:
    numero = enregistrer(registre)
    (designation,) = designer(registre, numero, date(2026, 4, 1), logement=LGT_ALS, org="ALS").evenements
    refuse(registre, "OPH-CPL",
           c.Retracter(occurred_on=date(2026, 4, 2), evenement=designation, motif="erreur"),
           numero, "retractation_par_l_auteur", "ALS", erreur=Interdit)
    assert registre.logement(LGT_ALS).vacances[-1].candidats[numero].designe


# -- permissions (DOMAIN.md §1) ------------------------------------------------------------------------


def test_bailleur_records_cal_decisions_only_on_its_own_dwellings(registre: Registre) -> None:
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    refuse(registre, "ERILIA",
           c.DeciderCAL(occurred_on=date(2026, 4, 10), logement=LGT, decision=TypeDecisionCAL.attribution),
           numero, "bailleur_du_logement", "OPH-CPL", "ERILIA", LGT, erreur=Interdit)
    # A réservataire or a guichet does not either.
    for org in ("ALS", "CANNES"):
        refuse(registre, org,
               c.DeciderCAL(occurred_on=date(2026, 4, 10), logement=LGT, decision=TypeDecisionCAL.attribution),
               numero, "bailleur_du_logement", erreur=Interdit)


def test_bailleur_records_a_bail_only_on_its_own_dwellings(registre: Registre) -> None:
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.attribution)
    for org in ("ERILIA", "LOGIREM"):
        refuse(registre, org, c.SignerBail(occurred_on=date(2026, 4, 20), logement=LGT), numero,
               "bailleur_du_logement", "OPH-CPL", org, erreur=Interdit)
    refuse(registre, "OPH-CPL",
           c.Refuser(occurred_on=date(2026, 4, 20), logement=LGT_ERILIA, stade=StadeRefus.avant_cal,
                     motif=MotifRefus.localisation, texte="x", qualification=QualificationRefus.recevable),
           numero, "bailleur_du_logement", "ERILIA", erreur=Interdit)
    refuse_vacance(registre, "ERILIA", LGT_LOUE, date(2026, 4, 20), "bailleur_du_logement", "OPH-CPL",
                   erreur=Interdit)


def test_reservataire_designates_only_within_its_contingent(registre: Registre) -> None:
    numero = enregistrer(registre)
    # ALS holds the COLACT contingent of LGT_ALS, not the Etat's PPRIOR nor an uncontingented one.
    refuse(registre, "ALS", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT_ETAT), numero,
           "designation_hors_contingent", "ALS", LGT_ETAT, "PPRIOR", "ETAT-06", erreur=Interdit)
    refuse(registre, "ALS", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT), numero,
           "designation_hors_contingent", erreur=Interdit)
    # A commune (guichet and réservataire COLTER) neither; nor a bailleur on another's dwelling.
    refuse(registre, "CANNES", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT_ALS), numero,
           "designation_hors_contingent", erreur=Interdit)
    refuse(registre, "ERILIA", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT), numero,
           "designation_hors_contingent", erreur=Interdit)
    assert registre.logement(LGT_ETAT) is None and registre.logement(LGT) is None
    designer(registre, numero, date(2026, 4, 1), logement=LGT_ALS, org="ALS")
    designation = derniers(registre, numero, 1)[0]
    assert isinstance(designation, Demande.Designee)
    assert (designation.organisation, designation.contingent) == ("ALS", TypeReservataire.COLACT)
    designer(registre, numero, date(2026, 4, 1), logement=LGT_ETAT, org="ETAT-06")


@pytest.mark.parametrize("org", ["CANNES", "OPH-CPL", "ALS", "ERILIA"])
def test_only_the_etat_records_dalo(registre: Registre, org: str) -> None:
    numero = enregistrer(registre)
    refuse(registre, org, c.ReconnaitreDalo(occurred_on=date(2026, 4, 1), statut=StatutDalo.ACTIF), numero,
           "etat_requis", org, erreur=Interdit)
    executer(registre, "ETAT-06", c.ReconnaitreDalo(occurred_on=date(2026, 4, 1), statut=StatutDalo.ACTIF), numero)
    assert registre.demande(numero).etat.statut_dalo is StatutDalo.ACTIF


@pytest.mark.parametrize(
    "commande",
    [
        c.Modifier(occurred_on=date(2026, 4, 1), motifs=("01",)),
        c.Renouveler(occurred_on=date(2026, 4, 1)),
        c.Radier(occurred_on=date(2026, 4, 1), motif=MotifRadiation.RADABA),
        c.ReconnaitreDalo(occurred_on=date(2026, 4, 1), statut=StatutDalo.ACTIF),
        c.Designer(occurred_on=date(2026, 4, 1), logement=LGT),
        c.AppliquerDecote(occurred_on=date(2026, 4, 1), code=CodeDecote.decote_pieces),
        c.Justifier(occurred_on=date(2026, 4, 1), critere="handicap", justification=Justification.rejete),
        c.Retracter(occurred_on=date(2026, 4, 1), evenement=1, motif="x"),
    ],
    ids=lambda x: type(x).__name__,
)
def test_an_auditeur_writes_nothing(registre: Registre, commande: c.Commande) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CIL-CACPL", commande, numero, "lecture_seule", "CIL-CACPL", erreur=Interdit)


def test_an_auditeur_registers_nothing_and_declares_no_vacancy(registre: Registre) -> None:
    with pytest.raises(Interdit) as exc:
        enregistrer(registre, guichet="CIL-CACPL")
    assert (exc.value.regle, exc.value.statut) == ("lecture_seule", 403)
    assert registre.position() == 0
    refuse_vacance(registre, "CIL-CACPL", LGT_LOUE, date(2026, 4, 1), "lecture_seule", erreur=Interdit)


def test_the_systeme_does_not_act_through_commands(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "SYSTEME", c.Renouveler(occurred_on=date(2026, 4, 1)), numero, "systeme_reserve",
           erreur=Interdit)


def test_recours_decision_only_by_the_decote_s_author(registre: Registre) -> None:
    numero = enregistrer(registre)
    (decote,) = executer(registre, "CANNES",
                         c.AppliquerDecote(occurred_on=date(2026, 10, 1), code=CodeDecote.decote_pieces,
                                           piece=incoherente(registre, numero, date(2026, 10, 1))),
                         numero).evenements
    executer(registre, "OPH-CPL", c.DeposerRecours(occurred_on=date(2026, 10, 3), decote=decote), numero)
    decision = c.DeciderRecours(occurred_on=date(2026, 10, 5), decote=decote,
                                decision=DecisionRecours.annulee, motivation="pièces finalement cohérentes")
    for org in ("OPH-CPL", "MOUGINS", "ETAT-06"):
        refuse(registre, org, decision, numero, "auteur_de_la_decote", "CANNES", str(decote), erreur=Interdit)
    executer(registre, "CANNES", decision, numero)
    assert registre.demande(numero).etat.decotes == {}  # annulled: as if never applied


def test_guichet_and_bailleur_kinds(registre: Registre) -> None:
    numero = enregistrer(registre)
    # A pure réservataire neither registers, renews, files a recours nor applies a décote.
    with pytest.raises(Interdit) as exc:
        enregistrer(registre, guichet="ALS")
    assert exc.value.regle == "guichet_requis"
    refuse(registre, "ALS", c.Renouveler(occurred_on=date(2026, 4, 1)), numero, "guichet_requis", "ALS",
           erreur=Interdit)
    refuse(registre, "ALS", c.AppliquerDecote(occurred_on=date(2026, 4, 1), code=CodeDecote.decote_pieces),
           numero, "guichet_requis", erreur=Interdit)
    # Irrecevabilité belongs to a bailleur: a commune's guichet cannot warn nor radiate for it.
    refuse(registre, "CANNES",
           c.MettreEnDemeure(occurred_on=date(2026, 4, 1), motif=MotifMiseEnDemeure.irrecevabilite),
           numero, "bailleur_requis", erreur=Interdit)
    refuse(registre, "CANNES", c.Radier(occurred_on=date(2026, 4, 1), motif=MotifRadiation.RADIRR), numero,
           "bailleur_requis", erreur=Interdit)
    # A décote for a refusal is the refused dwelling's bailleur's.
    designer(registre, numero, date(2026, 4, 1))
    (refus,) = refuser(registre, numero, date(2026, 4, 5), QualificationRefus.non_recevable,
                       stade=StadeRefus.avant_cal).evenements
    for org in ("ERILIA", "CANNES"):
        refuse(registre, org,
               c.AppliquerDecote(occurred_on=date(2026, 4, 6), code=CodeDecote.decote_refus, refus=refus),
               numero, "bailleur_du_logement", erreur=Interdit)
    executer(registre, "OPH-CPL",
             c.AppliquerDecote(occurred_on=date(2026, 4, 6), code=CodeDecote.decote_refus, refus=refus), numero)


def test_fewer_than_three_candidates_needs_its_reason(registre: Registre) -> None:
    numero = enregistrer(registre)
    designer(registre, numero, date(2026, 4, 1))
    e = refuse(registre, "OPH-CPL",
               c.DeciderCAL(occurred_on=date(2026, 4, 10), logement=LGT, decision=TypeDecisionCAL.attribution),
               numero, "moins_de_trois_candidats", LGT)
    assert e.details == {"favorables": 0, "designes": 1}
    decider(registre, numero, date(2026, 4, 10), TypeDecisionCAL.attribution,
            moins_de_trois_candidats=RaisonMoinsDeTrois.dalo_prefet)
