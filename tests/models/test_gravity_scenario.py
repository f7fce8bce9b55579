"""``model: ge`` scenario files: loading, validation messages, running, tariffs, bands.

Fixtures are built in the test: a six-country gravity data set written to a CSV and a
scenario YAML beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmin.errors import InputError, ScenarioError, SourceFormatError, UnknownCountryError
from critmin.models.gravity_scenario import load_scenario, resolve_data_path, run_scenario

ISO = ("BRA", "CHN", "DEU", "IND", "JPN", "USA")


def write_flows(path: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    n = len(ISO)
    xy = rng.uniform(0, 10, size=(n, 2))
    rows = []
    for i, e in enumerate(ISO):
        for j, m in enumerate(ISO):
            dist = float(np.hypot(*(xy[i] - xy[j]))) * 1000 + 500
            brdr = float(i != j)
            lin = 9 + 0.3 * i - 0.2 * j - 0.8 * np.log(dist) - 2.0 * brdr
            rows.append({"exporter": e, "importer": m, "year": 2006, "DIST": dist,
                         "BRDR": brdr, "trade": np.exp(lin + 0.05 * rng.normal())})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


SCENARIO = """\
model: ge
name: toy
description: A six-country toy world.
data:
  file: flows.csv
  origin: {source: test-flows, vintage: "2026"}
variables:
  ln_DIST: log(DIST)
estimation:
  formula: trade ~ ln_DIST + BRDR | exporter + importer
ge:
  year: 2006
  sigma: 5
  reference_importer: DEU
counterfactual:
{changes}
blocs:
  Pacific: [CHN, JPN, USA]
"""


def write_scenario(tmp_path: Path, changes: str = "  - {type: set, variable: BRDR, value: 0}",
                   text: str | None = None) -> Path:
    write_flows(tmp_path / "flows.csv")
    path = tmp_path / "toy.yaml"
    path.write_text(text if text is not None else SCENARIO.replace("{changes}", changes), encoding="utf-8")
    return path


def test_scenario_runs_with_provenance_and_blocs(tmp_path):
    run = run_scenario(load_scenario(write_scenario(tmp_path)))
    c = run.countries().set_index("country")
    assert set(c.index) == set(ISO)
    assert (c["exports_change_pct"] > 0).all()
    assert run.fit.coef["BRDR"] == pytest.approx(-2.0, abs=0.25)   # data built with -2, 5 % noise
    prov = run.provenance[0]
    assert prov["source"] == "test-flows" and len(prov["sha256"]) == 64 and prov["estimated"]
    assert list(run.blocs["bloc"]) == ["Pacific"]


def test_tariff_cut_raises_the_exporter_s_sales_to_the_importer(tmp_path):
    changes = "  - {type: tariff, exporters: [IND], importers: [USA], from: 0.50, to: 0.18}"
    run = run_scenario(write_scenario(tmp_path, changes))
    b = run.result.bilateral.set_index(["exporter", "importer"])
    # flows net of tariffs move with (1 + tau)^-sigma before GE adjustment: 5 * log(1.5/1.18)
    cond = b.loc[("IND", "USA"), "trade_conditional"] / b.loc[("IND", "USA"), "trade_baseline"]
    assert np.log(cond) == pytest.approx(5 * np.log(1.50 / 1.18), abs=0.25)
    c = run.countries().set_index("country")
    assert c.loc["IND", "exports_change_pct"] > 0
    assert c.loc["USA", "imr_change_pct"] < 0          # US consumer prices fall
    untouched = b.drop(index=[("IND", "USA")])
    assert (untouched["trade_conditional"] / untouched["trade_baseline"]).max() < cond


def test_one_directional_change_leaves_the_reverse_pair_cost_alone(tmp_path):
    changes = "  - {type: add, variable: BRDR, amount: -0.5, exporters: [CHN], importers: [JPN]}"
    run = run_scenario(write_scenario(tmp_path, changes))
    b = run.result.bilateral.set_index(["exporter", "importer"])
    up = b.loc[("CHN", "JPN"), "change_pct"]
    back = b.loc[("JPN", "CHN"), "change_pct"]
    assert up > 50 and abs(back) < up / 10     # only GE spill-overs on the way back


def test_monte_carlo_bands_bracket_the_point_estimate(tmp_path):
    calls = []
    run = run_scenario(write_scenario(tmp_path), draws=60, progress=lambda *a: calls.append(a))
    c = run.countries()
    lo, hi = c["real_gdp_change_pct_p05"], c["real_gdp_change_pct_p95"]
    assert (lo <= hi).all() and (lo < hi).any()
    assert ((c["real_gdp_change_pct"] >= lo - 1e-9) & (c["real_gdp_change_pct"] <= hi + 1e-9)).mean() > 0.8
    assert calls[-1] == ("draws", 60, 60)
    assert run.diagnostics["draws"] == 60 and run.diagnostics["draws_failed"] == 0


def test_invalid_sigma_is_reported_with_file_and_line(tmp_path):
    path = write_scenario(tmp_path)
    path.write_text(path.read_text().replace("sigma: 5", "sigma: 0.5"))
    with pytest.raises(ScenarioError, match=r"toy.yaml:13: ge.sigma: Input should be greater than 1"):
        load_scenario(path)


def test_unknown_change_type_lists_the_accepted_ones(tmp_path):
    path = write_scenario(tmp_path, "  - {type: quota, variable: BRDR, value: 0}")
    with pytest.raises(ScenarioError, match="'set', 'add', 'tariff'"):
        load_scenario(path)


def test_tariff_given_in_percent_is_explained(tmp_path):
    path = write_scenario(tmp_path, "  - {type: tariff, exporters: [IND], importers: [USA], from: 50, to: 18}")
    with pytest.raises(ScenarioError, match="Divide percentages by 100"):
        load_scenario(path)


def test_unknown_country_in_a_change_suggests_one(tmp_path):
    path = write_scenario(tmp_path, "  - {type: set, variable: BRDR, value: 0, exporters: [INDD]}")
    with pytest.raises(UnknownCountryError, match="Did you mean 'IND'"):
        run_scenario(path)


def test_change_to_a_variable_outside_the_formula_is_rejected(tmp_path):
    path = write_scenario(tmp_path, "  - {type: set, variable: DIST, value: 0}")
    with pytest.raises(ScenarioError, match=r"'DIST' is not a cost variable.*\['ln_DIST', 'BRDR'\]"):
        run_scenario(path)


def test_missing_data_file_is_named(tmp_path):
    path = write_scenario(tmp_path)
    (tmp_path / "flows.csv").unlink()
    with pytest.raises(SourceFormatError, match="file not found.*flows.csv"):
        run_scenario(path)


def test_unknown_ge_year_lists_the_years(tmp_path):
    path = write_scenario(tmp_path)
    path.write_text(path.read_text().replace("year: 2006", "year: 2007"))
    with pytest.raises(KeyError, match="2007.*Accepted: 2006"):
        run_scenario(path)


def test_source_dir_placeholder_needs_a_source_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CRITMIN_SOURCE_DIR", str(tmp_path))
    assert resolve_data_path("${CRITMIN_SOURCE_DIR}/x.csv", Path("/")) == tmp_path / "x.csv"
    monkeypatch.delenv("CRITMIN_SOURCE_DIR")
    monkeypatch.setattr("critmin.models.gravity_scenario.default_source_dir", lambda: None)
    with pytest.raises(ScenarioError, match="needs CRITMIN_SOURCE_DIR"):
        resolve_data_path("${CRITMIN_SOURCE_DIR}/x.csv", Path("/"))


def test_unsafe_variable_expression_is_refused(tmp_path):
    text = SCENARIO.replace("{changes}", "  - {type: set, variable: BRDR, value: 0}").replace(
        "ln_DIST: log(DIST)", "ln_DIST: \"__import__('os')\"")
    path = write_scenario(tmp_path, text=text)
    with pytest.raises(ScenarioError, match="not an accepted expression"):
        run_scenario(path)


def test_bloc_names_resolve_and_absent_members_are_named(tmp_path):
    """critmin.blocs: QUAD is AUS, IND, JPN, USA; AUS is not in the toy data."""
    path = write_scenario(tmp_path, "  - {type: set, variable: BRDR, value: 0, exporters: [QUAD]}")
    with pytest.raises(UnknownCountryError, match="'AUS'.*member of bloc 'QUAD'"):
        run_scenario(path)


def test_data_without_a_country_s_intranational_flow_names_it(tmp_path):
    path = write_scenario(tmp_path)
    flows = pd.read_csv(tmp_path / "flows.csv")
    flows = flows[~((flows.exporter == "CHN") & (flows.importer == "CHN"))]
    flows.to_csv(tmp_path / "flows.csv", index=False)
    with pytest.raises(InputError, match="missing intranational flows.*CHN"):
        run_scenario(path)
