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
