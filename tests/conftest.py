"""Shared fixtures: the staged raw data (skipped when absent) and stores built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.config import default_source_dir

SHARED = default_source_dir()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip cleanly when it is absent."""
    if SHARED is None or not SHARED.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED


@pytest.fixture(scope="session")
def snapshot_store(tmp_path_factory: pytest.TempPathFactory):
    """A store built from the bundled snapshot only, as on a fresh clone."""
    from critmin.store import Store
    from critmin.store.build import build_store

    path = tmp_path_factory.mktemp("snapshot") / "critmin.duckdb"
    build_store(path)
    return Store.open(path)


@pytest.fixture(scope="session")
def source_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path):
    """A store built from the raw release files in ../shared/data."""
    from critmin.store import Store
    from critmin.store.build import build_store

    path = tmp_path_factory.mktemp("source") / "critmin.duckdb"
    build_store(path, shared_data)
    return Store.open(path)


@pytest.fixture()
def store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point CRITMIN_STORE at a fresh temporary path for CLI tests."""
    path = tmp_path / "critmin.duckdb"
    monkeypatch.setenv("CRITMIN_STORE", str(path))
    return path
