"""Speed of critmin's structural-gravity GE on the book's 69-country data (Yotov et al.
2016, ch. 2, "trade without borders", sigma = 7).

Targets (issue 6): one full-endowment solve <= 20 ms; 1,000 Monte Carlo solves <= 20 s.
Baseline measured in the same run: scipy.optimize.root (hybr, finite-difference Jacobian)
on the same full-endowment system in levels (3n - 1 unknowns: log prices, log OMR, log IMR
with the reference importer's fixed), i.e. the approach gegravity takes. For the Monte
Carlo the baseline time is extrapolated from a few root solves (stated in the output).

Run: .venv/bin/python benchmarks/bench_ge.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy.optimize import root

from critmin.config import default_source_dir
from critmin.models.ge.model import StructuralGravity
from critmin.models.ge.monte_carlo import monte_carlo
from critmin.models.ge.costs import cost_design, estimate
from critmin.scenario import load_scenario
from critmin.scenario.registry import plugin
from critmin.models.ge.solver import biproportional, level_equations, solve_full_endowment

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "yotov-ch2-app1-trade-without-borders.yaml"


def scipy_root_solve(flows: np.ndarray, cost_hat: np.ndarray, sigma: float, ref: int) -> np.ndarray:
    """Price changes from the level system solved by scipy.optimize.root (baseline)."""
    n = len(flows)
    Y, E = flows.sum(1), flows.sum(0)
    T0 = flows / (Y[:, None] * E[None, :])          # any T with the same biproportional fit
    T1 = T0 * cost_hat
    a, b, _ = biproportional(T0, Y, E)
    omr0 = Y * E[ref] / (a * b[ref])

    equations = level_equations(T1, Y, E, omr0, sigma=sigma, ref=ref)

    # start from the conditional equilibrium, as gegravity does
    a1, b1, _ = biproportional(T1, Y, E)
    omr1 = Y * E[ref] / (a1 * b1[ref])
    imr1 = (E / b1) / (E[ref] / b1[ref])
    z0 = np.concatenate([np.zeros(n), np.log(omr1), np.delete(np.log(imr1), ref)])
    sol = root(equations, z0, method="hybr", tol=1e-10)
    if not sol.success:
        raise RuntimeError(f"scipy root failed: {sol.message}")
    return np.exp(sol.x[:n])


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    if default_source_dir() is None:
        raise SystemExit("../shared/data is absent: set CRITMIN_SOURCE_DIR.")
    scenario = load_scenario(SCENARIO)
    ge = plugin("ge")
    baseline = ge.load_baseline(scenario, None)
    fit = estimate(ge.make_model(scenario), baseline)
    design = cost_design(ge.make_model(scenario), baseline, scenario, fit)
    beta = fit.coef[list(design.covariates)].to_numpy()
    arrays = design.arrays(beta)
    model = StructuralGravity(sigma=7, reference_importer="DEU")
    ref = arrays.countries.index("DEU")
    a, b, _ = biproportional(arrays.cost0, arrays.trade.sum(1), arrays.trade.sum(0))
    base = a[:, None] * arrays.cost0 * b[None, :]
    cost_hat = arrays.cost1 / arrays.cost0

    # 1. one full-endowment solve
    kernel = best_of(lambda: solve_full_endowment(base, cost_hat, sigma=7, ref=ref), 50)
    whole = best_of(lambda: model.solve_arrays(arrays), 20)
    t = time.perf_counter()
    p_root = scipy_root_solve(base, cost_hat, 7.0, ref)
    t_root = time.perf_counter() - t
    p_ours = solve_full_endowment(base, cost_hat, sigma=7, ref=ref).price_hat
    print("69 countries, sigma 7, trade without borders (best of repeats)")
    print(f"  full-endowment solve (kernel)            {kernel * 1e3:8.2f} ms  (target <= 20 ms)")
    print(f"  model.solve (baseline fit + conditional + full + tables) {whole * 1e3:8.2f} ms")
    print(f"  baseline scipy.optimize.root (hybr)      {t_root * 1e3:8.1f} ms  -> ratio "
          f"{t_root / kernel:6.0f}x (kernel), {t_root / whole:5.0f}x (model.solve)")
    print(f"  same prices: max |p_critmin / p_root - 1| = {np.max(np.abs(p_ours / p_root - 1)):.1e}")

    # 2. 1,000 Monte Carlo solves
    cov = fit.vcov.loc[list(design.covariates), list(design.covariates)].to_numpy()
    t = time.perf_counter()
    bands, failed = monte_carlo(model, design, beta, cov, 1000, seed=1)
    t_mc = time.perf_counter() - t
    rng = np.random.default_rng(2)
    k = 3
    t = time.perf_counter()
    for d in rng.multivariate_normal(beta, cov, size=k):
        arr = design.arrays(d)
        aa, bb, _ = biproportional(arr.cost0, arr.trade.sum(1), arr.trade.sum(0))
        scipy_root_solve(aa[:, None] * arr.cost0 * bb[None, :], arr.cost1 / arr.cost0, 7.0, ref)
    t_root_mc = (time.perf_counter() - t) / k * 1000
    print(f"1,000 Monte Carlo draws of the PPML coefficients ({failed} failed)")
    print(f"  critmin monte_carlo                      {t_mc:8.2f} s   (target <= 20 s)")
    print(f"  baseline scipy.optimize.root x 1,000     {t_root_mc:8.1f} s   (extrapolated from {k} "
          f"solves) -> ratio {t_root_mc / t_mc:5.0f}x")
    print(f"  5-95 % band of real GDP, DEU: {bands.set_index('country').loc['DEU', 'real_gdp_change_pct_p05']:.2f}"
          f" .. {bands.set_index('country').loc['DEU', 'real_gdp_change_pct_p95']:.2f} %")


if __name__ == "__main__":
    from _machine import machine_report

    with machine_report("bench_ge"):
        main()
