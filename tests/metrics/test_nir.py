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
    cells = {"USprod_t": "20", "Imports_t": "40", "Exports_t": "0", "Consump_t": "50",
             "NIR_pct": "60"}
    out = compare(components(_salient("x", 2024, cells))).iloc[0]
    assert out.nir_method == "trade"
    assert out.nir_computed == pytest.approx(0.8)
    assert out.difference == pytest.approx(0.2)
    assert not bool(out.agrees)


def test_zero_us_production_gives_full_reliance_by_identity():
    # gallium 2024: GaAs wafers in gross weight dwarf the 19 t consumed; exports NA
    cells = {"USprod_Primary_kg": "0", "Imports_Metal_kg": "11000", "Imports_GaAs_kg": "180000",
             "Exports_kg": "NA", "Consump_kg": "19000", "NIR_pct": "100"}
    out = compare(components(_salient("gallium", 2024, cells))).iloc[0]
    assert pd.isna(out.nir_trade)
    assert out.nir_method == "identity" and out.nir_computed == pytest.approx(1.0)
    assert bool(out.agrees)


def test_a_trade_ratio_above_one_falls_back_to_the_consumption_side():
    cells = {"USprod_t": "1300", "Imports_t": "8090", "Exports_t": "320", "Consump_t": "6600",
             "NIR_pct": "80"}
    out = compare(components(_salient("rare_earths", 2024, cells))).iloc[0]
    assert out.nir_trade > 1.02
    assert out.nir_method == "identity"
    assert out.nir_computed == pytest.approx((6600 - 1300) / 6600)


def test_a_table_without_a_us_production_line_means_no_us_production():
    cells = {"Imports_t": "0", "Exports_t": "0", "Consump_Est_t": "110", "NIR_pct": "100"}
    out = compare(components(_salient("asbestos", 2024, cells))).iloc[0]
    assert not out.production_listed and out.production_t == 0.0
    assert out.nir_computed == pytest.approx(1.0)


def test_a_total_column_is_not_added_to_its_parts():
    cells = {"USprod_t": "0", "Imports_Metal_t": "530", "Imports_Compounds_t": "8600",
             "Imports_Total_t": "9100", "Exports_All_t": "570", "NIR_pct": "100"}
    out = components(_salient("arsenic", 2024, cells)).iloc[0]
    assert out.imports_t == 9100.0


def test_refinery_is_not_added_to_mine_production():
    cells = {"USprod_Mine_t": "100", "USprod_Refinery_t": "90", "Imports_t": "50",
             "Exports_t": "0", "NIR_pct": "33"}
    out = components(_salient("x", 2024, cells)).iloc[0]
    assert out.production_t == 100.0


def _published():
    from critmin.metrics.nir import published_reliance

    us_nir = pd.DataFrame([
        {"mineral": "gallium", "year": 2024, "nir_share": 1.0, "bound": None, "edition": 2025,
         "source": "usgs-mcs2025-salient", "statistic": "NIR"},
        {"mineral": "gallium", "year": 2024, "nir_share": 1.0, "bound": None, "edition": 2025,
         "source": "usgs-mcs2025-trends", "statistic": "Fig. 2 net import reliance"},
        {"mineral": "germanium", "year": 2024, "nir_share": 0.5, "bound": ">",
         "edition": 2025, "source": "usgs-mcs2025-salient", "statistic": "NIR"},
        {"mineral": "zinc", "year": 2024, "nir_share": None, "bound": "E", "edition": 2025,
         "source": "usgs-mcs2025-salient", "statistic": "NIR_Ores"},
        {"mineral": "zinc", "year": 2024, "nir_share": 0.73, "bound": None, "edition": 2025,
         "source": "usgs-mcs2025-salient", "statistic": "NIR_Refined"},
    ])
    return published_reliance(us_nir)


def _rows(**over):
    base = {"mineral": "gallium", "stage": "refinery", "year": 2024,
            "import_reliance_share": float("nan"), "shared_hs_code": False,
            "flow_basis": "observed", "flow_source": "usitc-dataweb-tidy"}
    return pd.DataFrame([{**base, **o} for o in over.get("rows", [{}])])


def test_value_only_trade_takes_the_usgs_published_reliance_and_names_it():
    from critmin.metrics.nir import attach_published_reliance

    out = attach_published_reliance(_rows(), _published()).iloc[0]
    assert out.import_reliance_share == 1.0
    assert out.import_reliance_source.startswith("USGS MCS 2025 salient")
    assert "value only" in out.import_reliance_source


def test_observed_tonnes_keep_the_recomputed_reliance():
    from critmin.metrics.nir import attach_published_reliance

    frame = _rows(rows=[{"import_reliance_share": 0.42}])
    out = attach_published_reliance(frame, _published()).iloc[0]
    assert out.import_reliance_share == 0.42
    assert out.import_reliance_source.startswith("recomputed from tonnes")


def test_a_basket_row_takes_the_published_value_with_its_bound_and_form():
    from critmin.metrics.nir import attach_published_reliance

    frame = _rows(rows=[{"mineral": "germanium", "import_reliance_share": 0.9,
                         "shared_hs_code": True},
                        {"mineral": "zinc", "stage": "mine"},
                        {"mineral": "zinc", "stage": "refinery"}])
    out = attach_published_reliance(frame, _published())
    assert out.loc[0, "import_reliance_share"] == 0.5
    assert out.loc[0, "import_reliance_bound"] == ">"
    assert out.loc[0, "import_reliance_flows_share"] == 0.9
    assert "basket" in out.loc[0, "import_reliance_source"]
    assert out.loc[1, "import_reliance_bound"] == "E" and out.loc[1, "import_reliance_share"] == 0
    assert out.loc[2, "import_reliance_share"] == pytest.approx(0.73)
