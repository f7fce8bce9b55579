"""critmin.baseline: observed cells kept, margins met, estimates flagged, clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flow_fixtures import flow_rows, make_store, production_rows

from critmin.baseline import Baseline, build_baseline, observed_flows
from critmin.errors import (
    InvalidParameterError,
    UnknownMineralError,
    UnknownStageError,
    UnknownYearError,
)

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
    # Every named exporter is complete in BACI: estimates are domestic supply, plus the
    # exports of the unattributed OTH.
    assert est.loc[est["exporter"] != "OTH", "domestic"].all()
    assert (~est.loc[est["exporter"] == "OTH", "domestic"]).any()
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
