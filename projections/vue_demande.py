"""What GET /demandes/{numero_unique} shows: the demand's current state, read from its events
(`vue_courante`: as a command dated today would find it)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import msgspec

from domain.codes import (
    CodeDecote,
    DecisionRecours,
    Justification,
    MotifRadiation,
    StatutDalo,
    TypeReservataire,
)
from domain.demande import Demande, EtatDemande
from domain.foyer import LogementActuel, Membre, Personnel, Souhaits

if TYPE_CHECKING:
    from adapters.registre import Registre


class Reserve(msgspec.Struct, frozen=True, tag="reserve"):
    """The personal data, as a reader who may not read them sees them (`{"type": "reserve"}`;
    projections/lectures_personnelles.py)."""


class VueDecote(msgspec.Struct, frozen=True):
    evenement: int
    code: CodeDecote
    date: date
    expire_le: date
    notifiee_le: date
    recours_possible_jusqua: date
    organisation: str
    refus: int | None
    recours: int | None
    recours_depose_le: date | None
    decision_recours: DecisionRecours | None


class VueCandidature(msgspec.Struct, frozen=True):
    logement: str
    vacance: int
    contingent: TypeReservataire | None
    designations: list[int]
    decisions: list[int]
    refus: int | None
    condition_levee: bool
    bail: int | None


class VuePriorite(msgspec.Struct, frozen=True):
    """A caractère prioritaire recognised (CCH L.441-1), shared with every partner."""

    evenement: int
    categorie: str
    source: str
    du: date
    jusqua: date | None
    organisation: str
    en_vigueur: bool  # on the view's day


class VueEligibilite(msgspec.Struct, frozen=True):
    """A contingent (or flux share) a réservataire states the demand eligible to."""

    evenement: int
    reservataire: str
    contingent: TypeReservataire


class VueDemande(msgspec.Struct, frozen=True, omit_defaults=True):
    # omit_defaults: a demand without priority or eligibility reads as it did before they
    # existed (the lists are left out when empty).
    numero_unique: str
    version: int
    filed_on: date
    active: bool
    anniversaire: date
    radiation: MotifRadiation | None
    radiee_le: date | None
    statut_dalo: StatutDalo
    membres: tuple[Membre, ...]
    logement_actuel: LogementActuel | None
    souhaits: Souhaits
    motifs: tuple[str, ...]
    situations: list[str]
    justifications: dict[str, Justification]
    personnel: Personnel | Reserve | None
    candidatures: list[VueCandidature]
    decotes: list[VueDecote]
    donnees_effacees: bool
    priorites: list[VuePriorite] = msgspec.field(default_factory=list)
    contingents_eligibles: list[VueEligibilite] = msgspec.field(default_factory=list)


def vue(demande: Demande, etat: EtatDemande | None = None, jour: date | None = None) -> VueDemande:
    e = etat or demande.etat
    return VueDemande(
        numero_unique=e.numero_unique,
        version=demande.version,
        filed_on=e.filed_on,
        active=e.active,
        anniversaire=e.anniversaire,
        radiation=e.radiation,
        radiee_le=e.radiee_le,
        statut_dalo=e.statut_dalo,
        membres=e.membres,
        logement_actuel=e.logement_actuel,
        souhaits=e.souhaits,
        motifs=e.motifs,
        situations=sorted(e.situations),
        justifications=dict(e.justifications),
        personnel=e.personnel,
        candidatures=[
            VueCandidature(
                logement=c.logement,
                vacance=c.vacance,
                contingent=c.contingent,
                designations=list(c.designations),
                decisions=list(c.decisions),
                refus=c.refus,
                condition_levee=c.condition_levee,
                bail=c.bail,
            )
            for c in e.candidatures.values()
        ],
        decotes=[
            VueDecote(
                evenement=d.version,
                code=d.code,
                date=d.date,
                expire_le=d.fin,
                notifiee_le=d.notifiee_le,
                recours_possible_jusqua=d.recours_du_au_plus_tard,
                organisation=d.organisation,
                refus=d.refus,
                recours=d.recours,
                recours_depose_le=d.recours_depose_le,
                decision_recours=d.decision,
            )
            for d in e.decotes.values()
        ],
        donnees_effacees=e.effacee,
        priorites=[
            VuePriorite(p.version, str(p.categorie), str(p.source), p.du, p.jusqua, p.organisation,
                        p.vaut_le(e.dernier_jour if jour is None else jour))
            for p in e.priorites.values()
        ],
        contingents_eligibles=[
            VueEligibilite(v, org, contingent)
            for (org, contingent), v in sorted(e.contingents_eligibles.items(), key=lambda x: x[1])
        ],
    )


def vue_courante(registre: Registre, numero_unique: str, jour: date) -> VueDemande:
    """The demand on `jour` (today) as a command dated that day would find it: what the
    schedule owes by then (a RADREN that fell due, an erasure) counts as appended."""
    d = registre.demande(numero_unique)
    return vue(d, d.etat_courant(jour, registre.territoire.retention_donnees_mois), jour)


def en_json(obj: Any) -> bytes:
    return msgspec.json.encode(obj)
