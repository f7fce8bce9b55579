"""schemathesis, in-process, against the OpenAPI: no server error on any generated input.

Bounded to stay fast: a few examples per operation, no shrinking. The closed vocabularies
(minerals, stages, blocs, formats) are enums, so generated requests reach the library with
valid names as well as invalid ones.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import pytest
from api_fixtures import FLOWS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, Phase, settings
    from schemathesis.checks import not_a_server_error

from critmin.api import Limits, create_app

# The schema is read at collection, so the app exists then; its store is copied in below.
_ROOT = Path(tempfile.mkdtemp(prefix="critmin-schemathesis-"))
STORE = _ROOT / "critmin.duckdb"
SOURCES = _ROOT / "sources"
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(STORE, source_dir=SOURCES, limits=Limits(solve_seconds=5.0)))


@pytest.fixture(scope="module", autouse=True)
def _store(snapshot_store):
    SOURCES.mkdir(exist_ok=True)
    (SOURCES / "flows.csv").write_text(FLOWS)
    shutil.copy(snapshot_store.path, STORE)
    yield
    shutil.rmtree(_ROOT, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_error_on_any_generated_input(case):
    case.call_and_validate(checks=[not_a_server_error])
