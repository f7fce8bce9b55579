"""Exposure metrics on hand-computed fixtures."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.errors import InvalidParameterError, SourceFormatError
from critmin.metrics.exposure import exposure, net_import_reliance, source_shares, trade_of


def _flows():
    # gallium 2023: USA imports 100 (CHN 50, JPN 20, DEU 10, IND 20), exports 5 to IND;
    # IND imports 30 from CHN and 5 from USA; one IND->USA cell is estimated.
    rows = [("CHN", "USA", 50.0, 5.0, "observed"), ("CHN", "IND", 30.0, 3.0, "observed"),
            ("JPN", "USA", 20.0, 2.0, "observed"), ("DEU", "USA", 10.0, 1.0, "mirror"),
            ("USA", "IND", 5.0, 0.5, "observed"), ("IND", "USA", 20.0, 2.0, "estimated"),
            ("USA", "USA", 99.0, 9.9, "observed")]        # domestic: never trade
    return pd.DataFrame([{"mineral": "gallium", "stage": "refinery", "year": 2023,
                          "exporter": e, "importer": i, "value_usd": v, "quantity_t": q,
                          "method": m} for e, i, v, q, m in rows])


PRODUCTION = pd.DataFrame({"mineral": "gallium", "stage": "refinery", "year": 2023,
                           "country": ["CHN", "JPN", "USA", "WLD"],
                           "quantity_t": [500.0, 10.0, 1.0, 511.0]})
GOVERNANCE = pd.DataFrame({"country": ["CHN", "JPN", "DEU", "IND", "USA"], "year": 2023,
                           "wgi_mean": [-0.5, 1.2, 1.4, -0.1, 1.0]})


def test_country_exposure_matches_hand_computation():
    row = exposure(_flows(), "USA", production=PRODUCTION, governance=GOVERNANCE).iloc[0]
    assert row.imports == 100.0 and row.exports == 5.0
    assert row.source_hhi == pytest.approx(10_000 * (0.25 + 0.04 + 0.01 + 0.04))
    assert row.top_source == "CHN" and row.top_source_share == pytest.approx(0.5)
    assert row.against_share == pytest.approx(0.5)
    assert row.outside_bloc_share == pytest.approx(1.0)
    assert row.low_governance_share == pytest.approx(0.7)   # CHN 0.5 + IND 0.2
    assert row.estimated_share == pytest.approx(0.2)
    # IR = (10 - 0.5) / (1 + 10 - 0.5)
    assert row.import_reliance_share == pytest.approx(9.5 / 10.5)


def test_bloc_nets_out_trade_among_members():
    row = exposure(_flows(), ["USA", "IND"], production=PRODUCTION).iloc[0]
    assert row.imports == pytest.approx(110.0)          # CHN 80 + JPN 20 + DEU 10
    assert row.exports == 0.0                           # USA->IND is inside the bloc
    assert row.gross_imports == pytest.approx(135.0)    # plus USA->IND 5 and IND->USA 20
    assert row.outside_bloc_share == pytest.approx(110 / 135)
    assert row.against_share == pytest.approx(80 / 110)
    assert row.import_reliance_share == pytest.approx(11.0 / 12.0)


def test_single_member_bloc_equals_the_country():
    a = exposure(_flows(), "USA", production=PRODUCTION, governance=GOVERNANCE)
    b = exposure(_flows(), ["USA"], production=PRODUCTION, governance=GOVERNANCE)
    pd.testing.assert_frame_equal(a, b)


def test_net_exporter_has_negative_import_reliance():
    row = exposure(_flows(), "CHN", production=PRODUCTION).iloc[0]
    assert row.import_reliance_share == pytest.approx((0 - 8.0) / (500 - 8.0))
    assert row.import_reliance_share < 0


def test_import_reliance_is_null_without_production_or_quantities():
    assert pd.isna(exposure(_flows(), "USA").iloc[0].import_reliance_share)
    no_q = _flows().drop(columns="quantity_t")
    assert pd.isna(exposure(no_q, "USA", production=PRODUCTION).iloc[0].import_reliance_share)


def test_import_reliance_is_null_when_a_crossing_flow_lacks_tonnes():
    f = _flows()
    f.loc[0, "quantity_t"] = None
    assert pd.isna(exposure(f, "USA", production=PRODUCTION).iloc[0].import_reliance_share)


def test_shares_can_be_on_tonnes():
    row = exposure(_flows(), "USA", measure="quantity_t").iloc[0]
    assert row.imports == pytest.approx(10.0)


def test_source_shares_sum_to_one_and_exclude_members():
    sh = source_shares(_flows(), ["USA", "IND"])
    assert set(sh["exporter"]) == {"CHN", "JPN", "DEU"}
    assert sh["share"].sum() == pytest.approx(1.0)


def test_trade_of_drops_domestic_and_intra_bloc_rows():
    t = trade_of(_flows(), ["USA", "IND"])
    assert not ((t["exporter"].isin(["USA", "IND"])) & (t["importer"].isin(["USA", "IND"]))).any()


def test_bad_parameters_are_named():
    with pytest.raises(InvalidParameterError, match="measure"):
        exposure(_flows(), "USA", measure="tonnes")
    with pytest.raises(InvalidParameterError, match="wgi_threshold"):
        exposure(_flows(), "USA", wgi_threshold=7)
    with pytest.raises(InvalidParameterError, match="at least one"):
        exposure(_flows(), [])
    with pytest.raises(SourceFormatError, match="exporter"):
        exposure(pd.DataFrame({"importer": ["USA"], "value_usd": [1.0]}), "USA")


def test_usgs_net_import_reliance_uses_published_consumption_and_stock_release():
    frame = pd.DataFrame({"imports_t": [11_000.0, 100.0], "exports_t": [4_500.0, 0.0],
                          "production_t": [2_300.0, 0.0], "consumption_t": [8_500.0, None],
                          "stock_release_t": [0.0, 20.0]})
    nir = net_import_reliance(frame)
    assert nir[0] == pytest.approx(6_500 / 8_500)      # USGS cobalt 2024: 76 %
    assert nir[1] == pytest.approx(120 / 120)


def test_releases_are_never_added_together():
    f = _flows().assign(source="baci")
    dup = _flows().assign(source="usitc", value_usd=lambda d: d["value_usd"] / 2)
    both = pd.concat([f, dup], ignore_index=True)
    from critmin.metrics.exposure import choose_source

    chosen = choose_source(both, "USA")
    assert set(chosen["source"]) == {"baci"}                  # reports more US trade
    row = exposure(chosen, "USA").iloc[0]
    assert row.imports == 100.0 and row.flow_source == "baci"


def test_partial_years_are_left_out():
    from critmin.metrics.exposure import choose_source

    f = _flows().assign(source="usitc", partial_year=[False] * 6 + [True])
    assert len(choose_source(f, "USA")) == 6


def test_a_release_of_one_countrys_trade_gives_no_import_reliance_for_others():
    # every flow involves USA: a USITC-like release
    f = _flows()
    f = f[(f["exporter"] == "USA") | (f["importer"] == "USA")]
    usa = exposure(f, "USA", production=PRODUCTION).iloc[0]
    assert usa.flows_of_one_country == "USA" and pd.notna(usa.import_reliance_share)
    ind = exposure(f, "IND", production=PRODUCTION).iloc[0]
    assert ind.flows_of_one_country == "USA" and pd.isna(ind.import_reliance_share)
    bloc = exposure(f, ["USA", "JPN"], production=PRODUCTION).iloc[0]
    assert pd.isna(bloc.import_reliance_share)
