"""The product ships without the engineers' rulebook: what a user or an operator reads — README,
docs/, the OpenAPI document built from api/, CLI help, code comments, territory files — cites the
law (CCH articles) and the project's own docs/ pages, never a file outside the repository."""

from __future__ import annotations

import subprocess

from adapters.registre import Registre
from api.app import creer_app
from tests.conftest import RACINE

# Stored fixtures are copies of files as an earlier version wrote them, and are never rewritten.
HORS_DU_PRODUIT = ("tests/fixtures/", "tests/test_documentation.py")
CITATIONS_EXTERIEURES = ("DOMAIN.md", "../shared", "/shared/seeds", "shared/reference")


def test_nothing_shipped_cites_a_file_outside_the_repository() -> None:
    fichiers = subprocess.run(
        ["git", "ls-files"], cwd=RACINE, check=True, capture_output=True, text=True
    ).stdout.splitlines()
    trouvees = []
    for nom in fichiers:
        if nom.startswith(HORS_DU_PRODUIT):
            continue
        try:
            texte = (RACINE / nom).read_text("utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        trouvees += [
            f"{nom}:{n}: {ligne.strip()}"
            for n, ligne in enumerate(texte.splitlines(), 1)
            if any(c in ligne for c in CITATIONS_EXTERIEURES)
        ]
    assert not trouvees, "cite docs/ or the CCH instead:\n" + "\n".join(trouvees)


def test_the_openapi_document_cites_no_file_outside_the_repository(registre: Registre) -> None:
    document = str(creer_app(registre).openapi())
    assert not [c for c in CITATIONS_EXTERIEURES if c in document]
