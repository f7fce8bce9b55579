"""Supply chains from mine to product: stage graph and shock propagation (issue 12).

:class:`NetworkModel` propagates export restrictions through a chain's stages with a
linear programme (HiGHS); ``reroute=False`` gives the Leontief limit. :func:`draw` samples
the coefficient ranges for the shared sweep path (:func:`critmin.sweep.run_sweep`).
"""

from critmin.models.network.model import (
    ChainScenario,
    NetworkModel,
    Restriction,
    Zone,
    chain_scenario,
    draw,
    restrictions_from,
    with_bands,
)

__all__ = ["ChainScenario", "NetworkModel", "Restriction", "Zone", "chain_scenario", "draw", "restrictions_from",
           "with_bands"]
