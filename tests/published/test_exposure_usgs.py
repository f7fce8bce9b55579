"""US exposure rows carry an import reliance USGS would recognise, and basket codes are
labelled, on a store built from ../shared/data.

Source: USGS MCS 2025 and 2026 salient statistics (published net import reliance: gallium
100 %, germanium >50 %) and MCS 2026 US import sources 2021-24. Exact values (the published
figure is carried, not recomputed).
"""

from __future__ import annotations

import pytest

from critmin.metrics import queries

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def us_rows(source_store):
    return {m: queries.exposure(source_store, "USA", mineral=m, stage="refinery").frame
            for m in ("gallium", "germanium")}


def test_gallium_latest_year_import_reliance_is_the_published_100_percent(us_rows):
    ga = us_rows["gallium"]
    assert list(ga["year"]) == sorted(ga["year"], reverse=True)      # newest first
    latest = ga.iloc[0]
    assert latest.import_reliance_share >= 0.95
    assert latest.import_reliance_source.startswith("USGS MCS")


def test_gallium_and_germanium_rows_differ_or_are_labelled_one_basket(us_rows):
    ga = us_rows["gallium"].set_index("year")
    ge = us_rows["germanium"].set_index("year")
    cols = ["top_source", "top_source_share", "against_share", "source_hhi",
            "import_reliance_share"]
    split = 0
    for year in ga.index.intersection(ge.index):
        same = ga.loc[year, cols].equals(ge.loc[year, cols])
        if same:
            assert ga.loc[year, "split_method"] == "none: basket", year
            assert "germanium" in ga.loc[year, "basket"]
        if str(ga.loc[year, "split_method"]).startswith("usgs"):
            split += 1
            assert ga.loc[year, "top_source"] != ge.loc[year, "top_source"]
    assert split == 4                       # 2021-2024, the USGS import-source period
