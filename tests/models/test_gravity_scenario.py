"""``model: ge`` scenarios: loading, validation messages, running through ``critmin.run``,
tariffs, bands, and files in the older layout.

Fixtures are built in the test: a six-country gravity data set written to a CSV and a
scenario YAML beside it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmin import run
from critmin.errors import InputError, ScenarioError, UnknownCountryError
from critmin.scenario import load_scenario
from critmin.scenario.load import LoadContext

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
baseline:
  data:
    file: flows.csv
    origin: {source: test-flows, vintage: "2026"}
  variables:
    ln_DIST: log(DIST)
  year: 2006
ge:
  sigma: 5
  reference_importer: DEU
  estimation:
    formula: trade ~ ln_DIST + BRDR | exporter + importer
  blocs:
    Pacific: [CHN, JPN, USA]
shocks:
{shocks}
"""

OLD = """\
model: ge
name: toy-old
data:
  file: flows.csv
variables:
  ln_DIST: log(DIST)
estimation:
  formula: trade ~ ln_DIST + BRDR | exporter + importer
ge:
  year: 2006
  sigma: 5
counterfactual:
  - {type: tariff, exporters: [IND], importers: [USA], from: 0.50, to: 0.18}
  - {type: set, variable: BRDR, value: 0, exporters: [CHN], importers: [JPN]}
"""


def write_scenario(tmp_path: Path, shocks: str = "  - {type: trade_cost_change, variable: BRDR, value: 0}",
                   text: str | None = None) -> Path:
    write_flows(tmp_path / "flows.csv")
    path = tmp_path / "toy.yaml"
    path.write_text(text if text is not None else SCENARIO.replace("{shocks}", shocks), encoding="utf-8")
    return path


def test_scenario_runs_with_provenance_and_blocs(tmp_path):
    res = run(write_scenario(tmp_path))
    c = res.table("countries").set_index("country")
    assert set(c.index) == set(ISO)
    assert (c["exports_change_share"] > 0).all()
    coef = res.table("coefficients").set_index("term")["estimate_coef"]
    assert coef["BRDR"] == pytest.approx(-2.0, abs=0.25)   # data built with -2, 5 % noise
    prov = res.provenance[0]
    assert prov["source"] == "test-flows" and len(prov["sha256"]) == 64 and prov["estimated"]
    assert list(res.table("blocs")["bloc"]) == ["Pacific"]


def test_tariff_cut_raises_the_exporter_s_sales_to_the_importer(tmp_path):
    text = SCENARIO.replace("{shocks}", "  - {type: tariff, exporters: IND, importers: USA, rate: 0.18}")
    text = text.replace("  year: 2006\n", "  year: 2006\n  tariffs: [{type: tariff, exporters: IND, "
                        "importers: USA, rate: 0.50}]\n")
    res = run(write_scenario(tmp_path, text=text))
    b = res.table("bilateral").set_index(["exporter", "importer"])
    # flows net of tariffs move with (1 + tau)^-sigma before GE adjustment: 5 * log(1.5/1.18)
    cond = 1 + b.loc[("IND", "USA"), "flow_conditional_change_share"]
    assert np.log(cond) == pytest.approx(5 * np.log(1.50 / 1.18), abs=0.25)
    c = res.table("countries").set_index("country")
    assert c.loc["IND", "exports_change_share"] > 0
    assert c.loc["USA", "imr_change_share"] < 0          # US consumer prices fall
    untouched = b.drop(index=[("IND", "USA")])
    assert (1 + untouched["flow_conditional_change_share"]).max() < cond


def test_older_layout_runs_as_the_new_one_and_says_how_to_write_it(tmp_path):
    write_flows(tmp_path / "flows.csv")
    (tmp_path / "old.yaml").write_text(OLD, encoding="utf-8")
    new = SCENARIO.replace("ge:\n  sigma: 5\n  reference_importer: DEU\n", "ge:\n  sigma: 5\n")
    new = new.replace("  blocs:\n    Pacific: [CHN, JPN, USA]\n", "").replace(
        '    origin: {source: test-flows, vintage: "2026"}\n', "")
    new = new.replace("  year: 2006\n", "  year: 2006\n  tariffs: [{type: tariff, exporters: IND, "
                      "importers: USA, rate: 0.50}]\n")
    new = new.replace("{shocks}", "  - {type: tariff, exporters: IND, importers: USA, rate: 0.18}\n"
                      "  - {type: trade_cost_change, variable: BRDR, value: 0, exporters: CHN, importers: JPN}")
    (tmp_path / "new.yaml").write_text(new, encoding="utf-8")
    old_sc, new_sc = load_scenario(tmp_path / "old.yaml"), load_scenario(tmp_path / "new.yaml")
    assert old_sc.warnings and "shocks" in old_sc.warnings[0] and not new_sc.warnings
    assert (old_sc.shocks, old_sc.baseline, old_sc.settings) == (new_sc.shocks, new_sc.baseline, new_sc.settings)
    a = run(old_sc).table("countries")
    b = run(new_sc).table("countries")
    pd.testing.assert_frame_equal(a, b)


def test_one_directional_change_leaves_the_reverse_pair_cost_alone(tmp_path):
    shocks = "  - {type: trade_cost_change, variable: BRDR, change: -0.5, exporters: [CHN], importers: [JPN]}"
    b = run(write_scenario(tmp_path, shocks)).table("bilateral").set_index(["exporter", "importer"])
    up = b.loc[("CHN", "JPN"), "flow_change_share"]
    back = b.loc[("JPN", "CHN"), "flow_change_share"]
    assert up > 0.5 and abs(back) < up / 10     # only GE spill-overs on the way back


def test_monte_carlo_bands_bracket_the_point_estimate(tmp_path):
    sc = load_scenario(write_scenario(tmp_path))
    from critmin.scenario.registry import plugin

    plug = plugin("ge")
    model = replace(plug.make_model(sc), draws=60)
    res = model.solve(plug.load_baseline(sc, None), sc)
    c = res.table("countries")
    lo, hi = c["real_gdp_change_share_p05"], c["real_gdp_change_share_p95"]
    assert (lo <= hi).all() and (lo < hi).any()
    assert ((c["real_gdp_change_share"] >= lo - 1e-9) & (c["real_gdp_change_share"] <= hi + 1e-9)).mean() > 0.8
    assert res.diagnostics.parts["draws"]["draws"] == 60 and res.diagnostics.parts["draws"]["failed"] == 0


def test_invalid_sigma_is_reported_with_file_and_line(tmp_path):
    path = write_scenario(tmp_path)
    path.write_text(path.read_text().replace("sigma: 5", "sigma: 0.5"))
    with pytest.raises(ScenarioError, match=r"toy.yaml:12: ge.sigma: Input should be greater than 1"):
        load_scenario(path)


def test_unknown_shock_type_suggests_one_and_lists_the_accepted(tmp_path):
    path = write_scenario(tmp_path, "  - {type: trade_cost_chang, variable: BRDR, value: 0}")
    with pytest.raises(ScenarioError, match="toy.yaml:19: shocks.0.*'trade_cost_change'"):
        load_scenario(path)


def test_a_shock_the_model_cannot_express_names_the_model_and_what_it_supports(tmp_path):
    path = write_scenario(tmp_path, "  - {type: export_quota, exporters: CHN, share: 0.5}")
    with pytest.raises(ScenarioError, match=r"toy.yaml:19: shocks\[0\]: model 'ge' cannot express a "
                       r"'export_quota' shock. Model ge supports: tariff, trade_cost_change"):
        load_scenario(path)


def test_tariff_given_in_percent_is_explained(tmp_path):
    path = write_scenario(tmp_path, "  - {type: tariff, exporters: [IND], importers: [USA], rate: 18}")
    with pytest.raises(ScenarioError, match="Divide percentages by 100"):
        load_scenario(path)


def test_unknown_country_in_a_shock_suggests_one(tmp_path):
    path = write_scenario(tmp_path, "  - {type: trade_cost_change, variable: BRDR, value: 0, exporters: [INDD]}")
    with pytest.raises(ScenarioError, match="toy.yaml:19: .*Did you mean 'IND'"):
        load_scenario(path)


def test_change_to_a_variable_outside_the_formula_is_rejected(tmp_path):
    path = write_scenario(tmp_path, "  - {type: trade_cost_change, variable: DIST, value: 0}")
    with pytest.raises(ScenarioError, match=r"'DIST' is not a cost variable.*ln_DIST, BRDR"):
        run(path)


def test_missing_data_file_is_named(tmp_path):
    path = write_scenario(tmp_path)
    (tmp_path / "flows.csv").unlink()
    with pytest.raises(ScenarioError, match="toy.yaml:4: baseline: .*'flows.csv': no such file"):
        run(path)


def test_unknown_ge_year_lists_the_years(tmp_path):
    path = write_scenario(tmp_path)
    path.write_text(path.read_text().replace("year: 2006", "year: 2007"))
    with pytest.raises(KeyError, match="2007.*Accepted: 2006"):
        run(path)


def test_source_dir_placeholder_needs_a_source_dir(tmp_path):
    (tmp_path / "x.csv").write_text("exporter,importer\n")
    ctx = LoadContext(source_dir=tmp_path)
    assert ctx.data_path("${CRITMIN_SOURCE_DIR}/x.csv", "file") == tmp_path.resolve() / "x.csv"
    with pytest.raises(ScenarioError, match="needs CRITMIN_SOURCE_DIR"):
        LoadContext().data_path("${CRITMIN_SOURCE_DIR}/x.csv", "file")


def test_unsafe_variable_expression_is_refused(tmp_path):
    text = SCENARIO.replace("{shocks}", "  - {type: trade_cost_change, variable: BRDR, value: 0}").replace(
        "ln_DIST: log(DIST)", "ln_DIST: \"__import__('os')\"")
    path = write_scenario(tmp_path, text=text)
    with pytest.raises(ScenarioError, match="not an accepted expression"):
        run(path)


def test_bloc_members_absent_from_the_data_are_named(tmp_path):
    """critmin.blocs: QUAD is AUS, IND, JPN, USA; AUS is not in the toy data."""
    path = write_scenario(tmp_path, "  - {type: trade_cost_change, variable: BRDR, value: 0, exporters: [QUAD]}")
    with pytest.raises(UnknownCountryError, match="'AUS'.*shocks\\[0\\].exporters: not a country of this baseline"):
        run(path)


def test_data_without_a_country_s_intranational_flow_names_it(tmp_path):
    path = write_scenario(tmp_path)
    flows = pd.read_csv(tmp_path / "flows.csv")
    flows = flows[~((flows.exporter == "CHN") & (flows.importer == "CHN"))]
    flows.to_csv(tmp_path / "flows.csv", index=False)
    with pytest.raises(InputError, match="missing intranational flows.*CHN"):
        run(path)
