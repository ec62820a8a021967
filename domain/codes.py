"""Code lists: the national system's (SNE interfaceNuu) where the ledger stores the same facts,
so that imports and exports need no translation table, and the ledger's own where the law
names a notion the SNE does not code."""

from enum import StrEnum


class MotifRadiation(StrEnum):
    RADATT = "RADATT"  # attribution followed by a signed bail
    RADABA = "RADABA"  # written renunciation
    RADCON = "RADCON"  # no answer to correspondence
    RADIRR = "RADIRR"  # irrecevabilité pronounced by the CAL
    RADREN = "RADREN"  # not renewed


# The reasons of a demand (SNE `motifDemande`): 01 sans logement … 23 autre motif particulier.
# Strings, not an enum: stored events carry them as such.
MOTIFS_DEMANDE = frozenset(f"{n:02d}" for n in range(1, 24))


class TypeReservataire(StrEnum):
    COLTER = "COLTER"
    COLACT = "COLACT"
    PPRIOR = "PPRIOR"
    PFONCT = "PFONCT"
    AUTRES = "AUTRES"
    AUCUN = "AUCUN"


class StatutDalo(StrEnum):
    NON = "NON"
    ACTIF = "ACTIF"
    CADUC = "CADUC"
    ACTREL = "ACTREL"


class SousMotifIrrecevabilite(StrEnum):
    IRRSEJ = "IRRSEJ"
    IRRRES = "IRRRES"


class TypeContratTravail(StrEnum):
    CDI = "CDI"
    CDD = "CDD"
    ART = "ART"
    CHO = "CHO"
    APP = "APP"
    ETU = "ETU"
    RET = "RET"
    AUT = "AUT"


class RessourceRecue(StrEnum):
    SAL = "SAL"
    RET = "RET"
    CHO = "CHO"
    PAR = "PAR"
    PINV = "PINV"
    AF = "AF"
    AAH = "AAH"
    AEEH = "AEEH"
    AJPP = "AJPP"
    RSA = "RSA"
    AMV = "AMV"
    PAJE = "PAJE"
    BE = "BE"
    AUT = "AUT"


class ModeleLogement(StrEnum):
    HLM = "HLM"
    LP = "LP"
    RS = "RS"
    RHVS = "RHVS"
    RE = "RE"
    SLHT = "SLHT"
    SH = "SH"
    CDEFCM = "CDEFCM"
    CPE = "CPE"
    CP = "CP"
    LTG = "LTG"
    FONC = "FONC"
    POCC = "POCC"
    CAMCAR = "CAMCAR"
    HOT = "HOT"
    SD = "SD"
    SQUAT = "SQUAT"


class Typologie(StrEnum):
    C = "C"
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    T4 = "T4"
    T5 = "T5"
    T6P = "T6P"


class Financement(StrEnum):
    PLAI = "PLAI"
    PLUS = "PLUS"
    PLS = "PLS"


class TypeOrganisation(StrEnum):
    guichet = "guichet"
    bailleur = "bailleur"
    reservataire = "reservataire"
    etat = "etat"
    systeme = "systeme"
    auditeur = "auditeur"


class Canal(StrEnum):
    api = "api"
    import_ = "import"
    schedule = "schedule"


class RoleMembre(StrEnum):
    demandeur = "demandeur"
    cotitulaire = "cotitulaire"
    personne_a_charge = "personne_a_charge"


class TypeDecisionCAL(StrEnum):
    attribution = "attribution"
    attribution_par_classement = "attribution_par_classement"
    attribution_sous_condition = "attribution_sous_condition"
    non_attribution = "non_attribution"
    irrecevabilite = "irrecevabilite"


class StadeRefus(StrEnum):
    avant_cal = "avant_cal"
    apres_cal = "apres_cal"
    absence_reponse = "absence_reponse"


class QualificationRefus(StrEnum):
    recevable = "recevable"
    non_recevable = "non_recevable"


class CodeDecote(StrEnum):
    decote_refus = "decote_refus"
    decote_pieces = "decote_pieces"


class DecisionRecours(StrEnum):
    annulee = "annulee"
    maintenue = "maintenue"


class Justification(StrEnum):
    justifie = "justifie"
    rejete = "rejete"


class MotifPreavis(StrEnum):
    premier = "premier"  # anniversary - 2 months
    second = "second"  # anniversary - 1 month


class MotifMiseEnDemeure(StrEnum):
    absence_reponse = "absence_reponse"  # opens RADCON
    irrecevabilite = "irrecevabilite"  # opens RADIRR


ATTRIBUTIONS = frozenset(
    {
        TypeDecisionCAL.attribution,
        TypeDecisionCAL.attribution_par_classement,
        TypeDecisionCAL.attribution_sous_condition,
    }
)


# -- the CAL as a session, its decisions and the candidates' answers (CCH L.441-2, R.441-3,
# R.441-10). Code lists shared by every bailleur, so that the refusal observatory compares them;
# free text goes beside a code, never instead of it. A motif recorded as free text before the
# codes existed reads as `autre`.


class MotifNonAttribution(StrEnum):
    taux_effort = "taux_effort"  # taux d'effort ou reste à vivre incompatible avec le loyer
    typologie_inadaptee = "typologie_inadaptee"  # logement inadapté à la composition familiale
    candidat_mieux_classe = "candidat_mieux_classe"  # attribué à un candidat classé devant
    dossier_incomplet = "dossier_incomplet"  # pièces manquantes au jour de la CAL
    equilibre_peuplement = "equilibre_peuplement"  # objectifs de mixité (CIA, L.441-1)
    plafonds_depasses = "plafonds_depasses"  # ressources au-dessus des plafonds du financement
    autre = "autre"


class MotifRefus(StrEnum):
    localisation = "localisation"
    typologie_surface = "typologie_surface"
    loyer_charges = "loyer_charges"
    environnement = "environnement"
    etat_logement = "etat_logement"
    accessibilite = "accessibilite"  # étage sans ascenseur, logement inadapté à un handicap
    a_trouve_logement = "a_trouve_logement"
    raisons_personnelles = "raisons_personnelles"
    absence_reponse = "absence_reponse"  # silence past the 10 days of R.441-10
    autre = "autre"


class RaisonMoinsDeTrois(StrEnum):
    """Why a CAL examined fewer than three candidates who answered favourably (R.441-3)."""

    insuffisance_candidats = "insuffisance_candidats"  # too few demands fit the dwelling
    dalo_prefet = "dalo_prefet"  # a DALO household designated by the préfet
    plai_adapte = "plai_adapte"  # a PLAI adapté dwelling
    autre = "autre"


class FormeSession(StrEnum):
    presentiel = "presentiel"
    dematerialisee = "dematerialisee"  # as L.441-2 allows, with the mayor's agreement


class QualiteMembre(StrEnum):
    """In what capacity a member sits at a CAL (L.441-2)."""

    bailleur = "bailleur"  # members designated by the bailleur's board (deliberative)
    maire = "maire"  # the mayor of the commune where the dwellings are (deliberative)
    prefet = "prefet"  # the préfet's representative (deliberative)
    president_epci = "president_epci"  # the EPCI's president or representative (deliberative)
    association_insertion = "association_insertion"  # consultative
    reservataire = "reservataire"  # for the dwellings of its contingent or flux (consultative)


class Voix(StrEnum):
    deliberative = "deliberative"
    consultative = "consultative"


VOIX_DE_LA_QUALITE = {
    QualiteMembre.bailleur: Voix.deliberative,
    QualiteMembre.maire: Voix.deliberative,
    QualiteMembre.prefet: Voix.deliberative,
    QualiteMembre.president_epci: Voix.deliberative,
    QualiteMembre.association_insertion: Voix.consultative,
    QualiteMembre.reservataire: Voix.consultative,
}


class CanalNotification(StrEnum):
    courrier = "courrier"
    recommande = "recommande"  # lettre recommandée avec accusé de réception
    email = "email"
    sms = "sms"
    en_ligne = "en_ligne"  # the demandeur's online space


class StadeReponse(StrEnum):
    avant_cal = "avant_cal"  # answered the bailleur's contact: wishes to be presented
    apres_cal = "apres_cal"  # accepts the offer the CAL decided


# -- gestion en flux (L.441-1, R.441-5 to R.441-5-4, décret 2020-145)


class RetraitFlux(StrEnum):
    """Why a vacancy is withdrawn from the bailleur's flux base (R.441-5-1)."""

    mutation_interne = "mutation_interne"  # an internal mutation of the bailleur's own tenant
    renouvellement_urbain = "renouvellement_urbain"  # rehousing for urban renewal, demolition


# The national system's codes for identity and household facts it exchanges (SNE interfaceNuu):
# the ledger keeps them as the national files give them, identity in the encrypted personal data.
class Civilite(StrEnum):
    monsieur = "1"
    madame = "2"
    mademoiselle = "3"


class Nationalite(StrEnum):
    francaise = "1"
    union_europeenne = "2"
    hors_union_europeenne = "3"


class SituationFamiliale(StrEnum):
    C = "C"  # célibataire
    M = "M"  # marié(e)
    D = "D"  # divorcé(e)
    S = "S"  # séparé(e)
    P = "P"  # pacsé(e)
    U = "U"  # concubin(e)
    V = "V"  # veuf(ve)


class LienDemandeur(StrEnum):
    M = "M"  # conjoint
    P = "P"  # pacsé(e)
    C = "C"  # concubin(e)
    L = "L"  # co-locataire


class LienParente(StrEnum):
    P = "P"  # parent
    E = "E"  # enfant
    A = "A"  # autre


class Sexe(StrEnum):
    M = "M"
    F = "F"


class CoParentalite(StrEnum):
    G = "G"  # garde alternée
    D = "D"  # droit de visite


class CategorieLogement(StrEnum):
    A = "A"  # appartement
    M = "M"  # maison
    I = "I"  # indifférent  # noqa: E741


class RessourceVersee(StrEnum):
    PAV = "PAV"  # pension alimentaire versée


class CategoriePrioritaire(StrEnum):
    """The priority categories of CCH L.441-1 (a to m, g bis), and DALO (L.441-2-3)."""

    a = "a"  # handicap
    b = "b"  # sortie d'appartement de coordination thérapeutique
    c = "c"  # mal logés, défavorisés, difficultés financières ou d'insertion
    d = "d"  # hébergés ou logés temporairement (établissement, logement de transition)
    e = "e"  # reprise d'activité après chômage de longue durée
    f = "f"  # habitat indigne
    g = "g"  # violences au sein du couple, mariage forcé
    g_bis = "g_bis"  # victimes de viol ou d'agression sexuelle au domicile
    h = "h"  # parcours de sortie de la prostitution
    i = "i"  # traite des êtres humains, proxénétisme
    j = "j"  # enfant mineur et logement sur-occupé ou non décent
    k = "k"  # dépourvus de logement, y compris hébergés par des tiers
    l = "l"  # menacés d'expulsion sans relogement  # noqa: E741
    m = "m"  # moins de 21 ans pris en charge par l'aide sociale à l'enfance
    dalo = "dalo"  # reconnu prioritaire et urgent par la commission de médiation


class SourcePriorite(StrEnum):
    """Who labelled the priority: the Etat itself or the instance the territory uses."""

    etat = "etat"  # the préfet's services (DDETS)
    commission_mediation = "commission_mediation"  # the DALO commission (COMED)
    syplo = "syplo"  # labelled in SYPLO, the préfet's priority public system
    accord_collectif = "accord_collectif"  # accord collectif intercommunal
    examen_particulier = "examen_particulier"  # the instance for situations needing it (PPGDID)
