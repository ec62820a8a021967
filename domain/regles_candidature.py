"""A demand's candidacies, as rules for recording their facts (DOMAIN.md §3, §9): designation on
a dwelling's vacancy, inscription on a CAL session's agenda, the candidate's favourable answers,
the CAL's decision and its notification, a suspensive condition met, the candidate's refusal,
and the bail with its RADATT radiation.

A mixin of the `Demande` aggregate (`domain/demande.py`), which declares the events these methods
record. The rules that span the candidates of one dwelling (one bail per vacancy, ranks, an
attribution that stands) are the dwelling's (`domain/logement.py`); here, this demand's own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from domain import verifications
from domain.acte import Acte
from domain.codes import (
    ATTRIBUTIONS,
    CanalNotification,
    MotifNonAttribution,
    MotifRadiation,
    MotifRefus,
    QualificationRefus,
    RaisonMoinsDeTrois,
    SousMotifIrrecevabilite,
    StadeRefus,
    StadeReponse,
    TypeDecisionCAL,
    TypeReservataire,
)
from domain.erreurs import RegleEnfreinte
from domain.etat_demande import Candidature, SituationAttribution, champs
from domain.foyer import TexteLibre
from domain.regles_pieces import verifier_loyer
from domain.territoire import LogementSocial

if TYPE_CHECKING:
    from domain.demande import Demande


class ReglesDeCandidature:
    def designer(
        self: Demande,
        acte: Acte,
        logement: LogementSocial,
        vacance: int,
        contingent: TypeReservataire,
        reservataire: str | None = None,
        flux: bool = False,
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("designation")
        c = self.etat.candidature(logement.identifiant, vacance)
        if c is not None and c.designations and c.refus is None:
            raise RegleEnfreinte(
                "deja_designee",
                f"demand is already a candidate on {logement.identifiant} for this vacancy",
            )
        self.trigger_event(
            self.Designee,
            **champs(acte),
            logement=logement.identifiant,
            vacance=vacance,
            contingent=contingent,
            reservataire=reservataire,
            flux=flux,
        )

    def inscrire_cal(
        self: Demande, acte: Acte, logement: LogementSocial, vacance: int, session: str, ordre: int,
        points: int | None,
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("inscription_cal")
        c = _candidature_designee(
            self, logement, vacance, "non_designee",
            f"demand is not designated on {logement.identifiant} for its current vacancy",
        )
        if c.refus is not None:
            raise RegleEnfreinte("deja_refusee", "the candidate has already refused this dwelling")
        self.trigger_event(
            self.InscriteCAL, **champs(acte), logement=logement.identifiant, vacance=vacance,
            session=session, ordre=ordre, points=points,
        )

    def accepter(self: Demande, acte: Acte, logement: LogementSocial, vacance: int, stade: StadeReponse) -> None:
        self._verifier_acte(acte)
        self._verifier_active("reponse")
        c = _candidature_designee(
            self, logement, vacance, "aucune_proposition",
            f"no designation on {logement.identifiant} for this demand",
        )
        if c.refus is not None:
            raise RegleEnfreinte("deja_refusee", "the candidate has already refused this dwelling")
        if stade is StadeReponse.avant_cal:
            if c.decisions:
                raise RegleEnfreinte("apres_la_cal", "the CAL has decided: the answer now is to its offer (apres_cal)")
            if c.favorable:
                raise RegleEnfreinte("deja_favorable", "the candidate has already answered favourably")
        else:
            attributions = [self.fait(v) for v in c.decisions if self.fait(v).decision in ATTRIBUTIONS]  # type: ignore[attr-defined]
            if not attributions:
                raise RegleEnfreinte(
                    "aucune_attribution", f"no CAL attribution of {logement.identifiant} to accept"
                )
            if c.acceptee:
                raise RegleEnfreinte("deja_acceptee", "the candidate has already accepted this offer")
        self.trigger_event(
            self.Acceptee, **champs(acte), logement=logement.identifiant, vacance=vacance, stade=stade
        )

    def notifier_decision(
        self: Demande, acte: Acte, logement: LogementSocial, vacance: int, canal: CanalNotification
    ) -> int:
        """Notifies the latest decision on this candidacy not notified yet; returns its version."""
        self._verifier_acte(acte)
        c = self.etat.candidature(logement.identifiant, vacance)
        a_notifier = [v for v in (c.decisions if c else []) if v not in c.notifications]  # type: ignore[union-attr]
        if not a_notifier:
            raise RegleEnfreinte(
                "rien_a_notifier",
                f"no CAL decision on {logement.identifiant} waiting to be notified to this demand",
            )
        decision = a_notifier[-1]
        self.trigger_event(
            self.DecisionNotifiee, **champs(acte), logement=logement.identifiant, vacance=vacance,
            decision=decision, canal_notification=canal,
        )
        return decision

    def decider_cal(
        self: Demande,
        acte: Acte,
        logement: LogementSocial,
        vacance: int,
        decision: TypeDecisionCAL,
        *,
        rang: int | None = None,
        motif: MotifNonAttribution | None = None,
        sous_motif_irrecevabilite: SousMotifIrrecevabilite | None = None,
        piece_manquante: str | None = None,
        delai_jours: int | None = None,
        moins_de_trois_candidats: RaisonMoinsDeTrois | None = None,
        situation: SituationAttribution | None = None,
        session: str | None = None,
        texte: str | None = None,
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("decision_cal")
        c = _candidature_designee(
            self, logement, vacance, "non_designee",
            f"demand is not designated on {logement.identifiant} for its current vacancy",
        )
        if c.refus is not None:
            raise RegleEnfreinte("deja_refusee", "the candidate has already refused this dwelling")
        verifications.decision_cal(
            decision, rang, motif, sous_motif_irrecevabilite, piece_manquante, delai_jours
        )
        self.trigger_event(
            self.DecisionCAL,
            **champs(acte),
            logement=logement.identifiant,
            vacance=vacance,
            decision=decision,
            rang=rang,
            sous_motif_irrecevabilite=sous_motif_irrecevabilite,
            piece_manquante=piece_manquante,
            delai_jours=delai_jours,
            situation=situation if decision in ATTRIBUTIONS else None,
            code_motif=motif,
            code_moins_de_trois=moins_de_trois_candidats,
            session=session,
            personnel=_texte(texte),
        )

    def lever_condition(self: Demande, acte: Acte, logement: LogementSocial, vacance: int) -> None:
        self._verifier_acte(acte)
        self._verifier_active("condition_levee")
        c = self.etat.candidature(logement.identifiant, vacance)
        decisions = [self.fait(v) for v in (c.decisions if c else [])]
        if not any(
            d.decision is TypeDecisionCAL.attribution_sous_condition for d in decisions  # type: ignore[attr-defined]
        ):
            raise RegleEnfreinte(
                "pas_de_condition_suspensive",
                f"no attribution sous condition suspensive on {logement.identifiant}",
            )
        if c is not None and c.condition_levee:
            raise RegleEnfreinte("condition_deja_levee", "the suspensive condition is already met")
        self.trigger_event(
            self.ConditionLevee, **champs(acte), logement=logement.identifiant, vacance=vacance
        )

    def refuser(
        self: Demande,
        acte: Acte,
        logement: LogementSocial,
        vacance: int,
        stade: StadeRefus,
        motif: MotifRefus,
        qualification: QualificationRefus,
        texte: str | None = None,
        loyer: Decimal | None = None,
    ) -> int:
        """Returns the version of the refusal, for a décote that may follow it. The proposal's
        typology (the dwelling's) and rent go on the record; a non_recevable qualification states
        that the dwelling was adapted to the household's composition and resources."""
        self._verifier_acte(acte)
        verifier_loyer(loyer)
        self._verifier_active("refus")
        c = _candidature_designee(
            self, logement, vacance, "aucune_proposition",
            f"no designation or CAL decision on {logement.identifiant} for this demand",
        )
        if c.refus is not None:
            raise RegleEnfreinte("deja_refusee", "this proposal was already refused")
        if stade is not StadeRefus.avant_cal and not c.decisions:
            raise RegleEnfreinte(
                "refus_sans_decision", f"a refusal at stage {stade} needs a CAL decision first"
            )
        if stade is StadeRefus.absence_reponse and motif is not MotifRefus.absence_reponse:
            raise RegleEnfreinte(
                "motif_incoherent", "a refusal for absence de réponse carries the motif absence_reponse"
            )
        self.trigger_event(
            self.Refusee,
            **champs(acte),
            logement=logement.identifiant,
            vacance=vacance,
            stade=stade,
            motif="",
            qualification=qualification,
            code=motif,
            personnel=_texte(texte),
            typologie=logement.typologie,
            loyer=loyer,
            adapte_composition=qualification is QualificationRefus.non_recevable,
            adapte_ressources=qualification is QualificationRefus.non_recevable,
        )
        return self.version

    def signer_bail(
        self: Demande, acte: Acte, logement: LogementSocial, vacance: int, situation: SituationAttribution
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("bail")
        c = self.etat.candidature(logement.identifiant, vacance)
        attributions = [
            self.fait(v) for v in (c.decisions if c else []) if self.fait(v).decision in ATTRIBUTIONS  # type: ignore[attr-defined]
        ]
        if c is None or not attributions:
            raise RegleEnfreinte(
                "aucune_attribution", f"no CAL attribution of {logement.identifiant} to this demand"
            )
        if c.refus is not None:
            raise RegleEnfreinte("attribution_refusee", "the candidate refused this dwelling")
        self.trigger_event(
            self.BailSigne,
            **champs(acte),
            logement=logement.identifiant,
            vacance=vacance,
            situation=situation,
        )
        self.trigger_event(self.Radiee, **champs(acte), motif=MotifRadiation.RADATT)


def _texte(texte: str | None) -> TexteLibre | None:
    return TexteLibre(texte.strip()) if texte is not None and texte.strip() else None


def _candidature_designee(
    demande: Demande, logement: LogementSocial, vacance: int, regle: str, message: str
) -> Candidature:
    c = demande.etat.candidature(logement.identifiant, vacance)
    if c is None or not c.designations:
        raise RegleEnfreinte(regle, message)
    return c
