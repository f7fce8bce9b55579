"""Metrics: pure functions on tidy frames (concentration, exposure, supply risk).

The store-facing layer (:mod:`critmin.metrics.store`) selects the inputs from a
:class:`~critmin.store.Store` and attaches their provenance.
"""
