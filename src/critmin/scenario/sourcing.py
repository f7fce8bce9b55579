"""``model: sourcing``: the sourcing optimiser's sections of the scenario language.

Layout of a file::

    model: sourcing
    name: ministerial-2026-sourcing-without-china
    baseline:                      # store markets for a country or bloc ...
      unit: ministerial-2026       # a bloc, a country (ISO3 or name) or a list
      markets:
        - {mineral: gallium}       # stage: default the first traded stage with production
        - {mineral: cobalt, stage: refinery}
      year: 2024                   # optional: default the latest year with observed trade
      demand_t: 120                # optional: default the unit's baseline absorption
      tariffs: {CHN: 0.25}         # optional: ad valorem on FOB, by supplier
      # ... or the user's own supplier list:
      # options_csv: data/options.csv   (supplier, capacity_t, unit_cost_usd_per_t[, origin, wgi, baseline_t])
      # demand_t: 1000
    sourcing:                      # what the buyer asks, and the model's parameters
      cap: 0.65                    # largest share of demand from one non-member supplier
      hhi_cap: 2500                # optional, HHI 0-10,000
      exclude: [CHN]
      prefer: PaxSilica            # a bloc (or country list) to prefer
      max_risk: 5.0                # share-weighted WGI risk 2 (2.5 - WGI), 0-10
      look_through: true           # the cap on origins one stage up too
      demand_must_be_met: false    # true: conflicting limits are an error naming them
      internal_benchmark: 0.40     # reported against the plan (CRMA processing benchmark)
      flexibility: 0.25            # share of other customers' take that can be redirected
      new_supply_premium: 1.5      # IEA
      value_of_lost_supply_usd_per_t: 5.0e6
      frontier: true

A sourcing scenario has no shocks: its limits are the ``sourcing:`` section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from critmin.scenario.countries import resolve_countries
from critmin.scenario.schema import In

if TYPE_CHECKING:
    from critmin.models.sourcing import SourcingScenario
    from critmin.scenario.load import LoadContext


@dataclass(frozen=True, slots=True)
class SourcingBaselineSpec:
    """Where a sourcing problem comes from: store markets of a unit, or an options file."""

    unit: str = ""
    markets: tuple[tuple[str, str | None], ...] = ()
    year: int | None = None
    demand_t: float | None = None
    tariffs: tuple[tuple[str, float], ...] = ()
    options_csv: Path | None = None
    mineral: str = "options"

    @property
    def needs_store(self) -> bool:
        return self.options_csv is None

    def describe(self) -> str:
        if self.options_csv is not None:
            return f"file {self.options_csv.name}, {self.demand_t:,.0f} t"
        return f"store, {self.unit}, {len(self.markets)} market(s)"


@dataclass(frozen=True, slots=True)
class SourcingSettings:
    """The ``sourcing:`` section: the limits (a :class:`SourcingScenario`) and the model's
    parameters (see :class:`critmin.models.sourcing.Sourcing`)."""

    limits: SourcingScenario
    model: tuple[tuple[str, Any], ...] = ()

    def parameters(self) -> dict[str, Any]:
        return dict(self.model)


class MarketIn(In):
    mineral: str
    stage: str | None = None

    def to_value(self) -> tuple[str, str | None]:
        from critmin.vocab import mineral, stage

        return mineral(self.mineral).id, (stage(self.stage).value if self.stage else None)


class SourcingBaselineIn(In):
    unit: str | None = None
    markets: list[MarketIn] = Field(default_factory=list)
    year: int | None = None
    demand_t: float | None = Field(None, gt=0)
    tariffs: dict[str, float] = Field(default_factory=dict)
    options_csv: str | None = None
    mineral: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SourcingBaselineIn:
        if self.options_csv is None:
            if not self.unit or not self.markets:
                raise ValueError("a sourcing baseline names a unit and markets (store data), "
                                 "or an options_csv with demand_t")
        else:
            if self.demand_t is None:
                raise ValueError("options_csv needs demand_t (tonnes the buyer needs)")
            if self.markets:
                raise ValueError("give either markets (store data) or options_csv, not both")
        for k, v in self.tariffs.items():
            if not 0 <= v <= 10:
                raise ValueError(f"tariffs.{k}: an ad valorem share (0.25 is 25 %); got {v}")
        return self

    def to_value(self, ctx: LoadContext | None = None) -> SourcingBaselineSpec:
        from critmin.countries import country

        path = None
        if self.options_csv is not None:
            path = ctx.data_path(self.options_csv, "baseline.options_csv") if ctx is not None \
                else Path(self.options_csv)
        return SourcingBaselineSpec(
            unit=self.unit or "buyer", markets=tuple(m.to_value() for m in self.markets),
            year=self.year, demand_t=self.demand_t,
            tariffs=tuple(sorted((country(k), float(v)) for k, v in self.tariffs.items())),
            options_csv=path, mineral=self.mineral or "options")


class SourcingSettingsIn(In):
    cap: float = Field(0.65, gt=0, le=1)
    hhi_cap: float | None = Field(None, gt=0, le=10_000)
    exclude: str | list[str] | None = None
    prefer: str | list[str] | None = None
    max_risk: float | None = Field(None, ge=0, le=10)
    look_through: bool = True
    demand_must_be_met: bool = False
    internal_benchmark: float | None = Field(None, ge=0, le=1)
    flexibility: float | None = Field(None, ge=0, le=1)
    new_supply_premium: float | None = Field(None, ge=1)
    value_of_lost_supply_usd_per_t: float | None = Field(None, gt=0)
    frontier: bool = False
    frontier_points: int | None = Field(None, ge=2, le=401)

    def to_value(self, ctx: LoadContext | None = None) -> SourcingSettings:
        from critmin.models.sourcing import SourcingScenario

        exclude = resolve_countries(self.exclude, "sourcing.exclude") if self.exclude else ()
        prefer = resolve_countries(self.prefer, "sourcing.prefer") if self.prefer else ()
        limits = SourcingScenario(
            cap_share=self.cap, hhi_cap=self.hhi_cap, exclude=tuple(exclude or ()),
            prefer=tuple(prefer or ()), prefer_name=self.prefer if isinstance(self.prefer, str) else "",
            max_risk=self.max_risk, look_through=self.look_through,
            demand_must_be_met=self.demand_must_be_met,
            internal_benchmark_share=self.internal_benchmark)
        params = {"flexibility_share": self.flexibility, "new_supply_premium": self.new_supply_premium,
                  "value_of_lost_supply_usd_per_t": self.value_of_lost_supply_usd_per_t,
                  "frontier": self.frontier or None, "frontier_points": self.frontier_points}
        return SourcingSettings(limits=limits,
                                model=tuple((k, v) for k, v in params.items() if v is not None))
