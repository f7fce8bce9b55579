"""``critmin demo``: the main job that ``make demo`` runs.

It prints, from the store: the production and concentration summary of the demo minerals;
the ranking of the most concentrated mineral-stages; the exposure of the USA, India and the
ministerial bloc for the minerals China restricts; and the headline table of the
ministerial price-floor scenario. Each table is also written to ``--out`` as CSV, with a
Markdown report that lists the sources behind every table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from critmin.cli._common import StoreOpt, console, open_store, progress, rich_table
from critmin.cli.app import app

if TYPE_CHECKING:
    import pandas as pd

SCENARIO = Path("scenarios") / "ministerial-2026-price-floor.yaml"


def _scenario_path(path: Path | None) -> Path:
    if path is not None:
        return path
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        if (base / SCENARIO).is_file():
            return base / SCENARIO
    return SCENARIO


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option(help="Directory for the tables and the report.")] = Path("out"),
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario to run (default: scenarios/ministerial-2026-price-floor.yaml).")] = None,
    store: StoreOpt = None,
) -> None:
    """Production, concentration, exposure and the ministerial price-floor scenario."""
    from critmin.reports.metrics import concentration_ranking, exposure_table, exposure_view
    from critmin.reports.production import production_summary
    from critmin.reports.result import dumps, result_document
    from critmin.reports.scenario import headline_table, welfare_table
    from critmin.runner import run

    s = open_store(store)
    out.mkdir(parents=True, exist_ok=True)
    sections: list[tuple[str, str, pd.DataFrame, list[dict]]] = []
    with progress("Demo", total=4) as advance:
        advance("production summary", 0, 4)
        prod = production_summary(s)
        sections.append(("production_summary", "Production and concentration of the demo minerals",
                         prod, s.provenance_records(["production"], _sources(prod))))
        advance("concentration ranking", 1, 4)
        ranking = concentration_ranking(s)
        sections.append(("concentration_ranking", ranking.extra.get(
            "title", "Most concentrated mineral-stages"), ranking.frame, ranking.provenance))
        advance("exposure", 2, 4)
        exposure = exposure_table(s)
        sections.append(("exposure", exposure.extra.get(
            "title", "Exposure to the minerals China restricts"), exposure.frame,
            exposure.provenance))
        advance("ministerial scenario", 3, 4)
        result = run(_scenario_path(scenario), s)
        sections.append(("scenario_headline", f"Scenario {result.scenario}: headline (money in USD)",
                         headline_table(result), [dict(p) for p in result.provenance]))
        sections.append(("scenario_welfare", f"Scenario {result.scenario}: welfare by country (USD)",
                         welfare_table(result), []))
        (out / "scenario_result.json").write_text(dumps(result_document(result)) + "\n")
        advance("done", 4, 4)

    report = ["# critmin demo", "", f"Store: `{s.path}`", ""]
    for name, title, frame, prov in sections:
        console.print()
        # the exposure table prints short codes; its CSV keeps the full notes
        shown, legend = (exposure_view(frame, exposure.extra.get("against", "CHN"))
                         if name == "exposure" else (frame, ""))
        console.print(rich_table(shown, title=title))
        if legend:
            console.print(f"[dim]{legend}[/dim]")
        # Every table on screen names its sources and their vintages, as `emit` does.
        srcs = sorted({f"{p.get('source')} ({p['vintage']})" if p.get("vintage")
                       else str(p.get("source")) for p in prov})
        if srcs:
            console.print(f"[dim]Sources: {'; '.join(srcs)}[/dim]")
        frame.to_csv(out / f"{name}.csv", index=False)
        report += [f"## {title}", "", f"Table: `{name}.csv`", "", "Sources:"]
        report += [f"- {p.get('source')} ({p.get('vintage')}; {p.get('licence')})"
                   for p in _unique(prov)] or ["- see scenario_result.json"]
        report.append("")
    (out / "report.md").write_text("\n".join(report))
    html_path = _html_report(s, out, ranking, result,
                             [(n, t, f) for n, t, f, _ in sections
                              if n in ("production_summary", "scenario_headline")])
    console.print(f"\nOutput: tables and report.md in [bold]{out.resolve()}[/bold]; "
                  f"scenario result in {out.resolve() / 'scenario_result.json'}.")
    console.print(f"Charts: open [bold]{html_path.resolve()}[/bold] in a browser "
                  "(one file, works offline).")


def _html_report(s, out: Path, ranking, result, tables) -> Path:  # type: ignore[no-untyped-def]
    """out/report.html: the demo's figures in one self-contained file."""
    from critmin.demo import report_views
    from critmin.reports.html import demo_panels, write_report

    def warn(msg: str) -> None:
        console.print(f"[yellow]{msg}[/yellow]")

    with progress("Report charts", total=2) as advance:
        advance("de-risking frontier and chain losses", 0, 2)
        views = report_views(s, warn=warn)
        advance("figures", 1, 2)
        panels = demo_panels(s, ranking, result, warn=warn, views=views)
        advance("done", 2, 2)
    return write_report(out / "report.html", panels, title="critmin demo report",
                        subtitle=f"Store: {s.path}.", tables=tables)


def _sources(frame: pd.DataFrame) -> list[str]:
    if "source" not in frame.columns:
        return []
    return sorted({s.strip() for cell in frame["source"].dropna() for s in str(cell).split(",")})


def _unique(prov: list[dict]) -> list[dict]:
    seen, out = set(), []
    for p in prov:
        key = (p.get("source"), p.get("vintage"))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
