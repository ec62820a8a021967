"""A national file read batch by batch, in this process or in a reader process of its own, so that
reading and checking the XML runs on a second core while the import's process runs the domain.

Reading a demand (lxml, the schema, every value converted and checked) costs about as much as
running it through the domain: done in another process, the import waits only for what the
reader has not finished yet. Both ways go through the same generator, `tranches`: the demands
of a batch, the file's own errors found while reading them (its root, its header) and the
header once read, then a last slice with the errors found at the end. The reader process runs
that generator on the bytes the import hands it on its standard input and sends each slice back
on its standard output, msgpack-encoded (typed: dates, decimals and structures come back as
read); a file that is not XML, or not an interfaceNuu file, is sent as such and raised here as
`FichierIllisible` at the same point as in process. The pipes are bounded, so the reader runs at
most a batch or two ahead: memory stays flat whatever the file's size.

    python -m adapters.sne.lecteur_separe TAILLE   # the reader process: file in, slices out
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

import msgspec

from adapters.sne import modele as m
from adapters.sne.lecture import DemandeLue, FichierIllisible, Lecture
from adapters.sne.schema import ErreurSNE

BLOC = 1 << 20  # bytes handed to the reader at a time
_ENTETE = struct.Struct(">I")


class Tranche(msgspec.Struct):
    """A batch of demands, the file's own errors found while reading them, the header if read.
    `fin`: the last slice (the errors found at the end); `illisible`: the file cannot be read."""

    demandes: list[DemandeLue] = []
    erreurs: list[ErreurSNE] = []
    entete: m.Entete | None = None
    fin: bool = False
    illisible: ErreurSNE | None = None


def tranches(lecture: Lecture, taille: int) -> Iterator[Tranche]:
    """The file in slices of `taille` demands, the last one `fin`; raises FichierIllisible."""
    lot: list[DemandeLue] = []

    def tranche(fin: bool = False) -> Tranche:
        erreurs = list(lecture.erreurs)
        lecture.erreurs.clear()
        return Tranche(lot, erreurs, lecture.entete, fin)

    for d in lecture.demandes():
        lot.append(d)
        if len(lot) >= taille:
            yield tranche()
            lot = []
    yield tranche(fin=True)


def dans_ce_processus(source: IO[bytes], taille: int) -> Iterator[Tranche]:
    return tranches(Lecture(source), taille)


def dans_un_processus(source: IO[bytes], taille: int) -> Iterator[Tranche]:
    """The same slices, read by a process of its own; the source is handed over by a thread of
    this one (reading a file releases the GIL)."""
    racine = str(Path(__file__).resolve().parent.parent.parent)
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [racine, os.environ.get("PYTHONPATH")]))
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "adapters.sne.lecteur_separe", str(taille)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    fil = threading.Thread(target=_verser, args=(source, proc.stdin), daemon=True)
    fil.start()
    decodeur = msgspec.msgpack.Decoder(Tranche)
    erreurs_du_lecteur: list[bytes] = []
    lecteur_erreurs = threading.Thread(
        target=lambda: erreurs_du_lecteur.append(proc.stderr.read()), daemon=True
    )  # type: ignore[union-attr]
    lecteur_erreurs.start()
    try:
        while True:
            tete = proc.stdout.read(_ENTETE.size)
            if len(tete) < _ENTETE.size:
                proc.wait()
                lecteur_erreurs.join()
                raise RuntimeError(
                    f"the SNE reader process stopped ({proc.returncode}): "
                    + b"".join(erreurs_du_lecteur).decode(errors="replace")[-2000:]
                )
            (n,) = _ENTETE.unpack(tete)
            t = decodeur.decode(proc.stdout.read(n))
            if t.illisible is not None:
                raise FichierIllisible(t.illisible)
            yield t
            if t.fin:
                break
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        fil.join(timeout=5)
        lecteur_erreurs.join(timeout=5)


def _verser(source: IO[bytes], vers: IO[bytes]) -> None:
    try:
        while bloc := source.read(BLOC):
            vers.write(bloc)
    except (BrokenPipeError, ValueError, OSError):
        pass  # the reader stopped (the file ended early, or was refused): nothing more to hand
    finally:
        with contextlib.suppress(OSError):
            vers.close()


def _lecteur(taille: int, entree: BinaryIO, sortie: BinaryIO) -> None:
    encodeur = msgspec.msgpack.Encoder()

    def envoyer(t: Tranche) -> None:
        corps = encodeur.encode(t)
        sortie.write(_ENTETE.pack(len(corps)) + corps)
        sortie.flush()

    try:
        for t in tranches(Lecture(entree), taille):
            envoyer(t)
    except FichierIllisible as e:
        envoyer(Tranche(illisible=e.erreur))


if __name__ == "__main__":
    import gc

    gc.set_threshold(
        50_000, 50, 100
    )  # as the import's own process (importation.ramasse_miettes_espace)
    _lecteur(int(sys.argv[1]), sys.stdin.buffer, sys.stdout.buffer)
