"""StructuralGravity and its solver on small synthetic worlds built in the test.

Reference implementations: the model's level equations (multilateral resistances and the
factory-gate price equation of Yotov et al. 2016, ch. 2) solved independently with
scipy.optimize.root; pyfixest fepois for the GE-PPML fixed-effects step. Tolerances are
stated per test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import root

from critmin.errors import InputError, InvalidParameterError, SolveError, UnknownCountryError
from critmin.models.ge.model import GravityArrays, StructuralGravity
from critmin.models.ge.solver import biproportional, level_equations, solve_full_endowment

COUNTRIES = ("AAA", "BBB", "CCC", "DDD", "EEE")


def _world(seed: int = 1, n: int = 5, imbalance: float = 0.15):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, size=(n, 2))
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) + 1.0
    log_cost = -0.9 * np.log(dist) - 1.5 * (1 - np.eye(n))
    Y = rng.uniform(50, 500, n)
    E = Y * (1 + rng.uniform(-imbalance, imbalance, n))
    E *= Y.sum() / E.sum()
    a, b, _ = biproportional(np.exp(log_cost), Y, E)
    trade = a[:, None] * np.exp(log_cost) * b[None, :]
    return trade, log_cost


def _frame(trade, log_cost, log_cost_cfl, countries=COUNTRIES) -> pd.DataFrame:
    n = len(countries)
    ii, jj = np.meshgrid(range(n), range(n), indexing="ij")
    return pd.DataFrame({"exporter": np.asarray(countries)[ii.ravel()],
                         "importer": np.asarray(countries)[jj.ravel()],
                         "trade": trade.ravel(), "log_cost": log_cost.ravel(),
                         "log_cost_cfl": log_cost_cfl.ravel()})


def _border_removed(log_cost):
    return log_cost + 1.5 * (1 - np.eye(len(log_cost)))


def test_empty_counterfactual_returns_the_baseline():
    trade, lc = _world()
    res = StructuralGravity(sigma=5, reference_importer="AAA").solve_arrays(_frame(trade, lc, lc))
    pct = res.countries.filter(like="_pct")
    assert np.abs(pct.to_numpy()).max() < 1e-8
    assert np.allclose(res.bilateral["trade_counterfactual"], res.bilateral["trade_baseline"])


def test_exact_solution_satisfies_the_book_level_equations():
    """Market clearing, P_ref = 1 and p^(1-s) = (Y'/Y) / (OMR'/OMR) hold to 1e-8."""
    sigma, ref = 6.0, 2
    trade, lc = _world(seed=3)
    lc1 = _border_removed(lc)
    sol = solve_full_endowment(trade, np.exp(lc1 - lc), sigma=sigma, ref=ref)
    Y, E = trade.sum(1), trade.sum(0)
    Y1 = sol.price_hat * Y
    assert np.allclose(sol.flows.sum(1), Y1, rtol=1e-8)                  # market clearing
    assert sol.imr_hat[ref] == pytest.approx(1.0, abs=1e-12)              # normalisation
    assert np.allclose(sol.flows.sum(0) / Y1, sol.world_scale * E / Y, rtol=1e-8)  # E = k phi Y

    def mrs(T, Yv, Ev):   # OMR, IMR with IMR_ref = 1, from X = Y E T / (OMR IMR)
        a, b, _ = biproportional(T, Yv, Ev)
        return Yv * Ev[ref] / (a * b[ref]), (Ev / b) / (Ev[ref] / b[ref])

    omr0, imr0 = mrs(np.exp(lc), Y, E)
    omr1, imr1 = mrs(np.exp(lc1), Y1, sol.flows.sum(0))
    assert np.allclose(sol.price_hat ** (1 - sigma), (Y1 / Y) / (omr1 / omr0), rtol=1e-8)
    assert np.allclose(sol.imr_hat, (imr1 / imr0) ** (1 / (1 - sigma)), rtol=1e-8)


def test_exact_solution_matches_scipy_root_on_the_level_system():
    """Independent solve of the 3n-1 level equations (gegravity's layout) with scipy's
    hybr, updating Y and E with prices; agreement to 1e-7 in price changes."""
    sigma, ref, n = 7.0, 0, 5
    trade, lc = _world(seed=5)
    lc1 = _border_removed(lc) + 0.3 * np.eye(n)[[1]].T @ np.eye(n)[[3]]
    Y, E = trade.sum(1), trade.sum(0)
    T1 = np.exp(lc1)
    a, b, _ = biproportional(np.exp(lc), Y, E)
    omr0 = Y * E[ref] / (a * b[ref])

    equations = level_equations(T1, Y, E, omr0, sigma=sigma, ref=ref)

    z0 = np.concatenate([np.zeros(n), np.log(omr0), np.zeros(n - 1)])
    ref_sol = root(equations, z0, method="hybr", tol=1e-13)
    assert ref_sol.success
    ours = solve_full_endowment(trade, np.exp(lc1 - lc), sigma=sigma, ref=ref, tol=1e-12)
    assert np.allclose(ours.price_hat, np.exp(ref_sol.x[:n]), rtol=1e-7)


def test_biproportional_scaling_equals_ppml_with_fixed_effects_and_offset():
    """The GE-PPML step: PPML (estimate_ppml -> pyfixest fepois) of trade on exporter and
    importer effects with the cost offset has the same fitted values as the biproportional
    scaling of exp(offset) (1e-6 relative)."""
    from critmin.models.ge.ppml import estimate_ppml

    trade, lc = _world(seed=7)
    lc1 = _border_removed(lc)
    frame = _frame(trade, lc, lc1).assign(off=lc1.ravel())
    fit = estimate_ppml(frame, "trade ~ 1 | exporter + importer", offset="off")
    a, b, _ = biproportional(np.exp(lc1), trade.sum(1), trade.sum(0))
    ours = (a[:, None] * np.exp(lc1) * b[None, :]).ravel()
    assert fit.coef.empty
    assert np.allclose(fit.fitted, ours, rtol=1e-6)


def test_removing_borders_raises_every_country_s_exports_and_real_gdp():
    trade, lc = _world(seed=2)
    res = StructuralGravity(sigma=7, reference_importer="BBB").solve_arrays(_frame(trade, lc, _border_removed(lc)))
    c = res.countries.set_index("country")
    assert (c["exports_change_pct"] > 0).all()
    assert (c["real_gdp_change_pct"] > 0).all()
    assert c.loc["BBB", "imr_change_pct"] == pytest.approx(0.0, abs=1e-9)


def test_prices_stay_positive_under_an_extreme_shock():
    trade, lc = _world(seed=4)
    lc1 = lc.copy()
    lc1[0, 1:] -= 12.0          # exporter AAA loses nearly all foreign markets
    res = StructuralGravity(sigma=3, reference_importer="AAA").solve_arrays(_frame(trade, lc, lc1))
    price = 1 + res.countries["factory_price_change_pct"] / 100
    assert (price > 0).all()
    c = res.countries.set_index("country")
    assert c.loc["AAA", "exports_change_pct"] < -50
    assert c.loc["AAA", "factory_price_change_pct"] < -5   # its price falls, never below 0


def test_geppml_book_method_runs_and_is_close_to_exact_for_a_small_shock():
    trade, lc = _world(seed=6)
    lc1 = lc.copy()
    lc1[1, 2] += 0.2
    f = _frame(trade, lc, lc1)
    exact = StructuralGravity(sigma=7, reference_importer="AAA").solve_arrays(f).countries.set_index("country")
    book = StructuralGravity(sigma=7, reference_importer="AAA", method="geppml-book").solve_arrays(f).countries.set_index("country")
    gap = (exact["real_gdp_change_pct"] - book["real_gdp_change_pct"]).abs().max()
    assert gap < 0.05      # the book's stopping rule allows ~1e-2 in price ratios


def test_solver_that_stops_early_raises_solve_error_with_diagnostics():
    trade, lc = _world()
    with pytest.raises(SolveError) as err:
        StructuralGravity(sigma=7, reference_importer="AAA", max_iter=2).solve_arrays(_frame(trade, lc, _border_removed(lc)))
    assert err.value.diagnostics["iterations"] == 2
    assert "worst_country" in err.value.diagnostics
    assert "did not converge" in str(err.value)


def test_missing_intranational_flow_names_the_country():
    trade, lc = _world()
    f = _frame(trade, lc, lc)
    f = f[~((f.exporter == "CCC") & (f.importer == "CCC"))]
    with pytest.raises(InputError, match="intranational.*CCC"):
        StructuralGravity(reference_importer="AAA").solve_arrays(f)


def test_zero_intranational_flow_is_rejected():
    trade, lc = _world()
    trade[3, 3] = 0.0
    with pytest.raises(InputError, match="zero for DDD"):
        StructuralGravity(reference_importer="AAA").solve_arrays(_frame(trade, lc, lc))


def test_negative_trade_names_the_pair():
    trade, lc = _world()
    trade[0, 4] = -1.0
    with pytest.raises(InputError, match=r"negative.*AAA->EEE"):
        StructuralGravity(reference_importer="AAA").solve_arrays(_frame(trade, lc, lc))


def test_missing_pair_is_named():
    trade, lc = _world()
    f = _frame(trade, lc, lc)
    f = f[~((f.exporter == "AAA") & (f.importer == "BBB"))]
    with pytest.raises(InputError, match="AAA->BBB"):
        StructuralGravity(reference_importer="AAA").solve_arrays(f)


def test_unknown_reference_importer_suggests_a_country():
    trade, lc = _world()
    with pytest.raises(UnknownCountryError, match="Did you mean 'DDD'"):
        StructuralGravity(reference_importer="DDE").solve_arrays(_frame(trade, lc, lc))


@pytest.mark.parametrize("kwargs", [{"sigma": 1.0}, {"sigma": -2}, {"method": "newton"},
                                    {"tol": 0}, {"max_iter": 0}])
def test_invalid_parameters_are_named(kwargs):
    with pytest.raises(InvalidParameterError, match=next(iter(kwargs))):
        StructuralGravity(**kwargs)


def test_repr_lists_only_non_default_parameters():
    assert repr(StructuralGravity()) == "StructuralGravity()"
    assert repr(StructuralGravity(sigma=5.0)) == "StructuralGravity(sigma=5.0)"


def test_solve_does_not_mutate_inputs_and_blocs_aggregate_members():
    trade, lc = _world()
    f = _frame(trade, lc, _border_removed(lc))
    before = f.copy()
    res = StructuralGravity(reference_importer="AAA").solve_arrays(f)
    pd.testing.assert_frame_equal(f, before)
    blocs = res.blocs({"AB": ("AAA", "BBB")}).set_index("bloc")
    c = res.countries.set_index("country").loc[["AAA", "BBB"]]
    expected = 100 * (c["exports_counterfactual"].sum() / c["exports_baseline"].sum() - 1)
    assert blocs.loc["AB", "exports_change_pct"] == pytest.approx(expected)
    with pytest.raises(UnknownCountryError):
        res.blocs({"X": ("AAA", "ZZZ")})


def test_arrays_from_frame_puts_countries_in_sorted_order():
    trade, lc = _world()
    arr = GravityArrays.from_frame(_frame(trade, lc, lc).sample(frac=1, random_state=0))
    assert arr.countries == COUNTRIES
    assert np.allclose(arr.trade, trade)
