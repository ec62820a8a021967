"""Priority and eligibility, shared with every partner (CCH L.441-1, L.441-2-3; docs/rules.md):
the caractère prioritaire the Etat or a labelling instance recognises, and the contingents a
réservataire states the demand eligible to.

A mixin of the `Demande` aggregate (`domain/demande.py`), which declares the events; each method
checks its preconditions on the demand's state, then records them. Who may record them:
`domain/permissions.py`. Both are corrected by retraction, as every fact.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain.acte import Acte
from domain.codes import CategoriePrioritaire, SourcePriorite, TypeReservataire
from domain.erreurs import RegleEnfreinte
from domain.etat_demande import champs

if TYPE_CHECKING:
    from domain.demande import Demande


class ReglesDePriorite:
    def reconnaitre_priorite(
        self: Demande,
        acte: Acte,
        categorie: CategoriePrioritaire,
        source: SourcePriorite,
        du: date,
        jusqua: date | None,
    ) -> None:
        self._verifier_acte(acte)
        etat = self.etat
        if not etat.active:
            raise RegleEnfreinte(
                "demande_inactive", f"demand {etat.numero_unique} is radiated: no priority to recognise"
            )
        if du > acte.occurred_on:
            raise RegleEnfreinte(
                "priorite_future",
                f"a priority is recognised from a day already come: du {du.isoformat()} is after "
                f"the recognition's date {acte.occurred_on.isoformat()}",
                du=du.isoformat(),
            )
        if jusqua is not None and jusqua < du:
            raise RegleEnfreinte(
                "periode_invalide",
                f"jusqua {jusqua.isoformat()} is before du {du.isoformat()}",
            )
        for p in etat.priorites.values():
            chevauche = (p.jusqua is None or du <= p.jusqua) and (jusqua is None or p.du <= jusqua)
            if p.categorie is categorie and chevauche:
                raise RegleEnfreinte(
                    "priorite_deja_reconnue",
                    f"category {categorie} is already recognised from {p.du.isoformat()}"
                    + (f" to {p.jusqua.isoformat()}" if p.jusqua else "")
                    + f" (event {p.version}): retract it to correct it",
                    evenement=p.version,
                )
        self.trigger_event(
            self.CaracterePrioritaireReconnu, **champs(acte), categorie=categorie, source=source,
            du=du, jusqua=jusqua,
        )

    def declarer_eligibilite(
        self: Demande, acte: Acte, contingent: TypeReservataire, eligible: bool
    ) -> None:
        self._verifier_acte(acte)
        etat = self.etat
        if contingent is TypeReservataire.AUCUN:
            raise RegleEnfreinte(
                "contingent_invalide", "AUCUN is no contingent: name the réservataire's contingent"
            )
        deja = (acte.organisation, contingent) in etat.contingents_eligibles
        if eligible:
            if not etat.active:
                raise RegleEnfreinte(
                    "demande_inactive", f"demand {etat.numero_unique} is radiated: it is eligible to nothing"
                )
            if deja:
                raise RegleEnfreinte(
                    "deja_eligible",
                    f"{acte.organisation} already states this demand eligible to {contingent}",
                )
        elif not deja:
            raise RegleEnfreinte(
                "eligibilite_absente",
                f"{acte.organisation} has not stated this demand eligible to {contingent}: "
                "nothing to withdraw",
            )
        self.trigger_event(
            self.EligibiliteContingent, **champs(acte), contingent=contingent, eligible=eligible
        )
