"""The multi-market partial-equilibrium (GSIM-style) trade model.

``model.py`` the frozen :class:`PartialEquilibrium` (``solve(baseline, scenario) -> Result``),
``data.py`` the arrays of one market, ``solver.py`` the equilibrium solver, ``result.py`` the
per-market tables, ``sensitivity.py`` elasticity draws. Its registration in the scenario language
(``model: pe``) is :mod:`critmin.scenario.plugins.pe`. The 2023 gallium back-test, which reads the store and
observed exports, is :mod:`critmin.backtest` (an analysis, not a model).
"""

from critmin.models.pe.model import PartialEquilibrium

__all__ = ["PartialEquilibrium"]
