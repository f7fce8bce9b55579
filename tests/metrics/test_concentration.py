"""Concentration metrics on hand-computed fixtures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from critmin.errors import InvalidParameterError, SourceFormatError
from critmin.metrics.concentration import (
    Thresholds,
    attach_wgi,
    concentration,
    country_share_series,
    mean_wgi,
    shares,
    stage_comparison,
    wgi_scaled,
)


def _production(rows, mineral="gallium", stage="refinery", year=2023, source="usgs-test"):
    return pd.DataFrame([{"mineral": mineral, "stage": stage, "year": year, "source": source,
                          "country": c, "quantity_t": q} for c, q in rows])


def test_estimated_share_is_the_world_share_of_rows_marked_estimated():
    # world 100: CHN 60 (estimated), AUS 20, BRA 10 (estimated), OTH 10 -> (60 + 10) / 100
    p = _production([("CHN", 60.0), ("AUS", 20.0), ("BRA", 10.0), ("OTH", 10.0),
                     ("WLD", 100.0)])
    p["estimated"] = [True, False, True, True, True]   # OTH and WLD are not producers
    assert concentration(p).iloc[0].estimated_share == pytest.approx(0.7)
    assert math.isnan(concentration(p.drop(columns="estimated")).iloc[0].estimated_share)


def test_hhi_cr_and_cover_match_hand_computation():
    # world 100: CHN 60, AUS 20, BRA 10, OTH 10 -> shares .6 .2 .1 (OTH not a producer)
    p = _production([("CHN", 60.0), ("AUS", 20.0), ("BRA", 10.0), ("OTH", 10.0),
                     ("WLD", 100.0)])
    row = concentration(p).iloc[0]
    assert row.hhi == pytest.approx(10_000 * (0.36 + 0.04 + 0.01))   # 4,100
    assert row.cr1_share == pytest.approx(0.6)
    assert row.cr3_share == pytest.approx(0.9)
    assert row.n_producers == 3
    assert row.top_country == "CHN"
    assert row.n_minus_1_cover_share == pytest.approx(0.4)
    assert row.unattributed_share == pytest.approx(0.1)
    assert row.hhi_upper == pytest.approx(4_100 + 100)     # OTH as one country: +0.1**2
    assert not row.cr1_flag                                 # 0.60 is not above 0.65
    assert row.hhi_flag                                     # 4,100 >= 1,800


def test_remainder_counts_in_denominator_but_is_never_a_producer():
    p = _production([("CHN", 50.0), ("OTH", 50.0)])          # no published world total
    row = concentration(p).iloc[0]
    assert row.world_t == 100.0
    assert row.n_producers == 1 and row.top_country == "CHN"
    assert row.hhi == pytest.approx(2_500)                   # lower bound, not 10,000


def test_world_total_rounded_below_its_parts_uses_the_parts():
    p = _production([("CHN", 98.0), ("JPN", 4.0), ("WLD", 100.0)])
    row = concentration(p).iloc[0]
    assert row.world_t == 102.0
    assert row.cr1_share == pytest.approx(98 / 102)


def test_published_world_total_above_the_parts_leaves_an_unattributed_gap():
    p = _production([("CHN", 80.0), ("WLD", 100.0)])
    row = concentration(p).iloc[0]
    assert row.cr1_share == pytest.approx(0.8)
    assert row.unattributed_share == pytest.approx(0.2)


def test_withheld_producers_are_counted_but_not_shared():
    p = _production([("CHN", 90.0), ("USA", None), ("WLD", 100.0)])
    row = concentration(p).iloc[0]
    assert row.n_withheld == 1 and row.n_producers == 1


def test_flags_follow_configurable_thresholds():
    p = _production([("CHN", 70.0), ("AUS", 30.0)])
    default = concentration(p).iloc[0]
    assert default.cr1_flag and default.hhi_flag
    strict = concentration(p, thresholds=Thresholds(cr1_share=0.8, hhi=6_000)).iloc[0]
    assert not strict.cr1_flag and not strict.hhi_flag


@pytest.mark.parametrize("kwargs", [{"cr1_share": 65}, {"hhi": -1}, {"hhi": 10_001}])
def test_thresholds_out_of_range_are_rejected_with_the_value(kwargs):
    with pytest.raises(InvalidParameterError, match=str(next(iter(kwargs.values())))):
        Thresholds(**kwargs)


def test_governance_weighted_hhi_follows_the_eu_2023_weight():
    p = _production([("CHN", 60.0), ("AUS", 40.0)])
    gov = pd.DataFrame({"country": ["CHN", "AUS"], "year": [2023, 2023],
                        "wgi_mean": [-0.5, 1.5]})
    row = concentration(p, gov).iloc[0]
    # W = 2 * (2.5 - WGI): CHN 6, AUS 2 -> 0.36*6 + 0.16*2
    assert row.hhi_wgi == pytest.approx(2.16 + 0.32)
    assert row.wgi_coverage_share == pytest.approx(1.0)


def test_hhi_wgi_covers_only_scored_producers_and_reports_coverage():
    p = _production([("CHN", 60.0), ("TWN", 40.0)])
    gov = pd.DataFrame({"country": ["CHN"], "year": [2023], "wgi_mean": [-0.5]})
    row = concentration(p, gov).iloc[0]
    assert row.hhi_wgi == pytest.approx(0.36 * 6)
    assert row.wgi_coverage_share == pytest.approx(0.6)


def test_wgi_of_nearest_earlier_year_then_later_year_is_used():
    frame = pd.DataFrame({"country": ["CHN", "CHN", "CHN"], "year": [1990, 2001, 2030]})
    gov = pd.DataFrame({"country": ["CHN", "CHN"], "year": [1996, 2000],
                        "wgi_mean": [-1.0, -0.5]})
    out = attach_wgi(frame, gov)
    assert out["wgi_mean"].tolist() == [-1.0, -0.5, -0.5]


def test_wgi_scaled_spans_zero_to_ten():
    assert wgi_scaled(2.5) == 0.0 and wgi_scaled(-2.5) == 10.0
    assert wgi_scaled(-3.0) == 10.0                       # clipped to the WGI range


def test_mean_wgi_prefers_the_stored_mean_then_averages_dimensions():
    long = pd.DataFrame({"country": "FRA", "year": 2023,
                         "indicator": ["va", "pv", "ge", "rq", "rl", "cc"],
                         "estimate": [1.0, 0.0, 1.0, 1.0, 1.0, 2.0]})
    assert mean_wgi(long)["wgi_mean"].iloc[0] == pytest.approx(1.0)
    with_mean = pd.concat([long, pd.DataFrame({"country": ["FRA"], "year": [2023],
                                               "indicator": ["mean"], "estimate": [0.9]})])
    assert mean_wgi(with_mean)["wgi_mean"].iloc[0] == pytest.approx(0.9)


def test_groups_are_independent_and_vectorised():
    p = pd.concat([
        _production([("CHN", 90.0), ("JPN", 10.0)], year=2022),
        _production([("CHN", 50.0), ("JPN", 50.0)], year=2023),
        _production([("AUS", 1.0)], stage="mine", year=2023),
    ])
    out = concentration(p).set_index(["stage", "year"])
    assert out.loc[("refinery", 2022), "hhi"] == pytest.approx(8_200)
    assert out.loc[("refinery", 2023), "hhi"] == pytest.approx(5_000)
    assert out.loc[("mine", 2023), "hhi"] == pytest.approx(10_000)


def test_group_without_positive_total_is_dropped():
    p = _production([("CHN", None), ("WLD", None)])
    assert concentration(p).empty


def test_input_frame_is_not_mutated():
    p = _production([("CHN", 60.0), ("OTH", 40.0)])
    before = p.copy()
    concentration(p)
    shares(p)
    pd.testing.assert_frame_equal(p, before)


def test_missing_columns_are_named():
    with pytest.raises(SourceFormatError, match="quantity_t"):
        concentration(pd.DataFrame({"country": ["CHN"]}))


def test_share_series_is_null_where_the_country_is_not_reported_and_zero_where_it_is():
    p = pd.concat([_production([("CHN", 80.0), ("JPN", 20.0)], year=2020),
                   _production([("JPN", 20.0)], year=2021),
                   _production([("CHN", 0.0), ("JPN", 20.0)], year=2022)])
    s = country_share_series(p, "CHN").set_index("year")
    assert s.loc[2020, "share"] == pytest.approx(0.8)
    assert pd.isna(s.loc[2021, "share"]) and not s.loc[2021, "reported"]
    assert s.loc[2022, "share"] == 0.0 and s.loc[2022, "reported"]


def test_lone_producer_without_world_total_is_not_credible():
    lone = concentration(_production([("TUR", 5.0)])).iloc[0]
    assert lone.hhi == 10_000 and not lone.credible
    assert concentration(_production([("TUR", 5.0), ("WLD", 9.0)])).iloc[0].credible


def test_world_total_without_producers_is_not_credible_and_not_compared():
    # USGS soda-ash refinery 2023: only "World total" rows -> HHI 0 is an artefact
    bare = concentration(_production([("WLD", 65.0)], stage="refinery")).iloc[0]
    assert bare.n_producers == 0 and bare.hhi == 0 and not bare.credible
    conc = concentration(pd.concat([_production([("TUR", 5.0), ("USA", 4.0), ("WLD", 9.0)],
                                                stage="mine"),
                                    _production([("WLD", 65.0)], stage="refinery")]))
    assert stage_comparison(conc.drop(columns="source")).empty


def test_stage_comparison_names_the_more_concentrated_stage():
    p = pd.concat([_production([("AUS", 50.0), ("CHN", 50.0)], stage="mine"),
                   _production([("CHN", 90.0), ("JPN", 10.0)], stage="refinery")])
    cmp = stage_comparison(concentration(p).drop(columns="source")).iloc[0]
    assert cmp.stage == "refinery" and cmp.more_concentrated == "refinery"
    assert cmp.hhi_change == pytest.approx(8_200 - 5_000)
    assert math.isclose(cmp.cr1_share_mine, 0.5)


def test_period_share_sums_quantities_over_the_years():
    from critmin.metrics.concentration import period_share

    p = pd.concat([_production([("CHN", 80.0), ("JPN", 20.0)], year=2016),
                   _production([("CHN", 90.0), ("JPN", 10.0), ("WLD", 110.0)], year=2017),
                   _production([("CHN", 1.0), ("JPN", 1.0)], year=2021)])
    out = period_share(p, "CHN", 2016, 2020).iloc[0]
    assert out.n_years == 2 and out.share == pytest.approx(170 / 210)
    with pytest.raises(InvalidParameterError, match="2020-2016"):
        period_share(p, "CHN", 2020, 2016)


def test_period_share_is_null_when_a_year_lacks_the_country():
    from critmin.metrics.concentration import period_share

    p = pd.concat([_production([("CHN", 80.0), ("JPN", 20.0)], year=2016),
                   _production([("JPN", 10.0)], year=2017)])
    assert pd.isna(period_share(p, "CHN", 2016, 2017).iloc[0].share)


def test_wgi_lookup_matches_asof_semantics_and_unknown_countries_are_nan():
    from critmin.metrics.concentration import wgi_lookup

    gov = pd.DataFrame({"country": ["CHN", "CHN", "FRA"], "year": [1996, 2000, 2010],
                        "wgi_mean": [-1.0, -0.5, 1.2]})
    got = wgi_lookup(np.array(["CHN", "CHN", "CHN", "FRA", "XXX"], dtype=object),
                     np.array([1990, 1998, 2024, 2000, 2020]), gov)
    assert got[:4].tolist() == [-1.0, -1.0, -0.5, 1.2] and np.isnan(got[4])


def test_source_hhi_matches_concentration_for_every_buyer_of_a_random_matrix():
    """The matrix form used by the PE model's import-source HHI gives the same HHI, top
    source and top share as :func:`concentration` on the same rows (the remainder OTH in
    the total, not a source; ties to the alphabetically first)."""
    from critmin.metrics.concentration import REMAINDER, source_hhi

    rng = np.random.default_rng(7)
    sources = np.array(["AUS", "BRA", "CHN", "COD", REMAINDER])
    q = rng.integers(0, 4, size=(len(sources), 40)).astype(float) * 10.0  # ties and empty columns
    q[:, 0] = 0.0
    q[:-1, 1], q[-1, 1] = 0.0, 10.0  # bought from OTH only
    hhi, top, top_share = source_hhi(q, pooled=sources == REMAINDER)
    rows = pd.DataFrame([{"buyer": f"b{j:02d}", "country": sources[i], "quantity_t": q[i, j]}
                         for i in range(len(sources)) for j in range(q.shape[1]) if q[i, j] > 0])
    want = concentration(rows, keys=["buyer"]).set_index("buyer")
    assert np.isnan(hhi[0]) and top[0] == -1  # nothing bought
    for j in range(1, q.shape[1]):
        row = want.loc[f"b{j:02d}"]
        assert hhi[j] == pytest.approx(row["hhi"], rel=1e-12)
        assert top_share[j] == pytest.approx(row["cr1_share"], rel=1e-12)
        assert (sources[top[j]] if top[j] >= 0 else None) == row["top_country"]
