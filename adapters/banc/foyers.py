"""Varied households over the demo territory, and the batched fill of demands that are all active
today, written through the domain (the figures d, e and f measure reads on them)."""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from adapters.banc import GUICHETS
from adapters.registre import Registre

COMMUNES = ("06029", "06030", "06079", "06085", "06138")  # the demo EPCI
AILLEURS = ("06088", "06069", "83050")  # Nice, Grasse, Fréjus: outside the EPCI
LOT_SAUVEGARDE = 250  # aggregates per Registre.save when filling


def naissance(rng: random.Random, age_min: int, age_max: int, au: date) -> date:
    """A birth date in the year `au.year - age` (so it may fall after `au` for age 0)."""
    return date(au.year - rng.randint(age_min, age_max), rng.randint(1, 12), rng.randint(1, 28))


def foyer(rng: random.Random, i: int, au: date) -> dict[str, Any]:
    """A varied household (size, contracts, resources, ages on `au`, current housing, wishes,
    situations): the keyword arguments of `Demande.enregistrer`."""
    from domain.codes import (
        ModeleLogement,
        RessourceRecue,
        RoleMembre,
        TypeContratTravail,
        Typologie,
    )
    from domain.foyer import (
        DonneesPersonnelles,
        Identite,
        LogementActuel,
        Membre,
        Ressource,
        Souhaits,
    )

    contrats = list(TypeContratTravail)

    def ressources(contrat: TypeContratTravail | None) -> tuple[Ressource, ...]:
        if contrat is TypeContratTravail.RET:
            return (Ressource(RessourceRecue.RET, Decimal(rng.randint(700, 2200))),)
        if contrat is TypeContratTravail.CHO:
            return (Ressource(RessourceRecue.CHO, Decimal(rng.randint(500, 1400))),)
        if contrat in (TypeContratTravail.ETU, TypeContratTravail.AUT, None):
            return rng.choice(((), (Ressource(RessourceRecue.RSA, Decimal(rng.randint(400, 650))),)))
        return (Ressource(RessourceRecue.SAL, Decimal(rng.randint(600, 3200))),)

    age = rng.choice((rng.randint(19, 29), rng.randint(30, 59), rng.randint(30, 59), rng.randint(60, 88)))
    contrat = (
        TypeContratTravail.RET if age >= 64 else rng.choice(contrats[:-2] if age < 30 else contrats)
    )
    sans_travail = (TypeContratTravail.RET, TypeContratTravail.CHO)
    membres = [
        Membre(
            "m1", RoleMembre.demandeur, contrat, ressources(contrat),
            rng.choice(COMMUNES + AILLEURS) if contrat not in sans_travail else None,
        )
    ]
    identites = [Identite("m1", f"Nom{i}", "Alex", naissance(rng, age, age, au))]
    if rng.random() < 0.35:
        c2 = rng.choice(contrats)
        membres.append(Membre("m2", RoleMembre.cotitulaire, c2, ressources(c2), rng.choice(COMMUNES)))
        identites.append(Identite("m2", f"Nom{i}", "Camille", naissance(rng, max(18, age - 8), age + 5, au)))
    enfants = rng.choice((0, 0, 0, 1, 1, 2, 2, 3, 4)) if age < 60 else 0
    for k in range(enfants):
        membres.append(Membre(f"e{k}", RoleMembre.personne_a_charge))
        identites.append(Identite(f"e{k}", f"Nom{i}", f"Enfant{k}", naissance(rng, 0, 17, au)))
    if enfants and any(r.code is RessourceRecue.SAL for m in membres for r in m.ressources):
        membres[0] = Membre(
            "m1", membres[0].role, membres[0].contrat,
            membres[0].ressources + (Ressource(RessourceRecue.AF, Decimal(70 * enfants)),),
            membres[0].commune_travail,
        )
    taille = len(membres)
    typologies_ = list(Typologie)
    typo = [Typologie.T1, Typologie.T2, Typologie.T3, Typologie.T4, Typologie.T5, Typologie.T6P][
        min(taille - 1, 5)
    ]
    typologies = (
        (typo,) if rng.random() < 0.5 else (typo, typologies_[min(typologies_.index(typo) + 1, 6)])
    )
    modele = rng.choice(
        [ModeleLogement.LP] * 6 + [ModeleLogement.HLM] * 3
        + [ModeleLogement.CP, ModeleLogement.CP, ModeleLogement.SH, ModeleLogement.HOT,
           ModeleLogement.SD, ModeleLogement.SQUAT, ModeleLogement.RS, ModeleLogement.CPE,
           ModeleLogement.LTG]
    )
    logement = LogementActuel(
        modele, rng.choice(COMMUNES + AILLEURS[:1]), pieces=rng.randint(1, 4),
        occupants=taille + rng.choice((0, 0, 1, 2)), loyer=Decimal(rng.randint(350, 1300)),
    )
    communes = tuple(rng.sample(COMMUNES, rng.randint(1, 3)))
    situations = tuple(
        rng.sample(
            ("handicap", "menace_expulsion", "violences_couple", "divorce_separation",
             "logement_indigne", "sortie_act", "travailleur_essentiel", "depart_personnes_a_charge"),
            rng.choice((0, 0, 0, 1, 1, 2)),
        )
    )
    return {
        "membres": tuple(membres),
        "logement_actuel": logement,
        "souhaits": Souhaits(communes, typologies, accepte_qpv=rng.random() < 0.8),
        "situations": situations,
        "personnel": DonneesPersonnelles(tuple(identites), email=f"d{i}@example.org"),
    }


def remplir_actives(registre: Registre, n: int, rng: random.Random, barre: bool) -> int:
    """n demands, all active today: filed 30 to 420 days ago, modified, renewed when their
    anniversary came, the schedule caught up to today; LOT_SAUVEGARDE aggregates per save, their
    keys created in one transaction per batch. Returns the events saved."""
    from tqdm import tqdm

    from domain import horloge
    from domain.acte import Acte
    from domain.demande import Demande
    from domain.numero_unique import composer

    t = registre.territoire
    ret = t.retention_donnees_mois
    orgs = [t.organisation(code) for code in GUICHETS]
    aujourdhui = horloge.aujourdhui()
    evenements = 0
    with tqdm(total=n, desc="fill", unit="demand", file=sys.stderr, disable=not barre) as progres:
        for debut in range(0, n, LOT_SAUVEGARDE):
            aggs = []
            for i in range(debut, min(debut + LOT_SAUVEGARDE, n)):
                org = orgs[i % len(orgs)]
                agent = org.agents[0].identifiant
                depot = aujourdhui - timedelta(days=rng.randint(30, 420))
                # Ages given a year before the filing: no birth date falls after it.
                h = foyer(rng, i, depot - timedelta(days=366))
                numero = composer(t.code, depot, i + 1, org.code_guichet)
                d = Demande.enregistrer(numero, Acte(depot, org.code, agent), **h)
                modif = min(depot + timedelta(days=rng.randint(5, 25)), aujourdhui - timedelta(days=1))
                d.rattraper(modif, ret)
                logement = foyer(rng, i, depot - timedelta(days=366))["logement_actuel"]
                d.modifier(Acte(modif, org.code, agent), logement_actuel=logement)
                anniversaire = d.etat.anniversaire
                if anniversaire - timedelta(days=50) <= aujourdhui:
                    renouv = max(modif + timedelta(days=1), anniversaire - timedelta(days=45))
                    renouv = min(renouv + timedelta(days=rng.randint(0, 40)), aujourdhui - timedelta(days=1))
                    if renouv > modif:
                        d.rattraper(renouv, ret)
                        d.renouveler(Acte(renouv, org.code, agent))
                d.rattraper(aujourdhui, ret)  # as `ledger schedule --through today`
                evenements += len(d.pending_events)
                aggs.append(d)
            registre.coffre.creer_lot([d.id for d in aggs])
            registre.save(*aggs)
            progres.update(len(aggs))
    return evenements
