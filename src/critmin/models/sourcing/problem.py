"""The sourcing optimiser's inputs as frozen values: the market as the unit sees it
(:class:`SourcingProblem`) and what the buyer asks for (:class:`SourcingScenario`).

Both are plain values built outside ``models/`` (the store layer in
:mod:`critmin.sourcing_data`, or a user's options CSV); the model reads no files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from critmin.errors import InvalidParameterError, ScenarioError

#: Cost methods a supplier's delivered unit cost can come from.
COST_METHODS = ("observed unit value", "market price (flagged)", "user")


class InfeasiblePlanError(ScenarioError):
    """The hard constraints of a sourcing plan cannot hold together (the message names them)."""


def _floats(values: Sequence[float], name: str, n: int, *, nonneg: bool = True,
            allow_nan: bool = False) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if len(out) != n:
        raise InvalidParameterError(f"{name} has {len(out)} values for {n} suppliers.")
    for s, v in enumerate(out):
        if math.isnan(v) and allow_nan:
            continue
        if not math.isfinite(v) or (nonneg and v < 0):
            msg = f"{name} must be finite{' and >= 0' if nonneg else ''}; value {s} is {v!r}."
            raise InvalidParameterError(msg)
    return out


@dataclass(frozen=True, eq=False)
class SourcingProblem:
    """One market (mineral, stage, year) as the buying unit sees it.

    Parameters
    ----------
    unit : str
        The buyer: a country (ISO3) or a bloc name; ``members`` are its ISO3 codes. Trade
        between members is internal: members are suppliers too (``internal``), never capped.
    demand_t : float
        Tonnes the unit needs in the year (its baseline absorption, or the user's figure).
    suppliers : tuple of str
        Supplier ISO3 codes (or the user's labels).
    current_t : tuple of float
        What the unit buys from each supplier in the baseline (t). Bought at the delivered
        unit cost.
    redirectable_t : tuple of float
        What each supplier's other customers take (t): the model's ``flexibility_share`` of
        it can be redirected to the unit, at the new-supply premium.
    unit_cost_usd_per_t : tuple of float
        Delivered unit cost (USD/t): ``fob + freight + tariff``.
    fob_usd_per_t, freight_usd_per_t, tariff_usd_per_t : tuple of float
        The parts of the delivered cost (NaN where the user gave only the total).
    cost_method : tuple of str
        Where each supplier's cost comes from (:data:`COST_METHODS`).
    internal : tuple of bool
        Members of the unit (domestic or intra-bloc supply).
    baseline_t : tuple of float
        What the unit buys from each supplier in its baseline sourcing, for comparison
        (default ``current_t``; a user's options table may give its own or none).
    risk_index : tuple of float
        Governance risk of each supplier, 0 (best) to 10 (worst): the EU 2023 scaling of
        the mean WGI, ``2 (2.5 - WGI)``. NaN where unknown (counted as 10 by the budget).
    origins : tuple of str
        Countries one stage up (empty: no look-through data).
    origin_share : tuple of tuple of float
        Per supplier, the share of its material from each origin (rows sum to 1), by
        proportional mixing through the upstream market's flows.
    """

    unit: str
    members: tuple[str, ...]
    mineral: str
    stage: str
    year: int | None
    demand_t: float
    suppliers: tuple[str, ...]
    current_t: tuple[float, ...]
    redirectable_t: tuple[float, ...]
    unit_cost_usd_per_t: tuple[float, ...]
    internal: tuple[bool, ...] = ()
    baseline_t: tuple[float, ...] = ()
    fob_usd_per_t: tuple[float, ...] = ()
    freight_usd_per_t: tuple[float, ...] = ()
    tariff_usd_per_t: tuple[float, ...] = ()
    cost_method: tuple[str, ...] = ()
    risk_index: tuple[float, ...] = ()
    origins: tuple[str, ...] = ()
    origin_share: tuple[tuple[float, ...], ...] = ()
    upstream_stage: str | None = None
    market_total_t: float = math.nan
    supplier_output_t: tuple[float, ...] = ()
    market_price_usd_per_t: float = math.nan
    basis: str = ""
    provenance: tuple[Mapping[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.suppliers)
        if n == 0:
            raise InvalidParameterError(f"sourcing problem for {self.unit} has no suppliers.")
        if len(set(self.suppliers)) != n:
            dup = sorted({s for s in self.suppliers if self.suppliers.count(s) > 1})
            raise InvalidParameterError(f"suppliers listed twice: {', '.join(dup)}.")
        if not (math.isfinite(self.demand_t) and self.demand_t > 0):
            raise InvalidParameterError(f"demand_t must be > 0. Got {self.demand_t!r}.")
        set_ = object.__setattr__
        set_(self, "suppliers", tuple(str(s) for s in self.suppliers))
        set_(self, "members", tuple(self.members))
        set_(self, "demand_t", float(self.demand_t))
        set_(self, "current_t", _floats(self.current_t, "current_t", n))
        set_(self, "redirectable_t", _floats(self.redirectable_t, "redirectable_t", n))
        set_(self, "baseline_t", _floats(self.baseline_t or self.current_t, "baseline_t", n))
        set_(self, "unit_cost_usd_per_t", _floats(self.unit_cost_usd_per_t, "unit_cost_usd_per_t", n))
        nan = (math.nan,) * n
        for name in ("fob_usd_per_t", "freight_usd_per_t", "tariff_usd_per_t"):
            set_(self, name, _floats(getattr(self, name) or nan, name, n, allow_nan=True))
        set_(self, "risk_index", _floats(self.risk_index or nan, "risk_index", n, allow_nan=True))
        set_(self, "internal", tuple(bool(v) for v in (self.internal or (False,) * n)))
        set_(self, "cost_method", tuple(self.cost_method or ("user",) * n))
        set_(self, "supplier_output_t", _floats(self.supplier_output_t or nan, "supplier_output_t",
                                                n, allow_nan=True))
        if len(self.internal) != n or len(self.cost_method) != n:
            raise InvalidParameterError("internal and cost_method need one value per supplier.")
        if self.origins:
            if len(self.origin_share) != n or any(len(r) != len(self.origins) for r in self.origin_share):
                raise InvalidParameterError("origin_share needs one row per supplier and one "
                                            "column per origin.")
            rows = tuple(tuple(float(v) for v in r) for r in self.origin_share)
            for s, r in zip(self.suppliers, rows):
                if any(v < 0 for v in r) or abs(sum(r) - 1.0) > 1e-6:
                    raise InvalidParameterError(f"origin shares of {s} must be >= 0 and sum "
                                                f"to 1. Got sum {sum(r):.6f}.")
            set_(self, "origin_share", rows)
        set_(self, "provenance", tuple(MappingProxyType(dict(p)) for p in self.provenance))

    def __repr__(self) -> str:
        return (f"SourcingProblem({self.unit}, {self.mineral} {self.stage} {self.year}: "
                f"{len(self.suppliers)} suppliers, demand {self.demand_t:,.0f} t)")

    @property
    def label(self) -> str:
        return " ".join(str(x) for x in (self.unit, self.mineral, self.stage, self.year)
                        if x not in (None, ""))


@dataclass(frozen=True, slots=True)
class SourcingScenario:
    """What the buyer asks of its plan.

    Parameters
    ----------
    name : str
    cap_share : float
        Largest share (0-1) of the unit's demand any one non-member supplier may provide
        (default 0.65, the EU CRMA benchmark, Regulation (EU) 2024/1252 Art. 5(1)(d)). With
        ``look_through`` it also bounds each origin one stage up.
    hhi_cap : float, optional
        Largest HHI (0-10,000) of the plan's supplier shares.
    exclude : tuple of str
        Suppliers the unit will not buy from.
    prefer : tuple of str
        Suppliers to prefer (e.g. a bloc's members): their cost counts at
        ``1 - prefer_margin_share`` in the objective; reported costs stay actual.
    prefer_name : str
        The preferred bloc's name, for messages.
    max_risk : float, optional
        Largest share-weighted governance risk of the purchases (0-10 scale of
        ``risk_index``).
    look_through : bool
        Apply the cap to origins one stage up as well (where the problem has them).
    demand_must_be_met : bool
        Hard demand: no unmet slack, so conflicting constraints raise
        :class:`InfeasiblePlanError` naming them. Off by default: unmet tonnes are priced.
    internal_benchmark_share : float, optional
        A share (0-1) of demand the unit's members should supply themselves (the CRMA's 40 %
        processing benchmark). Reported against the plan, not enforced.
    """

    name: str = "sourcing"
    cap_share: float = 0.65
    hhi_cap: float | None = None
    exclude: tuple[str, ...] = ()
    prefer: tuple[str, ...] = ()
    prefer_name: str = ""
    max_risk: float | None = None
    look_through: bool = True
    demand_must_be_met: bool = False
    description: str = ""
    internal_benchmark_share: float | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not (0.0 < float(self.cap_share) <= 1.0):
            raise InvalidParameterError(f"cap_share must be in (0, 1]. Got {self.cap_share!r} "
                                        "(0.65 is 65 %).")
        object.__setattr__(self, "cap_share", float(self.cap_share))
        if self.hhi_cap is not None and not (0.0 < float(self.hhi_cap) <= 10_000.0):
            raise InvalidParameterError(f"hhi_cap must be in (0, 10000]. Got {self.hhi_cap!r}.")
        if self.max_risk is not None and not (0.0 <= float(self.max_risk) <= 10.0):
            raise InvalidParameterError(f"max_risk is on the 0-10 WGI risk scale (2 x (2.5 - WGI)). "
                                        f"Got {self.max_risk!r}.")
        b = self.internal_benchmark_share
        if b is not None and not (0.0 <= float(b) <= 1.0):
            raise InvalidParameterError(f"internal_benchmark_share must be between 0 and 1. Got {b!r}.")
        object.__setattr__(self, "exclude", tuple(dict.fromkeys(str(s) for s in self.exclude)))
        object.__setattr__(self, "prefer", tuple(dict.fromkeys(str(s) for s in self.prefer)))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def check_against(self, problem: SourcingProblem) -> None:
        """Exclusions must name suppliers of the problem (did-you-mean otherwise)."""
        import difflib

        for s in self.exclude:
            if s not in problem.suppliers:
                close = difflib.get_close_matches(s.upper(), problem.suppliers, n=3)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                msg = (f"excluded supplier {s!r} does not supply {problem.label}.{hint} "
                       f"Suppliers: {', '.join(sorted(problem.suppliers)[:30])}"
                       f"{' ...' if len(problem.suppliers) > 30 else ''}.")
                raise InvalidParameterError(msg)
