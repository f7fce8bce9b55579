"""Properties of the concentration and exposure metrics (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.metrics.concentration import concentration
from critmin.metrics.exposure import exposure

COUNTRIES = ["AUS", "BRA", "CAN", "CHN", "COD", "DEU", "IND", "JPN", "KOR", "RUS", "USA",
             "ZAF"]
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

quantities = st.lists(st.floats(min_value=0.001, max_value=1e7, allow_nan=False),
                      min_size=1, max_size=len(COUNTRIES))


def _production(qs, remainder=0.0):
    rows = [{"country": c, "quantity_t": q} for c, q in zip(COUNTRIES, qs)]
    if remainder:
        rows.append({"country": "OTH", "quantity_t": remainder})
    frame = pd.DataFrame(rows)
    frame["mineral"], frame["stage"], frame["year"] = "x", "mine", 2023
    return frame


@SETTINGS
@given(quantities)
def test_hhi_lies_between_10000_over_n_and_10000(qs):
    row = concentration(_production(qs)).iloc[0]
    n = row.n_producers
    assert 10_000 / n - 1e-6 <= row.hhi <= 10_000 + 1e-6


@SETTINGS
@given(quantities, st.randoms(use_true_random=False),
       st.floats(min_value=1e-3, max_value=1e3, allow_nan=False))
def test_hhi_ignores_order_and_scale(qs, rnd, factor):
    base = concentration(_production(qs)).iloc[0]
    shuffled = _production(qs).sample(frac=1.0, random_state=rnd.randint(0, 2**31))
    scaled = _production([q * factor for q in qs])
    assert concentration(shuffled).iloc[0].hhi == pytest.approx(base.hhi, rel=1e-9)
    assert concentration(scaled).iloc[0].hhi == pytest.approx(base.hhi, rel=1e-9)


@SETTINGS
@given(quantities, st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_cr1_at_most_cr3_and_both_are_shares(qs, remainder):
    row = concentration(_production(qs, remainder)).iloc[0]
    assert 0 <= row.cr1_share <= row.cr3_share <= 1 + 1e-12
    assert row.n_minus_1_cover_share == pytest.approx(1 - row.cr1_share)


@SETTINGS
@given(st.lists(st.floats(min_value=0.001, max_value=1e7, allow_nan=False),
                min_size=2, max_size=len(COUNTRIES)), st.data())
def test_merging_two_producers_never_lowers_hhi(qs, data):
    i = data.draw(st.integers(0, len(qs) - 1))
    j = data.draw(st.integers(0, len(qs) - 1).filter(lambda x: x != i))
    merged = [q for k, q in enumerate(qs) if k != j]
    merged[i if i < j else i - 1] = qs[i] + qs[j]
    before = concentration(_production(qs)).iloc[0].hhi
    after = concentration(_production(merged)).iloc[0].hhi
    assert after >= before - 1e-6


flows_strategy = st.lists(
    st.tuples(st.sampled_from(COUNTRIES), st.sampled_from(COUNTRIES),
              st.floats(min_value=0.0, max_value=1e6, allow_nan=False),
              st.floats(min_value=0.0, max_value=1e4, allow_nan=False)),
    min_size=1, max_size=30)


def _flows(rows):
    f = pd.DataFrame(rows, columns=["exporter", "importer", "value_usd", "quantity_t"])
    f["mineral"], f["stage"], f["year"] = "x", "mine", 2023
    return f


def _prod(values):
    return pd.DataFrame({"mineral": "x", "stage": "mine", "year": 2023,
                         "country": COUNTRIES, "quantity_t": values})


production_strategy = st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False),
                               min_size=len(COUNTRIES), max_size=len(COUNTRIES))
gov = pd.DataFrame({"country": COUNTRIES, "year": 2023,
                    "wgi_mean": np.linspace(-1.5, 1.5, len(COUNTRIES))})


@SETTINGS
@given(flows_strategy, production_strategy, st.sampled_from(COUNTRIES))
def test_single_member_bloc_is_exactly_the_country(rows, prod, country):
    f, p = _flows(rows), _prod(prod)
    a = exposure(f, country, production=p, governance=gov)
    b = exposure(f, [country], production=p, governance=gov)
    pd.testing.assert_frame_equal(a, b)


@SETTINGS
@given(flows_strategy, production_strategy,
       st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=5, unique=True))
def test_exposure_figures_are_shares_except_import_reliance(rows, prod, members):
    out = exposure(_flows(rows), members, production=_prod(prod), governance=gov)
    for col in ("top_source_share", "against_share", "outside_bloc_share",
                "low_governance_share", "wgi_coverage_share"):
        vals = out[col].dropna()
        assert ((vals >= -1e-12) & (vals <= 1 + 1e-9)).all(), col
    hhi = out["source_hhi"].dropna()
    assert ((hhi >= 0) & (hhi <= 10_000 + 1e-6)).all()
    ir = out["import_reliance_share"].dropna()
    assert (ir <= 1 + 1e-9).all()
    net = out["imports_t"] - out["exports_t"]
    # negative exactly for net exporters (where defined)
    defined = out["import_reliance_share"].notna()
    assert ((out.loc[defined, "import_reliance_share"] < 0) == (net[defined] < 0)).all()


# --- partial coverage: one country's reported trade ------------------------------------

def _one_reporter(rows, reporter):
    """Every flow involves ``reporter``: its imports (observed) and its exports (mirror)."""
    out = []
    for partner, v, inbound in rows:
        if partner == reporter:
            continue
        e, i = (partner, reporter) if inbound else (reporter, partner)
        out.append({"exporter": e, "importer": i, "value_usd": v, "quantity_t": v / 10,
                    "method": "observed" if inbound else "mirror", "source": "one-country"})
    f = pd.DataFrame(out, columns=["exporter", "importer", "value_usd", "quantity_t",
                                   "method", "source"])
    f["mineral"], f["stage"], f["year"] = "x", "mine", 2023
    return f


one_reporter_rows = st.lists(
    st.tuples(st.sampled_from(COUNTRIES), st.floats(min_value=1.0, max_value=1e4),
              st.booleans()), min_size=2, max_size=20)


@SETTINGS
@given(one_reporter_rows, st.sampled_from(COUNTRIES),
       st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=4, unique=True))
def test_one_countrys_release_covers_exactly_units_inside_it(rows, reporter, members):
    from critmin.metrics.exposure import import_reporters

    f = _one_reporter(rows, reporter)
    if len(f) < 2:
        return
    cov = import_reporters(f, members)
    assert cov["reported_by"].iloc[0] == reporter
    assert bool(cov["complete_coverage"].iloc[0]) == (set(members) == {reporter})


@SETTINGS
@given(one_reporter_rows, st.sampled_from(COUNTRIES), st.sampled_from(COUNTRIES))
def test_observed_basis_flags_partial_rows_and_keeps_shares_in_range(rows, reporter, unit):
    from critmin.metrics import exposure_basis

    f = _one_reporter(rows, reporter)
    base = exposure(f, unit, governance=gov)
    out, prov = exposure_basis.apply_basis(base, None, unit, (unit,), basis="observed")
    assert prov == []
    partial = ~out["complete_coverage"].astype(bool)
    assert (out.loc[partial, "flow_basis"] == exposure_basis.PARTIAL).all()
    assert (out.loc[~partial, "flow_basis"] == exposure_basis.OBSERVED).all()
    assert (out.loc[~partial, "coverage_share"] == 1.0).all()
    assert out.loc[partial, "coverage_share"].isna().all()
    assert out.loc[partial, "note"].str.contains(f"only {reporter}'s reported trade").all()
    # the observed view changes no figure of the pure function
    pd.testing.assert_frame_equal(out[base.columns], base)


@SETTINGS
@given(flows_strategy, st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=5,
                                unique=True))
def test_withheld_rows_keep_no_sourcing_figure(rows, members):
    from critmin.metrics.exposure import SHARE_COLUMNS, withhold_shares

    out = exposure(_flows(rows), members, governance=gov)
    mask = pd.Series([i % 2 == 0 for i in range(len(out))], index=out.index)
    held = withhold_shares(out, mask)
    for c in SHARE_COLUMNS:
        assert held.loc[mask, c].isna().all(), c
        pd.testing.assert_series_equal(held.loc[~mask, c].astype("float64")
                                       if c != "top_source" else held.loc[~mask, c],
                                       out.loc[~mask, c].astype("float64")
                                       if c != "top_source" else out.loc[~mask, c].astype("object"),
                                       check_dtype=False)
    assert (held["imports"] == out["imports"]).all()
