"""Pink Sheet (original xlsx, cross-checked with the derived CSV) and USGS salient prices."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from critmin.errors import SourceFormatError
from critmin.sources import prices, usgs_salient_prices
from critmin.vocab import minerals


@pytest.fixture(scope="module")
def pink(shared_data) -> pd.DataFrame:
    return prices.parse_pink_sheet(shared_data / prices.PINK_FILE).frame


@pytest.fixture(scope="module")
def usgs(shared_data) -> pd.DataFrame:
    return usgs_salient_prices.parse_salient_prices(shared_data / usgs_salient_prices.DIR).frame


def test_pink_sheet_has_the_fifteen_series_and_every_month(pink):
    assert pink["series"].nunique() == 15
    assert len(pink) == 11_870  # the derived CSV's row count
    copper = pink[pink["series"] == "wb_pink:copper"]
    assert copper["period"].min() == "1960-01" and copper["period"].max() == "2026-05"


def test_pink_sheet_known_values_and_conversions(pink):
    at = pink.set_index(["series", "period"])
    assert at.loc[("wb_pink:copper", "2026-05"), "price"] == pytest.approx(13543.19)
    assert at.loc[("wb_pink:copper", "1960-01"), "price"] == pytest.approx(715.4)
    gold = at.loc[("wb_pink:gold", "2026-05")]
    assert gold["unit"] == "$/troy oz" and gold["price"] == pytest.approx(4587.21)
    assert gold["price_usd_per_t"] == pytest.approx(4587.21 * 32_150.7466, rel=1e-9)
    iron = at.loc[("wb_pink:iron_ore", "2026-05")]
    assert iron["price_usd_per_t"] == pytest.approx(108.64) and "dry metric tonne" in iron["unit_note"]


def test_ellipsis_is_missing_not_zero(pink):
    dap = pink[pink["series"] == "wb_pink:dap"]
    assert len(dap) == 713 and dap["price"].gt(0).all()  # "…" months are absent


def test_series_name_the_vocabulary_mineral(pink):
    mapped = pink.dropna(subset=["mineral"]).groupby("series")["mineral"].first()
    assert mapped["wb_pink:potassium_chloride"] == "potash"
    assert mapped["wb_pink:phosphate_rock"] == "phosphate"
    assert set(mapped) <= set(minerals())
    assert pink.loc[pink["series"] == "wb_pink:urea", "mineral"].isna().all()


def test_workbook_agrees_with_the_derived_csv(pink, shared_data):
    mismatch = prices.cross_check_pink_csv(pink, shared_data / prices.PINK_CSV)
    assert mismatch.empty


def test_cross_check_catches_an_altered_value(pink, shared_data, tmp_path):
    derived = pd.read_csv(shared_data / prices.PINK_CSV)
    derived.loc[(derived["commodity"] == "Copper") & (derived["period"] == "2026M05"), "price"] = 1.0
    path = tmp_path / "altered.csv"
    derived.to_csv(path, index=False)
    mismatch = prices.cross_check_pink_csv(pink, path)
    assert mismatch[["series", "period", "price_csv"]].values.tolist() == [
        ["wb_pink:copper", "2026-05", 1.0]]


def _workbook(path, header_rows, months):
    wb = Workbook()
    ws = wb.active
    ws.title = prices.SHEET
    for row in header_rows:
        ws.append(row)
    for row in months:
        ws.append(row)
    wb.save(path)


def test_older_vintage_with_a_series_code_row_parses(tmp_path):
    names = list(prices.PINK_SERIES)
    units = ["($/mt)"] * len(names)
    units[names.index("Gold")] = units[names.index("Platinum")] = units[names.index("Silver")] = "($/troy oz)"
    units[names.index("Iron ore, cfr spot")] = "($/dmtu)"
    path = tmp_path / "old.xlsx"
    _workbook(path, [["World Bank Commodity Price Data (The Pink Sheet)"], [], [], [],
                     [None, *[n + (" **" if n == "Potassium chloride" else "") for n in names]],
                     [None, *units], [None, *[f"CODE{i}" for i in range(len(names))]]],
              [["2020M01", *[float(i + 1) for i in range(len(names))]],
               ["2020M02", *(["…"] * len(names))]])
    frame = prices.parse_pink_sheet(path).frame
    assert len(frame) == len(names) and set(frame["period"]) == {"2020-01"}
    assert frame.set_index("series").loc["wb_pink:potassium_chloride", "price"] == names.index(
        "Potassium chloride") + 1


def test_missing_series_is_named(tmp_path):
    path = tmp_path / "short.xlsx"
    _workbook(path, [[None, "Copper", "Gold", "Tin", "Zinc", "Lead"],
                     [None, "($/mt)", "($/troy oz)", "($/mt)", "($/mt)", "($/mt)"]],
              [["2020M01", 1, 2, 3, 4, 5]])
    with pytest.raises(SourceFormatError, match="lacks series.*'Aluminum'"):
        prices.parse_pink_sheet(path)


def test_not_a_workbook_is_a_source_format_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceFormatError, match="not a readable xlsx"):
        prices.parse_pink_sheet(path)


def test_usgs_salient_prices_known_values(usgs):
    at = usgs.set_index(["series", "year"])
    ga = at.loc[("usgs:gallium:Price_High-purity_dkg", 2024)]
    assert ga["price"] == 500 and ga["price_usd_per_t"] == 500_000 and ga["estimated"]
    assert not at.loc[("usgs:gallium:Price_High-purity_dkg", 2023), "estimated"]
    co = at.loc[("usgs:cobalt:Price_LME_dlb", 2022)]
    assert co["price_usd_per_t"] == pytest.approx(28.83 * 2204.62262, rel=1e-8)
    pt = at.loc[("usgs:platinum:Price_Platinum_dto", 2021)]
    assert pt["mineral"] == "platinum" and pt["unit"] == "dollars per troy ounce"
    nd = at.loc[("usgs:neodymium:Price_Nd2O3_dkg", 2022)]
    assert nd["price"] == 134 and nd["mineral"] == "neodymium"


def test_usgs_prices_are_annual_and_skip_text_values(usgs):
    assert (usgs["frequency"] == "annual").all() and usgs["month"].isna().all()
    assert usgs["price"].notna().all()
    assert set(usgs["mineral"]) <= set(minerals())
    assert usgs["series"].str.startswith("usgs:").all()
    assert usgs["year"].between(2020, 2024).all()
    assert not usgs.duplicated(["series", "year"]).any()


def test_usgs_unit_conversion_table():
    assert usgs_salient_prices.unit_factor("cents per pound")[0] == pytest.approx(22.0462262)
    assert usgs_salient_prices.unit_factor("dollars per short ton")[0] == pytest.approx(1.10231131)
    assert usgs_salient_prices.unit_factor("dollars per flask")[0] == pytest.approx(1000 / 34.5)
    factor, note = usgs_salient_prices.unit_factor("dollars per kilogram of contained beryllium")
    assert factor == 1000 and "contained beryllium" in note
    factor, note = usgs_salient_prices.unit_factor("dollars per carat")
    assert factor is None and "not a mass unit" in note
