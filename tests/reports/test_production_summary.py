"""The demo's production summary: selection and simple aggregation over the store."""

from __future__ import annotations

import pytest

from critmin.reports.production import COLUMNS, DEMO_MINERALS, production_summary
from critmin.store import Store


@pytest.fixture(scope="module")
def summary(source_store: Store):
    return production_summary(source_store)


def test_one_row_per_mineral_stage_with_data(summary) -> None:
    assert list(summary.columns) == COLUMNS
    assert set(summary["mineral"]) == set(DEMO_MINERALS)
    assert not summary.duplicated(["mineral", "stage"]).any()
    assert summary["top_share"].between(0, 1).all()
    assert summary.attrs["units"] == {"world_t": "t", "top_share": "share"}


def test_leading_producers_match_the_published_tables(summary) -> None:
    by = summary.set_index(["mineral", "stage"])
    assert by.loc[("cobalt", "mine"), "top_country"] == "COD"
    assert by.loc[("rare_earths", "mine"), "top_country"] == "CHN"
    assert by.loc[("gallium", "refinery"), "top_country"] == "CHN"
    ree = by.loc[("rare_earths", "mine")]
    assert ree["world_source"] == "published world total"
    # MCS 2026 for 2025: 270,000 of 390,000 t REO
    assert ree["top_share"] == pytest.approx(270_000 / 390_000)
    # germanium: USGS withholds country output, so BGS is the latest source
    assert by.loc[("germanium", "refinery"), "source"] == "bgs-wms"


def test_fixed_year(source_store: Store) -> None:
    s = production_summary(source_store, ["cobalt"], year=2010).set_index("stage")
    assert s.loc["mine", "year"] == 2010 and s.loc["mine", "source"] == "bgs-wms"
    assert s.loc["mine", "top_country"] == "COD"
