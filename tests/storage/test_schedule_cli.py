"""`ledger schedule --through D` from the command line: idempotent, dated on due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from adapters.cli import main
from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from domain import commandes as c
from domain.codes import RoleMembre, Typologie
from domain.demande import Demande
from domain.foyer import Membre, Souhaits


def test_schedule_twice_appends_nothing_the_second_time(
    registre: Registre, horloge_test: HorlogeReglable, capsys  # type: ignore[no-untyped-def]
) -> None:
    horloge_test.regler(datetime(2024, 3, 1, 9, tzinfo=UTC))
    oph = registre.territoire.organisation("OPH-CPL")
    cmd = c.Enregistrer(
        occurred_on=date(2024, 3, 1),
        membres=(Membre("p1", RoleMembre.demandeur),),
        souhaits=Souhaits(("06029",), (Typologie.T2,)),
    )
    n = registre.executer(oph, "oph-cpl-1", cmd).numero_unique
    horloge_test.regler(datetime(2025, 6, 1, 9, tzinfo=UTC))
    argv = ["--database", registre.stockage.url, "schedule", "--through", "2025-05-31", "--quiet"]
    assert main(argv) == 0
    assert "3 events appended on 1 of 1 demands" in capsys.readouterr().out
    apres = registre.position()
    assert main(argv) == 0
    assert "0 events appended" in capsys.readouterr().out
    assert registre.position() == apres
    faits = registre.repository.get(Demande.id_pour(n)).faits
    assert [(type(f).__name__, f.occurred_on) for f in faits[1:]] == [
        ("PreavisEnvoye", date(2025, 1, 1)),
        ("PreavisEnvoye", date(2025, 2, 1)),
        ("Radiee", date(2025, 4, 1)),
    ]
