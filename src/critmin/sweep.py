"""One distributed sweep path for every model: draw the uncertain parameters, solve every
draw on Dask, and return 5th-50th-95th percentile bands of every numeric column.

A sweep needs three things, whatever the model (PE, GE, and the sourcing and network models
to come):

- a frozen ``model`` with ``solve(baseline, scenario) -> Result`` (:mod:`critmin.models.base`);
- a ``draw(model, baseline, rng) -> model`` function returning the model with its uncertain
  parameters drawn (PE: elasticities from their stated ranges; GE: cost coefficients from
  the covariance estimated with the baseline). Each draw ``i`` gets its own generator ``default_rng([seed, i])``,
  and batches are stacked in draw order, so results do not depend on the scheduler or the
  number of workers (a model that warm-starts a solver from the previous draw of its batch,
  as the network model does, may differ by solver round-off, about 1e-12 relative, when
  the batching differs);
- where to run: a Dask ``LocalCluster`` of separate worker processes (default), an existing
  cluster given its scheduler address (``tcp://host:8786``), or ``"serial"`` (a plain loop
  in this process: the baseline of the scaling benchmark).

The baseline and the scenario are sent to every worker once (``scatter(broadcast=True)``);
tasks carry batches of drawn models and return plain DataFrames. A draw whose solve raises a
:class:`~critmin.errors.CritminError` (e.g. no equilibrium for an extreme elasticity) is
counted and left out of the bands; more than :data:`MAX_FAILED_SHARE` failing raises
:class:`~critmin.errors.SolveError`.

Example (serial, on a toy model)::

    settings = SweepSettings(draws=200, seed=1, scheduler="serial")
    result = run_sweep(model, baseline, scenario, draw, settings)
    result.table("countries")   # key columns, x_p05, x_p50, x_p95 for every float column
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from critmin.errors import CritminError, InvalidParameterError, SolveError

#: Share of draws allowed to fail before the sweep is an error.
MAX_FAILED_SHARE = 0.05
SERIAL = "serial"

Draw = Callable[[Any, Any, Any], Any]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class SweepSettings:
    """How many draws, with which seed, where.

    Parameters
    ----------
    draws : int
        Number of draws (200 gives usable 5-95 % bands; 1,000 stable ones).
    seed : int
        Seed of the draws: the same seed gives the same bands on any scheduler.
    scheduler : str, optional
        None: a Dask ``LocalCluster`` of ``n_workers`` separate processes, started and closed
        by the sweep; ``"serial"``: a loop in this process; else the address of a running Dask
        scheduler (``tcp://127.0.0.1:8786``), whose workers must have critmin installed.
    n_workers : int
        Worker processes of the ``LocalCluster`` (ignored otherwise).
    batch : int
        Draws per task; 0 picks about four tasks per worker on Dask, and batches of about a
        twentieth of the draws in the serial loop (about 20 progress steps).
    quantiles : tuple of float
        Percentiles of the bands, as shares.
    """

    draws: int
    seed: int = 20260101
    scheduler: str | None = None
    n_workers: int = 2
    batch: int = 0
    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)

    def __post_init__(self) -> None:
        if not (isinstance(self.draws, int) and not isinstance(self.draws, bool) and self.draws >= 1):
            raise InvalidParameterError(f"draws must be an integer >= 1. Got {self.draws!r}.")
        if not (isinstance(self.n_workers, int) and self.n_workers >= 1):
            raise InvalidParameterError(f"n_workers must be an integer >= 1. Got {self.n_workers!r}.")
        if not (isinstance(self.batch, int) and self.batch >= 0):
            raise InvalidParameterError(f"batch must be an integer >= 0. Got {self.batch!r}.")
        if not self.quantiles or not all(0 < q < 1 for q in self.quantiles):
            raise InvalidParameterError(f"quantiles must be shares in (0, 1). Got {self.quantiles!r}.")
        if self.scheduler is not None and not isinstance(self.scheduler, str):
            raise InvalidParameterError(f"scheduler must be an address such as "
                                        f"'tcp://127.0.0.1:8786' or 'serial'. Got {self.scheduler!r}.")


def draw_models(model: Any, baseline: Any, draw: Draw, n: int, seed: int, first: int = 0
                ) -> list[Any]:
    """``n`` drawn models; draw ``i`` uses ``numpy.random.default_rng([seed, i])``."""
    import inspect

    import numpy as np

    try:  # draw(model, rng) is accepted too (models whose draws do not need the baseline)
        two = len(inspect.signature(draw).parameters) == 2
    except (TypeError, ValueError):
        two = False
    if two:
        return [draw(model, np.random.default_rng([seed, first + i])) for i in range(n)]
    return [draw(model, baseline, np.random.default_rng([seed, first + i])) for i in range(n)]


def solve_batch(models: Sequence[Any], baseline: Any, scenario: Any, first: int
                ) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """Solve each model; the numeric tables stacked with a ``draw`` column, and failures.

    Runs on the workers: returns plain DataFrames (a Result holds read-only mappings that
    do not pickle). A model may solve a whole batch itself: if it has
    ``solve_many(models, baseline, scenario, first)``, that is called instead and must return
    what this loop would, up to solver round-off (the network model solves its draws' LPs
    back to back and builds only the band tables, as arrays, once per batch).
    """
    import pandas as pd

    from critmin.models.base import measure_columns

    many = getattr(models[0], "solve_many", None) if len(models) else None
    if many is not None:
        return many(models, baseline, scenario, first)
    parts: dict[str, list[pd.DataFrame]] = {}
    failed: list[tuple[int, str]] = []
    for k, model in enumerate(models):
        try:
            result = model.solve(baseline, scenario)
        except CritminError as exc:
            failed.append((first + k, f"{type(exc).__name__}: {exc}"))
            continue
        for name, frame in result.tables.items():
            if measure_columns(frame) and len(frame):
                parts.setdefault(name, []).append(frame.assign(draw=first + k))
    return {name: pd.concat(p, ignore_index=True) for name, p in parts.items()}, failed


def _batches(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(n, s + size)) for s in range(0, n, size)]


def _run_dask(client: Any, models: list[Any], baseline: Any, scenario: Any, size: int,
              progress: Progress | None) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    from distributed import as_completed

    base, scen = client.scatter([baseline, scenario], broadcast=True)
    futures = []
    sizes: dict[str, int] = {}
    for a, b in _batches(len(models), size):
        future = client.submit(solve_batch, models[a:b], base, scen, a, pure=False)
        futures.append(future)
        sizes[future.key] = b - a
    by_first: dict[int, dict[str, Any]] = {}
    first = {future.key: a for future, (a, _) in zip(futures, _batches(len(models), size))}
    failed, done = [], 0
    for future in as_completed(futures):
        tables, bad = future.result()
        by_first[first[future.key]] = tables
        failed.extend(bad)
        done += sizes[future.key]
        if progress is not None:
            progress("draws", done, len(models))
    # in draw order, as the serial loop stacks them: the bands' row order is the same
    return [by_first[a] for a in sorted(by_first)], failed


def run_sweep(model: Any, baseline: Any, scenario: Any, draw: Draw, settings: SweepSettings, *,
              progress: Progress | None = None, central: Any = None) -> Any:
    """Solve ``settings.draws`` drawn models and return their percentile bands.

    Parameters
    ----------
    model : frozen model
        The central model; ``draw(model, baseline, rng)`` returns a drawn copy.
    baseline, scenario
        What ``model.solve`` takes (sent to each worker once).
    draw : callable
        ``draw(model, baseline, rng) -> model``; runs in this process.
    settings : SweepSettings
    progress : callable, optional
        ``progress(label, done, total)`` as draws complete.
    central : Result, optional
        The undrawn result; its model name, scenario name and provenance head the sweep's.

    Returns
    -------
    Result
        One table per numeric table of the model's result: its key columns and
        ``<column>_p05``, ``_p50``, ``_p95`` (per ``settings.quantiles``) for every float
        column; ``diagnostics.parts["sweep"]`` holds draws, failures, workers and seconds.

    Raises
    ------
    SolveError
        More than :data:`MAX_FAILED_SHARE` of the draws failed; the message quotes the first.
    """
    import pandas as pd

    from critmin.models.base import Diagnostics, Result, Status, bands, measure_columns

    started = time.perf_counter()
    models = draw_models(model, baseline, draw, settings.draws, settings.seed)
    where = settings.scheduler
    workers = 1
    if where == SERIAL:
        parts, failed = [], []
        size = settings.batch or max(1, math.ceil(settings.draws / 20))  # about 20 progress steps
        for a, b in _batches(len(models), size):
            tables, bad = solve_batch(models[a:b], baseline, scenario, a)
            parts.append(tables)
            failed.extend(bad)
            if progress is not None:
                progress("draws", b, settings.draws)
    else:
        from distributed import Client, LocalCluster

        if where is None:
            import logging

            cluster = LocalCluster(n_workers=settings.n_workers, threads_per_worker=1,
                                   processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            cluster = None
            try:
                client = Client(where, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise InvalidParameterError(
                    f"cannot reach a Dask scheduler at {where!r} ({exc}). Start one with "
                    "`dask scheduler` and workers with `dask worker ADDRESS`, or leave "
                    "--scheduler out to run on a local cluster.") from exc
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            size = settings.batch or max(1, math.ceil(settings.draws / (4 * workers)))
            parts, failed = _run_dask(client, models, baseline, scenario, size, progress)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    n_failed = len(failed)
    if n_failed > MAX_FAILED_SHARE * settings.draws:
        first = sorted(failed)[0]
        raise SolveError(f"{n_failed} of {settings.draws} draws failed (more than "
                         f"{MAX_FAILED_SHARE:.0%}); draw {first[0]}: {first[1]}",
                         {"draws": settings.draws, "failed": n_failed})
    names = list(dict.fromkeys(n for p in parts for n in p))
    tables = {}
    for name in names:
        stacked = pd.concat([p[name] for p in parts if name in p], ignore_index=True)
        keys = [c for c in stacked.columns if c not in measure_columns(stacked) and c != "draw"]
        tables[name] = bands([stacked.drop(columns="draw")], keys, settings.quantiles)
    seconds = time.perf_counter() - started
    info = {"draws": settings.draws, "failed": n_failed, "seed": settings.seed,
            "workers": workers, "scheduler": where or "LocalCluster", "seconds": seconds}
    warnings = tuple(f"draw {d} failed: {msg}" for d, msg in sorted(failed)[:5])
    diag = Diagnostics(status=Status.CONVERGED, iterations=settings.draws - n_failed,
                       residual=math.nan, seconds=seconds, parts={"sweep": info},
                       warnings=warnings)
    provenance = tuple(getattr(central, "provenance", ())) + (
        {"source": "critmin sweep", "used_for": f"{settings.draws} draws of the uncertain "
         f"parameters, seed {settings.seed}; bands are percentiles over draws"},)
    quant = ", ".join(f"p{round(q * 100):02d}" for q in settings.quantiles)
    headline = (f"{settings.draws - n_failed} of {settings.draws} draws solved; bands {quant} "
                f"of every numeric column ({workers} worker(s), {seconds:.1f} s)",)
    return Result(model=getattr(central, "model", getattr(model, "name", type(model).__name__)),
                  scenario=getattr(central, "scenario", getattr(scenario, "name", "")),
                  tables=tables, diagnostics=diag, provenance=provenance,
                  headline=tuple(getattr(central, "headline", ())) + headline,
                  parameters=dict(getattr(central, "parameters", {})))


def sweep_scenario(scenario: Any, draws: int, store: Any = None, *, seed: int = 20260101,
                   scheduler: str | None = None, n_workers: int = 2,
                   progress: Progress | None = None) -> Any:
    """``critmin run FILE --draws N``: the scenario's model with its uncertain parameters
    drawn (the model plugin's ``draw``), solved on Dask, as percentile bands.

    Parameters
    ----------
    scenario : Scenario, path, YAML text or mapping
    draws : int
    store : Store, path or None
        As :func:`critmin.run`.
    seed, scheduler, n_workers
        See :class:`SweepSettings`.

    Raises
    ------
    ScenarioError
        The scenario does not load, or its model has no uncertain parameters to draw.
    """
    from pathlib import Path

    from critmin.errors import ScenarioError
    from critmin.runner import run
    from critmin.scenario.load import load_scenario
    from critmin.scenario.registry import plugin

    settings = SweepSettings(draws, seed=seed, scheduler=scheduler, n_workers=n_workers)
    sc = load_scenario(scenario)
    plug = plugin(sc.model)
    if plug.draw is None:
        raise ScenarioError(f"model {plug.name!r} has no uncertain parameters to draw; run "
                            "the scenario without --draws.")
    if isinstance(store, str | Path):
        from critmin.store import Store

        store = Store.open(store)
    elif store is None and plug.needs_store(sc):
        from critmin.config import settings as config
        from critmin.store import Store

        store = Store.open(config().store)
    central = run(sc, store)
    baseline = plug.load_baseline(sc, store)
    model = plug.make_model(sc)
    return run_sweep(model, baseline, sc, plug.draw, settings, progress=progress, central=central)
