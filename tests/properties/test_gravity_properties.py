"""Properties of the exact full-endowment solver on random small worlds (hypothesis):
prices are positive, markets clear, the reference importer's resistance stays 1, and
lowering one pair's trade cost raises that pair's flow."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.models.ge.solver import biproportional, solve_full_endowment


@st.composite
def worlds(draw):
    n = draw(st.integers(3, 8))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    log_cost = rng.normal(-2, 1.5, size=(n, n))
    np.fill_diagonal(log_cost, 0.0)
    Y = rng.lognormal(5, 1, n)
    E = Y * rng.uniform(0.8, 1.2, n)
    E *= Y.sum() / E.sum()
    a, b, _ = biproportional(np.exp(log_cost), Y, E)
    flows = a[:, None] * np.exp(log_cost) * b[None, :]
    i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    if i == j:
        j = (i + 1) % n
    shock = draw(st.floats(0.05, 4.0))
    sigma = draw(st.floats(2.0, 12.0))
    ref = draw(st.integers(0, n - 1))
    return flows, (i, j), shock, sigma, ref


@settings(max_examples=30, deadline=None)
@given(worlds())
def test_cheaper_pair_trades_more_and_markets_clear(world):
    flows, (i, j), shock, sigma, ref = world
    cost_hat = np.ones_like(flows)
    cost_hat[i, j] = np.exp(shock)          # T = t^(1-sigma) rises: the pair gets cheaper
    sol = solve_full_endowment(flows, cost_hat, sigma=sigma, ref=ref)
    assert (sol.price_hat > 0).all()
    assert np.allclose(sol.flows.sum(1), sol.price_hat * flows.sum(1), rtol=1e-8)
    assert abs(sol.imr_hat[ref] - 1) < 1e-10
    assert sol.flows[i, j] > flows[i, j]
