"""USGS net import reliance recomputed from salient-statistics cells (fixtures in the test)."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.metrics.nir import classify, compare, components, parse_published, to_number


def _salient(mineral, year, cells):
    return pd.DataFrame([{"mineral": mineral, "year": year, "column": c, "value": v}
                         for c, v in cells.items()])


def test_cells_parse_as_published():
    assert to_number("1,234") == 1234.0
    assert pd.isna(to_number("W")) and pd.isna(to_number(">95"))
    assert parse_published(">95") == ("lower", 0.95)
    assert parse_published("<25") == ("upper", 0.25)
    assert parse_published("E") == ("exporter", 0.0)
    assert parse_published("76") == ("value", 0.76)
    assert parse_published("NA")[0] == "none"


def test_labels_map_to_parts_and_skip_non_masses():
    assert classify("Imports_Oxide_t") == "imports"
    assert classify("USprod_Primary_kg") == "production"
    assert classify("Consump_Apparent_t") == "consumption"
    assert classify("NIR_pct") == "nir"
    assert classify("Price_Metal_dlb") is None
    assert classify("Imports_value_dollars") is None


def test_cobalt_2024_reproduces_the_published_76_percent():
    # MCS 2025 cobalt salient row for 2024
    cells = {"USprod_Mine_t": "300", "USprod_Secondary_t": "2000", "Imports_t": "11000",
             "Exports_t": "4500", "Consump_Estimated_t": "8000", "Consump_Apparent_t": "8500",
             "Stocks_Industry_t": "900", "Stocks_LME_t": "34", "NIR_pct": "76"}
    prev = {**cells, "Stocks_Industry_t": "925", "Stocks_LME_t": "34", "NIR_pct": "69"}
    salient = pd.concat([_salient("cobalt", 2023, prev), _salient("cobalt", 2024, cells)])
    out = compare(components(salient)).set_index("year")
    # stocks fell 25 t: (11000 - 4500 + 25) / 8500
    assert out.loc[2024, "nir_computed"] == pytest.approx(6525 / 8500)
    assert out.loc[2024, "difference"] == pytest.approx(6525 / 8500 - 0.76)
    assert bool(out.loc[2024, "agrees"])


def test_units_are_converted_and_bounds_are_checked():
    cells = {"USprod_Primary_kg": "0", "Imports_Metal_kg": "20000", "Imports_GeO2_kg": "13000",
             "Exports_Metal_kg": "7200", "NIR_ct": ">50"}
    out = compare(components(_salient("germanium", 2024, cells))).iloc[0]
    assert out.imports_t == pytest.approx(33.0)
    assert out.nir_computed == pytest.approx((33.0 - 7.2) / 25.8)
    assert bool(out.agrees)


def test_net_exporter_agrees_with_e():
    cells = {"USprod_t": "100", "Imports_t": "10", "Exports_t": "50", "NIR_pct": "E"}
    out = compare(components(_salient("x", 2024, cells))).iloc[0]
    assert out.nir_computed < 0 and bool(out.agrees)


def test_a_gap_is_reported_not_hidden():
    cells = {"USprod_t": "0", "Imports_t": "100", "Exports_t": "0", "Consump_t": "50",
             "NIR_pct": "60"}
    out = compare(components(_salient("x", 2024, cells))).iloc[0]
    assert out.nir_computed == pytest.approx(2.0)
    assert out.difference == pytest.approx(1.4)
    assert not bool(out.agrees)


def test_refinery_is_not_added_to_mine_production():
    cells = {"USprod_Mine_t": "100", "USprod_Refinery_t": "90", "Imports_t": "50",
             "Exports_t": "0", "NIR_pct": "33"}
    out = components(_salient("x", 2024, cells)).iloc[0]
    assert out.production_t == 100.0
