"""The schedule (DOMAIN.md §4): renewal notices, RADREN radiation and erasure, each appended on its
own due date, idempotent for a given day; and a demand is never behind its own schedule when a
command arrives. Real store, both databases."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.clock import HorlogeReglable
from adapters.registre import Registre, Resultat
from domain import commandes as c
from domain.acte import AGENT_PLANIFICATEUR, SYSTEME
from domain.codes import Canal, MotifPreavis, MotifRadiation, RoleMembre, Typologie
from domain.demande import Demande
from domain.erreurs import RegleEnfreinte
from domain.foyer import DonneesPersonnelles, Efface, Identite, Membre, Souhaits

AUJOURDHUI = date(2026, 11, 23)
DEPOT = date(2025, 3, 31)
ANNIVERSAIRE = date(2026, 3, 31)
PREMIER_PREAVIS = date(2026, 1, 31)  # anniversary − 2 months
SECOND_PREAVIS = date(2026, 2, 28)  # anniversary − 1 month, clamped
RADREN = date(2026, 4, 30)  # anniversary + 1 month, clamped
REACTIVATION_JUSQUA = date(2026, 5, 30)


def executer(registre: Registre, org: str, commande: c.Commande, numero: str | None = None) -> Resultat:
    return registre.executer(
        registre.territoire.organisation(org), org.lower() + "-1", commande, numero_unique=numero
    )


def enregistrer(registre: Registre, jour: date = DEPOT) -> str:
    return executer(
        registre,
        "CANNES",
        c.Enregistrer(
            occurred_on=jour,
            membres=(Membre(id="m1", role=RoleMembre.demandeur),),
            souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
            personnel=DonneesPersonnelles(
                identites=(Identite(membre="m1", nom="Bernard", prenom="Inès", date_naissance=date(1988, 8, 8)),),
            ),
        ),
    ).numero_unique


def faits(registre: Registre, numero: str) -> list[Demande.Event]:
    return registre.demande(numero).faits


def resume(f: Demande.Event) -> tuple:
    if isinstance(f, Demande.PreavisEnvoye):
        return ("preavis", f.rang, f.anniversaire, f.occurred_on)
    if isinstance(f, Demande.Radiee):
        return ("radiation", f.motif, f.occurred_on)
    return (type(f).__name__, f.occurred_on)


def assert_par_le_systeme(f: Demande.Event) -> None:
    assert (f.organisation, f.agent, f.canal) == (SYSTEME, AGENT_PLANIFICATEUR, Canal.schedule)


def test_catch_up_appends_both_notices_and_the_radren_each_on_its_due_date(registre: Registre) -> None:
    numero = enregistrer(registre)
    r = registre.rattraper(numero, AUJOURDHUI)  # the schedule runs months late
    assert r is not None and r.evenements == (2, 3, 4)
    assert r.position == registre.position()
    nouveaux = faits(registre, numero)[1:]
    assert [resume(f) for f in nouveaux] == [
        ("preavis", MotifPreavis.premier, ANNIVERSAIRE, PREMIER_PREAVIS),
        ("preavis", MotifPreavis.second, ANNIVERSAIRE, SECOND_PREAVIS),
        ("radiation", MotifRadiation.RADREN, RADREN),
    ]
    for f in nouveaux:
        assert_par_le_systeme(f)
    etat = registre.demande(numero).etat
    assert (etat.active, etat.radiation, etat.radiee_le) == (False, MotifRadiation.RADREN, RADREN)
    assert etat.filed_on == DEPOT


def test_catch_up_twice_for_the_same_day_appends_nothing_the_second_time(registre: Registre) -> None:
    numero = enregistrer(registre)
    assert registre.rattraper(numero, AUJOURDHUI) is not None
    position, version = registre.position(), registre.demande(numero).version
    assert registre.rattraper(numero, AUJOURDHUI) is None
    assert registre.rattraper(numero, RADREN) is None  # an earlier day neither
    # Nor a fresh application on the same store.
    autre = Registre(registre.stockage, registre.territoire)
    try:
        assert autre.rattraper(numero, AUJOURDHUI) is None
    finally:
        autre.close()
    assert (registre.position(), registre.demande(numero).version) == (position, version)


def test_schedule_run_every_day_appends_each_event_on_its_day(registre: Registre) -> None:
    # A clock of our own that starts in 2025 (the fixture's never goes back before its start);
    # the fixture's teardown puts the system clock back.
    horloge_test = HorlogeReglable(datetime(2025, 3, 31, 9, 0, tzinfo=UTC)).installer()
    numero = enregistrer(registre)
    ajouts: dict[date, list[tuple]] = {}
    jour = date(2025, 12, 1)
    while jour <= date(2026, 6, 30):
        horloge_test.regler(jour)
        for _ in range(2):  # twice the same day: idempotent
            avant = registre.demande(numero).version
            r = registre.rattraper(numero, jour)
            if r is not None:
                assert r.evenements[0] == avant + 1
                ajouts.setdefault(jour, []).extend(resume(f) for f in faits(registre, numero)[avant:])
        jour += timedelta(days=1)
    assert ajouts == {
        PREMIER_PREAVIS: [("preavis", MotifPreavis.premier, ANNIVERSAIRE, PREMIER_PREAVIS)],
        SECOND_PREAVIS: [("preavis", MotifPreavis.second, ANNIVERSAIRE, SECOND_PREAVIS)],
        RADREN: [("radiation", MotifRadiation.RADREN, RADREN)],
    }
    # recorded_at is the ledger clock's, on the day the schedule ran.
    for f in faits(registre, numero)[1:]:
        assert f.timestamp.date() == f.occurred_on


def test_schedule_over_several_demands_is_idempotent(registre: Registre) -> None:
    sans_reponse = enregistrer(registre)
    renouvelee = enregistrer(registre)
    executer(registre, "CANNES", c.Renouveler(occurred_on=date(2026, 1, 15)), renouvelee)
    renoncee = enregistrer(registre)
    executer(registre, "CANNES", c.Radier(occurred_on=date(2025, 6, 2), motif=MotifRadiation.RADABA), renoncee)

    def planifier() -> None:
        for numero in list(registre.numeros()):
            registre.rattraper(numero, AUJOURDHUI)

    planifier()
    position = registre.position()
    planifier()
    assert registre.position() == position
    assert [resume(f) for f in faits(registre, sans_reponse)[1:]] == [
        ("preavis", MotifPreavis.premier, ANNIVERSAIRE, PREMIER_PREAVIS),
        ("preavis", MotifPreavis.second, ANNIVERSAIRE, SECOND_PREAVIS),
        ("radiation", MotifRadiation.RADREN, RADREN),
    ]
    # Renewed on 15 January 2026: anniversary 15 January 2027, first notice 15 November 2026.
    assert [resume(f) for f in faits(registre, renouvelee)[2:]] == [
        ("preavis", MotifPreavis.premier, date(2027, 1, 15), date(2026, 11, 15)),
    ]
    assert registre.demande(renouvelee).etat.active
    # Renounced on 2 June 2025: personal data erased on 2 June 2026 (retention 12 months).
    dernier = faits(registre, renoncee)[-1]
    assert isinstance(dernier, Demande.DonneesEffacees)
    assert dernier.occurred_on == date(2026, 6, 2)
    assert_par_le_systeme(dernier)
    assert registre.coffre.cle(Demande.id_pour(renoncee)) is None


@pytest.mark.parametrize(
    "commande",
    [
        c.Renouveler(occurred_on=date(2026, 5, 1)),
        c.Modifier(occurred_on=date(2026, 5, 1), motifs=("01",)),
        c.Designer(occurred_on=date(2026, 11, 23), logement="RPLS-0602900023"),
    ],
    ids=lambda x: type(x).__name__,
)
def test_a_command_dated_after_the_missed_renewal_finds_the_demand_radiated(
    registre: Registre, commande: c.Commande
) -> None:
    numero = enregistrer(registre)
    org = "OPH-CPL" if isinstance(commande, c.Designer) else "CANNES"
    position = registre.position()
    with pytest.raises(RegleEnfreinte) as exc:
        executer(registre, org, commande, numero)
    assert exc.value.regle == "demande_radiee"
    assert "RADREN" in exc.value.message and RADREN.isoformat() in exc.value.message
    # Refused: not even the catch-up was appended.
    assert registre.position() == position
    assert registre.demande(numero).version == 1


def test_renewal_in_the_month_of_grace_catches_up_the_notices_first(registre: Registre) -> None:
    numero = enregistrer(registre)
    jour = date(2026, 4, 29)  # after the anniversary, before the RADREN
    r = executer(registre, "CANNES", c.Renouveler(occurred_on=jour), numero)
    assert r.evenements == (2, 3, 4)
    assert [resume(f) for f in faits(registre, numero)[1:]] == [
        ("preavis", MotifPreavis.premier, ANNIVERSAIRE, PREMIER_PREAVIS),
        ("preavis", MotifPreavis.second, ANNIVERSAIRE, SECOND_PREAVIS),
        ("Renouvelee", jour),
    ]
    etat = registre.demande(numero).etat
    assert etat.active and etat.anniversaire == date(2027, 4, 29)
    assert registre.rattraper(numero, AUJOURDHUI) is None


def test_reactivation_within_the_month_works_and_resets_the_anniversary(
    registre: Registre, horloge_test: HorlogeReglable
) -> None:
    numero = enregistrer(registre)
    jour = date(2026, 5, 20)
    r = executer(registre, "CANNES", c.Reactiver(occurred_on=jour), numero)
    assert r.evenements == (2, 3, 4, 5)
    assert [resume(f) for f in faits(registre, numero)[1:]] == [
        ("preavis", MotifPreavis.premier, ANNIVERSAIRE, PREMIER_PREAVIS),
        ("preavis", MotifPreavis.second, ANNIVERSAIRE, SECOND_PREAVIS),
        ("radiation", MotifRadiation.RADREN, RADREN),
        ("Reactivee", jour),
    ]
    etat = registre.demande(numero).etat
    assert etat.active and etat.radiation is None
    assert etat.filed_on == DEPOT  # survives reactivation
    assert etat.anniversaire == date(2027, 5, 20)
    # Commands work again.
    executer(registre, "CANNES", c.Modifier(occurred_on=date(2026, 6, 1), motifs=("01",)), numero)
    # Nothing falls due until the new cycle's first notice.
    assert registre.rattraper(numero, AUJOURDHUI) is None
    horloge_test.regler(date(2027, 7, 1))
    registre.rattraper(numero, date(2027, 7, 1))
    assert [resume(f) for f in faits(registre, numero)[6:]] == [
        ("preavis", MotifPreavis.premier, date(2027, 5, 20), date(2027, 3, 20)),
        ("preavis", MotifPreavis.second, date(2027, 5, 20), date(2027, 4, 20)),
        ("radiation", MotifRadiation.RADREN, date(2027, 6, 20)),
    ]


def test_reactivation_after_the_month_is_refused_and_appends_nothing(registre: Registre) -> None:
    numero = enregistrer(registre)
    registre.rattraper(numero, AUJOURDHUI)
    position = registre.position()
    with pytest.raises(RegleEnfreinte) as exc:
        executer(registre, "CANNES", c.Reactiver(occurred_on=date(2026, 5, 31)), numero)
    assert exc.value.regle == "delai_reactivation"
    assert REACTIVATION_JUSQUA.isoformat() in exc.value.message
    assert registre.position() == position
    executer(registre, "CANNES", c.Reactiver(occurred_on=REACTIVATION_JUSQUA), numero)


def test_catch_up_appends_the_erasure_on_its_due_date(
    registre: Registre, horloge_test: HorlogeReglable
) -> None:
    numero = enregistrer(registre)
    horloge_test.regler(date(2027, 5, 15))
    r = registre.rattraper(numero, date(2027, 5, 15))
    assert r is not None and r.evenements == (2, 3, 4, 5)
    effacement = faits(registre, numero)[-1]
    assert isinstance(effacement, Demande.DonneesEffacees)
    assert effacement.occurred_on == date(2027, 4, 30)  # RADREN + 12 months
    assert_par_le_systeme(effacement)
    assert registre.coffre.cle(Demande.id_pour(numero)) is None
    assert registre.rattraper(numero, date(2027, 5, 15)) is None


def test_catch_up_never_appends_events_dated_after_today(registre: Registre) -> None:
    """DOMAIN.md §3: a date in the future is refused; §4: the schedule runs for a day. Catching up
    to a day after today must not append future-dated facts — least of all an erasure, which
    destroys the demand's key for good before its retention delay has run."""
    numero = enregistrer(registre)  # RADREN 2026-04-30, erasure due 2027-04-30
    with contextlib.suppress(RegleEnfreinte):  # refusing is fine; appending future facts is not
        registre.rattraper(numero, date(2027, 6, 1))
    futurs = [resume(f) for f in faits(registre, numero) if f.occurred_on > AUJOURDHUI]
    assert futurs == []
    assert registre.coffre.cle(Demande.id_pour(numero)) is not None
    personnel = Registre(registre.stockage, registre.territoire).demande(numero).etat.personnel
    assert not isinstance(personnel, Efface)
