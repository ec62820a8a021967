"""The HTTP API end to end, on SQLite and on PostgreSQL (the `registre` fixture).

One demand lives its whole life through the API (DOMAIN.md §3): registration, modification,
renewal, designation by a réservataire, CAL, a non-recevable refusal with its décote, a recours
on the last allowed day, its annulment, a second designation, attribution, bail and the automatic
RADATT radiation; then its partner-traceable history (§7) must tell every step in order.
Around it: ETag/If-Match, the problem+json errors (401, 403, 404, 409, 422) and the OpenAPI
document.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from api.app import COMMANDES, creer_app
from domain.commandes import DeclarerVacance, Enregistrer
from domain.territoire import LogementSocial, Territoire

PROBLEME = "application/problem+json"

# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def client(registre: Registre) -> Iterator[TestClient]:
    with TestClient(creer_app(registre)) as c:
        yield c


def agent(territoire: Territoire, org: str, rang: int = 0) -> tuple[str, str]:
    """(token, agent identifiant) of an organisation's agent, read from the territory file."""
    a = territoire.organisation(org).agents[rang]
    return a.jeton, a.identifiant


def logement(
    territoire: Territoire,
    *,
    reservataire: str | None = None,
    bailleur: str | None = None,
    sauf: tuple[str, ...] = (),
) -> LogementSocial:
    for lgt in territoire.logements:
        if (
            lgt.vacant
            and lgt.identifiant not in sauf
            and (reservataire is None or lgt.reservataire == reservataire)
            and (bailleur is None or lgt.bailleur == bailleur)
        ):
            return lgt
    raise AssertionError(f"no vacant dwelling for reservataire={reservataire} bailleur={bailleur}")


def entetes(jeton: str | None, if_match: int | str | None = None) -> dict[str, str]:
    h: dict[str, str] = {}
    if jeton is not None:
        h["Authorization"] = f"Bearer {jeton}"
    if if_match is not None:
        h["If-Match"] = if_match if isinstance(if_match, str) else f'"{if_match}"'
    return h


def commande(
    client: TestClient,
    jeton: str,
    numero: str,
    segment: str,
    corps: dict[str, Any],
    if_match: int | None = None,
    attendu: int = 200,
) -> dict[str, Any]:
    r = client.post(f"/demandes/{numero}/{segment}", json=corps, headers=entetes(jeton, if_match))
    assert r.status_code == attendu, (segment, r.status_code, r.text)
    if attendu == 200:
        assert r.headers["content-type"] == "application/json"
        res = r.json()
        assert r.headers["ETag"] == f'"{res["version"]}"'
        return res
    assert r.headers["content-type"] == PROBLEME, r.headers
    return r.json()


def probleme(r: Any, statut: int, regle: str) -> dict[str, Any]:
    assert r.status_code == statut, (r.status_code, r.text)
    assert r.headers["content-type"] == PROBLEME
    p = r.json()
    assert p["status"] == statut
    assert p["regle"] == regle, p
    assert p["type"] == f"urn:demand-ledger:regle:{regle}"
    assert p["title"] and p["detail"]
    return p


def foyer(jour: date, email: str = "amina.b@example.org") -> dict[str, Any]:
    """A registration payload with personal data (names, birth dates, contacts)."""
    return {
        "occurred_on": jour.isoformat(),
        "membres": [
            {
                "id": "m1",
                "role": "demandeur",
                "contrat": "CDD",
                "ressources": [
                    {"code": "SAL", "montant_mensuel": "900"},
                    {"code": "AF", "montant_mensuel": "150"},
                ],
                "commune_travail": "06029",
            },
            {"id": "m2", "role": "personne_a_charge"},
        ],
        "logement_actuel": {"modele": "CP", "commune": "06029", "pieces": 2, "occupants": 4},
        "souhaits": {"communes": ["06029", "06030"], "typologies": ["T2", "T3"]},
        "personnel": {
            "identites": [
                {
                    "membre": "m1",
                    "nom": "Benali",
                    "prenom": "Amina",
                    "date_naissance": "1996-05-02",
                },
                {
                    "membre": "m2",
                    "nom": "Benali",
                    "prenom": "Yanis",
                    "date_naissance": "2016-09-01",
                },
            ],
            "email": email,
            "telephone": "0600000001",
            "adresse": "12 rue d'Antibes, 06400 Cannes",
        },
    }


def enregistrer(client: TestClient, jeton: str, jour: date, **extra: Any) -> dict[str, Any]:
    r = client.post("/demandes", json={**foyer(jour), **extra}, headers=entetes(jeton))
    assert r.status_code == 201, r.text
    res = r.json()
    assert r.headers["Location"] == f"/demandes/{res['numero_unique']}"
    assert r.headers["ETag"] == f'"{res["version"]}"'
    return res


def historique(client: TestClient, jeton: str, numero: str) -> list[dict[str, Any]]:
    r = client.get(f"/demandes/{numero}/historique", headers=entetes(jeton))
    assert r.status_code == 200, r.text
    return r.json()


def jour_de(h: HorlogeReglable, jour: date, heure: int = 9) -> date:
    """Move the settable clock forward to `jour` at `heure` (UTC) and return `jour`: the fact is
    typed in on the day it occurred unless the test says otherwise. (The clock never goes back:
    it starts on 2026-11-23, so the life below runs from then on.)"""
    h.regler(datetime(jour.year, jour.month, jour.day, heure, tzinfo=UTC))
    return jour


# -- the whole life ----------------------------------------------------------------------------


def test_une_demande_de_l_enregistrement_au_bail(
    client: TestClient, registre: Registre, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    h = horloge_test
    guichet, guichet_agent = agent(territoire, "CANNES", 0)
    guichet2, guichet2_agent = agent(territoire, "CANNES", 1)
    als, als_agent = agent(territoire, "ALS")
    lgt1 = logement(territoire, reservataire="ALS")
    b1, b1_agent = agent(territoire, lgt1.bailleur)
    lgt2 = logement(territoire, bailleur="OPH-CPL", sauf=(lgt1.identifiant,))
    b2, b2_agent = agent(territoire, lgt2.bailleur)
    attendu: list[tuple[str, str, str, str]] = []  # (type, occurred_on, organisation, agent)

    def fait(type_: str, jour: date, org: str, qui: str) -> None:
        attendu.append((type_, jour.isoformat(), org, qui))

    # 1. Registration by a guichet, with personal data.
    j = jour_de(h, date(2026, 11, 23))
    res = enregistrer(client, guichet, j)
    numero, version = res["numero_unique"], res["version"]
    assert version == 1 and res["evenements"] == [1]
    fait("enregistrement", j, "CANNES", guichet_agent)

    r = client.get(f"/demandes/{numero}", headers=entetes(guichet))
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    v = r.json()
    assert v["active"] is True and v["filed_on"] == "2026-11-23"
    assert v["anniversaire"] == "2027-11-23"
    assert v["personnel"]["email"] == "amina.b@example.org"
    # Personal data never reach the store in clear (DOMAIN.md §8).
    brut = b"".join(n.state for n in registre.notifications(0, 1000))
    assert b"amina.b@example.org" not in brut and b"Benali" not in brut

    # 2. Modification by another agent of the guichet: field-level old and new values.
    j = jour_de(h, date(2027, 1, 12), 14)
    corps = {
        "occurred_on": j.isoformat(),
        "souhaits": {"communes": ["06030", "06029"], "typologies": ["T3"]},
        "logement_actuel": {"modele": "CP", "commune": "06029", "pieces": 2, "occupants": 5},
        "personnel": {**foyer(j)["personnel"], "email": "amina.benali@example.org"},
    }
    res = commande(client, guichet2, numero, "modifications", corps, if_match=version)
    version = res["version"]
    assert version == 2
    fait("modification", j, "CANNES", guichet2_agent)
    modif = historique(client, guichet, numero)[-1]
    assert modif["type"] == "modification"
    changements = {c["champ"]: (c["ancien"], c["nouveau"]) for c in modif["changements"]}
    assert changements == {
        "souhaits.communes": (["06029", "06030"], ["06030", "06029"]),
        "souhaits.typologies": (["T2", "T3"], ["T3"]),
        "logement_actuel.occupants": (4, 5),
        "personnel.email": ("amina.b@example.org", "amina.benali@example.org"),
    }

    # 3. Renewal, late in the cycle: the two notices that fell due are appended first (§4).
    j = jour_de(h, date(2027, 11, 5))
    res = commande(
        client, guichet, numero, "renouvellements", {"occurred_on": j.isoformat()}, version
    )
    assert res["evenements"] == [3, 4, 5]
    version = res["version"]
    fait("preavis_radiation", date(2027, 9, 23), "SYSTEME", "planificateur")
    fait("preavis_radiation", date(2027, 10, 23), "SYSTEME", "planificateur")
    fait("renouvellement", j, "CANNES", guichet_agent)
    assert (
        client.get(f"/demandes/{numero}", headers=entetes(guichet)).json()["anniversaire"]
        == "2028-11-05"
    )

    # 4. Designation by the réservataire of the dwelling's contingent. The demo territory is in
    # flux from 2027: its bailleur first orients the vacancy to that réservataire, under their
    # convention (docs/rules.md, "Gestion en flux").
    j = jour_de(h, date(2028, 2, 2))
    r = client.post(f"/logements/{lgt1.identifiant}/orientations",
                    json={"occurred_on": j.isoformat(), "reservataire": "ALS"}, headers=entetes(b1))
    assert r.status_code == 201, r.text
    res = commande(
        client,
        als,
        numero,
        "designations",
        {"occurred_on": j.isoformat(), "logement": lgt1.identifiant},
        version,
    )
    version = res["version"]
    fait("designation", j, "ALS", als_agent)

    # 5. CAL of the dwelling's bailleur: attribution par classement, rank 1.
    j = jour_de(h, date(2028, 2, 21))
    res = commande(
        client,
        b1,
        numero,
        "decisions-cal",
        {
            "occurred_on": j.isoformat(),
            "logement": lgt1.identifiant,
            "decision": "attribution_par_classement",
            "rang": 1,
            "moins_de_trois_candidats": "insuffisance_candidats",
        },
        version,
    )
    version = res["version"]
    fait("decision_cal", j, lgt1.bailleur, b1_agent)

    # 6. Refusal after CAL, qualified non recevable, with its décote: two events. Typed in two
    # days later, the day the décote is notified.
    j = date(2028, 3, 1)
    notification = jour_de(h, date(2028, 3, 3))
    res = commande(
        client,
        b1,
        numero,
        "refus",
        {
            "occurred_on": j.isoformat(),
            "logement": lgt1.identifiant,
            "stade": "apres_cal",
            "motif": "localisation", "texte": "logement trop éloigné de l'école",
            "qualification": "non_recevable",
            "appliquer_decote": True,
            "decote_notifiee_le": notification.isoformat(),
        },
        version,
    )
    assert len(res["evenements"]) == 2
    refus_v, decote_v = res["evenements"]
    version = res["version"]
    fait("refus", j, lgt1.bailleur, b1_agent)
    fait("decote", j, lgt1.bailleur, b1_agent)
    d = client.get(f"/demandes/{numero}", headers=entetes(guichet)).json()
    (decote,) = d["decotes"]
    assert decote["evenement"] == decote_v and decote["refus"] == refus_v
    assert (
        decote["notifiee_le"] == "2028-03-03" and decote["recours_possible_jusqua"] == "2028-03-18"
    )

    # 7. Recours filed on day 15 after the notification: still in time.
    j = jour_de(h, notification + timedelta(days=15))
    assert j == date(2028, 3, 18)
    res = commande(
        client,
        guichet,
        numero,
        "recours",
        {"occurred_on": j.isoformat(), "decote": decote_v},
        version,
    )
    version = res["version"]
    fait("recours", j, "CANNES", guichet_agent)

    # 8. Decided annulee by the bailleur that applied the décote, and by no one else.
    j = jour_de(h, date(2028, 4, 3))
    for autre in (
        guichet,
        agent(territoire, "ERILIA" if lgt1.bailleur != "ERILIA" else "LOGIREM")[0],
    ):
        r = client.post(
            f"/demandes/{numero}/decisions-recours",
            json={
                "occurred_on": j.isoformat(),
                "decote": decote_v,
                "decision": "annulee",
                "motivation": "x",
            },
            headers=entetes(autre, version),
        )
        p = probleme(r, 403, "auteur_de_la_decote")
        assert lgt1.bailleur in p["detail"]
    res = commande(
        client,
        b1,
        numero,
        "decisions-recours",
        {
            "occurred_on": j.isoformat(),
            "decote": decote_v,
            "decision": "annulee",
            "motivation": "l'école la plus proche est à 40 minutes en transports",
        },
        version,
    )
    version = res["version"]
    fait("decision_recours", j, lgt1.bailleur, b1_agent)
    d = client.get(f"/demandes/{numero}", headers=entetes(guichet)).json()
    # Annulled: treated as never applied, so the current state holds no décote (§5.3); the
    # history below still shows it.
    assert d["decotes"] == []

    # 9. Second designation, on another vacant dwelling, by its bailleur.
    j = jour_de(h, date(2028, 5, 4))
    res = commande(
        client,
        b2,
        numero,
        "designations",
        {"occurred_on": j.isoformat(), "logement": lgt2.identifiant},
        version,
    )
    version = res["version"]
    fait("designation", j, lgt2.bailleur, b2_agent)

    # 10. Attribution.
    j = jour_de(h, date(2028, 5, 22))
    res = commande(
        client,
        b2,
        numero,
        "decisions-cal",
        {
            "occurred_on": j.isoformat(),
            "logement": lgt2.identifiant,
            "decision": "attribution",
            "moins_de_trois_candidats": "insuffisance_candidats",
        },
        version,
    )
    version = res["version"]
    fait("decision_cal", j, lgt2.bailleur, b2_agent)

    # 11. Bail, and the automatic RADATT radiation in the same transaction.
    j = jour_de(h, date(2028, 6, 15), 16)
    res = commande(
        client,
        b2,
        numero,
        "baux",
        {"occurred_on": j.isoformat(), "logement": lgt2.identifiant},
        version,
    )
    assert len(res["evenements"]) == 2
    version = res["version"]
    fait("bail", j, lgt2.bailleur, b2_agent)
    fait("radiation", j, lgt2.bailleur, b2_agent)

    # The partner-traceable history tells every step, in order, with who and when.
    h.avancer(days=1)
    hist = historique(client, agent(territoire, "CIL-CACPL")[0], numero)  # an auditeur reads
    assert [(e["type"], e["occurred_on"], e["organisation"], e["agent"]) for e in hist] == attendu
    assert [e["evenement"] for e in hist] == list(range(1, version + 1))
    enregistres = [datetime.fromisoformat(e["recorded_at"]) for e in hist]
    assert enregistres == sorted(enregistres) and len(set(enregistres)) == len(enregistres)
    assert enregistres[0].date() == date(2026, 11, 23) and enregistres[-1].date() == date(
        2028, 6, 15
    )
    for e, quand in zip(hist, enregistres, strict=True):
        assert quand.date() >= date.fromisoformat(e["occurred_on"]), e
        assert e["canal"] == ("schedule" if e["organisation"] == "SYSTEME" else "api")
        assert e["supprime"] is None
    # Typed in two days after it occurred: both dates are kept.
    assert hist[refus_v - 1]["occurred_on"] == "2028-03-01" and enregistres[
        refus_v - 1
    ].date() == date(2028, 3, 3)
    par_type = {e["type"]: e for e in hist}
    assert hist[refus_v - 1]["details"]["qualification"] == "non_recevable"
    assert hist[refus_v - 1]["details"]["stade"] == "apres_cal"
    assert hist[decote_v - 1]["details"]["code"] == "decote_refus"
    assert hist[decote_v - 1]["details"]["refus"] == refus_v
    assert par_type["decision_recours"]["details"]["decision"] == "annulee"
    assert par_type["radiation"]["details"]["motif"] == "RADATT"
    assert par_type["bail"]["details"]["logement"] == lgt2.identifiant
    assert par_type["bail"]["details"]["situation"]["bailleur"] == lgt2.bailleur
    cal1 = hist[refus_v - 2]
    assert cal1["type"] == "decision_cal" and cal1["details"]["rang"] == 1
    assert cal1["details"]["decision"] == "attribution_par_classement"

    r = client.get(f"/demandes/{numero}", headers=entetes(guichet))
    assert r.status_code == 200 and r.headers["ETag"] == f'"{version}"'
    d = r.json()
    assert d["version"] == version
    assert d["active"] is False
    assert d["radiation"] == "RADATT" and d["radiee_le"] == "2028-06-15"
    cands = {c["logement"]: c for c in d["candidatures"]}
    assert cands[lgt1.identifiant]["refus"] == refus_v and cands[lgt1.identifiant]["bail"] is None
    assert cands[lgt1.identifiant]["contingent"] == "COLACT"
    assert cands[lgt2.identifiant]["bail"] == version - 1

    # Once radiated, nothing but what the rules allow: a modification is a broken domain rule.
    r = client.post(
        f"/demandes/{numero}/modifications",
        json={"occurred_on": "2028-06-16", "motifs": ["09"]},
        headers=entetes(guichet, version),
    )
    probleme(r, 422, "demande_radiee")


# -- ETag / If-Match -----------------------------------------------------------------------------


def test_if_match_perime_409_et_journal_inchange(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    guichet, _ = agent(territoire, "CANNES")
    numero = enregistrer(client, guichet, date(2026, 11, 2))["numero_unique"]
    r = client.get(f"/demandes/{numero}", headers=entetes(guichet))
    assert r.headers["ETag"] == '"1"'

    res = commande(
        client,
        guichet,
        numero,
        "modifications",
        {"occurred_on": "2026-11-03", "motifs": ["01"]},
        if_match=1,
    )
    assert res["version"] == 2
    # A weak validator carrying the current version is accepted too.
    r = client.post(
        f"/demandes/{numero}/modifications",
        json={"occurred_on": "2026-11-04", "motifs": ["02"]},
        headers=entetes(guichet, 'W/"2"'),
    )
    assert r.status_code == 200 and r.headers["ETag"] == '"3"', r.text

    position = registre.position()
    avant = historique(client, guichet, numero)
    r = client.post(
        f"/demandes/{numero}/modifications",
        json={"occurred_on": "2026-11-05", "motifs": ["03"]},
        headers=entetes(guichet, 1),
    )
    p = probleme(r, 409, "version_perimee")
    assert p["details"]["version"] == 3
    assert p["instance"] == f"/demandes/{numero}/modifications"
    assert registre.position() == position
    assert historique(client, guichet, numero) == avant
    r = client.get(f"/demandes/{numero}", headers=entetes(guichet))
    assert r.headers["ETag"] == '"3"' and r.json()["motifs"] == ["02"]

    # A malformed If-Match is refused, not ignored.
    r = client.post(
        f"/demandes/{numero}/renouvellements",
        json={"occurred_on": "2026-11-05"},
        headers=entetes(guichet, "trois"),
    )
    probleme(r, 422, "if_match_invalide")
    assert registre.position() == position


# -- 401, 403, 404, 422 -----------------------------------------------------------------


def test_401_sans_jeton_ou_jeton_inconnu(client: TestClient, territoire: Territoire) -> None:
    corps = foyer(date(2026, 11, 2))
    for jeton, regle in ((None, "jeton_requis"), ("pas-un-jeton", "jeton_inconnu")):
        for r in (
            client.post("/demandes", json=corps, headers=entetes(jeton)),
            client.get("/demandes/0060000000000000X", headers=entetes(jeton)),
            client.post(
                "/demandes/X/renouvellements",
                json={"occurred_on": "2026-11-02"},
                headers=entetes(jeton),
            ),
        ):
            probleme(r, 401, regle)
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = client.get("/demandes/X", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    probleme(r, 401, "jeton_requis")


def test_403_auditeur_et_bailleur_d_un_autre_logement(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    auditeur, _ = agent(territoire, "CIL-CACPL")
    oph, _ = agent(territoire, "OPH-CPL")
    erilia, _ = agent(territoire, "ERILIA")
    lgt = logement(territoire, bailleur="OPH-CPL")

    p = probleme(
        client.post("/demandes", json=foyer(date(2026, 11, 2)), headers=entetes(auditeur)),
        403,
        "lecture_seule",
    )
    assert "CIL-CACPL" in p["detail"]
    numero = enregistrer(client, oph, date(2026, 11, 2))["numero_unique"]
    commande(
        client,
        oph,
        numero,
        "designations",
        {"occurred_on": "2026-11-03", "logement": lgt.identifiant},
    )
    position = registre.position()

    r = client.post(
        f"/demandes/{numero}/modifications",
        json={"occurred_on": "2026-11-04", "motifs": ["01"]},
        headers=entetes(auditeur),
    )
    probleme(r, 403, "lecture_seule")
    r = client.post(
        f"/demandes/{numero}/decisions-cal",
        json={"occurred_on": "2026-11-04", "logement": lgt.identifiant, "decision": "attribution", "moins_de_trois_candidats": "insuffisance_candidats"},
        headers=entetes(erilia),
    )
    p = probleme(r, 403, "bailleur_du_logement")
    assert lgt.identifiant in p["detail"] and "OPH-CPL" in p["detail"] and "ERILIA" in p["detail"]
    r = client.post(
        f"/logements/{lgt.identifiant}/vacances",
        json={"occurred_on": "2026-11-04"},
        headers=entetes(erilia),
    )
    probleme(r, 403, "bailleur_du_logement")
    assert registre.position() == position
    # The rightful bailleur may.
    commande(
        client,
        oph,
        numero,
        "decisions-cal",
        {
            "occurred_on": "2026-11-04",
            "logement": lgt.identifiant,
            "decision": "attribution",
            "moins_de_trois_candidats": "insuffisance_candidats",
        },
    )


def test_404_demande_inconnue(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    guichet, _ = agent(territoire, "CANNES")
    for r in (
        client.get("/demandes/006INCONNUE", headers=entetes(guichet)),
        client.get("/demandes/006INCONNUE/historique", headers=entetes(guichet)),
        client.post(
            "/demandes/006INCONNUE/renouvellements",
            json={"occurred_on": "2026-11-02"},
            headers=entetes(guichet),
        ),
    ):
        p = probleme(r, 404, "demande_inconnue")
        assert "006INCONNUE" in p["detail"]
    assert registre.position() == 0


def test_422_champ_inconnu_mauvais_type_et_regle_du_domaine(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    guichet, _ = agent(territoire, "CANNES")
    oph, _ = agent(territoire, "OPH-CPL")
    lgt = logement(territoire, bailleur="OPH-CPL")
    numero = enregistrer(client, oph, date(2026, 11, 2))["numero_unique"]
    commande(
        client,
        oph,
        numero,
        "designations",
        {"occurred_on": "2026-11-03", "logement": lgt.identifiant},
    )
    position = registre.position()

    # Unknown field: a typo never passes silently.
    r = client.post(
        f"/demandes/{numero}/modifications",
        json={"occurred_on": "2026-11-04", "motif": ["A"]},
        headers=entetes(guichet),
    )
    p = probleme(r, 422, "payload_invalide")
    assert "motif" in p["detail"]
    corps = foyer(date(2026, 11, 4))
    corps["souhaits"]["accepte_qpvv"] = True
    p = probleme(
        client.post("/demandes", json=corps, headers=entetes(guichet)), 422, "payload_invalide"
    )
    assert "accepte_qpvv" in p["detail"]

    # Wrong types.
    r = client.post(
        f"/demandes/{numero}/decisions-cal",
        json={
            "occurred_on": "2026-11-04",
            "logement": lgt.identifiant,
            "decision": "attribution_par_classement", "moins_de_trois_candidats": "insuffisance_candidats",
            "rang": "premier",
        },
        headers=entetes(oph),
    )
    p = probleme(r, 422, "payload_invalide")
    assert "rang" in p["detail"]
    r = client.post(
        f"/demandes/{numero}/renouvellements",
        json={"occurred_on": "le 4 novembre"},
        headers=entetes(guichet),
    )
    probleme(r, 422, "payload_invalide")
    r = client.post(
        f"/demandes/{numero}/renouvellements", content=b"{not json", headers=entetes(guichet)
    )
    probleme(r, 422, "json_invalide")
    r = client.post(f"/demandes/{numero}/renouvellements", headers=entetes(guichet))
    probleme(r, 422, "payload_requis")

    # Broken domain rules, each named.
    r = client.post(
        f"/demandes/{numero}/decisions-cal",
        json={
            "occurred_on": "2026-11-04",
            "logement": lgt.identifiant,
            "decision": "attribution_par_classement", "moins_de_trois_candidats": "insuffisance_candidats",
        },
        headers=entetes(oph),
    )
    probleme(r, 422, "rang_requis")
    r = client.post(
        f"/demandes/{numero}/renouvellements",
        json={"occurred_on": "2026-11-24"},
        headers=entetes(guichet),
    )
    p = probleme(r, 422, "date_future")
    assert "2026-11-23" in p["detail"]
    r = client.post(
        f"/demandes/{numero}/renouvellements",
        json={"occurred_on": "2026-11-01"},
        headers=entetes(guichet),
    )
    p = probleme(r, 422, "date_anterieure")
    assert p["details"]["dernier_evenement_le"] == "2026-11-03"
    assert registre.position() == position


def test_recours_au_seizieme_jour_refuse_avec_la_date_due(
    client: TestClient, registre: Registre, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    oph, _ = agent(territoire, "OPH-CPL")
    guichet, _ = agent(territoire, "CANNES")
    lgt = logement(territoire, bailleur="OPH-CPL")
    # Registered today (the clock's 2026-11-23); each later fact is typed in on its own day.
    numero = enregistrer(client, guichet, date(2026, 11, 23))["numero_unique"]
    horloge_test.regler(date(2026, 11, 25))
    commande(
        client,
        oph,
        numero,
        "designations",
        {"occurred_on": "2026-11-25", "logement": lgt.identifiant},
    )
    horloge_test.regler(date(2026, 12, 3))
    commande(
        client,
        oph,
        numero,
        "decisions-cal",
        {"occurred_on": "2026-12-03", "logement": lgt.identifiant, "decision": "attribution", "moins_de_trois_candidats": "insuffisance_candidats"},
    )
    horloge_test.regler(date(2026, 12, 10))
    res = commande(
        client,
        oph,
        numero,
        "refus",
        {
            "occurred_on": "2026-12-10",
            "logement": lgt.identifiant,
            "stade": "apres_cal",
            "motif": "autre",
            "qualification": "non_recevable",
            "appliquer_decote": True,
        },
    )
    decote_v = res["evenements"][-1]
    horloge_test.regler(date(2026, 12, 26))
    position = registre.position()
    # Notified on the décote's date (2026-12-10): due by 2026-12-25; day 16 is too late.
    r = client.post(
        f"/demandes/{numero}/recours",
        json={"occurred_on": "2026-12-26", "decote": decote_v},
        headers=entetes(guichet),
    )
    p = probleme(r, 422, "recours_hors_delai")
    assert "2026-12-25" in p["detail"]
    assert p["details"]["du_au_plus_tard"] == "2026-12-25"
    assert registre.position() == position


# -- OpenAPI -----------------------------------------------------------------------------


def test_openapi_liste_chaque_endpoint_et_schema(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    chemins = doc["paths"]
    attendus = {
        ("/demandes", "post"),
        ("/demandes/{numero_unique}", "get"),
        ("/demandes/{numero_unique}/historique", "get"),
        ("/logements/{identifiant}/vacances", "post"),
    } | {(f"/demandes/{{numero_unique}}/{segment}", "post") for segment, _, _ in COMMANDES}
    presents = {(p, m) for p, ops in chemins.items() for m in ops}
    assert attendus <= presents, attendus - presents
    assert len(COMMANDES) == 28  # issue 10: the dossier unique; priorites, eligibilites
    dossier = {
        ("/demandes/{numero_unique}/pieces/{piece}/fichier", "put"),
        ("/demandes/{numero_unique}/pieces/{piece}/fichier", "get"),
        ("/demandes/{numero_unique}/attestations/{type_attestation}.pdf", "get"),
        ("/depots", "post"), ("/depots/{reference}", "get"), ("/depots/{reference}/retractations", "post"),
    }
    assert dossier <= presents, dossier - presents
    commissions = {
        ("/commissions", "post"), ("/commissions", "get"), ("/commissions/{session}/inscriptions", "post"),
        ("/commissions/{session}/decisions", "post"), ("/commissions/{session}/cloture", "post"),
        ("/commissions/{session}/proces-verbal", "get"), ("/commissions/{session}/proces-verbal.pdf", "get"),
        ("/demandes/{numero_unique}/commissions", "get"), ("/logements/{identifiant}/orientations", "post"),
        ("/bilan-du-flux", "get"),
    }
    assert commissions <= presents, commissions - presents

    schemas = doc["components"]["schemas"]
    noms = {"Probleme", "Resultat", Enregistrer.__name__, DeclarerVacance.__name__} | {
        t.__name__ for _, t, _ in COMMANDES
    }
    assert noms <= set(schemas), noms - set(schemas)
    assert set(schemas["Probleme"]["required"]) >= {"type", "title", "status", "detail", "regle"}
    assert "membres" in schemas["Enregistrer"]["properties"]
    # Unknown fields are refused: the schema says so.
    for nom in noms - {"Probleme", "Resultat"}:
        assert schemas[nom].get("additionalProperties") is False, nom

    # Each command endpoint takes its own payload and documents its errors as problem+json.
    for segment, t, _ in COMMANDES:
        op = chemins[f"/demandes/{{numero_unique}}/{segment}"]["post"]
        assert op["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{t.__name__}"
        }
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Resultat"
        }
        for code in ("401", "403", "404", "409", "422"):
            assert op["responses"][code]["content"][PROBLEME]["schema"] == {
                "$ref": "#/components/schemas/Probleme"
            }
    op = chemins["/demandes"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Enregistrer"
    }

    # Every $ref resolves.
    def refs(x: Any) -> Iterator[str]:
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "$ref":
                    yield v
                else:
                    yield from refs(v)
        elif isinstance(x, list):
            for v in x:
                yield from refs(v)

    for ref in set(refs(doc)):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref

    if importlib.util.find_spec("openapi_spec_validator") is not None:  # only if already installed
        from openapi_spec_validator import validate  # type: ignore[import-not-found]

        validate(doc)
