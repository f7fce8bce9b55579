"""Numerical kernels of the structural-gravity GE model: plain numpy on n x n matrices.

Everything here works on dense arrays whose rows are exporters and columns importers, in
one fixed country order chosen by :mod:`critmin.models.ge.model`; nothing is matched by
position outside that module. Three kernels:

:func:`biproportional`
    Scales a cost matrix ``T`` to given row and column sums (``a_i T_ij b_j``). A PPML
    regression with exporter and importer fixed effects and a fixed offset ``log T`` has
    exactly these fitted values: its first-order conditions for the fixed effects *are*
    the row and column sums. This is the "GE-PPML" step of Yotov et al. (2016, ch. 2)
    without the regression machinery.
:func:`solve_full_endowment`
    Exact hat algebra for the full-endowment equilibrium, iterating on log factory-gate
    prices (so a price can never turn negative) with a reference importer's inward
    resistance fixed at 1.
:func:`geppml_book`
    The iterative GE-PPML procedure of the book's Stata code, step for step, including
    its stopping rule, so the published tables can be reproduced exactly.
:func:`level_equations`
    The same full-endowment equilibrium as 3n - 1 equations in levels (gegravity's
    layout), for an independent check with a generic root finder and as the benchmark's
    baseline; never used by the model itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critmin.errors import SolveError


@dataclass(frozen=True, slots=True)
class FullSolution:
    """Changes (hats, new/old) from a full-endowment solve; arrays in country order."""

    price_hat: np.ndarray       # factory-gate price p'/p
    imr_hat: np.ndarray         # inward resistance P'/P (reference importer: 1)
    flows: np.ndarray           # counterfactual bilateral flows X'_ij
    world_scale: float          # factor on phi that keeps world spending = world output
    iterations: int
    residual: float             # max |demand / supply - 1| at the solution


def biproportional(cost: np.ndarray, row: np.ndarray, col: np.ndarray, *, tol: float = 1e-12,
                   max_iter: int = 20_000) -> tuple[np.ndarray, np.ndarray, int]:
    """Vectors ``a``, ``b`` with ``a_i T_ij b_j`` summing to ``row`` (i) and ``col`` (j).

    Parameters
    ----------
    cost : ndarray, shape (n, n)
        Non-negative costs ``T_ij = t_ij^(1-sigma)``; every row and column has a positive entry.
    row, col : ndarray, shape (n,)
        Target sums (output by exporter, expenditure by importer); equal totals.
    tol : float
        Largest relative error of a row sum at the solution.

    Raises
    ------
    SolveError
        When the scaling has not converged after ``max_iter`` sweeps.
    """
    b = np.ones(cost.shape[1])
    costT = np.ascontiguousarray(cost.T)
    err = np.inf
    for it in range(1, max_iter + 1):
        a = row / (cost @ b)
        b_new = col / (costT @ a)
        # after this sweep the column sums are exact and row i is off by the factor
        # (T b_new)_i / (T b)_i, which lies within the range of b_new / b: a cheap bound
        step = b_new / b
        err = float(max(step.max() - 1.0, 1.0 - step.min()))
        b = b_new
        if err < tol:
            return row / (cost @ b), b, it
        if not np.isfinite(err):
            break
    raise SolveError("biproportional scaling (multilateral resistances) did not converge",
                     {"iterations": it, "max_row_error": f"{err:.3g}", "tolerance": tol})


def solve_full_endowment(flows: np.ndarray, cost_hat: np.ndarray, *, sigma: float, ref: int,
                         tol: float = 1e-10, max_iter: int = 5_000,
                         countries: tuple[str, ...] | None = None) -> FullSolution:
    """Full-endowment GE by exact hat algebra (Dekle, Eaton & Kortum form of ch. 2's model).

    With baseline flows ``X`` (exporter i, importer j), output ``Y = X.sum(1)``,
    expenditure ``E = X.sum(0)``, ``phi = E / Y`` and shares ``pi = X / E``::

        P_j^(1-s)' / P_j^(1-s) = sum_i pi_ij (p_i t_ij)^(1-s) hat
        X'_ij                  = pi_ij (p_i t_ij)^(1-s) hat / P_j^(1-s) hat * E'_j
        E'_j                   = k phi_j p_j hat Y_j     (k: one world factor, below)
        p_i hat Y_i            = sum_j X'_ij             (market clearing)
        P_ref hat              = 1                       (normalisation)

    The book holds ``E_j = phi_j Y_j``. Once relative prices move, ``sum_j phi_j Y'_j`` no
    longer equals ``sum_i Y'_i``, and no price vector can clear every market; ``k`` rescales
    all ``phi`` by one common factor so world spending equals world output (Walras' law).
    It is reported as ``world_scale`` and stays within a fraction of a percent of 1 for the
    book's experiments.

    The iteration updates log prices by ``log(demand / supply) / sigma``: excess demand
    for a country's good has elasticity ``-sigma`` in its own price, so the step is a
    diagonal Newton step, and prices stay positive by construction.

    Parameters
    ----------
    flows : ndarray (n, n)
        Baseline flows, positive diagonal.
    cost_hat : ndarray (n, n)
        ``T'_ij / T_ij`` with ``T = t^(1-sigma)``.
    sigma : float
        Elasticity of substitution (> 1).
    ref : int
        Position of the reference importer.

    Raises
    ------
    SolveError
        Not converged after ``max_iter`` iterations; diagnostics name the worst country.
    """
    Y = flows.sum(1)
    E = flows.sum(0)
    phi = E / Y
    A = (flows / E[None, :]) * cost_hat
    x = np.zeros(len(Y))                       # log factory-gate price change
    one_minus = 1.0 - sigma
    resid = np.inf
    worst = 0
    for it in range(1, max_iter + 1):
        w = np.exp(one_minus * x)
        a = A * w[:, None]
        P1 = a.sum(0)                          # P^(1-sigma) hat
        supply = np.exp(x) * Y
        spend = phi * supply
        spend *= supply.sum() / spend.sum()
        demand = a @ (spend / P1)
        ratio = demand / supply
        dev = np.abs(ratio - 1.0)
        worst = int(np.argmax(dev))
        resid = float(dev[worst])
        if resid < tol:
            break
        if not np.isfinite(resid):
            break
        x = x + np.log(ratio) / sigma
        # normalise: P_ref hat = 1  (P hat is homogeneous of degree 1 in p hat)
        x -= np.log(np.dot(A[:, ref], np.exp(one_minus * x))) / one_minus
    else:
        it = max_iter
    if not resid < tol:
        name = countries[worst] if countries else str(worst)
        raise SolveError("full-endowment GE did not converge",
                         {"iterations": it, "max_excess_demand": f"{resid:.3g}",
                          "worst_country": name, "tolerance": tol, "sigma": sigma})
    p = np.exp(x)
    w = np.exp(one_minus * x)
    a = A * w[:, None]
    P1 = a.sum(0)
    supply = p * Y
    spend = phi * supply
    k = supply.sum() / spend.sum()
    spend *= k
    new_flows = a / P1[None, :] * spend[None, :]
    return FullSolution(price_hat=p, imr_hat=P1 ** (1.0 / one_minus), flows=new_flows,
                        world_scale=float(k), iterations=it, residual=resid)


@dataclass(frozen=True, slots=True)
class BookSolution:
    """Output of :func:`geppml_book`, in the book's own variables."""

    price_hat: np.ndarray
    imr_hat: np.ndarray         # P_FULL / P_BLN
    omr_hat: np.ndarray         # Pi_FULL / Pi_BLN  (from OMR = Y E_R / exp(pi))
    flows: np.ndarray           # X_FULL
    iterations: int
    last_sd: float
    last_max: float


def level_equations(cost1: np.ndarray, output: np.ndarray, spending: np.ndarray,
                    omr0: np.ndarray, *, sigma: float, ref: int):  # type: ignore[no-untyped-def]
    """Residuals of the full-endowment equilibrium in levels, for ``scipy.optimize.root``.

    Unknowns ``z`` = log price changes (n), log outward resistances (n), log inward
    resistances of every importer but ``ref`` (n - 1). ``cost1`` is the counterfactual
    cost matrix ``t_ij^(1-sigma)``, ``omr0`` the baseline outward resistances; spending
    keeps each country's baseline ratio to output, rescaled so world spending equals
    world output (as :func:`solve_full_endowment` does).
    """
    n = len(output)
    phi = spending / output

    def equations(z: np.ndarray) -> np.ndarray:
        x, lomr = z[:n], z[n:2 * n]
        limr = np.insert(z[2 * n:], ref, 0.0)
        y1 = np.exp(x) * output
        e1 = phi * y1 * y1.sum() / (phi * y1).sum()
        return np.concatenate([
            lomr - np.log(cost1 @ (e1 / np.exp(limr))),
            np.delete(limr - np.log(cost1.T @ (y1 / np.exp(lomr))), ref),
            (1 - sigma) * x - (x - (lomr - np.log(omr0))),
        ])

    return equations


def _fe(fitted_a: np.ndarray, fitted_b: np.ndarray, ref: int) -> tuple[np.ndarray, np.ndarray]:
    """Exporter and importer fixed effects (exp) with the reference importer's set to 0."""
    return fitted_a * fitted_b[ref], fitted_b / fitted_b[ref]


@np.errstate(over="ignore", invalid="ignore", divide="ignore")  # divergence is detected below
def geppml_book(trade: np.ndarray, cost0: np.ndarray, cost1: np.ndarray, *, sigma: float,
                ref: int, tol: float = 0.01, max_iter: int = 200) -> BookSolution:
    """The iterative GE-PPML procedure of Yotov et al. (2016, ch. 2), as in its Stata code.

    Each pass rescales the last predicted flows by the last changes in factory-gate prices
    and resistances, re-fits the PPML with exporter and importer fixed effects and the
    counterfactual cost offset (:func:`biproportional`: same fitted values and fixed
    effects), updates output, ``E = phi Y`` and prices, and stops when the standard
    deviation *and* the largest value of the change in the price update are below ``tol``
    (0.01 in the book), measured over all exporter-importer rows as Stata does. The
    full-endowment indexes are then built from the last pass exactly as the book builds
    them. This stopping rule is loose; :func:`solve_full_endowment` solves the same model's
    equations to machine precision (see docs/gravity.md for the gap).
    """
    n = trade.shape[0]
    inv = 1.0 / (1.0 - sigma)
    Yo, Eo = trade.sum(1), trade.sum(0)
    a0, b0, _ = biproportional(cost0, Yo, Eo)
    fb = a0[:, None] * cost0 * b0[None, :]
    pi0, chi0 = _fe(a0, b0, ref)
    Y0, E0 = fb.sum(1), fb.sum(0)
    ER0 = E0[ref]
    phi = E0 / Y0
    a1, b1, _ = biproportional(cost1, Yo, Eo)
    fc = a1[:, None] * cost1 * b1[None, :]
    pi1, chi1 = _fe(a1, b1, ref)
    # state of passes s-2 (prev) and s-3 (prev2), as in the Stata loop
    hat_prev = fc
    pi_prev, ER_prev = pi1, ER0
    cp_prev, cp_prev2 = (pi1 / pi0) ** inv, np.zeros(n)
    cO_prev, cI_prev = np.ones(n), np.ones(n)
    OMR_prev = Y0 * ER0 / pi1
    IMR_prev = E0 / (chi1 * ER0)
    sd = mx = np.inf
    it = 0
    state = (pi1, chi1, ER0, E0)
    while it < max_iter:
        it += 1
        tr = hat_prev * cp_prev[:, None] * cp_prev[None, :] / (cO_prev[:, None] * cI_prev[None, :])
        if not np.all(np.isfinite(tr)) or tr.max() > 1e200:
            # the book's update is not a contraction; on some shocks it runs away
            raise SolveError("the book's GE-PPML iteration diverged; use method 'exact'",
                             {"iterations": it, "sd": f"{sd:.3g}", "max": f"{mx:.3g}"})
        try:
            a, b, _ = biproportional(cost1, tr.sum(1), tr.sum(0))
        except SolveError as exc:
            raise SolveError("the book's GE-PPML iteration diverged; use method 'exact'",
                             {"iterations": it, **exc.diagnostics}) from exc
        fit = a[:, None] * cost1 * b[None, :]
        ep, ec = _fe(a, b, ref)
        Ys = fit.sum(1)
        Es = phi * Ys
        ER = Es[ref]
        cp = ((ep / pi_prev) / (ER / ER_prev)) ** inv
        OMR = Ys * ER / ep
        IMR = Es / (ec * ER)
        dif = np.repeat(cp_prev - cp_prev2, n)          # one value per exporter-importer row
        sd, mx = float(dif.std(ddof=1)), float(abs(dif.max()))
        state = (ep, ec, ER, Es)
        hat_prev, pi_prev, ER_prev = fit, ep, ER
        cp_prev2, cp_prev = cp_prev, cp
        cO_prev, cI_prev = OMR / OMR_prev, IMR / IMR_prev
        OMR_prev, IMR_prev = OMR, IMR
        if not (sd > tol or mx > tol):
            break
    else:
        raise SolveError("the book's GE-PPML iteration did not meet its stopping rule",
                         {"iterations": it, "sd": f"{sd:.3g}", "max": f"{mx:.3g}", "tolerance": tol})
    ep, ec, ER, Es = state
    price = ((ep / pi0) / (ER / ER0)) ** inv
    YF = price * Y0
    EF = phi * YF
    OMRF = YF * ER / ep
    IMRF = Es / (ec * ER)
    XF = YF[:, None] * EF[None, :] * cost1 / (OMRF[:, None] * IMRF[None, :])
    OMR0 = Y0 * ER0 / pi0
    IMR0 = E0 / (chi0 * ER0)
    return BookSolution(price_hat=price, imr_hat=(IMRF / IMR0) ** inv, omr_hat=(OMRF / OMR0) ** inv,
                        flows=XF, iterations=it, last_sd=sd, last_max=mx)
