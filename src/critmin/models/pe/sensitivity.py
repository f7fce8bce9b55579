"""Elasticity uncertainty for the PE model: Monte Carlo draws, run in parallel with Dask.

Every elasticity of the scenario (defaults and overrides alike) is multiplied by a
log-normal factor ``exp(N(0, spread))``, one factor per elasticity kind and draw, so signs
are kept and a draw moves all markets' substitution elasticities together (the
uncertainty is about the parameter, not country noise). Draws run in batches on a Dask
scheduler; results are reproducible for a given ``seed`` whatever the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from critmin.errors import InvalidParameterError, ScenarioError, SolveError
from critmin.models.pe.data import MarketBaseline, market_problem
from critmin.models.pe.solver import solve_market
from critmin.scenario.pe import ELASTICITY_SIGNS, Elasticities
from critmin.scenario.values import Scenario


def scaled(el: Elasticities, factors: dict[str, float]) -> Elasticities:
    """``el`` with every value of each elasticity kind multiplied by ``factors[kind]``."""
    def scale(pairs: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
        return tuple((k, v * factors.get(k, 1.0)) for k, v in pairs)

    return replace(el, **{k: getattr(el, k) * factors.get(k, 1.0) for k in ELASTICITY_SIGNS},
                   by_mineral=tuple((m, scale(p)) for m, p in el.by_mineral),
                   by_country=tuple((c, scale(p)) for c, p in el.by_country),
                   by_mineral_country=tuple((m, c, scale(p)) for m, c, p in el.by_mineral_country))


def draw_factors(n_draws: int, spread: float, seed: int) -> np.ndarray:
    """``n_draws x 3`` log-normal factors (import_demand, export_supply, substitution)."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.normal(0.0, spread, size=(n_draws, len(ELASTICITY_SIGNS))))


def _run_batch(baseline: MarketBaseline, scenario: Scenario, mode: str, factors: np.ndarray,
               first: int, central: Elasticities) -> pd.DataFrame:
    names = list(ELASTICITY_SIGNS)
    rows = []
    for k, f in enumerate(factors):
        el = scaled(central, dict(zip(names, f, strict=True)))
        problem = market_problem(baseline, scenario, el)
        try:
            sol = solve_market(problem, mode)
        except (ScenarioError, SolveError):
            # e.g. a ban with a drawn substitution <= 1: no equilibrium; kept and counted
            rows.extend((first + k, c, np.nan, np.nan, np.nan, False) for c in problem.countries)
            continue
        for c, dw, dp, x in zip(problem.countries, sol.w - 1.0, sol.composite_price - 1.0,
                                sol.flows.sum(axis=0), strict=True):
            rows.append((first + k, c, dw, dp, x, True))
    return pd.DataFrame(rows, columns=["draw", "country", "world_price_change_share",
                                       "composite_price_change_share", "purchases_t", "feasible"])


@dataclass(frozen=True, slots=True)
class ElasticityDraws:
    """Monte Carlo over elasticities for one market.

    Parameters
    ----------
    n_draws : int
        Number of draws (1,000 gives stable 5-95 % bands).
    spread : float
        Standard deviation of the log factor (0.5: a draw is within x0.37-x2.7 of the
        central value 95 % of the time).
    seed : int
    mode : {"exact", "gsim"}
    batch : int
        Draws per Dask task.
    scheduler : str
        Dask scheduler: ``"processes"`` (parallel), ``"threads"`` or ``"synchronous"``.
    n_workers : int
    elasticities : Elasticities
        The central values the draws scale (default: the package's).
    """

    n_draws: int = 1000
    spread: float = 0.5
    seed: int = 0
    mode: str = "exact"
    batch: int = 50
    scheduler: str = "processes"
    n_workers: int = 2
    elasticities: Elasticities = field(default_factory=Elasticities)

    def __post_init__(self) -> None:
        if not (isinstance(self.n_draws, int) and self.n_draws >= 1):
            raise InvalidParameterError(f"n_draws must be an integer >= 1. Got {self.n_draws!r}.")
        if not self.spread >= 0:
            raise InvalidParameterError(f"spread must be >= 0. Got {self.spread!r}.")
        if self.scheduler not in ("processes", "threads", "synchronous"):
            raise InvalidParameterError(f"scheduler must be processes, threads or synchronous. "
                                        f"Got {self.scheduler!r}.")

    def run(self, baseline: MarketBaseline, scenario: Scenario) -> pd.DataFrame:
        """One row per draw and country (long)."""
        import dask

        factors = draw_factors(self.n_draws, self.spread, self.seed)
        tasks = [dask.delayed(_run_batch)(baseline, scenario, self.mode, factors[s:s + self.batch], s,
                                         self.elasticities)
                 for s in range(0, self.n_draws, self.batch)]
        kwargs: dict[str, Any] = {"scheduler": self.scheduler}
        if self.scheduler != "synchronous":
            kwargs["num_workers"] = self.n_workers
        if self.scheduler == "processes":
            kwargs["chunksize"] = 1  # dask's default chunk of several tasks would leave a worker idle
        import multiprocessing

        # fork (where the platform has it) starts workers without re-importing critmin,
        # pandas and scipy, which otherwise costs seconds per worker
        ctx = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with dask.config.set({"multiprocessing.context": ctx}):
            parts = dask.compute(*tasks, **kwargs)
        return pd.concat(parts, ignore_index=True)

    @staticmethod
    def bands(draws: pd.DataFrame, quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
        """Median and percentile bands per country."""
        g = draws.groupby("country")
        cols = ["world_price_change_share", "composite_price_change_share"]
        lo, hi = quantiles
        out = g[cols].median().add_suffix("_median")
        out = out.join(g[cols].quantile(lo).add_suffix(f"_p{round(lo * 100):02d}"))
        out = out.join(g[cols].quantile(hi).add_suffix(f"_p{round(hi * 100):02d}"))
        return out.reset_index()
