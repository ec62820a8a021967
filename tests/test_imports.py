"""No import cycle among the project's packages (domain, projections, adapters, api).

The graph is read from the source with `ast`, not from what Python happened to import: every
`import` that runs counts, at module level or inside a function (a lazy import hides a cycle, it
does not remove it). Imports under `if TYPE_CHECKING:` do not count: they never run, and they
are how a part names, for its annotations only, the class that drives it (the generator's
policies and mixins are handed the `Simulation` that imports them).
`from package import name` points at the submodule `package.name` when there is one, else at the
package. The implicit import of a parent package by its submodules is not an edge: every
submodule has it, and Python runs the parent first whatever the submodule imports.

The floors are checked too: the domain imports nothing but the domain, and the read side
(projections) nothing of the API.
"""

from __future__ import annotations

import ast
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
PAQUETS = ("domain", "projections", "adapters", "api")


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for paquet in PAQUETS:
        for chemin in sorted((RACINE / paquet).rglob("*.py")):
            parties = chemin.relative_to(RACINE).with_suffix("").parts
            if parties[-1] == "__init__":
                parties = parties[:-1]
            out[".".join(parties)] = chemin
    return out


def _cible(nom: str, modules: dict[str, Path]) -> str | None:
    """The project's module `nom` names, or its closest enclosing one; None outside the project."""
    while nom:
        if nom in modules:
            return nom
        nom = nom.rpartition(".")[0]
    return None


def _pour_les_types(noeud: ast.AST) -> bool:
    if not isinstance(noeud, ast.If):
        return False
    t = noeud.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _executes(arbre: ast.AST) -> list[ast.AST]:
    """Every node of the tree, but the bodies of `if TYPE_CHECKING:` (their `else` runs)."""
    out: list[ast.AST] = []
    pile = [arbre]
    while pile:
        noeud = pile.pop()
        out.append(noeud)
        if _pour_les_types(noeud):
            assert isinstance(noeud, ast.If)
            pile.extend(noeud.orelse)
        else:
            pile.extend(ast.iter_child_nodes(noeud))
    return out


def graphe() -> dict[str, set[str]]:
    modules = _modules()
    aretes: dict[str, set[str]] = {m: set() for m in modules}
    for module, chemin in modules.items():
        est_paquet = chemin.name == "__init__.py"
        arbre = ast.parse(chemin.read_text(encoding="utf-8"), filename=str(chemin))
        for noeud in _executes(arbre):
            noms: list[str] = []
            if isinstance(noeud, ast.Import):
                noms = [a.name for a in noeud.names]
            elif isinstance(noeud, ast.ImportFrom):
                if noeud.level:
                    base = module if est_paquet else module.rpartition(".")[0]
                    for _ in range(noeud.level - 1):
                        base = base.rpartition(".")[0]
                    source = f"{base}.{noeud.module}" if noeud.module else base
                else:
                    source = noeud.module or ""
                noms = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in noeud.names]
            for nom in noms:
                cible = _cible(nom, modules)
                if cible is not None and cible != module:
                    aretes[module].add(cible)
    return aretes


def cycle(aretes: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the list of its modules (the first repeated at the end)."""
    BLANC, GRIS, NOIR = 0, 1, 2  # noqa: N806 - the usual colours of a depth-first search
    couleur = dict.fromkeys(aretes, BLANC)
    pile: list[str] = []

    def visiter(m: str) -> list[str] | None:
        couleur[m] = GRIS
        pile.append(m)
        for suivant in sorted(aretes[m]):
            if couleur[suivant] == GRIS:
                return pile[pile.index(suivant) :] + [suivant]
            if couleur[suivant] == BLANC and (trouve := visiter(suivant)):
                return trouve
        pile.pop()
        couleur[m] = NOIR
        return None

    for m in sorted(aretes):
        if couleur[m] == BLANC and (trouve := visiter(m)):
            return trouve
    return None


def test_the_graph_sees_the_imports_it_should() -> None:
    aretes = graphe()
    assert "domain.demande" in aretes["domain.traitements"]
    assert "adapters.registre" in aretes["api.app"]
    # Lazy (inside a function) counts; for the types only does not.
    assert "adapters.generation.simulation" in aretes["adapters.generation"]
    assert "adapters.generation.simulation" not in aretes["adapters.generation.attributions"]
    assert len(aretes) > 50


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle() -> None:
    trouve = cycle(graphe())
    assert trouve is None, "import cycle: " + " -> ".join(trouve or [])


def test_the_domain_and_the_read_side_stay_below() -> None:
    interdits = {"domain": ("projections", "adapters", "api"), "projections": ("api",)}
    for module, cibles in graphe().items():
        for cible in cibles:
            etage = module.partition(".")[0]
            assert not cible.startswith(interdits.get(etage, ())), f"{module} imports {cible}"


def imports_prives(chemins: list[Path]) -> list[str]:
    """Every `from module import _name` in `chemins` where `module` is one of the project's (or
    its tests'): a private name belongs to its module; what modules share gets a public name."""
    out: list[str] = []
    for chemin in chemins:
        arbre = ast.parse(chemin.read_text(encoding="utf-8"), filename=str(chemin))
        for noeud in ast.walk(arbre):
            if (
                isinstance(noeud, ast.ImportFrom)
                and not noeud.level
                and (noeud.module or "").partition(".")[0] in (*PAQUETS, "tests")
            ):
                out += [
                    f"{chemin.name}: {a.name} from {noeud.module}"
                    for a in noeud.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    return out


def test_no_private_name_is_imported_across_modules() -> None:
    chemins = sorted(p for paquet in (*PAQUETS, "tests") for p in (RACINE / paquet).rglob("*.py"))
    assert len(chemins) > 100
    assert imports_prives(chemins) == []


def test_the_private_import_finder_sees_one(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("from projections.suivi import _cache, decoder\nfrom os import _exit\n"
                 "def g():\n    from tests.conftest import _aide as aide\n")
    assert imports_prives([f]) == ["m.py: _cache from projections.suivi", "m.py: _aide from tests.conftest"]


# -- modules of one idea: a module much over 600 lines says why in its docstring -------------------

LIGNES_MAX = 600


def modules_trop_longs(chemins: list[Path]) -> list[str]:
    """The modules over LIGNES_MAX lines whose docstring gives no reason (a sentence that
    speaks of its lines)."""
    sans_raison = []
    for chemin in chemins:
        texte = chemin.read_text("utf-8")
        if texte.count("\n") <= LIGNES_MAX:
            continue
        doc = ast.get_docstring(ast.parse(texte)) or ""
        if "lines" not in doc:
            sans_raison.append(f"{chemin.relative_to(RACINE) if chemin.is_relative_to(RACINE) else chemin}")
    return sans_raison


def test_a_long_module_says_why() -> None:
    chemins = [p for d in ("domain", "projections", "adapters", "api") for p in sorted((RACINE / d).rglob("*.py"))]
    assert not (trop := modules_trop_longs(chemins)), f"split them, or say why in the docstring: {trop}"


def test_the_length_guard_sees_a_long_module(tmp_path: Path) -> None:
    long = tmp_path / "long.py"
    long.write_text('"""One idea."""\n' + "x = 1\n" * (LIGNES_MAX + 1))
    justifie = tmp_path / "justifie.py"
    justifie.write_text('"""One idea; it runs past 600 lines because of a table."""\n' + "x = 1\n" * (LIGNES_MAX + 1))
    assert modules_trop_longs([long, justifie]) == [str(long)]
