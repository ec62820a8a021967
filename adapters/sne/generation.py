"""A national exchange file of N generated demands, for the bulk import's tests and benchmark:
the households of the project's one generator (`adapters.generation.menages.generer_menage`, the
Cannes Pays de Lérins profile), their identities enriched with the national codes, written as the
ledger's export writes a demand (`correspondance.demande_sne`), streamed to the file one demand
at a time. Every demand is active on the file's date: filed up to six years before, renewed
within the last year when older than one. Seeded, so a file is the same for the same seed.

    python -m adapters.sne.generation 100000 var/sne-100000.xml [--seed 2024] [--date 2026-11-23]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO

import msgspec

from adapters.generation.menages import Contexte, generer_menage
from adapters.sne import modele as m
from adapters.sne.correspondance import demande_sne
from adapters.sne.ecriture import ecrire
from domain import calendrier
from domain.codes import (
    CategorieLogement,
    Civilite,
    LienDemandeur,
    LienParente,
    Nationalite,
    RoleMembre,
    Sexe,
    SituationFamiliale,
)
from domain.etat_demande import EtatDemande
from domain.foyer import (
    AdressePostale,
    ComplementLogement,
    ComplementMembre,
    Complements,
    Identite,
    RevenusFiscaux,
)
from domain.numero_unique import composer
from domain.territoire import Territoire

GUICHETS = ("OPH01", "CAN01", "CNT01", "MAN01", "MOU01")
SEUIL = Decimal("10500")  # a first-quartile threshold of the right order (docs/cotation.md)
VOIES = ("rue d'Antibes", "boulevard Carnot", "avenue de Grasse", "chemin des Collines", "rue Meynadier")


def contexte(territoire: Territoire) -> Contexte:
    poids: dict[str, int] = {}
    for lgt in territoire.logements:
        poids[lgt.commune] = poids.get(lgt.commune, 0) + 1
    communes = tuple((k, float(v)) for k, v in sorted(poids.items(), key=lambda x: -x[1]))
    if not communes:
        communes = tuple((c, 1.0) for c in sorted(territoire.communes_epci))
    return Contexte(communes=communes, ailleurs=("06088", "06069", "06004"), part_mutation=0.25)


def demandes(territoire: Territoire, n: int, jour: date, graine: int = 2024) -> Iterator[m.DemandeSNE]:
    rng = random.Random(graine)
    ctx = contexte(territoire)
    for i in range(n):
        anciennete = min(int(rng.expovariate(1 / 500)), 6 * 365)
        depot = jour - timedelta(days=1 + anciennete)
        # Ages are drawn a year before the filing, so that no birth date follows it.
        menage = generer_menage(rng, depot - timedelta(days=366), ctx, SEUIL)
        renouvellement = None
        if anciennete >= 365:
            debut = max(calendrier.ajouter_ans(depot, 1), jour - timedelta(days=330))
            renouvellement = debut + timedelta(days=rng.randint(0, max(0, (jour - debut).days - 1)))
        identites = tuple(_enrichir(rng, ident, mb.role) for ident, mb in zip(
            menage.personnel.identites, menage.membres, strict=True
        ))
        personnel = msgspec.structs.replace(
            menage.personnel,
            identites=identites,
            adresse_postale=AdressePostale(
                numero=str(rng.randint(1, 180)),
                voie=rng.choice(VOIES),
                code_postal="06400",
                commune=menage.logement_actuel.commune,
                etranger=False,
            ),
        )
        complements = Complements(
            numero_guichet=rng.choice(GUICHETS),
            membres=tuple(
                ComplementMembre(
                    mb.id,
                    revenus_fiscaux=RevenusFiscaux(
                        jour.year - 1,
                        Decimal(12 * sum(int(r.montant_mensuel) for r in mb.ressources)),
                        jour.year - 2,
                    ),
                )
                for mb in menage.membres
                if mb.role is not RoleMembre.personne_a_charge
            ),
            logement=ComplementLogement(categorie=rng.choice(list(CategorieLogement)[:2])),
        )
        etat = EtatDemande(
            numero_unique=composer(territoire.code, depot, i + 1, rng.choice(GUICHETS)),
            filed_on=depot,
            anniversaire=calendrier.anniversaire(renouvellement or depot),
            membres=menage.membres,
            logement_actuel=menage.logement_actuel,
            souhaits=menage.souhaits,
            motifs=menage.motifs,
            situations=frozenset(),
            personnel=personnel,
            complements=complements,
        )
        yield demande_sne(etat)


def _enrichir(rng: random.Random, i: Identite, role: RoleMembre) -> Identite:
    sexe = rng.choice((Sexe.F, Sexe.M))
    valeurs: dict[str, object] = {"sexe": sexe}
    if role is not RoleMembre.personne_a_charge:
        valeurs.update(
            civilite=Civilite.madame if sexe is Sexe.F else Civilite.monsieur,
            nationalite=rng.choices(list(Nationalite), (80, 8, 12))[0],
            situation_familiale=rng.choice(list(SituationFamiliale)),
        )
    if role is RoleMembre.cotitulaire:
        valeurs["lien_demandeur"] = rng.choice(list(LienDemandeur))
    if role is RoleMembre.personne_a_charge:
        valeurs["lien_parente"] = LienParente.E
    return msgspec.structs.replace(i, **valeurs)  # type: ignore[arg-type]


def ecrire_fichier(
    sortie: IO[bytes], territoire: Territoire, n: int, jour: date, graine: int = 2024
) -> int:
    entete = m.Entete(date_fichier=datetime(jour.year, jour.month, jour.day, 6, tzinfo=UTC), type_fichier="COP")
    return ecrire(sortie, entete, demandes(territoire, n, jour, graine))


def main(argv: list[str] | None = None) -> int:
    from adapters.territory_file import load_territory
    from domain import horloge

    p = argparse.ArgumentParser(prog="python -m adapters.sne.generation", description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="how many demands")
    p.add_argument("fichier", type=Path)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--date", type=date.fromisoformat, help="the file's date (default: today)")
    p.add_argument(
        "--territory", type=Path, default=Path(__file__).resolve().parents[2] / "territories" / "cannes-pays-de-lerins.toml"
    )
    a = p.parse_args(argv)
    jour = a.date or horloge.aujourdhui()
    a.fichier.parent.mkdir(parents=True, exist_ok=True)
    with a.fichier.open("wb") as f:
        n = ecrire_fichier(f, load_territory(a.territory), a.n, jour, a.seed)
    print(f"{n} demands written to {a.fichier} ({a.fichier.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
