"""The store-facing layer: series selection, name checks with what is available, provenance."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.errors import (
    UnknownBlocError,
    UnknownMineralError,
    UnknownNameError,
    UnknownStageError,
    UnknownYearError,
)
from critmin.metrics import queries


def test_usgs_series_takes_the_newest_edition_per_year(metrics_store):
    res = queries.concentration(metrics_store, "gallium", stage="refinery", series="usgs")
    by_year = res.frame.set_index("year")
    assert set(by_year.index) == {2022, 2023, 2024}
    assert by_year.loc[2023, "source"] == "usgs-mcs2025-world"       # revised, not the estimate
    assert by_year.loc[2023, "world_t"] == 730.0
    assert by_year.loc[2023, "cr1_share"] == pytest.approx(720 / 730)


def test_default_series_fills_years_usgs_lacks_with_bgs(metrics_store):
    frame = queries.concentration(metrics_store, "gallium", stage="refinery").frame
    src = frame.set_index("year")["source"]
    assert src[2010] == "bgs-wms" and src[2023] == "usgs-mcs2025-world"


def test_bgs_series_gives_the_long_time_series(metrics_store):
    res = queries.concentration(metrics_store, "Ga", stage="refining", series="bgs")
    assert set(res.frame["year"]) == {2010, 2020}
    assert res.frame.set_index("year").loc[2010, "cr1_share"] == pytest.approx(120 / 180)


def test_results_carry_provenance_of_every_input(metrics_store):
    res = queries.concentration(metrics_store, "gallium", series="usgs")
    sources = {(p["table"], p["source"]) for p in res.provenance}
    assert ("production", "usgs-mcs2025-world") in sources
    assert ("governance", "wgi-2024") in sources
    assert ("production", "bgs-wms") not in sources           # not used by the usgs series
    assert all(p["vintage"] for p in res.provenance)


def test_all_minerals_sorted_by_hhi(metrics_store):
    frame = queries.concentration(metrics_store).frame
    assert list(frame["hhi"]) == sorted(frame["hhi"], reverse=True)
    assert {"gallium", "graphite", "cobalt"} <= set(frame["mineral"])
    assert frame["hhi_wgi"].notna().all()


def test_share_series_of_china_in_refined_gallium(metrics_store):
    res = queries.share_series(metrics_store, "gallium", "refinery", "China")
    s = res.frame.set_index(["source", "year"])["share"]
    assert s[("bgs-wms", 2010)] == pytest.approx(120 / 180)
    assert s[("usgs-mcs2025-world", 2024)] == pytest.approx(750 / 760)


def test_stage_comparison_where_both_stages_are_reported(metrics_store):
    frame = queries.stage_comparison(metrics_store, "cobalt").frame
    row = frame.iloc[0]
    assert row.stage == "refinery" and row.top_country_mine == "COD"
    assert row.top_country_processing == "CHN"


def test_unknown_mineral_suggests_and_lists(metrics_store):
    with pytest.raises(UnknownMineralError, match="gallium"):
        queries.concentration(metrics_store, "galium")


def test_mineral_without_data_lists_minerals_with_data(metrics_store):
    with pytest.raises(UnknownMineralError, match="cobalt, gallium, graphite"):
        queries.concentration(metrics_store, "lithium")


def test_mineral_without_stage_data_lists_its_stages(metrics_store):
    with pytest.raises(UnknownStageError, match="Accepted: mine.") as info:
        queries.concentration(metrics_store, "graphite", stage="refinery")
    assert "graphite" in str(info.value)


def test_year_without_data_lists_the_years(metrics_store):
    with pytest.raises(UnknownYearError, match="2010, 2020, 2022, 2023, 2024"):
        queries.concentration(metrics_store, "gallium", stage="refinery", year=1999)


def test_unknown_series_lists_series(metrics_store):
    with pytest.raises(UnknownNameError, match="bgs"):
        queries.concentration(metrics_store, "gallium", series="wms")


def test_exposure_of_a_country_from_the_store(metrics_store):
    res = queries.exposure(metrics_store, "USA", mineral="gallium")
    row = res.frame.iloc[0]
    assert row.unit == "USA" and row.against_share == pytest.approx(0.5)
    assert row.top_source == "CHN"
    assert {p["table"] for p in res.provenance} >= {"flows", "production", "governance"}
    assert res.extra["members"] == ["USA"]


def test_exposure_by_country_name(metrics_store):
    res = queries.exposure(metrics_store, "United States", mineral=["graphite"])
    assert res.frame.iloc[0].against_share == pytest.approx(0.8)


def test_unknown_bloc_says_what_is_accepted(metrics_store):
    with pytest.raises(UnknownBlocError, match="ISO3") as info:
        queries.exposure(metrics_store, "not-a-bloc")
    assert "EU27" in str(info.value)                           # the blocs are listed


def test_bloc_exposure_nets_out_members(metrics_store):
    res = queries.exposure(metrics_store, "USA,IND", mineral="gallium")
    row = res.frame.iloc[0]
    assert res.extra["members"] == ["USA", "IND"]
    assert row.imports == pytest.approx(110.0)


def test_exposure_for_a_mineral_without_flows_lists_those_with_flows(metrics_store):
    with pytest.raises(UnknownMineralError, match="gallium, graphite"):
        queries.exposure(metrics_store, "USA", mineral="cobalt")


def test_exposure_stage_without_flows_lists_stages(metrics_store):
    with pytest.raises(UnknownStageError, match="Accepted: mine") as info:
        queries.exposure(metrics_store, "USA", mineral="graphite", stage="refinery")
    assert "graphite" in str(info.value)


def test_exposure_year_without_flows_lists_years(metrics_store):
    with pytest.raises(UnknownYearError, match="2023"):
        queries.exposure(metrics_store, "USA", year=2010)


def test_risk_table_puts_published_sr_beside_critmin_concentration(metrics_store):
    res = queries.risk(metrics_store)
    ga = res.frame.set_index("material").loc["gallium"]
    assert ga.sr_published == 3.9
    assert ga.critmin_top_country == "CHN"
    assert ga.eu_china_share == pytest.approx(0.938)
    assert pd.isna(ga.sr_computed) and ga.status == "not sourced: IR, EoL-RIR, SI"
    assert any(p["source"] == "eu-crm-2023-table" for p in res.provenance)


def test_risk_without_store_still_lists_published_values():
    res = queries.risk(None)
    assert len(res.frame) == 70
