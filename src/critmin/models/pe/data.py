"""The arrays one partial-equilibrium market is solved on.

:func:`market_problem` turns a :class:`~critmin.baselines.pe.MarketBaseline`, the
scenario's shocks and the model's elasticities into a :class:`MarketProblem` of dense
arrays (axis 0 = exporter, axis 1 = importer) that :mod:`critmin.models.pe.solver` solves.

Prices are normalised so that every exporter's base world (FOB) price is 1 (GSIM's choice
of units) and converted back to USD/t with ``price_usd_per_t``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from critmin.baselines.pe import MarketBaseline, toy_baseline
from critmin.errors import InvalidParameterError, ScenarioError
from critmin.scenario.pe import BaselineSpec, Elasticities
from critmin.scenario.values import Scenario, Shock

__all__ = ["MarketBaseline", "MarketProblem", "MarketSolution", "Quota", "market_problem", "toy_baseline"]

# ---------------------------------------------------------------- one market's arrays

@dataclass(slots=True, eq=False)
class Quota:
    """``sum of flows over the pairs (exporter[k], importer[k]) <= limit``; 0 is a ban.

    Pairs are index arrays, not an n x n mask: a licence regime makes one quota per
    destination, and 200 dense masks would dominate the cost of a 200-country market.
    """

    exporter: np.ndarray
    importer: np.ndarray
    limit: float
    label: str

    def mask(self, n: int) -> np.ndarray:
        out = np.zeros((n, n), dtype=bool)
        out[self.exporter, self.importer] = True
        return out

    @property
    def is_ban(self) -> bool:
        return self.limit <= 0.0


@dataclass(slots=True, eq=False)
class MarketProblem:
    """Dense arrays for one market; axis 0 exporter, axis 1 importer."""

    mineral: str
    stage: str
    countries: list[str]
    q0: np.ndarray
    tariff0: np.ndarray
    tariff1: np.ndarray
    export_tax: np.ndarray
    sigma: np.ndarray
    demand_elasticity: np.ndarray
    supply_elasticity: np.ndarray
    supply_shift: np.ndarray
    demand_shift: np.ndarray
    stockpile_t: np.ndarray
    quotas: list[Quota] = field(default_factory=list)
    levy_ref: np.ndarray | None = None       # normalised floor on landed price; nan: no levy
    subsidy_ref: np.ndarray | None = None    # normalised floor on producer price; nan: none
    members: tuple[str, ...] = ()
    price_usd_per_t: float | None = None

    @property
    def n(self) -> int:
        return len(self.countries)


def _mask(countries: Sequence[str], chosen: tuple[str, ...] | None) -> np.ndarray:
    if chosen is None:
        return np.ones(len(countries), dtype=bool)
    s = set(chosen)
    return np.array([c in s for c in countries], dtype=bool)


def market_problem(baseline: MarketBaseline, scenario: Scenario,
                   elasticities: Elasticities | None = None) -> MarketProblem:
    """The arrays of one market after applying ``scenario``'s shocks for its mineral."""
    el = elasticities if elasticities is not None else Elasticities()
    if baseline.substitution is not None:
        # the data-based sigma replaces the mineral-level value; country overrides still win
        others = tuple((m, p) for m, p in el.by_mineral if m != baseline.mineral)
        own = dict(dict(el.by_mineral).get(baseline.mineral, ()))
        own["substitution"] = baseline.substitution
        el = replace(el, by_mineral=(*others, (baseline.mineral, tuple(sorted(own.items())))))
    countries = baseline.countries
    idx = {c: k for k, c in enumerate(countries)}
    n = len(countries)
    f = baseline.flows
    ei, ii = f["exporter"].map(idx).to_numpy(), f["importer"].map(idx).to_numpy()
    q0 = np.zeros((n, n))
    np.add.at(q0, (ei, ii), f["flow_t"].to_numpy(float))
    t0 = np.ones((n, n))
    t0[ei, ii] = 1.0 + f["tariff_share"].to_numpy(float)
    m = baseline.mineral
    prob = MarketProblem(
        mineral=m, stage=baseline.stage, countries=countries, q0=q0, tariff0=t0, tariff1=t0.copy(),
        export_tax=np.zeros((n, n)),
        sigma=np.array([el.value("substitution", m, c) for c in countries]),
        demand_elasticity=np.array([el.value("import_demand", m, c) for c in countries]),
        supply_elasticity=np.array([el.value("export_supply", m, c) for c in countries]),
        supply_shift=np.zeros(n), demand_shift=np.zeros(n), stockpile_t=np.zeros(n),
        price_usd_per_t=baseline.price_usd_per_t)
    offdiag = ~np.eye(n, dtype=bool)
    # baseline tariffs the data lack (e.g. a rate imposed after the data year): the
    # observed flows are calibrated as the equilibrium under them
    in_force = scenario.baseline.tariffs if isinstance(scenario.baseline, BaselineSpec) else ()
    for shock in in_force:
        if shock.applies_to(m):
            _apply(prob, shock, baseline, offdiag, idx)
    prob.tariff0 = prob.tariff1.copy()
    for shock in scenario.shocks_for(m):
        _apply(prob, shock, baseline, offdiag, idx)
    return prob


def _apply(prob: MarketProblem, s: Shock, baseline: MarketBaseline, offdiag: np.ndarray,
           idx: dict[str, int]) -> None:
    c = prob.countries
    ex, im = _mask(c, s.exporters), _mask(c, s.importers)
    pairs = ex[:, None] & im[None, :] & offdiag
    what = f"{s.kind} shock{f' {s.label!r}' if s.label else ''} on {prob.mineral}"
    if s.tonnes is not None and baseline.quantity_unit != "t":
        raise ScenarioError(f"{what} is in tonnes but the baseline flows are in "
                            f"{baseline.quantity_unit}; give a share, or flows in tonnes.")
    if s.kind == "tariff":
        new = 1.0 + s.rate if s.rate is not None else prob.tariff1 + float(s.change or 0.0)
        prob.tariff1 = np.where(pairs, new, prob.tariff1)
        if (prob.tariff1 < 1.0).any():
            raise InvalidParameterError(f"{what}: the change takes a tariff below 0.")
    elif s.kind == "export_tax":
        new = s.rate if s.rate is not None else prob.export_tax + float(s.change or 0.0)
        prob.export_tax = np.where(pairs, new, prob.export_tax)
        if (prob.export_tax < 0).any():
            raise InvalidParameterError(f"{what}: the change takes an export tax below 0.")
    elif s.kind in ("export_quota", "licensing", "ban"):
        for e in np.flatnonzero(ex):
            dest = im & offdiag[e]
            if s.kind == "ban":
                js = np.flatnonzero(dest)
                prob.quotas.append(Quota(np.full(len(js), e), js, 0.0, f"{what}: {c[e]}"))
            elif s.kind == "export_quota":
                js = np.flatnonzero(dest)
                base = prob.q0[e, js].sum()
                limit = s.tonnes if s.tonnes is not None else float(s.share) * base
                prob.quotas.append(Quota(np.full(len(js), e), js, float(limit), f"{what}: {c[e]}"))
            else:
                for j in np.flatnonzero(dest & (prob.q0[e] > 0)):
                    limit = s.tonnes if s.tonnes is not None else float(s.share) * prob.q0[e, j]
                    prob.quotas.append(Quota(np.array([e]), np.array([j]), float(limit),
                                             f"{what}: {c[e]}->{c[j]}"))
    elif s.kind == "preferential_zone":
        mem = _mask(c, s.members)
        prob.members = tuple(sorted(set(prob.members) | set(s.members)))
        inside = mem[:, None] & mem[None, :] & offdiag
        prob.tariff1 = np.where(inside, 1.0 + float(s.internal_tariff or 0.0), prob.tariff1)
        ref = s.reference_price(prob.mineral, prob.stage)
        if ref is not None:
            if not prob.price_usd_per_t:
                raise ScenarioError(
                    f"{what}: a reference price of {ref.price_usd_per_t:,.0f} USD/t needs the base "
                    f"price of {prob.mineral} in USD/t: set baseline.price_usd_per_t (e.g. from "
                    "USGS salient prices) or build the store's prices table.")
            level = ref.price_usd_per_t / prob.price_usd_per_t
            if s.enforcement == "adjustable_tariff":
                levied = (~mem)[:, None] & mem[None, :] & offdiag
                cur = prob.levy_ref if prob.levy_ref is not None else np.full(pairs.shape, np.nan)
                prob.levy_ref = np.where(levied, level, cur)
            else:
                cur = prob.subsidy_ref if prob.subsidy_ref is not None else np.full(len(c), np.nan)
                prob.subsidy_ref = np.where(mem, level, cur)
    elif s.kind == "supply_shock":
        prob.supply_shift = np.where(ex, (1 + prob.supply_shift) * (1 + float(s.change_share)) - 1,
                                     prob.supply_shift)
    elif s.kind == "demand_shock":
        prob.demand_shift = np.where(im, (1 + prob.demand_shift) * (1 + float(s.change_share)) - 1,
                                     prob.demand_shift)
    elif s.kind == "stockpile_release":
        prob.stockpile_t = prob.stockpile_t + np.where(im, float(s.tonnes or 0.0), 0.0)


@dataclass(slots=True, eq=False)
class MarketSolution:
    """Levels after the shock (normalised prices; quantities in the baseline unit)."""

    w: np.ndarray            # world (factory-gate) price per exporter
    v: np.ndarray            # producer price received (w + subsidy)
    fob: np.ndarray          # price to each destination: (1 + export tax) w + rent
    landed: np.ndarray       # duty-paid price in each market, incl. levy
    rent: np.ndarray         # quota rent per unit, per pair
    levy: np.ndarray         # variable levy per unit, per pair
    flows: np.ndarray        # M_ij
    supply: np.ndarray       # X_i
    composite_price: np.ndarray   # Pi_j (base 1)
    composite_demand: np.ndarray  # D_j (composite units, base = base expenditure)
    stockpile: np.ndarray         # release in composite units
    diagnostics: dict[str, Any] = field(default_factory=dict)
