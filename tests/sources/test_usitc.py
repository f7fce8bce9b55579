"""USITC DataWeb: the tidy extract and the original workbooks (quantities, partial 2026)."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.errors import SourceFormatError
from critmin.sources.usitc import read_usitc

TIDY = "usitc_dataweb/us_trade_selected_partners_hts4_1993_2026_tidy.csv.gz"


@pytest.fixture(scope="module")
def usitc(shared_data: Path):
    return read_usitc(shared_data / TIDY)


@pytest.mark.shared
def test_us_imports_and_exports_by_partner(usitc) -> None:
    frame = usitc.frame
    imports = frame[frame["importer"] == "USA"]
    exports = frame[frame["exporter"] == "USA"]
    assert imports["method"].eq("observed").all() and exports["method"].eq("mirror").all()
    assert frame["year"].min() == 1993
    assert "COD" in set(imports["exporter"]) and "CHN" in set(imports["exporter"])
    # Canada is the largest source of US unwrought nickel (7502) among the 18 partners.
    ni = imports[(imports["hs"] == "7502") & (imports["year"] == 2022)].set_index("exporter")
    assert ni["value_usd"].idxmax() == "CAN" and ni.loc["CAN", "value_usd"] > 5e8
    assert ni.loc["CAN", "quantity_gross_t"] > 10_000  # tonnes, from the workbook
    assert all(o.redistributable and o.licence == "public domain" for o in usitc.origins)


@pytest.mark.shared
def test_partial_2026_is_flagged_and_read_from_year_to_date_sheets(usitc) -> None:
    frame = usitc.frame
    y2026 = frame[frame["year"] == 2026]
    assert len(y2026) > 100 and y2026["partial_year"].all()
    assert not frame.loc[frame["year"] < 2026, "partial_year"].any()
    assert (y2026["value_usd"] > 0).all()
    assert y2026["source"].eq("usitc-dataweb-xlsx").all()


def test_unknown_flow_is_named(tmp_path: Path) -> None:
    path = tmp_path / "tidy.csv"
    path.write_text("flow,partner,hts4,year,value_usd,partial_year\nre_exports,Canada,7502,2022,1,False\n")
    with pytest.raises(SourceFormatError, match=r"flow\(s\) \['re_exports'\]"):
        read_usitc(path, workbooks={})


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "tidy.csv"
    path.write_text("flow,partner,year,value\nimports_for_consumption,Canada,2022,1\n")
    with pytest.raises(SourceFormatError, match="hts4"):
        read_usitc(path, workbooks={})
