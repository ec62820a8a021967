"""The annual bilan's charts, drawn from the figures of a `Bilan` (never from the database):
attribution targets by bailleur and by réservataire, waiting time by typology and by commune,
tension and pressure by commune, refusals by motif and by stage.

Drawn with matplotlib's non-interactive Agg canvas on figures of our own (never pyplot, so no
global state and safe from several threads). French labels and number formats (decimal comma),
sized for a printed A4 page. Deterministic: the same Bilan gives byte-identical SVG (fixed
`svg.hashsalt`, no date in the metadata), PNG and PDF alike. A chart with nothing to show says
"aucune donnée" instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as FigureMpl

from domain.territoire import Territoire
from projections.indicateurs import CIBLES, Bilan, Figure

FORMATS = ("png", "svg", "pdf")
JOURS_PAR_MOIS = 365.25 / 12
NBSP = "\u00a0"
AUCUNE_DONNEE = "aucune donnée"

# Colours that stay apart in grayscale; below-target bars are also hatched.
BLEU, ORANGE, GRIS, VERT = "#2b5d9b", "#d9730d", "#8c8c8c", "#3b8a3e"
BLEU_CLAIR = "#9dbbe0"

STYLE = {
    "svg.hashsalt": "demand-ledger",  # ids in the SVG no longer random
    "svg.fonttype": "path",  # text drawn as paths: same look wherever it is opened
    "font.family": "DejaVu Sans",  # shipped with matplotlib: every accent, on every machine
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "x",
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "hatch.linewidth": 0.8,
    "figure.dpi": 100,
    "savefig.dpi": 150,  # PNG readable when printed
    "path.simplify": False,
}
METADONNEES = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}

RESERVATAIRES = {
    "COLTER": "Collectivités territoriales",
    "COLACT": "Action Logement",
    "PPRIOR": "Préfet (publics prioritaires)",
    "PFONCT": "Préfet (fonctionnaires)",
    "AUTRES": "Autres réservataires",
    "AUCUN": "Non réservé (bailleur)",
}
STADES = {
    "avant_cal": "avant CAL (désistement)",
    "apres_cal": "après CAL",
    "absence_reponse": "absence de réponse",
}
TYPOLOGIES = ("C", "T1", "T2", "T3", "T4", "T5", "T6P")
TITRES_CIBLES = {
    "premier_quartile_hors_qpv": "Baux hors QPV au 1er quartile",
    "hors_premier_quartile_qpv": "Attributions en QPV hors 1er quartile",
    "prioritaires_dalo": "Attributions DALO ou prioritaires",
}


# -- French numbers --------------------------------------------------------------------------


def nombre(x: Decimal | float | int, decimales: int = 0) -> str:
    """1234.5 -> '1 234,5' (no-break space between thousands, decimal comma), rounded half-up
    like the observatory's figures, so a label never disagrees with the CSV."""
    d = Decimal(str(x)) if isinstance(x, float) else Decimal(x)
    texte = f"{d.quantize(Decimal(1).scaleb(-decimales), ROUND_HALF_UP):,}"
    return texte.replace(",", NBSP).replace(".", ",")


def pourcent(x: Decimal | float | int, decimales: int = 2) -> str:
    """Percentages as the bilan gives them: two decimals (13,95 %)."""
    return f"{nombre(x, decimales)}{NBSP}%"


def mois(jours: Decimal | float) -> float:
    return float(jours) / JOURS_PAR_MOIS


def duree(jours: Decimal | float) -> str:
    return f"{nombre(jours)}{NBSP}j ({nombre(mois(jours), 1)}{NBSP}mois)"


# -- what a chart shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Noms:
    """How keys read on a chart: names from the territory when given, else the codes."""

    territoire: Territoire | None

    def commune(self, insee: str) -> str:
        if self.territoire is not None:
            for c in self.territoire.communes:
                if c.insee == insee:
                    return c.nom
        return insee

    def bailleur(self, code: str) -> str:
        if self.territoire is not None:
            try:
                return self.territoire.organisation(code).nom
            except KeyError:
                pass
        return "bailleur inconnu" if code == "?" else code

    def reservataire(self, code: str) -> str:
        return RESERVATAIRES.get(code, code)

    def titre_territoire(self, bilan: Bilan) -> str:
        nom = self.territoire.nom if self.territoire is not None else f"territoire {bilan.territoire}"
        p = bilan.periode
        if (p.du.month, p.du.day, p.au.month, p.au.day) == (1, 1, 12, 31) and p.du.year == p.au.year:
            quand = f"bilan {p.du.year}"
        else:
            quand = f"du {p.du:%d/%m/%Y} au {p.au:%d/%m/%Y}"
        return f"{nom} — {quand}"


def _figures(bilan: Bilan, indicateur: str, dimension: str) -> dict[str, Figure]:
    return {f.cle: f for f in bilan.figures if (f.indicateur, f.dimension) == (indicateur, dimension)}


def _pied(bilan: Bilan) -> str:
    source = "journal des événements" if bilan.source == "journal" else "vue statistique"
    connu = f", connu au {bilan.connu_a:%d/%m/%Y %H:%M}" if bilan.connu_a else ""
    return (
        f"Source : {source}, position {bilan.position}{connu}. "
        f"Stocks au {bilan.periode.au:%d/%m/%Y}."
    )


def _nouvelle(largeur: float, hauteur: float, colonnes: int = 1) -> tuple[FigureMpl, list[Axes]]:
    fig = FigureMpl(figsize=(largeur, hauteur), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, colonnes, squeeze=False)[0]
    return fig, list(axes)


def _vide(ax: Axes, titre: str, detail: str = "") -> None:
    ax.set_title(titre, loc="left")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    texte = AUCUNE_DONNEE if not detail else f"{AUCUNE_DONNEE}\n{detail}"
    ax.text(0.5, 0.5, texte, ha="center", va="center", transform=ax.transAxes,
            fontsize=13, color=GRIS, style="italic")


def _hauteur(lignes: float) -> float:
    return max(3.2, 1.6 + 0.42 * lignes)


def _entetes(fig: FigureMpl, bilan: Bilan, noms: Noms, titre: str) -> None:
    fig.suptitle(f"{titre}\n{noms.titre_territoire(bilan)}", fontsize=14, fontweight="bold")
    # A figure-level label, so the constrained layout keeps room for it under the axes.
    fig.supxlabel(_pied(bilan), x=0.01, ha="left", fontsize=8, color="#555555")


# -- the charts --------------------------------------------------------------------------------


def _cibles(bilan: Bilan, noms: Noms, dimension: str) -> FigureMpl:
    libelle: Callable[[str], str] = noms.bailleur if dimension == "bailleur" else noms.reservataire
    par_indicateur = {nom: _figures(bilan, nom, dimension) for nom in TITRES_CIBLES}
    cles = sorted({k for d in par_indicateur.values() for k in d}, key=lambda k: (libelle(k), k))
    rangs = ["", *cles]  # the whole territory first, for comparison
    etiquettes = ["Territoire", *(libelle(k) for k in cles)]
    fig, axes = _nouvelle(13.5, _hauteur(len(rangs)) + 0.6, 3)
    quoi = "bailleur" if dimension == "bailleur" else "réservataire (contingent)"
    _entetes(fig, bilan, noms, f"Objectifs d'attribution par {quoi}")
    for ax, (nom, titre) in zip(axes, TITRES_CIBLES.items(), strict=True):
        cible = float(CIBLES[nom])
        figs = dict(par_indicateur[nom])
        tf = bilan.figure(nom)
        if tf is not None:
            figs[""] = tf
        titre_ax = f"{titre}\n(cible ≥{NBSP}{pourcent(cible, 0)})"
        if not cles or not any((f.denominateur or 0) > 0 for f in figs.values()):
            _vide(ax, titre_ax)
            continue
        ys = list(range(len(rangs)))[::-1]
        for y, k in zip(ys, rangs, strict=True):
            f = figs.get(k)
            n, d = (f.numerateur or 0, f.denominateur or 0) if f is not None else (0, 0)
            if f is None or f.valeur is None:
                ax.text(1, y, f"{n}/{d} — aucune attribution" if nom != "premier_quartile_hors_qpv"
                        else f"{n}/{d} — aucun bail", va="center", fontsize=9, color=GRIS)
                continue
            v = float(f.valeur)
            atteinte = v >= cible
            couleur = (BLEU if atteinte else ORANGE) if k else (GRIS if atteinte else "#b35a00")
            ax.barh(y, v, height=0.62, color=couleur, hatch=None if atteinte else "//",
                    edgecolor="white" if atteinte else "#5a2d00", linewidth=0.5)
            texte = f"{pourcent(f.valeur)}  ({n}/{d})"
            # Labels sit above the target line, on a box of their own so the line never
            # crosses their digits.
            if v > 55:
                ax.text(v - 1.5, y, texte, va="center", ha="right", fontsize=9, color="white",
                        fontweight="bold", zorder=4,
                        bbox={"boxstyle": "round,pad=0.15", "fc": couleur, "ec": "none"})
            else:
                ax.text(v + 1.5, y, texte, va="center", ha="left", fontsize=9, zorder=4,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
        ax.axvline(cible, color="#b00020", linestyle="--", linewidth=1.6, zorder=3)
        ax.text(cible, len(rangs) - 0.45, f" cible {pourcent(cible, 0)}", color="#b00020",
                fontsize=9, va="bottom", ha="left")
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.6, len(rangs) - 0.2)
        ax.set_yticks(ys, etiquettes if ax is axes[0] else [""] * len(rangs))
        ax.xaxis.set_major_formatter(lambda x, _p: pourcent(x, 0))
        ax.set_title(titre_ax, loc="left")
        ax.set_xlabel("part des attributions (n / total sur les barres)"
                      if nom != "premier_quartile_hors_qpv" else "part des baux (n / total sur les barres)")
    if cles:
        _legende_cibles(fig)
    return fig


def _legende_cibles(fig: FigureMpl) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig.legend(
        handles=[
            Patch(facecolor=BLEU, label="cible atteinte"),
            Patch(facecolor=ORANGE, hatch="//", edgecolor="#5a2d00", label="cible non atteinte"),
            Patch(facecolor=GRIS, label="territoire"),
            Line2D([0], [0], color="#b00020", linestyle="--", label="cible"),
        ],
        loc="outside lower right", ncols=4, frameon=False, fontsize=9,
    )


def _attente(bilan: Bilan, noms: Noms, dimension: str) -> FigureMpl:
    moyennes = _figures(bilan, "attente_moyenne", dimension)
    medianes = _figures(bilan, "attente_mediane", dimension)
    if dimension == "typologie":
        cles = sorted(moyennes, key=lambda k: (TYPOLOGIES.index(k) if k in TYPOLOGIES else 99, k))
        libelle: Callable[[str], str] = str
        quoi = "typologie du logement"
    else:
        cles = sorted(moyennes, key=lambda k: (noms.commune(k), k))
        libelle = noms.commune
        quoi = "commune du logement"
    fig, (ax,) = _nouvelle(10.5, _hauteur(len(cles) * 1.6) + 0.4)
    _entetes(fig, bilan, noms, f"Délai d'attente (bail − dépôt) par {quoi}")
    total = bilan.figure("attente_moyenne")
    titre = "Délai moyen et médian, en jours (en mois en haut)"
    if total is not None and total.valeur is not None:
        titre += f"\nTerritoire : moyenne {duree(total.valeur)} sur {total.denominateur} baux"
    if not cles:
        _vide(ax, titre, "aucun bail signé sur la période")
        return fig
    ys = [float(i) for i in range(len(cles))][::-1]
    maxi = max(float(f.valeur) for f in [*moyennes.values(), *medianes.values()] if f.valeur is not None)
    for y, k in zip(ys, cles, strict=True):
        for decal, f, couleur in ((0.2, moyennes.get(k), BLEU), (-0.2, medianes.get(k), BLEU_CLAIR)):
            if f is None or f.valeur is None:
                continue
            v = float(f.valeur)
            ax.barh(y + decal, v, height=0.38, color=couleur)
            ax.text(v + maxi * 0.01, y + decal, duree(f.valeur), va="center", ha="left", fontsize=9)
    ax.set_yticks(ys, [f"{libelle(k)}\n({moyennes[k].denominateur} baux)" for k in cles])
    ax.set_xlim(0, maxi * 1.32 or 1)
    ax.xaxis.set_major_formatter(lambda x, _p: nombre(x))
    ax.set_xlabel("jours entre le dépôt de la demande et la signature du bail")
    haut = ax.secondary_xaxis("top", functions=(lambda j: j / JOURS_PAR_MOIS, lambda m: m * JOURS_PAR_MOIS))
    haut.set_xlabel("mois")
    haut.xaxis.set_major_formatter(lambda x, _p: nombre(x))
    ax.set_title(titre, loc="left")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(facecolor=BLEU, label="moyenne"), Patch(facecolor=BLEU_CLAIR, label="médiane")],
              loc="lower right", frameon=True, fontsize=9)
    return fig


def _tension_pression(bilan: Bilan, noms: Noms) -> FigureMpl:
    pressions = _figures(bilan, "pression", "commune")
    cles = sorted(pressions, key=lambda k: (noms.commune(k), k))
    tension = bilan.figure("tension")
    lignes: list[tuple[str, Figure | None, str]] = [("Territoire\n(tension)", tension, GRIS)]
    lignes += [(noms.commune(k), pressions[k], BLEU) for k in cles]
    fig, (ax,) = _nouvelle(10.5, _hauteur(len(lignes)) + 0.4)
    _entetes(fig, bilan, noms, "Tension et pression de la demande par commune")
    titre = ("Demandes actives / baux des 12 mois précédents\n"
             "(par commune : demandes hors mutation en premier choix)")
    valeurs = [float(f.valeur) for _, f, _ in lignes if f is not None and f.valeur is not None]
    if not valeurs and not any(f is not None and (f.numerateur or 0) > 0 for _, f, _ in lignes):
        _vide(ax, titre, "ni demande active ni bail")
        return fig
    maxi = max(valeurs, default=1.0) or 1.0
    ys = list(range(len(lignes)))[::-1]
    for y, (_, f, couleur) in zip(ys, lignes, strict=True):
        n, d = (f.numerateur or 0, f.denominateur or 0) if f is not None else (0, 0)
        if f is None or f.valeur is None:
            ax.text(maxi * 0.01, y, f"{nombre(n)} demandes, aucun bail en 12 mois", va="center",
                    fontsize=9, color=GRIS)
            continue
        v = float(f.valeur)
        ax.barh(y, v, height=0.62, color=couleur)
        ax.text(v + maxi * 0.01, y, f"{nombre(f.valeur, 2)}  ({nombre(n)} / {nombre(d)} baux)", va="center",
                ha="left", fontsize=9)
    ax.set_yticks(ys, [e for e, _, _ in lignes])
    ax.set_xlim(0, maxi * 1.45)
    ax.xaxis.set_major_formatter(lambda x, _p: nombre(x, 1) if x % 1 else nombre(x))
    ax.set_xlabel("demandes par bail signé")
    ax.set_title(titre, loc="left")
    return fig


def _refus(bilan: Bilan, noms: Noms) -> FigureMpl:
    par_motif = _figures(bilan, "refus", "motif")
    par_stade = _figures(bilan, "refus", "stade")
    n_lignes = max(len(par_motif), len(par_stade), 3)
    fig, axes = _nouvelle(12.5, _hauteur(n_lignes) + 0.4, 2)
    total = bilan.figure("refus")
    taux = bilan.figure("taux_refus")
    sous = f"{nombre(total.numerateur or 0)} refus" if total is not None else "aucun refus"
    if taux is not None and taux.valeur is not None:
        sous += f", {pourcent(taux.valeur)} des {nombre(taux.denominateur or 0)} propositions"
    _entetes(fig, bilan, noms, f"Refus des candidats — {sous}")
    for ax, figs, titre, libelle in (
        (axes[0], par_motif, "Par motif", str),
        (axes[1], par_stade, "Par stade", lambda s: STADES.get(s, s)),
    ):
        if not figs:
            _vide(ax, titre)
            continue
        ordre = sorted(figs, key=lambda k: (-(figs[k].numerateur or 0), libelle(k)))
        ys = list(range(len(ordre)))[::-1]
        maxi = max(figs[k].numerateur or 0 for k in ordre) or 1
        for y, k in zip(ys, ordre, strict=True):
            n = figs[k].numerateur or 0
            ax.barh(y, n, height=0.62, color=BLEU if ax is axes[0] else VERT)
            part = f"  ({pourcent(Decimal(100 * n) / total.numerateur, 1)})" if total and total.numerateur else ""
            ax.text(n + maxi * 0.01, y, f"{nombre(n)}{part}", va="center", ha="left", fontsize=9)
        ax.set_yticks(ys, [libelle(k) for k in ordre])
        ax.set_xlim(0, maxi * 1.35)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.xaxis.set_major_formatter(lambda x, _p: nombre(x))
        ax.set_xlabel("nombre de refus")
        ax.set_title(titre, loc="left")
    return fig


# -- writing -----------------------------------------------------------------------------------

GRAPHIQUES: tuple[tuple[str, Callable[[Bilan, Noms], FigureMpl]], ...] = (
    ("cibles_bailleur", lambda b, n: _cibles(b, n, "bailleur")),
    ("cibles_reservataire", lambda b, n: _cibles(b, n, "reservataire")),
    ("attente_typologie", lambda b, n: _attente(b, n, "typologie")),
    ("attente_commune", lambda b, n: _attente(b, n, "commune")),
    ("tension_pression", _tension_pression),
    ("refus", _refus),
)


def ecrire_graphiques(
    bilan: Bilan, dossier: Path, format: str = "png", territoire: Territoire | None = None
) -> list[Path]:
    """Write every chart of the bilan into `dossier` (created if needed) as `<name>.<format>`
    (png, svg or pdf); returns the paths in a fixed order. Pass the territory to show commune
    and bailleur names instead of their codes."""
    if format not in FORMATS:
        raise ValueError(f"chart format {format!r}: expected one of {', '.join(FORMATS)}")
    dossier = Path(dossier)
    dossier.mkdir(parents=True, exist_ok=True)
    noms = Noms(territoire)
    ecrits: list[Path] = []
    with matplotlib.rc_context(STYLE):
        for nom, dessiner in GRAPHIQUES:
            fig = dessiner(bilan, noms)
            chemin = dossier / f"{nom}.{format}"
            titre = fig.get_suptitle().replace("\n", " — ")
            fig.savefig(chemin, format=format, metadata={**METADONNEES[format], "Title": titre})
            ecrits.append(chemin)
    return ecrits



def dessiner(bilan: Bilan, territoire: Territoire | None = None, format: str = "svg") -> list[tuple[str, str, bytes]]:
    """Every chart of the bilan in memory, as (name, title, bytes), in `ecrire_graphiques`'s
    order: what a page shows inline."""
    if format not in FORMATS:
        raise ValueError(f"chart format {format!r}: expected one of {', '.join(FORMATS)}")
    import io

    noms = Noms(territoire)
    out: list[tuple[str, str, bytes]] = []
    with matplotlib.rc_context(STYLE):
        for nom, dessin in GRAPHIQUES:
            fig = dessin(bilan, noms)
            titre = fig.get_suptitle().replace("\n", " — ")
            tampon = io.BytesIO()
            fig.savefig(tampon, format=format, metadata={**METADONNEES[format], "Title": titre})
            out.append((nom, titre, tampon.getvalue()))
    return out
