"""The Merkle tree over the hash chain (adapters/merkle.py) against RFC 9162 §2.1 written out
naively: every root, inclusion proof and consistency proof up to 33 leaves verifies, and none
verifies once a leaf, a root or a proof node is changed."""

from __future__ import annotations

import hashlib

from adapters.merkle import Arbre, verifier_coherence, verifier_inclusion


def _mth(d: list[bytes]) -> bytes:
    # RFC 9162 §2.1.1, literally.
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(d[:k]) + _mth(d[k:])).digest()


def _donnees(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


def test_roots_are_rfc_9162s() -> None:
    d = _donnees(33)
    arbre = Arbre()
    assert arbre.racine(0) == _mth([])
    for n in range(1, 34):
        arbre.ajouter(d[n - 1])
        for m in range(n + 1):
            assert arbre.racine(m) == _mth(d[:m]), (m, n)


def test_inclusion_proofs_verify_and_tampering_does_not() -> None:
    d = _donnees(33)
    arbre = Arbre(d)
    for n in range(1, 34):
        racine = _mth(d[:n])
        for i in range(n):
            chemin = arbre.preuve_inclusion(i, n)
            assert verifier_inclusion(i, n, d[i], chemin, racine), (i, n)
            assert not verifier_inclusion(i, n, b"\x01" * 32, chemin, racine)
            if chemin:
                faux = [bytes(32)] + chemin[1:]
                assert not verifier_inclusion(i, n, d[i], faux, racine)
            if n > 1:
                assert not verifier_inclusion((i + 1) % n, n, d[i], chemin, racine)


def test_consistency_proofs_verify_and_a_rewritten_prefix_does_not() -> None:
    d = _donnees(33)
    arbre = Arbre(d)
    autre = list(d)
    autre[2] = b"\x02" * 32
    for n in range(1, 34):
        for m in range(1, n + 1):
            preuve = arbre.preuve_coherence(m, n)
            assert verifier_coherence(m, n, _mth(d[:m]), _mth(d[:n]), preuve), (m, n)
            if m > 2:
                # The old tree held another leaf 2: the newer one does not extend it.
                assert not verifier_coherence(m, n, _mth(autre[:m]), _mth(d[:n]), preuve), (m, n)
