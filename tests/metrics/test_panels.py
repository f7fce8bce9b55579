"""The numbers behind the dashboard's and the report's figures, on the bundled snapshot."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.metrics import panels
from critmin.models.pe import PartialEquilibrium
from critmin.models.pe_data import toy_baseline
from critmin.models.scenario import Elasticities, Scenario, Shock


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


def test_scenario_view_picks_the_largest_price_moves_and_reads_json_records() -> None:
    el = Elasticities(import_demand=-0.5, export_supply=0.5, substitution=3.0)
    sc = Scenario("t", elasticities=el, shocks=(Shock("tariff", importers=("USA",),
                                                      exporters=("CHN",), rate=0.25),))
    doc = PartialEquilibrium().solve(toy_baseline(), sc).to_json_doc()
    view = panels.scenario_view(doc, top=2)
    moves = doc["prices"]["world_price_change_share"].abs().sort_values(ascending=False)
    assert view["prices"]["world_price_change_share"].abs().tolist() == \
        pytest.approx(moves.head(2).tolist())
    as_json = {k: v.to_dict("records") if isinstance(v, pd.DataFrame) else v
               for k, v in doc.items()}
    again = panels.scenario_view(as_json, top=2)
    assert again["markets"] == view["markets"] == ["gallium refinery"]
    pd.testing.assert_frame_equal(again["welfare"].reset_index(drop=True),
                                  view["welfare"].reset_index(drop=True), check_dtype=False)
