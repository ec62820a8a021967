"""The files of the dossier unique's pièces (CCH R.441-2-4), kept beside the log, encrypted.

A pièce is an event of the demand (`Demande.PieceDeposee`: type, member, SHA-256, size). Its file,
when a partner uploads it, is personal data: it is encrypted with the demand's own key (the
crypto-shredding key of `adapters/cles.py`) and bound to the pièce's event number, so that the
erasure that destroys the key makes the file unreadable for good while the event, with its
digest and size, stays readable in the history. The upload must match the digest and size the
event recorded: the log says what was received, the file only proves it.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from adapters.mapper import aad
from adapters.registre import Registre
from adapters.tables import fichiers_pieces
from domain import horloge, permissions
from domain.demande import Demande
from domain.erreurs import Introuvable, RegleEnfreinte
from domain.territoire import Organisation

_CONTEXTE = b"fichier-piece"  # the file's ciphertext is not a personal field's: its own AAD


class FichierEfface(Exception):
    """The demand's key was erased: the file is unreadable for good."""


def _piece(registre: Registre, numero: str, piece: int) -> tuple[Demande, Demande.PieceDeposee]:
    demande = registre.demande(numero)
    fait = demande.faits[piece - 1] if 1 <= piece <= len(demande.faits) else None
    if not isinstance(fait, Demande.PieceDeposee) or demande.est_retracte(piece):
        raise Introuvable("piece_inconnue", f"event {piece} of {numero} is not a standing pièce déposée")
    return demande, fait


def deposer_fichier(registre: Registre, org: Organisation, numero: str, piece: int, contenu: bytes) -> None:
    """Stores the file of pièce `piece`, encrypted under the demand's key. The organisation must be
    one that records pièces; the content must have the digest and size the pièce recorded."""
    permissions.ecriture(org)
    permissions.guichet(org, "the file of a pièce")
    demande, fait = _piece(registre, numero, piece)
    empreinte = hashlib.sha256(contenu).hexdigest()
    if empreinte != fait.empreinte or len(contenu) != fait.taille:
        raise RegleEnfreinte(
            "fichier_different",
            f"the file has SHA-256 {empreinte} and {len(contenu)} bytes; pièce {piece} recorded "
            f"{fait.empreinte} and {fait.taille} bytes",
        )
    if demande.etat.effacee:
        raise RegleEnfreinte("donnees_effacees", f"the personal data of {numero} were erased")
    chiffre = registre.coffre.chiffrer(demande.id, aad(demande.id, piece) + _CONTEXTE, contenu)
    with registre.engine.begin() as conn:
        deja = conn.execute(
            sa.select(fichiers_pieces.c.piece).where(
                fichiers_pieces.c.demande_id == str(demande.id), fichiers_pieces.c.piece == piece
            )
        ).first()
        if deja is not None:
            # Same digest, same file: storing it again changes nothing (an idempotent PUT).
            return
        conn.execute(
            sa.insert(fichiers_pieces).values(
                demande_id=str(demande.id), piece=piece, chiffre=chiffre, recu_le=horloge.maintenant()
            )
        )


def lire_fichier(registre: Registre, org: Organisation, numero: str, piece: int) -> bytes:
    """The file of pièce `piece`, decrypted; `FichierEfface` once the demand's key is erased.
    Reading it is reading personal data (`permissions.donnees_personnelles`)."""
    permissions.donnees_personnelles(org)
    demande, fait = _piece(registre, numero, piece)
    with registre.lecture.connect() as conn:
        chiffre = conn.execute(
            sa.select(fichiers_pieces.c.chiffre).where(
                fichiers_pieces.c.demande_id == str(demande.id), fichiers_pieces.c.piece == piece
            )
        ).scalar_one_or_none()
    if chiffre is None:
        raise Introuvable("fichier_absent", f"no file was uploaded for pièce {piece} of {numero}")
    clair = registre.coffre.dechiffrer(demande.id, aad(demande.id, piece) + _CONTEXTE, chiffre)
    if clair is None:
        raise FichierEfface(
            f"the file of pièce {piece} of {numero} is erased with the demand's personal data; "
            f"its SHA-256 {fait.empreinte} stays in the history"
        )
    return clair
