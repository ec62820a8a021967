"""The parts of `scripts/bench` (docs/benchmarks.md): every figure measured on PostgreSQL beside a
baseline measured in the same run, and printed with the ratio between them.

- `mesure`: a figure's line (result, baseline, ratio, goal), the table and the JSON;
- `postgres`: a schema of its own per part, the raw sequential read of the log;
- `serveur`: the API on uvicorn in a child process (`python -m adapters.banc.serveur URL PORT`);
- `foyers`: varied households and the batched fill of active demands;
- `historique`: (a) import, (b) rebuild, (c) indicators, on a generated history;
- `actives`: (d) score over HTTP, (e) the cotation read model's upkeep, (f) as-of replays, on
  `--actives` active demands;
- `commandes`: (g) commands over HTTP and in-process beside the plain library's saves;
- `pages`: (p) the pages' render time beside the JSON endpoints of the same queries;
- `echange`: (h) the SNE import and its peak memory, (i) the partner feed's latency.
- `commissions`: (j) a CAL session's minutes, (k) the bilan du flux of a year.
- `integrite`: (l) the hash chain's cost on append, (m) `verifier-integrite` beside the raw read.

Like `adapters.cli`, these modules import `projections` and `api` inside the functions that use
them: the bench sits on top of every floor, and nothing imports it.
"""

from __future__ import annotations

from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent.parent
DEMO = RACINE / "territories" / "cannes-pays-de-lerins.toml"
GUICHETS = ("OPH-CPL", "CANNES", "LE-CANNET", "MANDELIEU", "MOUGINS", "THEOULE")
AUDIT = "demo-cil-cacpl-1"  # an agent's token that may read every demand

# letter -> (name, what it measures); `--figures` takes either.
FIGURES: dict[str, tuple[str, str]] = {
    "a": ("import", "a generated history through the domain, beside raw COPY and the plain recorder"),
    "b": ("rebuild", "every read model rebuilt from the log, beside a raw sequential read"),
    "c": ("indicators", "every indicator of a year from the raw log, beside the raw read"),
    "d": ("score", "score + explanation + rank over HTTP, beside the same read in-process"),
    "e": ("recompute", "the cotation read model: catch-up, every score to a new day, every rank"),
    "f": ("asof", "a score as of a past date, in-process and over HTTP"),
    "g": ("commands", "commands over HTTP and in-process, beside the library's plain saves"),
    "h": ("sne", "SNE file import through the domain beside raw COPY and the plain library; peak memory"),
    "i": ("flux", "partner feed latency, commit to a long-polling consumer, beside a plain GET"),
    "j": ("minutes", "the minutes of a 40-candidate CAL session, beside the raw read of its events"),
    "k": ("bilan_flux", "the bilan du flux of a year, raw log and read model, beside the raw read"),
    "l": ("chaine", "appending with the hash chain, beside the same appends without it"),
    "m": ("verification", "verifier-integrite per million events, beside the raw sequential read"),
    "p": ("pages", "a demand's page and the CAL workspace, beside their JSON endpoints"),
}
HISTOIRE = frozenset("abck")  # the figures measured on a generated history
ACTIVES = frozenset("defp")  # the figures measured on --actives active demands


def choisir(texte: str) -> list[str]:
    """The letters asked for by `--figures` (letters, names or `all`, comma-separated), in
    order; ValueError for an unknown one."""
    par_nom = {nom: lettre for lettre, (nom, _) in FIGURES.items()}
    voulues: set[str] = set()
    for x in (y.strip().lower() for y in texte.split(",")):
        if not x:
            continue
        if x == "all":
            voulues |= set(FIGURES)
        elif x in FIGURES:
            voulues.add(x)
        elif x in par_nom:
            voulues.add(par_nom[x])
        else:
            raise ValueError(x)
    if not voulues:
        raise ValueError(texte)
    return sorted(voulues)
