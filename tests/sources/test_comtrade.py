"""UN Comtrade parser, mirror reconciliation, China's monthly exports, the Harvard Atlas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceFormatError
from critmin.sources.comtrade import read_atlas, read_china_monthly, read_comtrade, reconcile_mirror

NICKEL = "comtrade/UN_nickel_trade_HS260400_750110_2000_2024.csv.gz"


@pytest.mark.shared
def test_full_nickel_matrix_parses_and_drops_world(shared_data: Path) -> None:
    parsed = read_comtrade(shared_data / NICKEL)
    frame = parsed.frame
    assert set(frame["hs"]) == {"260400", "750110"}
    assert set(frame["flow"]) == {"M", "X"}
    assert "WLD" not in set(frame["partner"]) and frame["partner"].notna().all()
    assert frame["reporter"].nunique() > 150
    assert frame["year"].between(2000, 2024).all()
    assert not parsed.origins[0].redistributable  # UN Comtrade terms
    # China's reported 2022 imports of Philippine nickel ore: tens of millions of tonnes.
    phl = frame[(frame["reporter"] == "CHN") & (frame["partner"] == "PHL") & (frame["year"] == 2022)
                & (frame["flow"] == "M") & (frame["hs"] == "260400")]
    assert 20e6 < phl["quantity_gross_t"].sum() < 50e6
    flows = reconcile_mirror(frame)
    assert set(flows["method"]) == {"observed", "mirror"}
    # One flow per (year, exporter, importer, code): the two reports are never added.
    assert not flows.duplicated(["year", "exporter", "importer", "hs"]).any()


def _reported() -> pd.DataFrame:
    rows = [  # year, reporter, partner, flow, hs, value, tonnes
        (2022, "CHN", "PHL", "M", "260400", 100.0, 10.0),   # importer report
        (2022, "PHL", "CHN", "X", "260400", 90.0, 9.0),     # exporter report of the same flow
        (2022, "JPN", "NCL", "M", "260400", 50.0, None),    # importer report, no quantity
        (2022, "NCL", "JPN", "X", "260400", 45.0, 4.0),
        (2022, "AUS", "KOR", "X", "260400", 30.0, 3.0),     # only the exporter reported
    ]
    frame = pd.DataFrame(rows, columns=["year", "reporter", "partner", "flow", "hs", "value_usd",
                                        "quantity_gross_t"])
    return frame.assign(source="comtrade-test")


def test_mirror_prefers_the_importer_and_records_the_method() -> None:
    reported = _reported()
    before = reported.copy()
    flows = reconcile_mirror(reported).set_index(["exporter", "importer"])
    pd.testing.assert_frame_equal(reported, before)  # input not mutated
    assert flows.loc[("PHL", "CHN"), "value_usd"] == 100.0
    assert flows.loc[("PHL", "CHN"), "method"] == "observed"
    assert flows.loc[("AUS", "KOR"), "value_usd"] == 30.0
    assert flows.loc[("AUS", "KOR"), "method"] == "mirror"
    # Importer's value, exporter's quantity where the importer gave none; flagged.
    assert flows.loc[("NCL", "JPN"), "value_usd"] == 50.0
    assert flows.loc[("NCL", "JPN"), "quantity_gross_t"] == 4.0
    assert bool(flows.loc[("NCL", "JPN"), "quantity_from_mirror"])
    assert len(flows) == 3


def test_api_export_with_codes_only(tmp_path: Path) -> None:
    path = tmp_path / "comtrade_api.csv"
    path.write_text("refYear,reporterCode,flowCode,partnerCode,cmdCode,qtyUnitCode,qty,netWgt,primaryValue\n"
                    "2023,842,M,156,811292,8,1000,1000,5000000\n"
                    "2023,842,M,0,811292,8,1200,1200,6000000\n"
                    "2023,842,M,490,811292,8,10,,70000\n")
    frame = read_comtrade(path).frame
    assert len(frame) == 2  # World dropped
    assert set(frame["partner"]) == {"CHN", "TWN"}
    assert frame["reporter"].eq("USA").all()
    assert frame.loc[frame["partner"] == "TWN", "quantity_gross_t"].item() == pytest.approx(0.01)


def test_wrong_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("year,country,value\n2022,CHN,1\n")
    with pytest.raises(SourceFormatError, match=r"lacks column\(s\) for \['flow', 'hs', 'value_usd'\]"):
        read_comtrade(path)


def test_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text("refYear,reporterISO,flowCode,partnerISO,cmdCode,primaryValue\n"
                    "2022,CHN,M,PHL,260400,100\n20")
    with pytest.raises(SourceFormatError, match="truncated"):
        read_comtrade(path)


@pytest.mark.shared
def test_china_monthly_exports_by_partner(shared_data: Path) -> None:
    parsed = read_china_monthly(shared_data / "comtrade/china_exports_monthly_qennis")
    frame = parsed.frame
    assert len(frame) == 6442
    assert frame["exporter"].eq("CHN").all()
    assert set(frame["hs6"]) == {"250410", "380110", "811292"}
    assert frame["period"].min() == "2017-01" and frame["period"].max() == "2024-12"
    assert not parsed.origins[0].redistributable
    # Ga/Ge licensing took effect on 1 August 2023: 811292 exports dipped that month
    # (the code also holds In, Nb, ..., so the dip is partial) and rebounded in Q4.
    gage = frame[frame["hs6"] == "811292"].groupby("period")["value_usd"].sum()
    assert gage["2023-08"] < gage["2023-07"]
    assert gage["2023-08"] < gage[gage.index.str.startswith("2022")].mean()
    assert frame["unit_value_usd_per_t"].dropna().map(lambda v: v != float("inf")).all()


@pytest.mark.shared
def test_atlas_rows_are_counted_once(shared_data: Path) -> None:
    path = next((shared_data / "atlas_harvard").glob("*283691*.csv"))
    frame = read_atlas(path).frame
    raw = pd.read_csv(path)
    assert frame["value_usd"].sum() == pytest.approx(raw["export_value"].sum())
    assert not frame.duplicated(["year", "exporter", "importer"]).any()
    chl = frame[(frame["exporter"] == "CHL") & (frame["year"] == 2018)]["value_usd"].sum()
    assert chl > 5e8  # Chile is the leading lithium carbonate exporter
