"""critmin.baseline: observed cells kept, margins met, estimates flagged, clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flow_fixtures import flow_rows, make_store, origin, production_rows

from critmin.baseline import Baseline, build_baseline, observed_flows
from critmin.errors import (
    InvalidParameterError,
    UnknownMineralError,
    UnknownStageError,
    UnknownYearError,
)
from critmin.store import Store
from critmin.store.catalog import TableData, write_store

COUNTRIES = ["AUS", "CAN", "CHN", "IDN", "JPN", "PHL", "USA"]


@pytest.fixture()
def store(tmp_path: Path):
    production = production_rows("nickel", "mine", 2022, {
        "IDN": 1_600_000.0, "PHL": 330_000.0, "AUS": 160_000.0, "CAN": 140_000.0,
        "OTH": 50_000.0})
    flows = flow_rows([("PHL", "CHN", 2.5e9, 300_000.0, "observed"),
                       ("PHL", "JPN", 3.0e8, 25_000.0, "observed"),
                       ("AUS", "CHN", 4.0e8, 3_000.0, "mirror"),
                       ("CAN", "USA", 1.0e8, 8_000.0, "observed")])
    # A BACI extract row (exporter PHL) for the same cell as a Comtrade one: BACI wins it.
    baci = flow_rows([("PHL", "CHN", 2.4e9, 290_000.0, "observed")],
                     source="baci-hs17-y2022-v202401-extract")
    return make_store(tmp_path / "s.duckdb", production, pd.concat([flows, baci]), COUNTRIES)


def test_baci_takes_precedence_for_a_cell(store) -> None:
    obs = observed_flows(store, "nickel", "mine", 2022).set_index(["exporter", "importer"])
    assert obs.loc[("PHL", "CHN"), "source"] == "baci-hs17-y2022-v202401-extract"
    assert obs.loc[("PHL", "CHN"), "quantity_t"] == 290_000.0
    assert obs.loc[("AUS", "CHN"), "method"] == "mirror"


def test_observed_cells_are_unchanged_and_margins_match(store) -> None:
    base = build_baseline(store, "nickel", "mine", 2022)
    assert isinstance(base, Baseline)
    cells = base.flows.set_index(["exporter", "importer"])
    assert cells.loc[("PHL", "CHN"), "quantity_t"] == pytest.approx(290_000.0, rel=1e-12)
    assert cells.loc[("PHL", "CHN"), "method"] == "observed"
    assert cells.loc[("CAN", "USA"), "quantity_t"] == pytest.approx(8_000.0, rel=1e-12)
    m = base.matrix()
    np.testing.assert_allclose(m.sum(axis=1), base.row_targets, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(m.sum(axis=0), base.col_targets, rtol=1e-6, atol=1e-6)
    # Supply is production (no country here exports more than it produces).
    assert base.row_targets["IDN"] == pytest.approx(1_600_000.0)
    assert base.row_targets["CHN"] == 0.0
    assert (base.flows["quantity_t"] >= 0).all()
    est = base.flows["method"] == "estimated"
    assert est.any() and 0 <= base.estimated_share <= 1
    assert base.estimated_share == pytest.approx(
        base.flows.loc[est, "quantity_t"].sum() / base.flows["quantity_t"].sum())
    # Domestic supply is exporter == importer, estimated.
    idn = cells.loc[("IDN", "IDN")]
    assert idn["domestic"] and idn["method"] == "estimated"
    # Estimated values use the observed unit value; every row has a value.
    assert base.flows["value_usd"].notna().all()
    assert {p["source"] for p in base.provenance} >= {"usgs-fixture", "comtrade-fixture",
                                                      "baci-hs17-y2022-v202401-extract"}
    assert "estimated_share" in repr(base)


def test_reexporter_supply_is_its_observed_exports(store, tmp_path: Path) -> None:
    production = production_rows("nickel", "mine", 2022, {"PHL": 100.0})
    flows = flow_rows([("JPN", "CHN", 1e6, 50.0, "observed"), ("PHL", "JPN", 1e6, 60.0, "observed")])
    s = make_store(tmp_path / "r.duckdb", production, flows, COUNTRIES)
    base = build_baseline(s, "nickel", "mine", 2022)
    assert base.row_targets["JPN"] == pytest.approx(50.0)
    assert "JPN" in base.diagnostics["reexport_rows"]


def test_no_production_for_the_year_is_a_clear_error(store) -> None:
    with pytest.raises(UnknownYearError, match="2019"):
        build_baseline(store, "nickel", "mine", 2019)


def test_no_production_for_the_stage_lists_the_stages(store) -> None:
    with pytest.raises(UnknownStageError, match="stages with data: mine"):
        build_baseline(store, "nickel", "refinery", 2022)
    with pytest.raises(UnknownStageError, match="trade codes for stages"):
        build_baseline(store, "nickel", "metal", 2022)


def test_unknown_mineral_and_bad_parameters(store) -> None:
    with pytest.raises(UnknownMineralError, match="Did you mean 'nickel'"):
        build_baseline(store, "nickle", "mine", 2022)
    with pytest.raises(InvalidParameterError, match="distance_elasticity"):
        build_baseline(store, "nickel", "mine", 2022, distance_elasticity=-1)
    with pytest.raises(InvalidParameterError, match="home_bias"):
        build_baseline(store, "nickel", "mine", 2022, home_bias=0.5)


def test_more_distance_decay_keeps_more_supply_at_home(store) -> None:
    low = build_baseline(store, "nickel", "mine", 2022, distance_elasticity=0.5, home_bias=1.0)
    high = build_baseline(store, "nickel", "mine", 2022, distance_elasticity=3.0, home_bias=1.0)

    def domestic(b: Baseline) -> float:
        return float(b.flows.loc[b.flows["domestic"], "quantity_t"].sum())

    assert domestic(high) >= domestic(low)


def test_user_absorption_weights_replace_gdp(tmp_path: Path) -> None:
    production = production_rows("nickel", "mine", 2022, {
        "IDN": 1_600_000.0, "PHL": 330_000.0, "AUS": 160_000.0, "CAN": 140_000.0})
    flows = flow_rows([("PHL", "CHN", 2.5e9, 300_000.0, "observed"),
                       ("CAN", "USA", 1.0e8, 8_000.0, "observed")])
    store = make_store(tmp_path / "a.duckdb", production, flows, COUNTRIES)
    weights = {"CHN": 3.0, "JPN": 1.0, "IDN": 0.5, "PHL": 0.1, "AUS": 0.1, "CAN": 0.1}
    base = build_baseline(store, "nickel", "mine", 2022, absorption=weights)
    assert base.diagnostics["absorption_proxy"] == "user weights"
    assert base.diagnostics["constraint"].startswith("doubly constrained")
    cols = base.col_targets
    # A country without a weight absorbs only what it is observed to import.
    assert cols["USA"] == pytest.approx(8_000.0)
    assert cols["CHN"] > cols["JPN"] > cols["IDN"]
    with pytest.raises(InvalidParameterError, match="absorption"):
        build_baseline(store, "nickel", "mine", 2022, absorption={"CHN": -1.0})


def test_mineral_without_production_lists_the_minerals_with_data(store) -> None:
    with pytest.raises(UnknownMineralError, match="nickel"):
        build_baseline(store, "cobalt", "mine", 2022)


def test_a_full_baci_year_leaves_only_domestic_supply_to_estimate(tmp_path: Path) -> None:
    production = production_rows("nickel", "mine", 2022, {
        "IDN": 1_600_000.0, "PHL": 330_000.0, "OTH": 50_000.0})
    baci = flow_rows([("PHL", "CHN", 2.4e9, 290_000.0, "observed"),
                      ("IDN", "CHN", 5.0e7, 10_000.0, "observed")],
                     source="baci-hs17-y2022-v202401")
    comtrade = flow_rows([("IDN", "JPN", 1e6, 100.0, "mirror")])  # not in BACI: dropped
    s = make_store(tmp_path / "f.duckdb", production, pd.concat([baci, comtrade]), COUNTRIES)
    base = build_baseline(s, "nickel", "mine", 2022)
    est = base.flows[base.flows["method"] == "estimated"]
    # Every exporter is complete in BACI: estimates are domestic supply only. The
    # unattributed producers (OTH) export under their own names in BACI, so their residual
    # stays at home too.
    assert est["domestic"].all()
    assert base.diagnostics["complete_market"]
    assert ("IDN", "JPN") not in set(zip(base.flows["exporter"], base.flows["importer"]))
    assert "PHL" in base.diagnostics["complete_exporters"]
    np.testing.assert_allclose(base.matrix().sum(axis=1), base.row_targets, rtol=1e-9)


def test_baci_extract_completes_only_its_exporters(tmp_path: Path) -> None:
    production = production_rows("nickel", "mine", 2022, {"PHL": 330_000.0, "IDN": 1_600_000.0})
    flows = flow_rows([("PHL", "CHN", 2.4e9, 290_000.0, "observed")],
                      source="baci-hs92-y2022-v202401-extract")
    s = make_store(tmp_path / "e.duckdb", production, flows, COUNTRIES)
    base = build_baseline(s, "nickel", "mine", 2022)
    assert base.diagnostics["complete_exporters"] == ["PHL"]
    est = base.flows[base.flows["method"] == "estimated"]
    assert est.loc[est["exporter"] == "PHL", "domestic"].all()
    assert (~est.loc[est["exporter"] == "IDN", "domestic"]).any()  # IDN exports estimated


# --- USGS import sources and home absorption ------------------------------------------

def _gallium_store(path: Path) -> Store:
    """Gallium refinery 2023: China dominates; USGS gives US imports and their sources."""
    countries = ["CAN", "CHN", "DEU", "JPN", "KOR", "RUS", "USA"]
    production = production_rows("gallium", "refinery", 2023, {
        "CHN": 700.0, "JPN": 10.0, "KOR": 5.0, "RUS": 5.0})
    flows = flow_rows([], mineral="gallium", stage="refinery", year=2023, hs="811292")
    make_store(path, production, flows, countries)
    shares = pd.DataFrame({
        "mineral": "gallium", "stage": "refinery", "form": "Metal", "all_forms": False,
        "country": ["CAN", "JPN", "CHN", "DEU", "OTH"],
        "label": ["Canada", "Japan", "China", "Germany", "Other countries"],
        "share": [0.28, 0.22, 0.18, 0.16, 0.16], "bound": None, "period": "2021-24",
        "commodity": "Gallium", "note": None, "source": "usgs-imports-fixture"})
    salient = pd.DataFrame([{
        "mineral": "gallium", "year": 2023, "statistic": "Import: Imports for consumption: Metal",
        "value": 11_400.0, "unit": "kilograms", "flag": None, "estimated": False,
        "edition": 2026, "source": "usgs-salient-fixture", "commodity": "Gallium",
        "column": "Import", "description": None, "value_text": "11,400"}])
    write_store(path, [TableData("us_import_sources", shares, (origin("usgs-imports-fixture"),)),
                       TableData("us_salient", salient, (origin("usgs-salient-fixture"),))],
                base=path)
    return Store.open(path)


def test_usa_cells_follow_usgs_import_sources(tmp_path: Path) -> None:
    store = _gallium_store(tmp_path / "ga.duckdb")
    base = build_baseline(store, "gallium", "refinery", 2023)
    cells = base.flows.set_index(["exporter", "importer"])
    us = base.diagnostics["us_import_sources"]
    assert us["us_imports_t"] == pytest.approx(11.4)  # 11,400 kg of metal
    for c, share in {"CAN": 0.28, "JPN": 0.22, "CHN": 0.18, "DEU": 0.16}.items():
        cell = cells.loc[(c, "USA")]
        assert cell["quantity_t"] == pytest.approx(11.4 * share, rel=1e-12)  # held fixed
        assert cell["method"] == "estimated"
        assert "USGS import-source shares 2021–24" in cell["note"]
        assert cell["source"] == "usgs-imports-fixture"
    # "Other countries" (16 %) goes to unnamed exporters with spare supply: total = 11.4 t.
    us_in = base.flows[(base.flows["importer"] == "USA") & ~base.flows["domestic"]]
    assert us_in["quantity_t"].sum() == pytest.approx(11.4, rel=1e-8)
    # Canada and Germany produce no primary gallium: their supply is what they ship (hubs).
    assert base.row_targets["CAN"] == pytest.approx(11.4 * 0.28)
    m = base.matrix()
    np.testing.assert_allclose(m.sum(axis=1), base.row_targets, rtol=1e-6)
    np.testing.assert_allclose(m.sum(axis=0), base.col_targets, rtol=1e-6)
    assert {p["source"] for p in base.provenance} >= {"usgs-imports-fixture",
                                                      "usgs-salient-fixture"}
    # China is ~18 % of US supply, not ~100 %.
    china_share = cells.loc[("CHN", "USA"), "quantity_t"] / us_in["quantity_t"].sum()
    assert china_share == pytest.approx(0.18, abs=1e-9)
    off = build_baseline(store, "gallium", "refinery", 2023, us_import_shares=False)
    assert off.diagnostics["us_import_sources"] is None
    assert off.flows["note"].isna().all()
    # Without the shares, the calibrated home share alone gives the USA its published
    # absorption (11.4 t: no US production, no observed cell).
    assert off.diagnostics["home_share_source"].startswith("calibrated")
    assert off.col_targets["USA"] == pytest.approx(11.4, rel=1e-9)


def test_home_share_is_calibrated_to_us_imports_and_keeps_output_at_home(tmp_path: Path) -> None:
    store = _gallium_store(tmp_path / "ga.duckdb")
    base = build_baseline(store, "gallium", "refinery", 2023)
    d = base.diagnostics
    assert d["home_share_source"].startswith("calibrated")
    assert 0.0 <= d["home_share"] <= 1.0
    cells = base.flows.set_index(["exporter", "importer"])
    home = cells.loc[("CHN", "CHN"), "quantity_t"] / base.row_targets["CHN"]
    gdp_only = build_baseline(store, "gallium", "refinery", 2023, home_share=0.0)
    home0 = gdp_only.flows.set_index(["exporter", "importer"]).loc[("CHN", "CHN"), "quantity_t"]
    assert gdp_only.diagnostics["home_share_source"] == "user"
    assert home > home0 / gdp_only.row_targets["CHN"]
    assert home > 0.8  # most Chinese gallium is used in China
    with pytest.raises(InvalidParameterError, match="home_share must be between 0 and 1"):
        build_baseline(store, "gallium", "refinery", 2023, home_share=1.5)


def test_observed_us_cell_at_a_specific_code_beats_usgs_shares(tmp_path: Path) -> None:
    _gallium_store(tmp_path / "ga.duckdb")
    flows = flow_rows([("JPN", "USA", 5.0e6, 2.0, "observed")], mineral="gallium",
                      stage="refinery", year=2023, hs="811292")
    flows["hs_shared"] = False  # as if a gallium-only national line were loaded
    write_store(tmp_path / "ga.duckdb", [TableData("flows", flows, (origin("comtrade-fixture",
                                                                           False),))],
                base=tmp_path / "ga.duckdb")
    base = build_baseline(Store.open(tmp_path / "ga.duckdb"), "gallium", "refinery", 2023)
    cell = base.flows.set_index(["exporter", "importer"]).loc[("JPN", "USA")]
    assert cell["quantity_t"] == 2.0 and cell["method"] == "observed"
    assert pd.isna(cell["note"])


def test_real_gallium_and_aluminum_baselines_are_plausible(source_store) -> None:
    ga = build_baseline(source_store, "gallium", "refinery", 2023)
    cells = ga.flows.set_index(["exporter", "importer"])
    us_in = ga.flows[(ga.flows["importer"] == "USA") & ~ga.flows["domestic"]]
    # MCS 2026: US imports 11,400 kg of gallium metal in 2023, 18 % from China (2021-24).
    assert us_in["quantity_t"].sum() == pytest.approx(11.4, rel=1e-6)
    assert cells.loc[("CHN", "USA"), "quantity_t"] == pytest.approx(0.18 * 11.4, rel=1e-9)
    assert cells.loc[("CHN", "CHN"), "quantity_t"] / ga.row_targets["CHN"] > 0.8
    # Aluminum: the 'refinery' stage is alumina (Al2O3, HS 281820), 'smelter' primary metal
    # (HS 760110). Neither stage may ship more across borders than the world produces, and
    # the GDP proxy used to send ~70 % of each abroad (98 Mt of alumina).
    for stage, ceiling in (("refinery", 0.35), ("smelter", 0.45)):
        al = build_baseline(source_store, "aluminum", stage, 2023)
        trade = al.flows.loc[~al.flows["domestic"], "quantity_t"].sum()
        assert trade < ceiling * al.row_targets.sum(), (stage, trade)
    smelter = build_baseline(source_store, "aluminum", "smelter", 2023)
    assert smelter.basis == "Al metal"
    assert smelter.row_targets.sum() == pytest.approx(70e6, rel=0.05)


def test_a_market_whose_codes_are_all_complete_estimates_only_home_absorption(source_store):
    # manganese ore (260200) is one of the 30 codes of the complete BACI 2024 matrix
    base = build_baseline(source_store, "manganese", "mine", 2024)
    assert base.diagnostics["complete_market"]
    cross = base.flows[~base.flows["domestic"]]
    assert len(cross) > 100 and (cross["method"] != "estimated").all()
    assert base.estimated_cross_border_share == 0.0
    assert base.estimated_parts()["home absorption"] == pytest.approx(base.estimated_share)


def test_a_market_with_a_code_outside_the_complete_matrices_is_completed_by_estimation(source_store):
    # lithium chemicals: 283691 is complete, lithium hydroxide 282520 is not
    base = build_baseline(source_store, "lithium", "chemical", 2024)
    assert not base.diagnostics["complete_market"]


def test_iea_refining_output_becomes_production_where_usgs_has_none(source_store):
    from critmin.store.views import production_view

    rows = production_view(source_store, "lithium", stage="chemical", year=2024)
    assert set(rows["source"]) == {"iea-cmd-2025"}
    assert rows.set_index("country").loc["CHN", "quantity_t"] == pytest.approx(169_677.6, abs=1)
    iea = source_store.table("iea_refining", mineral="rare_earths")
    assert set(iea["edition"]) == {2024, 2025} and (iea["stage"] == "chemical").all()
