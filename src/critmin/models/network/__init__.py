"""Supply chains from mine to product: stage graph and shock propagation (issue 12).

:class:`NetworkModel` propagates export restrictions through a chain's stages with a
linear programme (HiGHS); ``reroute=False`` gives the Leontief limit. :func:`sweep` runs
coefficient draws (serially or through Dask) and returns percentile bands.
"""

from critmin.models.network.model import ChainScenario, NetworkModel, Restriction, Zone, restrictions_from

__all__ = ["ChainScenario", "NetworkModel", "Restriction", "Zone", "restrictions_from"]
