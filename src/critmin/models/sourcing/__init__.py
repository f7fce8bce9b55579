"""The sourcing optimiser (issue 11): alternate supply routes for a country or bloc.

:class:`Sourcing` is the model (``model: sourcing`` in scenario files); it solves a
:class:`SourcingProblem` (the market as the buyer sees it, built outside ``models/`` by
:mod:`critmin.sourcing_data`) under a :class:`SourcingScenario` (cap, exclusions,
preferred bloc, governance budget, HHI cap) and returns a
:class:`~critmin.models.base.Result`.
"""

from critmin.models.sourcing.model import Sourcing, money
from critmin.models.sourcing.problem import InfeasiblePlanError, SourcingProblem, SourcingScenario

__all__ = ["InfeasiblePlanError", "Sourcing", "SourcingProblem", "SourcingScenario", "money"]
