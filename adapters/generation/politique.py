"""The scenario's choices, as hooks the simulation calls: how many demands to keep active, which
dwellings fall vacant, who may be designated, what a CAL decides, whether a candidate accepts,
whether a bail may be signed today. `Politique` is the default Cannes Pays de Lérins history;
`sophia.PolitiqueSophia` steers the Sophia Antipolis figures exactly."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain.territoire import LogementSocial

if TYPE_CHECKING:
    from adapters.generation.attributions import Candidat, MiseEnLocation
    from adapters.generation.dossiers import Dossier
    from adapters.generation.simulation import Simulation

TENSION_CANNES = 9.61  # active demands per bail of the last 12 months (§6, 2022)
ROTATION_CANNES = 0.06
AILLEURS_CANNES = ("06004", "06088", "06069", "06155")  # Antibes, Nice, Grasse, Vallauris


class Politique:
    """The scenario's choices; this one is the default Cannes Pays de Lérins history. The
    Sophia Antipolis scenario overrides what it must steer exactly."""

    tension = TENSION_CANNES
    rotation = ROTATION_CANNES
    part_mutation = 0.27
    p_renouvelle = 0.82  # renews within the window; the others get RADREN from the schedule
    modifie_ressources = True
    ailleurs: tuple[str, ...] = AILLEURS_CANNES

    def __init__(self) -> None:
        self._reste_vacances = 0.0

    def baux_reference(self, sim: Simulation, jour: date) -> float:
        prevu = self.rotation * len(sim.territoire.logements)
        if (jour - sim.debut).days < 365:
            return prevu
        return float(sim.baux_12_mois(jour)) or prevu

    def cible_stock(self, sim: Simulation, jour: date) -> float:
        return self.tension * self.baux_reference(sim, jour)

    def stock_initial(self, sim: Simulation) -> int:
        return round(self.cible_stock(sim, sim.debut))

    def vacances(self, sim: Simulation, jour: date) -> list[LogementSocial]:
        """Dwellings whose tenant leaves today (weekdays): `rotation` of the parc a year."""
        self._reste_vacances += self.rotation * len(sim.territoire.logements) / 365 * 7 / 5
        n = int(self._reste_vacances)
        self._reste_vacances -= n
        return [sim.territoire.logement(sim.loues.tirer(sim.rng)) for _ in range(min(n, len(sim.loues)))]

    def classe_menage(self, sim: Simulation, jour: date) -> str | None:
        return None

    def avant_designation(self, sim: Simulation, ml: MiseEnLocation) -> None:
        pass

    def eligible(self, sim: Simulation, ml: MiseEnLocation, d: Dossier) -> bool:
        return True

    def reporter_cal(self, sim: Simulation, ml: MiseEnLocation) -> bool:
        return False

    def issue_cal(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> str:
        u = sim.rng.random()
        if u < 0.03:
            return "irrecevabilite"
        if u < 0.10:
            return "non_attribution"
        return "attribution"

    def apres_decision(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> None:
        pass

    def reponse(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> str:
        accepte = 0.55 if ml.spec.qpv else 0.68
        u = sim.rng.random()
        if u < accepte:
            return "accepte"
        return "refuse" if u < accepte + (1 - accepte) * 0.85 else "absence"

    def delai_bail(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> int:
        return sim.rng.randint(4, 25)

    def peut_signer(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> bool:
        return True

    def apres_bail(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> None:
        pass

    def fin_de_journee(self, sim: Simulation, jour: date) -> None:
        pass

    def plancher(self, sim: Simulation, jour: date) -> date:
        """Earliest occurred_on a late-typed fact may carry today."""
        return sim.debut

    def chiffres(self, sim: Simulation) -> dict[str, int]:
        return {}
