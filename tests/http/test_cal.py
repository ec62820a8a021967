"""The CAL as a session over HTTP (DOMAIN.md §9), on SQLite and PostgreSQL: a bailleur opens a
session with its members, puts three dwellings and seven candidates on its agenda, decides with
coded motifs and closes it; its minutes (JSON and PDF) come out byte-identical after later
events (a retraction of one of its decisions, a new session). A decision is notified; the ten
days of R.441-10 run from the notification and the silence is listed on the eleventh day. The
three-candidates rule counts only the candidates who answered favourably."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from api.app import creer_app
from domain.territoire import Territoire
from tests.http.test_http_life import entetes, foyer

A, B, C = "RPLS-0602900023", "RPLS-0602900105", "RPLS-0602900110"  # OPH-CPL's, vacant
SEANCE = date(2026, 11, 5)


@pytest.fixture
def client(registre: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(registre)) as c:
        yield c


def jeton(territoire: Territoire, org: str) -> dict[str, str]:
    return entetes(territoire.organisation(org).agents[0].jeton)


def ok(r: Any, statut: int = 200) -> Any:
    assert r.status_code == statut, r.text
    return r.json()


def probleme(r: Any, statut: int, regle: str) -> dict[str, Any]:
    assert r.status_code == statut, r.text
    p = r.json()
    assert p["regle"] == regle, p
    return p


def regler(h: HorlogeReglable, jour: date) -> None:
    h.regler(datetime(jour.year, jour.month, jour.day, 16, 0, tzinfo=UTC))


def demande(client: TestClient, t: Territoire, i: int) -> str:
    filed = date(2024 - i % 3, 1 + i, 10)
    r = ok(client.post("/demandes", json={**foyer(filed), "filed_on": filed.isoformat(),
                                          "occurred_on": "2026-10-01", "anniversaire": "2027-06-01"},
                  headers=jeton(t, "CANNES")), 201)
    return str(r["numero_unique"])


def poster(client: TestClient, t: Territoire, org: str, chemin: str, corps: dict[str, Any], statut: int = 200) -> Any:
    return ok(client.post(chemin, json=corps, headers=jeton(t, org)), statut)


@pytest.fixture
def seance(client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable) -> dict[str, Any]:
    t = territoire
    regler(horloge_test, date(2026, 11, 12))
    n = [demande(client, t, i) for i in range(7)]
    par_logement = {A: n[0:3], B: n[3:6], C: n[6:7]}
    for lgt, numeros in par_logement.items():
        for x in numeros:
            poster(client, t, "OPH-CPL", f"/demandes/{x}/designations", {"occurred_on": "2026-11-02", "logement": lgt})
    # Every candidate answers favourably before the CAL but the sixth (presented in addition).
    for lgt, numeros in par_logement.items():
        for x in numeros:
            if x != n[5]:
                poster(client, t, "OPH-CPL", f"/demandes/{x}/reponses",
                       {"occurred_on": "2026-11-03", "logement": lgt, "stade": "avant_cal"})
    membres = [
        {"organisation": "OPH-CPL", "qualite": "bailleur", "nom": "Camille Roux"},
        {"organisation": "CANNES", "qualite": "maire", "nom": "adjoint au logement"},
        {"organisation": "ETAT-06", "qualite": "prefet"},
        {"organisation": "CACPL", "qualite": "president_epci"},
        {"organisation": "ALS", "qualite": "reservataire"},
    ]
    s = poster(client, t, "OPH-CPL", "/commissions",
               {"occurred_on": SEANCE.isoformat(), "forme": "presentiel", "membres": membres}, 201)
    session = s["session"]
    assert session == "CAL-OPH-CPL-20261105-1"
    for lgt, numeros in par_logement.items():
        for x in numeros:
            poster(client, t, "OPH-CPL", f"/commissions/{session}/inscriptions",
                   {"numero_unique": x, "occurred_on": SEANCE.isoformat(), "logement": lgt})
    decisions = [
        (n[0], A, {"decision": "attribution"}),
        (n[1], A, {"decision": "attribution_par_classement", "rang": 2}),
        (n[2], A, {"decision": "non_attribution", "motif": "candidat_mieux_classe"}),
        (n[3], B, {"decision": "attribution_sous_condition", "piece_manquante": "avis d'imposition",
                   "delai_jours": 15, "moins_de_trois_candidats": "insuffisance_candidats"}),
        (n[4], B, {"decision": "non_attribution", "motif": "taux_effort", "texte": "reste à vivre de 4 € par jour",
                   "moins_de_trois_candidats": "insuffisance_candidats"}),
        (n[5], B, {"decision": "irrecevabilite", "sous_motif_irrecevabilite": "IRRSEJ",
                   "moins_de_trois_candidats": "insuffisance_candidats"}),
        (n[6], C, {"decision": "attribution", "moins_de_trois_candidats": "insuffisance_candidats"}),
    ]
    reponses = []
    for x, lgt, d in decisions:
        reponses.append(poster(client, t, "OPH-CPL", f"/commissions/{session}/decisions",
                               {"numero_unique": x, "occurred_on": SEANCE.isoformat(), "logement": lgt, **d}))
    return {"session": session, "n": n, "decisions": reponses}


def test_a_session_s_minutes_regenerate_byte_identical(
    client: TestClient, territoire: Territoire, registre: Registre, seance: dict[str, Any]
) -> None:
    t, session, n = territoire, seance["session"], seance["n"]
    # Rules of the session: a candidate not on its agenda, another bailleur, another day.
    x = demande(client, t, 8)
    poster(client, t, "OPH-CPL", f"/demandes/{x}/designations", {"occurred_on": "2026-11-04", "logement": A})
    avant = registre.position()
    probleme(client.post(f"/commissions/{session}/decisions", json={
        "numero_unique": x, "occurred_on": SEANCE.isoformat(), "logement": A, "decision": "attribution"},
        headers=jeton(t, "OPH-CPL")), 422, "non_inscrite")
    probleme(client.post(f"/commissions/{session}/inscriptions", json={
        "numero_unique": x, "occurred_on": "2026-11-06", "logement": A}, headers=jeton(t, "OPH-CPL")),
        422, "date_de_session")
    probleme(client.post(f"/commissions/{session}/inscriptions", json={
        "numero_unique": x, "occurred_on": SEANCE.isoformat(), "logement": A}, headers=jeton(t, "ERILIA")),
        403, "bailleur_du_logement")
    probleme(client.post(f"/commissions/{session}/decisions", json={
        "numero_unique": n[4], "occurred_on": SEANCE.isoformat(), "logement": B, "decision": "non_attribution",
        "motif": "trop cher"}, headers=jeton(t, "OPH-CPL")), 422, "payload_invalide")
    assert registre.position() == avant  # nothing appended by a refusal

    brouillon = ok(client.get(f"/commissions/{session}/proces-verbal", headers=jeton(t, "ALS")))
    assert brouillon["close"] is False
    poster(client, t, "OPH-CPL", f"/commissions/{session}/cloture", {"occurred_on": SEANCE.isoformat()})
    probleme(client.post(f"/commissions/{session}/inscriptions", json={
        "numero_unique": x, "occurred_on": SEANCE.isoformat(), "logement": A}, headers=jeton(t, "OPH-CPL")),
        422, "session_close")

    pv = ok(client.get(f"/commissions/{session}/proces-verbal", headers=jeton(t, "ALS")))
    json_avant = client.get(f"/commissions/{session}/proces-verbal", headers=jeton(t, "ALS")).content
    pdf_avant = client.get(f"/commissions/{session}/proces-verbal.pdf", headers=jeton(t, "ALS"))
    # The missing pièce is free text about the candidate: an auditeur's minutes say `réservé`.
    audit = ok(client.get(f"/commissions/{session}/proces-verbal", headers=jeton(t, "CIL-CACPL")))
    assert pv["logements"][1]["candidats"][0]["piece_manquante"] == "avis d'imposition"
    assert audit["logements"][1]["candidats"][0]["piece_manquante"] == "réservé"
    assert pdf_avant.headers["content-type"] == "application/pdf" and pdf_avant.content.startswith(b"%PDF")
    assert pv["close"] is True and pv["date"] == "2026-11-05" and (pv["candidats"], pv["decisions"]) == (7, 7)
    assert [(m["organisation"], m["voix"]) for m in pv["membres"]] == [
        ("OPH-CPL", "deliberative"), ("CANNES", "deliberative"), ("ETAT-06", "deliberative"),
        ("CACPL", "deliberative"), ("ALS", "consultative")]
    assert pv["voix_preponderante"] == "CANNES"  # the mayor's, by the territory's rules
    assert [lg["logement"] for lg in pv["logements"]] == [A, B, C]
    la, lb, lc = pv["logements"]
    assert [c["numero_unique"] for c in la["candidats"]] == n[0:3] and [c["ordre"] for c in la["candidats"]] == [1, 2, 3]
    assert (la["favorables"], la["moins_de_trois_candidats"]) == (3, None)
    assert (lb["favorables"], lb["moins_de_trois_candidats"]) == (2, "insuffisance_candidats")
    assert [c["favorable"] for c in lb["candidats"]] == [True, True, False]
    assert (lc["contingent"], lc["reservataire"], lc["flux"]) == ("COLACT", "ALS", False)
    assert [(c["decision"], c["rang_classement"], c["motif"]) for c in la["candidats"]] == [
        ("attribution", None, None), ("attribution_par_classement", 2, None),
        ("non_attribution", None, "candidat_mieux_classe")]
    assert lb["candidats"][1]["libelle_motif"] == "taux d'effort ou reste à vivre incompatible avec le loyer"
    assert "4 €" not in json_avant.decode()  # free text stays on the demand, encrypted
    # Points at the session's date, and the rank among the dwelling's candidates (§5.4 order).
    for lg in pv["logements"]:
        assert all(isinstance(c["points"], int) for c in lg["candidats"])
        par_rang = sorted(lg["candidats"], key=lambda c: c["rang"])
        assert [c["rang"] for c in par_rang] == list(range(1, len(lg["candidats"]) + 1))
        assert [c["points"] for c in par_rang] == sorted((c["points"] for c in par_rang), reverse=True)

    # Later events: a retraction of one of its decisions, and a new session deciding again.
    poster(client, t, "OPH-CPL", f"/demandes/{n[4]}/retractations",
           {"occurred_on": "2026-11-09", "evenement": seance["decisions"][4]["evenements"][-1], "motif": "erreur de saisie"})
    s2 = poster(client, t, "OPH-CPL", "/commissions", {"occurred_on": "2026-11-12", "forme": "dematerialisee",
                "membres": [{"organisation": "OPH-CPL", "qualite": "bailleur"}, {"organisation": "CANNES", "qualite": "maire"}]}, 201)
    poster(client, t, "OPH-CPL", f"/commissions/{s2['session']}/inscriptions",
           {"numero_unique": n[4], "occurred_on": "2026-11-12", "logement": B})
    poster(client, t, "OPH-CPL", f"/commissions/{s2['session']}/decisions",
           {"numero_unique": n[4], "occurred_on": "2026-11-12", "logement": B, "decision": "attribution_par_classement",
            "rang": 1, "moins_de_trois_candidats": "insuffisance_candidats"})
    assert client.get(f"/commissions/{session}/proces-verbal", headers=jeton(t, "ALS")).content == json_avant
    assert client.get(f"/commissions/{session}/proces-verbal.pdf", headers=jeton(t, "ALS")).content == pdf_avant.content

    # The sessions that examined a demand, with its rank among the candidates and the decision.
    examens = ok(client.get(f"/demandes/{n[4]}/commissions", headers=jeton(t, "CANNES")))
    assert [(e["session"], e["decision"], e["motif"], e["sur"]) for e in examens] == [
        (session, "non_attribution", "taux_effort", 3), (s2["session"], "attribution_par_classement", None, 1)]
    assert examens[1]["rang"] == 1
    assert ok(client.get("/commissions?bailleur=OPH-CPL", headers=jeton(t, "ALS"))) == [session, s2["session"]]


def test_the_answer_period_runs_from_the_notification_and_silence_shows_on_day_11(
    client: TestClient, territoire: Territoire, registre: Registre, seance: dict[str, Any], horloge_test: HorlogeReglable
) -> None:
    t, n = territoire, seance["n"]
    premier = n[0]

    def echeances(jour: date) -> list[tuple[str, str]]:
        regler(horloge_test, jour)
        lignes = ok(client.get("/echeances", params={"du": "2026-11-01", "au": jour.isoformat()},
                               headers=jeton(t, "OPH-CPL")))
        return [(x["type"], x["echeance"]) for x in lignes if x["demande"] == premier
                and x["type"] in ("notification_decision", "reponse_offre", "absence_reponse")]

    # Decided on 5 November, not notified yet: nothing runs, the bailleur has a decision to notify.
    assert echeances(date(2026, 11, 18)) == [("notification_decision", "2026-11-05")]
    poster(client, t, "OPH-CPL", f"/demandes/{premier}/notifications",
           {"occurred_on": "2026-11-09", "logement": A, "canal": "recommande"})
    # Ten days from 9 November, day 10 included: due on the 19th; the silence shows from the 20th.
    assert echeances(date(2026, 11, 19)) == [("reponse_offre", "2026-11-19")]
    assert echeances(date(2026, 11, 20)) == [("reponse_offre", "2026-11-19"), ("absence_reponse", "2026-11-20")]
    probleme(client.post(f"/demandes/{premier}/refus", json={
        "occurred_on": "2026-11-20", "logement": A, "stade": "absence_reponse", "motif": "localisation",
        "qualification": "non_recevable"}, headers=jeton(t, "OPH-CPL")), 422, "motif_incoherent")
    poster(client, t, "OPH-CPL", f"/demandes/{premier}/refus", {
        "occurred_on": "2026-11-20", "logement": A, "stade": "absence_reponse", "motif": "absence_reponse",
        "qualification": "non_recevable"})
    assert echeances(date(2026, 11, 20)) == []
    # An accepted offer has nothing left to wait for.
    second = n[6]
    poster(client, t, "OPH-CPL", f"/demandes/{second}/notifications",
           {"occurred_on": "2026-11-10", "logement": C, "canal": "email"})
    poster(client, t, "OPH-CPL", f"/demandes/{second}/reponses",
           {"occurred_on": "2026-11-12", "logement": C, "stade": "apres_cal"})
    regler(horloge_test, date(2026, 11, 23))
    lignes = ok(client.get("/echeances", params={"du": "2026-11-01", "au": "2026-11-30", "type": "absence_reponse"},
                           headers=jeton(t, "OPH-CPL")))
    assert [x["demande"] for x in lignes] == []


def test_only_favourable_answers_count_towards_three(
    client: TestClient, territoire: Territoire, registre: Registre, horloge_test: HorlogeReglable
) -> None:
    t = territoire
    regler(horloge_test, date(2026, 11, 12))
    n = [demande(client, t, i) for i in range(4)]
    for x in n:
        poster(client, t, "OPH-CPL", f"/demandes/{x}/designations", {"occurred_on": "2026-11-02", "logement": A})
    for x in n[:2]:
        poster(client, t, "OPH-CPL", f"/demandes/{x}/reponses", {"occurred_on": "2026-11-03", "logement": A, "stade": "avant_cal"})
    # Four designated, two answered favourably: the reason is due, as a code.
    p = probleme(client.post(f"/demandes/{n[0]}/decisions-cal", json={
        "occurred_on": "2026-11-05", "logement": A, "decision": "attribution"}, headers=jeton(t, "OPH-CPL")),
        422, "moins_de_trois_candidats")
    assert p["details"] == {"favorables": 2, "designes": 4}
    poster(client, t, "OPH-CPL", f"/demandes/{n[2]}/reponses", {"occurred_on": "2026-11-03", "logement": A, "stade": "avant_cal"})
    # A candidate who answered favourably and then withdrew no longer counts.
    poster(client, t, "OPH-CPL", f"/demandes/{n[2]}/refus", {"occurred_on": "2026-11-04", "logement": A,
           "stade": "avant_cal", "motif": "a_trouve_logement", "qualification": "recevable"})
    probleme(client.post(f"/demandes/{n[0]}/decisions-cal", json={
        "occurred_on": "2026-11-05", "logement": A, "decision": "attribution"}, headers=jeton(t, "OPH-CPL")),
        422, "moins_de_trois_candidats")
    poster(client, t, "OPH-CPL", f"/demandes/{n[3]}/reponses", {"occurred_on": "2026-11-04", "logement": A, "stade": "avant_cal"})
    poster(client, t, "OPH-CPL", f"/demandes/{n[0]}/decisions-cal",
           {"occurred_on": "2026-11-05", "logement": A, "decision": "attribution"})
    # The free text beside a code is encrypted on the demand: the stored row holds no clear text.
    poster(client, t, "OPH-CPL", f"/demandes/{n[1]}/decisions-cal", {"occurred_on": "2026-11-05", "logement": A,
           "decision": "non_attribution", "motif": "taux_effort", "texte": "loyer 812 € pour 900 € de ressources"})
    with registre.engine.connect() as conn:
        etats = [bytes(r[0]) for r in conn.exec_driver_sql(
            f"SELECT state FROM {registre.stockage.table_evenements}").all()]
    # (a phrase with spaces: no base64 ciphertext nor timestamp holds it by chance, as "812" once did)
    assert not any("pour 900 € de ressources".encode() in e for e in etats)
