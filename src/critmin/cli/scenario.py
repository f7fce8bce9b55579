"""``critmin scenario list|validate|run``: the scenario library and its files, any model.

``critmin scenario run`` is an alias of ``critmin run``. No arithmetic here: the library
computes, this module prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from critmin.cli.app import scenario_app
from critmin.cli.run import FileArg, FormatOpt, OutOpt, RunFormat, StoreOpt, run_file
from critmin.vocab import SolveMode


@scenario_app.command("list")
def list_(directory: Annotated[Path | None, typer.Option("--dir", help="Folder of scenario files "
                                                         "(default: the scenarios/ library)")] = None,
          fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv")] = "table") -> None:
    """List the scenario library: name, model, baseline and shocks of each file."""
    import pandas as pd

    from critmin.cli._common import Format, emit
    from critmin.errors import CritminError
    from critmin.scenario import load_scenario, scenario_files
    from critmin.scenario.load import SourceDataMissingError

    rows = []
    for path in scenario_files(directory):
        row: dict[str, Any] = {"file": path.name}
        try:
            sc = load_scenario(path)
            row.update(name=sc.name, model=sc.model, baseline=_baseline_text(sc.baseline),
                       shocks=", ".join(dict.fromkeys(s.kind for s in sc.shocks)) or "(none)",
                       status="ok" if not sc.warnings else "ok (older layout)")
        except SourceDataMissingError:
            row.update(status="needs source data: set CRITMIN_SOURCE_DIR (its files are read from there)")
        except CritminError:
            row.update(status="invalid: run `critmin scenario validate` on it")
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["file", "name", "model", "baseline", "shocks", "status"])
    emit(frame, Format(fmt), title="Scenario library")


def _baseline_text(b: Any) -> str:
    from critmin.scenario.ge import GEBaselineSpec
    from critmin.scenario.pe import BaselineSpec

    if isinstance(b, BaselineSpec):
        return (f"file {Path(b.flows_csv).name}" if b.flows_csv
                else f"store {b.year}, {len(b.markets)} market(s)")
    if isinstance(b, GEBaselineSpec) and b.data is not None:
        return f"file {b.data.file.name}, GE year {b.year}"
    if hasattr(b, "describe"):  # a model's baseline spec that says what it is
        return str(b.describe())
    return "" if b is None else type(b).__name__


@scenario_app.command("validate")
def validate_cmd(file: FileArg) -> None:
    """Check a scenario file without running it; errors name the line and field (exit 2)."""
    from critmin.cli._common import console
    from critmin.scenario import load_scenario

    sc = load_scenario(file)
    console.print(f"[green]OK[/green] {file}: model {sc.model}, scenario {sc.name!r}, "
                  f"{len(sc.shocks)} shock(s), baseline {_baseline_text(sc.baseline)}")
    for w in sc.warnings:
        console.print(f"[yellow]note[/yellow]: {w}")


Mode = SolveMode


@scenario_app.command("run")
def run_cmd(file: FileArg, fmt: FormatOpt = RunFormat.table, out: OutOpt = None,
            store: StoreOpt = None,
            mode: Annotated[Mode | None, typer.Option(
                "--mode", help="model: pe only; gsim: the linear GSIM system, exact: levels "
                "(bans, large shocks) (default: the file's pe.mode)", show_default=False)] = None,
            bloc: Annotated[list[str] | None, typer.Option(
                "--bloc", help="model: pe only; also total welfare over this bloc (name from "
                "`critmin blocs`); repeatable.")] = None) -> None:
    """Run a scenario file (alias of `critmin run`)."""
    parameters: dict[str, Any] = {}
    if mode is not None:
        parameters["mode"] = mode.value
    if bloc:
        from critmin.blocs import bloc as find_bloc

        parameters["blocs"] = tuple((b.name, b.members) for b in map(find_bloc, bloc))
    run_file(file, fmt, out, store, parameters=parameters or None)
