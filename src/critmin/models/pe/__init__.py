"""The multi-market partial-equilibrium (GSIM-style) trade model.

``model.py`` the frozen :class:`PartialEquilibrium` (``solve(baseline, scenario) -> Result``),
``data.py`` the arrays of one market, ``solver.py`` the equilibrium solver, ``result.py`` the
per-market tables, ``sensitivity.py`` elasticity draws, ``backtest.py`` the 2023 gallium
back-test, ``plugin.py`` the registration in the scenario language (``model: pe``).
"""

from critmin.models.pe.model import PartialEquilibrium

__all__ = ["PartialEquilibrium"]
