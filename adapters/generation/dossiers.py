"""What the generator remembers of each demand, so that it never has to read the log back: the
facts its next commands depend on (active or not, anniversary, notices sent, household, wishes,
warnings, décotes, the candidacy in progress), and the schedule (DOMAIN.md §4) replayed in
memory exactly as `Demande.rattraper` appends it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain import calendrier, menage
from domain.codes import MotifMiseEnDemeure, MotifPreavis, MotifRadiation, StatutDalo
from domain.etat_demande import prochaine_echeance
from domain.foyer import DonneesPersonnelles, Identite, LogementActuel, Membre, Souhaits


class Ensemble:
    """A set with O(1) add, remove and uniform random draw, iterated in a deterministic order
    (Python sets of strings are not: their order changes with PYTHONHASHSEED)."""

    def __init__(self) -> None:
        self._liste: list[Any] = []
        self._pos: dict[Any, int] = {}

    def __len__(self) -> int:
        return len(self._liste)

    def __contains__(self, x: Any) -> bool:
        return x in self._pos

    def ajouter(self, x: Any) -> None:
        if x not in self._pos:
            self._pos[x] = len(self._liste)
            self._liste.append(x)

    def retirer(self, x: Any) -> None:
        i = self._pos.pop(x, None)
        if i is None:
            return
        dernier = self._liste.pop()
        if i < len(self._liste):
            self._liste[i] = dernier
            self._pos[dernier] = i

    def tirer(self, rng: random.Random) -> Any:
        return self._liste[rng.randrange(len(self._liste))]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._liste))


@dataclass
class DecoteMiroir:
    version: int
    date: date
    notifiee_le: date
    organisation: str
    recours: bool = False
    decidee: bool = False


@dataclass
class Dossier:
    numero: str
    guichet: str  # organisation that registered it (and renews, modifies…)
    filed_on: date
    anniversaire: date
    dernier: date  # last occurred_on on the demand: dates never go backwards
    membres: tuple[Membre, ...]
    naissances: tuple[tuple[str, date], ...]
    logement_actuel: LogementActuel | None
    souhaits: Souhaits
    situations: tuple[str, ...]
    version: int = 0
    active: bool = True
    radiee_le: date | None = None
    radiation: MotifRadiation | None = None
    effacee: bool = False
    preavis: set[tuple[date, MotifPreavis]] = field(default_factory=set)
    mise_en_demeure: tuple[date, MotifMiseEnDemeure] | None = None
    statut_dalo: StatutDalo = StatutDalo.NON
    rejetes: tuple[str, ...] = ()
    justifies: tuple[str, ...] = ()
    priorites: tuple[Any, ...] = ()  # categories recognised by the Etat
    eligibilites: tuple[tuple[str, Any], ...] = ()  # (réservataire, contingent) stated eligible
    decotes: dict[int, DecoteMiroir] = field(default_factory=dict)
    candidature: Any = None  # the vacancy in progress this demand is a candidate on
    cycle: int = 0  # bumped at every renewal/reactivation: plans of an older cycle lapse
    echeance_planifiee: date | None = None  # the date it sits in the schedule's heap for
    irrecevable_par: str | None = None  # bailleur whose CAL pronounced an irrecevabilité
    classe: str | None = None  # scenario steering (sophia): 'q1' or 'autre' at registration

    # -- what the schedule owes -----------------------------------------------------------

    def echeance(self, retention_mois: int) -> tuple[date, str] | None:
        # The domain's own rule, read off this memory (it has the fields the rule reads), so
        # the generator cannot drift from the schedule it predicts.
        return prochaine_echeance(self, retention_mois)  # type: ignore[arg-type]

    def rattraper(self, jusquau: date, retention_mois: int) -> list[str]:
        """As `Demande.rattraper`: what fell due by `jusquau`, each dated on its due date (never
        before the last event). Returns what was appended, in order."""
        faits: list[str] = []
        while True:
            e = self.echeance(retention_mois)
            if e is None or e[0] > jusquau:
                return faits
            jour, quoi = e
            jour = max(jour, self.dernier)
            self.dernier = jour
            self.version += 1
            faits.append(quoi)
            if quoi == "radiation":
                self.radier(jour, MotifRadiation.RADREN)
            elif quoi == "effacement":
                self.effacee = True
            else:
                self.preavis.add((self.anniversaire, MotifPreavis(quoi)))

    # -- effects of the generator's own commands ------------------------------------------

    def radier(self, jour: date, motif: MotifRadiation) -> None:
        self.active = False
        self.radiee_le = jour
        self.radiation = motif

    def renouveler(self, jour: date) -> None:
        self.anniversaire = calendrier.anniversaire(jour)
        self.cycle += 1
        if self.mise_en_demeure and self.mise_en_demeure[1] is MotifMiseEnDemeure.absence_reponse:
            self.mise_en_demeure = None

    def reactiver(self, jour: date) -> None:
        self.active = True
        self.radiee_le = None
        self.radiation = None
        self.mise_en_demeure = None
        self.anniversaire = calendrier.anniversaire(jour)
        self.cycle += 1

    # -- household arithmetic, as the Registre does it at a CAL or a bail -------------------

    def personnel(self) -> DonneesPersonnelles:
        return DonneesPersonnelles(
            identites=tuple(Identite(m, "-", "-", n) for m, n in self.naissances)
        )

    def par_uc(self, jour: date) -> Decimal:
        return menage.ressources_par_uc(self.membres, self.personnel(), jour)

    def premier_quartile(self, jour: date, seuil: Decimal | None) -> bool:
        return menage.premier_quartile(self.par_uc(jour), seuil)

    @property
    def prioritaire(self) -> bool:
        return menage.prioritaire(
            frozenset(self.situations), self.logement_actuel, frozenset(self.justifies), frozenset(self.rejetes)
        )

    @property
    def dalo(self) -> bool:
        return self.statut_dalo is StatutDalo.ACTIF

    def age(self, jour: date) -> int:
        return calendrier.age_au(self.naissances[0][1], jour)
