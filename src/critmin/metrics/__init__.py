"""Metrics: pure functions on tidy frames (concentration, exposure, supply risk, US NIR).

:mod:`~critmin.metrics.concentration`, :mod:`~critmin.metrics.exposure`,
:mod:`~critmin.metrics.risk` and :mod:`~critmin.metrics.nir` compute on DataFrames and
never read the store; :mod:`~critmin.metrics.queries` is the store-facing layer that
selects their inputs, checks names against what the store holds and attaches provenance.
The functions named like their modules (``concentration.concentration``,
``exposure.exposure``) are reached through the module, which this package does not shadow.
"""

from critmin.metrics.concentration import (
                                           Thresholds,
                                           country_share_series,
                                           period_share,
                                           shares,
                                           stage_comparison,
                                           wgi_scaled,
)
from critmin.metrics.exposure import net_import_reliance, source_shares
from critmin.metrics.risk import hhi_wgi_t, supply_risk

__all__ = ["Thresholds", "country_share_series", "hhi_wgi_t", "net_import_reliance",
           "period_share", "shares", "source_shares", "stage_comparison", "supply_risk",
           "wgi_scaled"]
