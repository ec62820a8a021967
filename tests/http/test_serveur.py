"""A served ledger keeps itself current (issue: "Main is red today… a server that lags behind its
own schedule"): the read models follow the log in the background, the schedule runs at start-up
and after each midnight Europe/Paris without anyone running it, every read of "now" counts what
fell due as fallen due even before the schedule appends it, two servers on one database append
each due event once, and operators get health endpoints and one clear line when the database
cannot be reached."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from adapters.background import BackgroundWork
from adapters.cli import main
from adapters.clock import HorlogeReglable
from adapters.code_demandeur import VARIABLE_DOSSIER, VARIABLE_SECRET
from adapters.database import Stockage, depuis_url
from adapters.registre import Registre
from api.app import creer_app
from domain import commandes as c
from domain.codes import MotifRadiation, RoleMembre, Typologie
from domain.demande import Demande
from domain.foyer import Membre, Souhaits
from domain.territoire import Territoire
from projections import modeles
from projections.suivi import Suiveur, versions

OPH = {"Authorization": "Bearer demo-oph-cpl-1"}
AUDIT = {"Authorization": "Bearer demo-cil-cacpl-1"}


@pytest.fixture(autouse=True)
def dossier_donnees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE_DOSSIER, str(tmp_path / "donnees"))
    monkeypatch.delenv(VARIABLE_SECRET, raising=False)


def regler(h: HorlogeReglable, jour: date) -> None:
    h.regler(datetime(jour.year, jour.month, jour.day, 9, tzinfo=UTC))


def enregistrer(registre: Registre, jour: date) -> str:
    oph = registre.territoire.organisation("OPH-CPL")
    cmd = c.Enregistrer(
        occurred_on=jour,
        membres=(Membre("p1", RoleMembre.demandeur),),
        souhaits=Souhaits(("06029",), (Typologie.T2,)),
    )
    return registre.executer(oph, "oph-cpl-1", cmd).numero_unique


def renouveler(registre: Registre, numero: str, jour: date) -> None:
    oph = registre.territoire.organisation("OPH-CPL")
    registre.executer(oph, "oph-cpl-1", c.Renouveler(occurred_on=jour), numero)


def attendre(condition: Callable[[], bool], delai: float = 30.0) -> None:
    limite = time.monotonic() + delai
    while not condition():
        assert time.monotonic() < limite, "the background work did not get there in time"
        time.sleep(0.02)


def ok(r: Any) -> Any:
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def radiations(registre: Registre, numero: str) -> list[tuple[str, date]]:
    return [
        (str(f.motif), f.occurred_on)
        for f in registre.demande(numero).faits
        if isinstance(f, Demande.Radiee)
    ]


def lectures(client: TestClient, a: str, b: str, jour: date) -> dict[str, Any]:
    """Everything a reader sees of `a` (the demand whose RADREN fell due) and of `b` (another)."""
    vue_a = ok(client.get(f"/demandes/{a}", headers=AUDIT))
    cot_b = ok(client.get(f"/demandes/{b}/cotation", headers=AUDIT))
    code_b = ok(client.get(f"/demandes/{b}/code-demandeur", headers=OPH))["code"]
    code_a = ok(client.get(f"/demandes/{a}/code-demandeur", headers=OPH))["code"]
    page_b = ok(client.get(f"/demandeur/{b}", headers={"Authorization": f"Bearer {code_b}"}))
    page_a = ok(client.get(f"/demandeur/{a}", headers={"Authorization": f"Bearer {code_a}"}))
    echeances = ok(client.get("/echeances", params={"du": "2025-01-01", "au": "2028-12-31"}, headers=AUDIT))
    stats = {
        source: ok(client.get(
            "/statistiques", params={"du": jour.isoformat(), "au": jour.isoformat(), "source": source},
            headers=AUDIT,
        ))
        for source in ("journal", "vue")
    }
    tension = {
        source: next(
            f["numerateur"] for f in s["figures"]
            if (f["indicateur"], f["dimension"], f["cle"]) == ("tension", "territoire", "")
        )
        for source, s in stats.items()
    }
    return {
        "vue": (vue_a["active"], vue_a["radiation"], vue_a["radiee_le"]),
        "rang_b": (cot_b["rang"], cot_b["sur"]),
        "demandeur_b": (page_b["cotation"]["rang"], page_b["cotation"]["sur"]),
        "demandeur_a": (page_a["active"], page_a["radiation"], page_a["cotation"]["rang"]),
        "echeances_a": sorted((e["type"], e["echeance"]) for e in echeances if e["demande"] == a),
        "actives": tension,
    }


def test_a_radren_falls_due_in_a_served_ledger_and_every_read_agrees(
    registre: Registre, horloge_test: HorlogeReglable
) -> None:
    regler(horloge_test, date(2025, 1, 10))
    a = enregistrer(registre, date(2025, 1, 10))  # a smaller numéro: ahead of b on equal points
    b = enregistrer(registre, date(2025, 1, 10))
    regler(horloge_test, date(2025, 12, 1))
    renouveler(registre, b, date(2025, 12, 1))  # b stays; a is never renewed
    regler(horloge_test, date(2026, 2, 9))  # the day before a's RADREN (anniversary + 1 month)

    # A server that follows the log but whose schedule is off: what a reader sees the day the
    # RADREN falls due, before anything is appended.
    fond = BackgroundWork(registre, modeles.suiveurs(registre), schedule=False, interval=0.05, tick=0.02)
    with TestClient(creer_app(registre, fond=fond)) as client:
        attendre(lambda: fond.status.day_of_scores == date(2026, 2, 9))
        avant = lectures(client, a, b, date(2026, 2, 9))
        assert avant["vue"] == (True, None, None)
        assert avant["rang_b"] == avant["demandeur_b"] == (2, 2)
        assert ("radiation_non_renouvellement", "2026-02-10") in avant["echeances_a"]
        assert avant["actives"] == {"journal": 2, "vue": 2}

        position = registre.position()
        regler(horloge_test, date(2026, 2, 10))
        attendre(lambda: fond.status.day_of_scores == date(2026, 2, 10))
        pendant = lectures(client, a, b, date(2026, 2, 10))
        assert registre.position() == position and radiations(registre, a) == []  # nothing appended
    assert pendant["vue"] == (False, "RADREN", "2026-02-10")
    assert pendant["rang_b"] == pendant["demandeur_b"] == (1, 1)
    assert pendant["demandeur_a"] == (False, "RADREN", None)
    assert pendant["echeances_a"] == [("effacement", "2027-02-10"), ("reactivation_possible", "2026-03-10")]
    assert pendant["actives"] == {"journal": 1, "vue": 1}

    # The same ledger served with its schedule: it runs at start-up, by itself.
    fond = BackgroundWork(registre, modeles.suiveurs(registre), interval=0.05, tick=0.02)
    with TestClient(creer_app(registre, fond=fond)) as client:
        attendre(lambda: fond.status.last_schedule_day == date(2026, 2, 10))
        attendre(lambda: ok(client.get("/sante/pret"))["modeles"][0]["retard"] == 0)
        assert radiations(registre, a) == [("RADREN", date(2026, 2, 10))]
        assert radiations(registre, b) == []
        apres = lectures(client, a, b, date(2026, 2, 10))
        assert apres == pendant
        sante = ok(client.get("/sante/pret"))
        assert sante["planification"]["dernier_jour"] == "2026-02-10"
        assert "3 events appended on 1 of 1 demands (PreavisEnvoye 2, Radiee 1)" in sante["planification"]["dernier_resume"]

        # After midnight Europe/Paris, the next day's run appends nothing new for a.
        regler(horloge_test, date(2026, 2, 11))
        attendre(lambda: fond.status.last_schedule_day == date(2026, 2, 11))
        assert radiations(registre, a) == [("RADREN", date(2026, 2, 10))]


def test_the_schedule_runs_again_after_midnight_europe_paris(
    registre: Registre, horloge_test: HorlogeReglable
) -> None:
    regler(horloge_test, date(2025, 3, 1))
    n = enregistrer(registre, date(2025, 3, 1))
    # 22:59 UTC on 31 December is 23:59 in Paris: still the 31st, nothing due yet.
    horloge_test.regler(datetime(2025, 12, 31, 22, 59, tzinfo=UTC))
    fond = BackgroundWork(registre, modeles.suiveurs(registre), interval=0.05, tick=0.02)
    fond.start()
    try:
        attendre(lambda: fond.status.last_schedule_day == date(2025, 12, 31))
        assert [type(f).__name__ for f in registre.demande(n).faits] == ["Enregistree"]
        horloge_test.regler(datetime(2025, 12, 31, 23, 0, 30, tzinfo=UTC))  # 00:00:30 in Paris
        attendre(lambda: fond.status.last_schedule_day == date(2026, 1, 1))
        faits = registre.demande(n).faits
        assert [(type(f).__name__, f.occurred_on) for f in faits[1:]] == [
            ("PreavisEnvoye", date(2026, 1, 1))  # anniversary 2026-03-01 − 2 months
        ]
    finally:
        fond.stop()


def test_two_servers_on_one_postgresql_append_each_due_event_once(
    schema_postgres: str, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    premier = Registre(depuis_url(schema_postgres), territoire)
    second = Registre(depuis_url(schema_postgres), territoire)
    try:
        regler(horloge_test, date(2025, 1, 10))
        numeros = [enregistrer(premier, date(2025, 1, 10)) for _ in range(12)]
        regler(horloge_test, date(2026, 3, 1))  # two notices and a RADREN due for each
        fonds = [
            BackgroundWork(r, modeles.suiveurs(r), interval=0.05, tick=0.02) for r in (premier, second)
        ]
        for f in fonds:
            f.start()
        try:
            attendre(lambda: all(f.status.last_schedule_day == date(2026, 3, 1) for f in fonds))
        finally:
            for f in fonds:
                f.stop()
        for n in numeros:
            assert [(type(f).__name__, f.occurred_on) for f in second.demande(n).faits[1:]] == [
                ("PreavisEnvoye", date(2025, 11, 10)),
                ("PreavisEnvoye", date(2025, 12, 10)),
                ("Radiee", date(2026, 2, 10)),
            ]
        rapports = [f.status.last_schedule for f in fonds]
        assert sum(r.evenements for r in rapports if r is not None) == 3 * len(numeros)
    finally:
        premier.close()
        second.close()


def test_reads_never_catch_up_in_a_served_ledger(registre: Registre, horloge_test: HorlogeReglable) -> None:
    """With the background following, a read serves the read model as it stands (a client that
    needs its own write asks `?attendre=true`); the background catches up on its own."""
    regler(horloge_test, date(2026, 11, 2))
    fond = BackgroundWork(registre, modeles.suiveurs(registre), schedule=False, interval=3600, tick=3600)
    with TestClient(creer_app(registre, fond=fond)) as client:
        attendre(lambda: fond.status.day_of_scores == date(2026, 11, 2))
        with fond.suiveurs[modeles.ECHEANCES].verrou:  # the follower is busy elsewhere
            r = client.post("/demandes", headers=OPH, json={
                "occurred_on": "2026-11-02", "membres": [{"id": "p1", "role": "demandeur"}],
                "souhaits": {"communes": ["06029"], "typologies": ["T2"]},
            })
            assert r.status_code == 201
            debut = time.monotonic()
            echeances = ok(client.get("/echeances", params={"du": "2026-01-01", "au": "2028-12-31"}, headers=AUDIT))
            assert time.monotonic() - debut < 5  # did not wait for the follower
            assert echeances == []
        # Woken by the command, the background applies it.
        numero = r.json()["numero_unique"]
        attendre(lambda: any(
            e["demande"] == numero
            for e in client.get("/echeances", params={"du": "2026-01-01", "au": "2028-12-31"}, headers=AUDIT).json()
        ))
        # Read-your-writes on demand.
        r = client.post(f"/demandes/{numero}/renouvellements?attendre=true", headers=OPH, json={"occurred_on": "2026-11-02"})
        assert r.status_code == 200
        assert ok(client.get("/sante/pret"))["modeles"] == [
            {"nom": nom, "position": registre.position(), "retard": 0, "reconstruction_requise": False}
            for nom in modeles.PROJECTIONS
        ]


def test_health(registre: Registre, horloge_test: HorlogeReglable) -> None:
    regler(horloge_test, date(2026, 11, 2))
    enregistrer(registre, date(2026, 11, 2))
    with TestClient(creer_app(registre)) as client:
        assert ok(client.get("/sante")) == {"statut": "ok"}
        pret = ok(client.get("/sante/pret"))
        assert pret["pret"] and pret["base"] == "ok" and pret["position"] == registre.position()
        assert {m["nom"]: m["retard"] for m in pret["modeles"]} == {nom: registre.position() for nom in modeles.PROJECTIONS}
        r = client.get("/sante/pret", params={"retard_max": 0})
        assert r.status_code == 503 and any("lags" in x for x in r.json()["raisons"])
        # The database goes away: not a 500, but what failed.
        vrai = registre.engine
        registre.engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/x")
        try:
            r = client.get("/sante/pret")
        finally:
            registre.engine.dispose()
            registre.engine = vrai
        assert r.status_code == 503
        assert r.json()["raisons"] == ["database unreachable"] and "Connection refused" in r.json()["base"]
        # And a read that needs it is a 503 problem, not a 500.
        registre.engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/x")
        try:
            r = client.get("/echeances", params={"du": "2026-01-01", "au": "2026-12-31"}, headers=AUDIT)
        finally:
            registre.engine.dispose()
            registre.engine = vrai
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["regle"] == "base_injoignable" and r.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    ("url", "attendu"),
    [
        ("postgresql://postgres:s3cret@127.0.0.1:1/test",
         "ledger: cannot reach the database postgresql://postgres:***@127.0.0.1:1/test: connection failed:"),
        ("sqlite:////proc/nowhere/ledger.sqlite3",
         "ledger: LEDGER_DATABASE_URL 'sqlite:////proc/nowhere/ledger.sqlite3': cannot create the folder /proc/nowhere"),
    ],
)
def test_an_unreachable_database_is_one_clear_line(url: str, attendu: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", url, "init"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(attendu) and len(err.strip().splitlines()) == 1, err
    assert "s3cret" not in err and "Traceback" not in err


def test_a_read_model_of_an_older_version_is_rebuilt(stockage: Stockage, territoire: Territoire, horloge_test: HorlogeReglable) -> None:
    registre = Registre(stockage, territoire)
    try:
        regler(horloge_test, date(2026, 11, 2))
        for _ in range(3):
            enregistrer(registre, date(2026, 11, 2))
        s = modeles.suiveur(registre, modeles.ECHEANCES)
        s.suivre()
        with registre.engine.connect() as conn:
            attendu = sorted(tuple(r) for r in conn.execute(sa.select(s.tables[0])))
        # As if stored by version 1, whose worklist table did not exist.
        with registre.engine.begin() as conn:
            conn.execute(sa.update(versions).values(version=1))
            conn.exec_driver_sql(f"DROP TABLE {s.tables[2].name}")
        s = modeles.suiveur(registre, modeles.ECHEANCES)
        assert s.reconstruction_requise
        assert s.suivre() == registre.position()
        assert not s.reconstruction_requise
        with registre.engine.connect() as conn:
            assert sorted(tuple(r) for r in conn.execute(sa.select(s.tables[0]))) == attendu
            assert conn.execute(sa.select(sa.func.count()).select_from(s.tables[2])).scalar_one() == 3
            assert conn.execute(sa.select(versions.c.version).where(versions.c.projection == "echeances")).scalar_one() == 3
        assert not Suiveur(registre, s.projection).reconstruction_requise
    finally:
        registre.close()


def test_ledger_schedule_waits_for_the_lock_and_uses_the_worklist(
    registre: Registre, horloge_test: HorlogeReglable, capsys: pytest.CaptureFixture[str]
) -> None:
    regler(horloge_test, date(2025, 1, 10))
    a = enregistrer(registre, date(2025, 1, 10))
    regler(horloge_test, date(2025, 12, 1))
    b = enregistrer(registre, date(2025, 12, 1))  # owes nothing before December 2026
    regler(horloge_test, date(2026, 2, 10))
    assert main(["--database", registre.stockage.url, "schedule", "--through", "2026-02-10", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3 events appended on 1 of 1 demands (PreavisEnvoye 2, Radiee 1)" in out
    assert radiations(registre, a) == [(str(MotifRadiation.RADREN), date(2026, 2, 10))]
    assert len(registre.demande(b).faits) == 1
