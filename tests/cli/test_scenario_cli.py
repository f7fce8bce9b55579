"""`critmin scenario list|validate|run` (``run``: an alias of ``critmin run``) through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli import app

runner = CliRunner()

FLOWS = "exporter,importer,value\nCHN,CHN,500\nCHN,USA,100\nCHN,JPN,80\nUSA,USA,20\nUSA,JPN,5\n" \
        "JPN,JPN,30\nJPN,USA,10\nDEU,DEU,40\n"

SCENARIO = """\
# Sources: invented test market.
name: cli-test
baseline:
  flows_csv: flows.csv
  mineral: gallium
  stage: refinery
  year: 2023
  price_usd_per_t: 500000
shocks:
  - type: export_quota
    exporter: CHN
    destinations: [USA]
    tonnes: 0
  - type: preferential_zone
    members: [USA, JPN]
    reference_prices:
      - {mineral: gallium, stage: refinery, price: 600000, unit: USD/t}
"""


@pytest.fixture()
def scenario_file(tmp_path: Path) -> Path:
    (tmp_path / "flows.csv").write_text(FLOWS)
    path = tmp_path / "cli.yaml"
    path.write_text(SCENARIO)
    return path


def test_validate_ok(scenario_file: Path) -> None:
    result = runner.invoke(app, ["scenario", "validate", str(scenario_file)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "cli-test" in result.output


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("exporter: CHN", "exporter: XXX", "'XXX' is not a known"),
    ("members: [USA, JPN]", "members: NotABloc", "'NotABloc' is not a known country"),
    ("mineral: gallium\n", "mineral: unobtainium\n", "'unobtainium' is not a known mineral"),
    ("unit: USD/t", "unit: USD/lb", "must be in USD/t"),
    ("tonnes: 0", "tonnes: [", "malformed YAML"),
    ("shocks:", "elasticities: {import_demand: 0.7}\nshocks:", "import_demand must be < 0"),
    ("shocks:", "pe: {elasticities: {import_demand: 0.7}}\nshocks:", "import_demand must be < 0"),
    ("shocks:", "pe: {mod: gsim}\nshocks:", "Did you mean 'mode'"),
    ("name: cli-test", "name: cli-test\nmodel: sourcing_x", "model 'sourcing_x' is not known"),
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(scenario_file: Path, old: str, new: str,
                                                           needle: str) -> None:
    scenario_file.write_text(SCENARIO.replace(old, new, 1))
    result = runner.invoke(app, ["scenario", "validate", str(scenario_file)])
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output


def test_infeasible_quota_set_exits_2(scenario_file: Path) -> None:
    scenario_file.write_text(SCENARIO.replace("destinations: [USA]", "destinations: all").replace(
        "exporter: CHN", "exporter: DEU"))
    (scenario_file.parent / "flows.csv").write_text("exporter,importer,value\nDEU,FRA,5\nCHN,CHN,5\n")
    result = runner.invoke(app, ["scenario", "run", str(scenario_file)])
    assert result.exit_code == 2
    assert "infeasible quota set" in result.output


@pytest.mark.parametrize("command", [["run"], ["scenario", "run"]])
def test_run_json_document_has_the_result_tables(scenario_file: Path, command: list[str]) -> None:
    result = runner.invoke(app, [*command, str(scenario_file), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert list(doc) == ["model", "scenario", "tables", "summary", "diagnostics", "provenance", "parameters"]
    t = doc["tables"]
    assert {"exporter", "world_price_change_share"} <= set(t["prices"][0])
    assert {"exporter", "importer", "flow_t_baseline", "flow_t", "flow_change_share"} <= set(t["flows"][0])
    assert {"country", "producer_surplus_usd", "consumer_surplus_usd", "tariff_revenue_usd", "rents_usd",
            "net_welfare_usd"} <= set(t["welfare_by_country"][0])
    assert doc["diagnostics"]["parts"]["gallium/refinery"]["converged"] is True
    assert doc["diagnostics"]["status"] == "converged" and doc["provenance"]
    ban = next(f for f in t["flows"] if f["exporter"] == "CHN" and f["importer"] == "USA")
    assert ban["flow_t_baseline"] == 100 and abs(ban["flow_t"]) < 1e-6


def test_scenario_run_mode_overrides_the_file(scenario_file: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", str(scenario_file), "--format", "json", "--mode", "gsim"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["parameters"]["mode"] == "gsim"


def test_run_table_and_out_dir(scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "world net welfare (USD)" in result.output
    for name in ("flows.csv", "countries.csv", "welfare.csv", "prices.csv", "concentration.csv",
                 "tidy.csv", "result.json"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "result.json").read_text())["scenario"] == "cli-test"


def test_unknown_mode_lists_the_modes(scenario_file: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", str(scenario_file), "--mode", "fast"])
    assert result.exit_code == 2
    assert "gsim" in result.output and "exact" in result.output


def test_list_shows_the_library() -> None:
    from critmin.config import default_source_dir

    result = runner.invoke(app, ["scenario", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    names = {r["file"] for r in rows}
    assert "ministerial-2026-price-floor.yaml" in names
    assert {r["model"] for r in rows if r["status"].startswith("ok")} == {"pe", "ge", "sourcing", "network"}
    if default_source_dir() is not None:
        assert all(r["status"].startswith("ok") for r in rows), rows
    else:  # a fresh clone without ../shared: the files reading raw releases say so, nothing else fails
        waiting = {r["file"] for r in rows if not r["status"].startswith("ok")}
        assert waiting and all(n.startswith("yotov-") for n in waiting), rows
        assert all(r["status"].startswith("needs source data") for r in rows if r["file"] in waiting)


def test_list_without_a_source_dir_says_which_files_need_it(monkeypatch, tmp_path) -> None:
    """CRITMIN_SOURCE_DIR set to an empty folder: the Yotov files' data are not there."""
    monkeypatch.setenv("CRITMIN_SOURCE_DIR", str(tmp_path))
    result = runner.invoke(app, ["scenario", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["file"]: r for r in json.loads(result.output)["rows"]}
    assert rows["ministerial-2026-price-floor.yaml"]["status"] == "ok"
    assert rows["us-india-2026-ge.yaml"]["status"] == "ok"
    assert rows["yotov-ch2-app1-trade-without-borders.yaml"]["status"].startswith("needs source data")


def test_run_totals_welfare_over_named_blocs(scenario_file: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", str(scenario_file), "--format", "json", "--bloc", "G7"])
    assert result.exit_code == 0, result.output
    blocs = {r["bloc"]: r for r in json.loads(result.output)["tables"]["welfare_by_bloc"]}
    assert {"zone", "G7", "world"} <= set(blocs)
    assert blocs["G7"]["n_members"] == 7
    bad = runner.invoke(app, ["scenario", "run", str(scenario_file), "--bloc", "G77x"])
    assert bad.exit_code == 2 and "is not a known bloc" in bad.output
