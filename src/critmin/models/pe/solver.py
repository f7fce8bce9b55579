"""Equilibrium of one market: a semismooth Newton method on the Fischer–Burmeister
reformulation of the model's mixed complementarity problem.

Unknowns ``y = (u, r)``: ``u_i`` is exporter *i*'s world price (``w = exp(u)`` in ``exact``
mode, ``w = 1 + u`` in ``gsim`` mode, so ``u`` is the GSIM proportional change) and ``r_k``
the rent of quota *k* (normalised price units per tonne). Equations::

    F_i(y) = (X_i - sum_j M_ij) / X0_i = 0                      market clearing
    phi(r_k, h_k) = sqrt(r_k^2 + h_k^2) - r_k - h_k = 0         quota k, h_k = (Q_k - sum M) / scale_k

``phi`` is the Fischer–Burmeister function: ``phi = 0`` iff ``r >= 0, h >= 0, r h = 0``.
The levy of the adjustable tariff (``L >= 0`` ⟂ landed ``>= ref``) and the price-gap
subsidy (``s >= 0`` ⟂ producer price ``>= ref``) each involve only their own variable, so
their complementarity problem has the closed-form solution ``L = max(0, ref - T f)``
(the min-map NCP function solved exactly); it is substituted, and Newton uses an element
of the Clarke generalised Jacobian of the resulting piecewise-smooth map.

The Newton system is solved without forming the dense Jacobian: each importer's CES block
couples its sources only through its composite-price change ``g_j``, so with ``g`` as extra
unknowns the system is sparse, ``[[A11, A12], [A21, -I]]``, and its Schur complement
``A11 + A12 A21`` is the generalised Jacobian. ``A11`` is diagonal apart from the quota
couplings, so the direction costs a division, a small sparse LU and one dense solve per
importer set (see :meth:`_System.newton_direction`), with a pivoted sparse LU of the whole
bordered matrix as the checked fallback; the direction is the same as ``J^-1 (-Phi)``.

Globalisation follows De Luca, Facchinei & Kanzow (1996, Math. Programming 75): Newton
direction when it is a sufficient descent direction of ``psi = ||Phi||^2 / 2``, else the
steepest-descent direction, with an Armijo line search. Bans in ``exact`` mode are the
limit of a quota -> 0 (the source leaves the CES aggregate) and need substitution > 1.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg

from critmin.errors import ScenarioError, SolveError
from critmin.models.pe.data import MarketProblem, MarketSolution

#: A composite price index above this multiple of its baseline triggers a warning.
EXTREME_PRICE_RATIO = 3.0

#: Largest ``|J d + Phi|`` (relative to ``|Phi|``) accepted from the Schur-complement solve
#: before the Newton direction is recomputed by a pivoted LU of the whole bordered system.
SCHUR_CHECK = 1e-8


def _csc_pattern(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> tuple:
    """Map COO entries (duplicates allowed) to the slots of a CSC matrix, once, so a matrix
    with this pattern is assembled from new values by one ``bincount``."""
    nr = shape[0]
    key = cols.astype(np.int64) * nr + rows
    uniq, slot = np.unique(key, return_inverse=True)
    indices = (uniq % nr).astype(np.int32)
    indptr = np.searchsorted(uniq // nr, np.arange(shape[1] + 1)).astype(np.int32)
    return slot.ravel(), indices, indptr, len(uniq), shape


class _System:
    """Residual and generalised Jacobian of one market, on the pairs that can trade.

    Everything per pair is a flat array over the live pairs (``q0 > 0`` and not banned),
    so the cost grows with the number of trading pairs, not with countries squared.
    """

    def __init__(self, p: MarketProblem, mode: str) -> None:
        self.p, self.linear = p, mode == "gsim"
        n = p.n
        q0 = p.q0
        self.X0 = q0.sum(axis=1)
        self.active_x = self.X0 > 0
        self.exp0 = (p.tariff0 * q0).sum(axis=0)          # base expenditure = D0 (Pi0 = 1)
        self.active_m = self.exp0 > 0
        safe_exp0 = np.where(self.exp0 > 0, self.exp0, 1.0)
        tonnes = q0.sum(axis=0)
        # tonnes released -> composite units at the base mix of the market
        self.release = np.where(tonnes > 0, p.stockpile_t * self.exp0 / np.where(tonnes > 0, tonnes, 1), 0.0)
        self.sigma = np.where(np.abs(p.sigma - 1.0) < 1e-6, 1.0 + 1e-6, p.sigma)
        self.sub_ref = p.subsidy_ref if p.subsidy_ref is not None else np.full(n, np.nan)
        self.has_sub = ~np.isnan(self.sub_ref) & self.active_x
        # bans: structural in exact mode, FB quotas with limit 0 in gsim mode
        self.banned = np.zeros((n, n), dtype=bool)
        # every quota's member pairs in one flat array (qid = quota number): a licence
        # regime has one quota per destination, so per-quota Python loops would dominate
        nq = len(p.quotas)
        sizes = np.array([len(qt.exporter) for qt in p.quotas], dtype=int)
        qid = np.repeat(np.arange(nq), sizes)
        qe = np.concatenate([qt.exporter for qt in p.quotas]).astype(int) if nq else np.zeros(0, int)
        qi = np.concatenate([qt.importer for qt in p.quotas]).astype(int) if nq else np.zeros(0, int)
        is_ban = np.array([qt.is_ban for qt in p.quotas], dtype=bool)
        if not self.linear:
            self.banned[qe[is_ban[qid]], qi[is_ban[qid]]] = True
        trades = np.bincount(qid, q0[qe, qi] > 0, minlength=nq) > 0
        kept = np.flatnonzero(trades & (self.linear | ~is_ban))
        quotas = [p.quotas[k] for k in kept]
        self.quotas = quotas
        gban = (is_ban & trades)[qid]                 # gsim bans: zero quotas, kept as FB rows
        self._gsim_banned = (qe[gban], qi[gban])
        self.live = (q0 > 0) & ~self.banned
        self._check_feasible()
        # pair arrays: every (exporter, importer) with a baseline flow; theta over all of
        # them, flows only on live ones
        e_all, m_all = np.nonzero(q0 > 0)
        theta_all = p.tariff0[e_all, m_all] * q0[e_all, m_all] / safe_exp0[m_all]
        self.theta_sum = np.bincount(m_all, theta_all, minlength=n)
        keep = self.live[e_all, m_all]
        self.e, self.m = e_all[keep], m_all[keep]
        e, m = self.e, self.m
        self.npairs = len(e)
        self.flat = e * n + m
        self.q0 = q0[e, m]
        self.theta = theta_all[keep]
        self.T0, self.T1 = p.tariff0[e, m], p.tariff1[e, m]
        self.x = p.export_tax[e, m]
        self.xf = 1.0 + self.x
        levy_ref = p.levy_ref[e, m] if p.levy_ref is not None else np.full(self.npairs, np.nan)
        self.has_levy = ~np.isnan(levy_ref)
        self.levy_ref = np.where(self.has_levy, levy_ref, 0.0)
        self.sig_p = self.sigma[m]
        # quota membership: sparse K x npairs
        K = len(quotas)
        pos = np.full(n * n, -1)
        pos[self.flat] = np.arange(self.npairs)
        renum = np.full(nq, -1)
        renum[kept] = np.arange(K)
        k_of = renum[qid]
        at = np.where(k_of >= 0, pos[qe * n + qi], -1)
        rows, cols = k_of[at >= 0], at[at >= 0]
        self.B = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(K, self.npairs))
        self.B.sort_indices()
        self.Bt = self.B.T.tocsr()
        # the same membership as (quota, pair) triples, and the quota pairs sharing a pair,
        # so the Jacobian's quota blocks are bincounts instead of sparse products
        self.tk = np.repeat(np.arange(K), np.diff(self.B.indptr))
        self.tp = self.B.indices.copy()
        k1, k2, pp = [self.tk], [self.tk], [self.tp]
        counts = np.bincount(self.tp, minlength=self.npairs)
        for p_ in np.flatnonzero(counts > 1):
            ks = self.tk[self.tp == p_]
            a_, b_ = np.meshgrid(ks, ks)
            off = a_ != b_
            k1.append(a_[off])
            k2.append(b_[off])
            pp.append(np.full(off.sum(), p_))
        self.qq_k1, self.qq_k2, self.qq_p = np.concatenate(k1), np.concatenate(k2), np.concatenate(pp)
        self.qlimit = np.array([qt.limit for qt in quotas], dtype=float)
        self.qscale = np.maximum(np.bincount(qid, q0[qe, qi], minlength=nq)[kept], 1e-12)
        self.ix = np.flatnonzero(self.active_x)
        self.nu, self.K = len(self.ix), K
        self._newton_pattern()

    def _newton_pattern(self) -> None:
        """Fixed sparsity pattern of the bordered Newton matrix (see :meth:`newton_values`).

        Only the values change between iterations, so the COO -> CSC map (duplicates summed)
        is computed once and each assembly is a single ``bincount``.
        """
        n, e, m, K, nu = self.p.n, self.e, self.m, self.K, self.nu
        tk, tp = self.tk, self.tp
        pos_u = np.full(n, -1)
        pos_u[self.ix] = np.arange(nu)
        imps = np.unique(m)
        self.G = len(imps)
        pos_g = np.full(n, -1)
        pos_g[imps] = nu + K + np.arange(self.G)
        self.N = nu + K + self.G
        ue, gm, rk = pos_u[e], pos_g[m], nu + tk
        du, dr, dg = np.arange(nu), nu + np.arange(K), nu + K + np.arange(self.G)
        # blocks in the order of the value vector built in newton_values()
        rows = [du, ue, ue, ue[tp], dr, rk, rk, nu + self.qq_k1, gm, gm[tp], dg]
        cols = [du, ue, gm, rk, dr, gm[tp], ue[tp], nu + self.qq_k2, ue, rk, dg]
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        n0 = nu + K
        top, left = rows < n0, cols < n0
        self._coo = (rows, cols)  # the whole matrix's pattern is built only if needed
        # A11 is diagonal except where quotas couple rents with their exporters' prices:
        # split its unknowns into F (only a diagonal entry) and C (coupled), so only the C
        # block needs a sparse LU and A11^-1 on F is a division
        off = top & left & (rows != cols)
        coupled = np.zeros(n0, dtype=bool)
        coupled[rows[off]] = coupled[cols[off]] = True
        self.iF, self.iC = np.flatnonzero(~coupled), np.flatnonzero(coupled)
        loc = np.zeros(self.N, dtype=int)                           # position within F or C
        loc[self.iF], loc[self.iC] = np.arange(len(self.iF)), np.arange(len(self.iC))
        nF, nC, G = len(self.iF), len(self.iC), self.G
        in_c = np.append(coupled, False)[np.minimum(rows, n0)]     # row in C (False for g rows)
        col_c = np.append(coupled, False)[np.minimum(cols, n0)]
        sel = top & left & ~in_c
        self._dF = (sel, loc[rows[sel]])
        self._patterns = {}
        for name, mask, r_, c_, shape in (
                ("AC", top & left & in_c, loc[rows], loc[cols], (nC, nC)),
                ("A12F", top & ~left & ~in_c, loc[rows], cols - n0, (nF, G)),
                ("A12C", top & ~left & in_c, loc[rows], cols - n0, (nC, G)),
                ("A21F", ~top & left & ~col_c, rows - n0, loc[cols], (G, nF)),
                ("A21C", ~top & left & col_c, rows - n0, loc[cols], (G, nC))):
            self._patterns[name] = (mask, _csc_pattern(r_[mask], c_[mask], shape))
        # one matrix per block, built once; each iteration overwrites its values in place
        # (constructing scipy.sparse matrices costs more than the arithmetic at this size)
        self._mats = {k: self._new_matrix(k) for k in self._patterns}
        self._mats["XF"] = self._new_matrix("A12F")          # A11^-1 A12 on F, same pattern
        self._trans = {k: self._mats[k].T for k in ("AC", "A12F", "A12C", "A21F", "A21C")}

    def _new_matrix(self, name: str) -> sp.csc_matrix:
        if name not in self._patterns:   # "A": only for the pivoted fallback
            self._patterns[name] = (slice(None), _csc_pattern(*self._coo, (self.N, self.N)))
        _, (_, indices, indptr, nnz, shape) = self._patterns[name]
        return sp.csc_matrix((np.zeros(nnz), indices, indptr), shape=shape)

    def _check_feasible(self) -> None:
        p, q0 = self.p, self.p.q0
        c = p.countries
        lost = (q0 > 0) & self.banned
        for j in np.flatnonzero(lost.any(axis=0)):
            if not self.live[:, j].any():
                raise ScenarioError(
                    f"infeasible quota set for {p.mineral}: every source of {c[j]} (domestic supply "
                    "included) is banned, so no finite price clears its market. Keep one source "
                    "open or use a positive quota.")
            if self.sigma[j] <= 1.0:
                raise ScenarioError(
                    f"infeasible ban for {p.mineral}: substitution in {c[j]} is {p.sigma[j]} <= 1, so "
                    "every source is essential and a banned source has no finite price. Set "
                    "elasticities.substitution > 1 for this market or use a positive quota.")
            # at unchanged prices the index jumps to (surviving base share)^(1/(1-sigma))
            kept = (p.tariff0[:, j] * q0[:, j])[self.live[:, j]].sum() / (p.tariff0[:, j] * q0[:, j]).sum()
            log_jump = np.log(kept) / (1.0 - self.sigma[j])
            if log_jump > 300:
                raise ScenarioError(
                    f"ban for {p.mineral} leaves {c[j]} {kept:.2%} of its supply with substitution "
                    f"{p.sigma[j]:.4g}: the CES price index would rise by a factor e^{log_jump:.0f}, "
                    "beyond any meaningful equilibrium. Raise elasticities.substitution for this "
                    "market or use a positive quota.")
        # An exporter none of whose sales survive must sell nothing: its supply price falls
        # to zero, which the exact model's log prices cannot reach (gsim's linear system can).
        closed = (q0.sum(axis=1) > 0) & ~self.live.any(axis=1)
        if not self.linear and closed.any():
            names = ", ".join(c[i] for i in np.flatnonzero(closed))
            raise ScenarioError(
                f"every sale of {names} in {p.mineral} (its home market included) is banned, so "
                "its supply price would have to fall to zero: exact mode solves in log prices and "
                "cannot represent a producer shut out of every market. Leave one destination "
                "open (e.g. its home market), use a positive quota, or run --mode gsim.")
        if self.linear:
            banned = np.zeros((p.n, p.n), dtype=bool)
            banned[self._gsim_banned] = True
            dead = banned.any(axis=0) & (q0.sum(axis=0) > 0) & ~((q0 > 0) & ~banned).any(axis=0)
            if dead.any():
                j = int(np.flatnonzero(dead)[0])
                raise ScenarioError(
                    f"infeasible quota set for {p.mineral}: every source of {c[j]} (domestic "
                    "supply included) is banned, so no finite price clears its market.")
        net = self.exp0 * (1 + p.demand_shift) - self.release
        short = np.flatnonzero(self.active_m & (net <= 0))
        if len(short):
            raise ScenarioError(
                f"stockpile release into {', '.join(c[j] for j in short)} for {p.mineral} is at "
                "least the whole market's demand; releases must be below baseline consumption.")

    # ------------------------------------------------------------ evaluation
    def unpack(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.p.n
        u = np.zeros(n)
        u[self.ix] = y[: self.nu]
        w = 1.0 + u if self.linear else np.exp(u)
        dwdu = np.ones(n) if self.linear else w
        return w, dwdu, y[self.nu:]

    def dense(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Pair values as an exporter x importer matrix (``fill`` off the live pairs)."""
        n = self.p.n
        out = np.full(n * n, fill)
        out[self.flat] = values
        return out.reshape(n, n)

    def evaluate(self, y: np.ndarray, jac: bool = True) -> tuple[np.ndarray, np.ndarray | None, dict]:
        p, n = self.p, self.p.n
        e, m = self.e, self.m
        w, dwdu, r = self.unpack(y)
        rent = self.Bt @ r if self.K else np.zeros(self.npairs)
        we = w[e]
        fob = self.xf * we + rent
        if self.linear:
            # GSIM: proportional changes add up (p^ = T^ + f^, f^ = x + w^ + r), no products
            lin = (self.T1 / self.T0 - 1.0) + self.x + (we - 1.0) + rent
            floor = self.levy_ref / self.T0 - 1.0
            levied = self.has_levy & (floor > lin)
            rho = 1.0 + np.where(levied, floor, lin)
            landed = self.T0 * rho
            base = self.T0 * (1.0 + lin)
            dland = np.where(levied, 0.0, self.T0)        # d landed / d (w or rent)
            drho_dw = np.where(levied, 0.0, 1.0)
        else:
            base = self.T1 * fob
            levied = self.has_levy & (self.levy_ref > base)
            landed = np.where(levied, self.levy_ref, base)
            dland = np.where(levied, 0.0, self.T1)        # d landed / d fob
            rho = landed / self.T0                        # p0 = T0 * 1
            drho_dw = dland * self.xf / self.T0
        sig, em, sp_ = self.sigma, p.demand_elasticity, self.sig_p
        d1 = self.exp0 * (1.0 + p.demand_shift)
        safe_exp0 = np.where(self.exp0 > 0, self.exp0, 1.0)
        if self.linear:
            rhat = rho - 1.0
            pi_hat = np.bincount(m, self.theta * rhat, minlength=n)
            pi = 1.0 + pi_hat
            demand = d1 * (1.0 + em * pi_hat)
            net = demand - self.release
            scale = np.where(self.exp0 > 0, net / safe_exp0, 0.0)
            flows = self.q0 * (scale[m] + sp_ * (pi_hat[m] - rhat))
            W, rstar, share = self.q0, np.ones(self.npairs), self.theta
            kappa = sig + (1 + p.demand_shift) * em
        else:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                lr = np.log(rho)
                term = self.theta * np.exp((1.0 - sp_) * lr)
                tot = np.bincount(m, term, minlength=n)
                # theta sums to 1 mathematically; dividing by its floating-point sum makes
                # Pi exactly 1 at the baseline, so an empty scenario returns it exactly
                rel = tot / np.where(self.theta_sum > 0, self.theta_sum, 1.0)
                logpi = np.where(tot > 0, np.log(np.where(tot > 0, rel, 1.0)) / (1.0 - sig), 0.0)
                pi = np.exp(logpi)
                share = term / np.where(tot > 0, tot, 1.0)[m]
                demand = d1 * np.exp(em * logpi)
                net = demand - self.release
                scale = np.where(self.exp0 > 0, net / safe_exp0, 0.0)
                flows = self.q0 * np.exp(sp_ * (logpi[m] - lr)) * scale[m]
                eta = np.where(net > 0, em * demand / np.where(net > 0, net, 1.0), em)
            W, rstar, kappa = flows, rho, sig + eta
        # supply, with the price-gap subsidy solved in closed form
        subsidised = self.has_sub & (self.sub_ref > w)
        v = np.where(subsidised, self.sub_ref, w)
        dvdw = np.where(subsidised, 0.0, 1.0)
        eps = p.supply_elasticity
        shift = 1.0 + p.supply_shift
        if self.linear:
            supply = self.X0 * (shift + eps * (v - 1.0))
            dsup = self.X0 * eps * dvdw * dwdu
        else:
            supply = self.X0 * shift * np.power(np.maximum(v, 1e-300), eps)
            dsup = eps * supply / np.maximum(v, 1e-300) * dvdw * dwdu
        X0s = np.where(self.X0 > 0, self.X0, 1.0)
        F = ((supply - np.bincount(e, flows, minlength=n)) / X0s)[self.ix]
        h = (self.qlimit - self.B @ flows) / self.qscale if self.K else np.zeros(0)
        nrm = np.sqrt(r * r + h * h)
        Phi = np.concatenate([F, nrm - r - h])
        state = {"w": w, "v": v, "fob": fob, "landed": landed, "rent": rent, "levy": landed - base,
                 "flows": flows, "supply": supply, "pi": pi, "demand": demand, "h": h,
                 "_jac": (W, rstar, share, kappa, drho_dw, dwdu, dland, dsup, X0s, r, nrm)}
        if not jac:
            return Phi, None, state
        return Phi, self.jacobian(state), state

    def newton_values(self, state: dict) -> np.ndarray:
        """Entries of the Newton matrix bordered by the importers' composite-price changes,
        in the order of the pattern built by :meth:`_newton_pattern` (duplicates are summed).

        ``dM_ij = W_ij [kappa_j g_j - sigma_j z_ij]`` with ``g_j = sum_l s_lj z_lj``: each
        importer's CES block couples only its own sources through the one number ``g_j``.
        Keeping ``g`` as unknowns gives the sparse system ``[[A11, A12], [A21, -I]]`` whose
        Schur complement ``A11 + A12 A21`` is the generalised Jacobian ``J`` of ``Phi``
        (an element of the Clarke Jacobian at ``state``): solving it for ``(d, g)`` gives the
        same Newton direction ``J d = -Phi`` without forming the dense ``J``.
        """
        e, m, sp_, tk, tp = self.e, self.m, self.sig_p, self.tk, self.tp
        W, rstar, share, kappa, drho_dw, dwdu, dland, dsup, X0s, r, nrm = state["_jac"]
        h = state["h"]
        a = drho_dw * dwdu[e] / rstar                     # z per unit of u_exporter
        cz = dland / self.T0 / rstar                      # z per unit of rent
        Wk = W * kappa[m]
        Wsig = W * sp_
        inv_x = 1.0 / X0s[e]
        # Fischer-Burmeister derivatives (the point (r, h) = 0 takes the element (1/sqrt2 - 1))
        safe = np.where(nrm > 0, nrm, 1.0)
        da = np.where(nrm > 0, r / safe - 1.0, 1 / np.sqrt(2) - 1.0)
        c = np.where(nrm > 0, h / safe - 1.0, 1 / np.sqrt(2) - 1.0) / self.qscale  # -d phi / d sum M
        Wsig_cz = Wsig * cz
        vals = np.concatenate([
            dsup[self.ix] / X0s[self.ix],        # F_i / u_i: supply
            Wsig * a * inv_x,                    # F_i / u_i: own-price substitution
            -Wk * inv_x,                         # F_i / g_j
            (Wsig_cz * inv_x)[tp],               # F_i / r_k
            da,                                  # phi_k / r_k
            -c[tk] * Wk[tp],                     # phi_k / g_j
            c[tk] * (Wsig * a)[tp],              # phi_k / u_i
            c[self.qq_k1] * Wsig_cz[self.qq_p],  # phi_k / r_k'
            share * a,                           # g_j / u_i
            (share * cz)[tp],                    # g_j / r_k
            -np.ones(self.G),                    # g_j
        ])
        return vals

    def block(self, vals: np.ndarray, name: str) -> sp.csc_matrix:
        """Block ``name`` of the bordered Newton matrix, its values set from ``vals`` in place
        (its transpose in ``_trans`` shares them); see :meth:`blocks`."""
        if name not in self._mats:
            self._mats[name] = self._new_matrix(name)
        mask, (slot, _, _, nnz, _) = self._patterns[name]
        M = self._mats[name]
        M.data[:] = np.bincount(slot, vals[mask], minlength=nnz)
        return M

    def blocks(self, vals: np.ndarray) -> dict:
        """The bordered matrix ``[[A11, A12], [A21, -I]]`` by blocks, the unknowns of ``A11``
        split into F (``A11`` diagonal there: ``dF``) and C (the sparse block ``AC``). The
        matrices are the system's own and are overwritten by the next call."""
        sel, at = self._dF
        out = {k: self.block(vals, k) for k in ("AC", "A12F", "A12C", "A21F", "A21C")}
        out["dF"] = np.bincount(at, vals[sel], minlength=len(self.iF)).astype(float, copy=False)
        return out

    def _a11(self, b: dict, x: np.ndarray, trans: bool = False) -> np.ndarray:
        out = np.empty(len(x))
        out[self.iF] = b["dF"] * x[self.iF]
        out[self.iC] = (self._trans["AC"] if trans else b["AC"]) @ x[self.iC]
        return out

    def _a12(self, b: dict, g: np.ndarray) -> np.ndarray:
        out = np.empty(len(self.iF) + len(self.iC))
        out[self.iF], out[self.iC] = b["A12F"] @ g, b["A12C"] @ g
        return out

    def _a21(self, b: dict, x: np.ndarray) -> np.ndarray:
        return b["A21F"] @ x[self.iF] + b["A21C"] @ x[self.iC]

    def jacobian(self, state: dict) -> np.ndarray:
        """The generalised Jacobian of ``Phi`` at ``state`` as a dense matrix (the Schur
        complement ``A11 + A12 A21`` of the bordered system; for checks, Newton never forms it)."""
        b = self.blocks(self.newton_values(state))
        n0, F, C = self.nu + self.K, self.iF, self.iC
        A11, A12, A21 = np.zeros((n0, n0)), np.zeros((n0, self.G)), np.zeros((self.G, n0))
        A11[F, F] = b["dF"]
        A11[np.ix_(C, C)] = b["AC"].toarray()
        A12[F], A12[C] = b["A12F"].toarray(), b["A12C"].toarray()
        A21[:, F], A21[:, C] = b["A21F"].toarray(), b["A21C"].toarray()
        return A11 + A12 @ A21

    def gradient(self, b: dict, Phi: np.ndarray) -> np.ndarray:
        """``J^T Phi = A11^T Phi + A21^T A12^T Phi``, the gradient of ``psi = ||Phi||^2 / 2``."""
        T = self._trans
        v = T["A12F"] @ Phi[self.iF] + T["A12C"] @ Phi[self.iC]
        out = self._a11(b, Phi, trans=True)
        out[self.iF] += T["A21F"] @ v
        out[self.iC] += T["A21C"] @ v
        return out

    def newton_direction(self, vals: np.ndarray, b: dict, Phi: np.ndarray,
                         schur: bool = True) -> tuple[np.ndarray, str]:
        """Solve ``J d = -Phi`` through the bordered system; return ``d`` and the route taken.

        First route ("schur"): eliminate ``(u, r)`` -- a division on F, a sparse LU of the
        small block ``AC`` on C -- and solve the dense system
        ``(I + A21 A11^-1 A12) g = -A21 A11^-1 Phi`` on the importers' composite-price
        changes; then ``d = -A11^-1 (Phi + A12 g)``. ``A11`` can be singular where ``J`` is
        not (it lacks the CES cross-effects) and this elimination does not pivot across the
        border, so the result is checked against ``J d + Phi``; failing that, the second
        route ("bordered"): SuperLU with partial pivoting on the whole bordered matrix, which
        is regular exactly when ``J`` is. Raises ``np.linalg.LinAlgError`` when both fail.
        """
        F, C, G = self.iF, self.iC, self.G
        scale = max(float(np.max(np.abs(Phi), initial=0.0)), 1e-300)
        if schur and np.all(b["dF"] != 0):
            try:
                inv_dF = 1.0 / b["dF"]
                XF = self._mats["XF"]
                np.multiply(b["A12F"].data, inv_dF[XF.indices], out=XF.data)   # A11^-1 A12 on F
                Z = b["A21F"] @ XF.toarray()
                y0 = np.empty(len(Phi))
                y0[F] = inv_dF * Phi[F]
                if len(C):
                    lu = scipy.sparse.linalg.splu(b["AC"], permc_spec="COLAMD")
                    XC = lu.solve(b["A12C"].toarray())             # A11^-1 A12 on C
                    Z += b["A21C"] @ XC
                    y0[C] = lu.solve(Phi[C])
                Z[np.diag_indices(G)] += 1.0
                g = np.linalg.solve(Z, -self._a21(b, y0))     # LAPACK gesv; raises if singular
                d = -y0
                d[F] -= XF @ g
                if len(C):
                    d[C] -= XC @ g
                res = self._a11(b, d) + self._a12(b, self._a21(b, d)) + Phi
                if np.all(np.isfinite(d)) and np.max(np.abs(res)) <= SCHUR_CHECK * scale:
                    return d, "schur"
            except (RuntimeError, ValueError, np.linalg.LinAlgError):  # singular AC or border
                pass
        rhs = np.zeros(self.N)
        rhs[: len(Phi)] = -Phi
        try:
            A = self.block(vals, "A").copy()    # SuperLU gets its own copy of the values
            d = scipy.sparse.linalg.splu(A, permc_spec="COLAMD").solve(rhs)[: len(Phi)]
        except RuntimeError as exc:  # SuperLU: "Factor is exactly singular"
            raise np.linalg.LinAlgError(str(exc)) from exc
        return d, "bordered"


def solve_market(problem: MarketProblem, mode: str = "exact", *, tol: float = 1e-10,
                 max_iter: int = 100) -> MarketSolution:
    """Solve one market. ``mode`` is ``"gsim"`` or ``"exact"``.

    Raises
    ------
    ScenarioError
        An infeasible quota set or stockpile release (no equilibrium exists).
    SolveError
        The Newton method stopped without converging; carries its diagnostics.
    """
    t0 = time.perf_counter()
    sys_ = _System(problem, mode)
    y = np.zeros(sys_.nu + sys_.K)
    Phi, _, state = sys_.evaluate(y, jac=False)
    psi = 0.5 * float(Phi @ Phi)
    it, steps, newton_steps = 0, 0, 0
    beta, rho_, p_exp = 1e-4, 1e-10, 2.1
    routes = {"schur": 0, "bordered": 0}
    while np.max(np.abs(Phi), initial=0.0) > tol and it < max_iter:
        it += 1
        vals = sys_.newton_values(state)
        blocks = sys_.blocks(vals)
        grad = sys_.gradient(blocks, Phi)
        try:
            d, route = sys_.newton_direction(vals, blocks, Phi)
            routes[route] += 1
            ok = np.all(np.isfinite(d)) and grad @ d <= -rho_ * np.linalg.norm(d) ** p_exp
        except np.linalg.LinAlgError:
            ok = False
        if ok:
            newton_steps += 1
        else:
            d = -grad
        # keep exponent arguments sane: a log-price step above 2 (a factor e^2) is rescaled
        big = np.max(np.abs(d[: sys_.nu]), initial=0.0)
        if not sys_.linear and big > 2.0:
            d = d * (2.0 / big)
        t, slope = 1.0, float(grad @ d)
        while True:
            y_new = y + t * d
            Phi_new, _, state_new = sys_.evaluate(y_new, jac=False)
            psi_new = 0.5 * float(Phi_new @ Phi_new)
            if np.isfinite(psi_new) and psi_new <= psi + beta * t * slope:
                break
            t *= 0.5
            steps += 1
            if t < 1e-12:
                break
        if t < 1e-12:
            break
        y, Phi, state, psi = y_new, Phi_new, state_new, psi_new
    residual = float(np.max(np.abs(Phi), initial=0.0))
    _, _, r = sys_.unpack(y)
    comp = 0.0
    if sys_.K:
        comp = float(np.max(np.abs(np.minimum(r, state["h"]))))
    diagnostics = {
        "mode": mode, "converged": residual <= tol, "iterations": it, "newton_steps": newton_steps,
        "line_search_halvings": steps,
        "schur_solves": routes["schur"], "bordered_lu_solves": routes["bordered"], "residual": residual, "tolerance": tol,
        "complementarity_residual": comp, "n_countries": problem.n, "n_quotas": sys_.K,
        "n_banned_pairs": int(((problem.q0 > 0) & sys_.banned).sum()), "n_pairs": sys_.npairs,
        "n_binding_quotas": int(np.sum(r > 1e-12)) if sys_.K else 0,
        "n_levied_pairs": int((state["levy"] > 1e-12).sum()),
        "n_subsidised_producers": int((state["v"] > state["w"] + 1e-12).sum()),
        "seconds": round(time.perf_counter() - t0, 6),
    }
    warnings = []
    pi = state["pi"]
    big = np.flatnonzero(sys_.active_m & (pi > EXTREME_PRICE_RATIO))
    if len(big):
        worst = big[np.argsort(-pi[big])][:5]
        shown = ", ".join(f"{problem.countries[j]} x{pi[j]:,.1f}" for j in worst)
        warnings.append(
            f"composite price index more than x{EXTREME_PRICE_RATIO:g} in {len(big)} market(s) ({shown}): "
            "the restricted sources supplied nearly all of these markets, and with a CES aggregate "
            "the price of the remainder has to rise steeply; welfare there is dominated by this "
            "choke-price effect. Check the baseline shares and the substitution elasticity, and "
            "read the result with transshipment (not modelled) in mind")
    if sys_.linear:
        neg = int((state["flows"] < -1e-9).sum())
        diagnostics["negative_flows"] = neg
        if neg:
            warnings.append("the linearised (gsim) solution has negative flows; the shock is too "
                            "large for the linear system: use --mode exact")
    diagnostics["warnings"] = warnings
    if not residual <= tol:  # NaN counts as failure
        raise SolveError(f"the {mode} solver did not converge for {problem.mineral} {problem.stage}",
                         {k: diagnostics[k] for k in ("iterations", "residual", "tolerance",
                                                      "n_quotas", "mode")})
    d = sys_.dense
    return MarketSolution(w=state["w"], v=state["v"], fob=d(state["fob"], np.nan),
                          landed=d(state["landed"], np.nan),
                          rent=d(state["rent"]), levy=d(state["levy"]), flows=d(state["flows"]),
                          supply=state["supply"], composite_price=state["pi"],
                          composite_demand=state["demand"], stockpile=sys_.release,
                          diagnostics=diagnostics)
