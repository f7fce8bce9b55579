"""The network model's baseline from the store: the chain's country shares and links."""

from __future__ import annotations

from typing import Any


def load_baseline(scenario: Any, store: Any) -> Any:
    """A :class:`~critmin.chain_baseline.ChainBaseline` for the scenario's ``baseline:``
    section; CC BY-NC and proprietary-derived shares come from the source directory only."""
    from critmin.chain_baseline import chain_baseline
    from critmin.chain_graph import chain
    from critmin.config import default_source_dir

    spec = scenario.baseline
    return chain_baseline(store, chain(spec.chain), spec.year, source_dir=default_source_dir(),
                          home_bias=spec.home_bias)
