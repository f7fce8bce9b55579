"""The network model's baseline: the chain's country shares and links, from the store or,
for a chain file whose shares are all stated, from the file alone."""

from __future__ import annotations

from typing import Any


def load_baseline(scenario: Any, store: Any) -> Any:
    """A :class:`~critmin.chain_baseline.ChainBaseline` for the scenario's ``baseline:``
    section; CC BY-NC and proprietary-derived shares come from the source directory only."""
    from critmin.chain_baseline import chain_baseline
    from critmin.config import default_source_dir
    from critmin.errors import ScenarioError
    from critmin.scenario.network import NetworkBaselineSpec

    spec = scenario.baseline
    if not isinstance(spec, NetworkBaselineSpec):
        raise ScenarioError(f"scenario {scenario.name!r} has no network baseline section: give "
                            "baseline.chain (or baseline.chain_file).")
    chain = spec.spec()
    if store is None and spec.needs_store:
        raise ScenarioError(f"scenario {scenario.name!r}: chain {chain.name} reads country shares from "
                            "the store; build it with `critmin data build` or pass --store.")
    return chain_baseline(store, chain, spec.year, source_dir=default_source_dir(),
                          home_bias=spec.home_bias)
