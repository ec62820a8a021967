"""Points only when justified (docs/rules.md, CCH L.441-2-8) and priority and eligibility shared
with every partner (CCH L.441-1), through the Registre on both databases: scores as of a date and
as known at an instant, the current score read model and rank, the history, the demand's view,
the statistics' priority indicator from the raw log and from the read model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from domain import commandes as c
from domain.codes import (
    CategoriePrioritaire,
    Justification,
    RaisonMoinsDeTrois,
    SourcePriorite,
    TypeDecisionCAL,
    TypeReservataire,
)
from domain.erreurs import Interdit
from projections.cotation import ProjectionCotation
from projections.explication import expliquer, rangs_au
from projections.historique import historique
from projections.indicateurs import Periode
from projections.suivi import Suiveur
from projections.vue_demande import vue_courante
from projections.vue_statistiques import confronter
from tests.storage.test_preconditions import enregistrer, executer, refuse
from tests.storage.test_statistiques import enregistrer as enregistrer_sans_logement

LGT = "RPLS-0602900023"  # OPH-CPL, Cannes, no contingent, not QPV, vacant
JOUR_J = date(2026, 4, 10)  # the day the handicap is justified


def _points(registre: Registre, numero: str, au: date, connu_a: datetime | None = None) -> tuple[int, list[str]]:
    r = expliquer(registre, numero, au, connu_a)
    return r.points, [x.code for x in r.en_attente]


def _ligne_cotation(registre: Registre, numero: str) -> int | None:
    s = Suiveur(registre, ProjectionCotation(registre))
    s.suivre()
    (t,) = s.tables
    with registre.engine.connect() as conn:
        return conn.execute(sa.select(t.c.points).where(t.c.demande == numero)).scalar()


def test_a_declared_criterion_counts_from_its_justification_until_a_later_rejete(
    registre: Registre, horloge_test: HorlogeReglable
) -> None:
    horloge_test.regler(datetime(2026, 3, 2, 9, tzinfo=UTC))
    numero = enregistrer(registre, date(2026, 3, 2), situations=("handicap",))
    autre = enregistrer(registre, date(2026, 3, 1), situations=())
    sans, attente = _points(registre, numero, date(2026, 3, 20))
    assert attente == ["handicap"]
    pending = expliquer(registre, numero, date(2026, 3, 20), None).en_attente[0]
    assert pending.points == 40 and pending.justificatifs and pending.provenance[0].type == "enregistrement"
    # Same points without the handicap: the older demand ranks first.
    assert rangs_au(registre, date(2026, 3, 20), None)[autre].rang == 1

    horloge_test.regler(datetime(2026, 4, 12, 9, tzinfo=UTC))  # recorded two days late
    executer(registre, "OPH-CPL", c.Justifier(occurred_on=JOUR_J, critere="handicap",
                                              justification=Justification.justifie), numero)
    assert _points(registre, numero, date(2026, 4, 9)) == (sans, ["handicap"])  # the day before
    assert _points(registre, numero, JOUR_J) == (sans + 40, [])
    # As known on the 11th, the justification was not recorded yet: still pending.
    assert _points(registre, numero, JOUR_J, datetime(2026, 4, 11, 9, tzinfo=UTC)) == (sans, ["handicap"])
    assert rangs_au(registre, JOUR_J, None)[numero].rang == 1
    assert rangs_au(registre, JOUR_J, datetime(2026, 4, 11, 9, tzinfo=UTC))[autre].rang == 1
    assert _ligne_cotation(registre, numero) == sans + 40  # today (12 April), the read model

    horloge_test.regler(datetime(2026, 6, 1, 9, tzinfo=UTC))
    executer(registre, "CANNES", c.Justifier(occurred_on=date(2026, 6, 1), critere="handicap",
                                             justification=Justification.rejete), numero)
    assert _points(registre, numero, date(2026, 5, 31)) == (sans + 40, [])
    assert _points(registre, numero, date(2026, 6, 1)) == (sans, [])
    assert _ligne_cotation(registre, numero) == sans
    types = [e.type for e in historique(registre.demande(numero))]
    assert types.count("justification") == 2


def test_caractere_prioritaire_its_rules_history_and_view(registre: Registre, horloge_test: HorlogeReglable) -> None:
    horloge_test.regler(datetime(2026, 3, 2, 9, tzinfo=UTC))
    numero = enregistrer(registre, date(2026, 3, 2), situations=())
    cmd = c.ReconnaitrePriorite(occurred_on=date(2026, 3, 10), categorie=CategoriePrioritaire.k,
                                source=SourcePriorite.syplo, du=date(2026, 3, 1), jusqua=date(2026, 12, 31))
    horloge_test.regler(datetime(2026, 3, 10, 9, tzinfo=UTC))
    refuse(registre, "CANNES", cmd, numero, "etat_requis", "etat", erreur=Interdit)
    refuse(registre, "ETAT-06", c.ReconnaitrePriorite(
        occurred_on=date(2026, 3, 10), categorie=CategoriePrioritaire.k, source=SourcePriorite.syplo,
        du=date(2026, 3, 11)), numero, "priorite_future", "2026-03-11")
    refuse(registre, "ETAT-06", c.ReconnaitrePriorite(
        occurred_on=date(2026, 3, 10), categorie=CategoriePrioritaire.k, source=SourcePriorite.syplo,
        du=date(2026, 3, 1), jusqua=date(2026, 2, 1)), numero, "periode_invalide", "2026-02-01")
    v = executer(registre, "ETAT-06", cmd, numero).evenements[-1]
    refuse(registre, "ETAT-06", msgspec_replace(cmd, du=date(2026, 3, 5), jusqua=None), numero,
           "priorite_deja_reconnue", str(v))
    vue = vue_courante(registre, numero, date(2026, 3, 10))
    (p,) = vue.priorites
    assert (p.categorie, p.source, p.du, p.jusqua, p.organisation, p.en_vigueur) == (
        "k", "syplo", date(2026, 3, 1), date(2026, 12, 31), "ETAT-06", True)
    assert historique(registre.demande(numero))[-1].type == "caractere_prioritaire"
    # Retraction by its author: gone from the view, the history shows it deleted.
    executer(registre, "ETAT-06", c.Retracter(occurred_on=date(2026, 3, 10), evenement=v, motif="erreur"), numero)
    assert vue_courante(registre, numero, date(2026, 3, 10)).priorites == []
    assert historique(registre.demande(numero))[v - 1].supprime


def msgspec_replace(cmd: c.Commande, **kw: object) -> c.Commande:
    import msgspec

    return msgspec.structs.replace(cmd, **kw)


def test_contingents_eligibles(registre: Registre, horloge_test: HorlogeReglable) -> None:
    horloge_test.regler(datetime(2026, 3, 2, 9, tzinfo=UTC))
    numero = enregistrer(registre, date(2026, 3, 2), situations=())
    jour = date(2026, 3, 2)
    refuse(registre, "OPH-CPL", c.DeclarerEligibilite(occurred_on=jour, contingent=TypeReservataire.COLACT),
           numero, "reservataire_requis", "reservataire", erreur=Interdit)
    refuse(registre, "ALS", c.DeclarerEligibilite(occurred_on=jour, contingent=TypeReservataire.AUCUN),
           numero, "contingent_invalide", "AUCUN")
    refuse(registre, "ALS", c.DeclarerEligibilite(occurred_on=jour, contingent=TypeReservataire.COLACT,
                                                  eligible=False), numero, "eligibilite_absente", "ALS")
    executer(registre, "ALS", c.DeclarerEligibilite(occurred_on=jour, contingent=TypeReservataire.COLACT), numero)
    refuse(registre, "ALS", c.DeclarerEligibilite(occurred_on=jour, contingent=TypeReservataire.COLACT),
           numero, "deja_eligible", "COLACT")
    executer(registre, "ETAT-06", c.DeclarerEligibilite(occurred_on=jour, contingent=TypeReservataire.PFONCT), numero)
    vue = vue_courante(registre, numero, jour)
    assert [(x.reservataire, x.contingent) for x in vue.contingents_eligibles] == [
        ("ALS", TypeReservataire.COLACT), ("ETAT-06", TypeReservataire.PFONCT)]
    executer(registre, "ALS", c.DeclarerEligibilite(occurred_on=jour, contingent=TypeReservataire.COLACT,
                                                    eligible=False), numero)
    vue = vue_courante(registre, numero, jour)
    assert [x.reservataire for x in vue.contingents_eligibles] == ["ETAT-06"]
    assert [e.type for e in historique(registre.demande(numero))][-3:] == ["contingent_eligible"] * 3


def test_priority_indicator_counts_admitted_criteria_and_recognised_priority(
    registre: Registre, horloge_test: HorlogeReglable
) -> None:
    """Three attributions: a declared handicap never justified (not priority), one justified
    before the CAL (priority), a household recognised prioritaire by the Etat (priority)."""
    horloge_test.regler(datetime(2026, 3, 2, 9, tzinfo=UTC))
    # No current housing: no derived priority criterion (hébergé, sans logement).
    jamais = enregistrer_sans_logement(registre, date(2026, 3, 2), "1500", situations=("handicap",))
    justifie = enregistrer_sans_logement(registre, date(2026, 3, 2), "1500", situations=("handicap",))
    reconnu = enregistrer_sans_logement(registre, date(2026, 3, 2), "1500")
    horloge_test.regler(datetime(2026, 4, 20, 9, tzinfo=UTC))
    executer(registre, "CANNES", c.Justifier(occurred_on=date(2026, 3, 20), critere="handicap",
                                             justification=Justification.justifie), justifie)
    executer(registre, "ETAT-06", c.ReconnaitrePriorite(
        occurred_on=date(2026, 3, 25), categorie=CategoriePrioritaire.dalo,
        source=SourcePriorite.commission_mediation, du=date(2026, 3, 25)), reconnu)
    for n in (jamais, justifie, reconnu):
        executer(registre, "OPH-CPL", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT), n)
    for rang, n in enumerate((jamais, justifie, reconnu), start=1):
        executer(registre, "OPH-CPL", c.DeciderCAL(
            occurred_on=date(2026, 4, 10), logement=LGT, rang=rang,
            decision=TypeDecisionCAL.attribution_par_classement,
            moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), n)
    brut, vue, ecarts = confronter(registre, Periode.annee(2026))
    assert ecarts == []
    for b in (brut, vue):
        f = b.figure("prioritaires_dalo")
        assert (f.numerateur, f.denominateur, f.valeur) == (2, 3, Decimal("66.67"))
