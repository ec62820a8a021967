"""Personal data (DOMAIN.md §8) on the real store, both databases: they never reach the events table
in clear, and destroying the demand's key (crypto-shredding) leaves every event readable with its
personal fields erased and everything else intact."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from uuid import UUID

import msgspec
import psycopg
import sqlalchemy as sa

from adapters.database import Stockage
from adapters.registre import Registre, Resultat
from adapters.tables import cles_demandes
from domain import commandes as c
from domain.codes import (
    ModeleLogement,
    MotifRadiation,
    RessourceRecue,
    RoleMembre,
    StatutDalo,
    TypeContratTravail,
    Typologie,
)
from domain.demande import Demande
from domain.foyer import (
    DonneesPersonnelles,
    Efface,
    Identite,
    LogementActuel,
    Membre,
    Ressource,
    Souhaits,
)

NOM = "Quennehervé"
PRENOM = "Aurélien"
NOM_CONJOINTE = "Oyelaran-Bakkali"
PRENOM_CONJOINTE = "Maëlys"
PRENOM_ENFANT = "Timothée"
NAISSANCE = date(1961, 7, 19)
NAISSANCE_CONJOINTE = date(1964, 12, 3)
NAISSANCE_ENFANT = date(2013, 2, 17)
EMAIL = "aurelien.quenneherve@courriel.example"
TELEPHONE = "+33 6 71 42 93 58"
NOUVEAU_TELEPHONE = "04 93 88 17 26"
ADRESSE = "17 chemin des Mimosas, Cannes"
EMPLOYEUR = "Boulangerie Vauban-Lérins"
COMMENTAIRE = "rappeler après 18h, interphone cassé"

MEMBRES = (
    Membre(
        id="m1",
        role=RoleMembre.demandeur,
        contrat=TypeContratTravail.CDI,
        ressources=(Ressource(RessourceRecue.SAL, Decimal("1712.40")), Ressource(RessourceRecue.AF, Decimal("0"))),
        commune_travail="06029",
    ),
    Membre(id="m2", role=RoleMembre.cotitulaire, contrat=TypeContratTravail.RET,
           ressources=(Ressource(RessourceRecue.RET, Decimal("980.15")),)),
    Membre(id="m3", role=RoleMembre.personne_a_charge),
)
SOUHAITS = Souhaits(communes=("06029", "06085"), typologies=(Typologie.T3, Typologie.T4), accepte_qpv=False)
LOGEMENT_ACTUEL = LogementActuel(modele=ModeleLogement.LP, commune="06030", pieces=2, occupants=3, loyer=Decimal("845.00"))
PERSONNEL = DonneesPersonnelles(
    identites=(
        Identite(membre="m1", nom=NOM, prenom=PRENOM, date_naissance=NAISSANCE, employeur=EMPLOYEUR),
        Identite(membre="m2", nom=NOM_CONJOINTE, prenom=PRENOM_CONJOINTE, date_naissance=NAISSANCE_CONJOINTE),
        Identite(membre="m3", nom=NOM, prenom=PRENOM_ENFANT, date_naissance=NAISSANCE_ENFANT),
    ),
    email=EMAIL,
    telephone=TELEPHONE,
    adresse=ADRESSE,
    commentaire=COMMENTAIRE,
)
SECRETS = [
    NOM, PRENOM, NOM_CONJOINTE, PRENOM_CONJOINTE, PRENOM_ENFANT, EMAIL, TELEPHONE, NOUVEAU_TELEPHONE,
    ADRESSE, EMPLOYEUR, COMMENTAIRE,
    *(d.isoformat() for d in (NAISSANCE, NAISSANCE_CONJOINTE, NAISSANCE_ENFANT)),
    *(d.strftime("%d/%m/%Y") for d in (NAISSANCE, NAISSANCE_CONJOINTE, NAISSANCE_ENFANT)),
    *(d.strftime("%Y%m%d") for d in (NAISSANCE, NAISSANCE_CONJOINTE, NAISSANCE_ENFANT)),
    "Quenneherv",  # an ASCII fragment, in case accents were escaped
    "aurelien.quenneherve",
    "71 42 93 58",
]


def executer(registre: Registre, org: str, commande: c.Commande, numero: str | None = None) -> Resultat:
    return registre.executer(
        registre.territoire.organisation(org), org.lower() + "-1", commande, numero_unique=numero
    )


def enregistrer(registre: Registre, jour: date) -> str:
    numero = executer(
        registre,
        "CANNES",
        c.Enregistrer(
            occurred_on=jour,
            membres=MEMBRES,
            souhaits=SOUHAITS,
            logement_actuel=LOGEMENT_ACTUEL,
            motifs=("01",),
            situations=("handicap",),
            personnel=PERSONNEL,
        ),
    ).numero_unique
    # A modification carrying personal data too: a new phone number.
    executer(
        registre,
        "OPH-CPL",
        c.Modifier(
            occurred_on=date.fromordinal(jour.toordinal() + 10),
            personnel=msgspec.structs.replace(PERSONNEL, telephone=NOUVEAU_TELEPHONE),
            situations=("handicap", "divorce_separation"),
        ),
        numero,
    )
    executer(registre, "ETAT-06", c.ReconnaitreDalo(occurred_on=date.fromordinal(jour.toordinal() + 20),
                                                    statut=StatutDalo.ACTIF), numero)
    return numero


def lignes_brutes(stockage: Stockage) -> list[tuple]:
    """Every row of the events table, read with the database's own driver, no mapper."""
    table = stockage.table_evenements
    if stockage.postgres:
        env = stockage.eventsourcing_env
        with psycopg.connect(
            host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None, dbname=env["POSTGRES_DBNAME"],
        ) as conn:
            return conn.execute(
                f'SELECT originator_id::text, originator_version, topic, state FROM "{stockage.schema}".{table} '
                "ORDER BY notification_id"
            ).fetchall()
    assert stockage.sqlite_path is not None
    conn = sqlite3.connect(stockage.sqlite_path)
    try:
        return conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table} ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()


def octets(ligne: tuple) -> bytes:
    return b"\x00".join(x if isinstance(x, bytes) else bytes(x) if isinstance(x, memoryview) else str(x).encode()
                        for x in ligne)


def assert_aucune_donnee_personnelle(stockage: Stockage, numero: str) -> list[tuple]:
    ident = Demande.id_pour(numero)
    lignes = [ligne for ligne in lignes_brutes(stockage) if UUID(str(ligne[0])) == ident]
    assert len(lignes) >= 3
    for ligne in lignes:
        brut = octets(ligne)
        # A ciphertext is stored base64-encoded: look inside too, so that an "encryption" that
        # only encodes would be caught.
        personnel = json.loads(bytes(ligne[3])).get("personnel")
        if isinstance(personnel, dict) and "chiffre" in personnel:
            brut += b"\x00" + base64.b64decode(personnel["chiffre"])
        for secret in SECRETS:
            for forme in {secret.encode(), json.dumps(secret)[1:-1].encode()}:  # raw or \u-escaped
                assert forme not in brut, f"{secret!r} in clear in event {ligne[1]} ({ligne[2]})"
    return lignes


@contextmanager
def frais(registre: Registre) -> Iterator[Registre]:
    """A new application on the same store: no cache (of aggregates or keys) to hide an erasure."""
    r = Registre(registre.stockage, registre.territoire)
    try:
        yield r
    finally:
        r.close()


def signature(f: Demande.Event) -> tuple:
    """Everything of an event but its personal field."""
    return tuple(
        (k, v) for k, v in sorted(vars(f).items()) if k != "personnel"
    )


# -- never in clear ------------------------------------------------------------------------------


def test_personal_data_never_reach_the_events_table_in_clear(registre: Registre) -> None:
    numero = enregistrer(registre, date(2026, 3, 2))
    lignes = assert_aucune_donnee_personnelle(registre.stockage, numero)
    brut = b"".join(octets(ligne) for ligne in lignes)
    # The rows are the demand's, and the facts statistics need stay readable in them.
    assert b"06029" in brut and b"06085" in brut and b"1712.40" in brut and b"ACTIF" in brut
    assert b"chiffre" in brut
    # The ledger reads them back in clear with the key.
    with_key = registre.demande(numero)
    assert with_key.etat.personnel is not None
    assert with_key.etat.personnel.telephone == NOUVEAU_TELEPHONE
    assert with_key.faits[0].personnel == PERSONNEL


# -- crypto-shredding ----------------------------------------------------------------------------


def _assert_efface_et_intact(avant: Demande, apres: Demande) -> None:
    assert apres.version >= avant.version
    assert apres.etat.personnel == Efface()
    for f in apres.faits:
        if getattr(f, "personnel", None) is not None:
            assert f.personnel == Efface(), type(f).__name__
    # Every other field of every event is as it was.
    for a, b in zip(avant.faits, apres.faits, strict=False):
        assert type(a) is type(b)
        assert signature(a) == signature(b)
    e = apres.etat
    assert e.membres == MEMBRES
    assert e.souhaits == SOUHAITS
    assert e.logement_actuel == LOGEMENT_ACTUEL
    assert e.motifs == ("01",)
    assert e.situations == frozenset({"handicap", "divorce_separation"})
    assert e.statut_dalo is StatutDalo.ACTIF
    assert e.filed_on == avant.etat.filed_on
    assert [f.organisation for f in apres.faits[:3]] == ["CANNES", "OPH-CPL", "ETAT-06"]


def test_erasing_the_key_leaves_everything_but_personal_fields(registre: Registre) -> None:
    numero = enregistrer(registre, date(2026, 3, 2))
    avant = registre.demande(numero)
    assert isinstance(avant.etat.personnel, DonneesPersonnelles)

    registre.coffre.effacer(Demande.id_pour(numero))

    with frais(registre) as r:
        apres = r.demande(numero)
        assert apres.version == avant.version  # nothing appended: only the key went
        _assert_efface_et_intact(avant, apres)
        assert apres.etat.anniversaire == avant.etat.anniversaire
        assert [f.timestamp for f in apres.faits] == [f.timestamp for f in avant.faits]
        assert [f.occurred_on for f in apres.faits] == [f.occurred_on for f in avant.faits]


def test_radiation_then_schedule_a_year_later_erases_for_good(registre: Registre) -> None:
    numero = enregistrer(registre, date(2025, 6, 2))
    executer(registre, "CANNES", c.Radier(occurred_on=date(2025, 9, 1), motif=MotifRadiation.RADABA), numero)
    avant = registre.demande(numero)
    assert isinstance(avant.etat.personnel, DonneesPersonnelles)

    # Not due the day before the anniversary of the radiation.
    assert registre.rattraper(numero, date(2026, 8, 31)) is None
    r = registre.rattraper(numero, date(2026, 9, 1))
    assert r is not None and r.evenements == (avant.version + 1,)

    # The key is destroyed; its row stays, to tell "erased" from "never had personal data".
    with registre.engine.connect() as conn:
        ligne = conn.execute(
            sa.select(cles_demandes.c.cle, cles_demandes.c.efface_le).where(
                cles_demandes.c.demande_id == str(Demande.id_pour(numero))
            )
        ).one()
    assert ligne.cle is None and ligne.efface_le is not None

    with frais(registre) as relu:
        apres = relu.demande(numero)
        assert apres.version == avant.version + 1
        effacement = apres.faits[-1]
        assert isinstance(effacement, Demande.DonneesEffacees)
        assert (effacement.occurred_on, effacement.organisation) == (date(2026, 9, 1), "SYSTEME")
        _assert_efface_et_intact(avant, apres)
        assert apres.etat.effacee
        assert (apres.etat.active, apres.etat.radiation, apres.etat.radiee_le) == (
            False, MotifRadiation.RADABA, date(2025, 9, 1),
        )
        # Replays as of a past date show erased fields too: the clear text is gone for good.
        assert apres.etat_au(date(2025, 7, 1)).personnel == Efface()
        # Nothing more falls due.
        assert relu.rattraper(numero, date(2026, 11, 23)) is None
    assert_aucune_donnee_personnelle(registre.stockage, numero)
