"""Generated households: composition, ages, contracts, resources, current housing, wishes,
reasons and declared situations, and their (invented) identities.

Shares follow the reference figures where docs/statistics.md gives them (43 % single people and 28 %
single parents among applicants; mutations about a quarter) and plausible orders of magnitude
elsewhere. Resources per consumption unit are drawn around the first-quartile threshold of the
year so that about 30 % of applicants are in the first quartile."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain import menage
from domain.codes import ModeleLogement, RessourceRecue, RoleMembre, TypeContratTravail, Typologie
from domain.foyer import DonneesPersonnelles, Identite, LogementActuel, Membre, Ressource, Souhaits

C, R = TypeContratTravail, RessourceRecue

COMPOSITIONS = (("isole", 43), ("monoparental", 28), ("couple", 11), ("couple_enfants", 15), ("autre", 3))
# ln(resources per UC / threshold) ~ N(MU, SIGMA): P(below) = Φ(-MU/SIGMA) ≈ 0.30.
MU, SIGMA = 0.27, 0.52

LOGEMENTS_ACTUELS = (
    (ModeleLogement.LP, 36), (ModeleLogement.CP, 9), (ModeleLogement.CPE, 10), (ModeleLogement.LTG, 2),
    (ModeleLogement.SH, 3), (ModeleLogement.RS, 2), (ModeleLogement.SLHT, 1), (ModeleLogement.HOT, 1),
    (ModeleLogement.SD, 2), (ModeleLogement.SQUAT, 0.5), (ModeleLogement.CAMCAR, 0.5),
    (ModeleLogement.POCC, 2), (ModeleLogement.FONC, 1), (ModeleLogement.RHVS, 0.5),
    (ModeleLogement.CDEFCM, 0.5), (ModeleLogement.RE, 1),
)
# Declared situations of the grid (docs/cotation.md) and how often a household claims each.
SITUATIONS = (
    ("handicap", 0.06), ("violences_couple", 0.02), ("menace_expulsion", 0.04),
    ("logement_indigne", 0.03), ("sur_occupation", 0.08), ("divorce_separation", 0.06),
    ("depart_personnes_a_charge", 0.01), ("chomage_longue_duree", 0.03),
    ("travailleur_pauvre", 0.04), ("travailleur_essentiel", 0.04), ("changement_lieu_travail", 0.02),
    ("logement_inadapte_handicap", 0.02), ("sortie_act", 0.003), ("victime_viol", 0.003),
    ("sortie_prostitution", 0.001), ("victime_traite", 0.001),
)
NOMS = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefevre", "Faure", "Andre", "Mercier", "Blanc", "Guerin", "Boyer", "Garnier",
    "Chevalier", "Francois", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clement",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Benali", "Haddad",
    "Mansouri", "Diallo", "Traore", "Nguyen", "Ferreira", "Da Silva", "Rossi", "Bianchi",
)
PRENOMS = (
    "Léa", "Emma", "Chloé", "Inès", "Manon", "Camille", "Sarah", "Nadia", "Fatima", "Julie",
    "Sophie", "Marie", "Aïcha", "Claire", "Lucie", "Hélène", "Yasmine", "Amina", "Océane",
    "Lucas", "Hugo", "Thomas", "Karim", "Mehdi", "Paul", "Louis", "Nicolas", "Julien", "Antoine",
    "Mohamed", "Yanis", "Kevin", "Pierre", "Jean", "Alexandre", "Bruno", "Franck", "Omar", "Luc",
)
TYPOS = (Typologie.C, Typologie.T1, Typologie.T2, Typologie.T3, Typologie.T4, Typologie.T5, Typologie.T6P)


@dataclass(frozen=True)
class Contexte:
    """What households need to know of their territory."""

    communes: tuple[tuple[str, float], ...]  # EPCI communes and their weight as first choice
    ailleurs: tuple[str, ...]  # communes outside the EPCI where applicants live or work
    part_mutation: float  # share of applicants already in social housing (HLM)


@dataclass
class Menage:
    composition: str
    membres: tuple[Membre, ...]
    personnel: DonneesPersonnelles
    logement_actuel: LogementActuel
    souhaits: Souhaits
    motifs: tuple[str, ...]
    situations: tuple[str, ...]


def choix(rng: random.Random, poids: tuple[tuple[object, float], ...]) -> object:
    total = sum(w for _, w in poids)
    x = rng.random() * total
    for v, w in poids:
        x -= w
        if x < 0:
            return v
    return poids[-1][0]


def naissance(rng: random.Random, age: int, au: date) -> date:
    """A birth date giving exactly `age` whole years at `au`."""
    jour = date(au.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))
    if (jour.month, jour.day) > (au.month, au.day):
        jour = date(jour.year - 1, jour.month, min(jour.day, 28 if jour.month == 2 else jour.day))
    return jour


def _age_demandeur(rng: random.Random, composition: str) -> int:
    if composition == "isole":
        return int(choix(rng, ((rng.randint(18, 25), 15), (rng.randint(26, 39), 30),
                               (rng.randint(40, 59), 30), (rng.randint(60, 88), 25))))  # type: ignore[arg-type]
    if composition == "monoparental":
        return rng.randint(20, 54)
    if composition == "couple":
        return int(choix(rng, ((rng.randint(20, 35), 40), (rng.randint(36, 59), 30), (rng.randint(60, 85), 30))))  # type: ignore[arg-type]
    if composition == "couple_enfants":
        return rng.randint(22, 52)
    return rng.randint(30, 60)


def _contrat(rng: random.Random, age: int) -> TypeContratTravail:
    if age >= 63:
        return C.RET if rng.random() < 0.9 else C.AUT
    if age <= 25 and rng.random() < 0.3:
        return C.ETU if rng.random() < 0.7 else C.APP
    return choix(rng, ((C.CDI, 40), (C.CDD, 20), (C.CHO, 15), (C.ART, 5), (C.AUT, 15)))  # type: ignore[return-value]


def _enfants(rng: random.Random) -> int:
    return int(choix(rng, ((1, 50), (2, 32), (3, 13), (4, 5))))  # type: ignore[arg-type]


def _lignes(contrat: TypeContratTravail | None, montant: int) -> tuple[Ressource, ...]:
    if montant <= 0:
        return ()
    code = {
        C.CDI: R.SAL, C.CDD: R.SAL, C.ART: R.SAL, C.APP: R.SAL, C.CHO: R.CHO, C.RET: R.RET,
        C.ETU: R.BE, C.AUT: R.RSA,
    }.get(contrat, R.AUT) if contrat is not None else R.AUT
    return (Ressource(code, Decimal(montant)),)


def par_uc_mensuel(rng: random.Random, seuil_annuel: Decimal, classe: str | None) -> float:
    """Monthly resources per UC. `classe` forces the side of the threshold with a margin the
    ageing of children cannot cross within two years ('q1': below, 'autre': above)."""
    seuil = float(seuil_annuel) / 12
    if classe == "q1":
        return seuil * rng.uniform(0.35, 0.8)
    if classe == "autre":
        return seuil * math.exp(abs(rng.gauss(0.0, 0.45))) * 1.35
    return seuil * math.exp(rng.gauss(MU, SIGMA))


def generer_menage(
    rng: random.Random,
    jour: date,
    contexte: Contexte,
    seuil_annuel: Decimal,
    classe: str | None = None,
) -> Menage:
    composition = str(choix(rng, COMPOSITIONS))  # type: ignore[arg-type]
    age = _age_demandeur(rng, composition)
    nom = rng.choice(NOMS)
    communes_travail = tuple(c for c, _ in contexte.communes) + contexte.ailleurs
    personnes: list[tuple[str, RoleMembre, int, TypeContratTravail | None]] = [
        ("p1", RoleMembre.demandeur, age, _contrat(rng, age))
    ]
    if composition in ("couple", "couple_enfants"):
        a2 = max(18, min(90, age + rng.randint(-6, 6)))
        personnes.append(("p2", RoleMembre.cotitulaire, a2, _contrat(rng, a2)))
    if composition in ("monoparental", "couple_enfants"):
        for k in range(_enfants(rng)):
            personnes.append((f"e{k + 1}", RoleMembre.personne_a_charge, rng.randint(0, min(17, age - 17)), None))
    if composition == "autre":
        if rng.random() < 0.5:
            personnes.append(("a1", RoleMembre.personne_a_charge, rng.randint(65, 92), C.RET))
        else:
            personnes.append(("a1", RoleMembre.personne_a_charge, rng.randint(18, 25), C.ETU))

    identites = tuple(
        Identite(
            membre=pid,
            nom=nom if role is not RoleMembre.cotitulaire or rng.random() < 0.6 else rng.choice(NOMS),
            prenom=rng.choice(PRENOMS),
            date_naissance=naissance(rng, a, jour),
            employeur=(f"Entreprise {rng.choice(NOMS)}" if contrat in (C.CDI, C.CDD) and rng.random() < 0.5 else None),
        )
        for pid, role, a, contrat in personnes
    )
    personnel = DonneesPersonnelles(
        identites=identites,
        email=f"{identites[0].prenom.lower()}.{nom.lower().replace(' ', '')}{rng.randint(1, 999)}@example.org"
        if rng.random() < 0.7
        else None,
        telephone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        if rng.random() < 0.8
        else None,
    )

    # Resources: a per-UC level, shared between the earners, family allowances on top.
    squelette = tuple(Membre(pid, role) for pid, role, _, _ in personnes)
    uc = menage.unites_de_consommation(squelette, personnel, jour)
    total = par_uc_mensuel(rng, seuil_annuel, classe) * float(uc)
    enfants = sum(1 for _, role, a, _ in personnes if role is RoleMembre.personne_a_charge and a < 18)
    af = {0: 0, 1: 0, 2: 140, 3: 320, 4: 490}.get(enfants, 490) if classe is None else 0
    revenus = max(0, round(total) - af)
    membres: list[Membre] = []
    travailleurs = [p for p in personnes if p[1] is not RoleMembre.personne_a_charge]
    for i, (pid, role, _a, contrat) in enumerate(personnes):
        lignes: tuple[Ressource, ...] = ()
        if role is not RoleMembre.personne_a_charge:
            part = revenus if len(travailleurs) == 1 else (round(revenus * 0.6) if i == 0 else revenus - round(revenus * 0.6))
            lignes = _lignes(contrat, part)
            if i == 0 and af:
                lignes += (Ressource(R.AF, Decimal(af)),)
        elif contrat is C.RET:
            lignes = ()  # a dependant elder's pension is counted with the demandeur's
        travail = None
        if contrat in (C.CDI, C.CDD, C.ART, C.APP):
            travail = rng.choice(communes_travail[: len(contexte.communes)]) if rng.random() < 0.75 else rng.choice(communes_travail)
        membres.append(
            Membre(pid, role, contrat if role is not RoleMembre.personne_a_charge else None, lignes, travail)
        )
    taille = len(membres)

    # Current housing.
    if rng.random() < contexte.part_mutation:
        modele = ModeleLogement.HLM
    else:
        modele = choix(rng, LOGEMENTS_ACTUELS)  # type: ignore[assignment]
    habite = (
        str(choix(rng, contexte.communes))
        if rng.random() < 0.82 or not contexte.ailleurs
        else rng.choice(contexte.ailleurs)
    )
    pieces = max(1, min(6, taille + rng.choice((-1, -1, 0, 0, 0, 1)))) if modele not in (
        ModeleLogement.SD, ModeleLogement.SQUAT, ModeleLogement.CAMCAR, ModeleLogement.SH
    ) else None
    logement_actuel = LogementActuel(
        modele=modele,
        commune=habite,
        pieces=pieces,
        occupants=taille + (rng.randint(1, 3) if modele in (ModeleLogement.CP, ModeleLogement.CPE) else 0),
        loyer=Decimal(rng.randint(350, 1200)) if modele in (ModeleLogement.LP, ModeleLogement.HLM) else None,
    )

    # Wishes: the first choice is mostly where one lives, else weighted by the parc (Cannes).
    insee = [c for c, _ in contexte.communes]
    if habite in insee and rng.random() < 0.5:
        premier = habite
    else:
        premier = str(choix(rng, contexte.communes))
    autres = [c for c in insee if c != premier]
    rng.shuffle(autres)
    communes = (premier, *autres[: int(choix(rng, ((0, 35), (1, 35), (2, 20), (3, 10))))])  # type: ignore[call-overload]
    souhaits = Souhaits(communes=communes, typologies=typologies(rng, taille, age), accepte_qpv=rng.random() < 0.75)

    situations = [s for s, p in SITUATIONS if rng.random() < p]
    if enfants and "sur_occupation" in situations and rng.random() < 0.5:
        situations.append("sur_occupation_mineur")
    if enfants and modele in (ModeleLogement.LP, ModeleLogement.HLM) and rng.random() < 0.02:
        situations.append("non_decent_mineur")
    if modele is ModeleLogement.HLM and taille <= 2 and age >= 60 and rng.random() < 0.2:
        situations.append("sous_occupation")
    if age < 21 and rng.random() < 0.05:
        situations.append("jeune_ase")
    if souhaits.accepte_qpv and any(m.contrat in (C.CDI, C.CDD) for m in membres) and rng.random() < 0.05:
        situations.append("actif_qpv")
    return Menage(
        composition=composition,
        membres=tuple(membres),
        personnel=personnel,
        logement_actuel=logement_actuel,
        souhaits=souhaits,
        motifs=motifs(rng, modele, situations),
        situations=tuple(situations[:3]),
    )


def typologies(rng: random.Random, taille: int, age: int) -> tuple[Typologie, ...]:
    T = Typologie
    options = {
        1: ((T.T1, T.T2), (T.T2,), (T.T1,), (T.C, T.T1) if age < 30 else (T.T1, T.T2)),
        2: ((T.T2,), (T.T2, T.T3), (T.T2, T.T3)),
        3: ((T.T3,), (T.T2, T.T3), (T.T3, T.T4)),
        4: ((T.T3, T.T4), (T.T4,), (T.T4,)),
        5: ((T.T4, T.T5), (T.T5,)),
    }.get(taille, ((T.T5, T.T6P), (T.T6P,), (T.T5,)))
    return rng.choice(options)


def motifs(rng: random.Random, modele: ModeleLogement, situations: list[str]) -> tuple[str, ...]:
    """SNE motifDemande codes."""
    m = ModeleLogement
    base = {
        m.HLM: ("13", "09", "10", "17"), m.LP: ("09", "04", "13", "03"), m.CP: ("01", "12"),
        m.CPE: ("12", "01"), m.LTG: ("12",), m.POCC: ("22", "08"), m.FONC: ("18",),
    }.get(modele, ("01",))
    out = [rng.choice(base)]
    for s, code in (("violences_couple", "06"), ("handicap", "07"), ("divorce_separation", "11"),
                    ("menace_expulsion", "05"), ("changement_lieu_travail", "19")):
        if s in situations and code not in out:
            out.append(code)
    return tuple(out[:3])
