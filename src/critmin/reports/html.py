"""One self-contained HTML file of figures and tables that opens from disk with no network.

plotly.js is inlined from the pip package and the world map from
``critmin/data/maps/world_110m.json`` as ``window.PlotlyGeoAssets`` (plotly.js then draws
maps without fetching topojson; see ``critmin/data/maps/README.md``). Formats only: the
panels come from :mod:`critmin.reports.figures`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from critmin.config import DATA_DIR
from critmin.reports.figures import Panel

WORLD_TOPOJSON = DATA_DIR / "maps" / "world_110m.json"
PLOTLY_CONFIG = {"responsive": True, "displaylogo": False,
                 "modeBarButtonsToRemove": ["sendDataToCloud"]}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;
margin:0;color:#222;background:#fafafa}
header{background:#1d3557;color:#fff;padding:16px 24px}
header h1{margin:0;font-size:1.4rem}header p{margin:4px 0 0;opacity:.85;font-size:.9rem}
main{max-width:1100px;margin:0 auto;padding:8px 16px 40px}
nav.toc{margin:16px 0;font-size:.9rem}nav.toc a{margin-right:12px;color:#1d3557}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:18px 0;padding:12px 16px}
section h2{font-size:1.1rem;margin:4px 0 8px}
.fig{width:100%;min-height:200px}
.notes,.sources{font-size:.82rem;color:#555;margin:6px 0 0;padding-left:18px}
.sources li,.notes li{margin:2px 0}
table.data{border-collapse:collapse;font-size:.8rem;margin:8px 0;display:block;overflow-x:auto}
table.data th,table.data td{border-bottom:1px solid #eee;padding:3px 8px;text-align:right;
white-space:nowrap}table.data th{background:#f3f3f3}
table.data td:first-child,table.data th:first-child{text-align:left}
"""


def plotly_js() -> str:
    """The plotly.js bundle of the installed ``plotly`` package."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def geo_assets_script() -> str:
    """``window.PlotlyGeoAssets = {topojson: {world_110m: ...}}`` (before plotly.js)."""
    topo = WORLD_TOPOJSON.read_text(encoding="utf-8")
    return f"window.PlotlyGeoAssets={{topojson:{{world_110m:{topo}}}}};"


def _script_json(obj: object) -> str:
    """JSON safe inside a <script> element."""
    return (json.dumps(obj, separators=(",", ":"), allow_nan=False, default=str)
            .replace("</", "<\\/").replace("<!--", "<\\!--"))


def table_html(frame: pd.DataFrame, max_rows: int = 40) -> str:
    """A compact HTML table: shares as percent, tonnes and money with separators."""
    def cell(col: str, v: object) -> str:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            return "-"
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, float):
            if col.endswith("_share") or "share" in col:
                return f"{v:.1%}"
            return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(str(c), v)}</td>" for c, v in zip(frame.columns, row))
                   + "</tr>" for row in frame.head(max_rows).itertuples(index=False))
    more = (f"<p class='notes'>First {max_rows} of {len(frame)} rows; all rows in the CSV.</p>"
            if len(frame) > max_rows else "")
    return f"<table class='data'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _section(i: int, panel: Panel) -> str:
    fig = json.loads(panel.figure.to_json())   # plotly's encoder: numpy arrays as typed arrays
    layout = fig.get("layout", {})
    layout.pop("title", None)                   # the section's heading carries it
    layout.setdefault("margin", {})["t"] = max(30, layout.get("margin", {}).get("t", 60) - 40)
    spec = {"data": fig.get("data", []), "layout": layout,
            "frames": fig.get("frames", []), "config": PLOTLY_CONFIG}
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in panel.notes)
    sources = "".join(f"<li>{html.escape(s)}</li>" for s in panel.sources) or \
        "<li>see the scenario file and result document</li>"
    return (f"<section id='{html.escape(panel.name)}'><h2>{html.escape(panel.title)}</h2>"
            f"<div class='fig' id='fig{i}'></div>"
            f"<script type='application/json' id='spec{i}'>{_script_json(spec)}</script>"
            f"<ul class='notes'>{notes}</ul><p class='notes'><b>Sources</b></p>"
            f"<ul class='sources'>{sources}</ul></section>")


def write_report(path: Path, panels: Sequence[Panel], *, title: str = "critmin report",
                 subtitle: str = "",
                 tables: Sequence[tuple[str, str, pd.DataFrame]] = ()) -> Path:
    """Write ``panels`` (and ``tables``: ``(anchor, title, frame)``) to one HTML file.

    The file embeds plotly.js and the world map, so it opens from disk with no network
    (about 5 MB).
    """
    path = Path(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    toc = "".join(f"<a href='#{html.escape(p.name)}'>{html.escape(p.title)}</a>" for p in panels)
    toc += "".join(f"<a href='#{html.escape(a)}'>{html.escape(t)}</a>" for a, t, _ in tables)
    body = "".join(_section(i, p) for i, p in enumerate(panels))
    body += "".join(f"<section id='{html.escape(a)}'><h2>{html.escape(t)}</h2>{table_html(f)}"
                    "</section>" for a, t, f in tables)
    render = ("document.querySelectorAll('script[id^=spec]').forEach(function(s){"
              "var spec=JSON.parse(s.textContent);var div=document.getElementById("
              "'fig'+s.id.slice(4));Plotly.newPlot(div,{data:spec.data,layout:spec.layout,"
              "frames:spec.frames,config:spec.config});});")
    doc = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style>"
        f"<script>{geo_assets_script()}</script>"
        f"<script>{plotly_js()}</script></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)} "
        f"Generated {stamp}. Opens offline; hover a figure for values and sources.</p></header>"
        f"<main><nav class='toc'>{toc}</nav>{body}</main>"
        f"<script>{render}</script></body></html>")
    path.write_text(doc, encoding="utf-8")
    return path


# --- the demo's report ----------------------------------------------------------------------

#: The figures of ``make demo``: (kind, arguments).
DEMO_MAPS = (("production", "gallium", "refinery"), ("imports", "USA", "gallium"))
DEMO_SANKEY = "cobalt"
DEMO_SERIES = "graphite"


def demo_panels(store, ranking=None, scenario_doc=None,  # type: ignore[no-untyped-def]
                warn=None, views=None) -> list[Panel]:
    """The demo's figures: maps, a Sankey, concentration over time and the ranking, and
    the scenario's charts (``scenario_doc``: a PE ``Result`` or its JSON document), and
    the de-risking frontier and chain losses of ``views``
    (:func:`critmin.demo.report_views`: the model runs happen there; this only draws).
    A figure whose data the store lacks is left out, and ``warn`` (a callable) is told why."""
    from critmin.errors import CritminError
    from critmin.metrics import panels as data
    from critmin.reports import figures

    out: list[Panel] = []

    def attempt(what: str, make) -> None:  # type: ignore[no-untyped-def]
        try:
            out.extend(make())
        except CritminError as exc:
            if warn is not None:
                warn(f"{what} left out of the report: {exc}")

    for kind, a, b in DEMO_MAPS:
        if kind == "production":
            attempt(f"map of {a} {b} production",
                    lambda: [figures.production_map(data.production_shares(store, a, b))])
        else:
            attempt(f"map of {a}'s {b} suppliers",
                    lambda: [figures.import_sources_map(data.import_sources(store, a, b))])
    attempt(f"{DEMO_SANKEY} Sankey",
            lambda: [figures.flows_sankey(data.supply_chain_links(store, DEMO_SANKEY))])
    attempt(f"{DEMO_SERIES} concentration over time",
            lambda: [figures.concentration_chart(data.concentration_series(store, DEMO_SERIES))])
    if ranking is not None:
        out.append(figures.concentration_ranking_chart(ranking))
    if scenario_doc is not None:
        out.extend(figures.scenario_panels(data.scenario_view(scenario_doc)))
    views = views or {}
    if "routes" in views:      # critmin.demo.report_views: computed there, drawn here
        out.append(figures.routes_frontier(views["routes"]))
    if "chain" in views:
        out.append(figures.chain_losses(views["chain"]))
    return out
