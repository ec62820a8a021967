"""The Merkle tree over the hash chain, exactly as RFC 9162 (Certificate Transparency 2.0) §2.1
defines it: leaf i is the i-th chain hash (adapters/chaine.py), in chain order;

    MTH({})      = SHA-256()
    MTH({d0})    = SHA-256(0x00 ‖ d0)
    MTH(D[0:n])  = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])), k the largest power of 2 below n

with the inclusion proof (§2.1.3) and the consistency proof (§2.1.4), and their verification
algorithms (§2.1.3.2, §2.1.4.2), which a partner can run with any RFC 9162 library or with
`ledger verifier-preuve`. Pure functions and one in-memory tree; no I/O.

`Arbre` keeps every aligned perfect subtree's hash, level by level (two hashes per leaf: 64 MB
per million events), so a root or a proof costs O(log² n) hashes, and grows as the log grows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def _h(octets: bytes) -> bytes:
    return hashlib.sha256(octets).digest()


def feuille(donnee: bytes) -> bytes:
    return _h(b"\x00" + donnee)


def noeud(gauche: bytes, droite: bytes) -> bytes:
    return _h(b"\x01" + gauche + droite)


def _k(n: int) -> int:
    """The largest power of two strictly below n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Arbre:
    def __init__(self, donnees: Iterable[bytes] = ()) -> None:
        self._niveaux: list[bytearray] = [bytearray()]
        for d in donnees:
            self.ajouter(d)

    def __len__(self) -> int:
        return len(self._niveaux[0]) // 32

    def ajouter(self, donnee: bytes) -> None:
        """Appends one leaf (its data: the chain hash) and every perfect subtree it completes."""
        h = feuille(donnee)
        niveau = 0
        while True:
            if niveau == len(self._niveaux):
                self._niveaux.append(bytearray())
            ligne = self._niveaux[niveau]
            ligne += h
            i = len(ligne) // 32 - 1
            if i % 2 == 0:
                return
            h = noeud(bytes(ligne[(i - 1) * 32 : i * 32]), h)
            niveau += 1

    def _parfait(self, niveau: int, i: int) -> bytes:
        return bytes(self._niveaux[niveau][i * 32 : (i + 1) * 32])

    def mth(self, debut: int, fin: int) -> bytes:
        """MTH(D[debut:fin]) for the ranges RFC 9162's recursion visits."""
        n = fin - debut
        if n == 0:
            return _h(b"")
        if n & (n - 1) == 0 and debut % n == 0:
            return self._parfait(n.bit_length() - 1, debut // n)
        k = _k(n)
        return noeud(self.mth(debut, debut + k), self.mth(debut + k, fin))

    def racine(self, taille: int | None = None) -> bytes:
        taille = len(self) if taille is None else taille
        self._borne(taille)
        return self.mth(0, taille)

    def preuve_inclusion(self, index: int, taille: int) -> list[bytes]:
        """PATH(m, D[0:n]) of RFC 9162 §2.1.3.1."""
        self._borne(taille)
        if not 0 <= index < taille:
            raise ValueError(f"leaf {index} is not in a tree of {taille} leaves")
        chemin: list[bytes] = []
        debut, fin, m = 0, taille, index
        while fin - debut > 1:
            k = _k(fin - debut)
            if m < k:
                chemin.append(self.mth(debut + k, fin))
                fin = debut + k
            else:
                chemin.append(self.mth(debut, debut + k))
                debut, m = debut + k, m - k
        return list(reversed(chemin))

    def preuve_coherence(self, ancienne: int, taille: int) -> list[bytes]:
        """PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1."""
        self._borne(taille)
        if not 0 < ancienne <= taille:
            raise ValueError(f"no consistency proof from size {ancienne} to size {taille}")
        if ancienne == taille:
            return []
        return self._sous_preuve(ancienne, 0, taille, True)

    def _sous_preuve(self, m: int, debut: int, fin: int, b: bool) -> list[bytes]:
        n = fin - debut
        if m == n:
            return [] if b else [self.mth(debut, fin)]
        k = _k(n)
        if m <= k:
            return self._sous_preuve(m, debut, debut + k, b) + [self.mth(debut + k, fin)]
        return self._sous_preuve(m - k, debut + k, fin, False) + [self.mth(debut, debut + k)]

    def _borne(self, taille: int) -> None:
        if not 0 <= taille <= len(self):
            raise ValueError(f"the log holds {len(self)} events, not {taille}")


def verifier_inclusion(index: int, taille: int, donnee: bytes, chemin: Sequence[bytes], racine: bytes) -> bool:
    """RFC 9162 §2.1.3.2: whether `donnee` is leaf `index` of the tree of `taille` leaves
    whose root is `racine`."""
    if index >= taille:
        return False
    fn, sn = index, taille - 1
    r = feuille(donnee)
    for p in chemin:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = noeud(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = noeud(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == racine


def verifier_coherence(
    ancienne: int, taille: int, racine_ancienne: bytes, racine: bytes, preuve: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether the tree of `taille` leaves and root `racine` extends the
    tree of `ancienne` leaves and root `racine_ancienne` (the same first leaves)."""
    if ancienne == taille:
        return racine_ancienne == racine and not preuve
    if not 0 < ancienne < taille:
        return False
    chemin = list(preuve)
    if ancienne & (ancienne - 1) == 0:  # a power of two: the old root is the proof's first node
        chemin.insert(0, racine_ancienne)
    if not chemin:
        return False
    fn, sn = ancienne - 1, taille - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = chemin[0]
    for c in chemin[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = noeud(c, fr)
            sr = noeud(c, sr)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = noeud(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == racine_ancienne and sr == racine and sn == 0
