"""Properties of the sourcing optimiser on random markets (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.models.sourcing import Sourcing, SourcingProblem, SourcingScenario

D = 1000.0


@st.composite
def markets(draw, look_through: bool = False):
    n = draw(st.integers(2, 6))
    cost = draw(st.lists(st.floats(50, 500), min_size=n, max_size=n))
    current = draw(st.lists(st.floats(0, 800), min_size=n, max_size=n))
    redirect = draw(st.lists(st.floats(0, 2000), min_size=n, max_size=n))
    origins: tuple[str, ...] = ()
    share: tuple[tuple[float, ...], ...] = ()
    if look_through:
        k = draw(st.integers(1, 4))
        origins = tuple(f"O{j}" for j in range(k))
        rows = []
        for _ in range(n):
            w = np.array(draw(st.lists(st.floats(0, 1), min_size=k, max_size=k)))
            w = w / w.sum() if w.sum() > 0 else np.eye(k)[0]
            rows.append(tuple(w))
        share = tuple(rows)
    return SourcingProblem(
        unit="U", members=("U",), mineral="m", stage="s", year=None, demand_t=D,
        suppliers=tuple(f"S{i}" for i in range(n)), current_t=tuple(current),
        redirectable_t=tuple(redirect), unit_cost_usd_per_t=tuple(cost),
        origins=origins, origin_share=share)


def _objective(p, **kw) -> float:
    return Sourcing().solve(p, SourcingScenario(**kw)).diagnostics.objective


@settings(max_examples=25, deadline=None)
@given(markets(), st.floats(0.2, 1.0), st.floats(0.2, 1.0))
def test_tightening_the_cap_never_lowers_cost(p, a, b):
    loose, tight = max(a, b), min(a, b)
    assert _objective(p, cap_share=tight) >= _objective(p, cap_share=loose) - 1e-6 * _objective(p, cap_share=loose)


@settings(max_examples=25, deadline=None)
@given(markets(), st.floats(0.2, 1.0))
def test_no_supplier_share_exceeds_the_cap_when_demand_is_met(p, cap):
    r = Sourcing().solve(p, SourcingScenario(cap_share=cap))
    if r.table("cost").iloc[0]["unmet_t"] <= 1e-9:
        assert (r.table("suppliers")["share"] <= cap + 1e-7).all()


@settings(max_examples=25, deadline=None)
@given(markets(), st.floats(0.2, 1.0), st.integers(0, 5))
def test_excluding_a_supplier_never_lowers_cost(p, cap, k):
    who = p.suppliers[k % len(p.suppliers)]
    base = _objective(p, cap_share=cap)
    assert _objective(p, cap_share=cap, exclude=(who,)) >= base - 1e-6 * base


@settings(max_examples=25, deadline=None)
@given(markets())
def test_cap_one_without_exclusions_reproduces_the_merit_order_plan(p):
    # The cheapest plan fills demand from the cheapest tranche up: each supplier's current
    # tonnes at c, then a quarter of its other customers' take at 1.5 c, then unmet tonnes.
    m = Sourcing()
    tranches = sorted([(c, q) for c, q in zip(p.unit_cost_usd_per_t, p.current_t)]
                      + [(1.5 * c, 0.25 * r) for c, r in zip(p.unit_cost_usd_per_t, p.redirectable_t)])
    left, cost = D, 0.0
    for price, q in tranches:
        take = min(q, left)
        cost += take * price
        left -= take
    cost += left * m.voll(p)
    r = m.solve(p, SourcingScenario(cap_share=1.0))
    assert r.diagnostics.objective == __import__("pytest").approx(cost, rel=1e-9, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(markets(look_through=True), st.floats(0.3, 1.0))
def test_look_through_shares_sum_to_the_plan(p, cap):
    r = Sourcing().solve(p, SourcingScenario(cap_share=cap))
    plan = r.table("plan")
    sup = r.table("suppliers")
    assert np.isclose(plan["quantity_t"].sum(), sup["quantity_t"].sum(), rtol=1e-9, atol=1e-6)
    by = plan.groupby("supplier")["quantity_t"].sum()
    q = sup.set_index("supplier")["quantity_t"]
    assert np.allclose(by.reindex(q.index, fill_value=0.0).astype(float), q, rtol=1e-9, atol=1e-6)
    origins = r.table("origins")
    assert np.isclose(origins["quantity_t"].sum(), sup["quantity_t"].sum(), rtol=1e-9, atol=1e-6)
    if r.table("cost").iloc[0]["unmet_t"] <= 1e-9:
        assert (origins["share"] <= cap + 1e-7).all()
