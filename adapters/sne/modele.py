"""What one demand of a national exchange file (SNE interfaceNuu) says, as read from or written to
the XML: one struct per element of `interfaceNuu.xsd` that carries facts, named after it, values
typed (dates, decimals, the national codes as strings). It is the meeting point of the reader
(`lecture`), the writer (`ecriture`) and the mapping to the ledger's commands (`correspondance`),
so that each can be tested on its own. `None` and `()` mean "absent from the file"."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec


class Montant(msgspec.Struct, frozen=True):
    """`detailRessource`: a resource's code and its monthly amount."""

    code: str
    montant: Decimal


class Adresse(msgspec.Struct, frozen=True):
    etranger: bool | None = None
    numero: str | None = None
    voie: str | None = None
    code_postal: str | None = None
    commune: str | None = None


class SituationProfessionnelle(msgspec.Struct, frozen=True):
    profession: str | None = None
    contrat: str | None = None
    employeur: str | None = None
    etranger: bool | None = None
    code_postal: str | None = None
    commune: str | None = None


class RevenuFiscal(msgspec.Struct, frozen=True):
    annee_moins1: int | None = None
    montant_moins1: Decimal | None = None
    annee_moins2: int | None = None
    montant_moins2: Decimal | None = None


class Titulaire(msgspec.Struct, frozen=True, kw_only=True):
    """The demandeur or a co-titulaire."""

    civilite: str | None = None
    nom: str
    nom_patronymique: str | None = None
    prenom: str
    date_naissance: date
    nationalite: str | None = None
    situation_familiale: str | None = None
    lien_demandeur: str | None = None  # co-titulaires only
    tel_portable: str | None = None
    mel: str | None = None
    adresse: Adresse | None = None
    situation_professionnelle: SituationProfessionnelle | None = None
    revenu_fiscal: RevenuFiscal | None = None
    ressources_recues: tuple[Montant, ...] | None = None
    ressources_versees: tuple[Montant, ...] | None = None


class PersonneACharge(msgspec.Struct, frozen=True, kw_only=True):
    nom: str
    prenom: str
    date_naissance: date
    sexe: str | None = None
    lien_parente: str | None = None


class PersonneANaitre(msgspec.Struct, frozen=True):
    nombre: int
    date_prevue: date | None = None


class PersonneEnGarde(msgspec.Struct, frozen=True):
    date_naissance: date
    sexe: str | None
    coparentalite: str


class LogementActuel(msgspec.Struct, frozen=True, kw_only=True):
    modeles: tuple[str, ...]
    loyer: Decimal | None = None
    habitants: int | None = None
    categorie: str | None = None
    typologie: str | None = None
    surface: Decimal | None = None
    proprietaire: bool | None = None


class LogementRecherche(msgspec.Struct, frozen=True, kw_only=True):
    elargie: bool | None = None
    typologies: tuple[str, ...] | None = None
    categorie: str | None = None
    communes: tuple[str, ...] | None = None


class DemandeSNE(msgspec.Struct, frozen=True, kw_only=True):
    numero_unique: str
    numero_guichet: str | None = None
    date_creation: date
    date_renouvellement: date | None = None
    demandeur: Titulaire
    # The demandeur's listeRessourceRecuePersACharge / listeRessourceVerseePersACharge.
    ressources_recues_pac: tuple[Montant, ...] | None = None
    ressources_versees_pac: tuple[Montant, ...] | None = None
    personnes_a_charge: tuple[PersonneACharge, ...] | None = None
    personne_a_naitre: PersonneANaitre | None = None
    personnes_en_garde: tuple[PersonneEnGarde, ...] | None = None
    cotitulaires: tuple[Titulaire, ...] | None = None
    logement_actuel: LogementActuel | None = None
    recherche: LogementRecherche | None = None
    motifs: tuple[str, ...] | None = None


class Entete(msgspec.Struct, frozen=True):
    date_fichier: datetime
    type_fichier: str | None = None
    version: str = "02.01"
