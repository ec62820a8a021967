"""The guichets' back office of the day in one transaction: renewals, modifications,
justifications, warnings, radiations, reactivations and DALO decisions, applied to the demand
aggregates exactly as `Registre.executer` does (permission, the demand's catch-up with its own
schedule, the domain method), then saved together. One transaction per command would cost most
of a run; the events, their dates and their order on each demand are the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.registre import Registre, Resultat
from domain import commandes as c
from domain import permissions
from domain.acte import Acte
from domain.demande import Demande
from domain.territoire import Organisation

# The Registre's handlers for the commands that concern one demand and nothing else.
_APPLIQUER: dict[type, Callable[[Organisation, Acte, Demande, Any], None]] = {
    c.Renouveler: lambda o, a, d, x: (permissions.guichet(o, "a renewal"), d.renouveler(a)),
    c.Modifier: lambda o, a, d, x: (
        permissions.guichet(o, "a modification"),
        d.modifier(
            a, membres=x.membres, logement_actuel=x.logement_actuel, souhaits=x.souhaits,
            motifs=x.motifs, situations=x.situations, personnel=x.personnel,
        ),
    ),
    c.Justifier: lambda o, a, d, x: (
        permissions.guichet(o, "a justification"), d.justifier(a, x.critere, x.justification)
    ),
    c.MettreEnDemeure: lambda o, a, d, x: (
        permissions.mise_en_demeure(o, x.motif), d.mettre_en_demeure(a, x.motif)
    ),
    c.Radier: lambda o, a, d, x: (permissions.radiation(o, x.motif), d.radier(a, x.motif)),
    c.Reactiver: lambda o, a, d, x: (permissions.guichet(o, "a reactivation"), d.reactiver(a)),
    c.ReconnaitreDalo: lambda o, a, d, x: (permissions.dalo(o), d.reconnaitre_dalo(a, x.statut)),
}
EN_LOT = frozenset(_APPLIQUER)


class Lot:
    def __init__(self, registre: Registre) -> None:
        self.registre = registre
        self.demandes: dict[str, Demande] = {}

    def __contains__(self, numero: str) -> bool:
        return numero in self.demandes

    def executer(self, org: Organisation, agent: str, commande: c.Commande, numero: str) -> Resultat:
        """Raises the domain's refusal as `Registre.executer` would; nothing is saved yet."""
        permissions.ecriture(org)
        acte = Acte(commande.occurred_on, org.code, agent)
        demande = self.demandes.get(numero) or self.registre.demande(numero)
        avant = demande.version
        demande.rattraper(acte.occurred_on, self.registre.territoire.retention_donnees_mois)
        _APPLIQUER[type(commande)](org, acte, demande, commande)
        self.demandes[numero] = demande
        return Resultat(
            numero_unique=numero,
            version=demande.version,
            evenements=tuple(range(avant + 1, demande.version + 1)),
            position=None,
        )

    def vider(self) -> None:
        if not self.demandes:
            return
        lot = list(self.demandes.values())
        self.demandes = {}
        self.registre.save(*lot)
        for demande in lot:  # as Registre.executer after a save: an erasure shreds the key
            if demande.etat.effacee and self.registre.coffre.cle(demande.id) is not None:
                self.registre.coffre.effacer(demande.id)
