"""The propagation linear programme of a chain, assembled once and solved per draw.

Variables (all in the node's own unit):

- ``y[n, c]``: output of node ``n`` in country ``c``; ``0 <= y <= x (1 + spare)`` for
  intermediate nodes when rerouting, ``y <= x`` otherwise (``x``: baseline output);
- ``fa[e, i, j]``: shipment of the input of edge ``e`` from ``i`` to ``j`` on an existing
  link, up to its baseline ``f0``; ``fb[e, i, j] >= 0``: extra shipment on the same link
  (rerouting only; new links are not opened).

Rows: supply (a node ships no more than it makes), input (a country makes no more than
its inputs allow, Leontief in each input: ``a_e y[v, j] <= sum_i f[e, i, j]``), export
restrictions (exports of a restricted node-country are at most ``1 - share`` of
baseline), and in the Leontief limit (no rerouting) fixed trade patterns: every link
carries its baseline share of its exporter's output, ``f = k f0 y[u, i] / x[u, i]``.

Objective: maximise the value of final output (price x quantity), with a negligible
reward for keeping baseline links and cost for extra ones, so an empty scenario returns
the baseline. With no restriction at all no LP is solved: the baseline is returned as it
is (``Solution.method`` :data:`NO_RESTRICTION`, 0 iterations, residual 0, objective the
baseline's value). Rationing is proportional: a second LP holds the total and maximises the
smallest fill rate of each product across countries; a priority list instead weights the
final output of the listed countries ten times and skips the second LP.

Speed (issue 12's draws): the matrix pattern and row bounds of a problem and set of
restrictions are built once (:class:`_Template`, per thread) and refilled with each draw's
coefficients; each LP is handed to HiGHS as arrays. The LP whose columns are returned is
always solved from scratch (presolve, no basis), so a draw's allocation does not depend on
the draws solved before it: the rationing LP's optimum is not unique in how a short product
is split across countries, and a warm start can end at another optimal vertex. Only the
first LP of a proportional run, which fixes the value the second holds, is warm-started.

The baseline is mass-balanced by construction: world node volumes are derived from the
product volumes through the coefficients (``X_u = sum_v a_uv X_v``) and every link table
has row sums equal to the exporter's share and column sums equal to the importer's.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

EPS = 1e-6          # weight of the link tie-break relative to final-output value
PRIORITY_WEIGHT = 10.0
INF = math.inf


@dataclass(frozen=True)
class Draw:
    """One set of uncertain values: edge coefficients, product volumes, node prices."""

    coefficient: np.ndarray   # per edge, in the chain's edge order
    volume: np.ndarray        # per product node (chain order of products)
    price: np.ndarray         # per node (USD per node unit)


@dataclass(frozen=True, eq=False)
class Problem:
    """The index structure of one chain's LP (independent of the coefficients)."""

    nodes: tuple[str, ...]
    stages: tuple[str, ...]
    is_product: np.ndarray          # per node
    edge_src: np.ndarray            # per edge: node index
    edge_dst: np.ndarray
    y_node: np.ndarray              # per y variable: node index
    y_country: tuple[str, ...]
    y_share: np.ndarray
    link_edge: np.ndarray           # per link: edge index
    link_ex: np.ndarray             # per link: y index of the exporting (u, i)
    link_im: np.ndarray             # per link: y index of the importing (v, j)
    link_share: np.ndarray
    product_nodes: np.ndarray       # node indices of products
    topo_reverse: tuple[int, ...] = field(repr=False, default=())

    @property
    def n_y(self) -> int:
        return len(self.y_node)

    @property
    def n_link(self) -> int:
        return len(self.link_edge)

    def volumes(self, d: Draw) -> np.ndarray:
        """World volume per node: products from the draw, the rest through the coefficients."""
        X = np.zeros(len(self.nodes))
        X[self.product_nodes] = d.volume
        for n in self.topo_reverse:
            if self.is_product[n]:
                continue
            out = self.edge_src == n
            X[n] = float(np.sum(d.coefficient[out] * X[self.edge_dst[out]]))
        return X

    def baseline(self, d: Draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X per node, x per y variable, f0 per link) for a draw."""
        X = self.volumes(d)
        x = X[self.y_node] * self.y_share
        f0 = d.coefficient[self.link_edge] * X[self.edge_dst[self.link_edge]] * self.link_share
        return X, x, f0


def build_problem(spec: Any, shares: Mapping[str, pd.Series], links: pd.DataFrame) -> Problem:
    """The LP index structure from a chain spec, folded country shares and link shares."""
    nodes = tuple(n.id for n in spec.nodes)
    idx = {n: k for k, n in enumerate(nodes)}
    y_node, y_country, y_share, y_index = [], [], [], {}
    for n in nodes:
        for c, s in shares[n].items():
            y_index[(n, c)] = len(y_node)
            y_node.append(idx[n])
            y_country.append(str(c))
            y_share.append(float(s))
    edge_src = np.array([idx[e.source] for e in spec.edges], dtype=int)
    edge_dst = np.array([idx[e.target] for e in spec.edges], dtype=int)
    eidx = {(e.source, e.target): k for k, e in enumerate(spec.edges)}
    le, lx, lm, ls = [], [], [], []
    for r in links.itertuples(index=False):
        le.append(eidx[(r.source, r.target)])
        lx.append(y_index[(r.source, r.exporter)])
        lm.append(y_index[(r.target, r.importer)])
        ls.append(float(r.link_share))
    is_product = np.array([n.product for n in spec.nodes], dtype=bool)
    return Problem(nodes=nodes, stages=tuple(n.stage for n in spec.nodes), is_product=is_product,
                   edge_src=edge_src, edge_dst=edge_dst, y_node=np.array(y_node, dtype=int),
                   y_country=tuple(y_country), y_share=np.array(y_share), link_edge=np.array(le, dtype=int),
                   link_ex=np.array(lx, dtype=int), link_im=np.array(lm, dtype=int), link_share=np.array(ls),
                   product_nodes=np.flatnonzero(is_product), topo_reverse=tuple(range(len(nodes) - 1, -1, -1)))


@dataclass(frozen=True)
class Cut:
    """An export restriction at a set of nodes: flows from ``exporters`` (empty: any) to
    ``importers`` (empty: any other country) are at most ``1 - share`` of baseline."""

    exporter: str
    nodes: tuple[int, ...]
    share: float
    importers: tuple[str, ...] = ()
    exporters: tuple[str, ...] = ()

    def exporter_set(self) -> tuple[str, ...]:
        return self.exporters or ((self.exporter,) if self.exporter else ())


@dataclass
class Solution:
    status: str
    y: np.ndarray
    delivered: np.ndarray      # per y: shipped into the chain (non-products) or output (products)
    x: np.ndarray
    X: np.ndarray
    objective: float
    marginal: np.ndarray       # per y: marginal value (USD per node unit) of one more unit
    iterations: int = 0
    residual: float = 0.0
    cap: np.ndarray | None = None  # per y: upper bound of output
    flows: np.ndarray | None = None  # per link: shipment in the solution
    f0: np.ndarray | None = None     # per link: baseline shipment
    method: str = ""                 # how the allocation was found (Result.diagnostics.parts)
    lp_solves: int = 0               # linear programmes solved for it (0: none)


#: ``Solution.method`` when there is nothing to restrict: no LP is solved.
NO_RESTRICTION = "no restriction: baseline returned"


def _restricted(p: Problem, cuts: tuple[Cut, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per link: the share of its flow that restrictions remove (0 where none) and the
    index of the cut that sets it (-1 where none)."""
    k = np.zeros(p.n_link)
    which = -np.ones(p.n_link, dtype=int)
    ex_node = p.y_node[p.link_ex]
    ex_c = np.array(p.y_country)[p.link_ex]
    im_c = np.array(p.y_country)[p.link_im]
    for n, cut in enumerate(cuts):
        hit = np.isin(ex_node, cut.nodes) & (im_c != ex_c)
        if cut.exporter_set():
            hit &= np.isin(ex_c, cut.exporter_set())
        if cut.importers:
            hit &= np.isin(im_c, cut.importers)
        stronger = hit & (cut.share > k)
        k[stronger] = cut.share
        which[stronger] = n
    return k, which


def solve(p: Problem, d: Draw, cuts: tuple[Cut, ...], *, reroute: bool = True, spare_share: float = 0.1,
          priority: tuple[str, ...] = (), proportional: bool = True,
          warm: dict[str, Any] | None = None, fresh: bool = False) -> Solution:
    """Solve the propagation LP for one draw and one set of export restrictions.

    The LPs' index structure (rows, sparse pattern) is built once per problem and set of
    restrictions (:class:`_Template`, kept per thread) and refilled with each draw's values;
    every LP whose columns are returned is solved from scratch (presolve, cold simplex), as
    if built anew, so the allocation is the same whatever was solved before.

    ``warm``: a dict kept between calls with the same problem and restrictions (the draws
    of one sweep). With proportional rationing the first LP only fixes the value of final
    output that the second holds; it then starts from the previous draw's optimal basis
    (the allocation returned, by the second LP, moves only by round-off, ~1e-12 relative,
    as the value it holds does; ``marginal`` and ``iterations`` of the first LP may differ
    more, as it can end at another optimal vertex). Elsewhere ``warm`` is ignored.

    ``fresh``: build every matrix with scipy and pass a new model for each LP, as before the
    templates existed (the reference the tests compare with)."""
    import highspy

    X, x, f0 = p.baseline(d)
    price = d.price
    ny, nl = p.n_y, p.n_link
    is_prod_y = p.is_product[p.y_node]
    has_out = np.isin(p.y_node, p.edge_src) if fresh else _has_out(p)
    # Columns: y (ny), fa (nl), fb (nl if reroute)
    nfb = nl if reroute else 0
    ncol = ny + nl + nfb
    cost = np.zeros(ncol)
    weight = np.ones(ny)
    if priority:
        weight[np.isin(np.array(p.y_country), priority)] = PRIORITY_WEIGHT
    cost[:ny] = np.where(is_prod_y, price[p.y_node] * weight, 0.0)
    link_price = price[p.edge_src[p.link_edge]]
    cost[ny:ny + nl] = EPS * link_price
    if reroute:
        cost[ny + nl:] = -EPS * link_price
    lb = np.zeros(ncol)
    ub = np.empty(ncol)
    ub[:ny] = np.where(is_prod_y | (not reroute), x, x * (1.0 + spare_share))
    ub[ny:ny + nl] = f0
    if reroute:
        ub[ny + nl:] = INF
    if not cuts:
        # Nothing restricted: the baseline is feasible and optimal (products are capped at
        # their baseline output), so no LP is solved. The diagnostics say so: 0 iterations,
        # residual 0 (the baseline is mass-balanced), objective = the value of the returned
        # allocation under the LP's objective (priority weights included).
        return Solution("optimal", x.copy(), x.copy(), x, X, float(np.dot(cost[:ny], x)), np.zeros(ny), 0, 0.0,
                        ub[:ny].copy(), f0.copy(), f0, method=NO_RESTRICTION, lp_solves=0)
    t = None if fresh else _template(p, cuts, reroute)
    if t is None:
        k, which = _restricted(p, cuts)
        A, row_lo, row_hi, r = _assemble(p, d, cuts, reroute, k, which, x, f0, is_prod_y, has_out)
    else:
        k, which = t.k, t.which
        A, row_lo, row_hi, r = t.fill(d, x, f0)
    rationing = reroute and proportional and not priority and len(p.product_nodes) > 0
    h = _highs()
    if warm is not None and rationing and t is not None:
        h1 = t.highs()  # kept loaded with this template's first LP, its basis between draws
        status, sol, info = _run(h1, highspy, cost, lb, ub, A, row_lo, row_hi, warm, f"p1:{id(t)}")
        if status != "optimal":  # the status a cold solve reports, not a warm start's
            warm.pop(f"p1:{id(t)}", None)
            status, sol, info = _run(h, highspy, cost, lb, ub, A, row_lo, row_hi)
    else:
        status, sol, info = _run(h, highspy, cost, lb, ub, A, row_lo, row_hi)
    if status != "optimal":
        return Solution(status, np.zeros(ny), np.zeros(ny), x, X, math.nan, np.zeros(ny))
    col = np.array(sol.col_value)
    objective = float(np.dot(cost[:ny], col[:ny]))
    iterations = int(info.simplex_iteration_count)
    col_dual = np.array(sol.col_dual)[:ny]
    row_dual = np.array(sol.row_dual)
    marginal = np.abs(col_dual) / np.where(weight > 0, weight, 1.0)
    if reroute and np.any(k > 0):
        keys = np.unique(p.link_ex[k > 0] * (len(cuts) + 1) + which[k > 0])
        for key, dual in zip(keys, row_dual[r - len(keys):r]):
            yi = int(key // (len(cuts) + 1))
            marginal[yi] = max(marginal[yi], abs(float(dual)))
    method = "HiGHS simplex: " + ("rerouting LP" if reroute else "Leontief LP (fixed trade patterns)")
    lp_solves = 1
    if rationing:
        col2, it2, rationed = _proportional(h, highspy, p, cost, lb, ub, A, row_lo, row_hi, x, objective,
                                            is_prod_y, col, t=t)
        if not rationed and warm is not None and t is not None:
            # the first LP's allocation is returned: solve it from scratch as a cold solve would
            status, sol, info = _run(h, highspy, cost, lb, ub, A, row_lo, row_hi)
            if status != "optimal":
                return Solution(status, np.zeros(ny), np.zeros(ny), x, X, math.nan, np.zeros(ny))
            col2 = np.array(sol.col_value)
            it2 += int(info.simplex_iteration_count)
        col = col2
        iterations += it2
        lp_solves = 2
        method += (" + proportional rationing LP" if rationed else
                   " (the proportional rationing LP failed: the first LP's allocation is returned)")
    elif priority:
        method += f" (priority countries weighted x{PRIORITY_WEIGHT:g})"
    y = col[:ny]
    objective = float(np.dot(cost[:ny], y))  # the value of the allocation returned
    shipped = np.zeros(ny)
    np.add.at(shipped, p.link_ex, col[ny:ny + nl] + (col[ny + nl:] if reroute else 0.0))
    delivered = np.where(is_prod_y | ~has_out, y, shipped)
    resid = _residual(A, col, row_lo, row_hi)
    flows = col[ny:ny + nl] + (col[ny + nl:] if reroute else 0.0)
    return Solution("optimal", y, delivered, x, X, objective, marginal, iterations, resid, ub[:ny].copy(),
                    flows, f0, method=method, lp_solves=lp_solves)


def _has_out(p: Problem) -> np.ndarray:
    """Per y variable: whether its node feeds another (kept on the problem)."""
    got = p.__dict__.get("_has_out")
    if got is None:
        got = np.isin(p.y_node, p.edge_src)
        object.__setattr__(p, "_has_out", got)
    return got


def _assemble(p: Problem, d: Draw, cuts: tuple[Cut, ...], reroute: bool, k: np.ndarray, which: np.ndarray,
              x: np.ndarray, f0: np.ndarray, is_prod_y: np.ndarray, has_out: np.ndarray
              ) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray, int]:
    """The first LP's matrix and row bounds, built from scratch; the number of rows."""
    rows, cols, vals, row_lo, row_hi, r, ncol = _coo(p, d, cuts, reroute, k, which, x, f0, is_prod_y, has_out)
    A = sp.csc_matrix((vals, (rows, cols)), shape=(r, ncol))
    return A, row_lo, row_hi, r


def _coo(p: Problem, d: Draw, cuts: tuple[Cut, ...], reroute: bool, k: np.ndarray, which: np.ndarray,
         x: np.ndarray, f0: np.ndarray, is_prod_y: np.ndarray, has_out: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """The first LP's entries (rows, columns, values, in this order: supply rows, input
    rows, restriction or fixed-pattern rows), row bounds, rows and columns."""
    ny, nl = p.n_y, p.n_link
    ncol = ny + nl + (nl if reroute else 0)
    rows, cols, vals, rlo, rhi = [], [], [], [], []
    r = 0
    # supply rows: sum of shipments out of (u, i) <= y[u, i]
    sup_y = np.flatnonzero(has_out & ~is_prod_y)
    sup_row = -np.ones(ny, dtype=int)
    sup_row[sup_y] = np.arange(len(sup_y))
    rows += [sup_row[p.link_ex], sup_row[sup_y]]
    cols += [ny + np.arange(nl), sup_y]
    vals += [np.ones(nl), -np.ones(len(sup_y))]
    if reroute:
        rows.append(sup_row[p.link_ex]); cols.append(ny + nl + np.arange(nl)); vals.append(np.ones(nl))
    rlo.append(np.full(len(sup_y), -INF)); rhi.append(np.zeros(len(sup_y)))
    r += len(sup_y)
    # input rows: a_e y[v, j] - sum_i f[e, i, j] <= 0, one per (edge, importer y)
    keys = p.link_edge * ny + p.link_im
    uniq, inv = np.unique(keys, return_inverse=True)
    in_edge, in_y = uniq // ny, uniq % ny
    rows += [r + np.arange(len(uniq)), r + inv]
    cols += [in_y, ny + np.arange(nl)]
    vals += [d.coefficient[in_edge], -np.ones(nl)]
    if reroute:
        rows.append(r + inv); cols.append(ny + nl + np.arange(nl)); vals.append(-np.ones(nl))
    rlo.append(np.full(len(uniq), -INF)); rhi.append(np.zeros(len(uniq)))
    r += len(uniq)
    if reroute:
        # restriction rows: exports of (u, i) <= (1 - share) x baseline exports
        cut_links = np.flatnonzero(k > 0)
        if len(cut_links):
            ck, cinv = np.unique(p.link_ex[cut_links] * (len(cuts) + 1) + which[cut_links], return_inverse=True)
            cap = np.zeros(len(ck))
            np.add.at(cap, cinv, f0[cut_links] * (1.0 - k[cut_links]))
            rows += [r + cinv, r + cinv]
            cols += [ny + cut_links, ny + nl + cut_links]
            vals += [np.ones(len(cut_links)), np.ones(len(cut_links))]
            rlo.append(np.full(len(ck), -INF)); rhi.append(cap)
            r += len(ck)
    else:
        # Leontief: each link carries (1 - k) f0 / x[u, i] of its exporter's output
        ratio = np.where(x[p.link_ex] > 0, f0 / np.where(x[p.link_ex] > 0, x[p.link_ex], 1.0), 0.0) * (1.0 - k)
        rows += [r + np.arange(nl), r + np.arange(nl)]
        cols += [ny + np.arange(nl), p.link_ex]
        vals += [np.ones(nl), -ratio]
        rlo.append(np.zeros(nl)); rhi.append(np.zeros(nl))
        r += nl
    return (np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), np.concatenate(rlo),
            np.concatenate(rhi), r, ncol)


class _Template:
    """The LPs of a problem and set of restrictions without the values: the sparse pattern
    (CSC ``indptr``/``indices``), where each draw's values go, and the constant row bounds.
    :meth:`fill` gives the matrix :func:`_assemble` would build, array for array (the
    values' permutation comes from converting the same entries valued by their position)."""

    def __init__(self, p: Problem, cuts: tuple[Cut, ...], reroute: bool) -> None:
        self.p, self.cuts, self.reroute = p, cuts, reroute
        self.k, self.which = _restricted(p, cuts)
        ny, nl = p.n_y, p.n_link
        is_prod_y = p.is_product[p.y_node]
        has_out = _has_out(p)
        stub = Draw(np.full(len(p.edge_src), 2.0), np.ones(len(p.product_nodes)), np.ones(len(p.nodes)))
        rows, cols, vals, self.row_lo, self.row_hi, self.r, ncol = _coo(
            p, stub, cuts, reroute, self.k, self.which, np.ones(ny), np.ones(nl), is_prod_y, has_out)
        self.shape = (self.r, ncol)
        n = len(vals)
        A_pos = sp.csc_matrix((np.arange(1, n + 1, dtype=float), (rows, cols)), shape=self.shape)
        self.perm = A_pos.data.astype(np.int64) - 1
        if A_pos.nnz != n or not np.array_equal(np.sort(self.perm), np.arange(n)):
            raise ValueError("repeated entries in the LP matrix")  # not expected: one per (row, col)
        self.indptr, self.indices = A_pos.indptr, A_pos.indices
        self.coo = vals  # constant entries as they are; the draw's are set in fill()
        # where the draw's values go, in _coo's order (see its comments)
        n_sup = int(np.count_nonzero(has_out & ~is_prod_y))
        keys = p.link_edge * ny + p.link_im
        uniq = np.unique(keys)
        self.in_edge = uniq // ny
        off_in = nl + n_sup + (nl if reroute else 0)
        self.in_pos = off_in + np.arange(len(uniq))
        self.leo_pos = off_in + len(uniq) + 2 * nl + np.arange(nl)  # Leontief rows' -ratio entries
        self.cut_links = np.flatnonzero(self.k > 0) if reroute else np.array([], dtype=int)
        self.n_cut = 0
        if len(self.cut_links):
            ck, self.cinv = np.unique(p.link_ex[self.cut_links] * (len(cuts) + 1) + self.which[self.cut_links],
                                      return_inverse=True)
            self.n_cut = len(ck)
        self._highs: Any = None
        self.p2: dict[bytes, Any] = {}

    def fill(self, d: Draw, x: np.ndarray, f0: np.ndarray) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray, int]:
        p = self.p
        vals = self.coo.copy()
        vals[self.in_pos] = d.coefficient[self.in_edge]
        row_hi = self.row_hi
        if self.reroute:
            if self.n_cut:
                cap = np.zeros(self.n_cut)
                np.add.at(cap, self.cinv, f0[self.cut_links] * (1.0 - self.k[self.cut_links]))
                row_hi = row_hi.copy()
                row_hi[self.r - self.n_cut:] = cap
        else:
            xe = x[p.link_ex]
            vals[self.leo_pos] = -(np.where(xe > 0, f0 / np.where(xe > 0, xe, 1.0), 0.0) * (1.0 - self.k))
        A = sp.csc_matrix((vals[self.perm], self.indices, self.indptr), shape=self.shape)
        return A, self.row_lo, row_hi, self.r

    def highs(self) -> Any:
        """This template's own HiGHS instance (its first LP stays loaded between draws)."""
        if self._highs is None:
            self._highs = _new_highs()
        return self._highs


#: Templates kept per thread, at most this many (a sweep uses one).
MAX_TEMPLATES = 8


def _template(p: Problem, cuts: tuple[Cut, ...], reroute: bool) -> _Template | None:
    """This thread's template for ``(p, cuts, reroute)``; None when the pattern cannot be
    reused (then the LP is built from scratch)."""
    cache = getattr(_LOCAL, "templates", None)
    if cache is None:
        cache = _LOCAL.templates = {}
    key = (id(p), cuts, reroute)
    got = cache.get(key)
    if got is not None and got.p is p:
        return got
    try:
        t = _Template(p, cuts, reroute)
    except ValueError:
        return None
    if len(cache) >= MAX_TEMPLATES:
        cache.pop(next(iter(cache)))
    cache[key] = t
    return t


_LOCAL = threading.local()


def _highs() -> Any:
    """One quiet HiGHS instance per thread (every LP solved from scratch goes through it)."""
    h = getattr(_LOCAL, "highs", None)
    if h is None:
        h = _LOCAL.highs = _new_highs()
    return h


def _new_highs() -> Any:
    """A quiet HiGHS instance. HiGHS prints a banner to the C-level stdout when the first
    instance of a process is made; it is sent to /dev/null so that JSON on stdout stays
    one document."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


def _run(h: Any, highspy: Any, cost: np.ndarray, lb: np.ndarray, ub: np.ndarray, A: sp.csc_matrix,
         row_lo: np.ndarray, row_hi: np.ndarray, warm: dict[str, Any] | None = None,
         key: str = "") -> tuple[str, Any, Any]:
    # the model as arrays (passModel's pointer overload: no HighsLp copies, ~0.4 ms less)
    h.passModel(len(cost), A.shape[0], A.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMaximize),
                0.0, cost, lb, ub, row_lo, row_hi, A.indptr.astype(np.int32, copy=False),
                A.indices.astype(np.int32, copy=False), A.data, _continuous(len(cost)))
    if warm is not None and key in warm:  # the previous draw's basis: same structure
        h.setBasis(warm[key])
    h.run()
    status = h.getModelStatus()
    ok = status == highspy.HighsModelStatus.kOptimal
    if warm is not None and ok:
        warm[key] = h.getBasis()
    return ("optimal" if ok else h.modelStatusToString(status).lower()), h.getSolution(), h.getInfo()


def _continuous(n: int) -> np.ndarray:
    """Integrality of ``n`` continuous columns (HiGHS reads as many entries as columns)."""
    got = _LOCAL.__dict__.setdefault("continuous", {})
    if n not in got:
        got[n] = np.zeros(n, dtype=np.int32)  # HighsVarType.kContinuous
    return got[n]


def _proportional(h: Any, highspy: Any, p: Problem, cost: np.ndarray, lb: np.ndarray, ub: np.ndarray,
                  A: sp.csc_matrix, row_lo: np.ndarray, row_hi: np.ndarray, x: np.ndarray, z: float,
                  is_prod_y: np.ndarray, fallback: np.ndarray, t: _Template | None = None
                  ) -> tuple[np.ndarray, int, bool]:
    """Hold final value at its optimum and maximise each product's smallest fill rate;
    ``fallback`` (the first LP's columns) if this LP does not end optimal. Returns the
    columns, its iterations and whether it ended optimal. Solved from scratch (a new model,
    no basis), so its optimal vertex does not depend on earlier solves; with a template
    the matrix's pattern is reused and only its values are placed."""
    ny = len(x)
    n_prod = len(p.product_nodes)
    ncol = A.shape[1]
    rr = A.shape[0]
    prod_y = np.flatnonzero(is_prod_y & (x > 0))
    nz = np.flatnonzero(cost[:ny] != 0)
    vals = np.concatenate([np.ones(len(prod_y)), -x[prod_y], cost[:ny][nz]])
    pattern = None
    if t is not None:
        key = prod_y.tobytes() + b"|" + nz.tobytes()
        pattern = t.p2.get(key)
        if pattern is None:
            pattern = _p2_pattern(p, A, prod_y, nz)
            if len(t.p2) < 64:
                t.p2[key] = pattern
    if pattern is not None:
        perm2, indices2, indptr2, shape2 = pattern
        A2 = sp.csc_matrix((np.concatenate([A.data, vals])[perm2], indices2, indptr2), shape=shape2)
    else:
        rows, cols = _p2_entries(p, prod_y, nz, ncol)
        extra = sp.csc_matrix((vals, (rows, cols)), shape=(len(prod_y) + 1, ncol + n_prod))
        A2 = sp.vstack([sp.hstack([A, sp.csc_matrix((rr, n_prod))]), extra]).tocsc()
    cost2 = np.concatenate([np.where(np.arange(ncol) >= ny, cost, 0.0), np.ones(n_prod)])
    lb2 = np.concatenate([lb, np.zeros(n_prod)])
    ub2 = np.concatenate([ub, np.ones(n_prod)])
    lo2 = np.concatenate([row_lo, np.zeros(len(prod_y)), [z - 1e-9 * abs(z) - 1e-9]])
    hi2 = np.concatenate([row_hi, np.full(len(prod_y), INF), [INF]])
    status, sol, info = _run(h, highspy, cost2, lb2, ub2, A2, lo2, hi2)
    if status != "optimal":
        return fallback, 0, False
    return np.array(sol.col_value)[:ncol], int(info.simplex_iteration_count), True


def _p2_entries(p: Problem, prod_y: np.ndarray, nz: np.ndarray, ncol: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the second LP's extra rows: ``y - t x >= 0`` per product-country
    with output, then the value row over the columns with a price."""
    t_of = {n: k for k, n in enumerate(p.product_nodes)}
    t_col = ncol + np.array([t_of[n] for n in p.y_node[prod_y]], dtype=int)
    vrow = len(prod_y)
    rows = np.concatenate([np.arange(vrow), np.arange(vrow), np.full(len(nz), vrow)])
    cols = np.concatenate([prod_y, t_col, nz])
    return rows, cols


def _p2_pattern(p: Problem, A: sp.csc_matrix, prod_y: np.ndarray, nz: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]] | None:
    """The second LP's matrix pattern, through the same stacking as without a template,
    with every entry valued by its position in ``concat(A.data, extra values)``."""
    n_prod = len(p.product_nodes)
    rr, ncol = A.shape
    rows, cols = _p2_entries(p, prod_y, nz, ncol)
    na = A.nnz
    A_pos = sp.csc_matrix((np.arange(1, na + 1, dtype=float), A.indices, A.indptr), shape=A.shape)
    extra = sp.csc_matrix((np.arange(na + 1, na + len(rows) + 1, dtype=float), (rows, cols)),
                          shape=(len(prod_y) + 1, ncol + n_prod))
    A2 = sp.vstack([sp.hstack([A_pos, sp.csc_matrix((rr, n_prod))]), extra]).tocsc()
    perm = A2.data.astype(np.int64) - 1
    if A2.nnz != na + len(rows) or not np.array_equal(np.sort(perm), np.arange(na + len(rows))):
        return None
    return perm, A2.indices.copy(), A2.indptr.copy(), A2.shape


def _residual(A: sp.csc_matrix, col: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    act = A @ col
    viol = np.maximum(np.maximum(lo - act, act - hi), 0.0)
    viol = viol[np.isfinite(viol)]
    return float(viol.max()) if len(viol) else 0.0
