"""The numbers behind the dashboard's and the report's figures, on the bundled snapshot."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.metrics import panels
from critmin.models.pe import PartialEquilibrium
from critmin.models.pe.data import toy_baseline
from critmin.scenario import Scenario, Shock
from critmin.scenario.pe import Elasticities


def test_production_shares_sum_to_at_most_one_in_every_year(snapshot_store) -> None:
    res = panels.production_shares(snapshot_store, "cobalt", "mine")
    total = res.frame.groupby("year")["share"].sum()
    assert (total <= 1 + 1e-9).all() and (total > 0.5).all()
    assert res.extra["years"] == sorted(res.frame["year"].unique())
    assert res.frame["year"].iloc[0] == max(res.extra["years"])      # newest first
    assert {p["source"] for p in res.provenance} >= set(res.frame["source"])


def test_production_shares_carry_the_publishers_estimate_flag(snapshot_store) -> None:
    res = panels.production_shares(snapshot_store, "cobalt", "mine")
    prod = snapshot_store.table("production", mineral="cobalt", stage="mine")
    prod = prod.assign(estimated=prod["estimated"].astype(bool))
    merged = res.frame.merge(prod, on=["year", "country", "source"], suffixes=("", "_store"))
    assert len(merged) == len(res.frame)
    assert (merged["estimated"] == merged["estimated_store"]).all()
    assert res.extra["estimated_rows"] == int(res.frame["estimated"].sum()) > 0


def test_import_sources_shares_sum_to_one_per_year_and_exclude_the_unit(snapshot_store) -> None:
    res = panels.import_sources(snapshot_store, "USA", "gallium")
    by_year = res.frame.groupby("year")["share"].sum()
    assert by_year.round(9).eq(1.0).all()
    assert "USA" not in set(res.frame["exporter"])
    assert res.extra["unit"] == "USA" and res.extra["stage"] == "refinery"


def test_supply_chain_links_keep_every_tonne_of_each_stage(snapshot_store) -> None:
    from critmin.baseline import build_baseline

    res = panels.supply_chain_links(snapshot_store, "cobalt", top=5)
    assert res.extra["stages"] == ["mine", "refinery"]
    year = res.extra["year"]
    for leg, st in (("mine -> refinery", "mine"), ("refinery -> buyers", "refinery")):
        total = build_baseline(snapshot_store, "cobalt", st, year).total_t
        drawn = res.frame.loc[res.frame["leg"] == leg, "quantity_t"].sum()
        assert drawn == pytest.approx(total, rel=1e-9)
    sources = {n for n in res.frame["source_node"] if n.startswith("mine: ")}
    assert len(sources - {"mine: Other"}) <= 5
    assert set(res.frame["method"]) <= {"observed", "estimated"}


def test_scenario_view_picks_the_largest_price_moves_from_a_result_or_its_json() -> None:
    from critmin.reports.result import result_document

    el = Elasticities(import_demand=-0.5, export_supply=0.5, substitution=3.0, by_mineral=())
    sc = Scenario("t", shocks=(Shock("tariff", importers=("USA",), exporters=("CHN",),
                                     rate=0.25),))
    result = PartialEquilibrium(elasticities=el).solve(toy_baseline(), sc)
    view = panels.scenario_view(result, top=2)
    moves = result.tables["prices"]["world_price_change_share"].abs().sort_values(ascending=False)
    assert view["prices"]["world_price_change_share"].abs().tolist() == \
        pytest.approx(moves.head(2).tolist())
    assert view["welfare_unit"] == "USD" and "net_welfare" in view["welfare"].columns
    again = panels.scenario_view(result_document(result), top=2)   # the API's JSON document
    assert again["markets"] == view["markets"] == ["gallium refinery"]
    pd.testing.assert_frame_equal(again["welfare"].reset_index(drop=True),
                                  view["welfare"].reset_index(drop=True), check_dtype=False)


def test_scenario_view_refuses_a_result_of_another_model() -> None:
    from critmin.errors import ScenarioError

    with pytest.raises(ScenarioError, match="partial-equilibrium"):
        panels.scenario_view({"model": "ge", "scenario": "x", "tables": {"countries": []}})
