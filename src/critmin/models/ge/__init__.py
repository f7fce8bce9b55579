"""The structural-gravity general-equilibrium model (Yotov et al. 2016, ch. 2).

``model.py`` the frozen :class:`StructuralGravity` (``solve(baseline, scenario) -> Result``;
``solve_arrays`` the GE alone), ``ppml.py`` the PPML estimator, ``solver.py`` the exact and
the book's GE solvers, ``costs.py`` trade costs before and after the shocks,
``monte_carlo.py`` coefficient draws, ``run.py`` one scenario end to end. Its registration
in the scenario language (``model: ge``) is :mod:`critmin.scenario.plugins.ge`.
"""

from critmin.models.ge.model import StructuralGravity

__all__ = ["StructuralGravity"]
