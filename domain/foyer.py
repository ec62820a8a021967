"""The household, its housing and its wishes (DOMAIN.md §2). Facts the cotation and statistics
need stay readable; identity and contacts live in `DonneesPersonnelles`, which the store encrypts
with the demand's own key (§8)."""

from datetime import date
from decimal import Decimal

import msgspec

from domain.codes import (
    ModeleLogement,
    RessourceRecue,
    RoleMembre,
    TypeContratTravail,
    Typologie,
)


class Ressource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: RessourceRecue
    montant_mensuel: Decimal


class Membre(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A person of the household, without identity: `id` links to their identity in the
    encrypted personal data."""

    id: str
    role: RoleMembre
    contrat: TypeContratTravail | None = None
    ressources: tuple[Ressource, ...] = ()
    commune_travail: str | None = None  # INSEE


class LogementActuel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    modele: ModeleLogement
    commune: str | None = None  # INSEE
    pieces: int | None = None
    occupants: int | None = None
    loyer: Decimal | None = None


class Souhaits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    communes: tuple[str, ...]  # the first is the first choice
    typologies: tuple[Typologie, ...]
    accepte_qpv: bool = True

    @property
    def premier_choix(self) -> str | None:
        return self.communes[0] if self.communes else None


class Identite(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    membre: str  # Membre.id
    nom: str
    prenom: str
    date_naissance: date
    employeur: str | None = None


class DonneesPersonnelles(msgspec.Struct, frozen=True, tag="personnel", forbid_unknown_fields=True):
    identites: tuple[Identite, ...]
    email: str | None = None
    telephone: str | None = None
    adresse: str | None = None
    commentaire: str | None = None

    def naissance(self, membre: str) -> date | None:
        for i in self.identites:
            if i.membre == membre:
                return i.date_naissance
        return None


class Efface(msgspec.Struct, frozen=True, tag="efface"):
    """What a personal field reads as once its demand's key is destroyed."""


Personnel = DonneesPersonnelles | Efface


class TexteLibre(msgspec.Struct, frozen=True, tag="texte"):
    """Free text an organisation writes about a demand (a motif's details): personal data, kept
    in an event's `personnel` field, encrypted under the demand's key and erased with it."""

    texte: str


TexteOuEfface = TexteLibre | Efface
