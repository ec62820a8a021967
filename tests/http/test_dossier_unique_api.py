"""The dossier unique over HTTP, on SQLite and PostgreSQL: a pièce recorded, its file uploaded and
read back (the wrong file refused, an auditeur refused), refused as incoherente, the decote_pieces
that cites it and the recours filed by a travailleur social with the demandeur's explanations; the
recours queue shows the pièce, the décote's end and the days left; a request for pièces in the
deadlines; a visit; the attestation of registration and of renewal as PDF, byte-identical when
regenerated after later events; `attestation délivrée` in the history."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from api.app import creer_app
from domain.territoire import Territoire
from tests.http.test_cal import jeton, ok, poster, probleme, regler
from tests.http.test_demandeur import bearer, code, dossier_donnees  # noqa: F401
from tests.http.test_http_life import foyer
from tests.http.test_pages import connecter

FICHIER = b"%PDF-1.4 bulletin de salaire d'Amina Benali, octobre 2026"
EMPREINTE = hashlib.sha256(FICHIER).hexdigest()
LGT = "RPLS-0602900023"  # OPH-CPL's, vacant


@pytest.fixture
def client(registre: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(registre)) as c:
        yield c


def test_pieces_decote_recours_and_attestations_over_http(
    client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    t = territoire
    regler(horloge_test, date(2026, 11, 23))
    numero = ok(client.post("/demandes", json=foyer(date(2026, 3, 2)), headers=jeton(t, "CANNES")), 201)["numero_unique"]
    base = f"/demandes/{numero}"

    # A pièce, its file uploaded (encrypted under the demand's key) and read back.
    probleme(client.post(f"{base}/pieces", json={"occurred_on": "2026-10-01", "type_piece": "bulletin",
                                                 "empreinte": EMPREINTE, "taille": len(FICHIER)},
                         headers=jeton(t, "CANNES")), 422, "payload_invalide")
    (piece,) = poster(client, t, "CANNES", f"{base}/pieces", {
        "occurred_on": "2026-10-01", "type_piece": "ressources_mensuelles", "empreinte": EMPREINTE,
        "taille": len(FICHIER)})["evenements"]
    chemin = f"{base}/pieces/{piece}/fichier"
    probleme(client.put(chemin, content=FICHIER + b"x", headers=jeton(t, "CANNES")), 422, "fichier_different")
    probleme(client.put(chemin, content=FICHIER, headers=jeton(t, "ALS")), 403, "guichet_requis")
    assert client.put(chemin, content=FICHIER, headers=jeton(t, "CANNES")).status_code == 204
    r = client.get(chemin, headers=jeton(t, "OPH-CPL"))
    assert r.status_code == 200 and r.content == FICHIER
    probleme(client.get(chemin, headers=jeton(t, "CIL-CACPL")), 403, "donnees_personnelles_reservees")

    # Refused as incoherente; the décote cites that refusal; a recours on the demandeur's behalf.
    (refus,) = poster(client, t, "CANNES", f"{base}/pieces-refusees", {
        "occurred_on": "2026-10-02", "piece": piece, "motif": "incoherente"})["evenements"]
    probleme(client.post(f"{base}/decotes", json={"occurred_on": "2026-11-10", "code": "decote_pieces"},
                         headers=jeton(t, "CANNES")), 422, "piece_requise")
    (decote,) = poster(client, t, "CANNES", f"{base}/decotes", {
        "occurred_on": "2026-11-10", "code": "decote_pieces", "piece": refus})["evenements"]
    poster(client, t, "OPH-CPL", f"{base}/recours", {
        "occurred_on": "2026-11-20", "decote": decote, "depose_par": "travailleur_social",
        "explications": "Le bulletin a été corrigé par l'employeur"})
    file = ok(client.get("/recours?attendre=true", headers=jeton(t, "CANNES")))
    (ligne,) = [x for x in file if x["demande"] == numero]
    assert ligne["fait"]["genre"] == "pieces" and ligne["fait"]["piece"] == piece
    assert (ligne["fait"]["evenement"], ligne["fait"]["le"], ligne["fait"]["type_piece"]) == (
        refus, "2026-10-02", "ressources_mensuelles")
    assert ligne["fait"]["expire_le"] == "2027-10-02"  # one year from the fact, not from the décote
    assert (ligne["depose_par"], ligne["limite"], ligne["jours_restants"]) == ("travailleur_social", "2026-11-25", 2)
    agent = t.organisation("CANNES").agents[0]
    connecter(client, agent.identifiant, agent.jeton)
    page = client.get("/espace/recours")
    assert page.status_code == 200 and f"pièce n° {piece} (ressources_mensuelles) jugée incohérente le" in page.text
    assert "recours déposé par : travailleur_social" in page.text

    # A request for pièces, in the deadlines until answered.
    poster(client, t, "OPH-CPL", f"{base}/demandes-de-pieces", {
        "occurred_on": "2026-11-21", "du_le": "2026-12-21", "pieces": ["logement_actuel"], "membre": 0,
        "texte": "attestation d'hébergement signée"})
    dues = ok(client.get(f"/echeances?du=2026-12-01&au=2026-12-31&type=pieces_demandees&demande={numero}",
                         headers=jeton(t, "CANNES")))
    assert [(x["echeance"], x["detail"]) for x in dues] == [("2026-12-21", "logement_actuel")]

    # A visit proposed to a designated candidate.
    poster(client, t, "OPH-CPL", f"{base}/designations", {"occurred_on": "2026-11-21", "logement": LGT})
    (visite,) = poster(client, t, "OPH-CPL", f"{base}/visites", {
        "occurred_on": "2026-11-22", "logement": LGT, "visite_le": "2026-11-23"})["evenements"]
    poster(client, t, "OPH-CPL", f"{base}/visites-constatees", {
        "occurred_on": "2026-11-23", "visite": visite, "effectuee": True})

    # The attestation of registration: the same bytes before and after later events.
    pdf = client.get(f"{base}/attestations/enregistrement.pdf", headers=jeton(t, "CANNES"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    poster(client, t, "CANNES", f"{base}/attestations", {"occurred_on": "2026-11-23", "type": "enregistrement",
                                                         "canal": "email"})
    poster(client, t, "CANNES", f"{base}/modifications", {"occurred_on": "2026-11-23", "motifs": ["01"]})
    assert client.get(f"{base}/attestations/enregistrement.pdf", headers=jeton(t, "CANNES")).content == pdf.content
    # An auditeur's copy names nobody: another document.
    assert client.get(f"{base}/attestations/enregistrement.pdf", headers=jeton(t, "CIL-CACPL")).content != pdf.content
    probleme(client.get(f"{base}/attestations/renouvellement.pdf", headers=jeton(t, "CANNES")), 404,
             "renouvellement_inconnu")
    probleme(client.get(f"{base}/attestations/autre.pdf", headers=jeton(t, "CANNES")), 404, "attestation_inconnue")
    poster(client, t, "CANNES", f"{base}/renouvellements", {"occurred_on": "2026-11-23"})
    renouv = client.get(f"{base}/attestations/renouvellement.pdf", headers=jeton(t, "CANNES"))
    assert renouv.status_code == 200 and renouv.content != pdf.content

    # The demandeur reads the pièces asked of them and their attestations.
    info = ok(client.get(f"/demandeur/{numero}", headers=bearer(code(client, numero))))
    assert [(p["du_le"], p["repondue"]) for p in info["pieces_demandees"]] == [("2026-12-21", False)]
    assert info["pieces_demandees"][0]["pieces"] == ["justificatif du logement actuel"]
    assert [(a["type"], a["canal"]) for a in info["attestations"]] == [("enregistrement", "email")]

    types = [e["type"] for e in ok(client.get(f"{base}/historique", headers=jeton(t, "CANNES")))]
    for attendu in ("piece_deposee", "piece_refusee", "decote", "recours", "demande_de_pieces",
                    "visite_proposee", "visite_constatee", "attestation_delivree"):
        assert attendu in types
    historique: list[dict[str, Any]] = ok(client.get(f"{base}/historique", headers=jeton(t, "CIL-CACPL")))
    (recours_vu,) = [e for e in historique if e["type"] == "recours"]
    assert recours_vu["details"]["personnel"] == "réservé"  # the explanations are personal data
    assert recours_vu["details"]["depose_par"] == "travailleur_social"


def test_depot_then_registration_over_http(client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable) -> None:
    t = territoire
    regler(horloge_test, date(2026, 11, 23))
    r = ok(client.post("/depots", json={"occurred_on": "2026-11-02", "reference": "GU-42"}, headers=jeton(t, "CANNES")), 201)
    assert (r["depose_le"], r["enregistrement_du"], r["numero_unique"]) == ("2026-11-02", "2026-12-02", None)
    probleme(client.post("/depots", json={"occurred_on": "2026-11-02", "reference": "GU-42"}, headers=jeton(t, "CANNES")),
             422, "depot_existant")
    probleme(client.post("/depots", json={"occurred_on": "2026-11-02", "reference": "X"}, headers=jeton(t, "ALS")),
             403, "guichet_requis")
    probleme(client.get("/depots/GU-42", headers=jeton(t, "MOUGINS")), 404, "depot_inconnu")
    dus = ok(client.get("/echeances?du=2026-12-01&au=2026-12-31&type=enregistrement_du&attendre=true",
                        headers=jeton(t, "CANNES")))
    assert [(x["demande"], x["echeance"]) for x in dus] == [("DEPOT CANNES GU-42", "2026-12-02")]
    corps = {**foyer(date(2026, 11, 20)), "depot": "GU-42"}
    n = ok(client.post("/demandes?attendre=true", json=corps, headers=jeton(t, "CANNES")), 201)["numero_unique"]
    assert ok(client.get(f"/demandes/{n}", headers=jeton(t, "CANNES")))["filed_on"] == "2026-11-02"
    assert ok(client.get("/depots/GU-42", headers=jeton(t, "CANNES")))["numero_unique"] == n
    assert ok(client.get("/echeances?du=2026-12-01&au=2026-12-31&type=enregistrement_du",
                         headers=jeton(t, "CANNES"))) == []
    probleme(client.post("/depots/GU-42/retractations", json={"occurred_on": "2026-11-23", "motif": "erreur"},
                         headers=jeton(t, "CANNES")), 422, "depot_deja_enregistre")
