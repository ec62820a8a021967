"""The dossier unique, as rules for recording its facts (CCH R.441-2-4, R.441-2-15): pièces
received, validated or refused with a reason's code, pièces or informations asked with their due
date, visits of a dwelling proposed and done, attestations of registration or renewal sent.

A mixin of the `Demande` aggregate (`domain/demande.py`), which declares the events these
methods record. Who may record them is a permission (`domain/permissions.py`), asked first.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.acte import Acte
from domain.erreurs import RegleEnfreinte
from domain.etat_demande import champs
from domain.foyer import TexteLibre
from domain.pieces import CanalAttestation, MotifRefusPiece, TypeAttestation, TypePiece

if TYPE_CHECKING:
    from domain.demande import Demande
    from domain.dossier_unique import PieceRecue

_SHA256 = re.compile(r"[0-9a-f]{64}")
TAILLE_MAX = 20 * 1024 * 1024  # 20 MiB: a scanned pièce, not an archive
DELAI_MAX_JOURS = 366  # a request for pièces is answered within a year at most


class ReglesDesPieces:
    def deposer_piece(
        self: Demande,
        acte: Acte,
        type_piece: TypePiece,
        membre: int,
        empreinte: str,
        taille: int,
        *,
        en_reponse_a: int | None = None,
    ) -> int:
        """Returns the pièce's version, the number a validation, refusal or upload names."""
        self._verifier_acte(acte)
        self._verifier_active("piece")
        _membre(self, membre)
        if not _SHA256.fullmatch(empreinte):
            raise RegleEnfreinte(
                "empreinte_invalide", "empreinte must be the SHA-256 of the file, 64 lowercase hexadecimal digits"
            )
        if not 0 < taille <= TAILLE_MAX:
            raise RegleEnfreinte("taille_invalide", f"taille must be between 1 and {TAILLE_MAX} bytes, got {taille}")
        if en_reponse_a is not None and en_reponse_a not in self.etat.dossier.demandes:
            raise RegleEnfreinte(
                "demande_de_pieces_inconnue", f"event {en_reponse_a} is not a standing request for pièces"
            )
        self.trigger_event(
            self.PieceDeposee, **champs(acte), type_piece=type_piece, membre=membre,
            empreinte=empreinte, taille=taille, en_reponse_a=en_reponse_a,
        )
        return self.version

    def valider_piece(self: Demande, acte: Acte, piece: int) -> None:
        self._verifier_acte(acte)
        _piece_a_verifier(self, piece)
        self.trigger_event(self.PieceValidee, **champs(acte), piece=piece)

    def refuser_piece(self: Demande, acte: Acte, piece: int, motif: MotifRefusPiece, texte: str | None) -> int:
        self._verifier_acte(acte)
        _piece_a_verifier(self, piece)
        self.trigger_event(
            self.PieceRefusee, **champs(acte), piece=piece, motif=motif, personnel=_texte(texte)
        )
        return self.version

    def demander_pieces(
        self: Demande,
        acte: Acte,
        pieces: tuple[TypePiece, ...],
        du_le: date,
        membre: int | None = None,
        texte: str | None = None,
    ) -> None:
        self._verifier_acte(acte)
        self._verifier_active("demande de pieces")
        if not pieces and not (texte and texte.strip()):
            raise RegleEnfreinte("rien_de_demande", "a request names the pièces asked, or the informations in texte")
        if len(set(pieces)) != len(pieces):
            raise RegleEnfreinte("piece_en_double", "each pièce type is asked once per request")
        if membre is not None:
            _membre(self, membre)
        if du_le <= acte.occurred_on or (du_le - acte.occurred_on).days > DELAI_MAX_JOURS:
            raise RegleEnfreinte(
                "echeance_invalide",
                f"du_le {du_le.isoformat()} must be after the request ({acte.occurred_on.isoformat()}) "
                f"and within {DELAI_MAX_JOURS} days of it",
            )
        self.trigger_event(
            self.PiecesDemandees, **champs(acte), pieces=pieces, du_le=du_le, membre=membre,
            personnel=_texte(texte),
        )

    def proposer_visite(self: Demande, acte: Acte, logement: str, vacance: int, visite_le: date) -> int:
        self._verifier_acte(acte)
        self._verifier_active("visite")
        c = self.etat.candidature(logement, vacance)
        if c is None or not c.designations or c.refus is not None or c.bail is not None:
            raise RegleEnfreinte(
                "visite_sans_candidature",
                f"a visit of {logement} is proposed to a candidate designated on its current vacancy",
            )
        if visite_le < acte.occurred_on:
            raise RegleEnfreinte("visite_passee", f"visite_le {visite_le.isoformat()} is before the proposal")
        self.trigger_event(self.VisiteProposee, **champs(acte), logement=logement, vacance=vacance, visite_le=visite_le)
        return self.version

    def constater_visite(self: Demande, acte: Acte, visite: int, effectuee: bool) -> None:
        self._verifier_acte(acte)
        x = self.etat.dossier.visites.get(visite)
        if x is None:
            raise RegleEnfreinte("visite_inconnue", f"event {visite} is not a standing proposed visit")
        if x.effectuee is not None:
            raise RegleEnfreinte("visite_deja_constatee", f"visit {visite} was already recorded as done or not")
        if effectuee and acte.occurred_on < x.visite_le:
            raise RegleEnfreinte(
                "visite_a_venir", f"visit {visite} is set for {x.visite_le.isoformat()}: it cannot be done before"
            )
        self.trigger_event(self.VisiteConstatee, **champs(acte), visite=visite, effectuee=effectuee)

    def delivrer_attestation(self: Demande, acte: Acte, type_attestation: TypeAttestation, canal: CanalAttestation) -> None:
        """The attestation of registration, or of the latest renewal, sent (R.441-2-4, R.441-2-7)."""
        self._verifier_acte(acte)
        self._verifier_active("attestation")
        if type_attestation is TypeAttestation.renouvellement and not any(
            isinstance(f, self.Renouvelee) and not self.est_retracte(f.originator_version) for f in self.faits
        ):
            raise RegleEnfreinte("jamais_renouvelee", "an attestation of renewal needs a renewal")
        self.trigger_event(self.AttestationDelivree, **champs(acte), type_attestation=type_attestation, canal_envoi=canal)


def verifier_loyer(loyer: Decimal | None) -> None:
    """A proposal's rent: a positive amount in euros, at most cents."""
    if loyer is None:
        return
    exposant = loyer.as_tuple().exponent
    if not Decimal(0) < loyer < Decimal(100_000) or not isinstance(exposant, int) or exposant < -2:
        raise RegleEnfreinte("loyer_invalide", f"loyer must be a positive amount in euros with cents, got {loyer}")


def _membre(demande: Demande, membre: int) -> None:
    if not 0 <= membre < len(demande.etat.membres):
        raise RegleEnfreinte(
            "membre_inconnu",
            f"membre {membre} is not in the household (0 to {len(demande.etat.membres) - 1}; 0 is the demandeur)",
        )


def _piece_a_verifier(demande: Demande, piece: int) -> PieceRecue:
    p = demande.etat.dossier.pieces.get(piece)
    if p is None:
        raise RegleEnfreinte("piece_inconnue", f"event {piece} is not a standing pièce déposée")
    if p.verification is not None:
        raise RegleEnfreinte(
            "piece_deja_verifiee",
            f"pièce {piece} was already {'refused' if p.refusee else 'validated'} (event {p.verification}); "
            "retract that first",
        )
    return p


def _texte(texte: str | None) -> TexteLibre | None:
    return TexteLibre(texte.strip()) if texte and texte.strip() else None
