"""The dossier unique's code lists (CCH R.441-2-4; arrêté du 6 août 2022 relatif au nouveau
formulaire de demande de logement locatif social et aux pièces justificatives): which pièce a
partner received, why it refused one, what the demandeur was asked, how an attestation was sent.

The ledger keeps a pièce's type, the member it concerns, its SHA-256 digest and size as readable
facts; the file itself, when kept, is personal data encrypted under the demand's key
(`adapters/pieces.py`). Each code names the arrêté's rubric (I.A identity, I.B revenu fiscal,
II complementary pièces) so that a reader can find the line it stands for.
"""

from enum import StrEnum


class TypePiece(StrEnum):
    # I.A — identité et régularité du séjour (obligatoires)
    identite = "identite"  # a) carte nationale d'identité, passeport; livret de famille, acte de naissance
    tutelle_curatelle = "tutelle_curatelle"  # b) jugement de tutelle ou de curatelle
    sejour_ue = "sejour_ue"  # c) droit de séjour, citoyen UE/EEE/Suisse
    sejour_ue_transitoire = "sejour_ue_transitoire"  # d) titre, mesures transitoires
    sejour_famille_ue = "sejour_famille_ue"  # e) titre d'un membre de famille d'un Etat tiers
    titre_sejour = "titre_sejour"  # f) titre de séjour (arrêté pris pour R.441-1 1°)
    # I.B — revenu fiscal de référence (obligatoires)
    avis_imposition = "avis_imposition"  # a) avis N-2 ou avis de situation déclarative
    avis_imposition_etranger = "avis_imposition_etranger"  # b) avis d'un autre Etat
    separation_couple = "separation_couple"  # c) divorce, PACS dissous, instance, plainte, décès
    attestation_administration = "attestation_administration"  # d) à défaut de a) ou b)
    revenus_recents = "revenus_recents"  # e) revenus de la dernière année, baisse de 10 %
    ressources_douze_mois = "ressources_douze_mois"  # f) non imposables: douze derniers mois
    attestation_indigence = "attestation_indigence"  # g) Français rentrés de l'étranger
    protection_internationale = "protection_internationale"  # h) OFPRA, CNDA
    # II — pièces complémentaires que le service instructeur peut demander
    situation_familiale = "situation_familiale"  # livret de famille, PACS, grossesse > 12 semaines
    situation_professionnelle = "situation_professionnelle"  # carte d'étudiant, contrat d'apprenti…
    ressources_mensuelles = "ressources_mensuelles"  # bulletins de salaire, pensions, CAF/MSA…
    logement_actuel = "logement_actuel"  # bail et quittance, attestation d'hébergement…
    motif_demande = "motif_demande"  # expulsion, non-décence, handicap, violences…
    patrimoine = "patrimoine"  # déclaration sur l'honneur concernant le patrimoine


# The pièces every adult to be housed must produce (arrêté, I): the others are asked as needed.
OBLIGATOIRES = frozenset(
    {
        TypePiece.identite, TypePiece.tutelle_curatelle, TypePiece.sejour_ue,
        TypePiece.sejour_ue_transitoire, TypePiece.sejour_famille_ue, TypePiece.titre_sejour,
        TypePiece.avis_imposition, TypePiece.avis_imposition_etranger, TypePiece.separation_couple,
        TypePiece.attestation_administration, TypePiece.revenus_recents,
        TypePiece.ressources_douze_mois, TypePiece.attestation_indigence,
        TypePiece.protection_internationale,
    }
)

LIBELLES_PIECES: dict[TypePiece, str] = {
    TypePiece.identite: "pièce d'identité, livret de famille ou acte de naissance",
    TypePiece.tutelle_curatelle: "jugement de tutelle ou de curatelle",
    TypePiece.sejour_ue: "justificatif du droit de séjour (Union européenne, EEE, Suisse)",
    TypePiece.sejour_ue_transitoire: "titre de séjour (mesures transitoires)",
    TypePiece.sejour_famille_ue: "titre de séjour d'un membre de famille",
    TypePiece.titre_sejour: "titre de séjour",
    TypePiece.avis_imposition: "avis d'imposition de l'avant-dernière année",
    TypePiece.avis_imposition_etranger: "avis d'imposition d'un autre Etat",
    TypePiece.separation_couple: "justificatif de séparation (divorce, PACS, plainte, décès)",
    TypePiece.attestation_administration: "attestation d'une autre administration ou de l'employeur",
    TypePiece.revenus_recents: "justificatif des revenus de la dernière année",
    TypePiece.ressources_douze_mois: "justificatif des ressources des douze derniers mois",
    TypePiece.attestation_indigence: "attestation de situation d'indigence",
    TypePiece.protection_internationale: "décision de l'OFPRA ou de la CNDA, titre de séjour",
    TypePiece.situation_familiale: "justificatif de la situation familiale",
    TypePiece.situation_professionnelle: "justificatif de la situation professionnelle",
    TypePiece.ressources_mensuelles: "justificatif des ressources mensuelles",
    TypePiece.logement_actuel: "justificatif du logement actuel",
    TypePiece.motif_demande: "justificatif du motif de la demande",
    TypePiece.patrimoine: "déclaration sur l'honneur concernant le patrimoine",
}


class MotifRefusPiece(StrEnum):
    """Why a partner refused a pièce. Only an *incoherente* one founds a `decote_pieces`."""

    illisible = "illisible"
    perimee = "perimee"
    incomplete = "incomplete"
    incoherente = "incoherente"  # contradicts the declared situation (grille: pièces incohérentes)
    autre_personne = "autre_personne"  # concerns someone else than the member named
    non_conforme = "non_conforme"  # not a pièce of the type declared


class CanalAttestation(StrEnum):
    courrier = "courrier"
    email = "email"
    en_ligne = "en_ligne"


class TypeAttestation(StrEnum):
    enregistrement = "enregistrement"  # R.441-2-4: within a month of the dépôt
    renouvellement = "renouvellement"  # R.441-2-7


class DeposantRecours(StrEnum):
    """Who filed a recours on the demandeur's behalf (the organisation recording it is the guichet
    or bailleur that received it)."""

    demandeur = "demandeur"  # the demandeur in person, received by the organisation
    mandataire = "mandataire"  # a person the demandeur mandated (family, lawyer)
    travailleur_social = "travailleur_social"
    association = "association"  # an association for housing or insertion
