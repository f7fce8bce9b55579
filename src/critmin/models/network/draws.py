"""Coefficient draws: sample every range of the chain, solve each draw, return bands.

Each uncertain value (edge coefficients, product volumes, prices) is drawn from a
triangular distribution on its low/central/high range. :func:`solve_draws` is pure (a
chunk of draws in, arrays out), so the same function runs in a serial loop or mapped over
Dask workers (:func:`sweep`); :func:`critmin.models.base.bands` turns the draws into
5th/50th/95th percentile bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from critmin.models.network.problem import Cut, Draw, Problem, solve


@dataclass(frozen=True)
class DrawSet:
    """``n`` draws as arrays: coefficient (n, edges), volume (n, products), price (n, nodes)."""

    coefficient: np.ndarray
    volume: np.ndarray
    price: np.ndarray

    def __len__(self) -> int:
        return len(self.coefficient)

    def chunk(self, start: int, stop: int) -> DrawSet:
        return DrawSet(self.coefficient[start:stop], self.volume[start:stop], self.price[start:stop])


def _triangular(rng: np.random.Generator, ranges: list[Any], n: int) -> np.ndarray:
    out = np.empty((n, len(ranges)))
    for k, r in enumerate(ranges):
        if r is None:
            out[:, k] = 0.0
        elif r.high > r.low:
            out[:, k] = rng.triangular(r.low, min(max(r.central, r.low), r.high), r.high, size=n)
        else:
            out[:, k] = r.central
    return out


def sample(spec: Any, n: int, seed: int = 0) -> DrawSet:
    """``n`` triangular draws of every coefficient, product volume and price of ``spec``."""
    rng = np.random.default_rng(seed)
    return DrawSet(coefficient=_triangular(rng, [e.coefficient for e in spec.edges], n),
                   volume=_triangular(rng, [p.volume for p in spec.products], n),
                   price=_triangular(rng, [nd.price_usd_per_unit for nd in spec.nodes], n))


def solve_draws(p: Problem, draws: DrawSet, cuts: tuple[Cut, ...], *, reroute: bool, spare_share: float,
                priority: tuple[str, ...] = (), proportional: bool = True) -> dict[str, np.ndarray]:
    """Solve a chunk of draws; per draw the lost quantity and value of every node-country.

    Returns arrays of shape (draws, y variables): ``lost_quantity``, ``lost_usd``, and
    ``baseline_quantity``; ``ok`` (draws,) says which solves were optimal.
    """
    n = len(draws)
    lost_q = np.zeros((n, p.n_y))
    base_q = np.zeros((n, p.n_y))
    lost_v = np.zeros((n, p.n_y))
    ok = np.zeros(n, dtype=bool)
    warm: dict[str, Any] = {}
    for k in range(n):
        d = Draw(draws.coefficient[k], draws.volume[k], draws.price[k])
        sol = solve(p, d, cuts, reroute=reroute, spare_share=spare_share, priority=priority,
                    proportional=proportional, warm=warm)
        if sol.status != "optimal":
            continue
        ok[k] = True
        lost = sol.x - sol.delivered
        lost_q[k] = lost
        base_q[k] = sol.x
        lost_v[k] = lost * d.price[p.y_node]
    return {"lost_quantity": lost_q, "lost_usd": lost_v, "baseline_quantity": base_q, "ok": ok}


def leontief_draws(p: Problem, draws: DrawSet, cuts: tuple[Cut, ...]) -> dict[str, np.ndarray]:
    """Every draw of the Leontief limit at once, without a solver per draw.

    With fixed trade patterns the share of each node-country's output that survives a
    restriction does not depend on the coefficients or volumes (they scale every link of
    an edge together; see docs/chains.md), so one solve gives the surviving shares and each
    draw only rescales baseline output and prices.
    """
    central = Draw(np.median(draws.coefficient, axis=0), np.median(draws.volume, axis=0),
                   np.median(draws.price, axis=0))
    sol = solve(p, central, cuts, reroute=False, spare_share=0.0)
    if sol.status != "optimal":
        n = len(draws)
        return {"lost_quantity": np.zeros((n, p.n_y)), "lost_usd": np.zeros((n, p.n_y)),
                "baseline_quantity": np.zeros((n, p.n_y)), "ok": np.zeros(n, dtype=bool)}
    kept_y = np.where(sol.x > 0, sol.y / np.where(sol.x > 0, sol.x, 1.0), 1.0)
    kept_link = np.where(sol.f0 > 0, sol.flows / np.where(sol.f0 > 0, sol.f0, 1.0), 1.0)
    X = volumes_many(p, draws)
    x = X[:, p.y_node] * p.y_share[None, :]
    f0 = draws.coefficient[:, p.link_edge] * X[:, p.edge_dst[p.link_edge]] * p.link_share[None, :]
    import scipy.sparse as sp

    to_y = sp.csr_matrix((np.ones(p.n_link), (np.arange(p.n_link), p.link_ex)), shape=(p.n_link, p.n_y))
    shipped = np.asarray((to_y.T @ (f0 * kept_link[None, :]).T).T)
    has_out = np.isin(p.y_node, p.edge_src) & ~p.is_product[p.y_node]
    delivered = np.where(has_out[None, :], shipped, x * kept_y[None, :])
    lost = x - delivered
    return {"lost_quantity": lost, "lost_usd": lost * draws.price[:, p.y_node],
            "baseline_quantity": x, "ok": np.ones(len(draws), dtype=bool)}


def volumes_many(p: Problem, draws: DrawSet) -> np.ndarray:
    """World volume of every node in every draw, shape (draws, nodes)."""
    X = np.zeros((len(draws), len(p.nodes)))
    X[:, p.product_nodes] = draws.volume
    for n in p.topo_reverse:
        if p.is_product[n]:
            continue
        out = np.flatnonzero(p.edge_src == n)
        X[:, n] = (draws.coefficient[:, out] * X[:, p.edge_dst[out]]).sum(axis=1)
    return X


def sweep(p: Problem, draws: DrawSet, cuts: tuple[Cut, ...], *, reroute: bool, spare_share: float,
          priority: tuple[str, ...] = (), proportional: bool = True, vectorise_leontief: bool = True,
          progress: Any = None) -> dict[str, np.ndarray]:
    """All draws in this process, as arrays (the benchmark's serial baseline).

    ``critmin chain shock --draws`` and ``model: network`` scenarios go through the shared
    sweep path (:func:`critmin.sweep.run_sweep` with :func:`~critmin.models.network.model.draw`);
    this is the same computation without Dask or result tables. In the Leontief limit
    (``reroute=False``) the draws are computed at once (:func:`leontief_draws`) unless
    ``vectorise_leontief`` is False.
    """
    n = len(draws)
    if not reroute and vectorise_leontief:
        return leontief_draws(p, draws, cuts)
    kw = {"reroute": reroute, "spare_share": spare_share, "priority": priority, "proportional": proportional}
    parts = []
    step = max(1, n // 20)
    for start in range(0, n, step):
        parts.append(solve_draws(p, draws.chunk(start, min(n, start + step)), cuts, **kw))
        if progress:
            progress("draws", min(n, start + step), n)
    return _concat(parts)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([pt[key] for pt in parts]) for key in parts[0]}
