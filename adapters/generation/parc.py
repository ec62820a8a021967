"""The generated dwellings (the parc social): counts apportioned exactly to the reference shares,
then shuffled over the dwellings with the seed. Only the dwellings are generated; communes,
organisations and thresholds come from the territory the parc belongs to."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Logement:
    identifiant: str
    commune: str
    qpv: bool = False
    bailleur: str = ""
    typologie: str = ""
    financement: str = ""
    contingent: str = ""
    reservataire: str | None = None
    vacant: bool = False


@dataclass(frozen=True)
class ProfilParc:
    """Shares of a territory's parc. Weights need not sum to anything."""

    communes: tuple[tuple[str, float], ...]  # INSEE, weight
    commune_qpv: str  # the commune holding the QPV
    qpv: int  # dwellings in the QPV (already scaled)
    bailleurs: tuple[tuple[str, float], ...]
    bailleurs_qpv: tuple[tuple[str, float], ...]
    financement: tuple[tuple[str, float], ...]
    typologie: tuple[tuple[str, float], ...]
    contingent: tuple[tuple[str, float], ...]
    # Holder of each reserved contingent; COLTER goes to the commune's own organisation, or to
    # the EPCI's with probability `colter_epci`.
    titulaires: dict[str, str]
    colter_commune: dict[str, str]  # INSEE -> organisation code
    colter_epci: str | None
    part_colter_epci: float
    vacants: int  # dwellings vacant when the ledger starts (a vacancy in progress)


def repartir(total: int, poids: Sequence[tuple[str, float]]) -> list[str]:
    """`total` labels in the proportions of `poids` (largest remainder): exact shares, where
    drawing each dwelling at random would drift."""
    somme = sum(w for _, w in poids)
    quotas = [(label, total * w / somme) for label, w in poids]
    comptes = {label: int(q) for label, q in quotas}
    reste = total - sum(comptes.values())
    ordre = sorted(range(len(quotas)), key=lambda i: (-(quotas[i][1] % 1), i))
    for i in ordre[:reste]:
        comptes[quotas[i][0]] += 1
    return [label for label, _ in poids for _ in range(comptes[label])]


def _melange(rng: random.Random, labels: list[str]) -> list[str]:
    rng.shuffle(labels)
    return labels


def generer_parc(rng: random.Random, total: int, profil: ProfilParc) -> list[Logement]:
    communes = repartir(total, profil.communes)
    largeur = max(5, len(str(total)))
    sequence: dict[str, int] = {}
    parc: list[Logement] = []
    for insee in communes:
        sequence[insee] = sequence.get(insee, 0) + 1
        parc.append(Logement(f"RPLS-{insee}{sequence[insee]:0{largeur}d}", insee))

    dans_commune = [lgt for lgt in parc if lgt.commune == profil.commune_qpv]
    for lgt in rng.sample(dans_commune, min(profil.qpv, len(dans_commune))):
        lgt.qpv = True
    en_qpv = [lgt for lgt in parc if lgt.qpv]
    hors_qpv = [lgt for lgt in parc if not lgt.qpv]

    # QPV dwellings belong to the bailleurs that carry the QPV; the others share the rest so
    # that each bailleur's overall share holds.
    bailleurs_qpv = repartir(len(en_qpv), profil.bailleurs_qpv)
    tous = repartir(total, profil.bailleurs)
    for b in bailleurs_qpv:
        if b in tous:
            tous.remove(b)
    if len(tous) < len(hors_qpv):  # a QPV bailleur holds more there than its overall share
        tous += repartir(len(hors_qpv) - len(tous), profil.bailleurs)
    reste = tous[: len(hors_qpv)]
    for lgt, b in zip(en_qpv, _melange(rng, bailleurs_qpv), strict=True):
        lgt.bailleur = b
    for lgt, b in zip(hors_qpv, _melange(rng, reste), strict=True):
        lgt.bailleur = b

    for lgt, t in zip(parc, _melange(rng, repartir(total, profil.typologie)), strict=True):
        lgt.typologie = t
    for lgt, f in zip(parc, _melange(rng, repartir(total, profil.financement)), strict=True):
        lgt.financement = f
    for lgt, c in zip(parc, _melange(rng, repartir(total, profil.contingent)), strict=True):
        lgt.contingent = c
        if c == "COLTER":
            epci = profil.colter_epci is not None and rng.random() < profil.part_colter_epci
            lgt.reservataire = profil.colter_epci if epci else profil.colter_commune[lgt.commune]
        elif c != "AUCUN":
            lgt.reservataire = profil.titulaires[c]
    vacants = min(profil.vacants, total)
    drapeaux = _melange(rng, ["v"] * vacants + ["l"] * (total - vacants))
    for lgt, d in zip(parc, drapeaux, strict=True):
        lgt.vacant = d == "v"
    return parc
