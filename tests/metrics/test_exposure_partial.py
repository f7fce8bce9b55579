"""Exposure where the release records the unit's imports only partly.

The store of ``partial_fixture`` holds only the USA's reported trade (like USITC DataWeb):
India is seen only through US exports to India. Its exposure must come from the completed
baseline (or be withheld), never read as "100 % USA".
"""

from __future__ import annotations

import pandas as pd
import pytest
from partial_fixture import REPORTER, build

from critmin.errors import InvalidParameterError
from critmin.metrics import exposure_basis, queries
from critmin.metrics.exposure import exposure, import_reporters, withhold_shares


@pytest.fixture(scope="module")
def partial_store(tmp_path_factory):
    from critmin.store import Store

    return Store.open(build(tmp_path_factory.mktemp("partial") / "critmin.duckdb"))


@pytest.fixture(scope="module")
def ind(partial_store):
    """India's default exposure: built once, read by several tests (baselines are slow)."""
    return queries.exposure(partial_store, "IND")


def _row(res, year):
    return res.frame.set_index("year").loc[year]


# --- who reports what (pure) --------------------------------------------------------------

def _one_reporter_flows(reporter="USA", source="usitc-test"):
    rows = [("CHN", reporter, 60.0, "observed"), ("JPN", reporter, 30.0, "observed"),
            (reporter, "IND", 15.0, "mirror"), (reporter, "DEU", 9.0, "mirror")]
    return pd.DataFrame([{"mineral": "gallium", "stage": "refinery", "year": 2024,
                          "exporter": e, "importer": i, "value_usd": v, "method": m,
                          "source": source} for e, i, v, m in rows])


def test_a_one_country_release_covers_only_that_country():
    f = _one_reporter_flows()
    assert import_reporters(f, "USA")["complete_coverage"].iloc[0]
    ind = import_reporters(f, "IND").iloc[0]
    assert ind["reported_by"] == "USA" and not ind["complete_coverage"]
    # a bloc with the reporter is still partial: the other member is seen through US exports
    assert not import_reporters(f, ["USA", "IND"])["complete_coverage"].iloc[0]


def test_a_world_matrix_covers_everyone_and_an_extract_nobody():
    world = pd.DataFrame({"exporter": ["CHN", "JPN", "CHN"], "importer": ["USA", "IND", "IND"],
                          "value_usd": [1.0, 2.0, 3.0], "source": "baci-full"})
    cov = import_reporters(world, ["IND", "USA"]).iloc[0]
    assert cov["reported_by"] == "*" and cov["complete_coverage"]
    extract = world.assign(source="baci-hs92-y2021-extract")
    cov = import_reporters(extract, "IND").iloc[0]
    assert cov["reported_by"] == "" and not cov["complete_coverage"]


def test_a_single_flow_is_its_reporters():
    one = pd.DataFrame({"exporter": ["USA"], "importer": ["IND"], "value_usd": [5.0],
                        "method": ["mirror"]})
    assert import_reporters(one, "IND")["reported_by"].iloc[0] == "USA"
    assert import_reporters(one.assign(method="observed"), "IND")["complete_coverage"].iloc[0]


def test_exposure_carries_the_coverage_columns():
    out = exposure(_one_reporter_flows(), "IND").iloc[0]
    assert out["reported_by"] == "USA" and not out["complete_coverage"]
    # the partial matrix itself says 100 % USA: exactly what must not reach a reader as is
    assert out["top_source"] == "USA" and out["top_source_share"] == 1.0


def test_withhold_shares_nulls_only_the_sourcing_figures():
    out = exposure(_one_reporter_flows(), "IND")
    held = withhold_shares(out, pd.Series(True, index=out.index)).iloc[0]
    for c in ("top_source", "top_source_share", "source_hhi", "against_share", "n_sources"):
        assert pd.isna(held[c]), c
    assert held["imports"] == 15.0          # the observed lower bound stays


# --- the store layer --------------------------------------------------------------------

def test_partial_unit_is_computed_on_the_completed_baseline(partial_store, ind):
    from critmin.baseline import build_baseline

    row = _row(ind, 2024)
    assert row["flow_basis"] == exposure_basis.BASELINE
    assert row["share_measure"] == "quantity_t" and row["production_stage"] == "refinery"
    # recompute from the Baseline object itself: same matrix, same unit as absorber
    b = build_baseline(partial_store, "gallium", "refinery", 2024, production_stage="refinery",
                       countries=("IND",))
    f = b.flows[(b.flows["importer"] == "IND") & (b.flows["exporter"] != "IND")]
    total = f["quantity_t"].sum()
    assert row["imports"] == pytest.approx(total)
    chn = f.loc[f["exporter"] == "CHN", "quantity_t"].sum() / total
    assert row["against_share"] == pytest.approx(chn)
    est = f.loc[f["method"] == "estimated", "quantity_t"].sum() / total
    assert row["estimated_share"] == pytest.approx(est)
    assert 0 < est < 1 and row["coverage_share"] == pytest.approx(1 - est)
    # the USA's observed 0.5 t to India is kept, but is no longer the whole picture
    assert f.loc[f["exporter"] == REPORTER, "quantity_t"].sum() == pytest.approx(0.5)
    assert row["top_source_share"] < 1.0 and row["n_sources"] > 1
    assert "only USA's reported trade" in row["note"] and "completed baseline" in row["note"]
    assert "critmin-baseline" in row["flow_source"]


def test_no_baseline_means_shares_withheld_with_the_reason(ind):
    row = _row(ind, 2023)     # no 2023 production
    assert row["flow_basis"] == exposure_basis.WITHHELD
    for c in ("top_source", "top_source_share", "source_hhi", "against_share"):
        assert pd.isna(row[c]), c
    assert pd.isna(row["coverage_share"])
    assert "withheld" in row["note"] and "2023" in row["note"]
    assert row["imports"] == 150.0 and row["share_measure"] == "value_usd"


def test_observed_view_stays_available_and_flagged(partial_store):
    res = queries.exposure(partial_store, "IND", basis="observed")
    row = _row(res, 2024)
    assert row["flow_basis"] == exposure_basis.PARTIAL
    assert row["top_source"] == "USA" and row["top_source_share"] == 1.0
    assert pd.isna(row["coverage_share"])
    assert "not IND's sourcing" in row["note"]
    assert res.extra["basis"] == "observed"


def test_the_reporter_itself_stays_observed(partial_store):
    res = queries.exposure(partial_store, "USA")
    assert set(res.frame["flow_basis"]) == {exposure_basis.OBSERVED}
    row = _row(res, 2024)
    assert row["coverage_share"] == 1.0 and row["note"] == ""
    assert row["against_share"] == pytest.approx(600 / 900)


def test_a_bloc_with_the_reporter_is_completed_too(partial_store):
    row = _row(queries.exposure(partial_store, "USA,IND"), 2024)
    assert row["flow_basis"] == exposure_basis.BASELINE
    assert "other members' imports" in row["note"]
    assert 0 <= row["outside_bloc_share"] <= 1


def test_latest_keeps_the_newest_usable_year(partial_store):
    res = queries.exposure(partial_store, "IND", latest=True)
    assert list(res.frame["year"]) == [2024]
    assert res.frame["flow_basis"].iloc[0] == exposure_basis.BASELINE


def test_the_baseline_limit_withholds_and_says_how_to_narrow(partial_store):
    res = queries.exposure(partial_store, "IND", max_baselines=0)
    assert set(res.frame["flow_basis"]) == {exposure_basis.WITHHELD}
    assert "--year" in res.frame["note"].iloc[0]


def test_baseline_provenance_is_listed(ind):
    res = ind
    assert {p["source"] for p in res.provenance} >= {"usitc-test", "usgs-test"}
    assert res.extra["flow_basis"] == {exposure_basis.BASELINE: 1, exposure_basis.WITHHELD: 1}


@pytest.mark.parametrize("kwargs, needle", [({"basis": "modelled"}, "auto"),
                                            ({"max_baselines": -1}, ">= 0")])
def test_bad_basis_options_are_clear(partial_store, kwargs, needle):
    with pytest.raises(InvalidParameterError, match=needle):
        queries.exposure(partial_store, "IND", **kwargs)
