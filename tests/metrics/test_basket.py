"""Basket HS codes: one code's figures are never two minerals' separate findings."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.metrics.basket import NO_SPLIT, USGS_SPLIT, basket_of, usgs_split


def _sources() -> pd.DataFrame:
    # MCS 2026 US import sources, 2021-24 (shares of each mineral's own imports)
    rows = [("gallium", "refinery", "Metal", False, c, s) for c, s in
            [("CAN", 0.28), ("JPN", 0.22), ("CHN", 0.18), ("DEU", 0.16), ("OTH", 0.16)]]
    rows += [("germanium", "refinery", "Germanium metal", False, c, s) for c, s in
             [("CHN", 0.41), ("BEL", 0.27), ("DEU", 0.25), ("OTH", 0.04), ("RUS", 0.03)]]
    return pd.DataFrame(rows, columns=["mineral", "stage", "form", "all_forms", "country",
                                       "share"]).assign(period="2021-24", source="usgs-x")


def test_gallium_and_germanium_get_their_own_suppliers_inside_the_usgs_period():
    ga = usgs_split(_sources(), "gallium", "refinery", 2023, "CHN")
    ge = usgs_split(_sources(), "germanium", "refinery", 2023, "CHN")
    assert ga["top_source"] == "CAN" and ga["against_share"] == pytest.approx(0.18)
    assert ge["top_source"] == "CHN" and ge["against_share"] == pytest.approx(0.41)
    # "Other countries" is never a supplier: HHI over the named ones, a lower bound
    assert ga["n_sources"] == 4
    assert ga["source_hhi"] == pytest.approx(10_000 * (0.28**2 + 0.22**2 + 0.18**2 + 0.16**2))


def test_no_split_outside_the_period_or_without_a_table_for_the_mineral():
    assert usgs_split(_sources(), "gallium", "refinery", 2025, "CHN") is None
    assert usgs_split(_sources(), "indium", "refinery", 2023, "CHN") is None


def test_basket_label_names_the_code_and_every_mineral_it_holds():
    text = basket_of("gallium", "refinery", ["811292"])
    assert text.startswith("HS 811292 (")
    for m in ("gallium", "germanium", "indium", "niobium"):
        assert m in text
    assert USGS_SPLIT != NO_SPLIT
