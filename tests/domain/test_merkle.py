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


# The test vectors of Certificate Transparency's reference implementations (RFC 6962/9162 trees
# of the same shape): eight leaves, their roots at every size, one audit path, one consistency
# proof — computed elsewhere, so they check the tree against the field's, not against itself.
VECTEURS = [bytes.fromhex(x) for x in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
RACINES = (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)


def test_certificate_transparency_vectors() -> None:
    arbre = Arbre(VECTEURS)
    assert [arbre.racine(n).hex() for n in range(9)] == list(RACINES)
    assert [x.hex() for x in arbre.preuve_inclusion(0, 8)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert [x.hex() for x in arbre.preuve_coherence(6, 8)] == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
