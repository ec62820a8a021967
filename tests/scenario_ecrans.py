"""A small territory's life for the pages' tests: demands of varied points wishing a T2 in Cannes
(and a few that do not), recorded through the Registre on the suite's clock, so that the CAL
workspace has a ranked list, the search by name has people to find and the history has authors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adapters.registre import Registre
from domain import commandes as c
from domain.codes import ModeleLogement, RessourceRecue, RoleMembre, TypeContratTravail, Typologie
from domain.foyer import DonneesPersonnelles, Identite, LogementActuel, Membre, Ressource, Souhaits

LOGEMENT_CAL = "RPLS-0602900023"  # OPH-CPL, Cannes, T2, no contingent, vacant in the territory file
CANNES, LE_CANNET = "06029", "06030"

# (family name, first name, birth date, contract, housing, filed on, typologies, communes)
PERSONNES = (
    ("Le Goff-Hénaff", "Léa", date(1996, 5, 2), TypeContratTravail.CDD, ModeleLogement.CP, date(2025, 3, 10), (Typologie.T2,), (CANNES,)),
    ("Martin", "Karim", date(1971, 9, 14), TypeContratTravail.CDI, ModeleLogement.SH, date(2024, 11, 4), (Typologie.T2, Typologie.T3), (CANNES, LE_CANNET)),
    ("Nguyen", "Thi", date(1990, 1, 30), TypeContratTravail.CDD, ModeleLogement.LP, date(2026, 6, 1), (Typologie.T2,), (CANNES,)),
    ("Roussel", "Anne", date(1958, 7, 8), TypeContratTravail.RET, ModeleLogement.CP, date(2025, 9, 22), (Typologie.T2,), (CANNES,)),
    ("Bernard", "Yanis", date(2001, 12, 3), TypeContratTravail.APP, ModeleLogement.LP, date(2026, 2, 17), (Typologie.T1, Typologie.T2), (CANNES,)),
    ("Fabre", "Inès", date(1985, 4, 19), TypeContratTravail.CDI, ModeleLogement.LP, date(2026, 1, 9), (Typologie.T3,), (LE_CANNET,)),
)


def enregistrer(registre: Registre, i: int) -> str:
    nom, prenom, naissance, contrat, modele, depot, typologies, communes = PERSONNES[i]
    oph = registre.territoire.organisation("OPH-CPL")
    cmd = c.Enregistrer(
        occurred_on=date(2026, 11, 2),
        filed_on=depot,
        membres=(Membre("p1", RoleMembre.demandeur, contrat, (Ressource(RessourceRecue.SAL, Decimal(1100 + 150 * i)),), CANNES),),
        souhaits=Souhaits(communes, typologies),
        logement_actuel=LogementActuel(modele, CANNES),
        personnel=DonneesPersonnelles((Identite("p1", nom, prenom, naissance),), telephone="06 00 00 00 0" + str(i)),
        anniversaire=date(2027, 2, 1),  # as an imported demand renewed since: none is due yet
    )
    return registre.executer(oph, "oph-cpl-1", cmd).numero_unique


def peupler(registre: Registre) -> list[str]:
    """Every demand of PERSONNES, in order; the first five wish a T2 in Cannes."""
    return [enregistrer(registre, i) for i in range(len(PERSONNES))]
