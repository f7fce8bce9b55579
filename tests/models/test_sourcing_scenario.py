"""``model: sourcing`` scenario files through ``critmin.run`` and ``critmin run``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from typer.testing import CliRunner

from critmin.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
OPTIONS = SCENARIOS / "sourcing-options-example.yaml"
SHIPPED = ["ministerial-2026-sourcing-without-china", "usa-sourcing-cap-65", "india-sourcing-cap-65",
           "eu27-crma-benchmarks", "sourcing-options-example"]


def test_options_csv_scenario_gives_the_exact_least_cost_plan():
    # The same LP solved independently with scipy: min c x, sum x = D, x <= capacity,
    # x <= 0.65 D, sum (r - 5) x <= 0 with r = 2 (2.5 - wgi).
    from critmin.runner import run

    r = run(OPTIONS)
    opts = pd.read_csv(SCENARIOS / "data" / "sourcing-options-example.csv")
    D, cap, R = 1000.0, 0.65, 5.0
    risk = 2 * (2.5 - opts["wgi"].to_numpy())
    ref = optimize.linprog(opts["unit_cost_usd_per_t"].to_numpy(), A_ub=[risk - R], b_ub=[0.0],
                           A_eq=[np.ones(len(opts))], b_eq=[D],
                           bounds=[(0, min(c, cap * D)) for c in opts["capacity_t"]], method="highs")
    assert ref.status == 0
    plan = r.table("suppliers").set_index("supplier")["quantity_t"].reindex(opts["supplier"])
    assert np.allclose(plan.to_numpy(), ref.x, atol=1e-6)
    assert r.table("cost").iloc[0]["plan_cost_usd"] == pytest.approx(ref.fun, rel=1e-9)
    assert r.diagnostics.status == "optimal"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_sourcing_scenarios_load_and_cite_sources(name):
    from critmin.scenario.load import load_scenario

    path = SCENARIOS / f"{name}.yaml"
    sc = load_scenario(path)
    assert sc.model == "sourcing" and sc.settings.limits.cap_share == 0.65
    assert path.read_text().startswith("# Sources")


def test_ministerial_scenario_runs_on_the_snapshot(snapshot_store):
    out = CliRunner().invoke(app, ["run", str(SCENARIOS / "ministerial-2026-sourcing-without-china.yaml"),
                                   "--format", "json", "--store", str(snapshot_store.path)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    cost = {r["mineral"]: r for r in doc["tables"]["cost"]}
    assert set(cost) == {"gallium", "germanium", "graphite", "rare_earths"}
    assert cost["gallium"]["unmet_t"] > 0
    assert all(r["quantity_t"] == 0 for r in doc["tables"]["suppliers"] if r["supplier"] == "CHN")


def test_a_bad_sourcing_section_names_the_field(tmp_path):
    from critmin.errors import ScenarioError
    from critmin.scenario.load import load_scenario

    bad = tmp_path / "bad.yaml"
    bad.write_text("model: sourcing\nname: x\nbaseline: {unit: USA, markets: [{mineral: gallium}]}\n"
                   "sourcing: {cap: 65}\n")
    with pytest.raises(ScenarioError, match="cap"):
        load_scenario(bad)
