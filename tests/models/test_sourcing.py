"""The sourcing optimiser against closed forms worked by hand (arithmetic in each test)."""

from __future__ import annotations

import pytest

from critmin.models.base import Result, unit_of
from critmin.models.sourcing import InfeasiblePlanError, Sourcing, SourcingProblem, SourcingScenario

C, D = 100.0, 1000.0   # cost of the dominant supplier (USD/t) and demand (t)


def _problem(suppliers, current, cost, *, redirect=None, baseline=None, internal=None,
             risk=None, origins=(), origin_share=()) -> SourcingProblem:
    n = len(suppliers)
    return SourcingProblem(
        unit="EU27", members=("DEU",), mineral="gallium", stage="refinery", year=2024,
        demand_t=D, suppliers=tuple(suppliers), current_t=tuple(current),
        redirectable_t=tuple(redirect or (0.0,) * n), unit_cost_usd_per_t=tuple(cost),
        baseline_t=tuple(baseline or ()), internal=tuple(internal or ()),
        risk_index=tuple(risk or ()), origins=tuple(origins), origin_share=tuple(origin_share))


def _row(result: Result, table: str, supplier: str) -> dict:
    frame = result.table(table)
    return frame.set_index("supplier").loc[supplier].to_dict()


def test_cap_065_with_alternative_at_15x_costs_0125_c_d_and_shadow_price_05_c():
    # The closed form. Baseline: CHN 0.9 D and ALT 0.1 D at c; ALT's further
    # tonnes are new supply at 1.5 c (the premium). Cap 0.65: CHN 0.65 D at c, ALT keeps
    # 0.1 D at c and adds 0.25 D at 1.5 c.
    # plan = 0.65 c D + 0.1 c D + 0.25 * 1.5 c D = 1.125 c D; baseline = c D
    # extra = 0.125 c D = 12,500 USD; one tonne more of CHN saves 1.5 c - c = 0.5 c = 50 USD.
    p = _problem(["CHN", "ALT"], [0.9 * D, 0.1 * D], [C, C], redirect=[10 * D, 10 * D])
    r = Sourcing(flexibility_share=1.0).solve(p, SourcingScenario(cap_share=0.65))
    cost = r.table("cost").iloc[0]
    assert cost["plan_cost_usd"] == pytest.approx(1.125 * C * D)
    assert cost["cost_vs_baseline_usd"] == pytest.approx(0.125 * C * D)
    assert cost["cost_increase_usd"] == pytest.approx(0.125 * C * D)  # baseline is the cheapest plan
    sp = r.table("shadow_prices").set_index("constraint")
    assert sp.loc["cap on CHN", "shadow_price_usd_per_t"] == pytest.approx(0.5 * C)
    # one point of cap is 0.01 D = 10 t, each worth 0.5 c: 500 USD
    assert sp.loc["cap on CHN", "per_point_usd"] == pytest.approx(0.5 * C * 0.01 * D)
    assert "lowering the cap on CHN by one point costs 500 USD a year" in sp.loc["cap on CHN", "plain"]
    assert _row(r, "suppliers", "CHN")["share"] == pytest.approx(0.65)


def test_user_options_two_suppliers_cap_065_cost_0175_c_d_more_than_the_cheapest_plan():
    # Options semantics: CHN and ALT each could supply all of D, at c and 1.5 c, no baseline.
    # Cheapest: all CHN, c D. Cap 0.65: 0.65 c D + 0.35 * 1.5 c D = 1.175 c D, so 0.175 c D more.
    p = _problem(["CHN", "ALT"], [D, D], [C, 1.5 * C], baseline=[0.0, 0.0])
    r = Sourcing().solve(p, SourcingScenario(cap_share=0.65))
    cost = r.table("cost").iloc[0]
    assert cost["cheapest_cost_usd"] == pytest.approx(C * D)
    assert cost["cost_increase_usd"] == pytest.approx(0.175 * C * D)
    assert r.table("shadow_prices").set_index("constraint").loc["cap on CHN", "shadow_price_usd_per_t"] \
        == pytest.approx(0.5 * C)


def test_alternatives_short_of_035_d_leave_the_gap_unmet_and_say_why():
    # ALT can give only 0.2 D; CHN may give 0.65 D: unmet = D - 0.65 D - 0.2 D = 0.15 D.
    p = _problem(["CHN", "ALT"], [D, 0.2 * D], [C, 1.5 * C])
    r = Sourcing().solve(p, SourcingScenario(cap_share=0.65))
    cost = r.table("cost").iloc[0]
    assert cost["unmet_t"] == pytest.approx(0.15 * D)
    assert _row(r, "suppliers", "CHN")["quantity_t"] == pytest.approx(0.65 * D)
    assert "cap of 65%" in cost["unmet_reason"]
    assert any("unmet 150 t" in line for line in r.headline)


def test_cap_below_one_over_n_with_hard_demand_names_the_cap():
    # Three suppliers, cap 0.3: at most 3 * 0.3 = 0.9 D can be bought, so demand cannot be met.
    p = _problem(["A", "B", "C"], [D, D, D], [C, 1.2 * C, 1.4 * C])
    with pytest.raises(InfeasiblePlanError, match=r"cap of 30% on any one supplier \(3 permitted"):
        Sourcing().solve(p, SourcingScenario(cap_share=0.3, demand_must_be_met=True))
    # ... and with unmet demand allowed (the default) the last 0.1 D is unmet
    r = Sourcing().solve(p, SourcingScenario(cap_share=0.3))
    assert r.table("cost").iloc[0]["unmet_t"] == pytest.approx(0.1 * D)


def test_look_through_caps_the_origin_one_stage_up():
    # FIN refines 80 % Congolese and 20 % Australian feed; COD sells refined too; AUS at 2 c.
    # Without look-through: FIN 0.65 D and COD 0.35 D, all at c: cost c D.
    # With it, COD-origin tonnes x_COD + 0.8 x_FIN <= 0.65 D; FIN is capped at 0.65 D as a
    # supplier, so x_FIN = 0.65 D (0.52 D of Congolese origin), x_COD = 0.13 D, AUS the rest
    # 0.22 D at 2 c: cost 0.78 c D + 0.44 c D = 1.22 c D.
    p = _problem(["COD", "FIN", "AUS"], [D, D, D], [C, C, 2 * C], baseline=[0, 0, 0],
                 origins=("AUS", "COD"), origin_share=((0, 1), (0.2, 0.8), (1, 0)))
    plain = Sourcing().solve(p, SourcingScenario(cap_share=0.65, look_through=False))
    assert plain.table("cost").iloc[0]["plan_cost_usd"] == pytest.approx(C * D)
    r = Sourcing().solve(p, SourcingScenario(cap_share=0.65))
    assert r.table("cost").iloc[0]["plan_cost_usd"] == pytest.approx(1.22 * C * D)
    origins = r.table("origins").set_index("origin")
    assert origins.loc["COD", "share"] == pytest.approx(0.65)
    plan = r.table("plan")
    assert plan["quantity_t"].sum() == pytest.approx(D)
    assert plan.loc[(plan["supplier"] == "FIN") & (plan["origin"] == "COD"), "quantity_t"].item() \
        == pytest.approx(0.52 * D)


def test_governance_budget_limits_the_risky_suppliers_share():
    # A: risk 8 at c; B: risk 2 at 2 c. Budget 5: 8 s + 2 (1 - s) <= 5, so s <= 0.5;
    # cost 0.5 c D + 0.5 * 2 c D = 1.5 c D. Raising the budget by 0.1 lets s grow by
    # 0.1 / 6, saving (2c - c) D / 60 = c D / 60; lowering it costs as much.
    p = _problem(["A", "B"], [D, D], [C, 2 * C], baseline=[0, 0], risk=[8.0, 2.0])
    r = Sourcing().solve(p, SourcingScenario(cap_share=1.0, max_risk=5.0))
    assert r.table("cost").iloc[0]["plan_cost_usd"] == pytest.approx(1.5 * C * D)
    risk = r.table("shadow_prices").set_index("kind").loc["risk"]
    assert risk["per_point_usd"] == pytest.approx(C * D / 60)


def test_hhi_cap_4000_gives_the_lagrangian_split_of_three_suppliers():
    # Costs c, 2c, 3c; HHI <= 4,000 means sum s^2 <= 0.4 with sum s = 1. The KKT conditions
    # make s linear in cost: s = (1/3 + b, 1/3, 1/3 - b) with 1/3 + 2 b^2 = 0.4, so
    # b = sqrt(1/30) = 0.18257 and cost = c D (1/3 + b + 2/3 + 3 (1/3 - b)) = c D (2 - 2 b)
    # = 1.63485 c D. Kelley cuts stop within 0.5 HHI points of the cap.
    import math

    p = _problem(["A", "B", "C"], [D, D, D], [C, 2 * C, 3 * C], baseline=[0, 0, 0])
    r = Sourcing().solve(p, SourcingScenario(cap_share=1.0, hhi_cap=4000.0, demand_must_be_met=True))
    shares = r.table("suppliers").set_index("supplier")["share"]
    assert 10_000 * (shares ** 2).sum() <= 4000.0 + 0.5
    b = math.sqrt(1 / 30)
    assert r.table("cost").iloc[0]["plan_cost_usd"] == pytest.approx((2 - 2 * b) * C * D, rel=1e-4)
    assert shares["B"] == pytest.approx(1 / 3, abs=5e-3)


def test_excluding_the_cheap_supplier_moves_everything_to_the_alternative():
    # Exclude CHN: ALT supplies D at 1.5 c; cost 1.5 c D, and allowing CHN back saves 0.5 c a tonne.
    p = _problem(["CHN", "ALT"], [D, D], [C, 1.5 * C], baseline=[D, 0])
    r = Sourcing().solve(p, SourcingScenario(exclude=("CHN",), cap_share=1.0))
    assert r.table("cost").iloc[0]["plan_cost_usd"] == pytest.approx(1.5 * C * D)
    excl = r.table("shadow_prices").set_index("kind").loc["exclusion"]
    assert excl["shadow_price_usd_per_t"] == pytest.approx(0.5 * C)


def test_members_are_never_capped():
    # DEU is a member (internal): it may supply all of D although the cap is 0.65.
    p = _problem(["DEU", "CHN"], [D, D], [C, 2 * C], baseline=[0, 0], internal=[True, False])
    r = Sourcing().solve(p, SourcingScenario(cap_share=0.65))
    assert _row(r, "suppliers", "DEU")["share"] == pytest.approx(1.0)


def test_frontier_never_falls_as_the_cap_tightens_and_ends_at_the_tightest_feasible_cap():
    # Three suppliers with ample supply: the tightest cap keeping demand met is 1/3.
    p = _problem(["A", "B", "C"], [D, D, D], [C, 1.2 * C, 1.4 * C], baseline=[0, 0, 0])
    r = Sourcing(frontier=True).solve(p, SourcingScenario(cap_share=0.65))
    f = r.table("frontier")
    assert len(f) == 21
    assert f["cap_share"].iloc[0] == 1.0
    assert f["cap_share"].iloc[-1] == pytest.approx(1 / 3, abs=1e-6)
    assert (f["objective_usd"].diff().dropna() >= -1e-6).all()
    assert (f["unmet_t"] <= 1e-6).all()
    # at cap 1/3 every supplier gives D/3: cost (1 + 1.2 + 1.4) c D / 3 = 1.2 c D
    assert f["objective_usd"].iloc[-1] == pytest.approx(1.2 * C * D, rel=1e-6)
    ex = r.table("frontier_exclusions")
    assert list(ex["excluded_count"]) == [0, 1, 2, 3]
    assert (ex["objective_usd"].diff().dropna() >= -1e-6).all()


def test_result_keeps_the_contract_units_status_and_numbers():
    p = _problem(["CHN", "ALT"], [D, D], [C, 1.5 * C])
    r = Sourcing(frontier=True).solve(p, SourcingScenario())
    for frame in r.tables.values():
        for col in frame.columns:
            if frame[col].dtype.kind == "f":
                unit_of(col)
    tidy = r.tidy()
    assert {"table", "variable", "value", "unit"} <= set(tidy.columns)
    d = r.diagnostics
    assert d.converged and d.iterations > 0 and d.objective == pytest.approx(1.175 * C * D)
    assert repr(Sourcing(flexibility_share=0.5)) == "Sourcing(flexibility_share=0.5)"


def test_bad_parameters_are_clear_errors():
    from critmin.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="cap_share must be in"):
        SourcingScenario(cap_share=65)
    with pytest.raises(InvalidParameterError, match="new_supply_premium of Sourcing must be >= 1"):
        Sourcing(new_supply_premium=0.5)
    p = _problem(["CHN", "ALT"], [D, D], [C, 1.5 * C])
    with pytest.raises(InvalidParameterError, match="Did you mean CHN"):
        Sourcing().solve(p, SourcingScenario(exclude=("chn",)))
