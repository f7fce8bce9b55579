"""Properties of baseline completion (hypothesis)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import pandas as pd
from flow_fixtures import flow_rows, make_store, origin, production_rows

from critmin.baseline import build_baseline, complete_matrix, production_constrained
from critmin.store import Store
from critmin.store.catalog import TableData, write_store


@st.composite
def feasible_problem(draw):
    """A strictly positive 'true' matrix, some of it observed; targets are its margins."""
    n = draw(st.integers(2, 7))
    true = draw(arrays(np.float64, (n, n), elements=st.floats(0.1, 1e4)))
    mask = draw(arrays(np.bool_, (n, n), elements=st.booleans()))
    np.fill_diagonal(mask, False)  # domestic supply is never observed
    fixed = np.where(mask, true, np.nan)
    prior = draw(arrays(np.float64, (n, n), elements=st.floats(0.01, 100.0)))
    return prior, true.sum(axis=1), true.sum(axis=0), fixed


@settings(max_examples=60, deadline=None)
@example((np.ones((3, 3)), np.array([4818.1, 5621.0, 5621.0]), np.array([5621.0, 4818.1, 5621.0]),
          np.array([[np.nan, np.nan, 803.0], [803.0, np.nan, 803.0], [803.0, 803.0, np.nan]])))
@given(feasible_problem())
def test_completion_keeps_observed_cells_and_meets_targets(problem) -> None:
    prior, rows, cols, fixed = problem
    x, _ = complete_matrix(prior, rows, cols, fixed)
    observed = ~np.isnan(fixed)
    assert np.array_equal(x[observed], fixed[observed])
    np.testing.assert_allclose(x.sum(axis=1), rows, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(x.sum(axis=0), cols, rtol=1e-6, atol=1e-9)
    assert (x >= 0).all()


@settings(max_examples=60, deadline=None)
@given(feasible_problem())
def test_production_constrained_meets_rows_exactly(problem) -> None:
    prior, rows, _, fixed = problem
    x = production_constrained(prior, rows, fixed)
    observed = ~np.isnan(fixed)
    assert np.array_equal(x[observed], fixed[observed])
    np.testing.assert_allclose(x.sum(axis=1), np.maximum(rows, np.nansum(fixed, axis=1)),
                               atol=1e-6)
    assert (x >= 0).all()


COUNTRIES = ["AUS", "CAN", "CHN", "IDN", "JPN", "PHL", "USA", "DEU"]


@st.composite
def store_inputs(draw):
    producers = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=4, unique=True))
    production = {c: draw(st.floats(1.0, 1e6)) for c in producers}
    pairs = [(a, b) for a in COUNTRIES for b in COUNTRIES if a != b]
    observed = draw(st.lists(st.sampled_from(pairs), max_size=10, unique=True))
    rows = [(a, b, draw(st.floats(1.0, 1e8)), draw(st.floats(0.1, 1e5)),
             draw(st.sampled_from(["observed", "mirror"]))) for a, b in observed]
    home_share = draw(st.one_of(st.none(), st.floats(0.0, 1.0)))
    # USGS import sources for the USA: some named exporters plus "Other countries".
    named = draw(st.lists(st.sampled_from([c for c in COUNTRIES if c != "USA"]), max_size=4,
                          unique=True))
    weights = [draw(st.floats(0.01, 1.0)) for _ in named] + [draw(st.floats(0.0, 1.0))]
    shares = {c: w / sum(weights) for c, w in zip([*named, "OTH"], weights)} if named else {}
    return production, rows, home_share, shares


def _with_import_sources(path, shares):
    frame = pd.DataFrame({"mineral": "nickel", "stage": "mine", "form": "Ores", "all_forms": False,
                          "country": list(shares), "label": list(shares),
                          "share": list(shares.values()), "bound": None, "period": "2021-24",
                          "commodity": "Nickel", "note": None, "source": "usgs-imports-fixture"})
    write_store(path, [TableData("us_import_sources", frame, (origin("usgs-imports-fixture"),))],
                base=path)
    return Store.open(path)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("baseline-props")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(store_inputs())
def test_baseline_properties(workdir, inputs) -> None:
    production, rows, home_share, shares = inputs
    path = workdir / "s.duckdb"
    store = make_store(path, production_rows("nickel", "mine", 2022, production),
                       flow_rows(rows), COUNTRIES)
    if shares:
        store = _with_import_sources(path, shares)
    base = build_baseline(store, "nickel", "mine", 2022, home_share=home_share)
    assert 0.0 <= base.diagnostics["home_share"] <= 1.0
    us = base.diagnostics["us_import_sources"]
    if shares and base.diagnostics["constraint"].startswith("doubly"):
        cells = base.flows.set_index(["exporter", "importer"])
        observed_pairs = {(a, b) for a, b, *_ in rows}
        for c, share in shares.items():  # USGS cells are held fixed at imports x share,
            if c == "OTH" or (c, "USA") in observed_pairs or us["us_imports_t"] <= 0:
                continue
            # capped at spare production here (the US total is estimated: no salient row).
            spare = max(production.get(c, 0.0) - sum(q for a, _, _, q, _ in rows if a == c), 0.0)
            want = min(us["us_imports_t"] * share, spare)
            got = cells["quantity_t"].get((c, "USA"), 0.0)
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
            if want > 0:
                assert cells.loc[(c, "USA"), "method"] == "estimated"
    cells = base.flows.set_index(["exporter", "importer"])
    for a, b, _, q, method in rows:  # observed cells unchanged
        assert cells.loc[(a, b), "quantity_t"] == q
        assert cells.loc[(a, b), "method"] == method
    m = base.matrix()
    np.testing.assert_allclose(m.sum(axis=1), base.row_targets, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(m.sum(axis=0), base.col_targets, rtol=1e-6, atol=1e-6)
    for c, p in production.items():  # supply >= production, = production unless re-exporting
        assert base.row_targets[c] >= p * (1 - 1e-12)
    assert (base.flows["quantity_t"] >= 0).all()
    assert 0.0 <= base.estimated_share <= 1.0
    assert (base.flows["method"] == "estimated").sum() == (~base.flows.set_index(
        ["exporter", "importer"]).index.isin([(a, b) for a, b, *_ in rows])).sum()
