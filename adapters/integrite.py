"""Signed checkpoints of the hash chain and the proofs a partner checks them with
(docs/integrity.md).

A checkpoint says "the log's first `taille` events have this Merkle root (RFC 9162, over their
chain hashes), its last one is at `position` with chain hash `tete`", signed with the ledger's
Ed25519 key. The key lives in a file outside the database (`LEDGER_CLE_SIGNATURE`, default
`var/ledger-signature-ed25519.pem` beside a SQLite store or in the working directory),
created on first use with a message saying where. A partner keeps the checkpoints it is given
and later asks for a consistency proof (the log now extends what it kept) and inclusion proofs
(an event it was shown is in the log under a checkpoint): both check with the public key and
`adapters/merkle.py`'s RFC 9162 algorithms alone (`ledger verifier-preuve`).
"""

from __future__ import annotations

import base64
import bisect
import logging
import os
import threading
import weakref
from array import array
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from adapters import chaine
from adapters.database import Stockage
from adapters.merkle import Arbre, verifier_coherence, verifier_inclusion
from adapters.tables import points_de_controle
from domain import horloge

VARIABLE_CLE = "LEDGER_CLE_SIGNATURE"
INTERVALLE = 10.0  # seconds: GET /integrite/point-de-controle signs at most this often
NOM_CLE = "ledger-signature-ed25519.pem"
journal = logging.getLogger("ledger.integrite")


class PointDeControle(msgspec.Struct, frozen=True):
    origine: str  # which ledger: "demand-ledger/<territory code>"
    taille: int  # events under the checkpoint (the tree's leaves)
    position: int  # the log position of the last of them
    racine: str  # base64 of the RFC 9162 Merkle root of their chain hashes
    tete: str  # hex of the last chain hash
    signe_le: datetime
    cle_publique: str  # base64 of the raw 32-byte Ed25519 public key
    signature: str  # base64 Ed25519 signature of `corps()`

    def corps(self) -> bytes:
        """The signed text: one field a line, in this order."""
        return (
            f"{self.origine}\n{self.taille}\n{self.position}\n{self.racine}\n{self.tete}\n"
            f"{self.signe_le.isoformat()}\n"
        ).encode()


class PreuveInclusion(msgspec.Struct, frozen=True):
    position: int
    index: int  # the leaf's index in the tree
    taille: int
    originator_id: str
    originator_version: int
    topic: str
    state: str  # base64 of the stored bytes (personal data as ciphertext)
    precedente: str  # hex of the chain hash before this event (64 zeros for the first)
    empreinte: str  # hex of this event's chain hash: the leaf's data
    chemin: list[str]  # base64, RFC 9162 PATH(index, D[0:taille])


class PreuveCoherence(msgspec.Struct, frozen=True):
    ancienne: int
    taille: int
    chemin: list[str]  # base64, RFC 9162 PROOF(ancienne, D[0:taille])


# -- the key ----------------------------------------------------------------------------------


def chemin_cle(stockage: Stockage) -> Path:
    if os.environ.get(VARIABLE_CLE):
        return Path(os.environ[VARIABLE_CLE])
    if stockage.sqlite_path is not None:
        return stockage.sqlite_path.parent / NOM_CLE
    return Path("var") / NOM_CLE


def charger_cle(chemin: Path, creer: bool = True) -> Ed25519PrivateKey:
    """The signing key from its PEM file; made (mode 0600) and announced when absent."""
    if chemin.exists():
        cle = serialization.load_pem_private_key(chemin.read_bytes(), password=None)
        if not isinstance(cle, Ed25519PrivateKey):
            raise ValueError(f"{chemin}: not an Ed25519 private key")
        return cle
    if not creer:
        raise ValueError(f"no signing key at {chemin} (set {VARIABLE_CLE})")
    cle = Ed25519PrivateKey.generate()
    chemin.parent.mkdir(parents=True, exist_ok=True)
    pem = cle.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(chemin, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    journal.warning(
        "checkpoint signing key created at %s (public key %s): keep it outside the database and "
        "back it up; partners check checkpoints with the public key (GET /integrite/cle-publique)",
        chemin, cle_publique(cle),
    )
    return cle


def cle_publique(cle: Ed25519PrivateKey) -> str:
    return base64.b64encode(cle.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def signature_valide(p: PointDeControle, cle_attendue: str | None = None) -> bool:
    """Whether the checkpoint is signed by its key (and that key is `cle_attendue`, the one the
    partner was given out of band, when given)."""
    if cle_attendue is not None and cle_attendue != p.cle_publique:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(p.cle_publique)).verify(base64.b64decode(p.signature), p.corps())
    except (InvalidSignature, ValueError):
        return False
    return True


# -- the tree over a store ----------------------------------------------------------------------


class Integrite:
    """The Merkle tree over one store's chain, kept in memory and grown as the log grows; the
    checkpoints it signs are stored in `ledger_points_de_controle` and served again."""

    def __init__(self, stockage: Stockage, engine: sa.Engine, origine: str, chemin: Path | None = None) -> None:
        self.stockage = stockage
        self.engine = engine
        self.origine = origine
        self.chemin_cle = chemin or chemin_cle(stockage)
        self._cle: Ed25519PrivateKey | None = None
        self.arbre = Arbre()
        # Compact: 8 bytes a position, 32 a chain hash (the leaves' data), beside the tree.
        self._positions = array("q")
        self._tetes = bytearray()
        self._verrou = threading.Lock()

    @property
    def cle(self) -> Ed25519PrivateKey:
        if self._cle is None:
            self._cle = charger_cle(self.chemin_cle)
        return self._cle

    def actualiser(self) -> int:
        with self._verrou:
            depuis = self._positions[-1] if self._positions else 0
            for position, h in chaine.empreintes(self.stockage, self.engine, depuis):
                self.arbre.ajouter(h)
                self._positions.append(position)
                self._tetes += h
            return len(self.arbre)

    def _tete(self, index: int) -> bytes:
        return bytes(self._tetes[index * 32 : (index + 1) * 32])

    def point_de_controle(self, intervalle: float = 0) -> PointDeControle:
        """A checkpoint of the log as it is: the last one signed if the log has not grown, or
        if it was signed less than `intervalle` seconds ago (the endpoint's: partners polling a
        busy ledger would otherwise have a checkpoint stored for every few events)."""
        taille = self.actualiser()
        dernier = self.dernier()
        if dernier is not None and (
            dernier.taille == taille or (horloge.maintenant() - dernier.signe_le).total_seconds() < intervalle
        ):
            return dernier
        with self._verrou:
            racine = self.arbre.racine(taille)
            position = self._positions[taille - 1] if taille else 0
            tete = self._tete(taille - 1) if taille else chaine.ZERO
        brut = PointDeControle(
            self.origine, taille, position, base64.b64encode(racine).decode(), tete.hex(),
            horloge.maintenant(), cle_publique(self.cle), "",
        )
        signe = msgspec.structs.replace(brut, signature=base64.b64encode(self.cle.sign(brut.corps())).decode())
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(points_de_controle).values(taille=taille, document=msgspec.json.encode(signe)))
        except sa.exc.IntegrityError:
            pass  # another request (or process) signed this size first: serve that one
        return self.dernier() or signe

    def dernier(self) -> PointDeControle | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(points_de_controle.c.document).order_by(points_de_controle.c.taille.desc()).limit(1)
            ).first()
        return None if row is None else msgspec.json.decode(row[0], type=PointDeControle)

    def tous(self, limite: int = 100) -> list[PointDeControle]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(points_de_controle.c.document).order_by(points_de_controle.c.taille.desc()).limit(limite)
            ).all()
        return [msgspec.json.decode(r[0], type=PointDeControle) for r in rows]

    def preuve_inclusion(self, position: int, taille: int | None = None) -> PreuveInclusion:
        n = self.actualiser()
        taille = n if taille is None else taille
        with self._verrou:
            index = bisect.bisect_left(self._positions, position)
            if index >= len(self._positions) or self._positions[index] != position:
                raise LookupError(f"no chained event at position {position}")
            if index >= taille:
                raise LookupError(f"the event at position {position} is not among the first {taille}")
            if taille > n:
                raise LookupError(f"the log holds {n} events, not {taille}")
            chemin = self.arbre.preuve_inclusion(index, taille)
            precedente = self._tete(index - 1) if index else chaine.ZERO
            empreinte = self._tete(index)
        oid, version, topic, state = _evenement(self.stockage, self.engine, position)
        return PreuveInclusion(
            position, index, taille, oid, version, topic, base64.b64encode(state).decode(),
            precedente.hex(), empreinte.hex(), [base64.b64encode(c).decode() for c in chemin],
        )

    def preuve_coherence(self, ancienne: int, taille: int | None = None) -> PreuveCoherence:
        n = self.actualiser()
        taille = n if taille is None else taille
        if not 0 < ancienne <= taille <= n:
            raise LookupError(f"no consistency proof from size {ancienne} to size {taille} (the log holds {n} events)")
        with self._verrou:
            chemin = self.arbre.preuve_coherence(ancienne, taille)
        return PreuveCoherence(ancienne, taille, [base64.b64encode(c).decode() for c in chemin])


_PAR_ENGINE: weakref.WeakKeyDictionary[Any, Integrite] = weakref.WeakKeyDictionary()
_VERROU = threading.Lock()


def de(registre: Any) -> Integrite:
    """The one tree a running ledger keeps (built on first use)."""
    with _VERROU:
        i = _PAR_ENGINE.get(registre)
        if i is None:
            i = _PAR_ENGINE[registre] = Integrite(
                registre.stockage, registre.engine, f"demand-ledger/{registre.territoire.code}"
            )
        return i


def _evenement(stockage: Stockage, engine: sa.Engine, position: int) -> tuple[str, int, str, bytes]:
    table = f'"{stockage.schema}".{stockage.table_evenements}' if stockage.postgres and stockage.schema else stockage.table_evenements
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                f"SELECT originator_id, originator_version, topic, state FROM {table} "
                f"WHERE {stockage.colonne_position} = :p"
            ),
            {"p": position},
        ).first()
    if row is None:
        raise LookupError(f"no event at position {position}")
    oid = row[0]
    return str(oid if not isinstance(oid, str) else _uuid_texte(oid)), int(row[1]), str(row[2]), bytes(row[3])


def _uuid_texte(texte: str) -> str:
    from uuid import UUID

    return str(UUID(texte))


# -- checks a partner runs (no database) --------------------------------------------------------


def verifier_preuve_inclusion(p: PreuveInclusion, point: PointDeControle) -> str | None:
    """None when the event of the proof is in the log under the checkpoint; else why not. The
    chain hash is recomputed from the event's stored bytes and its predecessor's hash."""
    from uuid import UUID

    if p.taille != point.taille:
        return f"the proof is for a tree of {p.taille} events, the checkpoint of {point.taille}"
    attendu = chaine.empreinte(
        bytes.fromhex(p.precedente), p.position, UUID(p.originator_id).bytes, p.originator_version,
        p.topic, base64.b64decode(p.state),
    )
    if attendu.hex() != p.empreinte:
        return "the event's bytes do not give the chain hash of the proof"
    chemin = [base64.b64decode(c) for c in p.chemin]
    if not verifier_inclusion(p.index, p.taille, attendu, chemin, base64.b64decode(point.racine)):
        return "the audit path does not lead to the checkpoint's root"
    return None


def verifier_preuve_coherence(p: PreuveCoherence, ancien: PointDeControle, nouveau: PointDeControle) -> str | None:
    if (p.ancienne, p.taille) != (ancien.taille, nouveau.taille):
        return f"the proof goes from {p.ancienne} to {p.taille}, the checkpoints are of {ancien.taille} and {nouveau.taille}"
    ok = verifier_coherence(
        ancien.taille, nouveau.taille, base64.b64decode(ancien.racine), base64.b64decode(nouveau.racine),
        [base64.b64decode(c) for c in p.chemin],
    )
    return None if ok else "the newer checkpoint does not extend the older one: history was rewritten"
