"""``critmin run FILE``: run any scenario file, whatever its model.

``critmin scenario run`` and ``critmin gravity run`` are aliases. The library computes
(:func:`critmin.run`), :mod:`critmin.reports.result` formats; this module prints.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.app import app


class RunFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FileArg = Annotated[Path, typer.Argument(help="Scenario file (YAML) with a model: field.",
                                         show_default=False)]
FormatOpt = Annotated[RunFormat, typer.Option("--format", "-f", help="table, json (one document) "
                                              "or csv (the tidy long table).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Also write one CSV per table, tidy.csv "
                                             "and result.json in this folder.")]
StoreOpt = Annotated[Path | None, typer.Option(
    "--store", help="DuckDB store file for baselines read from the store "
    "(env: CRITMIN_STORE; default: user data dir)", show_default=False)]


DrawsOpt = Annotated[int, typer.Option(
    "--draws", min=0, help="Draw the model's uncertain parameters N times (PE elasticities "
    "from their stated ranges, GE cost coefficients from their covariance) and report "
    "5th-50th-95th percentile bands of every numeric column.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the draws (same seed, same bands).")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786); default: a "
    "local cluster of --workers processes.", show_default=False)]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="Worker processes of the "
                                         "local cluster.")]


def run_file(file: Path, fmt: RunFormat = RunFormat.table, out: Path | None = None,
             store: Path | None = None, parameters: dict | None = None, draws: int = 0,
             seed: int = 20260101, scheduler: str | None = None, workers: int = 2) -> None:
    """Run ``file`` and print its result (the body of ``critmin run`` and its aliases)."""
    import sys

    from critmin.cli._common import console, progress, rich_table
    from critmin.reports.result import dumps, result_document, sources_line, views, write_result
    from critmin.runner import run

    if draws:
        from critmin.sweep import sweep_scenario

        with progress(f"sweep {file.name}", total=draws) as advance:
            result = sweep_scenario(file, draws, store, seed=seed, scheduler=scheduler,
                                    n_workers=workers, progress=advance)
    else:
        with progress(f"run {file.name}") as advance:
            result = run(file, store, parameters=parameters, progress=advance)
    if out is not None:
        write_result(result, out)
    if fmt is RunFormat.json:
        sys.stdout.write(dumps(result_document(result)) + "\n")
        return
    if fmt is RunFormat.csv:
        result.tidy().to_csv(sys.stdout, index=False)
        return
    for title, frame in views(result):
        console.print(rich_table(frame, title=title, max_rows=40))
    console.print(result.summary())
    console.print(f"[dim]{sources_line(result)}[/dim]")
    if out is not None:
        console.print(f"[dim]Wrote one CSV per table, tidy.csv and result.json to {out}[/dim]")


@app.command("run")
def run_cmd(file: FileArg, fmt: FormatOpt = RunFormat.table, out: OutOpt = None,
            store: StoreOpt = None, draws: DrawsOpt = 0, seed: SeedOpt = 20260101,
            scheduler: SchedulerOpt = None, workers: WorkersOpt = 2) -> None:
    """Run a scenario file (any model): tables, summary, diagnostics and sources.

    With --draws N: percentile bands over N draws of the model's uncertain parameters, run
    on a Dask local cluster (or the cluster at --scheduler)."""
    run_file(file, fmt, out, store, draws=draws, seed=seed, scheduler=scheduler, workers=workers)
