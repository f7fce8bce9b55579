"""``critmin gravity estimate|run`` through typer's CliRunner, on a toy six-country
scenario built in the test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli import app

ISO = ("BRA", "CHN", "DEU", "IND", "JPN", "USA")
SCENARIO = """\
model: ge
name: toy
data:
  file: flows.csv
  origin: {source: test-flows, vintage: "2026"}
variables:
  ln_DIST: log(DIST)
estimation:
  formula: trade ~ ln_DIST + BRDR | exporter + importer
ge: {year: 2006, sigma: 5, reference_importer: DEU}
counterfactual:
  - {type: tariff, exporters: [IND], importers: [USA], from: 0.5, to: 0.18}
blocs:
  Pacific: [CHN, JPN, USA]
"""


def write_scenario(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 10, size=(len(ISO), 2))
    rows = [{"exporter": e, "importer": m, "year": 2006,
             "DIST": float(np.hypot(*(xy[i] - xy[j]))) * 1000 + 500, "BRDR": float(i != j)}
            for i, e in enumerate(ISO) for j, m in enumerate(ISO)]
    flows = pd.DataFrame(rows)
    flows["trade"] = np.exp(9 - 0.8 * np.log(flows["DIST"]) - 2 * flows["BRDR"]
                            + 0.1 * rng.normal(size=len(flows)))
    flows.to_csv(tmp_path / "flows.csv", index=False)
    path = tmp_path / "toy.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path

runner = CliRunner()

KEYS = {"country", "exports_change_pct", "exports_change_pct_conditional",
        "factory_price_change_pct", "imr_change_pct", "omr_change_pct", "real_gdp_change_pct"}


def test_run_json_has_a_countries_list_with_the_documented_fields(tmp_path):
    path = write_scenario(tmp_path)
    res = runner.invoke(app, ["gravity", "run", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert len(doc["countries"]) == 6
    assert KEYS <= set(doc["countries"][0])
    assert doc["diagnostics"]["method"] == "exact"
    assert doc["provenance"][0]["source"] == "test-flows"
    assert {c["term"] for c in doc["coefficients"]} == {"ln_DIST", "BRDR"}


def test_run_with_draws_adds_percentile_bands(tmp_path):
    path = write_scenario(tmp_path)
    res = runner.invoke(app, ["gravity", "run", str(path), "--draws", "20", "-f", "json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)["countries"][0]
    assert row["real_gdp_change_pct_p05"] <= row["real_gdp_change_pct_p95"]


def test_run_table_names_method_and_countries(tmp_path):
    path = write_scenario(tmp_path)
    res = runner.invoke(app, ["gravity", "run", str(path)])
    assert res.exit_code == 0, res.output
    assert "exact GE, sigma=5.0" in res.stdout and "USA" in res.stdout and "Pacific" in res.stdout


def test_book_iteration_that_diverges_exits_1_with_diagnostics(tmp_path):
    """On this toy world the book's GE-PPML loop runs away for the IND->USA tariff cut
    (the exact solver converges): a SolveError, exit 1, no traceback."""
    path = write_scenario(tmp_path)
    res = runner.invoke(app, ["gravity", "run", str(path), "--method", "geppml-book"])
    assert res.exit_code == 1
    assert "diverged; use method 'exact'" in res.output and "iterations=" in res.output
    assert "Traceback" not in res.output


def test_estimate_prints_the_coefficients(tmp_path):
    path = write_scenario(tmp_path)
    res = runner.invoke(app, ["gravity", "estimate", str(path), "-f", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [r["term"] for r in doc["rows"]] == ["ln_DIST", "BRDR"]
    assert doc["nobs"] == 36


@pytest.mark.parametrize("edit, message", [
    (("sigma: 5", "sigma: -1"), "ge.sigma: Input should be greater than 1"),
    (("[CHN, JPN, USA]", "[CHN, JPN, USAA]"), "Did you mean 'USA'"),
])
def test_bad_scenario_exits_2_with_a_message_and_no_traceback(tmp_path, edit, message):
    path = write_scenario(tmp_path)
    path.write_text(path.read_text().replace(*edit))
    res = runner.invoke(app, ["gravity", "run", str(path)])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_a_partial_equilibrium_file_names_the_command_that_runs_it():
    pe = Path(__file__).resolve().parents[2] / "scenarios" / "us-india-2026.yaml"
    result = runner.invoke(app, ["gravity", "run", str(pe)])
    assert result.exit_code == 2
    assert "partial-equilibrium scenario (model: pe)" in result.output
    assert "critmin scenario run" in result.output and "Traceback" not in result.output
