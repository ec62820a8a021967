"""Input that cannot hurt the ledger, on SQLite and PostgreSQL (docs/rules.md, "Input limits"):
every refused request is a problem+json naming what is wrong and leaves the log exactly as it
was (its length is checked); the values that used to break every later read (an amount of
1e999999999, NaN, a numéro with a slash or a trailing space, a date in year 1) never reach it.
Also the permission holes of issue 12 over HTTP, and the rate limits on failed
authentications (the clock is the suite's, moved by the test)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from fastapi.testclient import TestClient

from adapters.clock import HorlogeReglable
from adapters.code_demandeur import VARIABLE_DOSSIER
from adapters.registre import Registre
from api import garde, limites
from api.app import creer_app
from domain.territoire import Territoire
from tests.http.test_http_life import agent, entetes, foyer, logement, probleme

JOUR = date(2026, 11, 20)


@pytest.fixture
def client(registre: Registre, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv(VARIABLE_DOSSIER, str(tmp_path / "donnees"))
    with TestClient(creer_app(registre)) as c:
        yield c


def guichet(territoire: Territoire) -> dict[str, str]:
    return entetes(agent(territoire, "CANNES")[0])


def refuse(
    client: TestClient, registre: Registre, methode: str, url: str, statut: int, regle: str,
    **kw: Any,
) -> dict[str, Any]:
    """The request is refused with `statut` and `regle`, and nothing was appended."""
    avant = registre.position()
    r = client.request(methode, url, **kw)
    p = probleme(r, statut, regle)
    assert registre.position() == avant, "a refused request appended events"
    return p


def avec(chemin: str, valeur: Any) -> dict[str, Any]:
    """A registration payload with `valeur` at `chemin` (dotted, list indexes as numbers)."""
    corps = copy.deepcopy(foyer(JOUR))
    *tete, fin = [int(x) if x.isdigit() else x for x in chemin.split(".")]
    cible: Any = corps
    for x in tete:
        cible = cible.setdefault(x, {}) if isinstance(x, str) else cible[x]
    cible[fin] = valeur
    return corps


# -- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chemin", "valeur", "regle"),
    [
        ("membres.0.ressources.0.montant_mensuel", "1e999999999", "nombre_hors_bornes"),
        ("membres.0.ressources.0.montant_mensuel", "-1e999999999", "nombre_hors_bornes"),
        ("membres.0.ressources.0.montant_mensuel", "Infinity", "nombre_invalide"),
        ("membres.0.ressources.0.montant_mensuel", "-Infinity", "nombre_invalide"),
        ("membres.0.ressources.0.montant_mensuel", "NaN", "nombre_invalide"),
        ("membres.0.ressources.0.montant_mensuel", "1e-999999999", "nombre_hors_bornes"),
        ("membres.0.ressources.0.montant_mensuel", "1000000001", "nombre_hors_bornes"),
        ("logement_actuel.loyer", "NaN", "nombre_invalide"),
        ("logement_actuel.loyer", "1e999999999", "nombre_hors_bornes"),
        ("logement_actuel.loyer", "-350", "loyer_negatif"),
        ("logement_actuel.pieces", -3, "nombre_hors_bornes"),
        ("logement_actuel.occupants", 10**30, "nombre_hors_bornes"),
        ("complements.logement.surface", "Infinity", "nombre_invalide"),
        ("complements.membres", [{"membre": "m1", "revenus_fiscaux": {"montant_moins1": "NaN"}}],
         "nombre_invalide"),
    ],
)
def test_un_nombre_infini_ou_demesure_est_refuse_en_nommant_le_champ(
    client: TestClient, registre: Registre, territoire: Territoire, chemin: str, valeur: Any, regle: str
) -> None:
    p = refuse(client, registre, "POST", "/demandes", 422, regle, json=avec(chemin, valeur),
               headers=guichet(territoire))
    champ = p["details"].get("champ", "")
    assert champ.split(".")[-1] == chemin.split(".")[-1] or chemin.split(".")[-1] in p["detail"], p
    # The ledger still answers every read: nothing was stored that could break one.
    assert client.get("/statistiques?annee=2026", headers=guichet(territoire)).status_code == 200


def test_un_montant_raisonnable_passe_et_se_lit(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    r = client.post("/demandes", json=avec("membres.0.ressources.0.montant_mensuel", "1234.5678"),
                    headers=guichet(territoire))
    assert r.status_code == 201, r.text
    numero = r.json()["numero_unique"]
    assert client.get(f"/demandes/{numero}/cotation", headers=guichet(territoire)).status_code == 200


# -- numéros uniques ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "numero",
    ["006é126000001OPH01", "0061126000002OPH01 ", " 0061126000002OPH01", "006/1126000003OPH",
     "..", "-IMPORT", "", "A" * 41, "006 1126", "006%2F11", "NUMÉRO"],
)
def test_un_numero_unique_hors_forme_est_refuse_sans_rien_ajouter(
    client: TestClient, registre: Registre, territoire: Territoire, numero: str
) -> None:
    p = refuse(client, registre, "POST", "/demandes", 422, "numero_unique_invalide",
               json={**foyer(JOUR), "numero_unique": numero}, headers=guichet(territoire))
    assert p["details"]["champ"] == "numero_unique"


@pytest.mark.parametrize("numero", ["0061126000042OPH01", "006-IMPORT-0000042", "import_7"])
def test_un_numero_national_ou_de_l_alphabet_sur_est_accepte_et_se_relit(
    client: TestClient, registre: Registre, territoire: Territoire, numero: str
) -> None:
    r = client.post("/demandes", json={**foyer(JOUR), "numero_unique": numero}, headers=guichet(territoire))
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/demandes/{numero}"
    assert client.get(f"/demandes/{numero}", headers=guichet(territoire)).json()["numero_unique"] == numero


# -- dates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chemin", "valeur", "regle"),
    [
        ("occurred_on", "0001-01-01", "date_hors_bornes"),
        ("filed_on", "0001-01-01", "date_hors_bornes"),
        ("anniversaire", "9999-12-31", "date_hors_bornes"),
        ("personnel.identites.0.date_naissance", "0001-01-01", "date_hors_bornes"),
        ("personnel.naissances_prevues", {"nombre": 1, "date_prevue": "9999-01-01"}, "date_hors_bornes"),
    ],
)
def test_une_date_hors_des_bornes_est_refusee(
    client: TestClient, registre: Registre, territoire: Territoire, chemin: str, valeur: Any, regle: str
) -> None:
    p = refuse(client, registre, "POST", "/demandes", 422, regle, json=avec(chemin, valeur),
               headers=guichet(territoire))
    assert valeur if isinstance(valeur, str) else valeur["date_prevue"] in p["detail"]


def test_dates_des_parametres_de_lecture_422_jamais_500(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    g = guichet(territoire)
    numero = client.post("/demandes", json=foyer(JOUR), headers=g).json()["numero_unique"]
    for url, parametre in (
        (f"/demandes/{numero}/cotation?connu_a=2026-11-23T08:00:00", "connu_a"),
        (f"/demandes/{numero}/cotation?connu_a=0001-01-01T00:00:00%2B00:00", "connu_a"),
        (f"/demandes/{numero}/cotation?au=0001-01-01", "au"),
        ("/statistiques?annee=1", "annee"),
        ("/statistiques?annee=99999", "annee"),
        ("/statistiques?du=0001-01-01&au=2026-01-01", "du"),
        ("/statistiques?annee=2026&connu_a=0001-01-01T00:00", "connu_a"),
        ("/echeances?du=0001-01-01&au=2026-12-31", "du"),
        ("/echeances?du=2026-01-01&au=9999-12-31", "au"),
        ("/recours?statut=decide&du=0001-01-01", "du"),
        ("/commissions?du=0001-01-01", "du"),
    ):
        p = probleme(client.get(url, headers=g), 422, "parametre_invalide")
        assert p["details"]["parametre"] == parametre, (url, p)
    # With its offset, an instant is read (the registration was recorded at 09:00 UTC).
    for instant in ("2026-11-23T09:30:00Z", "2026-11-23T10:30:00%2B01:00"):
        assert client.get(f"/demandes/{numero}/cotation?connu_a={instant}", headers=g).status_code == 200


# -- strings, codes, communes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chemin", "valeur", "regle"),
    [
        ("personnel.commentaire", "x" * 2001, "texte_trop_long"),
        ("personnel.identites.0.nom", "Benali\x00", "caractere_interdit"),
        ("membres.0.id", "m\x1b[31m", "caractere_interdit"),
        ("membres.0.contrat", "CDX", "payload_invalide"),
        ("souhaits.typologies", ["T9"], "payload_invalide"),
        ("souhaits.communes", ["06029", "75056"], "commune_hors_territoire"),
        ("souhaits.communes", ["Cannes"], "commune_invalide"),
        ("motifs", ["SANS"], "motif_inconnu"),
        ("motifs", ["24"], "motif_inconnu"),
    ],
)
def test_textes_codes_et_communes(
    client: TestClient, registre: Registre, territoire: Territoire, chemin: str, valeur: Any, regle: str
) -> None:
    refuse(client, registre, "POST", "/demandes", 422, regle, json=avec(chemin, valeur), headers=guichet(territoire))


def test_une_modification_vers_une_commune_hors_territoire_est_refusee(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    g = guichet(territoire)
    numero = client.post("/demandes", json=foyer(JOUR), headers=g).json()["numero_unique"]
    refuse(client, registre, "POST", f"/demandes/{numero}/modifications", 422, "commune_hors_territoire",
           json={"occurred_on": "2026-11-21", "souhaits": {"communes": ["13055"], "typologies": ["T2"]}}, headers=g)


def test_un_territoire_qui_le_permet_accepte_des_communes_hors_epci(
    stockage: Any, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    ouvert = msgspec.structs.replace(territoire, souhaits_hors_epci=True)
    registre = Registre(stockage, ouvert)
    try:
        with TestClient(creer_app(registre)) as c:
            r = c.post("/demandes", json=avec("souhaits.communes", ["06029", "75056"]), headers=guichet(ouvert))
            assert r.status_code == 201, r.text
    finally:
        registre.close()


# -- media type and size --------------------------------------------------------------------------------


def test_un_corps_qui_n_est_pas_du_json_est_415(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    g = guichet(territoire)
    corps = msgspec.json.encode(foyer(JOUR))
    for type_ in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        p = refuse(client, registre, "POST", "/demandes", 415, "type_de_contenu_non_pris_en_charge",
                   content=corps, headers={**g, "Content-Type": type_})
        assert type_ in p["detail"]
    numero = client.post("/demandes", json=foyer(JOUR), headers=g).json()["numero_unique"]
    refuse(client, registre, "POST", f"/demandes/{numero}/renouvellements", 415, "type_de_contenu_non_pris_en_charge",
           content=b'{"occurred_on": "2026-11-21"}', headers={**g, "Content-Type": "text/plain"})
    refuse(client, registre, "POST", "/recherche", 415, "type_de_contenu_non_pris_en_charge",
           content=b'{"nom": "Benali", "date_naissance": "1996-05-02"}', headers={**g, "Content-Type": "text/plain"})
    # application/json with its charset, and a JSON body sent without any Content-Type, are read.
    r = client.post(f"/demandes/{numero}/renouvellements", content=b'{"occurred_on": "2026-11-21"}',
                    headers={**g, "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text


def test_un_corps_trop_grand_est_413_declare_ou_en_flux(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    g = {**guichet(territoire), "Content-Type": "application/json"}
    grand = b'{"occurred_on": "2026-11-20", "x": "' + b"x" * garde.TAILLE_MAX + b'"}'
    p = refuse(client, registre, "POST", "/demandes", 413, "requete_trop_grande", content=grand, headers=g)
    assert p["details"]["limite_octets"] == garde.TAILLE_MAX

    def morceaux() -> Iterator[bytes]:  # chunked: no Content-Length to trust
        yield b'{"occurred_on": "2026-11-20", "x": "'
        for _ in range(garde.TAILLE_MAX // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    refuse(client, registre, "POST", "/demandes", 413, "requete_trop_grande", content=morceaux(), headers=g)


def test_la_limite_de_taille_se_regle(
    registre: Registre, territoire: Territoire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(garde.VARIABLE_TAILLE, "200")
    with TestClient(creer_app(registre)) as c:
        refuse(c, registre, "POST", "/demandes", 413, "requete_trop_grande", json=foyer(JOUR),
               headers=guichet(territoire))
    monkeypatch.setenv(garde.VARIABLE_TAILLE, "deux cents")
    with pytest.raises(ValueError, match=garde.VARIABLE_TAILLE):
        creer_app(registre)


def test_les_erreurs_de_fastapi_sont_problem_json(client: TestClient, territoire: Territoire) -> None:
    g = guichet(territoire)
    probleme(client.get("/nulle-part", headers=g), 404, "chemin_inconnu")
    probleme(client.delete("/demandes", headers=g), 405, "methode_non_permise")
    probleme(client.get("/echeances?du=hier&au=demain", headers=g), 422, "parametre_invalide")
    probleme(client.get("/logements?limite=0", headers=g), 422, "parametre_invalide")


# -- the permission holes ------------------------------------------------------------------------------


def test_une_retractation_par_un_autre_que_l_auteur_est_403(
    client: TestClient, registre: Registre, territoire: Territoire
) -> None:
    g = guichet(territoire)
    oph = entetes(agent(territoire, "OPH-CPL")[0])
    numero = client.post("/demandes", json=foyer(JOUR), headers=g).json()["numero_unique"]
    lgt = logement(territoire, bailleur="OPH-CPL")
    (designation,) = client.post(f"/demandes/{numero}/designations",
                                 json={"occurred_on": "2026-11-21", "logement": lgt.identifiant},
                                 headers=oph).json()["evenements"]
    p = refuse(client, registre, "POST", f"/demandes/{numero}/retractations", 403, "retractation_par_l_auteur",
               json={"occurred_on": "2026-11-21", "evenement": designation, "motif": "erreur"}, headers=g)
    assert "OPH-CPL" in p["detail"] and p["details"]["auteur"] == "OPH-CPL"


# -- rate limits on failed authentications -----------------------------------------------------------


def _bloque(r: Any) -> int:
    p = probleme(r, 429, "trop_de_tentatives")
    attente = int(r.headers["Retry-After"])
    assert 1 <= attente <= limites.FENETRE and p["details"]["retry_after"] == attente
    return attente


def test_jetons_faux_429_avec_retry_after_puis_de_nouveau_permis(
    client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    bon = guichet(territoire)
    for i in range(limites.ECHECS_MAX):
        probleme(client.get("/logements", headers=entetes(f"faux-{i}")), 401, "jeton_inconnu")
        horloge_test.avancer(seconds=1)
    attente = _bloque(client.get("/logements", headers=entetes("faux-x")))
    # Blocked: even the right token from this source is not looked at.
    _bloque(client.get("/logements", headers=bon))
    horloge_test.avancer(seconds=attente)
    assert client.get("/logements", headers=bon).status_code == 200
    # The window slides: the second failure is the oldest now, gone one second later.
    probleme(client.get("/logements", headers=entetes("faux-y")), 401, "jeton_inconnu")


def test_codes_demandeur_faux_429_par_demande(
    client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    g = guichet(territoire)
    numero = client.post("/demandes", json=foyer(JOUR), headers=g).json()["numero_unique"]
    code = client.get(f"/demandes/{numero}/code-demandeur", headers=g).json()["code"]
    for i in range(limites.ECHECS_MAX):
        probleme(client.get(f"/demandeur/{numero}", headers=entetes(f"FAUX-{i}")), 401, "code_demandeur_invalide")
    attente = _bloque(client.get(f"/demandeur/{numero}", headers=entetes(code)))
    # (The suite's clock stands still between moves, each reading a microsecond after the last:
    # Retry-After seconds after the instant it stands at, plus those microseconds.)
    horloge_test.avancer(seconds=attente, milliseconds=1)
    assert client.get(f"/demandeur/{numero}", headers=entetes(code)).status_code == 200
    # The demandeur's form counts in the same place.
    for i in range(limites.ECHECS_MAX):
        probleme(client.get(f"/demandeur/{numero}", headers=entetes(f"FAUX-{i}")), 401, "code_demandeur_invalide")
    page = client.get("/mon-dossier")
    jeton = re.search(r'name="_csrf" value="([^"]+)"', page.text)
    assert jeton is not None
    r = client.post("/mon-dossier", data={"_csrf": jeton.group(1), "numero_unique": numero, "code": code})
    assert r.status_code == 429 and 'data-regle="trop_de_tentatives"' in r.text and r.headers["Retry-After"]


def test_formulaire_de_connexion_429(
    client: TestClient, territoire: Territoire, horloge_test: HorlogeReglable
) -> None:
    page = client.get("/connexion")
    m = re.search(r'name="_csrf" value="([^"]+)"', page.text)
    assert m is not None
    jeton_csrf = m.group(1)

    def connexion(jeton: str) -> Any:
        return client.post("/connexion", data={"_csrf": jeton_csrf, "identifiant": "oph-cpl-1", "jeton": jeton,
                                               "suite": "/espace"}, follow_redirects=False)

    for i in range(limites.ECHECS_MAX):
        assert connexion(f"faux-{i}").status_code == 401
    r = connexion("demo-oph-cpl-1")
    assert r.status_code == 429 and 'data-regle="trop_de_tentatives"' in r.text
    horloge_test.avancer(seconds=int(r.headers["Retry-After"]), milliseconds=1)
    assert connexion("demo-oph-cpl-1").status_code == 303
