"""``critmin gravity estimate|run`` (``run`` is an alias of ``critmin run``) through typer's
CliRunner, on a toy six-country scenario built in the test."""

from __future__ import annotations

import io
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
baseline:
  data:
    file: flows.csv
    origin: {source: test-flows, vintage: "2026"}
  variables:
    ln_DIST: log(DIST)
  year: 2006
  tariffs: [{type: tariff, exporters: IND, importers: USA, rate: 0.5}]
ge:
  sigma: 5
  reference_importer: DEU
  estimation:
    formula: trade ~ ln_DIST + BRDR | exporter + importer
  blocs:
    Pacific: [CHN, JPN, USA]
shocks:
  - {type: tariff, exporters: [IND], importers: [USA], rate: 0.18}
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

KEYS = {"country", "exports_change_share", "exports_conditional_change_share",
        "factory_price_change_share", "imr_change_share", "omr_change_share", "real_gdp_change_share"}


@pytest.mark.parametrize("command", [["run"], ["gravity", "run"], ["scenario", "run"]])
def test_run_json_is_one_document_with_tables_and_the_documented_fields(tmp_path, command):
    path = write_scenario(tmp_path)
    res = runner.invoke(app, [*command, str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert list(doc) == ["model", "scenario", "tables", "summary", "diagnostics", "provenance", "parameters"]
    assert doc["model"] == "ge" and doc["scenario"] == "toy"
    countries = doc["tables"]["countries"]
    assert len(countries) == 6 and KEYS <= set(countries[0])
    assert doc["diagnostics"]["status"] == "converged" and isinstance(doc["diagnostics"]["residual"], float)
    assert doc["parameters"]["method"] == "exact"
    assert doc["provenance"][0]["source"] == "test-flows"
    assert {c["term"] for c in doc["tables"]["coefficients"]} == {"ln_DIST", "BRDR"}


def test_gravity_run_with_draws_adds_percentile_bands(tmp_path):
    path = write_scenario(tmp_path)
    res = runner.invoke(app, ["gravity", "run", str(path), "--draws", "20", "-f", "json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)["tables"]["countries"][0]
    assert row["real_gdp_change_share_p05"] <= row["real_gdp_change_share_p95"]


def test_run_table_names_the_solver_and_the_countries(tmp_path):
    path = write_scenario(tmp_path)
    res = runner.invoke(app, ["run", str(path)])
    assert res.exit_code == 0, res.output
    assert "exact solution" in res.stdout and "USA" in res.stdout and "Pacific" in res.stdout


def test_run_csv_is_the_tidy_table(tmp_path):
    path = write_scenario(tmp_path)
    res = runner.invoke(app, ["run", str(path), "--format", "csv"])
    assert res.exit_code == 0, res.output
    tidy = pd.read_csv(io.StringIO(res.stdout))
    assert {"table", "variable", "value", "unit"} <= set(tidy.columns)
    assert set(tidy["table"]) >= {"countries", "bilateral", "coefficients"}


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
    (("sigma: 5", "sigma: -1"), "toy.yaml:12: ge.sigma: Input should be greater than 1"),
    (("[CHN, JPN, USA]", "[CHN, JPN, USAA]"), "Did you mean 'USA'"),
])
def test_bad_scenario_exits_2_with_a_message_and_no_traceback(tmp_path, edit, message):
    path = write_scenario(tmp_path)
    path.write_text(path.read_text().replace(*edit))
    res = runner.invoke(app, ["gravity", "run", str(path)])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_estimate_on_a_partial_equilibrium_file_names_the_command_that_runs_it():
    pe = Path(__file__).resolve().parents[2] / "scenarios" / "us-india-2026.yaml"
    result = runner.invoke(app, ["gravity", "estimate", str(pe)])
    assert result.exit_code == 2
    assert "model: pe scenario" in result.output
    assert "critmin run" in result.output and "Traceback" not in result.output
