"""`scripts/generate`: a reproducible generated territory and its years of history, written
through the domain (docs/generate.md).

    scripts/generate                                   # Cannes Pays de Lérins, 5 years, SQLite
    scripts/generate --echelle 0.1 --annees 2 --seed 7
    scripts/generate --scenario sophia --database postgresql://postgres@127.0.0.1:5432/test?schema=sophia
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from adapters.generation import GenerationError, Parametres, generer, ouvrir
from adapters.generation.parametres import ANNEES_DEFAUT, SCENARIOS
from adapters.generation.territoire import RACINE
from domain import horloge

DOSSIER = RACINE / "var" / "generated"


def _date(texte: str) -> date:
    try:
        return date.fromisoformat(texte)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{texte!r} is not a date (YYYY-MM-DD)") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/generate",
        description="Write a generated territory file and simulate its history into an empty ledger.",
    )
    parser.add_argument("--scenario", default="cannes", help=f"{' or '.join(SCENARIOS)} (default cannes)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    parser.add_argument(
        "--echelle", type=float, default=1.0,
        help="multiplies the 10,213 dwellings, and so demands and events, keeping every ratio (cannes)",
    )
    parser.add_argument(
        "--annees", type=int, default=None, help=f"years of history (cannes, default {ANNEES_DEFAUT})"
    )
    parser.add_argument(
        "--jusquau", type=_date, default=None, help="last simulated day, before today (default yesterday)"
    )
    parser.add_argument(
        "--database", default=None,
        help="ledger database URL, which must hold no event (default sqlite:///var/generated/<name>.sqlite3)",
    )
    parser.add_argument(
        "--territory", type=Path, default=None,
        help="territory file to write (default: next to the SQLite file, or var/generated/<name>.toml)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--verifier", action="store_true",
        help="at the end, compare every demand in the log with the generator's memory of it (slow)",
    )
    args = parser.parse_args(argv)

    p = Parametres(
        scenario=args.scenario, graine=args.seed, echelle=args.echelle, annees=args.annees,
        jusquau=args.jusquau, verifier=args.verifier,
    )
    try:
        p = p.valider(horloge.aujourdhui())
        database = args.database or f"sqlite:///{DOSSIER / (p.nom + '.sqlite3')}"
        territoire = args.territory
        if territoire is None:
            if database.startswith("sqlite:///"):
                territoire = Path(database[len("sqlite:///") :]).with_suffix(".toml")
            else:
                schema = database.split("schema=", 1)[1].split("&")[0] if "schema=" in database else ""
                territoire = DOSSIER / (p.nom + (f"-{schema}" if schema else "") + ".toml")
        registre, fichier = ouvrir(p, database, territoire)
    except (GenerationError, ValueError) as e:
        print(f"scripts/generate: error: {e}", file=sys.stderr)
        return 2
    print(f"territory: {fichier}", file=sys.stderr)
    try:
        rapport = generer(registre, p, barre=not args.quiet)
    except GenerationError as e:
        print(f"scripts/generate: error: {e}", file=sys.stderr)
        return 2
    finally:
        registre.close()
    print(rapport.resume())
    print(f"\nserve it: .venv/bin/ledger --territory {fichier} --database '{database}' serve")
    return 1 if rapport.refus or rapport.ecarts else 0


if __name__ == "__main__":
    sys.exit(main())
