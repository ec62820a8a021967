"""What the partners share of a demand's dossier unique (CCH R.441-2-4, R.441-2-15; the PPGDID's
"informations partagées"), as the demand's state holds it: the pièces received and what became of
them, the pièces and informations asked with their due date, the visits of dwellings proposed and
done, the attestations sent. The fold (`domain/etat_demande.py`) keeps one `DossierUnique` per
demand; the events that change it are the `Demande`'s (`domain/demande.py`), their rules in
`domain/regles_pieces.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.pieces import CanalAttestation, MotifRefusPiece, TypeAttestation, TypePiece


@dataclass
class PieceRecue:
    version: int
    type: TypePiece
    membre: int  # index in the household's members (0: the demandeur)
    deposee_le: date
    empreinte: str  # SHA-256, hexadecimal
    taille: int  # bytes
    verification: int | None = None  # version of the validation or refusal
    refusee: MotifRefusPiece | None = None
    verifiee_le: date | None = None

    @property
    def validee(self) -> bool:
        return self.verification is not None and self.refusee is None


@dataclass
class PiecesDemandees:
    version: int
    pieces: tuple[TypePiece, ...]
    membre: int | None
    demandee_le: date
    du_le: date
    reponses: list[int] = field(default_factory=list)  # pièces deposited in answer


@dataclass
class Visite:
    version: int
    logement: str
    vacance: int
    proposee_le: date
    visite_le: date
    effectuee: bool | None = None  # None until the bailleur says whether it took place
    constat: int | None = None


@dataclass
class Attestation:
    version: int
    type: TypeAttestation
    canal: CanalAttestation
    delivree_le: date


@dataclass
class DossierUnique:
    pieces: dict[int, PieceRecue] = field(default_factory=dict)
    demandes: dict[int, PiecesDemandees] = field(default_factory=dict)
    visites: dict[int, Visite] = field(default_factory=dict)
    attestations: list[Attestation] = field(default_factory=list)

    def demandes_en_attente(self) -> list[PiecesDemandees]:
        """Requests not yet answered by a pièce deposited for them."""
        return [d for d in self.demandes.values() if not d.reponses]
