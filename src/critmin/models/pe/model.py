"""A multi-country Armington partial-equilibrium model per mineral-stage, in the style of
GSIM (Francois & Hall 2003, "Global Simulation Analysis of Industry-Level Trade Policy").

Each importer *j* buys a CES composite of sources (domestic supply is the source
exporter == importer) with substitution elasticity ``sigma_j`` and a composite demand
elasticity ``E_j < 0``; each exporter *i* supplies with elasticity ``eps_i > 0``::

    landed price     p_ij = max(T_ij ((1 + x_ij) w_i + r_ij), ref_ij)
    price index      Pi_j = (sum_i theta_ij (p_ij / p0_ij)^(1 - sigma_j))^(1 / (1 - sigma_j))
    demand           M_ij = q0_ij (p_ij / p0_ij)^(-sigma_j) Pi_j^sigma_j (D_j - R_j) / D0_j,
                     D_j = D0_j (1 + d_j) Pi_j^E_j
    supply           X_i = X0_i (1 + s_i) v_i^eps_i,  v_i = max(w_i, ref_i) (price-gap subsidy)
    clearing         X_i = sum_j M_ij

``gsim`` mode solves the same system linearised in proportional changes — exactly the
GSIM equations, with own-price elasticity ``theta E - (1 - theta) sigma`` and cross-price
elasticity ``theta (E + sigma)``; ``exact`` mode solves it in levels. Quotas, bans and
licences are complementarity conditions solved by :mod:`critmin.models.pe.solver`. The
equations, units and welfare measures are documented in ``docs/pe-model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from critmin.errors import InvalidParameterError
from critmin.models.base import Result, non_default_repr
from critmin.models.pe.data import MarketBaseline, MarketProblem, market_problem
from critmin.models.pe.result import _MarketTables
from critmin.models.pe.solver import MarketSolution, solve_market
from critmin.scenario.pe import MODES, Elasticities
from critmin.scenario.values import Scenario


@dataclass(frozen=True, slots=True)
class PartialEquilibrium:
    """The GSIM-style partial-equilibrium model.

    Parameters
    ----------
    mode : {"exact", "gsim"}
        ``exact`` solves in levels (use for bans and large shocks); ``gsim`` solves the
        published linear system in proportional changes.
    tol : float
        Convergence tolerance on the largest residual (share of baseline quantities).
    max_iter : int
        Newton iterations before :class:`~critmin.errors.SolveError`.
    elasticities : Elasticities
        Import-demand, export-supply and substitution elasticities; the defaults are the
        package's (``data/parameters/elasticities.yml``), as in a scenario file that sets none.
    blocs : tuple of (name, ISO3 members)
        Country sets whose welfare the ``welfare_by_bloc`` table totals (besides the zone
        and the world).

    Examples
    --------
    >>> model = PartialEquilibrium(mode="gsim")
    >>> model
    PartialEquilibrium(mode='gsim')
    """

    name: ClassVar[str] = "pe"

    mode: str = "exact"
    tol: float = 1e-10
    max_iter: int = 100
    elasticities: Elasticities = field(default_factory=Elasticities)
    blocs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidParameterError(f"mode of PartialEquilibrium must be one of {MODES}. "
                                        f"Got {self.mode!r}.")
        if not self.tol > 0:
            raise InvalidParameterError(f"tol of PartialEquilibrium must be > 0. Got {self.tol}.")
        if not self.max_iter >= 1:
            raise InvalidParameterError(f"max_iter of PartialEquilibrium must be >= 1. Got {self.max_iter}.")

    def __repr__(self) -> str:
        return non_default_repr(self)

    def with_elasticities(self, elasticities: Elasticities) -> PartialEquilibrium:
        return replace(self, elasticities=elasticities)

    def solve(self, baseline: MarketBaseline | list[MarketBaseline], scenario: Scenario,
              on_market: Any = None) -> Result:
        """Solve every market of ``baseline`` under ``scenario``: a new :class:`Result`.

        Tables ``flows``, ``countries``, ``welfare``, ``welfare_by_country``,
        ``welfare_by_bloc``, ``markets``, ``concentration``, ``prices`` (see
        ``docs/pe-model.md``); ``diagnostics.parts`` holds each market's solver numbers
        (keyed ``mineral/stage``). ``on_market(label, done, total)`` is called after each market.
        """
        markets = baseline if isinstance(baseline, list | tuple) else [baseline]
        if not markets:
            raise InvalidParameterError("PartialEquilibrium.solve needs at least one market baseline.")
        parts = []
        for k, b in enumerate(markets):
            problem = market_problem(b, scenario, self.elasticities)
            sol = solve_market(problem, self.mode, tol=self.tol, max_iter=self.max_iter)
            parts.append(market_tables(b, problem, sol, self.mode))
            if on_market is not None:
                on_market(f"{b.mineral} {b.stage}", k + 1, len(markets))
        return _MarketTables.combine(parts, scenario=scenario, model=repr(self), mode=self.mode,
                                     baselines=markets, elasticities=self.elasticities,
                                     blocs=self.blocs).to_result()


def _surplus_changes(p: MarketProblem, s: MarketSolution, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Producer and consumer surplus changes per country, normalised price units."""
    X0 = p.q0.sum(axis=1)
    eps, em = p.supply_elasticity, p.demand_elasticity
    exp0 = (p.tariff0 * p.q0).sum(axis=0)
    d0 = exp0 * (1 + p.demand_shift)
    pi = s.composite_price
    if mode == "gsim":
        # GSIM's trapezoid areas along the (linear) supply and demand curves
        ps = 0.5 * (X0 + s.supply) * (s.v - 1.0)
        cs = -0.5 * (d0 + s.composite_demand) * (pi - 1.0)
    else:
        # iso-elastic curves: PS = X v / (1 + eps), the area left of the supply curve
        ps = (s.supply * s.v - X0) / (1.0 + eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            one = np.abs(1.0 + em) < 1e-9
            area = np.where(one, d0 * np.log(pi), d0 * (np.power(pi, 1.0 + em) - 1.0) / np.where(one, 1.0, 1.0 + em))
        cs = -area
    return np.where(X0 > 0, ps, 0.0), np.where(exp0 > 0, cs, 0.0)


def _import_concentration(keys: dict[str, Any], c: np.ndarray, q0: np.ndarray, m1: np.ndarray) -> pd.DataFrame:
    """Each importer's import-source HHI, top exporter and its share, before and after
    (domestic supply excluded); importers that import nothing in either case are left out."""
    from critmin.metrics.concentration import REMAINDER, source_hhi

    cross = ~np.eye(len(c), dtype=bool)
    pooled = c == REMAINDER
    cols: dict[str, Any] = {}
    buys = np.zeros(len(c), dtype=bool)
    for case, q in (("baseline", q0), ("scenario", m1)):
        hhi, top, share = source_hhi(np.where(cross, q, 0.0), pooled)
        cols[f"hhi_{case}"] = hhi
        cols[f"top_exporter_{case}"] = np.where(top >= 0, c[np.maximum(top, 0)], None)
        cols[f"top_share_{case}"] = share
        buys |= ~np.isnan(hhi)
    out = pd.DataFrame({**keys, "importer": c, **cols})
    return out[buys].reset_index(drop=True)


def market_tables(b: MarketBaseline, p: MarketProblem, s: MarketSolution, mode: str) -> dict[str, Any]:
    """Tidy frames of one solved market (values in USD when the base price is known)."""
    c = np.array(p.countries)
    n = p.n
    unit_value = b.price_usd_per_t or 1.0
    q0, m1 = p.q0, s.flows
    ei, ii = np.nonzero((q0 > 0) | (m1 > 0))
    no_year = b.year is None or bool(pd.isna(b.year))

    def keyed(length: int) -> dict[str, Any]:  # the market's key columns, year as Int64
        year = pd.arrays.IntegerArray(np.full(length, 0 if no_year else int(b.year), dtype=np.int64),
                                      np.full(length, no_year))
        return {"mineral": b.mineral, "stage": b.stage, "year": year}

    flow_t_baseline, flow_t = q0[ei, ii], m1[ei, ii]
    landed_change = s.landed[ei, ii] / p.tariff0[ei, ii] - 1.0
    # each flow's method and source from the baseline row of its pair (pairs the baseline
    # lacks, e.g. trade created by the shock, are "observed" with no source)
    at = {name: k for k, name in enumerate(p.countries)}
    row = np.full((n, n), -1, dtype=np.int64)
    row[b.flows["exporter"].map(at).to_numpy(), b.flows["importer"].map(at).to_numpy()] = np.arange(len(b.flows))
    r = row[ei, ii]
    known = r >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(flow_t_baseline > 0, flow_t / np.where(flow_t_baseline > 0, flow_t_baseline, 1.0) - 1.0,
                          np.nan)
    flows = pd.DataFrame({
        **keyed(len(ei)), "exporter": c[ei], "importer": c[ii],
        "flow_t_baseline": flow_t_baseline, "flow_t": flow_t,
        "world_price_change_share": s.w[ei] - 1.0,
        "landed_price_usd_per_t_baseline": p.tariff0[ei, ii] * b.price_usd_per_t
        if b.price_usd_per_t else np.nan,
        "landed_price_usd_per_t": s.landed[ei, ii] * b.price_usd_per_t if b.price_usd_per_t else np.nan,
        "landed_price_change_share": landed_change,
        "tariff_share": p.tariff1[ei, ii] - 1.0, "export_tax_share": p.export_tax[ei, ii],
        "rent_usd_per_t": s.rent[ei, ii] * unit_value, "levy_usd_per_t": s.levy[ei, ii] * unit_value,
        "method": np.where(known, b.flows["method"].fillna("observed").to_numpy(dtype=object)[np.maximum(r, 0)],
                           "observed"),
        "source": np.where(known, b.flows["source"].fillna("").to_numpy(dtype=object)[np.maximum(r, 0)], ""),
        "flow_change_share": change,
    })

    X0, D0t = q0.sum(axis=1), q0.sum(axis=0)
    # purchases in tonnes; the release adds to what the market consumes
    purchased = m1.sum(axis=0)
    demand_t = purchased + p.stockpile_t * (D0t > 0)
    exports_t_baseline = X0 - np.diag(q0)
    shortfall_t = np.maximum(D0t - demand_t, 0.0)
    shortfall_share = np.where(D0t > 0, shortfall_t / np.where(D0t > 0, D0t, 1), 0.0)
    countries = pd.DataFrame({
        **keyed(n), "country": c, "world_price_change_share": s.w - 1.0,
        "producer_price_change_share": s.v - 1.0,
        "composite_price_change_share": s.composite_price - 1.0,
        "supply_t_baseline": X0, "supply_t": s.supply,
        "demand_t_baseline": D0t, "demand_t": demand_t,
        "imports_t_baseline": D0t - np.diag(q0), "imports_t": purchased - np.diag(m1),
        "exports_t_baseline": exports_t_baseline, "exports_t": s.supply - np.diag(m1),
        "shortfall_t": shortfall_t, "shortfall_share": shortfall_share,
    })

    ps, cs = _surplus_changes(p, s, mode)
    # ad-valorem duty per unit on the FOB price; banned pairs (no price) carry no flow
    tariff_base = np.nan_to_num(p.tariff1 * s.fob - s.fob)
    parts = {
        "producer_surplus": ps, "consumer_surplus": cs,
        "tariff_revenue": (tariff_base * m1).sum(axis=0) - ((p.tariff0 - 1.0) * q0).sum(axis=0),
        "levy_revenue": (s.levy * m1).sum(axis=0),
        "rents": (s.rent * m1).sum(axis=1),
        "export_tax_revenue": (p.export_tax * s.w[:, None] * m1).sum(axis=1),  # m1 is 0 where no pair trades
        "subsidy_cost": (s.v - s.w) * s.supply,
        "stockpile_sales": s.stockpile * s.composite_price,
    }
    parts = {k: v * unit_value for k, v in parts.items()}
    # stockpile_sales is a memo item, not in net welfare: the government's stock loses as
    # much book value as the sale brings in; the release's gain shows in consumer surplus.
    net = (parts["producer_surplus"] + parts["consumer_surplus"] + parts["tariff_revenue"] + parts["levy_revenue"]
           + parts["rents"] + parts["export_tax_revenue"] - parts["subsidy_cost"])
    welfare = pd.DataFrame({**keyed(n), "country": c, **parts, "net_welfare": net})
    # what the market summary and the headline need, as arrays (see _MarketTables)
    cross = ei != ii
    exporters = np.flatnonzero(exports_t_baseline > 0)
    top = exporters[np.argmax(exports_t_baseline[exporters])] if len(exporters) else -1
    worst = int(np.argmax(shortfall_share)) if n else -1
    brief = {
        "key": (b.mineral, b.stage, None if no_year else int(b.year)), "countries": c,
        "trade_t_baseline": float(flow_t_baseline[cross].sum()), "trade_t": float(flow_t[cross].sum()),
        "top_exporter": c[top] if top >= 0 else None,
        "top_exporter_price_change_share": float(s.w[top] - 1.0) if top >= 0 else np.nan,
        "max_shortfall_country": c[worst] if worst >= 0 and shortfall_t[worst] > 0 else None,
        "max_shortfall_share": float(shortfall_share[worst]) if worst >= 0 else 0.0,
        "importer": ii, "flow_t": flow_t, "landed_price_change_share": landed_change,
        "welfare": {k: parts[k] for k in ("levy_revenue", "subsidy_cost", "rents")} | {"net_welfare": net},
        "exporters": X0 > 0, "world_price_change_share": s.w - 1.0,
    }
    diag = {f"{b.mineral}/{b.stage}": dict(s.diagnostics)}
    return {"flows": flows, "countries": countries, "welfare": welfare, "diagnostics": diag,
            "concentration": _import_concentration(keyed(n), c, q0, m1), "brief": brief,
            "members": p.members, "welfare_unit": "USD" if b.price_usd_per_t else
            f"base-price units ({b.quantity_unit} x base world price)"}
