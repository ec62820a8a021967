"""The API fuzzed against its own OpenAPI document (schemathesis, pinned in pyproject.toml), on the
demo territory, on SQLite and PostgreSQL: whatever an agent sends, no answer is a 5xx, and every
answer is one the document describes (status code, media type, body schema). A bounded number
of examples per operation keeps it to tens of seconds (`EXEMPLES`).

The rate limits are set out of reach here (a fuzzer sends many wrong demandeur codes from one
address: it would be answered 429 from then on, and learn nothing else); tests/http/test_entrees.py
tests them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.code_demandeur import VARIABLE_DOSSIER
from adapters.database import Stockage
from adapters.registre import Registre
from api.app import creer_app
from api.limites import Limiteur
from tests.scenario_ecrans import peupler

EXEMPLES = 4  # random examples per operation and per database (about 50 operations)
JETON = "demo-oph-cpl-1"  # a bailleur that is also a guichet: most commands are open to it
# The coverage phase (every boundary value the document allows: it found a log position too
# large for SQLite's integers) runs on SQLite; PostgreSQL gets the random phase only, to keep
# the whole within a minute on two shared cores.
AVEC_COUVERTURE = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": True}}})
SANS_COUVERTURE = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
VERIFICATIONS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def schema_api(
    registre: Registre, stockage: Stockage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.setenv(VARIABLE_DOSSIER, str(tmp_path / "donnees"))
    peupler(registre)
    app = creer_app(registre)
    app.state.limiteur = Limiteur(echecs_max=10**9)
    with TestClient(app):  # its lifespan
        yield schemathesis.openapi.from_asgi("/openapi.json", app, config=SANS_COUVERTURE if stockage.postgres else AVEC_COUVERTURE)


schema = schemathesis.pytest.from_fixture("schema_api")


@schema.parametrize()
@settings(
    max_examples=EXEMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck),
)
def test_l_api_tient_son_document(case: Any) -> None:
    if case.operation.path == "/flux" and isinstance(case.query, dict):
        # The long poll's wait is real time: the fuzzer checks its shapes, without waiting.
        case.query.pop("attente", None)
    verifications = VERIFICATIONS
    if case.operation.path == "/sante/pret":
        # Its 503 is its documented answer (not ready: read models behind, here, as commands
        # are fuzzed with nothing following the log), with the same body as its 200.
        verifications = [v for v in VERIFICATIONS if v is not not_a_server_error]
    case.call_and_validate(headers={"Authorization": f"Bearer {JETON}"}, checks=verifications)
