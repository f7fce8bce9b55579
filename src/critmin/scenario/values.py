"""The frozen values of the scenario language: :class:`Shock`, :class:`ReferencePrice`,
:class:`Scenario`.

A scenario is a value (STYLE.md §2): frozen, hashable, validated in ``__post_init__``.
One shock vocabulary serves every model, with one meaning per word:

=====================  =====================================================================
``tariff``             ad-valorem import tariff on exporters -> importers: new ``rate``
                       (0.18 is 18 %) or ``change`` of the rate in force
``export_tax``         ad-valorem export tax levied by exporters on shipments to importers
``export_quota``       cap on an exporter's shipments to a set of importers, ``tonnes`` or a
                       ``share`` of baseline shipments (0 is an embargo)
``licensing``          the same cap applied pair by pair (a licence per destination)
``ban``                no shipments from exporters to importers (a quota of 0 t, pair by pair)
``preferential_zone``  ``members`` trade at ``internal_tariff``; optional reference (floor)
                       prices, kept by ``adjustable_tariff`` or ``price_gap_subsidy``
``supply_shock``       producers' output shifts by ``change_share`` (-0.2 is -20 %)
``demand_shock``       consumers' demand shifts by ``change_share``
``stockpile_release``  ``tonnes`` released from a stockpile in the importers
``trade_cost_change``  a trade-cost variable of the pairs is set to ``value`` or shifted by
                       ``change`` (``symmetric``: both directions)
=====================  =====================================================================

Which model can express which shock is declared by the model's
:class:`~critmin.models.base.ModelSpec` (see :mod:`critmin.scenario.registry`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from critmin.errors import InvalidParameterError, ScenarioError

SHOCK_KINDS = ("tariff", "export_tax", "export_quota", "licensing", "ban", "preferential_zone",
               "supply_shock", "demand_shock", "stockpile_release", "trade_cost_change")
ENFORCEMENTS = ("adjustable_tariff", "price_gap_subsidy")
#: Accepted spellings of the one unit reference prices are given in.
PRICE_UNITS = ("USD/t", "usd/t", "USD per t", "usd_per_t", "USD/tonne", "USD/metric ton")


@dataclass(frozen=True, slots=True)
class ReferencePrice:
    """A reference (floor) price for one mineral-stage, in USD per tonne."""

    mineral: str
    stage: str
    price_usd_per_t: float
    source: str = ""

    def __post_init__(self) -> None:
        if not (self.price_usd_per_t > 0 and math.isfinite(self.price_usd_per_t)):
            raise InvalidParameterError(
                f"reference price for {self.mineral} {self.stage} must be a finite number > 0 "
                f"USD/t. Got {self.price_usd_per_t}.")


def _finite(kind: str, name: str, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise InvalidParameterError(f"{kind} {name} must be a finite number. Got {value}.")


@dataclass(frozen=True, slots=True)
class Shock:
    """One change to one instrument.

    ``exporters``/``importers`` are ISO3 tuples or None (every country); ``minerals`` is
    None for every mineral of the baseline. Rates are ad-valorem shares (0.25 is 25 %).

    Examples
    --------
    >>> Shock("export_quota", exporters=("CHN",), importers=("USA",), tonnes=0.0)
    Shock('export_quota', exporters=('CHN',), importers=('USA',), tonnes=0.0)
    """

    kind: str
    minerals: tuple[str, ...] | None = None
    exporters: tuple[str, ...] | None = None
    importers: tuple[str, ...] | None = None
    rate: float | None = None          # tariff / export tax: new ad-valorem rate
    change: float | None = None        # tariff / export tax: change in the rate; trade_cost_change: shift
    tonnes: float | None = None        # export_quota, licensing, stockpile_release
    share: float | None = None         # export_quota / licensing: share of baseline flows
    change_share: float | None = None  # supply_shock / demand_shock: -0.2 is -20 %
    members: tuple[str, ...] = ()
    internal_tariff: float | None = None
    reference_prices: tuple[ReferencePrice, ...] = ()
    enforcement: str | None = None
    variable: str | None = None        # trade_cost_change: the cost variable
    value: float | None = None         # trade_cost_change: the new value
    symmetric: bool = False            # trade_cost_change, tariff: both directions of each pair
    label: str = ""

    def __post_init__(self) -> None:
        k = self.kind
        if k not in SHOCK_KINDS:
            from critmin.errors import did_you_mean

            close = did_you_mean(k, SHOCK_KINDS)
            raise ScenarioError(f"shock type {k!r} is not known." + (f" Did you mean {close!r}?" if close else "")
                                + f" Accepted: {', '.join(SHOCK_KINDS)}.")
        for name in ("rate", "change", "tonnes", "share", "change_share", "internal_tariff", "value"):
            _finite(k, name, getattr(self, name))
        if k in ("tariff", "export_tax") and (self.rate is None) == (self.change is None):
            raise ScenarioError(f"{k} shock needs exactly one of 'rate' or 'change'.")
        if self.rate is not None and self.rate < 0:
            raise InvalidParameterError(f"{k} rate must be >= 0 (0.25 is 25 %). Got {self.rate}.")
        if k in ("export_quota", "licensing") and (self.tonnes is None) == (self.share is None):
            raise ScenarioError(f"{k} shock needs exactly one of 'tonnes' or 'share'.")
        if k == "stockpile_release" and self.tonnes is None:
            raise ScenarioError("stockpile_release shock needs 'tonnes'.")
        if self.tonnes is not None and self.tonnes < 0:
            raise InvalidParameterError(f"{k} tonnes must be >= 0 (0 is a ban). Got {self.tonnes}.")
        if self.share is not None and not 0 <= self.share:
            raise InvalidParameterError(f"{k} share must be >= 0 (0 is a ban, 1 the "
                                        f"baseline). Got {self.share}.")
        if k in ("supply_shock", "demand_shock") and self.change_share is None:
            raise ScenarioError(f"{k} needs 'change_share' (-0.2 is -20 %).")
        if self.change_share is not None and self.change_share <= -1:
            raise InvalidParameterError(f"{k} change_share must be > -1 (-0.2 is -20 %). "
                                        f"Got {self.change_share}.")
        if k == "preferential_zone":
            if self.enforcement not in ENFORCEMENTS:
                raise ScenarioError(f"preferential_zone enforcement {self.enforcement!r} is not known. "
                                    f"Accepted: {', '.join(ENFORCEMENTS)}.")
            if not self.members:
                raise ScenarioError("preferential_zone needs 'members' (a bloc name or a list of countries).")
        if self.internal_tariff is not None and self.internal_tariff < 0:
            raise InvalidParameterError(f"{k} internal_tariff must be >= 0. Got {self.internal_tariff}.")
        if k == "trade_cost_change":
            if not self.variable:
                raise ScenarioError("trade_cost_change needs 'variable' (a cost variable of the model).")
            if (self.value is None) == (self.change is None):
                raise ScenarioError("trade_cost_change needs exactly one of 'value' or 'change'.")
        object.__setattr__(self, "members", tuple(self.members))
        object.__setattr__(self, "reference_prices", tuple(self.reference_prices))

    def __repr__(self) -> str:
        from critmin.models.base import non_default_repr

        text = non_default_repr(self)
        return text.replace("Shock(kind=", "Shock(", 1)

    def applies_to(self, mineral: str) -> bool:
        return self.minerals is None or mineral in self.minerals

    def reference_price(self, mineral: str, stage: str) -> ReferencePrice | None:
        for ref in self.reference_prices:
            if ref.mineral == mineral and ref.stage == stage:
                return ref
        return None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named tuple of shocks for one model, with where its baseline comes from.

    Parameters
    ----------
    name : str
    model : str
        The model's word in the scenario language (``pe``, ``ge``...; see
        :func:`critmin.scenario.registry.plugins`).
    shocks : tuple of Shock
    baseline : frozen value or None
        The model's baseline spec (store slice, files, tariffs in force); None for the
        model's default (a Python caller that passes a baseline to ``solve`` needs none).
    settings : frozen value or None
        The model's settings section (``pe:``, ``ge:``, ``sourcing:``...); None for defaults.
    description, path : str
        ``path`` is the file the scenario was read from ("" for documents and Python values).
    warnings : tuple of str
        What the loader noticed (an older file layout it upgraded); results repeat them.
    assumptions : tuple of str
        What the scenario assumes (tariffs in force, dates, sources); results list them in
        their provenance.

    Examples
    --------
    >>> Scenario("gallium-ban", shocks=(Shock("ban", exporters=("CHN",), importers=("USA",)),))
    Scenario('gallium-ban', 1 shocks)
    """

    name: str
    shocks: tuple[Shock, ...] = ()
    description: str = ""
    model: str = "pe"
    baseline: Any = None
    settings: Any = None
    path: str = ""
    warnings: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError("a scenario needs a non-empty name.")
        shocks = tuple(self.shocks)
        for s in shocks:
            if not isinstance(s, Shock):
                raise ScenarioError(f"scenario {self.name!r}: shocks must be Shock values. Got {s!r}.")
        object.__setattr__(self, "shocks", shocks)
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "assumptions", tuple(self.assumptions))

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {len(self.shocks)} shocks)"

    def shocks_for(self, mineral: str) -> tuple[Shock, ...]:
        return tuple(s for s in self.shocks if s.applies_to(mineral))

    @property
    def file(self) -> Path | None:
        return Path(self.path) if self.path else None


def empty_like(scenario: Scenario) -> Scenario:
    """The same scenario with no shocks: solving it returns the baseline."""
    from dataclasses import replace

    return replace(scenario, name=f"{scenario.name}-baseline", shocks=())
