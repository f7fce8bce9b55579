"""Read views over the store: the default production selection and bad-input errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import (
    InvalidParameterError,
    UnknownMineralError,
    UnknownStageError,
    UnknownYearError,
)
from critmin.sources.origin import Origin
from critmin.store import Store
from critmin.store.catalog import TableData, write_store
from critmin.store.views import latest_production, nir_view, production_view, reserves_view


def _origin(source: str) -> Origin:
    return Origin(source, "test", "test rows", "1", "https://example.org", "public domain",
                  "0" * 64, "test.csv")


def _rows() -> pd.DataFrame:
    base = {"mineral": "cobalt", "stage": "mine", "basis": "Co content", "estimated": False,
            "flag": None, "label": "x", "note": None, "unit": "metric tons"}
    recs = [
        # 2024: both MCS 2025 and 2026 report it; 2026 wins
        ("COD", 2024, 220000.0, 2025, "usgs-mcs2025-world"),
        ("COD", 2024, 230000.0, 2026, "usgs-mcs2026-world"),
        ("WLD", 2024, 290000.0, 2025, "usgs-mcs2025-world"),
        ("WLD", 2024, 300000.0, 2026, "usgs-mcs2026-world"),
        # 2020: only BGS
        ("COD", 2020, 98000.0, 2023, "bgs-wms"),
        # 2022: USGS lists every country as withheld; BGS has the number
        ("COD", 2022, None, 2024, "usgs-mcs2024-world"),
        ("COD", 2022, 130000.0, 2023, "bgs-wms"),
        # 2021: USGS has it, BGS too; USGS wins
        ("COD", 2021, 119000.0, 2023, "usgs-mcs2023-world"),
        ("COD", 2021, 110000.0, 2023, "bgs-wms"),
        # 2019: USGS withheld, nobody else: the marker is shown
        ("USA", 2019, None, 2023, "usgs-mcs2023-world"),
    ]
    frame = pd.DataFrame([dict(base, country=c, year=y, quantity_t=q, edition=e, source=s)
                          for c, y, q, e, s in recs])
    frame.loc[frame["quantity_t"].isna(), "flag"] = "W"
    return frame


@pytest.fixture()
def tiny_store(tmp_path: Path) -> Store:
    frame = _rows()
    origins = tuple(_origin(s) for s in sorted(set(frame["source"])))
    write_store(tmp_path / "s.duckdb", [TableData("production", frame, origins)])
    return Store.open(tmp_path / "s.duckdb")


def test_latest_production_prefers_newest_usgs_then_bgs() -> None:
    inp = _rows()
    before = inp.copy()
    out = latest_production(inp).set_index(["country", "year"])
    pd.testing.assert_frame_equal(inp, before)  # input not mutated
    assert out.loc[("COD", 2024), "quantity_t"] == 230000.0
    assert out.loc[("COD", 2024), "edition"] == 2026
    assert out.loc[("COD", 2020), "source"] == "bgs-wms"
    assert out.loc[("COD", 2022), "source"] == "bgs-wms"      # USGS had only W
    assert out.loc[("COD", 2021), "source"] == "usgs-mcs2023-world"
    assert out.loc[("USA", 2019), "flag"] == "W"
    assert not out.index.duplicated().any()


def test_production_view_filters_and_orders(tiny_store: Store) -> None:
    rows = production_view(tiny_store, "Co", stage="mine", year=2024)
    assert rows["country"].tolist() == ["COD", "WLD"]
    assert rows.attrs["units"]["quantity_t"] == "t"
    only_2025 = production_view(tiny_store, "cobalt", source="usgs-mcs2025-world", year=2024)
    assert set(only_2025["edition"]) == {2025}
    bgs = production_view(tiny_store, "cobalt", source="bgs")
    assert set(bgs["source"]) == {"bgs-wms"} and len(bgs) == 3


def test_unknown_mineral_suggests(tiny_store: Store) -> None:
    with pytest.raises(UnknownMineralError, match="Did you mean 'cobalt'"):
        production_view(tiny_store, "cobolt")


def test_known_mineral_without_rows_says_so(tiny_store: Store) -> None:
    with pytest.raises(UnknownMineralError, match="no production rows"):
        production_view(tiny_store, "gallium")


def test_stage_without_data_lists_stages_with_data(tiny_store: Store) -> None:
    with pytest.raises(UnknownStageError, match="No refinery data for cobalt; stages with data: mine"):
        production_view(tiny_store, "cobalt", stage="refinery")
    with pytest.raises(UnknownStageError, match="not a known stage"):
        production_view(tiny_store, "cobalt", stage="roasting")


def test_year_without_data_lists_years(tiny_store: Store) -> None:
    with pytest.raises(UnknownYearError, match="years with data: 2019-2024"):
        production_view(tiny_store, "cobalt", year=1990)


def test_unknown_source_lists_sources(tiny_store: Store) -> None:
    with pytest.raises(InvalidParameterError, match="bgs-wms"):
        production_view(tiny_store, "cobalt", source="wikipedia")


def test_real_store_default_series(source_store: Store) -> None:
    store = source_store
    cobalt = production_view(store, "cobalt", stage="mine")
    assert cobalt.groupby(["year", "country", "basis"]).size().max() == 1
    y = cobalt.set_index(["year", "country"])
    assert y.loc[(2024, "COD"), "source"] == "usgs-mcs2026-world"
    assert y.loc[(2000, "COD"), "source"] == "bgs-wms"
    # germanium: MCS 2024 lists producers with NA only, so BGS fills 2021-2023
    ge = production_view(store, "germanium", year=2023)
    assert set(ge["source"]) == {"bgs-wms"} and ge["quantity_t"].notna().any()


def test_real_reserves_and_nir_views(source_store: Store) -> None:
    store = source_store
    ree = reserves_view(store, "rare earths").set_index("country")
    assert ree.loc["BRA", "quantity_t"] == 11_000_000          # MCS 2026 v1.3 correction
    assert ree.loc["WLD", "flag"] == ">"
    with pytest.raises(UnknownYearError):
        reserves_view(store, "rare earths", year=1950)
    ga = nir_view(store, "gallium", year=2024)
    assert set(ga["nir_share"]) == {1.0} and set(ga["edition"]) == {2026}
