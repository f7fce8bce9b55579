"""Hypothesis properties of the PE model on random small markets (3-5 countries).

Tolerances: the solver stops at residual 1e-10 of baseline quantities, so quantity and
price properties hold to 1e-7 relative; the welfare identity is exact up to rounding
(1e-9 relative).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.errors import ScenarioError
from critmin.models.pe import PartialEquilibrium
from critmin.models.pe.data import MarketBaseline
from critmin.scenario import ReferencePrice, Scenario, Shock
from critmin.scenario.pe import Elasticities

CODES = ["AUS", "CHN", "USA", "JPN", "DEU"]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def markets(draw: st.DrawFn) -> tuple[MarketBaseline, Elasticities]:
    n = draw(st.integers(3, 5))
    codes = CODES[:n]
    q = np.array(draw(st.lists(st.floats(0.0, 100.0), min_size=n * n, max_size=n * n))).reshape(n, n)
    q = np.where(q < 15.0, 0.0, q)                 # sparse, as real trade is
    q[np.diag_indices(n)] += 20.0                  # every country supplies itself
    t = np.array(draw(st.lists(st.sampled_from([0.0, 0.05, 0.1]), min_size=n * n, max_size=n * n)))
    rows = [{"exporter": codes[i], "importer": codes[j], "flow_t": q[i, j], "tariff_share": t[i * n + j]}
            for i in range(n) for j in range(n) if q[i, j] > 0]
    el = Elasticities(import_demand=-draw(st.floats(0.2, 2.0)), export_supply=draw(st.floats(0.2, 3.0)),
                      substitution=draw(st.floats(1.5, 8.0)))
    return MarketBaseline("cobalt", "refinery", 2023, pd.DataFrame(rows), price_usd_per_t=1000.0), el


def _flow(res, ex: str, im: str) -> float:
    f = res.tables["flows"]
    hit = f[(f.exporter == ex) & (f.importer == im)]["flow_t"]
    return float(hit.iloc[0]) if len(hit) else 0.0


@SETTINGS
@given(markets(), st.sampled_from(["gsim", "exact"]))
def test_empty_scenario_returns_the_baseline_exactly(market, mode: str) -> None:
    base, el = market
    res = PartialEquilibrium(mode=mode, elasticities=el).solve(base, Scenario("empty"))
    assert (res.tables["flows"]["flow_t"] == res.tables["flows"]["flow_t_baseline"]).all()
    assert (res.tables["welfare"]["net_welfare_usd"] == 0).all()


@SETTINGS
@given(markets(), st.integers(0, 4), st.integers(0, 4))
def test_a_ban_drives_the_banned_flows_to_zero(market, a: int, b: int) -> None:
    base, el = market
    codes = base.countries
    ex, im = codes[a % len(codes)], codes[b % len(codes)]
    if ex == im:
        im = codes[(b + 1) % len(codes)]
    sc = Scenario("ban", shocks=(Shock("export_quota", exporters=(ex,), importers=(im,), tonnes=0.0),))
    res = PartialEquilibrium(mode="exact", elasticities=el).solve(base, sc)
    assert _flow(res, ex, im) == 0.0
    res = PartialEquilibrium(mode="gsim", elasticities=el).solve(base, sc)
    assert abs(_flow(res, ex, im)) <= 1e-7 * max(base.flows["flow_t"].max(), 1.0)


@SETTINGS
@given(markets(), st.floats(1.05, 2.0), st.sampled_from(["adjustable_tariff", "price_gap_subsidy"]),
       st.sampled_from(["gsim", "exact"]))
def test_with_enforcement_no_zone_price_falls_below_its_reference(market, floor: float, enforcement: str,
                                                                   mode: str) -> None:
    base, el = market
    members = tuple(base.countries[:2])
    ref = 1000.0 * floor
    sc = Scenario("zone", shocks=(Shock(
        "preferential_zone", members=members, enforcement=enforcement,
        reference_prices=(ReferencePrice("cobalt", "refinery", ref),)),))
    res = PartialEquilibrium(mode=mode, elasticities=el).solve(base, sc)
    if enforcement == "adjustable_tariff":
        f = res.tables["flows"]
        levied = f[f.importer.isin(members) & ~f.exporter.isin(members) & (f.flow_t_baseline > 0)]
        assert (levied["landed_price_usd_per_t"] >= ref * (1 - 1e-9)).all()
    else:
        c = res.tables["countries"]
        producers = c[c.country.isin(members) & (c.supply_t_baseline > 0)]
        assert (1000.0 * (1 + producers["producer_price_change_share"]) >= ref * (1 - 1e-9)).all()


@SETTINGS
@given(markets(), st.integers(0, 4), st.integers(0, 4), st.floats(0.01, 1.0), st.sampled_from(["gsim", "exact"]))
def test_raising_a_tariff_never_raises_that_pairs_flow(market, a: int, b: int, rise: float, mode: str) -> None:
    base, el = market
    f = base.flows[base.flows.exporter != base.flows.importer]
    if not len(f):
        return
    row = f.iloc[(a * 5 + b) % len(f)]
    sc = Scenario("t", shocks=(
        Shock("tariff", exporters=(row.exporter,), importers=(row.importer,), change=rise),))
    res = PartialEquilibrium(mode=mode, elasticities=el).solve(base, sc)
    assert _flow(res, row.exporter, row.importer) <= row.flow_t * (1 + 1e-9)


@SETTINGS
@given(markets(), st.floats(0.0, 0.5), st.floats(0.0, 0.9), st.floats(0.05, 0.3),
       st.sampled_from(["gsim", "exact"]))
def test_bloc_and_world_welfare_total_their_members(market, tariff: float, share: float, tax: float,
                                                    mode: str) -> None:
    base, el = market
    c = base.countries
    sc = Scenario("mix", shocks=(
        Shock("tariff", importers=(c[0],), exporters=None, rate=tariff),
        Shock("export_quota", exporters=(c[1],), importers=None, share=share + 0.05),
        Shock("export_tax", exporters=(c[2],), importers=None, rate=tax),
        Shock("preferential_zone", members=(c[0], c[1]), enforcement="adjustable_tariff",
              reference_prices=(ReferencePrice("cobalt", "refinery", 1100.0),)),
    ))
    try:
        res = PartialEquilibrium(mode=mode, elasticities=el).solve(base, sc)
    except ScenarioError:
        return
    w = res.tables["welfare"]
    # bloc totals are sums of their members (net welfare itself is checked against an
    # independent integration in tests/models/test_pe.py)
    blocs = res.tables["welfare_by_bloc"].set_index("bloc")
    assert blocs.loc["world", "net_welfare_usd"] == pytest.approx(w["net_welfare_usd"].sum(), rel=1e-9, abs=1e-6)
