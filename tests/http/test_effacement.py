"""Personal data that really vanish (RGPD art. 17; docs/donnees-personnelles.md), on SQLite and
PostgreSQL, over HTTP: a name, a phone number and a health detail are planted in every field
that takes free text — the identity and contacts, the comment, the CAL decision's text and its
missing pièce, the refusal's text, the recours decision's motivation, a retraction's motif —
the demand lives through a CAL, a refusal, a décote and its recours, is radiated, and erased by
the schedule a year later. Then every byte of the database (the events table and every other
table: read models, minutes, directory, idempotence, the journal of reads) is searched for
them: absent. Before the erasure, the same search finds them nowhere in clear either, and the
readers who may see them do."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.database import Stockage
from adapters.registre import Registre
from api.app import creer_app
from domain.territoire import Territoire
from projections import modeles
from projections.commissions import ANONYME
from tests.http.test_http_life import entetes, foyer

NOM, PRENOM = "Quelennec-Abgrall", "Zéphyrine"
TELEPHONE = "+33 6 48 27 19 53"
SANTE = "sclérose en plaques"
PLANTE = f"{PRENOM} {NOM}, {TELEPHONE}, {SANTE}"
SECRETS = [NOM, PRENOM, TELEPHONE, SANTE, "48 27 19 53", "Quelennec", "rose en plaques"]
A = "RPLS-0602900023"  # OPH-CPL's, vacant


@pytest.fixture
def client(registre: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(registre)) as c:
        yield c


def jeton(t: Territoire, org: str) -> dict[str, str]:
    return entetes(t.organisation(org).agents[0].jeton)


def regler(h: HorlogeReglable, jour: str) -> None:
    d = date.fromisoformat(jour)
    h.regler(datetime(d.year, d.month, d.day, 15, 0, tzinfo=UTC))


def ok(r: Any, statut: int = 200) -> Any:
    assert r.status_code == statut, r.text
    return r.json()


# -- the whole database, byte by byte --------------------------------------------------------------


def tout_le_contenu(stockage: Stockage) -> dict[str, bytes]:
    """Every table of the ledger's database, each row's values joined as bytes."""
    out: dict[str, bytes] = {}

    def octets(v: Any) -> bytes:
        if v is None:
            return b""
        if isinstance(v, (bytes, bytearray, memoryview)):
            return bytes(v)
        return str(v).encode()

    if stockage.postgres:
        env = stockage.eventsourcing_env
        with psycopg.connect(
            host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None, dbname=env["POSTGRES_DBNAME"],
        ) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (stockage.schema,)
            )]
            for t in tables:
                lignes = conn.execute(f'SELECT * FROM "{stockage.schema}"."{t}"').fetchall()
                out[t] = b"\x00".join(octets(v) for ligne in lignes for v in ligne)
        return out
    assert stockage.sqlite_path is not None
    conn = sqlite3.connect(stockage.sqlite_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            lignes = conn.execute(f'SELECT * FROM "{t}"').fetchall()
            out[t] = b"\x00".join(octets(v) for ligne in lignes for v in ligne)
    finally:
        conn.close()
    return out


def trouves(stockage: Stockage) -> list[tuple[str, str]]:
    """(table, secret) for every planted secret found anywhere, raw or JSON-escaped."""
    out = []
    for table, contenu in tout_le_contenu(stockage).items():
        for s in SECRETS:
            formes = {s.encode(), json.dumps(s)[1:-1].encode()}  # raw, or \u-escaped in JSON
            if any(f in contenu for f in formes):
                out.append((table, s))
    return out


# -- a life with free text everywhere, then the erasure --------------------------------------------


def vivre(client: TestClient, t: Territoire, h: HorlogeReglable) -> tuple[str, str, dict[str, int]]:
    cannes, oph = jeton(t, "CANNES"), jeton(t, "OPH-CPL")
    regler(h, "2025-03-03")
    corps = foyer(date(2025, 3, 3))
    corps["personnel"]["identites"][0].update(nom=NOM, prenom=PRENOM)
    corps["personnel"].update(telephone=TELEPHONE, commentaire=f"{SANTE}, appeler le matin")
    corps["situations"] = ["handicap"]
    n = ok(client.post("/demandes", json=corps, headers=cannes), 201)["numero_unique"]
    ok(client.post(f"/demandes/{n}/modifications", json={
        "occurred_on": "2025-03-03", "personnel": {**corps["personnel"], "adresse": PLANTE}}, headers=cannes))
    regler(h, "2025-03-10")
    ok(client.post(f"/demandes/{n}/designations", json={"occurred_on": "2025-03-10", "logement": A}, headers=oph))
    ok(client.post(f"/demandes/{n}/reponses", json={
        "occurred_on": "2025-03-10", "logement": A, "stade": "avant_cal"}, headers=oph))
    s = ok(client.post("/commissions", json={"occurred_on": "2025-03-10", "forme": "presentiel", "membres": [
        {"organisation": "OPH-CPL", "qualite": "bailleur", "nom": "Camille Roux"},
        {"organisation": "CANNES", "qualite": "maire"}]}, headers=oph), 201)["session"]
    ok(client.post(f"/commissions/{s}/inscriptions", json={
        "numero_unique": n, "occurred_on": "2025-03-10", "logement": A}, headers=oph))
    ok(client.post(f"/commissions/{s}/decisions", json={
        "numero_unique": n, "occurred_on": "2025-03-10", "logement": A, "decision": "attribution_sous_condition",
        "piece_manquante": f"certificat médical ({SANTE})", "delai_jours": 15, "texte": PLANTE,
        "moins_de_trois_candidats": "insuffisance_candidats"}, headers=oph))
    ok(client.post(f"/commissions/{s}/cloture", json={"occurred_on": "2025-03-10"}, headers=oph))
    regler(h, "2025-03-14")
    refus_v, decote_v = ok(client.post(f"/demandes/{n}/refus", json={
        "occurred_on": "2025-03-14", "logement": A, "stade": "apres_cal", "motif": "accessibilite",
        "texte": PLANTE, "qualification": "non_recevable", "appliquer_decote": True}, headers=oph))["evenements"]
    ok(client.post(f"/demandes/{n}/recours", json={"occurred_on": "2025-03-14", "decote": decote_v}, headers=cannes))
    regler(h, "2025-03-20")
    ok(client.post(f"/demandes/{n}/decisions-recours", json={
        "occurred_on": "2025-03-20", "decote": decote_v, "decision": "maintenue", "motivation": PLANTE}, headers=oph))
    ok(client.post(f"/demandes/{n}/justifications", json={
        "occurred_on": "2025-03-20", "critere": "handicap", "justification": "justifie"}, headers=cannes))
    justif = ok(client.get(f"/demandes/{n}", headers=cannes))["version"]
    ok(client.post(f"/demandes/{n}/retractations", json={
        "occurred_on": "2025-03-20", "evenement": justif, "motif": PLANTE}, headers=cannes))
    regler(h, "2025-04-01")
    ok(client.post(f"/demandes/{n}/radiations", json={"occurred_on": "2025-04-01", "motif": "RADABA"}, headers=cannes))
    return n, s, {"refus": refus_v, "decote": decote_v}


def suivre_tout(registre: Registre) -> None:
    for s in modeles.suiveurs(registre).values():
        s.suivre()


def test_planted_free_text_is_nowhere_in_clear_and_gone_after_erasure(
    client: TestClient, registre: Registre, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    t = territoire
    n, session, _ = vivre(client, t, horloge_test)
    suivre_tout(registre)

    # Readers who may see them do (and their reads are recorded); an auditeur does not.
    cannes, audit = jeton(t, "CANNES"), jeton(t, "CIL-CACPL")
    vue = ok(client.get(f"/demandes/{n}", headers=cannes))
    assert vue["personnel"]["identites"][0]["nom"] == NOM
    historique = client.get(f"/demandes/{n}/historique", headers=cannes).text
    for texte in (PLANTE, SANTE):
        assert texte in historique
    assert ok(client.get(f"/demandes/{n}", headers=audit))["personnel"] == {"type": "reserve"}
    masque = client.get(f"/demandes/{n}/historique", headers=audit).text
    assert all(s not in masque for s in SECRETS), masque
    flux = client.get("/flux?limite=1000", headers=audit).text
    assert all(s not in flux for s in SECRETS)
    assert PLANTE in client.get("/flux?limite=1000", headers=jeton(t, "OPH-CPL")).text
    pv = ok(client.get(f"/commissions/{session}/proces-verbal", headers=jeton(t, "OPH-CPL")))
    (candidat,) = pv["logements"][0]["candidats"]
    assert candidat["numero_unique"] == n and SANTE in candidat["piece_manquante"]
    pv = ok(client.get(f"/commissions/{session}/proces-verbal", headers=audit))
    assert pv["logements"][0]["candidats"][0]["piece_manquante"] == "réservé"

    # Nothing in clear anywhere, even before the erasure: only ciphertext holds them. (The scan
    # reads every table: the demand's numéro is in clear in the events and the read models.)
    contenu = tout_le_contenu(registre.stockage)
    assert n.encode() in contenu[registre.stockage.table_evenements]
    assert {"ledger_lectures_personnelles", "ledger_cles_demandes", "vue_repertoire_empreintes"} <= set(contenu)
    assert trouves(registre.stockage) == []
    # The CAL members' names are the officials', encrypted under the session's own key: not in
    # clear either, and the minutes show them.
    assert all(b"Camille Roux" not in v for v in contenu.values())
    assert pv["membres"][0]["nom"] == "Camille Roux"

    # A year after the radiation, the schedule erases the personal data.
    regler(horloge_test, "2026-04-01")
    r = registre.rattraper(n, date(2026, 4, 1))
    assert r is not None
    suivre_tout(registre)

    vue = ok(client.get(f"/demandes/{n}", headers=cannes))
    assert vue["personnel"] == {"type": "efface"}
    historique = ok(client.get(f"/demandes/{n}/historique?limite=100", headers=cannes))
    assert all(s not in str(historique) for s in SECRETS), historique
    par_type = {e["type"]: e for e in historique}
    assert par_type["decision_recours"]["details"]["motivation"] == "effacé"
    assert par_type["justification"]["supprime"]["motif"] == "effacé"
    assert all(s not in client.get("/flux?limite=1000", headers=jeton(t, "OPH-CPL")).text for s in SECRETS)
    # The minutes show the candidate anonymised, their order, points and decision kept.
    pv = ok(client.get(f"/commissions/{session}/proces-verbal", headers=audit))
    (candidat,) = pv["logements"][0]["candidats"]
    assert candidat["numero_unique"] == ANONYME and candidat["efface"] is True
    assert candidat["piece_manquante"] is None and candidat["decision"] == "attribution_sous_condition"
    assert n not in client.get(f"/commissions/{session}/proces-verbal.pdf", headers=audit).text

    assert trouves(registre.stockage) == []
    # The read journal kept who read the demand, and nothing of the person.
    lectures = ok(client.get(f"/demandes/{n}/lectures", headers=audit))
    assert {(x["organisation"], x["quoi"]) for x in lectures} >= {("CANNES", "vue"), ("CANNES", "historique"),
                                                                 ("OPH-CPL", "flux"), ("OPH-CPL", "proces_verbal")}
    assert not any(x["organisation"] == "CIL-CACPL" for x in lectures)  # it saw nothing personal
