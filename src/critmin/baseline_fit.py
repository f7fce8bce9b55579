"""Matrix completion for :mod:`critmin.baseline`: iterative proportional fitting (RAS)
of the free cells of a bilateral matrix to row and column targets, observed cells held
fixed, with a few Newton steps to finish, and a production-constrained fallback when the
targets cannot all be met. Pure numpy; no store access."""

from __future__ import annotations

from typing import Any

import numpy as np

from critmin.errors import SolveError


def complete_matrix(prior: np.ndarray, row_targets: np.ndarray, col_targets: np.ndarray,
                    fixed: np.ndarray, *, tol: float = 1e-10, max_iter: int = 2_000,
                    ) -> tuple[np.ndarray, dict[str, Any]]:
    """Fill the free cells of a matrix so its margins match the targets (RAS / IPF).

    Parameters
    ----------
    prior : ndarray (n, m)
        Non-negative prior weights; only free cells are used.
    row_targets, col_targets : ndarray
        Target row and column sums of the completed matrix (equal totals).
    fixed : ndarray (n, m)
        Observed cells (kept exactly); NaN marks a free cell.

    Returns
    -------
    matrix, diagnostics
        The completed matrix and ``{"iterations", "max_margin_error"}``.

    Raises
    ------
    SolveError
        When no non-negative completion meets the targets (e.g. a supplier with residual
        supply but no free cell towards any importer with residual demand).
    """
    free = np.isnan(fixed)
    obs = np.where(free, 0.0, fixed)
    r = row_targets - obs.sum(axis=1)
    c = col_targets - obs.sum(axis=0)
    scale = max(float(row_targets.sum()), 1.0)
    if (r < -tol * scale).any() or (c < -tol * scale).any():
        raise SolveError("observed flows exceed the supply or absorption targets",
                         {"min_row_residual": float(r.min()), "min_col_residual": float(c.min())})
    r, c = np.clip(r, 0, None), np.clip(c, 0, None)
    x = np.where(free, prior, 0.0).astype("float64")
    x[r <= 0, :] = 0.0
    x[:, c <= 0] = 0.0
    err = np.inf
    it = 0
    for it in range(1, max_iter + 1):
        rs = x.sum(axis=1)
        x *= np.divide(r, rs, out=np.zeros_like(r), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(c, cs, out=np.zeros_like(c), where=cs > 0)[None, :]
        err = _margin_error(x, r, c)
        if err <= tol:
            break
    polish = 0
    while err > tol and polish < 5 and err < 1e-2:
        # IPF converges linearly and slowly where the solution has tiny cells; finish with
        # Newton steps on the linearised scaling x_ij (1 + u_i + v_j), which keep
        # structural zeros at zero.
        step = _newton_step(x, r, c)
        if step is None or (step < 0).any():
            break
        x, polish = step, polish + 1
        err = _margin_error(x, r, c)
    diagnostics = {"iterations": it, "newton_steps": polish, "max_margin_error": float(err)}
    if err > max(100 * tol, 1e-9):
        raise SolveError("baseline completion did not meet its targets: the observed pattern "
                         "leaves no feasible allocation", diagnostics)
    return obs + x, diagnostics


def _margin_error(x: np.ndarray, r: np.ndarray, c: np.ndarray) -> float:
    """Largest relative margin error (each margin against its own target, so a small
    producer's supply is met as precisely as a large one's)."""
    floor = 1e-12 * max(float(r.sum()), 1e-300)
    rows = np.abs(x.sum(axis=1) - r) / np.maximum(r, floor)
    cols = np.abs(x.sum(axis=0) - c) / np.maximum(c, floor)
    return float(max(rows.max(initial=0), cols.max(initial=0)))


def _newton_step(x: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray | None:
    """x_ij (1 + u_i + v_j) with (u, v) solving the linearised margin equations."""
    n = x.shape[0]
    rs, cs = x.sum(axis=1), x.sum(axis=0)
    system = np.block([[np.diag(rs), x], [x.T, np.diag(cs)]])
    rhs = np.concatenate([r - rs, c - cs])
    try:
        sol = np.linalg.lstsq(system, rhs, rcond=None)[0]
    except np.linalg.LinAlgError:
        return None
    u, v = sol[:n], sol[n:]
    return x * (1.0 + u[:, None] + v[None, :])


def production_constrained(prior: np.ndarray, row_targets: np.ndarray,
                           fixed: np.ndarray) -> np.ndarray:
    """Allocate each row's residual supply over its free cells in proportion to ``prior``.

    Rows match ``row_targets`` exactly; column sums are whatever the prior allocates.
    Every row needs a free cell with positive prior (the diagonal always is).
    """
    free = np.isnan(fixed)
    obs = np.where(free, 0.0, fixed)
    r = np.clip(row_targets - obs.sum(axis=1), 0, None)
    w = np.where(free, prior, 0.0)
    ws = w.sum(axis=1)
    if ((r > 0) & (ws <= 0)).any():
        raise SolveError("a supplier has residual supply but no free cell to allocate it to")
    x = w * np.divide(r, ws, out=np.zeros_like(r), where=ws > 0)[:, None]
    return obs + x
