"""Basket codes (811292): the basket is observed, its split to one mineral is estimated."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flow_fixtures import flow_rows, make_store, origin, production_rows  # noqa: E402

from critmin.baseline import build_baseline  # noqa: E402
from critmin.baseline_basket import basket_split, basket_summary  # noqa: E402
from critmin.baseline_store import market_coverage  # noqa: E402
from critmin.store import Store  # noqa: E402
from critmin.store.catalog import TableData, write_store  # noqa: E402

COUNTRIES = ["BRA", "CAN", "CHN", "DEU", "JPN", "POL", "UKR", "USA"]
BACI = "baci-hs17-y2024-v202601-cma30"


def make_basket_store(path: Path, *, hafnium: bool = True, ukr_pol_t: float = 0.1) -> Store:
    """Gallium refinery 2024 on the complete 811292 matrix: China and Japan produce several
    basket metals, Ukraine gallium only, Brazil niobium only; every basket metal has some
    country production (hafnium only with ``hafnium``); USGS gives US gallium imports
    (20 t) and their sources (Germany's 16 % = 3.2 t exceeds its 1 t basket cell)."""
    production = pd.concat([
        production_rows("gallium", "refinery", 2024, {"CHN": 700.0, "JPN": 3.0, "UKR": 2.0}),
        production_rows("indium", "refinery", 2024, {"CHN": 700.0, "JPN": 60.0}).assign(
            source="usgs-fixture-indium"),
        production_rows("germanium", "refinery", 2024, {"CHN": 100.0}),
        production_rows("rhenium", "mine", 2024, {"CHN": 3.0}),
        production_rows("vanadium", "mine", 2024, {"CHN": 70_000.0}),
        *([production_rows("hafnium", "refinery", 2024, {"CHN": 10.0})] if hafnium else []),
        production_rows("niobium", "mine", 2024, {"BRA": 80_000.0})])
    # (exporter, importer, value_usd, tonnes): unit values in USD/kg in the comments
    flows = flow_rows([("CHN", "USA", 60e6, 200.0, "observed"),   # 300
                       ("CAN", "USA", 25e6, 100.0, "observed"),   # 250
                       ("DEU", "USA", 0.4e6, 1.0, "observed"),    # 400: the cap binds
                       ("UKR", "DEU", 0.4e6, 1.0, "observed"),    # 400: fits gallium
                       ("UKR", "POL", ukr_pol_t * 1e4, ukr_pol_t, "observed"),  # 10: does not
                       ("BRA", "CHN", 43e6, 700.0, "observed"),   # 61: niobium's producer
                       ("JPN", "DEU", 3e6, 10.0, "observed")],    # 300, several metals
                      mineral="gallium", stage="refinery", year=2024, source=BACI,
                      hs="811292")
    flows = flows.assign(quantity_gross_t=flows["quantity_t"], content_factor=1.0,
                         basis="gross weight", factor_assumed=False, hs_shared=True,
                         nomenclature="HS17", coverage="complete", quantity_method="reported")
    make_store(path, production[production["source"] == "usgs-fixture"], flows,
               COUNTRIES).close()
    shares = pd.DataFrame({
        "mineral": "gallium", "stage": "refinery", "form": "Metal", "all_forms": False,
        "country": ["CAN", "JPN", "CHN", "DEU", "OTH"],
        "label": ["Canada", "Japan", "China", "Germany", "Other countries"],
        "share": [0.28, 0.22, 0.18, 0.16, 0.16], "bound": None, "period": "2021-24",
        "commodity": "Gallium", "note": None, "source": "usgs-imports-fixture"})
    salient = pd.DataFrame([{
        "mineral": "gallium", "year": 2024, "statistic": "Import: Imports for consumption: Metal",
        "value": 20_000.0, "unit": "kilograms", "flag": None, "estimated": False,
        "edition": 2026, "source": "usgs-salient-fixture", "commodity": "Gallium",
        "column": "Import", "description": None, "value_text": "20,000"}])
    prices = pd.DataFrame({
        "mineral": "gallium", "series": ["usgs:gallium:low", "usgs:gallium:high"],
        "description": "fixture", "period": "2024", "year": 2024, "month": None,
        "price": [220.0, 500.0], "unit": "dollars per kilogram",
        "price_usd_per_t": [220_000.0, 500_000.0], "unit_note": "", "frequency": "annual",
        "estimated": False, "source": "usgs-prices-fixture"})
    write_store(path, [TableData("production", production, (origin("usgs-fixture"),
                                                            origin("usgs-fixture-indium"))),
                       TableData("us_import_sources", shares, (origin("usgs-imports-fixture"),)),
                       TableData("us_salient", salient, (origin("usgs-salient-fixture"),)),
                       TableData("prices", prices, (origin("usgs-prices-fixture"),))], base=path)
    return Store.open(path)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return make_basket_store(tmp_path / "ga.duckdb")


def test_basket_cells_are_split_only_where_the_evidence_allows(store: Store):
    split = basket_split(store, "gallium", "refinery", 2024).set_index(["exporter", "importer"])
    # US imports: USGS's share of US gallium imports x 20 t, capped at the basket cell
    assert split.loc[("CHN", "USA"), "split_method"] == "usgs-import-sources"
    assert split.loc[("CHN", "USA"), "quantity_t"] == pytest.approx(20.0 * 0.18)
    assert split.loc[("CAN", "USA"), "quantity_t"] == pytest.approx(20.0 * 0.28)
    # Ukraine produces gallium and no other basket metal, at a unit value that fits gallium
    assert split.loc[("UKR", "DEU"), "split_method"] == "sole-producer"
    assert split.loc[("UKR", "DEU"), "quantity_t"] == pytest.approx(1.0)
    # ...but USD 10/kg is not gallium; Brazil (niobium) and Japan (several metals): unsplit
    for cell in (("UKR", "POL"), ("BRA", "CHN"), ("JPN", "DEU")):
        assert split.loc[cell, "split_method"] == "none"
        assert pd.isna(split.loc[cell, "quantity_t"])
    assert split["note"].dropna().str.startswith("basket split").all()


def test_coverage_says_the_basket_is_observed_and_the_split_estimated(store: Store):
    summary = basket_summary(basket_split(store, "gallium", "refinery", 2024),
                             "gallium", "refinery")
    assert summary["basket_code"] == "811292"
    assert summary["basket_cross_border_t"] == pytest.approx(1012.1)
    assert summary["basket_observed_share"] == 1.0
    assert summary["basket_split_share"] == pytest.approx(302.0 / 1012.1)
    assert summary["basket_mineral_t"] == pytest.approx(20.0 * (0.18 + 0.28) + 1.0 + 1.0)
    assert "usgs-import-sources (3 cells" in summary["split_method"]
    assert "sole-producer (1 cells" in summary["split_method"]
    rows = market_coverage(store, 2024)
    ga = rows[(rows["mineral"] == "gallium") & (rows["stage"] == "refinery")].iloc[0]
    assert ga["basket_code"] == "811292" and ga["basket_observed_share"] == 1.0
    assert ga["split_method"] == summary["split_method"]
    # a split is never called observed: every gallium cross-border cell is estimated
    assert ga["estimated_cross_border_share"] == pytest.approx(1.0)
    assert ga["basket_split_cells_share"] > 0


def test_the_baseline_holds_split_cells_fixed_and_flags_them(store: Store):
    base = build_baseline(store, "gallium", "refinery", 2024)
    cells = base.flows.set_index(["exporter", "importer"])
    ukr = cells.loc[("UKR", "DEU")]
    assert ukr["quantity_t"] == pytest.approx(1.0)
    assert ukr["method"] == "estimated" and ukr["source"] == BACI and ukr["hs_shared"]
    assert ukr["note"].startswith("basket split (sole-producer)")
    assert base.estimated_cross_border_share == pytest.approx(1.0)
    assert base.diagnostics["basket"]["cells_fixed"] == 1
    assert base.estimated_parts()["basket split"] == pytest.approx(1.0 / base.total_t)
    # the baseline with the basket counted whole (include_shared) has no split
    whole = build_baseline(store, "gallium", "refinery", 2024, include_shared=True)
    assert "basket" not in whole.diagnostics


def test_a_year_without_a_complete_basket_is_not_split(store: Store):
    split = basket_split(store, "gallium", "refinery", 2023)
    assert split.empty
    summary = basket_summary(split, "gallium", "refinery")
    assert summary["basket_observed_share"] is None
    assert summary["split_method"].startswith("not split")


def test_usgs_cells_of_the_baseline_never_exceed_the_observed_basket_cell(store: Store):
    # Germany's USGS share of US imports (16 % x 20 t = 3.2 t) exceeds its whole observed
    # basket cell into the USA (1 t of all seven metals); Japan (22 %) has no basket cell
    base = build_baseline(store, "gallium", "refinery", 2024)
    cells = base.flows.set_index(["exporter", "importer"])["quantity_t"]
    assert cells[("DEU", "USA")] == pytest.approx(1.0)
    assert "capped at the observed basket cell" in base.flows.set_index(
        ["exporter", "importer"]).loc[("DEU", "USA"), "note"]
    assert ("JPN", "USA") not in cells.index
    assert cells[("CHN", "USA")] == pytest.approx(3.6)  # under the cap: untouched
    # the excess stays in the USA's imports, from sources the completion chooses
    us = base.diagnostics["us_import_sources"]
    assert us["other_countries_t"] == pytest.approx(20.0 * 0.16 + (3.2 - 1.0) + 4.4)
    # coverage and the baseline agree on the mineral's tonnes in the split cells
    split = basket_split(store, "gallium", "refinery", 2024)
    for e, i, q in split.loc[split["split_method"] != "none",
                             ["exporter", "importer", "quantity_t"]].itertuples(index=False):
        assert cells[(e, i)] == pytest.approx(q)
    held = sum(cells[(e, i)] for e, i in [("CHN", "USA"), ("CAN", "USA"), ("DEU", "USA"),
                                          ("UKR", "DEU")])
    assert base.diagnostics["basket"]["basket_mineral_t"] == pytest.approx(held)
    row = market_coverage(store, 2024).query("mineral == 'gallium' and stage == 'refinery'")
    assert row["basket_mineral_t"].iloc[0] == pytest.approx(held)


def test_no_sole_producer_split_when_a_basket_metal_has_no_production_data(tmp_path: Path):
    # without hafnium rows any hafnium producer would look like a sole gallium producer
    store = make_basket_store(tmp_path / "nohf.duckdb", hafnium=False)
    split = basket_split(store, "gallium", "refinery", 2024).set_index(["exporter", "importer"])
    assert split.loc[("UKR", "DEU"), "split_method"] == "none"
    assert (split["split_method"] != "sole-producer").all()
    summary = basket_summary(split.reset_index(), "gallium", "refinery")
    assert "refused: no country production of hafnium" in summary["split_method"]
    # the USGS split does not rest on production and stands
    assert split.loc[("CHN", "USA"), "split_method"] == "usgs-import-sources"


def test_no_sole_producer_split_when_the_exporters_basket_unit_values_disagree(tmp_path: Path):
    # Ukraine ships 3 t at USD 10/kg beside 1 t at gallium's price: several metals
    store = make_basket_store(tmp_path / "mixed.duckdb", ukr_pol_t=3.0)
    split = basket_split(store, "gallium", "refinery", 2024).set_index(["exporter", "importer"])
    assert split.loc[("UKR", "DEU"), "split_method"] == "none"


def test_a_split_baseline_names_the_basket_inputs_in_its_provenance(store: Store):
    base = build_baseline(store, "gallium", "refinery", 2024)
    named = {(p["table"], p["source"]) for p in base.provenance}
    assert ("flows", BACI) in named                       # the split cells' release
    assert ("prices", "usgs-prices-fixture") in named     # the unit-value test
    assert ("production", "usgs-fixture-indium") in named  # another basket metal's output
    assert ("us_import_sources", "usgs-imports-fixture") in named
