"""`ledger`: the operators' console command."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from adapters.database import ConfigurationError, depuis_url
from adapters.territory_file import TerritoryFileError, load_territory
from domain.erreurs import RefusCommande

RACINE = Path(__file__).resolve().parent.parent
TERRITOIRE_DEMO = RACINE / "territories" / "cannes-pays-de-lerins.toml"


def _territoire(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return load_territory(args.territory or os.environ.get("LEDGER_TERRITORY") or TERRITOIRE_DEMO)


def _registre(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from adapters.registre import Registre

    return Registre(depuis_url(args.database), _territoire(args))


def init(args: argparse.Namespace) -> int:
    registre = _registre(args)
    t = registre.territoire
    print(
        f"ledger ready: {registre.stockage.kind} at {registre.stockage.sqlite_path or registre.stockage.url}\n"
        f"territory {t.nom} ({t.code}): {len(t.communes)} communes, {len(t.organisations)} "
        f"organisations, {len(t.logements)} dwellings; {registre.position()} events in the log"
    )
    registre.close()
    return 0


def jetons(args: argparse.Namespace) -> int:
    t = _territoire(args)
    _afficher_jetons(t)
    return 0


def _afficher_jetons(t) -> None:  # type: ignore[no-untyped-def]
    print("Demo access tokens (Authorization: Bearer <token>) — demo only, never in production:")
    for o in t.organisations:
        kinds = "/".join(sorted(k.value for k in o.types))
        for a in o.agents:
            print(f"  {a.jeton:<28} {o.code:<12} {kinds:<22} {a.nom}")


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import creer_app

    registre = _registre(args)
    app = creer_app(registre)
    print(f"Serving on http://{args.host}:{args.port} — API docs at http://{args.host}:{args.port}/docs")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", workers=1)
    registre.close()
    return 0


def run(args: argparse.Namespace) -> int:
    init(args)
    _afficher_jetons(_territoire(args))
    return serve(args)


def schedule(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    registre = _registre(args)
    jusquau = date.fromisoformat(args.through)
    numeros = list(registre.numeros())
    ajoutes = demandes = 0
    for n in tqdm(numeros, desc=f"schedule through {jusquau}", unit="demand", disable=args.quiet):
        r = registre.rattraper(n, jusquau)
        if r is not None:
            demandes += 1
            ajoutes += len(r.evenements)
    print(f"schedule through {jusquau}: {ajoutes} events appended on {demandes} of {len(numeros)} demands")
    registre.close()
    return 0


def _suiveurs(registre):  # type: ignore[no-untyped-def]
    from projections.cotation import ProjectionCotation
    from projections.echeances import ProjectionEcheances
    from projections.suivi import Suiveur

    return {
        "echeances": Suiveur(registre, ProjectionEcheances(registre)),
        "cotation": Suiveur(registre, ProjectionCotation(registre)),
    }


def rebuild(args: argparse.Namespace) -> int:
    registre = _registre(args)
    suiveurs = _suiveurs(registre)
    noms = [args.name] if args.name else list(suiveurs)
    for nom in noms:
        if nom not in suiveurs:
            print(f"ledger: unknown read model {nom!r} (known: {', '.join(suiveurs)})", file=sys.stderr)
            return 2
        n = suiveurs[nom].reconstruire(barre=not args.quiet)
        print(f"rebuilt {nom}: {n} events applied, position {suiveurs[nom].position()}")
    registre.close()
    return 0


def follow(args: argparse.Namespace) -> int:
    import time

    registre = _registre(args)
    suiveurs = _suiveurs(registre)
    print(f"following the log for {', '.join(suiveurs)} every {args.interval}s (Ctrl-C to stop)")
    try:
        while True:
            for s in suiveurs.values():
                s.rattraper()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        registre.close()


def cotation(args: argparse.Namespace) -> int:
    """An auditor's replay: the score of one demand as of a date, as known at an instant."""
    from datetime import datetime

    import msgspec

    from domain import horloge
    from projections.explication import expliquer

    registre = _registre(args)
    au = date.fromisoformat(args.au) if args.au else horloge.aujourdhui()
    connu_a = datetime.fromisoformat(args.connu_a) if args.connu_a else None
    r = expliquer(registre, args.numero_unique, au, connu_a)
    registre.close()
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(r)).decode())
        return 0
    quand = f"as of {r.au}" + (f", as known at {r.connu_a.isoformat()}" if r.connu_a else "")
    etat = "" if r.active else " (radiated: out of every ranking)"
    print(f"{r.numero_unique} {quand}: {r.points} points, grid {r.version_grille}{etat}")
    for x in r.explications:
        print(f"  {x.points:+5d}  {x.code:<28} {x.detail}")
        for p in x.provenance:
            print(
                f"         event {p.evenement} {p.type} of {p.occurred_on} by {p.organisation}/{p.agent}, "
                f"recorded {p.recorded_at:%Y-%m-%d %H:%M:%S}"
            )
    for rem in r.remarques:
        print(f"      0  {rem['code']:<28} {rem['detail']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ledger", description="Demand Ledger operators' command")
    p.add_argument("--database", help="LEDGER_DATABASE_URL (default sqlite:///var/ledger.sqlite3)")
    p.add_argument("--territory", help="territory file (default: the Cannes Pays de Lérins demo)")
    sub = p.add_subparsers(dest="commande", required=True)
    sub.add_parser("init", help="create the store and check the territory").set_defaults(f=init)
    sub.add_parser("tokens", help="print the territory's agent tokens").set_defaults(f=jetons)
    for nom, f, aide in (("serve", serve, "serve the HTTP API"), ("run", run, "init, print tokens, serve")):
        s = sub.add_parser(nom, help=aide)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8000)
        s.set_defaults(f=f)
    s = sub.add_parser("schedule", help="append notices, RADREN radiations and erasures due by a date")
    s.add_argument("--through", required=True, help="YYYY-MM-DD")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(f=schedule)
    s = sub.add_parser("cotation", help="score and explanation of a demand, as of a date, as known at an instant")
    s.add_argument("numero_unique")
    s.add_argument("--au", help="valid time, YYYY-MM-DD (default today)")
    s.add_argument("--connu-a", dest="connu_a", help="knowledge time, ISO 8601 instant")
    s.add_argument("--json", action="store_true")
    s.set_defaults(f=cotation)
    s = sub.add_parser("rebuild", help="rebuild a read model from position zero (all by default)")
    s.add_argument("name", nargs="?", help="read model name: echeances, cotation")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(f=rebuild)
    s = sub.add_parser("follow", help="keep the read models current (followers poll the log)")
    s.add_argument("--interval", type=float, default=1.0)
    s.set_defaults(f=follow)
    args = p.parse_args(argv)
    try:
        return int(args.f(args))
    except (ConfigurationError, TerritoryFileError, ValueError) as e:
        print(f"ledger: {e}", file=sys.stderr)
        return 2
    except RefusCommande as e:
        print(f"ledger: refused ({e.regle}): {e.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
