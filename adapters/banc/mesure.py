"""A figure's line — result, baseline from the same run, ratio, goal — the table they make and the
JSON that `--json` writes."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def dire(texte: str) -> None:
    """A progress line, on stderr (the table goes to stdout)."""
    print(f"bench: {texte}", file=sys.stderr, flush=True)


@dataclass
class Figure:
    """One line of the table: a result beside its baseline from the same run."""

    code: str  # the figure's letter, or "" for an informative line
    figure: str
    resultat: float
    unite: str
    base: float | None = None
    base_unite: str = ""
    base_figure: str = ""  # what the baseline is
    # "plus": higher is better (ratio = result / baseline); "moins": lower is better (ratio =
    # baseline / result), so that a ratio of 1 means "as fast as the baseline" either way.
    sens: str = "plus"
    objectif: str = ""
    atteint: bool | None = None
    note: str = ""
    erreurs: int = 0  # failed operations (a non-zero count makes the run fail)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.base is None or not self.resultat or not self.base:
            return None
        return self.resultat / self.base if self.sens == "plus" else self.base / self.resultat


class Releve(list[Figure]):
    """The figures of a run, each announced on stderr as it is measured: a long run that fails
    late (a crash in an untimed step, Ctrl-C) still shows what it had measured."""

    def append(self, f: Figure) -> None:
        base = f" — baseline {f.base:,.2f} {f.base_unite}" if f.base is not None else ""
        dire(f"measured {f.code or '·'} {f.figure.strip()}: {f.resultat:,.2f} {f.unite}{base}")
        super().append(f)

    def __iadd__(self, figures: Iterable[Figure]) -> Releve:  # type: ignore[override,misc]
        for f in figures:
            self.append(f)
        return self


def chrono(f: Callable[..., Any], *a: Any, **k: Any) -> tuple[float, Any]:
    """(seconds, result) of f(*a, **k)."""
    t = time.perf_counter()
    r = f(*a, **k)
    return time.perf_counter() - t, r


def quantile(xs: list[float], q: float) -> float:
    ys = sorted(xs)
    return ys[min(len(ys) - 1, int(q * len(ys)))]


def ms(xs: list[float], q: float) -> float:
    """The q-quantile of latencies in seconds, in milliseconds."""
    return 1000 * quantile(xs, q)


def nombre(x: float, unite: str) -> str:
    if unite == "ms":
        return f"{x:,.2f} {unite}"
    if x >= 100:
        return f"{x:,.0f} {unite}"
    return f"{x:,.2f} {unite}"


def tableau(figures: list[Figure]) -> str:
    """The figures as a text table, then their notes."""
    lignes = [("", "figure", "result", "baseline (same run)", "ratio", "goal", "")]
    for f in figures:
        lignes.append(
            (
                f.code or "·",
                f.figure,
                nombre(f.resultat, f.unite),
                f"{nombre(f.base, f.base_unite)} — {f.base_figure}" if f.base is not None else "-",
                f"{f.ratio:.3f}" if f.ratio is not None else "-",
                f.objectif or "-",
                {True: "met", False: "NOT MET", None: ""}[f.atteint]
                + (f" ({f.erreurs} errors)" if f.erreurs else ""),
            )
        )
    largeurs = [max(len(r[i]) for r in lignes) for i in range(len(lignes[0]))]
    out = []
    for j, r in enumerate(lignes):
        out.append(
            "  ".join(
                [r[0].ljust(largeurs[0]), r[1].ljust(largeurs[1]), r[2].rjust(largeurs[2]),
                 r[3].ljust(largeurs[3]), r[4].rjust(largeurs[4]), r[5].ljust(largeurs[5]), r[6]]
            ).rstrip()
        )
        if j == 0:
            out.append("  ".join("-" * w for w in largeurs))
    notes = [f"  {f.code or '·'} {f.figure.strip()}: {f.note}" for f in figures if f.note]
    return "\n".join(out + ([""] + notes if notes else []))


def ecrire_json(chemin: Path, parametres: dict[str, Any], machine: dict[str, Any], secondes: float,
                figures: list[Figure]) -> None:
    chemin.parent.mkdir(parents=True, exist_ok=True)
    chemin.write_text(
        json.dumps(
            {
                "parametres": parametres,
                "machine": machine,
                "secondes": secondes,
                "figures": [asdict(f) | {"ratio": f.ratio} for f in figures],
            },
            indent=2, ensure_ascii=False, default=str,
        )
        + "\n"
    )
