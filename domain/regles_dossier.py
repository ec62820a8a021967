"""The life of a demand's file, as rules for recording its facts (DOMAIN.md §3–4): registration,
modification, renewal, the schedule's notices, RADREN radiation and erasure, warnings, radiation,
reactivation, DALO recognition and the justification of a criterion.

A mixin of the `Demande` aggregate (`domain/demande.py`), which declares the events these methods
record; each method checks its preconditions on the demand's state, then records them.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain import bornes, calendrier, horloge, menage, verifications
from domain.acte import Acte, acte_systeme
from domain.codes import (
    Canal,
    Justification,
    MotifMiseEnDemeure,
    MotifPreavis,
    MotifRadiation,
    StatutDalo,
    TypeDecisionCAL,
)
from domain.erreurs import RegleEnfreinte
from domain.etat_demande import EtatDemande, appliquer, champs, prochaine_echeance
from domain.foyer import (
    Complements,
    DonneesPersonnelles,
    LogementActuel,
    Membre,
    Personnel,
    Souhaits,
)

if TYPE_CHECKING:
    from domain.demande import Demande

# Derived criteria of the grid (DOMAIN.md §5.1): a justification may concern them too.
CRITERES_DERIVES = frozenset(
    {
        "dalo",
        "premier_quartile",
        "sans_logement",
        "heberge_tiers",
        "heberge_structure",
        "travaille_epci",
        "travaille_commune",
        "habite_commune",
        "jeune_moins_30",
        "personne_agee_60",
        "parent_isole",
        "cdd_interim",
        "etudiant_apprenti",
        "anciennete_1an",
        "aspa_60_epci",
    }
)


class ReglesDuDossier:
    @classmethod
    def enregistrer(
        cls: type[Demande],
        numero_unique: str,
        acte: Acte,
        *,
        membres: tuple[Membre, ...],
        logement_actuel: LogementActuel | None,
        souhaits: Souhaits,
        motifs: tuple[str, ...] = (),
        situations: tuple[str, ...] = (),
        personnel: DonneesPersonnelles | None = None,
        filed_on: date | None = None,
        anniversaire: date | None = None,
        complements: Complements | None = None,
    ) -> Demande:
        verifications.pas_dans_le_futur(acte.occurred_on)
        depot = filed_on or acte.occurred_on
        if depot > acte.occurred_on:
            raise RegleEnfreinte(
                "filed_on_apres_enregistrement",
                f"filed_on {depot} is after the registration date {acte.occurred_on}",
            )
        bornes.numero_unique(numero_unique)
        verifications.foyer(membres, personnel)
        # A demand imported from the national system may come without the housing it seeks
        # (its file carries none): it is recorded without, and has no first choice (docs/rules.md).
        verifications.souhaits(souhaits, vides_permis=acte.canal is Canal.import_)
        verifications.logement_actuel(logement_actuel)
        verifications.situations(situations)
        verifications.motifs(motifs)
        verifications.complements(complements, membres)
        if anniversaire is not None and anniversaire <= depot:
            raise RegleEnfreinte(
                "anniversaire_invalide", f"anniversary {anniversaire} is not after filed_on {depot}"
            )
        if anniversaire is not None and anniversaire > calendrier.anniversaire(acte.occurred_on):
            # The last renewal cannot be later than the registration that imports it.
            raise RegleEnfreinte(
                "anniversaire_invalide",
                f"anniversary {anniversaire} is more than a year after the registration date "
                f"{acte.occurred_on}",
            )
        demande = cls._create(
            cls.Enregistree,
            id=cls.id_pour(numero_unique),
            **champs(acte),
            numero_unique=numero_unique,
            filed_on=depot,
            anniversaire=anniversaire or calendrier.anniversaire(depot),
            membres=membres,
            logement_actuel=logement_actuel,
            souhaits=souhaits,
            motifs=motifs,
            situations=situations,
            personnel=personnel,
            complements=complements,
            tranche_age=menage.tranche_age(membres, personnel, acte.occurred_on),
        )
        return demande

    def rattraper(self: Demande, jusquau: date, retention_mois: int) -> int:
        """Append whatever fell due on or before `jusquau` (notices, RADREN radiation, erasure),
        each dated on its own due date (DOMAIN.md §4). Returns how many events it appended."""
        avant = len(self.pending_events)
        jusquau = min(jusquau, horloge.aujourdhui())  # nothing is ever dated in the future
        while (due := self.echeance_due(self.etat, jusquau, retention_mois)) is not None:
            classe, champs_ = due
            self.trigger_event(classe, **champs_)
        return len(self.pending_events) - avant

    def etat_courant(self: Demande, au: date, retention_mois: int) -> EtatDemande:
        """The state as of `au` with what the schedule owes by then counted as fallen due, as a
        command dated `au` would find it: every read of "now" agrees with the next command
        even before the schedule has appended anything. Nothing is recorded."""
        etat = self.etat_au(au)
        jusquau = min(au, horloge.aujourdhui())
        version = self.version
        while (due := self.echeance_due(etat, jusquau, retention_mois)) is not None:
            classe, champs_ = due
            version += 1
            fait = classe(
                originator_id=self.id,
                originator_version=version,
                timestamp=horloge.maintenant(),
                **champs_,
            )
            appliquer(etat, fait)
        return etat

    def echeance_due(
        self: Demande, etat: EtatDemande, jusquau: date, retention_mois: int
    ) -> tuple[type[Demande.Event], dict[str, Any]] | None:
        """The schedule's next event for this demand if it fell due by `jusquau`: its class and
        fields, dated on its own due date (never before the demand's last event)."""
        echeance = prochaine_echeance(etat, retention_mois)
        if echeance is None or echeance[0] > jusquau:
            return None
        jour, quoi = echeance
        acte = champs(acte_systeme(max(jour, etat.dernier_jour)))  # never backwards, even for a late import
        if quoi == "radiation":
            return self.Radiee, {**acte, "motif": MotifRadiation.RADREN}
        if quoi == "effacement":
            return self.DonneesEffacees, acte
        return self.PreavisEnvoye, {**acte, "rang": MotifPreavis(quoi), "anniversaire": etat.anniversaire}

    def modifier(
        self: Demande,
        acte: Acte,
        *,
        membres: tuple[Membre, ...] | None = None,
        logement_actuel: LogementActuel | None = None,
        souhaits: Souhaits | None = None,
        motifs: tuple[str, ...] | None = None,
        situations: tuple[str, ...] | None = None,
        personnel: DonneesPersonnelles | None = None,
        complements: Complements | None = None,
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("modification")
        if all(
            x is None for x in (membres, logement_actuel, souhaits, motifs, situations, personnel, complements)
        ):
            raise RegleEnfreinte("modification_vide", "a modification must change at least one field")
        verifications.foyer(
            membres if membres is not None else self.etat.membres,
            personnel if personnel is not None else _lisible(self.etat.personnel),
        )
        if souhaits is not None:
            verifications.souhaits(souhaits, vides_permis=acte.canal is Canal.import_)
        verifications.logement_actuel(logement_actuel)
        if situations is not None:
            verifications.situations(situations)
        if motifs is not None:
            verifications.motifs(motifs)
        verifications.complements(complements, membres if membres is not None else self.etat.membres)
        self.trigger_event(
            self.Modifiee,
            **champs(acte),
            membres=membres,
            logement_actuel=logement_actuel,
            souhaits=souhaits,
            motifs=motifs,
            situations=situations,
            personnel=personnel,
            complements=complements,
        )

    def renouveler(self: Demande, acte: Acte) -> None:
        self._verifier_acte(acte)
        self._verifier_active("renouvellement")
        self.trigger_event(self.Renouvelee, **champs(acte), tranche_age=self._tranche_age(acte.occurred_on))

    def mettre_en_demeure(self: Demande, acte: Acte, motif: MotifMiseEnDemeure) -> None:
        self._verifier_acte(acte)
        self._verifier_active("mise_en_demeure")
        if motif is MotifMiseEnDemeure.irrecevabilite and not _irrecevabilite_prononcee(
            self, acte.organisation
        ):
            raise RegleEnfreinte(
                "irrecevabilite_non_prononcee",
                "a mise en demeure for irrecevabilité needs an irrecevabilité pronounced by this "
                "bailleur's CAL on this demand",
            )
        self.trigger_event(self.MiseEnDemeure, **champs(acte), motif=motif)

    def radier(self: Demande, acte: Acte, motif: MotifRadiation) -> None:
        self._verifier_acte(acte)
        self._verifier_active("radiation")
        if motif in (MotifRadiation.RADATT, MotifRadiation.RADREN):
            raise RegleEnfreinte(
                "radiation_automatique",
                f"{motif} is appended by the ledger itself "
                + ("with the bail" if motif is MotifRadiation.RADATT else "on schedule"),
            )
        if motif in (MotifRadiation.RADCON, MotifRadiation.RADIRR):
            attendu = (
                MotifMiseEnDemeure.absence_reponse
                if motif is MotifRadiation.RADCON
                else MotifMiseEnDemeure.irrecevabilite
            )
            med = self.etat.mise_en_demeure
            if med is None or med[1] is not attendu:
                raise RegleEnfreinte(
                    "mise_en_demeure_requise",
                    f"{motif} needs a prior mise en demeure ({attendu})",
                )
            possible = calendrier.radiation_apres_mise_en_demeure(med[0])
            if acte.occurred_on < possible:
                raise RegleEnfreinte(
                    "delai_mise_en_demeure",
                    f"{motif} is allowed from {possible.isoformat()}, one month after the mise en "
                    f"demeure of {med[0].isoformat()}",
                    possible_le=possible.isoformat(),
                )
        self.trigger_event(self.Radiee, **champs(acte), motif=motif)

    def reactiver(self: Demande, acte: Acte) -> None:
        self._verifier_acte(acte)
        etat = self.etat
        if etat.active:
            raise RegleEnfreinte("demande_active", f"demand {etat.numero_unique} is active")
        if etat.radiation is not MotifRadiation.RADREN:
            raise RegleEnfreinte(
                "reactivation_radren_seulement",
                f"only a RADREN radiation can be undone; this demand was radiated {etat.radiation}",
            )
        assert etat.radiee_le is not None
        limite = calendrier.reactivation_possible_jusqua(etat.radiee_le)
        if acte.occurred_on > limite:
            raise RegleEnfreinte(
                "delai_reactivation",
                f"reactivation was possible until {limite.isoformat()} (RADREN radiation of "
                f"{etat.radiee_le.isoformat()} + 1 month)",
                possible_jusqua=limite.isoformat(),
            )
        self.trigger_event(self.Reactivee, **champs(acte), tranche_age=self._tranche_age(acte.occurred_on))

    def _tranche_age(self: Demande, jour: date) -> str | None:
        return menage.tranche_age(self.etat.membres, _lisible(self.etat.personnel), jour)

    def reconnaitre_dalo(self: Demande, acte: Acte, statut: StatutDalo) -> None:
        self._verifier_acte(acte)
        self.trigger_event(self.DaloReconnu, **champs(acte), statut=statut)

    def justifier(self: Demande, acte: Acte, critere: str, justification: Justification) -> None:
        self._verifier_acte(acte)
        if critere not in self.etat.situations and critere not in CRITERES_DERIVES:
            raise RegleEnfreinte(
                "critere_non_revendique",
                f"criterion {critere!r} is neither declared in the demand's situations nor derived",
            )
        self.trigger_event(
            self.CritereJustifie, **champs(acte), critere=critere, justification=justification
        )


def _lisible(p: Personnel | None) -> DonneesPersonnelles | None:
    return p if isinstance(p, DonneesPersonnelles) else None


def _irrecevabilite_prononcee(demande: Demande, organisation: str) -> bool:
    return any(
        isinstance(f, demande.DecisionCAL)
        and f.decision is TypeDecisionCAL.irrecevabilite
        and f.organisation == organisation
        and not demande.est_retracte(f.originator_version)
        for f in demande.faits
    )
