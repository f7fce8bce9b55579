"""``critmin routes`` through the CLI runner, on the bundled snapshot."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli import app

runner = CliRunner()


def test_routes_graphite_for_the_bloc_respects_the_cap_and_the_frontier_never_falls(snapshot_store):
    out = runner.invoke(app, ["routes", "ministerial-2026", "--mineral", "graphite", "--cap", "0.65",
                              "--frontier", "--format", "json", "--store", str(snapshot_store.path)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    t = doc["tables"]
    outside = [r for r in t["suppliers"] if not r["internal"]]
    assert max(r["share"] for r in outside) <= 0.65 + 1e-9
    assert t["cost"][0]["cost_increase_usd"] >= 0
    assert any(r["kind"] == "demand" for r in t["shadow_prices"])
    costs = [r["objective_usd"] for r in t["frontier"]]
    caps = [r["cap_share"] for r in t["frontier"]]
    assert caps[0] == 1.0 and caps == sorted(caps, reverse=True) and len(caps) == 21
    assert all(b >= a - 1e-6 * abs(a) for a, b in zip(costs, costs[1:]))
    assert doc["diagnostics"]["status"] == "optimal" and doc["diagnostics"]["iterations"] > 0
    assert {p["used_for"] for p in doc["provenance"]} >= {"freight", "tariffs"}


def test_routes_with_conflicting_hard_limits_is_a_clear_error(snapshot_store):
    out = runner.invoke(app, ["routes", "ministerial-2026", "--mineral", "gallium", "--exclude", "CHN",
                              "--must-meet", "--store", str(snapshot_store.path)])
    assert out.exit_code == 2
    assert "cannot" not in out.stdout and "Traceback" not in out.output
    assert "exclusion of CHN" in out.output and "demand of" in out.output


@pytest.mark.parametrize("args, words", [
    (["--mineral", "unobtainium"], "not a known mineral"),
    (["--mineral", "graphite", "--cap", "1.5"], "cap_share must be in"),
])
def test_routes_bad_input_exits_2(snapshot_store, args, words):
    out = runner.invoke(app, ["routes", "USA", *args, "--store", str(snapshot_store.path)])
    assert out.exit_code == 2, out.output
    assert words in out.output


def test_routes_equilibrium_reprices_the_plan_with_the_pe_model(snapshot_store):
    # Cutting China out of US graphite purchases is an export quota of 0 in the PE model:
    # other suppliers' prices rise, so the plan re-priced costs at least its fixed-price cost.
    out = runner.invoke(app, ["routes", "USA", "--mineral", "graphite", "--exclude", "CHN",
                              "--equilibrium", "--format", "json", "--store", str(snapshot_store.path)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    eq = doc["diagnostics"]["parts"]["equilibrium"]
    assert eq["converged"]
    assert eq["plan_cost_usd_repriced"] >= eq["plan_cost_usd_fixed"] * (1 - 1e-9)
    assert doc["tables"]["equilibrium"] and doc["tables"]["equilibrium_prices"]
    assert any("price feedback" in line for line in doc["headline"])
