"""What a generation wrote, as the summary printed at the end of a run and as figures that tests
and benchmarks read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Rapport:
    scenario: str
    graine: int
    debut: date
    fin: date
    logements: int
    evenements: int = 0  # events appended to the log (demands and dwellings)
    demandes: int = 0  # registered, imported included
    importees: int = 0
    baux: int = 0
    actives_fin: int = 0  # demands active at the end of the last day
    baux_12_mois: int = 0  # baux in the 12 months before the end (fin excluded one year back)
    secondes: float = 0.0
    commandes: Counter[str] = field(default_factory=Counter)  # commands executed, by kind
    refus: list[str] = field(default_factory=list)  # commands the ledger refused (a generator bug)
    ecarts: list[str] = field(default_factory=list)  # mirror vs stored demand (verifier=True)
    scenario_chiffres: dict[str, int] = field(default_factory=dict)

    @property
    def tension(self) -> float:
        return self.actives_fin / self.baux_12_mois if self.baux_12_mois else float("nan")

    @property
    def evenements_par_seconde(self) -> float:
        return self.evenements / self.secondes if self.secondes else 0.0

    def resume(self) -> str:
        lignes = [
            f"scenario {self.scenario} (seed {self.graine}), {self.debut} to {self.fin}, "
            f"{self.logements:,} dwellings",
            f"  events      {self.evenements:,}",
            f"  demands     {self.demandes:,} ({self.importees:,} imported at the start)",
            f"  baux        {self.baux:,} ({self.baux_12_mois:,} in the last 12 months)",
            f"  active      {self.actives_fin:,} demands on {self.fin}",
            f"  tension     {self.tension:.2f} active demands per bail of the last 12 months",
            f"  elapsed     {self.secondes:.1f} s, {self.evenements_par_seconde:,.0f} events/s",
        ]
        for k, v in self.scenario_chiffres.items():
            lignes.append(f"  {k:<11} {v:,}")
        if self.refus:
            lignes.append(f"  REFUSED     {len(self.refus)} commands (first: {self.refus[0]})")
        if self.ecarts:
            lignes.append(f"  MISMATCHES  {len(self.ecarts)} (first: {self.ecarts[0]})")
        return "\n".join(lignes)
