"""What a generation is asked for: scenario, seed, size and period. Checked once, with errors
that name the option and what it accepts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from domain import calendrier

SCENARIOS = ("cannes", "sophia")
LOGEMENTS_CANNES = 10_213  # RPLS 2022, PPGDID Cannes Pays de Lérins
LOGEMENTS_SOPHIA = 6_743  # RPLS 2016, CASA
ANNEES_DEFAUT = 6  # the default run writes more than 200,000 events (docs/generate.md)
ANNEES_MAX = 40
ECHELLE_MIN = 0.005
ECHELLE_MAX = 50.0
# Sophia Antipolis: the rulebook's figures are for 2016 (baux, tension) and 2017 (targets).
SOPHIA_DEBUT = date(2016, 1, 1)
SOPHIA_FIN = date(2017, 12, 31)


class GenerationError(ValueError):
    """A generation that cannot run as asked: a bad option, a database already in use."""


@dataclass(frozen=True)
class Parametres:
    scenario: str = "cannes"
    graine: int = 2024
    echelle: float = 1.0
    annees: int | None = None  # history length (cannes); default ANNEES_DEFAUT
    jusquau: date | None = None  # last simulated day; default yesterday (cannes)
    # Compare the in-memory mirror of every demand with the stored aggregate at the end
    # (slow: loads every demand; for tests).
    verifier: bool = False

    def valider(self, aujourdhui: date) -> Parametres:
        """The parameters with their defaults filled in; GenerationError if they cannot work."""
        if self.scenario not in SCENARIOS:
            raise GenerationError(
                f"--scenario {self.scenario!r}: expected one of {', '.join(SCENARIOS)}"
            )
        if self.scenario == "sophia":
            if self.echelle != 1.0:
                raise GenerationError(
                    "--echelle does not apply to --scenario sophia: its 2017 figures are absolute"
                )
            if self.annees not in (None, 2):
                raise GenerationError(
                    "--annees does not apply to --scenario sophia: it simulates 2016 and 2017"
                )
            if self.jusquau is not None and self.jusquau != SOPHIA_FIN:
                raise GenerationError(
                    f"--jusquau does not apply to --scenario sophia: it ends on {SOPHIA_FIN}"
                )
            if aujourdhui <= SOPHIA_FIN:
                raise GenerationError(f"the sophia scenario ends on {SOPHIA_FIN}, not before today")
            return replace(self, jusquau=SOPHIA_FIN, annees=2)
        if not ECHELLE_MIN <= self.echelle <= ECHELLE_MAX:
            raise GenerationError(
                f"--echelle {self.echelle}: expected a factor between {ECHELLE_MIN} and {ECHELLE_MAX} "
                f"(1 = the {LOGEMENTS_CANNES:,} dwellings of Cannes Pays de Lérins)"
            )
        annees = ANNEES_DEFAUT if self.annees is None else self.annees
        if not 1 <= annees <= ANNEES_MAX:
            raise GenerationError(f"--annees {annees}: expected a whole number of years, 1 to {ANNEES_MAX}")
        hier = aujourdhui - timedelta(days=1)
        jusquau = hier if self.jusquau is None else self.jusquau
        if jusquau >= aujourdhui:
            raise GenerationError(
                f"--jusquau {jusquau}: the history must end before today ({aujourdhui}); "
                "nothing is ever dated in the future"
            )
        return replace(self, annees=annees, jusquau=jusquau)

    @property
    def debut(self) -> date:
        assert self.jusquau is not None and self.annees is not None, "valider() first"
        if self.scenario == "sophia":
            return SOPHIA_DEBUT
        return calendrier.ajouter_ans(self.jusquau, -self.annees) + timedelta(days=1)

    @property
    def logements(self) -> int:
        if self.scenario == "sophia":
            return LOGEMENTS_SOPHIA
        return max(20, round(LOGEMENTS_CANNES * self.echelle))

    @property
    def nom(self) -> str:
        """Default file name of the territory and database."""
        if self.scenario == "sophia":
            return "sophia-2017"
        return f"cannes-{self.logements}"
