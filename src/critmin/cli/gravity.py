"""``critmin gravity estimate|run``: the structural-gravity GE model on ``model: ge`` scenario
files. The library computes (critmin.models.gravity_scenario); this module prints."""

from __future__ import annotations

import dataclasses
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from critmin.cli._common import (
    Format,
    StoreOpt,
    console,
    dump_json,
    emit,
    open_store,
    progress,
    records,
    rich_table,
)
from critmin.cli.app import gravity_app

ScenarioArg = Annotated[Path, typer.Argument(help="A scenario file with model: ge.",
                                             show_default=False)]


class Method(StrEnum):
    exact = "exact"
    geppml_book = "geppml-book"


#: Columns shown in the table view, with short headers (json and csv carry every column
#: under its full name).
TABLE_COLUMNS = {"country": "country", "exports_change_pct": "exports %",
                 "exports_change_pct_conditional": "exports % (cond.)",
                 "factory_price_change_pct": "price %", "imr_change_pct": "IMR %",
                 "omr_change_pct": "OMR %", "real_gdp_change_pct": "real GDP %",
                 "real_gdp_change_pct_p05": "real GDP % p05",
                 "real_gdp_change_pct_p95": "real GDP % p95"}


def _load(file: Path, method: Method | None) -> Any:
    from critmin.models.gravity_scenario import load_scenario

    scenario = load_scenario(file)
    if method is not None:
        spec = scenario.spec
        spec = spec.model_copy(update={"ge": spec.ge.model_copy(update={"method": method.value})})
        scenario = dataclasses.replace(scenario, spec=spec)
    return scenario


def store_baseline(scenario: Any, store: Path | None) -> Any:
    """The store baseline a ``baseline:`` scenario names (None for a ``data:`` scenario)."""
    b = scenario.spec.baseline
    if b is None:
        return None
    from critmin.ge_baseline import load_ge_baseline

    return load_ge_baseline(open_store(store), b.source, b.year, b.sector)


@gravity_app.command("estimate")
def estimate_cmd(
    file: ScenarioArg,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    store: StoreOpt = None,
) -> None:
    """Estimate the scenario's PPML gravity equation: coefficients and robust standard errors.

    A scenario on a store baseline shows the panel PPML stored with it."""
    from critmin.models.gravity_scenario import baseline_design, estimate, load_data

    scenario = _load(file, None)
    base = store_baseline(scenario, store)
    if base is not None:
        _, fit = baseline_design(scenario, base)
        emit(fit.tidy(), fmt, title=f"{scenario.name}: {fit.formula}",
             provenance=list(base.provenance),
             extra={"scenario": scenario.name, "formula": fit.formula, "nobs": fit.nobs,
                    "vcov": fit.vcov_type, "baseline": {"source": base.source,
                                                        "sector": base.sector, "year": base.year}},
             footer=f"{fit.nobs} observations; {fit.vcov_type} standard errors (stored at build)")
        return
    with progress(f"PPML {file.name}") as advance:
        advance("reading data", 0, 2)
        data, origin = load_data(scenario)
        advance("estimating", 1, 2)
        fit = estimate(scenario, data)
        advance("done", 2, 2)
    table = fit.tidy()
    prov = [{**origin.to_dict(), "scenario": str(file), "estimated": True,
             "method": f"PPML {fit.formula}"}]
    extra = {"scenario": scenario.name, "formula": fit.formula, "nobs": fit.nobs,
             "vcov": fit.vcov_type, "fixed_effects_dropped": list(fit.dropped)}
    footer = (f"{fit.nobs} observations; {fit.vcov_type} standard errors (no small-sample "
              "factor, as Stata's ppml)")
    if fit.dropped:
        footer += f"; {len(fit.dropped)} all-zero pair group(s) dropped"
    emit(table, fmt, title=f"{scenario.name}: {fit.formula}", provenance=prov, extra=extra,
         footer=footer)


@gravity_app.command("run")
def run_cmd(
    file: ScenarioArg,
    draws: Annotated[int, typer.Option("--draws", min=0,
                                       help="Monte Carlo draws of the PPML coefficients "
                                            "(1000 for 5-95 % bands).")] = 0,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws.")] = 20160101,
    method: Annotated[Method | None, typer.Option(
        "--method", help="Override ge.method: exact (default) or the book's geppml-book "
                         "iteration.", show_default=False)] = None,
    store: StoreOpt = None,
) -> None:
    """Solve the scenario's counterfactual in conditional and full-endowment GE.

    Percent changes per country (exports, factory-gate price, inward and outward
    multilateral resistance, real GDP, welfare); with --draws, 5th and 95th percentiles.
    """
    from critmin.models.gravity_scenario import run_scenario

    scenario = _load(file, method)
    base = store_baseline(scenario, store)
    with progress(f"gravity {file.name}", total=draws or None) as advance:
        run = run_scenario(scenario, draws=draws, seed=seed, progress=advance, baseline=base)
    frame = run.countries()
    if fmt is Format.json:
        doc: dict[str, Any] = {
            "scenario": scenario.name,
            "model": "ge",
            "countries": records(frame),
            "blocs": records(run.blocs) if run.blocs is not None else [],
            "coefficients": records(run.fit.tidy()),
            "diagnostics": run.diagnostics,
            "provenance": list(run.provenance),
        }
        sys.stdout.write(dump_json(doc) + "\n")
        return
    if fmt is Format.csv:
        emit(frame, fmt)
        return
    shown = frame[[c for c in TABLE_COLUMNS if c in frame.columns]].rename(columns=TABLE_COLUMNS)
    d = run.diagnostics
    footer = (f"{d.get('method')} GE, sigma={d.get('sigma')}, reference importer "
              f"{d.get('reference_importer')}, {d.get('iterations')} iterations, residual "
              f"{d.get('residual')}; percent changes from the baseline")
    emit(shown, Format.table, title=f"{scenario.name} ({d.get('ge_year')})",
         provenance=list(run.provenance), footer=footer)
    if run.blocs is not None:
        console.print(rich_table(run.blocs, title="Blocs"))
