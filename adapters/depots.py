"""Dépôts of demands at the guichets, before their registration (CCH R.441-2-4;
`domain/depot.py`): recorded and retracted here, closed by the registration that names them
(`Registre._enregistrer`)."""

from __future__ import annotations

from eventsourcing.persistence import RecordConflictError

from adapters.registre import Registre
from domain import commandes as c
from domain import permissions
from domain.acte import Acte
from domain.depot import Depot
from domain.erreurs import RegleEnfreinte, VersionPerimee
from domain.territoire import Organisation


def deposer(registre: Registre, org: Organisation, agent: str, commande: c.Deposer) -> Depot:
    """The dépôt of a request at the guichet `org`, under its reference."""
    permissions.ecriture(org)
    permissions.exiger(org, commande)
    depot = Depot.recevoir(Acte(commande.occurred_on, org.code, agent), commande.reference)
    try:
        registre.save(depot)
    except RecordConflictError:
        raise RegleEnfreinte("depot_existant", f"{org.code} already recorded a dépôt {depot.reference!r}") from None
    return depot


def retracter_depot(registre: Registre, org: Organisation, agent: str, reference: str, commande: c.RetracterDepot) -> Depot:
    """A dépôt recorded in error, retracted by its guichet while it is not registered."""
    permissions.ecriture(org)
    permissions.exiger(org, commande)
    depot = registre.depot(org.code, reference)
    depot.retracter(Acte(commande.occurred_on, org.code, agent), commande.motif)
    try:
        registre.save(depot)
    except RecordConflictError:
        raise VersionPerimee("ecriture_concurrente", f"dépôt {reference} changed meanwhile; retry") from None
    return depot
