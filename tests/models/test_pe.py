"""The partial-equilibrium model: common model checks, instruments, solver, bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from critmin.errors import InvalidParameterError, ScenarioError, SolveError, SourceFormatError
from critmin.models.pe import PartialEquilibrium
from critmin.models.pe.data import MarketBaseline, market_problem, toy_baseline
from critmin.models.pe.solver import _System, solve_market
from critmin.models.base import Result
from critmin.scenario import ReferencePrice, Scenario, Shock
from critmin.scenario.pe import Elasticities

EL = Elasticities(import_demand=-0.5, export_supply=0.5, substitution=3.0, by_mineral=())


def _scenario(*shocks: Shock) -> Scenario:
    return Scenario("test", shocks=shocks)


def _flow(res: Result, ex: str, im: str) -> float:
    f = res.tables["flows"]
    return float(f[(f.exporter == ex) & (f.importer == im)]["flow_t"].iloc[0])


# ------------------------------------------------------------------ common model checks

def test_repr_lists_only_non_default_parameters() -> None:
    assert repr(PartialEquilibrium()) == "PartialEquilibrium()"
    assert repr(PartialEquilibrium(mode="gsim", tol=1e-8)) == "PartialEquilibrium(mode='gsim', tol=1e-08)"


def test_model_is_frozen_and_solve_leaves_inputs_untouched() -> None:
    model = PartialEquilibrium()
    base = toy_baseline()
    before = base.flows.copy()
    sc = _scenario(Shock("tariff", importers=("USA",), exporters=("CHN",), rate=0.5))
    model.solve(base, sc)
    pd.testing.assert_frame_equal(base.flows, before)
    with pytest.raises(AttributeError):
        model.mode = "gsim"  # type: ignore[misc]


@pytest.mark.parametrize("mode", ["gsim", "exact"])
def test_empty_scenario_returns_the_baseline_exactly(mode: str) -> None:
    res = PartialEquilibrium(mode=mode, elasticities=EL).solve(toy_baseline(), _scenario())
    assert (res.tables["flows"]["flow_t"] == res.tables["flows"]["flow_t_baseline"]).all()
    assert (res.tables["countries"]["world_price_change_share"] == 0).all()
    assert (res.tables["welfare"]["net_welfare_usd"] == 0).all()


def test_tidy_has_units_and_the_documented_columns() -> None:
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), _scenario())
    flows = res.tables["flows"]
    for col in ("mineral", "stage", "year", "exporter", "importer", "flow_t", "flow_t_baseline",
                "flow_change_share", "landed_price_usd_per_t", "method", "source"):
        assert col in flows.columns
    tidy = res.tidy()
    units = tidy[tidy["table"] == "flows"].groupby("variable")["unit"].first()
    assert units["flow_t"] == "t" and units["landed_price_usd_per_t"] == "USD/t"
    assert units["flow_change_share"] == "share (0-1)"
    assert len(tidy[(tidy["table"] == "flows") & (tidy["variable"] == "flow_t")]) == 8
    assert repr(res).startswith("Result(model='pe', scenario='test', flows[8]")
    assert "solver" in res.summary()


@pytest.mark.parametrize("kwargs", [{"mode": "linear"}, {"tol": 0}, {"max_iter": 0}])
def test_bad_model_parameters_are_rejected_by_name(kwargs: dict) -> None:
    with pytest.raises(InvalidParameterError, match=next(iter(kwargs))):
        PartialEquilibrium(**kwargs)


# ------------------------------------------------------------------ instruments

def test_ban_zeroes_the_banned_flow_and_raises_the_importers_price() -> None:
    sc = _scenario(Shock("export_quota", exporters=("CHN",), importers=("USA",), tonnes=0.0))
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc)
    assert _flow(res, "CHN", "USA") == 0.0
    c = res.tables["countries"].set_index("country")
    assert c.loc["USA", "composite_price_change_share"] > 0
    assert c.loc["USA", "shortfall_t"] > 0
    # trade diverts: China sells more at home and to Japan, its price falls
    assert _flow(res, "CHN", "JPN") > 80.0
    assert c.loc["CHN", "world_price_change_share"] < 0
    assert res.diagnostics.parts["gallium/refinery"]["n_banned_pairs"] == 1


def test_gsim_ban_is_a_zero_quota_with_a_finite_rent() -> None:
    sc = _scenario(Shock("export_quota", exporters=("CHN",), importers=("USA",), tonnes=0.0))
    res = PartialEquilibrium(mode="gsim", elasticities=EL).solve(toy_baseline(), sc)
    assert _flow(res, "CHN", "USA") == pytest.approx(0.0, abs=1e-8)


def test_licensing_caps_each_destination_at_its_share() -> None:
    sc = _scenario(Shock("licensing", exporters=("CHN",), importers=None, share=0.7))
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc)
    assert _flow(res, "CHN", "USA") == pytest.approx(70.0, rel=1e-8)
    assert _flow(res, "CHN", "JPN") == pytest.approx(56.0, rel=1e-8)
    assert _flow(res, "CHN", "CHN") > 500.0           # domestic sales are not licensed
    assert res.tables["welfare_by_country"].set_index("country").loc["CHN", "rents_usd"] > 0


def test_export_quota_over_several_destinations_binds_on_their_sum() -> None:
    sc = _scenario(Shock("export_quota", exporters=("CHN",), importers=None, tonnes=90.0))
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc)
    assert _flow(res, "CHN", "USA") + _flow(res, "CHN", "JPN") == pytest.approx(90.0, rel=1e-9)


def test_export_tax_lowers_taxed_exports_and_earns_revenue() -> None:
    sc = _scenario(Shock("export_tax", exporters=("CHN",), importers=None, rate=0.2))
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc)
    c = res.tables["countries"].set_index("country")
    assert c.loc["CHN", "exports_t"] < c.loc["CHN", "exports_t_baseline"]
    assert res.tables["welfare_by_country"].set_index("country").loc["CHN", "export_tax_revenue_usd"] > 0


def test_supply_shock_raises_prices_and_demand_shock_raises_quantities() -> None:
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), _scenario(
        Shock("supply_shock", exporters=("CHN",), change_share=-0.3)))
    assert res.tables["countries"].set_index("country").loc["CHN", "world_price_change_share"] > 0
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), _scenario(
        Shock("demand_shock", importers=("JPN",), change_share=0.2)))
    c = res.tables["countries"].set_index("country")
    assert c.loc["JPN", "demand_t"] > c.loc["JPN", "demand_t_baseline"]


def test_stockpile_release_lowers_the_market_price_and_is_a_memo_item() -> None:
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), _scenario(
        Shock("stockpile_release", importers=("USA",), tonnes=20.0)))
    c = res.tables["countries"].set_index("country")
    assert c.loc["USA", "composite_price_change_share"] < 0
    w = res.tables["welfare_by_country"].set_index("country")
    assert w.loc["USA", "stockpile_sales_usd"] > 0
    # the release is a memo item: net welfare is the surplus change along the curves
    # (computed independently below), without the sale's receipts
    independent = _independent_welfare(res, EL, 500_000.0)
    assert w.loc["USA", "net_welfare_usd"] == pytest.approx(independent["USA"], rel=1e-7)
    assert w.loc["USA", "consumer_surplus_usd"] > 0


def _independent_welfare(res, el: Elasticities, price: float) -> pd.Series:
    """Net welfare per country of a tariff-only change in exact mode, computed from the
    result's prices and quantities by numerical integration of the iso-elastic supply and
    demand curves (scipy.integrate.quad) plus tariff revenue on the new flows: an
    independent route to what the model sums in closed form."""
    from scipy.integrate import quad

    c = res.tables["countries"].set_index("country")
    f = res.tables["flows"]
    out = {}
    for k, row in c.iterrows():
        x0, v1 = row["supply_t_baseline"], 1 + row["producer_price_change_share"]
        ps = quad(lambda v: x0 * v ** el.export_supply, 1.0, v1)[0] if x0 > 0 else 0.0
        d0, p1 = row["demand_t_baseline"], 1 + row["composite_price_change_share"]
        cs = -quad(lambda q: d0 * q ** el.import_demand, 1.0, p1)[0] if d0 > 0 else 0.0
        into = f[(f["importer"] == k) & (f["exporter"] != k)]
        revenue = (into["tariff_share"] * (1 + into["world_price_change_share"]) * into["flow_t"]).sum()
        out[k] = (ps + cs + revenue) * price
    return pd.Series(out)


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_net_welfare_of_a_tariff_matches_an_independent_integration(rate: float) -> None:
    sc = _scenario(Shock("tariff", importers=("USA", "JPN"), exporters=("CHN",), rate=rate))
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc)
    model = res.tables["welfare"].set_index("country")["net_welfare_usd"]
    independent = _independent_welfare(res, EL, 500_000.0).reindex(model.index)
    np.testing.assert_allclose(model.to_numpy(), independent.to_numpy(), rtol=1e-7, atol=1e-3)
    assert model["USA"] != 0 and model["CHN"] < 0      # the tariff moves welfare both ways


def test_zone_levy_keeps_non_member_landed_prices_at_the_floor() -> None:
    ref = 600_000.0
    sc = _scenario(Shock("preferential_zone", members=("USA", "JPN"), enforcement="adjustable_tariff",
                         reference_prices=(ReferencePrice("gallium", "refinery", ref),)))
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc)
    f = res.tables["flows"]
    levied = f[(f.exporter == "CHN") & f.importer.isin(["USA", "JPN"])]
    assert (levied["landed_price_usd_per_t"] >= ref * (1 - 1e-9)).all()
    assert (levied["levy_usd_per_t"] > 0).all()
    w = res.tables["welfare_by_bloc"]
    assert set(w["bloc"]) == {"zone", "world"}
    assert w.set_index("bloc").loc["zone", "levy_revenue_usd"] > 0


def test_reference_price_without_a_base_price_is_a_clear_error() -> None:
    sc = _scenario(Shock("preferential_zone", members=("USA",), enforcement="adjustable_tariff",
                         reference_prices=(ReferencePrice("gallium", "refinery", 6e5),)))
    with pytest.raises(ScenarioError, match="price_usd_per_t"):
        PartialEquilibrium(elasticities=EL).solve(toy_baseline(price_usd_per_t=None), sc)


def test_concentration_uses_the_metrics_hhi() -> None:
    sc = _scenario(Shock("export_quota", exporters=("CHN",), importers=("USA",), tonnes=0.0))
    conc = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc).tables["concentration"].set_index("importer")
    # USA imports: CHN 100, JPN 10 -> HHI = 10,000 * ((100/110)^2 + (10/110)^2); after: JPN only
    assert conc.loc["USA", "hhi_baseline"] == pytest.approx(10_000 * ((100 / 110) ** 2 + (10 / 110) ** 2))
    assert conc.loc["USA", "hhi_scenario"] == pytest.approx(10_000.0)


# ------------------------------------------------------------------ infeasible and bad input

@pytest.mark.parametrize("mode", ["exact", "gsim"])
def test_banning_every_source_of_a_market_is_an_infeasible_quota_set(mode: str) -> None:
    sc = _scenario(Shock("export_quota", exporters=("DEU",), importers=None, tonnes=0.0))
    base = MarketBaseline("gallium", "refinery", 2023, pd.DataFrame(
        {"exporter": ["DEU", "CHN", "CHN"], "importer": ["FRA", "CHN", "USA"], "flow_t": [10.0, 5.0, 1.0]}))
    with pytest.raises(ScenarioError, match="infeasible quota set.*FRA"):
        PartialEquilibrium(mode=mode, elasticities=EL).solve(base, sc)
    # a market that keeps one source is feasible in both modes
    sc = _scenario(Shock("export_quota", exporters=("DEU",), importers=("FRA",), tonnes=0.0))
    base = MarketBaseline("gallium", "refinery", 2023, pd.DataFrame(
        {"exporter": ["DEU", "DEU", "CHN", "CHN"], "importer": ["FRA", "DEU", "FRA", "CHN"],
         "flow_t": [10.0, 5.0, 1.0, 5.0]}))
    assert next(iter(PartialEquilibrium(mode=mode, elasticities=EL).solve(base, sc).diagnostics.parts.values()))["converged"]


def test_a_ban_with_substitution_at_most_one_has_no_equilibrium() -> None:
    sc = Scenario("t", shocks=(Shock("export_quota", exporters=("CHN",), importers=("USA",), tonnes=0.0),))
    with pytest.raises(ScenarioError, match="substitution"):
        PartialEquilibrium(elasticities=replace(EL, substitution=0.8)).solve(toy_baseline(), sc)


def test_stockpile_release_beyond_demand_is_rejected() -> None:
    with pytest.raises(ScenarioError, match="stockpile release into USA"):
        PartialEquilibrium(elasticities=EL).solve(toy_baseline(), _scenario(
            Shock("stockpile_release", importers=("USA",), tonnes=1e6)))


def test_solver_that_runs_out_of_iterations_raises_with_diagnostics() -> None:
    sc = _scenario(Shock("export_quota", exporters=("CHN",), importers=None, share=0.1))
    with pytest.raises(SolveError) as info:
        PartialEquilibrium(max_iter=1, elasticities=EL).solve(toy_baseline(), sc)
    assert info.value.diagnostics["iterations"] == 1
    assert "residual" in str(info.value)


def test_negative_or_missing_flows_are_rejected_naming_rows() -> None:
    with pytest.raises(SourceFormatError, match="CHN->USA=-1"):
        MarketBaseline("gallium", "refinery", 2023, pd.DataFrame(
            {"exporter": ["CHN"], "importer": ["USA"], "flow_t": [-1.0]}))
    with pytest.raises(SourceFormatError, match="missing column"):
        MarketBaseline("gallium", "refinery", 2023, pd.DataFrame({"exporter": ["CHN"]}))


def test_shock_values_are_validated() -> None:
    with pytest.raises(InvalidParameterError, match="rate must be >= 0"):
        Shock("tariff", rate=-0.1)
    with pytest.raises(ScenarioError, match="exactly one of 'rate' or 'change'"):
        Shock("tariff")
    with pytest.raises(ScenarioError, match="enforcement"):
        Shock("preferential_zone", members=("USA",), enforcement="offtake")
    with pytest.raises(InvalidParameterError, match="import_demand must be < 0"):
        Elasticities(import_demand=0.5)


# ------------------------------------------------------------------ solver internals

def _quota_system(mode: str) -> _System:
    sc = _scenario(Shock("export_quota", exporters=("CHN",), importers=None, tonnes=150.0),
                   Shock("licensing", exporters=("USA",), importers=("JPN",), share=0.5),
                   Shock("licensing", exporters=("CHN",), importers=("USA",), share=0.9),  # overlaps
                   Shock("tariff", importers=("JPN",), exporters=("USA",), rate=0.1),
                   Shock("export_tax", exporters=("JPN",), importers=None, rate=0.05))
    return _System(market_problem(toy_baseline(), sc), mode)


def _random_point(system: _System, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.normal(scale=0.05, size=system.nu + system.K)
    y[system.nu:] = np.abs(y[system.nu:]) + 0.01
    return y


@pytest.mark.parametrize("mode", ["gsim", "exact"])
def test_generalised_jacobian_matches_finite_differences(mode: str) -> None:
    # J is the Schur complement A11 + A12 A21 of the bordered Newton matrix
    system = _quota_system(mode)
    assert system.K == 3 and len(system.iC) > 0 and len(system.iF) > 0   # both parts of A11
    y = _random_point(system)
    _, J, _ = system.evaluate(y)
    h = 1e-7
    fd = np.empty_like(J)
    for k in range(len(y)):
        e = np.zeros_like(y)
        e[k] = h
        fd[:, k] = (system.evaluate(y + e, jac=False)[0] - system.evaluate(y - e, jac=False)[0]) / (2 * h)
    np.testing.assert_allclose(J, fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["gsim", "exact"])
def test_both_newton_routes_solve_the_dense_generalised_jacobian(mode: str) -> None:
    system = _quota_system(mode)
    for seed in range(3):
        y = _random_point(system, seed)
        Phi, J, state = system.evaluate(y)
        vals = system.newton_values(state)
        blocks = system.blocks(vals)
        np.testing.assert_allclose(system.gradient(blocks, Phi), J.T @ Phi, rtol=1e-12, atol=1e-14)
        expected = np.linalg.solve(J, -Phi)
        d_schur, route = system.newton_direction(vals, blocks, Phi)
        assert route == "schur"
        d_lu, route = system.newton_direction(vals, blocks, Phi, schur=False)
        assert route == "bordered"
        for d in (d_schur, d_lu):
            np.testing.assert_allclose(d, expected, rtol=1e-9, atol=1e-12)


def test_failed_schur_check_falls_back_to_the_pivoted_lu_with_the_same_result(monkeypatch) -> None:
    from critmin.models.pe import solver as pe_solver

    sc = _scenario(Shock("licensing", exporters=("CHN",), importers=None, share=0.5),
                   Shock("tariff", importers=("JPN",), exporters=("USA",), rate=0.1))
    problem = market_problem(toy_baseline(), sc)
    fast = solve_market(problem, "exact")
    assert fast.diagnostics["schur_solves"] == fast.diagnostics["iterations"] > 0
    monkeypatch.setattr(pe_solver, "SCHUR_CHECK", -1.0)    # no Schur solve passes the check
    slow = solve_market(problem, "exact")
    assert slow.diagnostics["schur_solves"] == 0
    assert slow.diagnostics["bordered_lu_solves"] == slow.diagnostics["iterations"] > 0
    np.testing.assert_allclose(slow.w, fast.w, rtol=1e-9)
    np.testing.assert_allclose(slow.flows, fast.flows, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(slow.rent, fast.rent, rtol=1e-9, atol=1e-9)


def test_a_market_without_quotas_needs_no_sparse_lu() -> None:
    # without quotas A11 is diagonal: every unknown is in F and the C block is empty
    sc = _scenario(Shock("export_tax", exporters=("CHN",), importers=None, rate=0.2))
    system = _System(market_problem(toy_baseline(), sc), "exact")
    assert system.K == 0 and len(system.iC) == 0
    sol = solve_market(market_problem(toy_baseline(), sc), "exact")
    assert sol.diagnostics["converged"] and sol.diagnostics["schur_solves"] == sol.diagnostics["iterations"]


def test_diagnostics_report_convergence() -> None:
    sc = _scenario(Shock("licensing", exporters=("CHN",), importers=None, share=0.5))
    sol = solve_market(market_problem(toy_baseline(), sc), "exact")
    d = sol.diagnostics
    assert d["converged"] and d["residual"] <= 1e-10
    assert d["n_quotas"] == 2 and d["n_binding_quotas"] == 2
    assert d["complementarity_residual"] < 1e-9


class _FakeStore:
    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables

    def table(self, name: str, **filters: object) -> pd.DataFrame:
        return self.tables[name]


def test_protee_substitution_is_one_minus_the_median_tariff_elasticity() -> None:
    from critmin.baselines.pe import protee_substitution

    te = pd.DataFrame({"hs6": ["250410", "250490", "999999"], "sigma": [-17.0, -13.0, -2.0],
                       "zero": False, "positive": False, "imputed": [False, False, False]})
    sigma, note = protee_substitution(_FakeStore({"trade_elasticities": te}), "graphite", "mine")
    assert sigma == pytest.approx(16.0) and "250410" in note
    te["imputed"] = True
    sigma, note = protee_substitution(_FakeStore({"trade_elasticities": te}), "graphite", "mine")
    assert sigma is None and "no estimate" in note


def test_a_data_based_substitution_replaces_the_mineral_value() -> None:
    base = replace(toy_baseline(), substitution=8.0)
    prob = market_problem(base, _scenario())
    assert (prob.sigma == 8.0).all()


def test_banning_every_sale_of_an_exporter_is_a_clear_error_in_exact_mode() -> None:
    # RUS sells only to the USA; banning all its exports leaves it no market at all.
    sc = _scenario(Shock("export_quota", exporters=("RUS",), importers=None, tonnes=0.0))
    base = MarketBaseline("gallium", "refinery", 2023, pd.DataFrame(
        {"exporter": ["RUS", "CHN", "CHN", "JPN", "CHN"],
         "importer": ["USA", "CHN", "USA", "USA", "JPN"], "flow_t": [2.0, 50.0, 5.0, 1.0, 3.0]}))
    with pytest.raises(ScenarioError, match="every sale of RUS.*--mode gsim"):
        PartialEquilibrium(mode="exact", elasticities=EL).solve(base, sc)
    res = PartialEquilibrium(mode="gsim", elasticities=EL).solve(base, sc)
    assert _flow(res, "RUS", "USA") == pytest.approx(0.0, abs=1e-9)


# ------------------------------------------------------------------ the result's derived tables

def test_market_without_a_base_price_has_no_usd_welfare_in_any_table() -> None:
    """Welfare of a market without a base price is in base-price units, so every ``_usd``
    welfare figure (per country, per bloc, per market) is NaN, never a number in other units."""
    sc = _scenario(Shock("export_tax", exporters=("CHN",), importers=None, rate=0.2))
    res = PartialEquilibrium(elasticities=EL, blocs=(("pair", ("USA", "JPN")),)).solve(
        toy_baseline(price_usd_per_t=None), sc)
    assert res.tables["welfare_by_country"]["net_welfare_usd"].isna().all()
    bloc = res.tables["welfare_by_bloc"].set_index("bloc")
    assert list(bloc.index) == ["pair", "world"]
    assert bloc["net_welfare_usd"].isna().all() and bloc["consumer_surplus_usd"].isna().all()
    assert res.tables["markets"][["world_net_welfare_usd", "rents_usd"]].isna().all().all()
    assert any("no base price" in w for w in res.diagnostics.warnings)


def test_bloc_and_market_welfare_add_up_the_country_welfare() -> None:
    sc = _scenario(Shock("export_tax", exporters=("CHN",), importers=None, rate=0.2),
                   Shock("preferential_zone", members=("USA", "JPN", "AUS"), internal_tariff=0.0,
                         enforcement="adjustable_tariff"))
    res = PartialEquilibrium(elasticities=EL, blocs=(("far", ("BRA", "ZAF")),)).solve(toy_baseline(), sc)
    w = res.tables["welfare"].set_index("country")["net_welfare_usd"]
    bloc = res.tables["welfare_by_bloc"].set_index("bloc")
    assert bloc.loc["zone", "net_welfare_usd"] == pytest.approx(w[["USA", "JPN"]].sum())
    assert bloc.loc["zone", "n_members"] == 3 and bloc.loc["zone", "n_in_markets"] == 2
    assert bloc.loc["far", "net_welfare_usd"] == 0.0  # no member in the market: nothing at stake
    assert bloc.loc["world", "net_welfare_usd"] == pytest.approx(w.sum())
    market = res.tables["markets"].iloc[0]
    assert market["zone_net_welfare_usd"] == pytest.approx(w[["USA", "JPN"]].sum())
    assert market["world_net_welfare_usd"] == pytest.approx(w.sum())
    assert market["top_exporter"] == "CHN"


def test_ties_in_the_summaries_go_to_the_alphabetically_first_country() -> None:
    """Two importers cut off alike (each buys only from China, which may ship each half of
    what it did: shortfall share exactly 0.5 for both): the market summary and the headline
    name the alphabetically first."""
    flows = pd.DataFrame({"exporter": ["CHN", "CHN", "CHN", "AUS"],
                          "importer": ["CHN", "USA", "JPN", "AUS"],
                          "flow_t": [100.0, 50.0, 50.0, 40.0]})
    base = MarketBaseline("gallium", "refinery", 2023, flows, price_usd_per_t=1_000.0)
    sc = _scenario(Shock("licensing", exporters=("CHN",), importers=("USA", "JPN"), share=0.5))
    res = PartialEquilibrium(elasticities=EL).solve(base, sc)
    c = res.tables["countries"].set_index("country")
    assert c.loc["JPN", "shortfall_share"] == c.loc["USA", "shortfall_share"] == pytest.approx(0.5)
    assert res.tables["markets"].iloc[0]["max_shortfall_country"] == "JPN"
    assert res.tables["markets"].iloc[0]["max_shortfall_share"] == pytest.approx(0.5)
    shortfall = [h.split()[1] for h in res.headline if h.strip().startswith("shortfall")]
    assert shortfall == ["JPN", "USA"]


def test_concentration_table_equals_the_metrics_on_the_result_flows() -> None:
    """The PE's import-source HHI (matrix form) against :func:`metrics.concentration` run on
    the same result's cross-border flows, before and after a shock."""
    from critmin.metrics.concentration import concentration

    sc = _scenario(Shock("export_tax", exporters=("CHN",), importers=None, rate=0.5))
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc)
    f = res.tables["flows"]
    f = f[f.exporter != f.importer]
    conc = res.tables["concentration"].set_index("importer")
    for case, col in (("baseline", "flow_t_baseline"), ("scenario", "flow_t")):
        rows = f.assign(country=f.exporter, quantity_t=f[col])[["importer", "country", "quantity_t"]]
        want = concentration(rows[rows.quantity_t > 0], keys=["importer"]).set_index("importer")
        assert set(want.index) == set(conc.index)
        for importer, row in want.iterrows():
            assert conc.loc[importer, f"hhi_{case}"] == pytest.approx(row["hhi"], rel=1e-12)
            assert conc.loc[importer, f"top_exporter_{case}"] == row["top_country"]
            assert conc.loc[importer, f"top_share_{case}"] == pytest.approx(row["cr1_share"], rel=1e-12)


def test_two_years_of_one_market_are_kept_apart_and_priced_by_year() -> None:
    """Each year is its own market: its own row in ``markets`` and its own concentration rows
    (with the year), and a year without a base price has NaN USD welfare, named by year."""
    y22 = replace(toy_baseline(price_usd_per_t=None), year=2022)
    sc = _scenario(Shock("export_tax", exporters=("CHN",), importers=None, rate=0.2))
    res = PartialEquilibrium(elasticities=EL).solve([toy_baseline(), y22], sc)
    markets = res.tables["markets"].set_index("year")
    assert list(markets.index) == [2022, 2023]
    assert np.isnan(markets.loc[2022, "world_net_welfare_usd"])
    alone = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc).tables["markets"].iloc[0]
    assert markets.loc[2023, "world_net_welfare_usd"] == pytest.approx(alone["world_net_welfare_usd"])
    welfare = res.tables["welfare"]
    assert welfare[welfare.year == 2022]["net_welfare_usd"].isna().all()
    assert welfare[welfare.year == 2023]["net_welfare_usd"].notna().all()
    assert any("gallium refinery 2022" in w for w in res.diagnostics.warnings)
    conc = res.tables["concentration"]
    assert list(conc.columns[:4]) == ["mineral", "stage", "year", "importer"]
    assert conc[["year", "importer"]].equals(conc[["year", "importer"]].sort_values(["year", "importer"]))
    assert not conc.duplicated(["year", "importer"]).any()
    assert any(h.strip().startswith("gallium refinery 2022: world prices") for h in res.headline)


def test_several_markets_solved_at_once_equal_each_solved_alone() -> None:
    """Markets are independent: one call over three markets gives, table by table, the rows
    of three calls over one market each."""
    sc = _scenario(Shock("export_tax", exporters=("CHN",), importers=None, rate=0.3),
                   Shock("licensing", exporters=("CHN",), importers=("USA",), share=0.5))
    bases = [toy_baseline(), toy_baseline(mineral="germanium"), replace(toy_baseline(), year=2021)]
    model = PartialEquilibrium(elasticities=EL)
    together = model.solve(bases, sc)
    alone = [model.solve(b, sc) for b in bases]
    for name in ("flows", "countries", "welfare", "markets", "concentration", "prices"):
        keys = [k for k in ("mineral", "stage", "year", "exporter", "importer", "country")
                if k in together.tables[name].columns]
        want = pd.concat([r.tables[name] for r in alone], ignore_index=True).sort_values(keys, ignore_index=True)
        got = together.tables[name].sort_values(keys, ignore_index=True)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-10)


def test_missing_method_or_source_in_a_baseline_reads_as_observed_and_empty() -> None:
    flows = pd.DataFrame({"exporter": ["CHN", "CHN", "USA"], "importer": ["CHN", "USA", "USA"],
                          "flow_t": [50.0, 20.0, 10.0], "method": ["estimated", None, "observed"],
                          "source": ["a", None, "b"]})
    base = MarketBaseline("gallium", "refinery", 2023, flows, price_usd_per_t=1_000.0)
    f = PartialEquilibrium(elasticities=EL).solve(base, _scenario()).tables["flows"].set_index(["exporter", "importer"])
    assert f.loc[("CHN", "USA"), "method"] == "observed" and f.loc[("CHN", "USA"), "source"] == ""
    assert f.loc[("CHN", "CHN"), "method"] == "estimated" and f.loc[("CHN", "CHN"), "source"] == "a"


def test_a_market_without_cross_border_trade_has_an_empty_concentration_table_with_its_columns() -> None:
    flows = pd.DataFrame({"exporter": ["CHN", "USA"], "importer": ["CHN", "USA"], "flow_t": [50.0, 10.0]})
    base = MarketBaseline("gallium", "refinery", None, flows, price_usd_per_t=1_000.0)
    res = PartialEquilibrium(elasticities=EL).solve(base, _scenario())
    conc = res.tables["concentration"]
    assert len(conc) == 0
    assert list(conc.columns) == ["mineral", "stage", "year", "importer", "hhi_baseline", "top_exporter_baseline",
                                  "top_share_baseline", "hhi_scenario", "top_exporter_scenario", "top_share_scenario"]
    assert res.tables["flows"]["year"].isna().all() and str(res.tables["flows"]["year"].dtype) == "Int64"


def test_top_exporter_tie_goes_to_the_alphabetically_first() -> None:
    flows = pd.DataFrame({"exporter": ["KOR", "AUS", "USA"], "importer": ["USA", "USA", "USA"],
                          "flow_t": [30.0, 30.0, 10.0]})
    base = MarketBaseline("gallium", "refinery", 2023, flows, price_usd_per_t=1_000.0)
    res = PartialEquilibrium(elasticities=EL).solve(base, _scenario())
    assert res.tables["markets"].iloc[0]["top_exporter"] == "AUS"
    assert res.tables["concentration"].iloc[0]["top_exporter_baseline"] == "AUS"
