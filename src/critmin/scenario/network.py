"""``model: network``: the network model's sections of the scenario language.

Layout of a file::

    model: network
    name: china-ga-ge-controls
    baseline: {chain: semiconductors, year: 2024}     # home_bias: 0.5 (optional)
    network: {reroute: true, draws: 0}                # optional: the model's parameters
    shocks:
      - {type: licensing, minerals: [gallium, germanium], exporter: CHN, destinations: all, share: 0.5}
      - {type: ban, minerals: [gallium], exporter: CHN, destinations: [USA]}
      - {type: preferential_zone, members: PaxSilica}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from critmin.scenario.countries import resolve_countries
from critmin.scenario.schema import In

if TYPE_CHECKING:
    from critmin.scenario.load import LoadContext


@dataclass(frozen=True, slots=True)
class NetworkBaselineSpec:
    """Which chain, which data year, how stages link."""

    chain: str
    year: int | None = None
    home_bias: float = 0.5


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    """The network model's parameters."""

    reroute: bool = True
    spare_share: float = 0.10
    demand_elasticity: float = 0.5
    proportional: bool = True
    draws: int = 0
    seed: int = 20260101
    priority: tuple[str, ...] = ()

    def parameters(self) -> dict[str, Any]:
        return {"reroute": self.reroute, "spare_share": self.spare_share,
                "demand_elasticity": self.demand_elasticity, "proportional": self.proportional,
                "draws": self.draws, "seed": self.seed, "priority": self.priority}


class NetworkBaselineIn(In):
    chain: str = Field(description="semiconductors, magnets or batteries (critmin/data/chains)")
    year: int | None = Field(None, ge=2000, le=2100)
    home_bias: float = Field(0.5, ge=0, le=1)

    @field_validator("chain", mode="after")
    @classmethod
    def _chain(cls, v: str) -> str:
        from critmin.chain_graph import chain

        return chain(v).name

    def to_value(self, ctx: LoadContext | None = None) -> NetworkBaselineSpec:
        return NetworkBaselineSpec(self.chain, self.year, self.home_bias)


class NetworkSettingsIn(In):
    reroute: bool = True
    spare_share: float = Field(0.10, ge=0, le=1)
    demand_elasticity: float = Field(0.5, gt=0, le=10)
    proportional: bool = True
    draws: int = Field(0, ge=0)
    seed: int = 20260101
    priority: str | list[str] | None = None

    @field_validator("priority", mode="after")
    @classmethod
    def _priority(cls, v: Any) -> Any:
        return () if v is None else resolve_countries(v, "network.priority") or ()

    def to_value(self, ctx: LoadContext | None = None) -> NetworkSettings:
        return NetworkSettings(self.reroute, self.spare_share, self.demand_elasticity, self.proportional,
                               self.draws, self.seed, tuple(self.priority or ()))
