"""Décotes and their recours, as rules for recording them (docs/rules.md "Décotes and recours"): a décote for a
non_recevable refusal within a year of it, or for incoherent pièces; a recours within 15 days of
its notification, one pending at a time; its decision, motivated.

A mixin of the `Demande` aggregate (`domain/demande.py`), which declares the events these methods
record. Who may apply a décote or decide a recours is a permission (`domain/permissions.py`),
asked by the command's handler before these preconditions.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from domain import calendrier, horloge
from domain.acte import Acte
from domain.codes import CodeDecote, DecisionRecours, QualificationRefus
from domain.erreurs import RegleEnfreinte
from domain.etat_demande import Decote, champs
from domain.foyer import TexteLibre
from domain.pieces import DeposantRecours, MotifRefusPiece

if TYPE_CHECKING:
    from domain.demande import Demande


class ReglesDesDecotes:
    def appliquer_decote(
        self: Demande,
        acte: Acte,
        code: CodeDecote,
        *,
        refus: int | None = None,
        notifiee_le: date | None = None,
        piece: int | None = None,
    ) -> int:
        """Returns the décote's version, the number a recours names. Who may apply it (the
        refused proposal's bailleur, or a guichet for pièces) is asked first (`permissions.decote`)."""
        self._verifier_acte(acte)
        self._verifier_active("decote")
        if code is CodeDecote.decote_refus:
            if refus is None:
                raise RegleEnfreinte("refus_requis", "decote_refus must name the refusal it follows")
            fait = self.fait(refus)
            if not isinstance(fait, self.Refusee) or self.est_retracte(refus):
                raise RegleEnfreinte("refus_inconnu", f"event {refus} is not a standing refusal")
            if fait.qualification is not QualificationRefus.non_recevable:
                raise RegleEnfreinte(
                    "refus_recevable",
                    f"refusal {refus} was qualified {fait.qualification}: only a non_recevable "
                    "refusal may be penalised",
                )
            limite = calendrier.ajouter_ans(fait.occurred_on, 1)
            if acte.occurred_on >= limite:
                raise RegleEnfreinte(
                    "decote_hors_delai",
                    f"a décote for the refusal of {fait.occurred_on.isoformat()} was possible "
                    f"until {(limite - timedelta(days=1)).isoformat()}",
                )
            if any(d.refus == refus for d in self.etat.decotes.values()):
                raise RegleEnfreinte("decote_deja_appliquee", f"refusal {refus} already has its décote")
            if piece is not None:
                raise RegleEnfreinte("piece_inattendue", "decote_refus does not follow a pièce")
        else:
            if refus is not None:
                raise RegleEnfreinte("refus_inattendu", "decote_pieces does not follow a refusal")
            _piece_incoherente(self, acte, piece)
        notification = notifiee_le or acte.occurred_on
        if notification < acte.occurred_on or notification > horloge.aujourdhui():
            raise RegleEnfreinte(
                "notification_invalide",
                "the notification date cannot be before the décote nor in the future",
            )
        self.trigger_event(
            self.DecoteAppliquee, **champs(acte), code=code, notifiee_le=notification, refus=refus,
            piece=piece,
        )
        return self.version

    def deposer_recours(
        self: Demande,
        acte: Acte,
        decote: int,
        depose_par: DeposantRecours | None = None,
        explications: str | None = None,
    ) -> None:
        """The recours carries who filed it on the demandeur's behalf and their explanations
        (personal data, encrypted under the demand's key, erased with it)."""
        self._verifier_acte(acte)
        d = _decote(self, decote)
        if d.recours is not None and d.decision is None:
            raise RegleEnfreinte("recours_pendant", f"décote {decote} already has a pending recours")
        if d.decision is not None:
            raise RegleEnfreinte("recours_deja_decide", f"the recours against décote {decote} was decided")
        limite = d.recours_du_au_plus_tard
        if acte.occurred_on > limite:
            raise RegleEnfreinte(
                "recours_hors_delai",
                f"a recours against décote {decote} was due by {limite.isoformat()} "
                f"(notification of {d.notifiee_le.isoformat()} + 15 days)",
                du_au_plus_tard=limite.isoformat(),
            )
        texte = explications.strip() if explications and explications.strip() else None
        self.trigger_event(
            self.RecoursDepose, **champs(acte), decote=decote, depose_par=depose_par,
            personnel=TexteLibre(texte) if texte else None,
        )

    def decider_recours(
        self: Demande, acte: Acte, decote: int, decision: DecisionRecours, motivation: str
    ) -> None:
        """That the décote's author decides is a permission (`permissions.auteur_de_la_decote`),
        asked by the command's handler first."""
        self._verifier_acte(acte)
        d = _decote(self, decote)
        if d.recours is None or d.decision is not None:
            raise RegleEnfreinte("aucun_recours_pendant", f"décote {decote} has no pending recours")
        if not motivation.strip():
            raise RegleEnfreinte("motivation_requise", "a decision on a recours must be motivated")
        self.trigger_event(
            self.RecoursDecide, **champs(acte), decote=decote, decision=decision, motivation=motivation
        )


def statut_decote(jour: date, fait_le: date, annulee: bool) -> str:
    """Where a décote stands on `jour`: `annulee` once a recours annulled it (it never counted),
    `expiree` from its fact's date + 1 year (CCH L.441-2-8), else `en_vigueur`."""
    if annulee:
        return "annulee"
    return "expiree" if jour >= calendrier.fin_decote(fait_le) else "en_vigueur"


def recours_encore_possible(jour: date, notifiee_le: date, recours_depose: bool, annulee: bool) -> bool:
    """May the demandeur still file a recours against the décote on `jour`: none filed yet, the
    décote standing, and within 15 days of its notification (`recours` above checks the same
    when it is filed)."""
    return not recours_depose and not annulee and jour <= calendrier.recours_possible_jusqua(notifiee_le)


def _piece_incoherente(demande: Demande, acte: Acte, piece: int | None) -> None:
    """A decote_pieces sanctions a pièce refused as incoherente, within a year of that refusal
    (the day the incoherence was established), once."""
    if piece is None:
        raise RegleEnfreinte(
            "piece_requise", "decote_pieces must name the refusal of the incoherent pièce (its event number)"
        )
    fait = demande.fait(piece)
    if not isinstance(fait, demande.PieceRefusee) or demande.est_retracte(piece):
        raise RegleEnfreinte("piece_refusee_inconnue", f"event {piece} is not a standing refusal of a pièce")
    if fait.motif is not MotifRefusPiece.incoherente:
        raise RegleEnfreinte(
            "piece_non_incoherente",
            f"the pièce was refused as {fait.motif}: only an incoherente pièce may be penalised",
        )
    limite = calendrier.ajouter_ans(fait.occurred_on, 1)
    if acte.occurred_on >= limite:
        raise RegleEnfreinte(
            "decote_hors_delai",
            f"a décote for the pièce found incoherent on {fait.occurred_on.isoformat()} was possible "
            f"until {(limite - timedelta(days=1)).isoformat()}",
        )
    if any(d.piece == piece for d in demande.etat.decotes.values()):
        raise RegleEnfreinte("decote_deja_appliquee", f"pièce refusal {piece} already has its décote")


def _decote(demande: Demande, version: int) -> Decote:
    d = demande.etat.decotes.get(version)
    if d is None:
        raise RegleEnfreinte("decote_inconnue", f"event {version} is not a standing décote")
    return d
