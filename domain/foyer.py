"""The household, its housing and its wishes (docs/rules.md "The demand"). Facts the cotation and statistics
need stay readable; identity and contacts live in `DonneesPersonnelles`, which the store encrypts
with the demand's own key (§8)."""

from datetime import date
from decimal import Decimal

import msgspec

from domain.codes import (
    CategorieLogement,
    Civilite,
    CoParentalite,
    LienDemandeur,
    LienParente,
    ModeleLogement,
    Nationalite,
    RessourceRecue,
    RessourceVersee,
    RoleMembre,
    Sexe,
    SituationFamiliale,
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


class AdressePostale(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    numero: str | None = None
    voie: str | None = None
    code_postal: str | None = None
    commune: str | None = None  # INSEE
    etranger: bool | None = None


class Identite(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    membre: str  # Membre.id
    nom: str
    prenom: str
    date_naissance: date
    employeur: str | None = None
    # What the national files also say of a person (SNE codes); personal data like the rest.
    civilite: Civilite | None = None
    nom_patronymique: str | None = None
    nationalite: Nationalite | None = None
    situation_familiale: SituationFamiliale | None = None
    sexe: Sexe | None = None
    lien_demandeur: LienDemandeur | None = None  # a co-titulaire's
    lien_parente: LienParente | None = None  # a personne à charge's
    profession: str | None = None
    # A co-titulaire's own contacts; the demandeur's are the household's (DonneesPersonnelles).
    telephone: str | None = None
    email: str | None = None
    adresse_postale: AdressePostale | None = None


class NaissancesPrevues(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Persons to be born, counted in the household by the national files."""

    nombre: int
    date_prevue: date | None = None


class EnfantEnGarde(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A child in alternating custody or with visiting rights, outside the household."""

    date_naissance: date
    coparentalite: CoParentalite
    sexe: Sexe | None = None


class DonneesPersonnelles(msgspec.Struct, frozen=True, tag="personnel", forbid_unknown_fields=True):
    identites: tuple[Identite, ...]
    email: str | None = None
    telephone: str | None = None
    adresse: str | None = None
    commentaire: str | None = None
    adresse_postale: AdressePostale | None = None
    naissances_prevues: NaissancesPrevues | None = None
    enfants_en_garde: tuple[EnfantEnGarde, ...] = ()

    def naissance(self, membre: str) -> date | None:
        for i in self.identites:
            if i.membre == membre:
                return i.date_naissance
        return None


# -- what the national files carry beyond what cotation and statistics use ----------------------


class Versement(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A resource paid by a member (SNE `ressourceVersee`), monthly."""

    code: RessourceVersee
    montant_mensuel: Decimal


class RevenusFiscaux(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """The revenu fiscal de référence of the two years before (R.441-1, ceilings)."""

    annee_moins1: int | None = None
    montant_moins1: Decimal | None = None
    annee_moins2: int | None = None
    montant_moins2: Decimal | None = None


class ComplementMembre(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    membre: str  # Membre.id
    revenus_fiscaux: RevenusFiscaux | None = None
    versements: tuple[Versement, ...] = ()
    travail_code_postal: str | None = None
    travail_etranger: bool | None = None


class ComplementLogement(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """The current housing as the national files describe it, beside `LogementActuel`."""

    autres_modeles: tuple[ModeleLogement, ...] = ()  # after the first, which is LogementActuel.modele
    categorie: CategorieLogement | None = None
    typologie: Typologie | None = None
    surface: Decimal | None = None
    proprietaire: bool | None = None


class ComplementRecherche(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    elargie: bool | None = None
    categorie: CategorieLogement | None = None


class Complements(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Facts of the demand that the national exchange files carry and the ledger keeps so as to
    give them back (SNE import and export) though neither cotation nor statistics use them:
    the guichet's national number, fiscal incomes, resources paid, the current housing's
    category, typology, surface, the housing sought's category. No personal data here: amounts,
    codes and flags stay readable (docs/rules.md "Personal data")."""

    numero_guichet: str | None = None
    membres: tuple[ComplementMembre, ...] = ()
    logement: ComplementLogement | None = None
    recherche: ComplementRecherche | None = None


class Efface(msgspec.Struct, frozen=True, tag="efface"):
    """What a personal field reads as once its demand's key is destroyed."""


Personnel = DonneesPersonnelles | Efface


class TexteLibre(msgspec.Struct, frozen=True, tag="texte"):
    """Free text an organisation writes about a demand (a motif's details): personal data, kept
    in an event's `personnel` field, encrypted under the demand's key and erased with it."""

    texte: str


TexteOuEfface = TexteLibre | Efface
