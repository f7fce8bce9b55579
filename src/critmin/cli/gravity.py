"""``critmin gravity estimate|run``: the structural-gravity GE model on ``model: ge`` files.

``critmin gravity run`` is an alias of ``critmin run``. The library computes; this module
prints.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


from critmin.cli.app import gravity_app
from critmin.cli.run import FileArg, FormatOpt, OutOpt, RunFormat, StoreOpt, run_file


@gravity_app.command("estimate")
def estimate_cmd(file: FileArg, fmt: FormatOpt = RunFormat.table, store: StoreOpt = None) -> None:
    """Estimate the scenario's PPML gravity equation: coefficients and robust standard errors.

    A scenario on a store baseline shows the panel PPML stored with it."""
    from critmin.cli._common import Format, emit, open_store, progress
    from critmin.errors import ScenarioError
    from critmin.models.ge.costs import estimate, store_design
    from critmin.scenario import load_scenario
    from critmin.scenario.registry import plugin

    scenario = load_scenario(file)
    if scenario.model != "ge":
        raise ScenarioError(f"{file} is a model: {scenario.model} scenario; `critmin gravity "
                            "estimate` takes model: ge files. Run it with `critmin run`.")
    plug = plugin("ge")
    model = plug.make_model(scenario)
    with progress(f"PPML {file.name}") as advance:
        advance("reading data", 0, 2)
        baseline = plug.load_baseline(scenario, open_store(store) if plug.needs_store(scenario) else None)
        advance("estimating", 1, 2)
        if hasattr(baseline, "coefficients"):  # estimated when the store was built
            _, fit = store_design(model, baseline, scenario)
        else:
            fit = estimate(model, baseline)
        advance("done", 2, 2)
    table = fit.tidy()
    prov = [{**p, "scenario": str(file), "method": f"PPML {fit.formula}"} for p in baseline.provenance]
    extra = {"scenario": scenario.name, "formula": fit.formula, "nobs": fit.nobs,
             "vcov": fit.vcov_type, "fixed_effects_dropped": list(fit.dropped)}
    footer = (f"{fit.nobs} observations; {fit.vcov_type} standard errors (no small-sample "
              "factor, as Stata's ppml)")
    if fit.dropped:
        footer += f"; {len(fit.dropped)} all-zero pair group(s) dropped"
    emit(table, Format(fmt.value), title=f"{scenario.name}: {fit.formula}", provenance=prov,
         extra=extra, footer=footer)


class Method(StrEnum):
    exact = "exact"
    geppml_book = "geppml-book"


@gravity_app.command("run")
def run_cmd(file: FileArg, fmt: FormatOpt = RunFormat.table, out: OutOpt = None,
            store: StoreOpt = None,
            draws: Annotated[int | None, typer.Option(
                "--draws", min=0, help="Monte Carlo draws of the PPML coefficients (1000 for "
                "5-95 % bands).", show_default=False)] = None,
            seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draws.",
                                                     show_default=False)] = None,
            method: Annotated[Method | None, typer.Option(
                "--method", help="Override ge.method: exact or the book's geppml-book iteration.",
                show_default=False)] = None) -> None:
    """Run a model: ge scenario file (alias of `critmin run`, with the GE's own options)."""
    given = {"draws": draws, "seed": seed, "method": None if method is None else method.value}
    run_file(file, fmt, out, store, parameters={k: v for k, v in given.items() if v is not None})


