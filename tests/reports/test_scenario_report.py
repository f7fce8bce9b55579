"""The headline table of a scenario: one column per market, labelled measures."""

from __future__ import annotations

from critmin.models.pe import PartialEquilibrium
from critmin.models.pe.data import toy_baseline
from critmin.scenario import ReferencePrice, Scenario, Shock
from critmin.scenario.pe import Elasticities
from critmin.reports.scenario import headline_table, welfare_table

EL = Elasticities(import_demand=-0.5, export_supply=0.5, substitution=3.0, by_mineral=())


def test_headline_table_for_a_zone_scenario() -> None:
    sc = Scenario("zone", shocks=(Shock(
        "preferential_zone", members=("USA", "JPN"), enforcement="adjustable_tariff",
        reference_prices=(ReferencePrice("gallium", "refinery", 600_000.0),)),))
    res = PartialEquilibrium(elasticities=EL).solve([toy_baseline(), toy_baseline("germanium")], sc)
    table = headline_table(res)
    assert list(table.columns) == ["measure", "gallium refinery", "germanium refinery"]
    measures = set(table["measure"])
    assert {"zone landed price", "zone net welfare (USD)", "world net welfare (USD)", "levy revenue (USD)"} <= measures
    row = table.set_index("measure").loc["zone landed price", "gallium refinery"]
    assert row > 0                       # the floor lifts landed prices in the zone


def test_headline_table_without_a_zone_drops_zone_rows_and_empty_instruments() -> None:
    sc = Scenario("t", shocks=(Shock("tariff", importers=("USA",), exporters=("CHN",),
                                                      rate=0.25),))
    res = PartialEquilibrium(elasticities=EL).solve(toy_baseline(), sc)
    measures = set(headline_table(res)["measure"])
    assert "zone net welfare (USD)" not in measures and "levy revenue (USD)" not in measures
    w = welfare_table(res)
    assert "tariff_revenue_usd" in w.columns and "levy_revenue_usd" not in w.columns
