"""`critmin demo` writes out/report.html and says where it is."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from critmin.cli import app


@pytest.mark.slow
def test_demo_writes_a_self_contained_html_report_and_names_it(snapshot_store, tmp_path) -> None:
    res = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--store",
                                   str(snapshot_store.path)], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    report = tmp_path / "report.html"
    assert report.is_file() and report.stat().st_size > 3_000_000   # plotly.js is inside
    assert "report.html" in res.output
    text = report.read_text()
    for section in ("production_map", "import_map", "flows_sankey", "concentration_ranking",
                    "scenario_prices", "scenario_welfare", "routes_frontier", "chain_losses"):
        assert f"id='{section}'" in text
    assert not re.search(r"<script[^>]+src=", text)
