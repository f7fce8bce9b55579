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


@pytest.fixture(scope="module")
def baci_store(source_store):
    flows = source_store.table("flows", mineral=["manganese"])
    if "coverage" not in flows.columns or not flows["coverage"].eq("truncated").any():
        pytest.skip("the store holds no BACI top links (baci_v202601_cma not ingested)")
    return source_store


def test_china_share_of_imports_runs_over_twenty_years_with_truncated_links_flagged(
        baci_store):
    # BACI V202601 (CEPII): complete matrices 2022 and 2024, top links 2002-2024
    for unit in ("USA", "EU27", "IND"):
        res = queries.exposure_share_series(baci_store, unit, mineral="manganese",
                                            country="CHN")
        rows = res.frame[res.frame["stage"] == "mine"]
        years = list(rows["year"])
        assert years == sorted(years, reverse=True)
        assert years[0] == 2024 and years[-1] == 2002 and len(years) == 23
        by = rows.set_index("year")
        assert by.loc[2024, "coverage"] == "complete" and not by.loc[2024, "links_truncated"]
        assert by.loc[2023, "coverage"] == "truncated" and by.loc[2023, "links_truncated"]
        assert rows["against_share"].between(0, 1).all()
        assert 2023 in res.extra["truncated_years"]


def test_basket_series_is_labelled_one_basket(baci_store):
    ga = queries.exposure_share_series(baci_store, "USA", mineral="gallium").frame
    ge = queries.exposure_share_series(baci_store, "USA", mineral="germanium").frame
    assert ga["year"].min() >= 2017                 # 811292 does not exist in HS 2002
    assert ga["basket"].str.contains("germanium").all()
    assert (ga["split_method"] == "none: basket").all() if "split_method" in ga else True
    both = ga.merge(ge, on=["stage", "year"], suffixes=("_ga", "_ge"))
    same = (both["against_share_ga"] == both["against_share_ge"])
    assert same.all()                               # the same figures, labelled one basket
