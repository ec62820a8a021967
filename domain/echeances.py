"""Every deadline of a demand's life (DOMAIN.md §4), computed from its state: what the schedule
will append, what appeal handlers and bailleurs must watch."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from domain import calendrier
from domain.codes import (
    ATTRIBUTIONS,
    MotifMiseEnDemeure,
    MotifPreavis,
    MotifRadiation,
    TypeDecisionCAL,
)
from domain.demande import Demande
from domain.etat_demande import EtatDemande


class Echeance(msgspec.Struct, frozen=True):
    type: str
    echeance: date
    reference: int | None = None  # the event the deadline follows from (décote, decision…)
    detail: str = ""


class RecoursPendant(msgspec.Struct, frozen=True):
    demande: str
    decote: int
    code: str
    decote_le: date
    notifiee_le: date
    recours: int
    depose_le: date
    organisation: str  # the décote's author, which must decide


def echeances(etat: EtatDemande, retention_mois: int, delai_anormal_mois: int) -> list[Echeance]:
    out: list[Echeance] = []
    if etat.active:
        a = etat.anniversaire
        out.append(Echeance("anniversaire", a))
        for rang, jour in (
            (MotifPreavis.premier, calendrier.premier_preavis(a)),
            (MotifPreavis.second, calendrier.second_preavis(a)),
        ):
            if (a, rang) not in etat.preavis:
                out.append(Echeance(f"preavis_{rang.value}", jour))
        out.append(Echeance("radiation_non_renouvellement", calendrier.radiation_non_renouvellement(a)))
        out.append(
            Echeance("delai_anormalement_long", calendrier.delai_anormalement_long(etat.filed_on, delai_anormal_mois))
        )
        if etat.mise_en_demeure is not None:
            jour, motif = etat.mise_en_demeure
            radiation = "RADCON" if motif is MotifMiseEnDemeure.absence_reponse else "RADIRR"
            out.append(
                Echeance("radiation_possible", calendrier.radiation_apres_mise_en_demeure(jour), detail=radiation)
            )
        for c in etat.candidatures.values():
            if c.refus is not None or c.bail is not None:
                continue
            for v in c.decisions:
                d = etat.faits.get(v)
                if not isinstance(d, Demande.DecisionCAL):
                    continue
                if d.decision in ATTRIBUTIONS and not c.acceptee:
                    # R.441-10: the 10 days run from the notification; without one, the
                    # bailleur has a decision to notify. Silence after them is a refusal the
                    # bailleur records (absence_reponse), listed from the 11th day.
                    notifiee = c.notifications.get(v)
                    if notifiee is None:
                        out.append(Echeance("notification_decision", d.occurred_on, v, c.logement))
                    else:
                        due = calendrier.reponse_offre_due(notifiee)
                        out.append(Echeance("reponse_offre", due, v, c.logement))
                        out.append(Echeance("absence_reponse", due + timedelta(days=1), v, c.logement))
                if (
                    d.decision is TypeDecisionCAL.attribution_sous_condition
                    and not c.condition_levee
                    and d.delai_jours is not None
                ):
                    out.append(
                        Echeance(
                            "condition_suspensive", d.occurred_on + timedelta(days=d.delai_jours), v, c.logement
                        )
                    )
        # Demandes de pièces ou d'informations not yet answered: the answer is due by du_le.
        for p in etat.dossier.demandes_en_attente():
            out.append(Echeance("pieces_demandees", p.du_le, p.version, ",".join(p.pieces)[:200]))
        # Visits proposed and not yet said done or not: on their day.
        for x in etat.dossier.visites.values():
            if x.effectuee is None:
                out.append(Echeance("visite", x.visite_le, x.version, x.logement))
    elif etat.radiee_le is not None:
        if etat.radiation is MotifRadiation.RADREN:
            out.append(Echeance("reactivation_possible", calendrier.reactivation_possible_jusqua(etat.radiee_le)))
        if not etat.effacee:
            out.append(Echeance("effacement", calendrier.effacement(etat.radiee_le, retention_mois)))
    for d in etat.decotes.values():
        out.append(Echeance("fin_decote", d.fin, d.version, d.code.value))
        if d.recours is None:
            out.append(Echeance("recours_possible", d.recours_du_au_plus_tard, d.version, d.code.value))
    return out


def recours_pendants(etat: EtatDemande) -> list[RecoursPendant]:
    return [
        RecoursPendant(
            demande=etat.numero_unique,
            decote=d.version,
            code=d.code.value,
            decote_le=d.date,
            notifiee_le=d.notifiee_le,
            recours=d.recours,
            depose_le=d.recours_depose_le,
            organisation=d.organisation,
        )
        for d in etat.decotes.values()
        if d.recours is not None and d.decision is None and d.recours_depose_le is not None
    ]
