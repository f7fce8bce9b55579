"""Pink Sheet (original xlsx, cross-checked with the derived CSV) and USGS salient prices."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from critmin.errors import SourceFormatError
from critmin.sources import prices
from critmin.store.build import build_tables
from critmin.vocab import minerals


@pytest.fixture(scope="module")
def pink(shared_data) -> pd.DataFrame:
    return prices.parse_pink_sheet(shared_data / prices.PINK_FILE).frame


@pytest.fixture(scope="module")
def salient(shared_data) -> pd.DataFrame:
    """The us_salient table as the build makes it (corrections applied)."""
    [table] = [t for t in build_tables(shared_data, only=["us_salient"]) if t.name == "us_salient"]
    return table.frame


@pytest.fixture(scope="module")
def usgs(salient) -> pd.DataFrame:
    return prices.usgs_prices(salient)


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
    assert iron["price_usd_per_t"] == pytest.approx(108.64)
    assert "dry metric tonne" in iron["unit_note"]


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
    may_copper = (derived["commodity"] == "Copper") & (derived["period"] == "2026M05")
    derived.loc[may_copper, "price"] = 1.0
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
    for metal in ("Gold", "Platinum", "Silver"):
        units[names.index(metal)] = "($/troy oz)"
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


def test_usgs_prices_known_values(usgs):
    at = usgs.set_index(["series", "source", "year"])
    ga = at.loc[("usgs:gallium:Price_High-purity_dkg", "usgs-mcs2025-salient", 2024)]
    assert ga["price"] == 500 and ga["price_usd_per_t"] == 500_000 and ga["estimated"]
    assert not at.loc[("usgs:gallium:Price_High-purity_dkg", "usgs-mcs2025-salient", 2023),
                      "estimated"]
    co = at.loc[("usgs:cobalt:Price_LME_dlb", "usgs-mcs2025-salient", 2022)]
    assert co["price_usd_per_t"] == pytest.approx(28.83 * 2204.62262, rel=1e-8)
    sb = usgs[(usgs["mineral"] == "antimony") & (usgs["source"] == "usgs-mcs2026-salient")]
    latest = sb.set_index("year").loc[2025]
    assert latest["price"] == 25 and latest["estimated"]
    assert latest["price_usd_per_t"] == pytest.approx(25 * 2204.62262, rel=1e-8)


def test_usgs_prices_name_the_element_of_multi_element_tables(usgs):
    pt = usgs[usgs["series"].str.endswith("Price_Platinum_dto")]
    assert set(pt["mineral"]) == {"platinum"}
    assert pt.set_index(["source", "year"]).loc[("usgs-mcs2025-salient", 2021), "price"] == (
        pytest.approx(1094.31))
    nd = usgs[usgs["series"].str.endswith("Price_Nd2O3_dkg")]
    assert set(nd["mineral"]) == {"neodymium"}


def test_mcs2024_fused_unit_token_is_read_and_series_match_other_editions(usgs):
    ga = usgs[usgs["series"] == "usgs:gallium:Price_High-purity_dkg"]
    assert set(ga["source"]) == {"usgs-mcs2023-salient", "usgs-mcs2024-salient",
                                 "usgs-mcs2025-salient"}
    assert (ga["unit"] == "dollars per kilogram").all()
    assert ga.set_index(["source", "year"]).loc[("usgs-mcs2024-salient", 2023), "price"] == 450


def test_usgs_prices_are_plain_published_numbers_only(usgs, salient):
    assert (usgs["frequency"] == "annual").all() and usgs["month"].isna().all()
    assert usgs["price"].notna().all() and usgs["unit"].str.contains("dollar|cent").all()
    assert set(usgs["mineral"]) <= set(minerals())
    assert not usgs.duplicated(["source", "series", "year"]).any()
    assert set(usgs["source"]) == {f"usgs-mcs{e}-salient" for e in (2023, 2024, 2025, 2026)}
    # a withheld, bounded or range value is never turned into a price
    texty = salient[salient["column"].str.contains("Price") & salient["flag"].isin(
        ["W", "NA", "range", ">", "<"])]
    assert len(texty) > 0
    keys = set(zip(usgs["source"], usgs["year"], usgs["price"], strict=True))
    assert not any((r.source, r.year, r.value) in keys for r in texty.itertuples()
                   if pd.notna(r.value) and r.flag == "range")


def test_usgs_unit_conversion_table():
    assert prices.unit_factor("cents per pound")[0] == pytest.approx(22.0462262)
    assert prices.unit_factor("dollars per short ton")[0] == pytest.approx(1.10231131)
    assert prices.unit_factor("dollars per flask")[0] == pytest.approx(1000 / 34.5)
    assert prices.unit_factor("dollars per 50 grams")[0] == pytest.approx(20_000)
    factor, note = prices.unit_factor("dollars per kilogram of contained beryllium")
    assert factor == 1000 and "contained beryllium" in note
    factor, note = prices.unit_factor("dollars per dry metric ton unit")
    assert factor == 100 and "10 kg" in note
    for not_mass in ("dollars per carat", "dollars per 100 milliliters", "index"):
        assert prices.unit_factor(not_mass)[0] is None


def test_usgs_prices_refuse_a_frame_without_salient_columns():
    with pytest.raises(SourceFormatError, match="us_salient lacks column"):
        prices.usgs_prices(pd.DataFrame({"mineral": ["gallium"]}))


def test_descriptions_come_from_the_workbook(pink):
    desc = pink.groupby("series")["description"].first()
    assert desc["wb_pink:phosphate_rock"] == "Phosphate rock , f.o.b. North Africa"
    assert "from June 2025" in desc["wb_pink:gold"]  # the methodology change is visible
    assert desc["wb_pink:copper"].startswith("Copper (LME), grade A")


def test_prices_table_in_the_built_store(source_store):
    frame = source_store.table("prices")
    prov = source_store.provenance(["prices"])
    assert set(frame["source"]) == set(prov["source"])
    assert {"wb-pink-sheet-2026-06", "usgs-mcs2026-salient"} <= set(frame["source"])
    # the USGS rows share the us_salient release records
    salient = source_store.provenance(["us_salient"]).set_index("source")["sha256"]
    for r in prov[prov["source"].str.startswith("usgs")].itertuples():
        assert r.sha256 == salient[r.source]
    cobalt = source_store.table("prices", mineral="cobalt")
    assert cobalt["price_usd_per_t"].notna().all() and len(cobalt) > 10
