"""Read models rebuilt from the log: exactly once across crashes, equal to a rebuild from zero."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from domain import commandes as c
from domain.codes import (
    MotifRefus,
    QualificationRefus,
    RaisonMoinsDeTrois,
    RoleMembre,
    StadeRefus,
    TypeDecisionCAL,
    Typologie,
)
from domain.foyer import Membre, Souhaits
from projections.echeances import ProjectionEcheances
from projections.suivi import Suiveur


def _enregistrer(registre: Registre, jour: date) -> str:
    oph = registre.territoire.organisation("OPH-CPL")
    cmd = c.Enregistrer(
        occurred_on=jour,
        membres=(Membre("p1", RoleMembre.demandeur),),
        souhaits=Souhaits(("06029",), (Typologie.T2,)),
    )
    return registre.executer(oph, "oph-cpl-1", cmd).numero_unique


def _contenu(suiveur: Suiveur) -> list[list[tuple]]:
    with suiveur.engine.connect() as conn:
        return [sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in suiveur.tables]


def _peupler(registre: Registre, n: int) -> list[str]:
    numeros = [_enregistrer(registre, date(2024, 1, 1 + i % 28)) for i in range(n)]
    oph = registre.territoire.organisation("OPH-CPL")
    for i, num in enumerate(numeros[: n // 2]):
        registre.executer(oph, "oph-cpl-1", c.Renouveler(occurred_on=date(2024, 6, 1 + i % 28)), num)
    return numeros


def test_echeances_of_a_demand(registre: Registre, horloge_test: HorlogeReglable) -> None:
    # Deadlines are those of the demand as of the day they are computed: that of registration.
    horloge_test.regler(date(2024, 1, 31))
    num = _enregistrer(registre, date(2024, 1, 31))
    suiveur = Suiveur(registre, ProjectionEcheances(registre))
    suiveur.suivre()
    with registre.engine.connect() as conn:
        rows = {
            r.type: r.echeance
            for r in conn.execute(sa.select(suiveur.tables[0]).where(suiveur.tables[0].c.demande == num))
        }
    assert rows["anniversaire"] == date(2025, 1, 31)
    assert rows["preavis_premier"] == date(2024, 11, 30)
    assert rows["preavis_second"] == date(2024, 12, 31)
    assert rows["radiation_non_renouvellement"] == date(2025, 2, 28)  # clamped to month end
    assert suiveur.position() == registre.position()


def test_crash_mid_run_then_restart_equals_rebuild(registre: Registre) -> None:
    _peupler(registre, 40)
    projection = ProjectionEcheances(registre)
    suiveur = Suiveur(registre, projection)

    class Panne(Exception):
        pass

    def panne(appliques: int) -> bool:
        raise Panne  # dies right after its first committed batch

    import projections.suivi as module

    ancien_lot = module.LOT
    module.LOT = 7
    try:
        with pytest.raises(Panne):
            suiveur.suivre(arret=panne)
        assert 0 < suiveur.position() < registre.position()
        # A new process: fresh projection, empty caches.
        suiveur2 = Suiveur(registre, ProjectionEcheances(registre))
        suiveur2.suivre()
    finally:
        module.LOT = ancien_lot
    assert suiveur2.position() == registre.position()
    apres_reprise = _contenu(suiveur2)
    suiveur2.reconstruire(barre=False)
    assert _contenu(suiveur2) == apres_reprise
    assert suiveur2.position() == registre.position()
    assert apres_reprise[0], "the deadlines table must not be empty"


def test_rebuild_keeps_serving_old_tables_until_swap(registre: Registre) -> None:
    _peupler(registre, 10)
    suiveur = Suiveur(registre, ProjectionEcheances(registre))
    suiveur.suivre()
    avant = _contenu(suiveur)
    vus_pendant: list[int] = []

    def lire_pendant(_: int) -> bool:
        # While the rebuild runs, the live table is still complete.
        with registre.engine.connect() as conn:
            vus_pendant.append(conn.execute(sa.select(sa.func.count()).select_from(suiveur.tables[0])).scalar_one())
        return False

    import projections.suivi as module

    original = module.Suiveur._appliquer_dans

    def suivre_espion(self, nom, tables, barre, arret=None):  # type: ignore[no-untyped-def]
        return original(self, nom, tables, barre, lire_pendant if "__r" in nom else arret)

    module.Suiveur._appliquer_dans = suivre_espion  # type: ignore[method-assign]
    try:
        suiveur.reconstruire(barre=False)
    finally:
        module.Suiveur._appliquer_dans = original  # type: ignore[method-assign]
    assert vus_pendant and all(n == len(avant[0]) for n in vus_pendant)
    assert _contenu(suiveur) == avant


def test_recours_queue(registre: Registre, horloge_test: HorlogeReglable) -> None:
    t = registre.territoire
    num = _enregistrer(registre, date(2024, 1, 15))
    spec = next(lg for lg in t.logements if lg.bailleur == "ERILIA" and lg.vacant)
    erilia = t.organisation("ERILIA")
    registre.executer(erilia, "erilia-1", c.Designer(occurred_on=date(2024, 3, 1), logement=spec.identifiant), num)
    registre.executer(
        erilia, "erilia-1",
        c.DeciderCAL(occurred_on=date(2024, 3, 5), logement=spec.identifiant, decision=TypeDecisionCAL.attribution,
                     moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats),
        num,
    )
    r = registre.executer(
        erilia, "erilia-1",
        c.Refuser(occurred_on=date(2024, 3, 8), logement=spec.identifiant, stade=StadeRefus.apres_cal,
                  motif=MotifRefus.localisation, texte="trop loin", qualification=QualificationRefus.non_recevable, appliquer_decote=True),
        num,
    )
    decote = r.evenements[-1]
    oph = t.organisation("OPH-CPL")
    registre.executer(oph, "oph-cpl-1", c.DeposerRecours(occurred_on=date(2024, 3, 20), decote=decote), num)
    suiveur = Suiveur(registre, ProjectionEcheances(registre))
    suiveur.suivre()
    recours = suiveur.tables[1]
    with registre.engine.connect() as conn:
        rows = conn.execute(sa.select(recours)).all()
    assert [(x.demande, x.decote, x.organisation, x.depose_le) for x in rows] == [
        (num, decote, "ERILIA", date(2024, 3, 20))
    ]
