"""An app on the snapshot store (as on a fresh clone) with a small source directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_fixtures import FLOWS, make_client


@pytest.fixture(scope="session")
def source_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    (root / "flows.csv").write_text(FLOWS)
    (root / "sub").mkdir()
    (root / "sub" / "flows.csv").write_text(FLOWS)
    return root


@pytest.fixture(scope="session")
def client(snapshot_store, source_dir):
    return make_client(snapshot_store.path, source_dir)
