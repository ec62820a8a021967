"""Who records a fact, when it happened, and through which channel (docs/rules.md)."""

from datetime import date

import msgspec

from domain.codes import Canal

SYSTEME = "SYSTEME"  # the ledger itself, gestionnaire du système
AGENT_PLANIFICATEUR = "planificateur"


class Acte(msgspec.Struct, frozen=True):
    occurred_on: date
    organisation: str
    agent: str
    canal: Canal = Canal.api


def acte_systeme(jour: date) -> Acte:
    return Acte(occurred_on=jour, organisation=SYSTEME, agent=AGENT_PLANIFICATEUR, canal=Canal.schedule)
