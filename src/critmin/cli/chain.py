"""``critmin chain show|shock``: supply chains from mine to product (issue 12).

The library computes (critmin.chain_baseline, critmin.metrics.chains,
critmin.models.network); this module parses options and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from critmin.cli.app import chain_app

ChainArg = Annotated[str, typer.Argument(help="semiconductors, magnets or batteries.", show_default=False)]
YearOpt = Annotated[int | None, typer.Option("--year", help="Data year (default: the chain's base year, 2024).")]
SourceDirOpt = Annotated[Path | None, typer.Option(
    "--source-dir", help="Raw-data directory for run-time-only sources (CSET chip graph, CC BY-NC) "
    "(env: CRITMIN_SOURCE_DIR; default: ../shared/data beside the checkout, if present).",
    show_default=False)]
StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="DuckDB store file (env: CRITMIN_STORE; default: user data dir)", show_default=False)]


def _fmt(value: str) -> Any:
    """``--format`` as a :class:`Format`; a clear error for anything but table, json, csv."""
    from critmin.cli._common import Format
    from critmin.errors import InvalidParameterError

    if value not in ("table", "json", "csv"):
        raise InvalidParameterError(f"--format must be table, json or csv. Got {value!r}.")
    return Format(value)


def _machine_output(out: Any, doc: Any, frame: Any) -> bool:
    """Write ``doc`` as one JSON document (``--format json``) or ``frame`` as CSV (``csv``);
    True when written, False for ``table`` (the command prints its tables)."""
    from critmin.cli._common import Format, dump_json

    if out is Format.json:
        sys.stdout.write(dump_json(doc) + "\n")
        return True
    if out is Format.csv:
        frame.to_csv(sys.stdout, index=False)
        return True
    return False


FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output format: table, json or csv.")]


def _source_dir(value: Path | None) -> Path | None:
    from critmin.config import default_source_dir

    return value if value is not None else default_source_dir()


@chain_app.command("show")
def show_cmd(
    chain: ChainArg,
    year: YearOpt = None,
    unit: Annotated[str | None, typer.Option("--for", help="A country (USA) or bloc (ministerial-2026): "
                                             "where its dependence on one country is highest.")] = None,
    fmt: FormatOption = "table",
    store: StoreOption = None,
    source_dir: SourceDirOpt = None,
) -> None:
    """Each stage's top country, CR1, HHI, N-1 cover and single points of failure (> 0.65)."""
    from critmin.cli._common import console, open_store, rich_table
    from critmin.reports.chains import chain_show

    out = _fmt(fmt)
    doc = chain_show(open_store(store), chain, year=year, unit=unit, source_dir=_source_dir(source_dir))
    if _machine_output(out, {"rows": doc["stages"], **{k: v for k, v in doc.items() if k != "stages"}},
                       doc["stages"]):
        return
    stages = doc["stages"].drop(columns=["label", "source"])
    console.print(rich_table(stages, title=f"{doc['title']} ({doc['year']})"))
    spof = doc["single_points_of_failure"]
    if len(spof):
        console.print("Single points of failure (one country > 65 %): " + "; ".join(
            f"{r.node} {r.top_country} {r.cr1_share:.0%}" for r in spof.itertuples()))
    if unit:
        uv = doc["unit_view"]
        console.print(rich_table(uv.head(12), title=f"Dependence of {unit} on one foreign country"))
        if doc["highest"]:
            h = doc["highest"]
            via = f" via {h['via']}" if h["via"] else ""
            console.print(f"Highest: {h['node']} ({h['level']}: {h['input']}{via}) "
                          f"{h['dependence_share']:.0%} on {h['top_country']}")
    for note in doc["run_time_sources"]:
        console.print(f"[yellow]{note}[/yellow]")
    console.print("[dim]method 'assumption': shares stated in critmin/data/chains/*.yml with source and reason; "
                  "'run-time': CC BY-NC or proprietary-derived, read from the source directory, not bundled.[/dim]")


@chain_app.command("shock")
def shock_cmd(
    chain: ChainArg,
    restrict: Annotated[list[str], typer.Option(
        "--restrict", help="EXPORTER:MINERAL[:STAGE][=SHARE], e.g. CHN:gallium or CHN:graphite:refine=0.5; "
        "repeat for several.", show_default=False)],
    reroute: Annotated[bool, typer.Option("--reroute/--no-reroute", help="Reroute remaining supply over existing "
                                          "links with spare capacity; --no-reroute is the Leontief limit.")] = True,
    draws: Annotated[int, typer.Option("--draws", min=0, help="Coefficient draws for 5th-95th percentile "
                                       "bands (the shared Dask sweep path).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws.")] = 20260101,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Dask worker processes for the draws.")] = 2,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="'serial', or the address of a running "
                                                  "Dask scheduler (default: a local cluster).")] = None,
    priority: Annotated[list[str] | None, typer.Option("--priority", help="Countries or blocs served first "
                                                        "(default: proportional rationing).")] = None,
    year: YearOpt = None,
    fmt: FormatOption = "table",
    store: StoreOption = None,
    source_dir: SourceDirOpt = None,
) -> None:
    """Propagate export restrictions mine -> product: losses by stage, product and country."""
    from critmin import blocs
    from critmin.chain_baseline import chain_baseline
    from critmin.chain_graph import chain as get_chain
    from critmin.cli._common import console, open_store, progress, rich_table
    from critmin.models.network import ChainScenario, NetworkModel, restrictions_from
    from critmin.reports.chains import result_document

    out = _fmt(fmt)
    spec = get_chain(chain)
    base = chain_baseline(open_store(store), spec, year, source_dir=_source_dir(source_dir))
    prio = tuple(c for p in (priority or ()) for c in blocs.resolve(p))
    scenario = ChainScenario(name=" + ".join(restrict), restrictions=restrictions_from(restrict), priority=prio)
    model = NetworkModel(reroute=reroute, draws=draws, seed=seed, scheduler=scheduler, n_workers=workers)
    with progress(f"{spec.name}: {scenario.name}", total=draws or None) as advance:
        result = model.solve(base, scenario, progress=advance)
    if _machine_output(out, result_document(result), result.tidy()):
        return
    console.print(result.summary())
    for name, title in (("by_stage", "Lost output by stage (value)"), ("by_product", "Lost final output"),
                        ("by_country", "Lost final output by country"), ("bottlenecks", "Binding constraints"),
                        ("pass_through", "Cost pass-through to product prices")):
        if name in result.tables and len(result.tables[name]):
            frame = result.tables[name]
            if name == "by_country":
                frame = frame[frame["lost_usd"] > 0]
            console.print(rich_table(frame, title=title))
    for name, title in (("total_bands", "Final output lost over draws"), ("by_product_bands", "Products over draws")):
        if name in result.tables:
            frame = result.tables[name]
            keep = [c for c in frame.columns if c in ("chain", "product", "unit") or c.startswith(("lost_share_p",
                                                                                                 "lost_usd_p"))]
            console.print(rich_table(frame[keep], title=title))
    console.print("[dim]Every row marked assumed rests on at least one assumed coefficient, share, volume or price; "
                  "--format json lists them in tables.coefficients.[/dim]")


@chain_app.command("zone")
def zone_cmd(
    chain: ChainArg,
    bloc: Annotated[str, typer.Option("--bloc", help="The zone: a bloc (PaxSilica, ministerial-2026) or "
                                      "countries.", show_default=False)],
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Suppliers the plan does not buy "
                                                      "from (default CHN).")] = None,
    cap: Annotated[float, typer.Option("--cap", min=0.0, max=1.0, help="Largest share of the bloc's demand "
                                       "one supplier may provide in the plan.")] = 0.65,
    year: YearOpt = None,
    fmt: FormatOption = "table",
    store: StoreOption = None,
    source_dir: SourceDirOpt = None,
) -> None:
    """What share of each stage a bloc covers from members, and with the sourcing optimiser's plan."""
    from critmin.chain_plans import zone_cover
    from critmin.cli._common import console, open_store, progress, rich_table

    out = _fmt(fmt)
    with progress(f"{chain}: {bloc} zone") as advance:
        table, provenance = zone_cover(open_store(store), chain, bloc, exclude=tuple(exclude or ("CHN",)),
                                       cap_share=cap, year=year, source_dir=_source_dir(source_dir),
                                       progress=advance)
    if _machine_output(out, {"rows": table, "provenance": provenance}, table):
        return
    console.print(rich_table(table.drop(columns=["bloc", "plan_note"]),
                             title=f"{bloc}: share of each stage of {chain} covered"))
    console.print("cover_share: members' own output (10 % spare) over members' use, without a plan; "
                  f"plan_covered_share: the sourcing optimiser's plan without {', '.join(exclude or ('CHN',))}, "
                  f"any one supplier <= {cap:.0%}.")
    for r in table[table["plan_note"].str.len() > 0].itertuples():
        if r.plan_market:
            console.print(f"[dim]{r.node}: {r.plan_note}[/dim]")
