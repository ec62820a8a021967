"""The `ledger` commands of tamper evidence (docs/integrity.md): `verifier-integrite`,
`point-de-controle`, `preuve` and `verifier-preuve`."""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any

import msgspec

from adapters import chaine, integrite
from adapters.database import depuis_url
from adapters.merkle import Arbre


def commandes(sub: Any) -> None:
    s = sub.add_parser(
        "verifier-integrite",
        help="re-read the whole log and its hash chain (exit 0 intact, 1 naming the first altered, inserted or removed event)",
        description="Re-reads every stored event, recomputes its chain hash from its stored bytes and "
        "its predecessor's, and stops at the first event altered, inserted (no chain hash) or "
        "removed (a chain hash without its event). With --point-de-controle, also checks that "
        "the log extends each kept checkpoint (signature, then Merkle root of its first events).",
    )
    s.add_argument("--point-de-controle", dest="points", action="append", default=[], metavar="FICHIER.json",
                   help="a checkpoint kept earlier (repeatable)")
    s.add_argument("--cle-publique", help="the expected public key (base64), as given out of band")
    s.add_argument("--quiet", action="store_true", help="no progress on stderr")
    s.set_defaults(f=verifier_integrite)
    s = sub.add_parser("point-de-controle", help="sign a checkpoint of the log's head and print or write it (JSON)")
    s.add_argument("--sortie", help="file to write (default stdout)")
    s.set_defaults(f=point_de_controle)
    s = sub.add_parser("preuve", help="an inclusion or consistency proof (JSON), RFC 9162")
    s.add_argument("genre", choices=("inclusion", "coherence"))
    s.add_argument("--position", type=int, help="inclusion: the event's log position")
    s.add_argument("--ancienne", type=int, help="coherence: the older checkpoint's size")
    s.add_argument("--taille", type=int, help="the checkpoint's size (default: the log's head)")
    s.add_argument("--sortie", help="file to write (default stdout)")
    s.set_defaults(f=preuve)
    s = sub.add_parser(
        "verifier-preuve",
        help="check a proof against kept checkpoints, without the database (exit 0 valid, 1 not)",
    )
    s.add_argument("preuve", metavar="PREUVE.json")
    s.add_argument("--point-de-controle", dest="point", required=True, metavar="FICHIER.json",
                   help="the checkpoint the proof is under (the newer one for a consistency proof)")
    s.add_argument("--ancien", metavar="FICHIER.json", help="coherence: the older checkpoint kept")
    s.add_argument("--cle-publique", help="the expected public key (base64), as given out of band")
    s.set_defaults(f=verifier_preuve)


def annoncer_cle(registre: Any) -> None:
    """Where the checkpoint signing key is, made now if absent (ledger init, serve)."""
    i = integrite.de(registre)
    nouvelle = not i.chemin_cle.exists()
    # Made here, the key is announced by the line below: the warning that a server making it
    # unannounced logs would only say it a second time.
    integrite.journal.disabled = nouvelle
    try:
        cle = i.cle
    finally:
        integrite.journal.disabled = False
    print(
        f"checkpoint signing key {'created at' if nouvelle else 'at'} {i.chemin_cle} "
        f"(Ed25519, public key {integrite.cle_publique(cle)})"
        + ("; keep it outside the database and back it up" if nouvelle else "")
    )


def _lire_point(chemin: str) -> integrite.PointDeControle:
    return msgspec.json.decode(Path(chemin).read_bytes(), type=integrite.PointDeControle)


def verifier_integrite(args: argparse.Namespace) -> int:
    stockage = depuis_url(args.database)
    engine = stockage.engine()
    points = [(f, _lire_point(f)) for f in args.points]
    for f, p in points:
        if not integrite.signature_valide(p, args.cle_publique):
            print(f"ledger: checkpoint {f}: bad signature (or not the expected key)", file=sys.stderr)
            return 1

    def progres(n: int) -> None:
        if not args.quiet and n and n % 100_000 == 0:
            print(f"verified {n:,} events…", file=sys.stderr, flush=True)

    try:
        if not chaine.present(stockage, engine):
            print("ledger: this store has no hash chain yet: start the ledger once (ledger init), "
                  "which chains the events already stored", file=sys.stderr)
            return 2
        bilan = chaine.verifier(stockage, engine, progres, garder_feuilles=bool(points))
    finally:
        engine.dispose()
    if bilan.anomalie is not None:
        print(f"ledger: integrity broken after {bilan.evenements:,} intact events: first {bilan.anomalie}", file=sys.stderr)
        return 1
    if points:
        assert bilan.feuilles is not None
        arbre = Arbre(bilan.feuilles)
        for f, p in points:
            if p.taille > len(arbre):
                print(f"ledger: checkpoint {f} covers {p.taille:,} events, the log holds {len(arbre):,}: "
                      "events were removed", file=sys.stderr)
                return 1
            if base64.b64encode(arbre.racine(p.taille)).decode() != p.racine:
                print(f"ledger: the log does not extend checkpoint {f} (size {p.taille:,}): history up to "
                      f"position {p.position} was rewritten, chain and all", file=sys.stderr)
                return 1
    print(f"intact: {bilan.evenements:,} events, chain head {bilan.tete.hex()}"
          + (f"; extends {len(points)} checkpoint(s)" if points else ""))
    return 0


def _registre(args: argparse.Namespace) -> Any:
    # Given by adapters.cli (`fabrique`), which knows the territory options.
    return args.fabrique(args)


def _ecrire(donnees: bytes, sortie: str | None) -> None:
    if sortie:
        Path(sortie).write_bytes(donnees + b"\n")
    else:
        sys.stdout.write(donnees.decode() + "\n")


def point_de_controle(args: argparse.Namespace) -> int:
    registre = _registre(args)
    try:
        p = integrite.de(registre).point_de_controle()
    finally:
        registre.close()
    _ecrire(msgspec.json.format(msgspec.json.encode(p)), args.sortie)
    return 0


def preuve(args: argparse.Namespace) -> int:
    registre = _registre(args)
    try:
        i = integrite.de(registre)
        try:
            if args.genre == "inclusion":
                if args.position is None:
                    raise ValueError("an inclusion proof needs --position")
                doc: Any = i.preuve_inclusion(args.position, args.taille)
            else:
                if args.ancienne is None:
                    raise ValueError("a consistency proof needs --ancienne")
                doc = i.preuve_coherence(args.ancienne, args.taille)
        except LookupError as e:
            raise ValueError(str(e)) from None
    finally:
        registre.close()
    _ecrire(msgspec.json.format(msgspec.json.encode(doc)), args.sortie)
    return 0


def verifier_preuve(args: argparse.Namespace) -> int:
    point = _lire_point(args.point)
    if not integrite.signature_valide(point, args.cle_publique):
        print(f"ledger: checkpoint {args.point}: bad signature (or not the expected key)", file=sys.stderr)
        return 1
    brut = Path(args.preuve).read_bytes()
    if args.ancien:
        ancien = _lire_point(args.ancien)
        if not integrite.signature_valide(ancien, args.cle_publique):
            print(f"ledger: checkpoint {args.ancien}: bad signature (or not the expected key)", file=sys.stderr)
            return 1
        pourquoi = integrite.verifier_preuve_coherence(
            msgspec.json.decode(brut, type=integrite.PreuveCoherence), ancien, point
        )
    else:
        pourquoi = integrite.verifier_preuve_inclusion(msgspec.json.decode(brut, type=integrite.PreuveInclusion), point)
    if pourquoi is not None:
        print(f"ledger: proof refused: {pourquoi}", file=sys.stderr)
        return 1
    print("proof valid")
    return 0
