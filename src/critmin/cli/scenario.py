"""``critmin scenario list|validate|run``: policy scenarios from YAML files.

Files with ``model: pe`` (the default) run the partial-equilibrium model; files with
``model: ge`` are handed to :mod:`critmin.models.gravity_scenario` (the structural-gravity
model's scenario language). No arithmetic here: the library computes, this module prints.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from critmin.cli._common import Format, StoreOpt, console, dump_json, emit, progress, rich_table
from critmin.cli.app import scenario_app
from critmin.errors import ScenarioError


class Mode(StrEnum):
    gsim = "gsim"
    exact = "exact"


class RunFormat(StrEnum):
    table = "table"
    json = "json"


FileArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]


def _ge_module() -> Any:
    try:
        return importlib.import_module("critmin.models.gravity_scenario")
    except ImportError as exc:
        raise ScenarioError("this file says model: ge, but the gravity scenario module "
                            "(critmin.models.gravity_scenario) is not available.") from exc


def _model_of(file: Path) -> str:
    from critmin.models.scenario import scenario_model

    model = scenario_model(file)
    if model not in ("pe", "ge"):
        raise ScenarioError(f"{file}: model {model!r} is not known. Accepted: pe, ge.")
    return model


def _store_if_needed(scenario: Any, store: Path | None) -> Any:
    if scenario.baseline.flows_csv is not None:
        return None
    from critmin.cli._common import open_store

    return open_store(store)


@scenario_app.command("list")
def list_(directory: Annotated[Path | None, typer.Option("--dir", help="Folder of scenario files "
                                                         "[default: the scenarios/ library]")] = None,
          fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table) -> None:
    """List the scenario library: name, model, baseline and shocks of each file."""
    import pandas as pd

    from critmin.models.scenario import load_scenario, scenario_files

    rows = []
    for path in scenario_files(directory):
        row: dict[str, Any] = {"file": path.name}
        try:
            model = _model_of(path)
            row["model"] = model
            if model == "pe":
                sc = load_scenario(path)
                b = sc.baseline
                row.update(name=sc.name, baseline=(f"file {Path(b.flows_csv).name}" if b.flows_csv
                                                   else f"store {b.year}, {len(b.markets)} market(s)"),
                           shocks=", ".join(dict.fromkeys(s.kind for s in sc.shocks)) or "(none)",
                           status="ok")
            else:
                row.update(name=path.stem, baseline="gravity data", shocks="", status="model: ge")
        except ScenarioError:
            row.update(status="invalid: run `critmin scenario validate` on it")
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["file", "name", "model", "baseline", "shocks", "status"])
    emit(frame, fmt, title="Scenario library")


@scenario_app.command("validate")
def validate_cmd(file: FileArg) -> None:
    """Check a scenario file; errors name the line and field (exit 2)."""
    if _model_of(file) == "ge":
        ge = _ge_module()
        ge.load_scenario(file)
        console.print(f"[green]OK[/green] {file} (model: ge)")
        return
    from critmin.models.scenario import load_scenario

    sc = load_scenario(file)
    b = sc.baseline
    where = (f"file {b.flows_csv}" if b.flows_csv
             else "store: " + ", ".join(f"{m} {st}" for m, st in b.markets) + f" {b.year}")
    console.print(f"[green]OK[/green] {file}: scenario {sc.name!r}, {len(sc.shocks)} shock(s), "
                  f"baseline {where}")


@scenario_app.command("run")
def run_cmd(file: FileArg,
            mode: Annotated[Mode, typer.Option("--mode", help="gsim: the linear GSIM system; "
                                               "exact: levels (bans, large shocks).")] = Mode.exact,
            fmt: Annotated[RunFormat, typer.Option("--format", "-f")] = RunFormat.table,
            out: Annotated[Path | None, typer.Option("--out", help="Write tidy CSVs and result.json here.")] = None,
            bloc: Annotated[list[str] | None, typer.Option(
                "--bloc", help="Also total welfare over this bloc (name from `critmin blocs`); repeatable.")] = None,
            store: StoreOpt = None) -> None:
    """Run a scenario: flows, prices, shortfalls and welfare after the shocks."""
    if _model_of(file) == "ge":
        _run_ge(file, fmt, out, store)
        return
    from critmin.models.pe import run_scenario
    from critmin.models.scenario import load_scenario
    from critmin.reports.scenario import headline_table, welfare_table

    sc = load_scenario(file)
    st = _store_if_needed(sc, store)
    with progress(f"scenario {sc.name}", total=max(2 * len(sc.baseline.markets), 1)) as advance:
        result = run_scenario(sc, st, mode=mode.value, on_market=advance)
    blocs = {name: name for name in bloc or ()}
    doc = result.to_json_doc(blocs)
    if out is not None:
        _write_out(out, result, doc)
    if fmt is RunFormat.json:
        typer.echo(dump_json(doc))
        return
    unit = result.welfare_unit
    console.print(rich_table(headline_table(result), title=f"{sc.name} ({mode.value}) — money in {unit}"))
    console.print(rich_table(welfare_table(result), title=f"Welfare change by country ({unit})"))
    if blocs or result.members:
        console.print(rich_table(result.welfare_by_bloc(blocs), title=f"Welfare change by bloc ({unit})"))
    console.print(result.summary())
    if out is not None:
        console.print(f"[dim]Wrote CSVs and result.json to {out}[/dim]")
    # Every number traces to a source *and* its vintage; model-side entries have no vintage.
    srcs = sorted({f"{p.get('source')} ({p['vintage']})" if p.get("vintage") else str(p.get("source"))
                   for p in result.provenance})
    console.print(f"[dim]Sources: {'; '.join(srcs)}[/dim]")


def _write_out(out: Path, result: Any, doc: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result.tidy().to_csv(out / "flows.csv", index=False)
    result.countries.to_csv(out / "countries.csv", index=False)
    result.welfare.to_csv(out / "welfare.csv", index=False)
    result.prices().to_csv(out / "prices.csv", index=False)
    result.concentration().to_csv(out / "concentration.csv", index=False)
    (out / "result.json").write_text(dump_json(doc) + "\n", encoding="utf-8")


def _run_ge(file: Path, fmt: RunFormat, out: Path | None, store: Path | None) -> None:
    """Hand a ``model: ge`` file to the gravity scenario module (same as `critmin gravity run`)."""
    from critmin.cli.gravity import store_baseline

    ge = _ge_module()
    scenario = ge.load_scenario(file)
    base = store_baseline(scenario, store)
    with progress(f"gravity scenario {file.name}"):
        run = ge.run_scenario(scenario, baseline=base)
    frame = run.countries()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out / "countries.csv", index=False)
    if fmt is RunFormat.json:
        doc = {"scenario": scenario.name if hasattr(scenario, "name") else file.stem, "model": "ge",
               "countries": frame, "diagnostics": run.diagnostics,
               "provenance": list(run.provenance)}
        text = dump_json(doc)
        if out is not None:
            (out / "result.json").write_text(text + "\n", encoding="utf-8")
        typer.echo(text)
        return
    emit(frame, Format.table, title=f"{file.name} (model: ge)", provenance=list(run.provenance))
