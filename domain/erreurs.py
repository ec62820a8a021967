"""Why a command is refused. Each error names the rule it enforces so that an operator, an API
client and an auditor read the same reason."""

from typing import Any


class RefusCommande(Exception):
    """A command that the ledger refuses; nothing is appended."""

    statut = 422

    def __init__(self, regle: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.regle = regle
        self.message = message
        self.details = details


class RegleEnfreinte(RefusCommande):
    """A domain precondition or an invalid payload (docs/rules.md)."""


class Interdit(RefusCommande):
    """The acting organisation may not record this fact (docs/rules.md, "Who acts")."""

    statut = 403


class Introuvable(RefusCommande):
    statut = 404


class VersionPerimee(RefusCommande):
    """The client's expected version is stale, or a concurrent writer got there first."""

    statut = 409
