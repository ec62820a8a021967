"""CAL sessions in a generated history (docs/rules.md and docs/flux.md): each bailleur holds its commission on its
weekday; the first dwelling examined that day opens the session, with the bailleur's members,
the mayor of the dwelling's commune, and now and then the préfet's representative, the EPCI's
president and a réservataire; every dwelling examined that day by that bailleur goes on the
same agenda; the session is closed at the end of the day, its minutes final."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain import commandes as c
from domain.cal import MembreCAL
from domain.codes import FormeSession, QualiteMembre
from domain.erreurs import RefusCommande

if TYPE_CHECKING:
    from adapters.generation.attributions import MiseEnLocation
    from adapters.generation.simulation import Simulation

P_DEMATERIALISEE = 0.2
P_PREFET = 0.7
P_EPCI = 0.4
P_RESERVATAIRE = 0.5


class Commissions:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.ouvertes: dict[tuple[str, date], str] = {}
        self.epci = next(
            (o.code for o in sim.territoire.organisations if o.code in ("CACPL", "CASA")), None
        )

    def session(self, ml: MiseEnLocation) -> str | None:
        """Today's session of the dwelling's bailleur, opened if it is the first dwelling."""
        sim = self.sim
        cle = (ml.bailleur, sim.jour)
        if cle in self.ouvertes:
            return self.ouvertes[cle]
        rng = sim.rng
        membres = [MembreCAL(ml.bailleur, QualiteMembre.bailleur)]
        maire = sim.guichet_commune.get(ml.spec.commune)
        if maire is not None:
            membres.append(MembreCAL(maire, QualiteMembre.maire))
        if rng.random() < P_PREFET:
            membres.append(MembreCAL(sim.etat, QualiteMembre.prefet))
        if self.epci is not None and rng.random() < P_EPCI:
            membres.append(MembreCAL(self.epci, QualiteMembre.president_epci))
        if ml.spec.reservataire and ml.spec.reservataire not in (maire, sim.etat, self.epci) and rng.random() < P_RESERVATAIRE:
            membres.append(MembreCAL(ml.spec.reservataire, QualiteMembre.reservataire))
        forme = FormeSession.dematerialisee if rng.random() < P_DEMATERIALISEE else FormeSession.presentiel
        org = sim.orgs[ml.bailleur]
        sim._tic()
        try:
            s = sim.registre.ouvrir_session(
                org, sim.agent(org.code), c.OuvrirSession(occurred_on=sim.jour, forme=forme, membres=tuple(membres))
            )
        except RefusCommande as e:
            sim.rapport.refus.append(f"{sim.jour} session of {ml.bailleur}: {e.regle}: {e.message}")
            return None
        sim.rapport.commandes["OuvrirSession"] += 1
        self.ouvertes[cle] = s.identifiant
        return s.identifiant

    def clore(self, jour: date) -> None:
        """Closes the sessions held on or before `jour` (at the end of their day)."""
        sim = self.sim
        for (bailleur, le), identifiant in sorted(self.ouvertes.items()):
            if le > jour:
                continue
            del self.ouvertes[(bailleur, le)]
            org = sim.orgs[bailleur]
            sim._tic()
            try:
                sim.registre.clore_session(org, sim.agent(org.code), identifiant, c.CloreSession(occurred_on=le))
            except RefusCommande as e:
                sim.rapport.refus.append(f"{le} closing {identifiant}: {e.regle}: {e.message}")
                continue
            sim.rapport.commandes["CloreSession"] += 1
