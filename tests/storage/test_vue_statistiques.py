"""The live statistics read model against the raw log, on SQLite and PostgreSQL: the check finds
no difference on the small history of tests/storage/test_statistiques.py, a rebuild from zero equals live
following, retractions are applied, and a corrupted row is reported naming its indicator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import projections.suivi as module_suivi
from adapters.registre import Registre
from domain import commandes as c
from projections.indicateurs import Bilan, Periode, comparer
from projections.journal import regenerer
from projections.suivi import Suiveur
from projections.vue_statistiques import (
    ProjectionStatistiques,
    bilan_vue,
    confronter,
    suiveur_statistiques,
    tables_statistiques,
    verifier,
)
from tests.storage.test_statistiques import executer, histoire, valeur  # noqa: F401

PERIODES = (
    Periode.annee(2026),
    Periode.annee(2025),
    Periode(date(2026, 4, 1), date(2026, 4, 30)),  # a recours pending on 30 April
    Periode(date(2026, 5, 10), date(2026, 5, 10)),  # one day: the bail's
    Periode(date(2026, 1, 1), date(2027, 5, 10)),  # the 12 months before au start after the bail
)


@pytest.fixture
def suiveur(registre: Registre) -> Suiveur:
    return suiveur_statistiques(registre)


@pytest.fixture
def en_direct(registre: Registre, suiveur: Suiveur, monkeypatch: pytest.MonkeyPatch) -> Iterator[Suiveur]:
    """Live following: the read model applies every command as soon as it is recorded, in
    batches of three events, so a retraction and its target land in different batches."""
    executer_ = registre.executer
    suiveur.appliques = []  # type: ignore[attr-defined]

    def puis_suivre(*a: Any, **kw: Any) -> Any:
        r = executer_(*a, **kw)
        suiveur.appliques.append(suiveur.suivre())  # type: ignore[attr-defined]
        return r

    monkeypatch.setattr(registre, "executer", puis_suivre)
    monkeypatch.setattr(module_suivi, "LOT", 3)
    yield suiveur


def vue(registre: Registre, periode: Periode) -> Bilan:
    return bilan_vue(registre.engine, registre.territoire, periode)


def journal(registre: Registre, periode: Periode, **kw: Any) -> Bilan:
    return regenerer(registre.engine, registre.stockage, registre.territoire, periode, **kw)


def lignes(registre: Registre) -> list[tuple]:
    (t,) = tables_statistiques("")
    with registre.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(t).order_by(t.c.ordre))]


@pytest.mark.usefixtures("en_direct", "histoire")
def test_the_small_history_gives_no_difference(registre: Registre, suiveur: Suiveur) -> None:
    assert len(suiveur.appliques) > 10 and suiveur.position() == registre.position()  # type: ignore[attr-defined]
    for periode in PERIODES:
        assert verifier(registre, periode, suiveur) == [], periode
    b = vue(registre, Periode.annee(2026))
    assert b.source == "vue" and b.connu_a is None
    assert b.position == suiveur.position() == registre.position()
    assert b.evenements == len(lignes(registre))
    # The hand-counted figures of tests/storage/test_statistiques.py, from the read model.
    assert valeur(b, "premier_quartile_hors_qpv") == (1, 1, Decimal("100.00"))
    assert valeur(b, "prioritaires_dalo") == (2, 3, Decimal("66.67"))
    assert valeur(b, "tension") == (2, 1, Decimal("2.00"))
    assert valeur(b, "taux_refus") == (1, 3, Decimal("33.33"))  # the retracted designation is not one
    assert valeur(b, "delai_anormalement_long") == (1, 2, Decimal("50.00"))
    assert valeur(b, "cal_moins_de_trois") == (2, 2, Decimal("100.00"))
    avril = vue(registre, Periode(date(2026, 4, 1), date(2026, 4, 30)))
    assert valeur(avril, "recours", "issue", "en_attente")[0] == 1
    assert valeur(avril, "tension")[0] == 4


@pytest.mark.usefixtures("histoire")
def test_the_read_model_equals_the_raw_log_figure_by_figure(registre: Registre) -> None:
    journal_, vue_, ecarts = confronter(registre, Periode.annee(2026))
    assert ecarts == []
    assert journal_.figures == vue_.figures and journal_.position == vue_.position
    assert journal_.source == "journal" and vue_.source == "vue"


@pytest.mark.usefixtures("en_direct", "histoire")
def test_a_rebuild_from_zero_equals_live_following(registre: Registre, suiveur: Suiveur) -> None:
    avant = {p: vue(registre, p) for p in PERIODES}
    contenu = lignes(registre)
    n = suiveur.reconstruire(barre=False)
    assert n > 0
    assert lignes(registre) == contenu  # same rows, same order, same flags
    for p, b in avant.items():
        apres = vue(registre, p)
        assert apres.figures == b.figures and apres.position == b.position
    # And a second process, starting from an empty read model, catches up to the same figures.
    autre = Suiveur(registre, ProjectionStatistiques(registre))
    autre.reconstruire(barre=False)
    assert vue(registre, Periode.annee(2026)).figures == avant[Periode.annee(2026)].figures


@pytest.mark.usefixtures("en_direct", "histoire")
def test_retractions_are_applied_whenever_they_arrive(registre: Registre, suiveur: Suiveur) -> None:
    # The retracted designation is flagged, not deleted.
    (t,) = tables_statistiques("")
    with registre.engine.connect() as conn:
        retractes = conn.execute(sa.select(t.c.genre).where(t.c.retracte.is_(True))).scalars().all()
    assert retractes == ["proposition"]
    # Retract the RADABA radiation of the demand that gave up: active again on 31 December.
    renonce = next(
        n for n in registre.numeros()
        if any(type(f).__name__ == "Radiee" for f in registre.demande(n).faits)
        and not any(type(f).__name__ == "BailSigne" for f in registre.demande(n).faits)
    )
    radiation = next(f.originator_version for f in registre.demande(renonce).faits if type(f).__name__ == "Radiee")
    executer(registre, "CANNES", c.Retracter(occurred_on=date(2026, 7, 1), evenement=radiation,
             motif="radiée par erreur"), renonce)
    b = vue(registre, Periode.annee(2026))
    assert valeur(b, "tension") == (3, 1, Decimal("3.00"))
    assert valeur(b, "radiations", "motif", "RADATT")[0] == 1
    assert b.figure("radiations", "motif", "RADABA") is None
    # Retract one CAL attribution (the QPV one): no more QPV figure, one CAL fewer.
    riche = next(
        n for n in registre.numeros()
        if sum(type(f).__name__ == "DecisionCAL" for f in registre.demande(n).faits) == 2
    )
    cal_qpv = [f for f in registre.demande(riche).faits if type(f).__name__ == "DecisionCAL"][-1]
    executer(registre, "OPH-CPL", c.Retracter(occurred_on=date(2026, 7, 1),
             evenement=cal_qpv.originator_version, motif="CAL annulée"), riche)
    b = vue(registre, Periode.annee(2026))
    assert valeur(b, "hors_premier_quartile_qpv") == (0, 0, None)
    assert valeur(b, "cal_moins_de_trois") == (1, 1, Decimal("100.00"))
    assert valeur(b, "prioritaires_dalo") == (1, 2, Decimal("50.00"))
    assert verifier(registre, Periode.annee(2026), suiveur) == []
    assert comparer(journal(registre, Periode.annee(2026)), b) == []


@pytest.mark.usefixtures("histoire")
def test_a_deleted_fact_row_is_reported_naming_its_indicators(registre: Registre, suiveur: Suiveur) -> None:
    suiveur.suivre()
    (t,) = tables_statistiques("")
    with registre.engine.begin() as conn:
        supprimees = conn.execute(sa.delete(t).where(t.c.genre == "bail")).rowcount
    assert supprimees == 1
    ecarts = verifier(registre, Periode.annee(2026), suiveur)
    cles = {(e.indicateur, e.dimension, e.cle) for e in ecarts}
    assert ("baux", "territoire", "") in cles
    assert ("premier_quartile_hors_qpv", "territoire", "") in cles
    assert ("attente_moyenne", "territoire", "") in cles
    assert ("tension", "territoire", "") in cles
    tension = next(e for e in ecarts if (e.indicateur, e.dimension) == ("tension", "territoire"))
    assert tension.journal is not None and tension.journal.denominateur == 1
    assert tension.vue is not None and tension.vue.denominateur == 0
    baux = next(e for e in ecarts if (e.indicateur, e.dimension, e.cle) == ("baux", "territoire", ""))
    assert baux.journal is not None and baux.vue is None  # a figure on one side only


@pytest.mark.usefixtures("histoire")
def test_a_wrongly_flagged_row_is_reported(registre: Registre, suiveur: Suiveur) -> None:
    suiveur.suivre()
    (t,) = tables_statistiques("")
    with registre.engine.begin() as conn:
        conn.execute(sa.update(t).where(t.c.genre == "proposition").values(retracte=False))
    ecarts = verifier(registre, Periode.annee(2026), suiveur)
    assert {(e.indicateur, e.dimension, e.cle) for e in ecarts} == {
        ("taux_refus", "territoire", ""), ("taux_refus", "bailleur", "OPH-CPL")
    }
    e = ecarts[-1]
    assert e.dimension == "territoire"
    assert (e.journal.numerateur, e.journal.denominateur) == (1, 3)  # type: ignore[union-attr]
    assert (e.vue.numerateur, e.vue.denominateur) == (1, 4)  # type: ignore[union-attr]


@pytest.mark.usefixtures("histoire")
def test_events_outside_its_topics_contribute_nothing(registre: Registre) -> None:
    """Fed every event of the log, topics or not, the projection stores the same facts; of the
    dwelling events, only the flux's (vacancies, orientations) are among its topics."""
    projection = ProjectionStatistiques(registre)
    evenements = [registre.mapper.to_domain_event(n) for n in registre.notifications(0, 10_000)]
    noms = {type(e).__qualname__ for e in evenements}
    assert any(n.startswith("Logement.") for n in noms)
    tous = projection.faits(evenements)
    lus = projection.faits(
        [e for e in evenements if f"{type(e).__module__}:{type(e).__qualname__}" in projection.topics]
    )
    assert tous == lus and tous


def test_an_empty_log_gives_empty_figures_with_their_targets(registre: Registre, suiveur: Suiveur) -> None:
    assert verifier(registre, Periode.annee(2026), suiveur) == []
    b = vue(registre, Periode.annee(2026))
    assert b.position == 0 and b.evenements == 0
    assert b.figure("premier_quartile_hors_qpv").cible == Decimal(25)  # type: ignore[union-attr]


def test_the_read_model_must_exist(registre: Registre) -> None:
    with pytest.raises(ValueError, match="rebuild statistiques"):
        vue(registre, Periode.annee(2026))


# -- a seeded random history: every kind of fact, retractions anywhere, batches of any size ------


def _histoire_aleatoire(registre: Registre, graine: int, tentatives: int) -> int:
    """Random commands over two years through the domain; the refused ones append nothing.
    Returns how many were recorded."""
    import contextlib
    import random
    from datetime import timedelta

    from domain.codes import (
        DecisionRecours,
        ModeleLogement,
        MotifNonAttribution,
        MotifRadiation,
        MotifRefus,
        QualificationRefus,
        RaisonMoinsDeTrois,
        RoleMembre,
        StadeRefus,
        StatutDalo,
        TypeDecisionCAL,
        Typologie,
    )
    from domain.erreurs import RefusCommande
    from domain.foyer import LogementActuel, Membre, Souhaits

    rng = random.Random(graine)
    t = registre.territoire
    logements = [lg for lg in t.logements if lg.vacant][:12]
    communes = sorted({lg.commune for lg in logements} | {"06029", "06030"})
    typos = (Typologie.T1, Typologie.T2, Typologie.T3, Typologie.T4)
    guichet = t.organisation("CANNES")
    numeros: list[str] = []
    jour = date(2025, 1, 1)
    enregistres = 0

    def souhaits() -> Souhaits:
        return Souhaits(tuple(rng.sample(communes, 2)), (rng.choice(typos),))

    def faire(org: str, cmd: c.Commande, numero: str | None = None) -> bool:
        nonlocal enregistres
        o = t.organisation(org)
        try:
            registre.executer(o, o.agents[0].identifiant, cmd, numero_unique=numero)
        except RefusCommande:
            return False
        enregistres += 1
        return True

    designes: list[tuple[str, Any]] = []
    attribues: list[tuple[str, Any]] = []
    avec_decote: list[str] = []

    for _ in range(tentatives):
        jour = min(jour + timedelta(days=rng.choice((0, 0, 1, 2, 3))), date(2026, 11, 23))
        action = rng.random()
        if action < 0.10 or len(numeros) < 5:
            r = registre.executer(guichet, "cannes-1", c.Enregistrer(
                occurred_on=jour,
                membres=(Membre("m1", RoleMembre.demandeur),),
                souhaits=souhaits(),
                logement_actuel=LogementActuel(rng.choice((ModeleLogement.HLM, ModeleLogement.LP)), "06029"),
                situations=rng.choice(((), ("handicap",), ("sans_logement",))),
                filed_on=jour - timedelta(days=rng.choice((0, 0, 200, 2000))),
            ))
            numeros.append(r.numero_unique)
            enregistres += 1
            continue
        n = rng.choice(numeros[-25:])
        lg = rng.choice(logements)
        if action < 0.16:
            faire("CANNES", c.Modifier(occurred_on=jour, souhaits=souhaits(),
                  logement_actuel=LogementActuel(rng.choice((ModeleLogement.HLM, ModeleLogement.SH)), "06030")), n)
        elif action < 0.24:
            faire("CANNES", c.Renouveler(occurred_on=jour), n)
        elif action < 0.26:
            faire("CANNES", c.Radier(occurred_on=jour, motif=MotifRadiation.RADABA), n)
        elif action < 0.28:
            faire("CANNES", c.Reactiver(occurred_on=jour), n)
        elif action < 0.30:
            faire("ETAT-06", c.ReconnaitreDalo(occurred_on=jour, statut=StatutDalo.ACTIF), n)
        elif action < 0.42:
            if faire(lg.bailleur, c.Designer(occurred_on=jour, logement=lg.identifiant), n):
                designes.append((n, lg))
        elif action < 0.54 and designes:
            n, lg = rng.choice(designes)
            decision = rng.choice([*TypeDecisionCAL, TypeDecisionCAL.attribution, TypeDecisionCAL.attribution])
            if faire(lg.bailleur, c.DeciderCAL(
                occurred_on=jour, logement=lg.identifiant, decision=decision,
                rang=rng.choice((1, 2)) if decision is TypeDecisionCAL.attribution_par_classement else None,
                motif=MotifNonAttribution.dossier_incomplet if decision is TypeDecisionCAL.non_attribution else None,
                moins_de_trois_candidats=rng.choice(list(RaisonMoinsDeTrois)),
            ), n):
                attribues.append((n, lg))
        elif action < 0.62 and (attribues or designes):
            n, lg = rng.choice(attribues or designes)
            stade = rng.choice(list(StadeRefus))
            if faire(lg.bailleur, c.Refuser(
                occurred_on=jour, logement=lg.identifiant, stade=stade,
                motif=MotifRefus.absence_reponse if stade is StadeRefus.absence_reponse
                else rng.choice((MotifRefus.localisation, MotifRefus.typologie_surface)),
                qualification=rng.choice(list(QualificationRefus)), appliquer_decote=rng.random() < 0.7,
            ), n):
                avec_decote.append(n)
        elif action < 0.68 and avec_decote:
            n = rng.choice(avec_decote[-5:])
            decotes = [f for f in registre.demande(n).faits if type(f).__name__ == "DecoteAppliquee"]
            if decotes:
                faire("CANNES", c.DeposerRecours(occurred_on=jour, decote=decotes[-1].originator_version), n)
        elif action < 0.73 and avec_decote:
            n = rng.choice(avec_decote[-8:])
            faits = registre.demande(n).faits
            recours = {f.decote for f in faits if type(f).__name__ == "RecoursDepose"}
            decotes = [f for f in faits if f.originator_version in recours]
            if decotes:
                d = rng.choice(decotes)
                faire(d.organisation, c.DeciderRecours(occurred_on=jour, decote=d.originator_version,
                      decision=rng.choice(list(DecisionRecours)), motivation="vu"), n)
        elif action < 0.83 and attribues:
            n, lg = rng.choice(attribues)
            faire(lg.bailleur, c.SignerBail(occurred_on=jour, logement=lg.identifiant), n)
        elif action < 0.88:
            o = t.organisation(lg.bailleur)
            with contextlib.suppress(RefusCommande):
                registre.declarer_vacance(o, o.agents[0].identifiant, lg.identifiant,
                                          c.DeclarerVacance(occurred_on=jour))
        else:
            faits = [f for f in registre.demande(n).faits if f.retractable and f.organisation != "SYSTEME"]
            if faits:
                f = rng.choice(faits)
                faire(f.organisation, c.Retracter(occurred_on=jour, evenement=f.originator_version,
                      motif="erreur de saisie"), n)
    return enregistres


@pytest.mark.parametrize("graine", [1, 3])
def test_a_random_history_followed_live_gives_no_difference(
    registre: Registre, suiveur: Suiveur, monkeypatch: pytest.MonkeyPatch, graine: int
) -> None:
    import random

    rng = random.Random(graine)
    executer_ = registre.executer

    def puis_suivre(*a: Any, **kw: Any) -> Any:
        r = executer_(*a, **kw)
        if rng.random() < 0.3:  # now and then, in batches of any size
            monkeypatch.setattr(module_suivi, "LOT", rng.choice((1, 2, 5, 500)))
            suiveur.suivre()
        return r

    monkeypatch.setattr(registre, "executer", puis_suivre)
    assert _histoire_aleatoire(registre, graine, 700) > 150
    periodes = [
        Periode.annee(2025), Periode.annee(2026), Periode(date(2024, 9, 1), date(2026, 11, 23)),
        *(Periode(date(2025, m, 1), date(2025, m, 28)) for m in range(1, 13, 2)),
    ]
    for p in periodes:
        assert verifier(registre, p, suiveur) == [], p
    genres = {x[3] for x in lignes(registre)}
    assert genres >= {"bail", "attribution", "proposition", "refus", "radiation", "decote", "recours_depose",
                      "recours_decide", "examen_cal", "changement", "retraction"}, genres
    assert any(x[6] for x in lignes(registre)), "some fact must have been retracted"
    b = vue(registre, Periode.annee(2026))
    assert b.figure("baux").numerateur > 0 and b.figure("tension").numerateur > 0  # type: ignore[union-attr]
    avant = {p: vue(registre, p).figures for p in periodes}
    suiveur.reconstruire(barre=False)
    assert {p: vue(registre, p).figures for p in periodes} == avant
