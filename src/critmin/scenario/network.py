"""``model: network``: the network model's sections of the scenario language.

Layout of a file::

    model: network
    name: china-ga-ge-controls
    baseline: {chain: semiconductors, year: 2024}     # home_bias: 0.5 (optional)
    # or a chain of your own, in the layout of critmin/data/chains/*.yml, beside the file:
    # baseline: {chain_file: data/my-chain.yml}       # stated shares only: no store needed
    network: {reroute: true, draws: 0}                # optional: the model's parameters
    shocks:
      - {type: licensing, minerals: [gallium, germanium], exporter: CHN, destinations: all, share: 0.5}
      - {type: ban, minerals: [gallium], exporter: CHN, destinations: [USA]}
      - {type: preferential_zone, members: PaxSilica}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from critmin.scenario.countries import resolve_countries
from critmin.scenario.schema import In

if TYPE_CHECKING:
    from critmin.scenario.load import LoadContext


@dataclass(frozen=True, slots=True)
class NetworkBaselineSpec:
    """Which chain (a packaged one by name, or the user's ``chain_file``), which data year,
    how stages link."""

    chain: str
    year: int | None = None
    home_bias: float = 0.5
    chain_file: Path | None = None

    def spec(self) -> Any:
        """The :class:`~critmin.chain_graph.ChainSpec` (parsed from ``chain_file`` if given)."""
        from critmin.chain_graph import chain, read_chain_file

        return read_chain_file(self.chain_file) if self.chain_file is not None else chain(self.chain)

    @property
    def needs_store(self) -> bool:
        """False when every node's shares are stated in the chain (no store table)."""
        return any(src.kind == "table" for n in self.spec().nodes for src in n.shares)


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
    chain: str | None = Field(None, description="semiconductors, magnets or batteries (critmin/data/chains)")
    chain_file: str | None = Field(None, description="a chain YAML in the layout of critmin/data/chains, "
                                   "relative to the scenario file")
    year: int | None = Field(None, ge=2000, le=2100)
    home_bias: float = Field(0.5, ge=0, le=1)

    @field_validator("chain", mode="after")
    @classmethod
    def _chain(cls, v: str | None) -> str | None:
        from critmin.chain_graph import chain

        return None if v is None else chain(v).name

    @model_validator(mode="after")
    def _one_chain(self) -> NetworkBaselineIn:
        if (self.chain is None) == (self.chain_file is None):
            raise ValueError("name a packaged chain (chain: semiconductors) or a chain file "
                             "(chain_file: data/my-chain.yml), one of the two")
        return self

    def to_value(self, ctx: LoadContext | None = None) -> NetworkBaselineSpec:
        if self.chain_file is None:
            return NetworkBaselineSpec(str(self.chain), self.year, self.home_bias)
        path = ctx.data_path(self.chain_file, "baseline.chain_file") if ctx is not None \
            else Path(self.chain_file)
        spec = NetworkBaselineSpec("", self.year, self.home_bias, path)
        return NetworkBaselineSpec(spec.spec().name, self.year, self.home_bias, path)  # parsed: errors now


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
