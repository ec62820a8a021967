"""The gestion en flux in a generated territory (docs/rules.md and docs/flux.md, décret 2020-145): the date the
territory switches from stock to flux, its conventions de réservation, and the bailleurs'
orientation of each new vacancy.

The switch is the legal one, 24 November 2023, when the history spans it, else the history's
middle, so that every generated history shows both. Conventions, per bailleur and year from the
switch: the Etat 25 % (priority households) and 5 % (public servants), 30 % in all (L.441-1);
Action Logement, the EPCI and each commune keep the weight their stock contingent had in the
bailleur's parc (a commune's, of the vacancies in its own territory). A bailleur orients each
vacancy to the convention furthest behind its promise, withdraws a few from the flux base
(internal mutations, urban renewal) and keeps the rest."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import commandes as c
from domain.codes import RetraitFlux, TypeReservataire
from domain.erreurs import RefusCommande
from domain.territoire import Convention, LogementSocial

if TYPE_CHECKING:
    from adapters.generation.simulation import Simulation

BASCULE_LEGALE = date(2023, 11, 24)  # every stock convention converted by then (loi ELAN)
PART_ETAT = (("PPRIOR", 25), ("PFONCT", 5))
P_RETRAIT = (("mutation_interne", 0.03), ("renouvellement_urbain", 0.01))


def date_du_flux(debut: date, fin: date) -> date:
    if debut < BASCULE_LEGALE <= fin:
        return BASCULE_LEGALE
    return debut + (fin - debut) / 2


def conventions(
    logements: Sequence[dict[str, Any]], annees: range, epci: str, etat: str = "ETAT-06", als: str = "ALS"
) -> list[dict[str, Any]]:
    """The conventions of a parc (its dwellings as the territory file's tables), per year."""
    out: list[dict[str, Any]] = []
    for bailleur in sorted({lg["bailleur"] for lg in logements}):
        siens = [lg for lg in logements if lg["bailleur"] == bailleur]
        colact = round(100 * sum(lg["contingent"] == "COLACT" for lg in siens) / len(siens))
        part_epci = round(100 * sum(lg.get("reservataire") == epci for lg in siens) / len(siens))
        communes: list[tuple[str, str, int]] = []
        for insee in sorted({lg["commune"] for lg in siens}):
            ici = [lg for lg in siens if lg["commune"] == insee]
            tenus = [
                lg for lg in ici
                if lg["contingent"] == "COLTER" and lg.get("reservataire") not in (None, epci)
            ]
            part = round(100 * len(tenus) / len(ici))
            if part:
                communes.append((tenus[0]["reservataire"], insee, part))
        for annee in annees:
            for contingent, part in PART_ETAT:
                out.append({"reservataire": etat, "bailleur": bailleur, "annee": annee,
                            "contingent": contingent, "part": part})
            if colact:
                out.append({"reservataire": als, "bailleur": bailleur, "annee": annee,
                            "contingent": "COLACT", "part": colact})
            if part_epci:
                out.append({"reservataire": epci, "bailleur": bailleur, "annee": annee,
                            "contingent": "COLTER", "part": part_epci})
            for org, insee, part in communes:
                out.append({"reservataire": org, "bailleur": bailleur, "annee": annee,
                            "contingent": "COLTER", "part": part, "commune": insee})
    return out


class Orientations:
    """What each bailleur has oriented so far, per convention and year, to orient the next
    vacancy where the promise is furthest behind."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.base: dict[tuple[str, int, str], int] = defaultdict(int)  # (bailleur, year, commune)
        self.orientees: dict[str, int] = defaultdict(int)  # convention -> vacancies oriented

    def orienter(self, spec: LogementSocial, jour: date) -> tuple[str | None, TypeReservataire | None]:
        """Orients the vacancy opened on `jour` (in flux); returns (réservataire, contingent)
        that designate on it: (None, None) when the bailleur keeps it or withdrew it."""
        sim, t = self.sim, self.sim.territoire
        u = sim.rng.random()
        retrait = None
        for raison, p in P_RETRAIT:
            if u < p:
                retrait = RetraitFlux(raison)
                break
            u -= p
        choisie: Convention | None = None
        if retrait is None:
            self.base[(spec.bailleur, jour.year, spec.commune)] += 1
            base_bailleur = sum(n for (b, a, _), n in self.base.items() if b == spec.bailleur and a == jour.year)
            retard = Decimal(0)
            for cv in t.conventions_de(spec.bailleur, jour.year):
                if not cv.couvre(spec.typologie, spec.commune) or cv.part is None:
                    continue
                base = base_bailleur if cv.commune is None else self.base[(spec.bailleur, jour.year, cv.commune)]
                ecart = cv.part * base / 100 - self.orientees[cv.identifiant]
                if ecart > retard:
                    choisie, retard = cv, ecart
        cmd = c.OrienterVacance(
            occurred_on=jour,
            reservataire=choisie.reservataire if choisie else None,
            contingent=choisie.contingent if choisie else None,
            retrait=retrait,
        )
        org = sim.orgs[spec.bailleur]
        sim._tic()
        try:
            sim.registre.orienter_vacance(org, sim.agent(org.code), spec.identifiant, cmd)
        except RefusCommande as e:
            sim.rapport.refus.append(f"{jour} orientation {spec.identifiant}: {e.regle}: {e.message}")
            return None, None
        sim.rapport.commandes["OrienterVacance"] += 1
        if choisie is None:
            return None, None
        self.orientees[choisie.identifiant] += 1
        return choisie.reservataire, choisie.contingent
