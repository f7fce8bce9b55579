"""The scenario library (scenarios/*.yaml): every file is in the one language, cites its
sources, and runs through `critmin run` into the one JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.scenario import load_scenario, scenario_files
from critmin.config import default_source_dir

FILES = scenario_files()
KEYS = ["model", "scenario", "tables", "summary", "diagnostics", "provenance", "parameters"]


def _needs_shared(path: Path) -> bool:
    """Files whose data live in the source directory (the Yotov replications): read the
    text, since loading them without CRITMIN_SOURCE_DIR is (rightly) an error."""
    return "${CRITMIN_SOURCE_DIR}" in path.read_text(encoding="utf-8")


#: what can be loaded here: every file with ../shared, the rest without it
LOADABLE = [p for p in FILES if default_source_dir() is not None or not _needs_shared(p)]


def test_the_library_has_pe_and_ge_scenarios() -> None:
    models = {load_scenario(p).model for p in LOADABLE}
    assert {"pe", "ge"} <= models and len(FILES) >= 10


@pytest.mark.parametrize("path", LOADABLE, ids=lambda p: p.name)
def test_every_file_is_in_the_one_language_and_cites_its_sources(path: Path) -> None:
    from critmin.scenario.registry import plugin

    sc = load_scenario(path)
    assert not sc.warnings, sc.warnings                      # no older layout left
    if plugin(sc.model).spec.shocks:                         # sourcing limits are settings
        assert sc.shocks
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#")
    assert any(w in text for w in ("Sources", "Source:", "Yotov", "LIMITS")), "say where numbers come from"


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in FILES if not _needs_shared(p)], ids=lambda p: p.name)
def test_every_file_on_the_snapshot_runs_through_critmin_run(path: Path, snapshot_store, tmp_path,
                                                             monkeypatch) -> None:
    from critmin.cli import app

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("CRITMIN_SOURCE_DIR", str(empty))       # a fresh clone without ../shared
    res = CliRunner().invoke(app, ["run", str(path), "--format", "json",
                                   "--store", str(snapshot_store.path)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert list(doc) == KEYS and doc["tables"] and doc["diagnostics"]["status"] in ("converged", "optimal")
    columns = {c for rows in doc["tables"].values() for r in rows[:1] for c in r}
    assert not any(c.endswith("_pct") or "_pct_" in c for c in columns)
    assert all("source" in p and "used_for" in p for p in doc["provenance"])
