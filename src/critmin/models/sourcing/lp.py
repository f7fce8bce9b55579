"""The sourcing LP on HiGHS through ``highspy``, kept alive for warm-started sweeps.

Why ``highspy`` and not ``linopy``: the problem is small (one column pair per supplier) and
is re-solved many times with only bounds changed (a 21-point cap frontier, exclusion
steps, the tightest-cap search, HHI cuts). ``highspy`` keeps one ``Highs`` object, changes
bounds in place and re-solves from the previous optimal basis (dual simplex hot start), so a
frontier point costs a few pivots. linopy rebuilds an xarray model and hands a fresh
problem to the solver on every solve, which costs more than the solve itself here.

Columns (all in tonnes except ``t``)::

    b_i  purchases from supplier i up to what the unit buys today     [0, current_i]
    e_i  further purchases, redirected or new supply                   [0, flex * redirectable_i]
    u    unmet demand                                                  [0, D] (or [0, 0])
    t    the cap, a share of demand (fixed by its bounds)              [cap, cap]
    z_i  epigraph of share_i ** 2 (only with an HHI cap)               [0, inf)

Rows::

    demand      sum_i (b_i + e_i) + u = D
    cap_i       b_i + e_i - D t <= 0                 non-member suppliers
    origin_o    sum_i a_io (b_i + e_i) - D t <= 0    non-member origins one stage up
    risk        sum_i (r_i - R)(b_i + e_i) <= 0      share-weighted WGI risk <= R
    hhi         sum_i z_i <= H / 10,000;  tangent cuts  z_i >= 2 s (b_i + e_i) / D - s ** 2

The objective is ``sum_i w_i c_i (b_i + premium * e_i) + VOLL * u`` with ``w_i`` the
preference weight. The HHI bound ``sum_i share_i ** 2 <= H`` is convex but quadratic; it is
linearised by outer approximation (Kelley's cutting planes): tangent cuts at a grid of
shares, then cuts at the plan's own shares until the plan's HHI is within
``HHI_TOL`` of the cap. The result is exact to that tolerance, which a second-order cone
would also give but at the cost of an interior-point solve with no warm start.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, replace

import numpy as np

from critmin.errors import SolveError

HHI_TOL = 0.5        # HHI points (0-10,000) the plan may exceed its cap by after the cuts
HHI_GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MAX_CUT_ROUNDS = 60
INF = float("inf")
_BANNER_SILENCED = False


def new_highs():  # noqa: ANN201  (highspy.Highs, imported lazily)
    """A silent ``highspy.Highs``. HiGHS prints its banner on stdout when the first object
    is made; stdout is redirected at the file-descriptor level for that one construction so
    JSON and CSV output stay clean."""
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        import highspy

        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        try:
            import highspy

            h = highspy.Highs()
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _BANNER_SILENCED = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # presolve would discard the warm-start basis
    return h


@dataclass(frozen=True, slots=True)
class LPData:
    """The numbers of one LP, as arrays (built by the model from the problem and scenario)."""

    demand_t: float
    cost: np.ndarray          # delivered cost per supplier (USD/t)
    weight: np.ndarray        # preference weight per supplier (objective only)
    premium: float
    base_ub: np.ndarray       # current_t
    extra_ub: np.ndarray      # flexibility * redirectable_t
    capped: np.ndarray        # bool: supplier cap row
    origin_share: np.ndarray  # suppliers x origins (0 columns: no look-through)
    origin_capped: np.ndarray  # bool per origin
    risk: np.ndarray          # risk index per supplier (unknown as 10)
    max_risk: float | None
    hhi_cap: float | None
    voll: float
    allow_unmet: bool


@dataclass(frozen=True, slots=True)
class LPSolution:
    status: str               # "optimal" or "infeasible" (or a HiGHS model status word)
    base_t: np.ndarray
    extra_t: np.ndarray
    unmet_t: float
    objective: float
    iterations: int
    seconds: float
    cap_duals: np.ndarray     # per supplier (0 where no row), USD/t of the row's bound
    origin_duals: np.ndarray
    demand_dual: float
    risk_dual: float
    hhi_dual: float
    cap_reduced_cost: float   # d objective / d cap (USD per unit share)
    base_duals: np.ndarray    # reduced costs of b_i, e_i (USD/t)
    extra_duals: np.ndarray
    hhi_rounds: int
    cap_share: float = math.nan
    reused: bool = False

    @property
    def quantity_t(self) -> np.ndarray:
        return self.base_t + self.extra_t


class SourcingLP:
    """One HiGHS model of a sourcing problem; bounds change, the basis carries over."""

    def __init__(self, d: LPData) -> None:
        self.d = d
        n = len(d.cost)
        self.n = n
        D = d.demand_t
        h = new_highs()
        self.h = h
        inf = h.getInfinity()
        self.inf = inf
        # columns: b (n), e (n), u, t, [z (n)]
        cost = np.concatenate([d.weight * d.cost, d.weight * d.cost * d.premium, [d.voll, 0.0]])
        lower = np.zeros(2 * n + 2)
        upper = np.concatenate([d.base_ub, d.extra_ub, [D if d.allow_unmet else 0.0, 1.0]])
        self.col_u, self.col_t = 2 * n, 2 * n + 1
        self.has_hhi = d.hhi_cap is not None
        if self.has_hhi:
            cost = np.concatenate([cost, np.zeros(n)])
            lower = np.concatenate([lower, np.zeros(n)])
            upper = np.concatenate([upper, np.full(n, inf)])
        ncol = len(cost)
        h.addVars(ncol, lower, upper)
        h.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), cost)
        self.costs = cost
        self.upper = upper.copy()
        rows: list[tuple[float, float, list[int], list[float]]] = []
        # demand
        both = list(range(n)) + list(range(n, 2 * n))
        rows.append((D, D, both + [self.col_u], [1.0] * (2 * n) + [1.0]))
        self.row_demand = 0
        self.row_cap = np.full(n, -1)
        for i in np.nonzero(d.capped)[0]:
            self.row_cap[i] = len(rows)
            rows.append((-inf, 0.0, [int(i), int(n + i), self.col_t], [1.0, 1.0, -D]))
        k = d.origin_share.shape[1] if d.origin_share.ndim == 2 else 0
        self.row_origin = np.full(k, -1)
        for o in range(k):
            if not d.origin_capped[o]:
                continue
            a = d.origin_share[:, o]
            idx = np.nonzero(a > 0)[0]
            if not len(idx):
                continue
            self.row_origin[o] = len(rows)
            rows.append((-inf, 0.0, [int(i) for i in idx] + [int(n + i) for i in idx] + [self.col_t],
                         [float(a[i]) for i in idx] * 2 + [-D]))
        self.row_risk = -1
        if d.max_risk is not None:
            r = d.risk - d.max_risk
            self.row_risk = len(rows)
            rows.append((-inf, 0.0, both, list(r) + list(r)))
        self.row_hhi = -1
        if self.has_hhi:
            z0 = 2 * n + 2
            self.row_hhi = len(rows)
            rows.append((-inf, d.hhi_cap / 10_000.0, list(range(z0, z0 + n)), [1.0] * n))
        for lo, hi, idx, val in rows:
            h.addRow(lo, hi, len(idx), np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=float))
        self.nrows = len(rows)
        if self.has_hhi:
            for s in HHI_GRID:
                self._add_cuts(np.full(n, s), np.arange(n))
        self.set_cap(1.0)

    # ------------------------------------------------------------------ changes in place

    def _add_cuts(self, share: np.ndarray, which: np.ndarray) -> None:
        n, D, z0 = self.n, self.d.demand_t, 2 * self.n + 2
        for i in which:
            s = float(share[i])
            # z_i - (2 s / D)(b_i + e_i) >= -s^2
            self.h.addRow(-s * s, self.inf, 3, np.array([z0 + i, i, n + i], dtype=np.int32),
                          np.array([1.0, -2.0 * s / D, -2.0 * s / D]))
            self.nrows += 1

    def set_cap(self, cap: float) -> None:
        self.h.changeColBounds(self.col_t, float(cap), float(cap))

    def set_excluded(self, excluded: np.ndarray) -> None:
        """Close (bounds 0) the suppliers in the boolean mask; reopen the others."""
        n = self.n
        idx = np.arange(2 * n, dtype=np.int32)
        ub = np.concatenate([np.where(excluded, 0.0, self.d.base_ub),
                             np.where(excluded, 0.0, self.d.extra_ub)])
        self.h.changeColsBounds(2 * n, idx, np.zeros(2 * n), ub)

    def set_unmet_bounds(self, ub: float) -> None:
        self.h.changeColBounds(self.col_u, 0.0, float(ub))

    # ------------------------------------------------------------------ solving

    def _run(self) -> tuple[str, int]:
        h = self.h
        h.run()
        status = h.modelStatusToString(h.getModelStatus()).lower()
        return status, int(h.getInfo().simplex_iteration_count)

    def solve(self) -> LPSolution:
        """Solve (warm from the last basis); with an HHI cap, add cuts until it holds."""
        t0 = time.perf_counter()
        status, iters = self._run()
        rounds = 0
        n, D = self.n, self.d.demand_t
        while self.has_hhi and status == "optimal" and rounds < MAX_CUT_ROUNDS:
            x = np.asarray(self.h.getSolution().col_value)
            share = (x[:n] + x[n:2 * n]) / D
            hhi = float((share ** 2).sum()) * 10_000.0
            if hhi <= self.d.hhi_cap + HHI_TOL:
                break
            z = x[2 * n + 2:]
            violated = np.nonzero(share ** 2 > z + 1e-9)[0]
            self._add_cuts(share, violated)
            st, it = self._run()
            status, iters, rounds = st, iters + it, rounds + 1
        seconds = time.perf_counter() - t0
        if status != "optimal":
            if "infeasible" in status:
                status = "infeasible"
            nan = np.full(n, np.nan)
            return LPSolution(status, nan, nan, np.nan, np.nan, iters, seconds, nan,
                              np.full(len(self.row_origin), np.nan), np.nan, np.nan, np.nan,
                              np.nan, nan, nan, rounds)
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value)
        cd = np.asarray(sol.col_dual)
        rd = np.asarray(sol.row_dual)

        def row_dual(rows: np.ndarray) -> np.ndarray:
            return np.where(rows >= 0, rd[np.maximum(rows, 0)], 0.0) if len(rows) else np.zeros(0)

        return LPSolution(
            status="optimal", base_t=np.clip(x[:n], 0.0, None), extra_t=np.clip(x[n:2 * n], 0.0, None),
            unmet_t=float(x[self.col_u]) if x[self.col_u] > 1e-9 * D else 0.0, objective=float(self.h.getInfo().objective_function_value),
            iterations=iters, seconds=seconds, cap_duals=row_dual(self.row_cap),
            origin_duals=row_dual(self.row_origin), demand_dual=float(rd[self.row_demand]),
            risk_dual=float(rd[self.row_risk]) if self.row_risk >= 0 else 0.0,
            hhi_dual=float(rd[self.row_hhi]) if self.row_hhi >= 0 else 0.0,
            cap_reduced_cost=float(cd[self.col_t]), base_duals=cd[:n], extra_duals=cd[n:2 * n],
            hhi_rounds=rounds)

    def holds_at(self, s: LPSolution, cap: float) -> bool:
        """Whether plan ``s`` satisfies a tighter cap: then it stays optimal (the feasible
        set shrank around it), and the sweep reuses it without a solve."""
        if s.status != "optimal":
            return False
        q, D = s.quantity_t, self.d.demand_t
        limit = cap * D * (1 + 1e-12) + 1e-9
        if (q[self.d.capped] > limit).any():
            return False
        if self.d.origin_share.shape[1]:
            by_origin = q @ self.d.origin_share
            if (by_origin[self.d.origin_capped] > limit).any():
                return False
        return True

    def sweep(self, caps: np.ndarray, on_point=None, reuse: bool = True) -> list[LPSolution]:  # noqa: ANN001
        """Solutions at each cap, in order (tightening): warm-started from the previous
        basis, and (``reuse``) no solve at all where the previous plan already meets the cap."""
        out: list[LPSolution] = []
        prev: LPSolution | None = None
        for k, cap in enumerate(caps):
            self.set_cap(float(cap))
            if reuse and prev is not None and cap <= prev.cap_share and self.holds_at(prev, float(cap)):
                s = replace(prev, cap_share=float(cap), reused=True, iterations=0, seconds=0.0)
            else:
                s = replace(self.solve(), cap_share=float(cap))
            out.append(s)
            prev = s
            if on_point is not None:
                on_point(float(cap), k + 1, len(caps))
        return out

    def tightest_cap(self, unmet_t: float) -> float:
        """The smallest cap at which unmet demand stays at ``unmet_t`` (lexicographic: the
        cost objective is swapped for ``min t`` with unmet tonnes held, then restored)."""
        h, ncol = self.h, len(self.costs)
        idx = np.arange(ncol, dtype=np.int32)
        obj = np.zeros(ncol)
        obj[self.col_t] = 1.0
        h.changeColsCost(ncol, idx, obj)
        h.changeColBounds(self.col_t, 0.0, 1.0)
        u_ub = self.upper[self.col_u]
        h.changeColBounds(self.col_u, 0.0, min(u_ub, unmet_t))
        try:
            status, _ = self._run()
            if status != "optimal":
                raise SolveError(f"the tightest-cap search ended {status}",
                                 {"status": status})
            # one part in 10^9 up: the cap found sits on the solver's feasibility tolerance
            t = float(h.getSolution().col_value[self.col_t]) + 1e-9
        finally:
            h.changeColsCost(ncol, idx, self.costs)
            h.changeColBounds(self.col_u, 0.0, u_ub)
        return min(max(t, 0.0), 1.0)

