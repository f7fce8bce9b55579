"""Plotly figures for the dashboard and the HTML report: they draw, never compute.

Every builder takes the rows of a library function (:mod:`critmin.metrics.panels`,
:mod:`critmin.reports.metrics`, a scenario result document) and returns a :class:`Panel`:
the figure, a title, the sources it drew on (source and vintage) and notes that flag
estimated values. The dashboard sends ``Panel.to_json()``; the report writes the same
panels into one HTML file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from critmin.metrics.queries import MetricResult

#: Observed flows (reported or mirror) and estimated ones, told apart in every figure.
OBSERVED_COLOUR = "rgba(31, 119, 180, 0.65)"
ESTIMATED_COLOUR = "rgba(150, 150, 150, 0.40)"
STAGE_COLOURS = {"mine": "#8c564b", "smelter": "#ff7f0e", "refinery": "#1f77b4",
                 "chemical": "#2ca02c", "metal": "#9467bd", "buyers": "#7f7f7f"}
SCALE = "YlOrRd"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


@dataclass
class Panel:
    """One figure with what it needs to be read: title, sources, notes on estimates."""

    name: str
    title: str
    figure: go.Figure
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``{"name", "title", "figure": {data, layout, frames}, "sources", "notes"}``."""
        import json

        return {"name": self.name, "title": self.title,
                "figure": json.loads(self.figure.to_json()),
                "sources": self.sources, "notes": self.notes}


def source_labels(provenance: Iterable[Mapping[str, Any]]) -> list[str]:
    """``"publisher title (vintage)"`` per distinct source, sorted."""
    out = set()
    for p in provenance:
        src = p.get("source")
        if not src or src == "none":
            continue
        label = str(p.get("title") or src)
        if p.get("publisher") and str(p["publisher"]) not in label:
            label = f"{p['publisher']}, {label}"
        if p.get("vintage"):
            label += f" ({p['vintage']})"
        elif p.get("title") and src not in label:
            label += f" [{src}]"
        out.add(label)
    return sorted(out)


def _layout(fig: go.Figure, title: str, height: int = 480) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
                      height=height, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      font={"family": FONT, "size": 12}, paper_bgcolor="white",
                      plot_bgcolor="white", autosize=True)
    return fig


def _pct(x: object) -> str:
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if math.isnan(f) else f"{f:.0%}" if abs(f) >= 0.1 else f"{f:.1%}"


# --- maps -----------------------------------------------------------------------------------

def _geo() -> dict[str, Any]:
    return {"projection": {"type": "natural earth", "rotation": {"lon": 0}},
            "showframe": False, "showcoastlines": True, "coastlinecolor": "#999",
            "showland": True, "landcolor": "#eeeeee", "showcountries": True,
            "countrycolor": "#ffffff", "lataxis": {"range": [-58, 85]}}


def _year_slider(fig: go.Figure, years: Sequence[int], active: int, prefix: str) -> None:
    steps = [{"label": str(y), "method": "animate",
              "args": [[str(y)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                  "transition": {"duration": 0}}]} for y in years]
    fig.update_layout(sliders=[{"active": active, "steps": steps, "x": 0.02, "len": 0.96,
                                "y": 0.02, "yanchor": "top", "pad": {"t": 10, "b": 0},
                                "currentvalue": {"prefix": prefix, "font": {"size": 13}}}])


def production_map(result: MetricResult, year: int | None = None) -> Panel:
    """World choropleth of each producer's share of world output, with a year slider.

    ``result`` is :func:`critmin.metrics.panels.production_shares`. Producers whose
    figure the publisher marks as estimated carry "(e)" in the hover and are counted in
    the notes.
    """
    frame = result.frame
    mineral, stage = result.extra.get("mineral", ""), result.extra.get("stage", "")
    years = [int(y) for y in result.extra.get("years") or sorted(frame["year"].unique())]
    shown = int(year) if year is not None and int(year) in years else years[-1]
    zmax = float(frame["share"].max()) if len(frame) else 1.0

    def trace(y: int) -> go.Choropleth:
        f = frame[frame["year"] == y]
        text = [f"{c}: {s:.1%} of world ({q:,.0f} t){' (e) estimated' if e else ''}<br>"
                f"world {w:,.0f} t; {src}"
                for c, s, q, w, e, src in zip(f["country"], f["share"], f["quantity_t"],
                                              f["world_t"], f["estimated"], f["source"])]
        return go.Choropleth(locations=f["country"], z=f["share"], text=text,
                             hovertemplate="%{text}<extra></extra>", zmin=0, zmax=zmax,
                             colorscale=SCALE, marker_line_color="#666", marker_line_width=0.4,
                             colorbar={"title": {"text": "share"}, "tickformat": ".0%",
                                       "len": 0.75, "thickness": 12})

    fig = go.Figure(data=[trace(shown)],
                    frames=[go.Frame(data=[trace(y)], name=str(y)) for y in years])
    fig.update_geos(**_geo())
    _year_slider(fig, years, years.index(shown), "Year: ")
    title = f"Share of world {mineral.replace('_', ' ')} production, {stage} stage"
    _layout(fig, title, 520)
    fig.update_layout(margin={"b": 70})
    est = frame[frame["estimated"]]
    notes = [f"Shares of the world total (published total or the sum of countries, whichever "
             f"is larger); grey countries report no output. {len(years)} years, "
             f"{years[0]}-{years[-1]}."]
    if len(est):
        notes.append(f"{len(est)} of {len(frame)} country-year figures are marked estimated "
                     f"by their publisher ((e) in the hover); latest year {shown}: "
                     f"{int(est['year'].eq(shown).sum())} estimated.")
    return Panel("production_map", title, fig, source_labels(result.provenance), notes)


def import_sources_map(result: MetricResult, year: int | None = None) -> Panel:
    """World choropleth of a country's or bloc's suppliers (share of its imports by value),
    with a year slider; the unit's own members are drawn in dark grey.

    ``result`` is :func:`critmin.metrics.panels.import_sources`.
    """
    frame, x = result.frame, result.extra
    unit, members = x.get("unit", ""), list(x.get("members") or [])
    years = [int(y) for y in x.get("years") or sorted(frame["year"].unique())]
    if not years:
        fig = go.Figure()
        _layout(fig, f"No observed imports of {x.get('mineral')} for {unit}")
        return Panel("import_map", f"No imports for {unit}", fig,
                     source_labels(result.provenance), [])
    shown = int(year) if year is not None and int(year) in years else years[-1]
    zmax = float(frame["share"].max()) if len(frame) else 1.0

    def traces(y: int) -> list[go.Choropleth]:
        f = frame[frame["year"] == y]
        text = [f"{c}: {s:.1%} of {unit}'s imports (USD {v:,.0f})"
                f"{' (estimated)' if e else ''}<br>{src}"
                for c, s, v, e, src in zip(f["exporter"], f["share"], f["value_usd"],
                                           f["estimated"], f["source"])]
        return [go.Choropleth(locations=f["exporter"], z=f["share"], text=text,
                              hovertemplate="%{text}<extra></extra>", zmin=0, zmax=zmax,
                              colorscale="Blues", marker_line_color="#666",
                              marker_line_width=0.4, name="suppliers",
                              colorbar={"title": {"text": "share"}, "tickformat": ".0%",
                                        "len": 0.75, "thickness": 12}),
                go.Choropleth(locations=members, z=[1] * len(members), showscale=False,
                              colorscale=[[0, "#444"], [1, "#444"]], name=unit,
                              hovertemplate=f"%{{location}}: {unit}<extra></extra>")]

    fig = go.Figure(data=traces(shown),
                    frames=[go.Frame(data=traces(y), name=str(y)) for y in years])
    fig.update_geos(**_geo())
    _year_slider(fig, years, years.index(shown), "Year: ")
    mineral = str(x.get("mineral", "")).replace("_", " ")
    title = f"Where {unit} buys {mineral} ({x.get('stage')}): suppliers' share of its imports"
    _layout(fig, title, 520)
    fig.update_layout(margin={"b": 70})
    notes = [f"{unit} is dark grey; supplier shares by value (USD) of observed imports, one "
             "release per year."]
    if x.get("year") is not None:
        ir = x.get("import_reliance_share")
        notes.append(f"Import reliance of {unit} in {x['year']}: "
                     f"{_pct(ir) if ir is not None else 'not computable from these data'} "
                     f"(basis: {x.get('flow_basis')}; estimated share of imports "
                     f"{_pct(x.get('estimated_share'))}).")
    if x.get("coverage_note"):
        notes.append(f"Coverage: {x['coverage_note']}.")
    if frame["estimated"].any():
        notes.append(f"{int(frame['estimated'].sum())} supplier-years rest on estimated flows.")
    return Panel("import_map", title, fig, source_labels(result.provenance), notes)


# --- flows ----------------------------------------------------------------------------------

def flows_sankey(result: MetricResult) -> Panel:
    """Mine -> refinery -> buyers for one mineral and year; observed links in blue,
    estimated links in grey.

    ``result`` is :func:`critmin.metrics.panels.supply_chain_links`.
    """
    links, x = result.frame, result.extra
    stages = [*x.get("stages", []), "buyers"]
    columns: dict[str, list[str]] = {s: [] for s in stages}
    totals: dict[str, float] = {}
    for col_src, col_dst in (("source_node", "target_node"), ("target_node", "source_node")):
        del col_dst
        for node, q in links.groupby(col_src)["quantity_t"].sum().items():
            totals[node] = max(totals.get(node, 0.0), float(q))
    for node in sorted(totals, key=lambda n: -totals[n]):
        st = node.split(": ", 1)[0]
        columns.setdefault(st, []).append(node)
    for st in columns:  # "Other" last in each column
        columns[st].sort(key=lambda n: (n.endswith(": Other"), -totals[n]))
    order = [n for st in stages for n in columns.get(st, [])]
    index = {n: i for i, n in enumerate(order)}
    ncol = max(len(stages) - 1, 1)
    # Place nodes where plotly's d3-sankey sizes them: heights are ky * value, with ky set
    # so that its fullest column fits; a node that is not in the last column but has no
    # outflow would count in d3's last column, so it gets an invisible link of ~0 t onward.
    tallest = max((len(v) for v in columns.values()), default=1)
    height = max(560, 100 + 34 * tallest)
    pad_px = 6
    gap = pad_px / (height - 60)
    has_out = set(links["source_node"])
    ballast = []
    for k, st in enumerate(stages[:-1]):
        nxt = columns.get(stages[k + 1], [])
        ballast += [(n, nxt[-1]) for n in columns.get(st, []) if n not in has_out and nxt]
    ky = min((1.0 - gap * (len(ns) - 1)) / (sum(totals[n] for n in ns) or 1.0)
             for ns in columns.values() if ns)
    xs, ys = [], []
    for k, st in enumerate(stages):
        top = 0.0
        for n in columns.get(st, []):
            h = ky * totals[n]
            xs.append(0.001 + 0.998 * k / ncol)
            ys.append(min(max(top + h / 2, 0.001), 0.999))
            top += h + gap
    est = links["method"] == "estimated"
    tiny = 1e-9 * float(links["quantity_t"].sum() or 1.0)
    fig = go.Figure(go.Sankey(
        arrangement="fixed",
        node={"label": [_node_label(n) for n in order], "x": xs, "y": ys, "pad": pad_px,
              "thickness": 14, "color": [STAGE_COLOURS.get(n.split(": ")[0], "#888") for n in order],
              "customdata": order, "hovertemplate": "%{customdata}: %{value:,.0f} t<extra></extra>"},
        link={"source": [index[n] for n in links["source_node"]] + [index[a] for a, _ in ballast],
              "target": [index[n] for n in links["target_node"]] + [index[b] for _, b in ballast],
              "value": links["quantity_t"].tolist() + [tiny] * len(ballast),
              "color": [ESTIMATED_COLOUR if e else OBSERVED_COLOUR for e in est]
                       + ["rgba(0,0,0,0)"] * len(ballast),
              "customdata": links["method"].tolist() + ["layout only"] * len(ballast),
              "hovertemplate": "%{source.customdata} -> %{target.customdata}: "
                               "%{value:,.0f} t (%{customdata})<extra></extra>"}))
    mineral = str(x.get("mineral", "")).replace("_", " ")
    title = f"{mineral.capitalize()} from {' to '.join(stages)}, {x.get('year')} (tonnes)"
    _layout(fig, title, height)
    for k, st in enumerate(stages):
        label = st
        fig.add_annotation(x=k / ncol, y=1.06, xref="paper", yref="paper", showarrow=False,
                           text=f"<b>{label}</b>", xanchor="center" if 0 < k < ncol else
                           ("left" if k == 0 else "right"), font={"size": 11})
    fig.update_layout(margin={"t": 90})
    obs = links.loc[~est, "quantity_t"].sum()
    notes = [f"Blue links: observed flows (reported or mirror); grey links: estimated by "
             f"critmin's baseline (gravity prior and RAS to production totals). Observed: "
             f"{obs:,.0f} t of {links['quantity_t'].sum():,.0f} t drawn."]
    for st, share in (x.get("estimated_share") or {}).items():
        notes.append(f"{st}: {_pct(share)} of tonnes estimated; in {x.get('basis', {}).get(st)}.")
    notes.append(f"Countries beyond the {x.get('top')} largest in each column are grouped as "
                 "Other. A country of the next stage receives ore or metal it may also use "
                 "directly.")
    return Panel("flows_sankey", title, fig, source_labels(result.provenance), notes)


def _node_label(node: str) -> str:
    code = node.split(": ", 1)[1]
    return "unattributed" if code == "OTH" else code


# --- concentration --------------------------------------------------------------------------

def concentration_chart(result: MetricResult, hhi_threshold: float = 1800.0,
                        cr1_threshold: float = 0.65) -> Panel:
    """HHI and the top country's share per stage over time, with the flag thresholds.

    ``result`` is :func:`critmin.metrics.panels.concentration_series`. Open markers:
    years in which part of world output is marked estimated by the publisher.
    """
    frame, x = result.frame, result.extra
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("HHI (0-10,000)", "Top country's share of world output"))
    for st, g in frame.groupby("stage", sort=False):
        colour = STAGE_COLOURS.get(str(st), "#333")
        est = g["estimated_share"].fillna(0) > 0
        symbols = ["circle-open" if e else "circle" for e in est]
        hover = [f"{st} {y}: HHI {h:,.0f}; top {c} {s:.0%}; {src}"
                 f"{'; estimated ' + _pct(es) if e else ''}"
                 for y, h, c, s, src, e, es in zip(g["year"], g["hhi"], g["top_country"],
                                                   g["cr1_share"], g["source"], est,
                                                   g["estimated_share"])]
        common = {"mode": "lines+markers", "line": {"color": colour, "width": 2},
                  "marker": {"symbol": symbols, "size": 6, "color": colour},
                  "text": hover, "hovertemplate": "%{text}<extra></extra>", "legendgroup": st}
        fig.add_trace(go.Scatter(x=g["year"], y=g["hhi"], name=str(st), **common), 1, 1)
        fig.add_trace(go.Scatter(x=g["year"], y=g["cr1_share"], name=str(st), showlegend=False,
                                 **common), 2, 1)
    fig.add_hline(y=hhi_threshold, line_dash="dot", line_color="#c00", row=1, col=1,
                  annotation_text="highly concentrated (1,800)", annotation_font_size=10)
    fig.add_hline(y=cr1_threshold, line_dash="dot", line_color="#c00", row=2, col=1,
                  annotation_text="EU CRMA 65 %", annotation_font_size=10)
    fig.update_yaxes(range=[0, 10_000], row=1, col=1, gridcolor="#eee")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=2, col=1, gridcolor="#eee")
    fig.update_xaxes(gridcolor="#eee")
    mineral = str(x.get("mineral", "")).replace("_", " ")
    years = frame["year"]
    title = (f"Concentration of {mineral} production by stage, "
             f"{int(years.min()) if len(years) else ''}-{int(years.max()) if len(years) else ''}")
    _layout(fig, title, 560)
    fig.update_layout(legend={"orientation": "h", "y": -0.08})
    notes = ["Open markers: part of that year's world output is an estimate by the publisher "
             "(hover for the share). HHI and shares are lower bounds where output is "
             "unattributed ('Other countries').",
             "The series switches release where a newer one covers the year (BGS World "
             "Mineral Statistics to 2023, USGS Mineral Commodity Summaries after); the hover "
             "names the release."]
    return Panel("concentration", title, fig, source_labels(result.provenance), notes)


def concentration_ranking_chart(result: MetricResult) -> Panel:
    """Horizontal bars of the most concentrated mineral-stages (HHI, latest year).

    ``result`` is :func:`critmin.reports.metrics.concentration_ranking`.
    """
    f = result.frame.iloc[::-1]
    labels = [f"{m.replace('_', ' ')} {s} ({y})" for m, s, y in zip(f["mineral"], f["stage"],
                                                                     f["year"])]
    text = [f"{c} {s:.0%}" for c, s in zip(f["top_country"], f["cr1_share"])]
    fig = go.Figure(go.Bar(x=f["hhi"], y=labels, orientation="h", text=text,
                           textposition="auto", marker_color=f["cr1_share"],
                           marker_colorscale=SCALE, marker_cmin=0, marker_cmax=1,
                           marker_colorbar={"title": {"text": "top share"},
                                            "tickformat": ".0%", "thickness": 12},
                           customdata=f["source"],
                           hovertemplate="%{y}: HHI %{x:,.0f}; top %{text}; %{customdata}"
                                         "<extra></extra>"))
    fig.add_vline(x=1800, line_dash="dot", line_color="#c00")
    fig.update_xaxes(range=[0, 10_000], title="HHI (0-10,000)", gridcolor="#eee")
    title = str(result.extra.get("title") or "Most concentrated mineral-stages")
    _layout(fig, title, 120 + 28 * len(f))
    notes = ["Bar labels: the largest producer and its share of world output. Only "
             "mineral-stages with data in recent years and a world total or two producers "
             "are ranked."]
    return Panel("concentration_ranking", title, fig, source_labels(result.provenance), notes)


# --- scenario -------------------------------------------------------------------------------

def _frame(value: Any) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, Mapping) and "rows" in value:
        return pd.DataFrame(value["rows"])
    return pd.DataFrame(list(value or []))


def scenario_panels(view: Mapping[str, Any]) -> list[Panel]:
    """Prices, flows, shortfalls and welfare of a scenario run.

    ``view`` is :func:`critmin.metrics.panels.scenario_view` of the result document.
    """
    name = view.get("scenario", "scenario")
    unit = view.get("welfare_unit", "USD")
    sources = source_labels(view.get("provenance") or [])
    est_note = "; ".join(f"{m}: {_pct(s)} of baseline tonnes estimated"
                         for m, s in (view.get("estimated_share") or {}).items())
    notes = [f"Baseline flows partly estimated ({est_note}); the model moves observed and "
             "estimated flows alike."] if est_note else []
    markets = list(view.get("markets") or [])
    rows = max(len(markets), 1)
    out = []

    prices = _frame(view.get("prices"))
    fig = make_subplots(rows=rows, cols=1, subplot_titles=markets or [""],
                        vertical_spacing=0.12 / rows * 2 if rows > 1 else 0.1)
    for i, mk in enumerate(markets, start=1):
        g = prices[prices["market"] == mk]
        fig.add_trace(go.Bar(x=g["exporter"], y=g["world_price_change_share"],
                             marker_color=["#d62728" if v > 0 else "#1f77b4"
                                           for v in g["world_price_change_share"]],
                             name=mk, showlegend=False,
                             hovertemplate="%{x}: %{y:+.2%}<extra></extra>"), i, 1)
        fig.update_yaxes(tickformat="+.3~%", row=i, col=1, gridcolor="#eee")
    _layout(fig, f"{name}: change in exporters' world prices", 140 + 220 * rows)
    out.append(Panel("scenario_prices", f"{name}: prices", fig, sources,
                     ["Change in each exporter's world (FOB) price against the baseline; the "
                      "largest movers per market.", *notes]))

    imports = _frame(view.get("imports"))
    fig = make_subplots(rows=rows, cols=1, subplot_titles=markets or [""],
                        vertical_spacing=0.12 / rows * 2 if rows > 1 else 0.1)
    for i, mk in enumerate(markets, start=1):
        g = imports[imports["market"] == mk]
        for col, label, colour in (("imports_t_baseline", "before", "#aaa"),
                                   ("imports_t", "after", "#1f77b4")):
            fig.add_trace(go.Bar(x=g["country"], y=g[col], name=label, marker_color=colour,
                                 showlegend=i == 1, legendgroup=label,
                                 hovertemplate="%{x} " + label + ": %{y:,.4g} t<extra></extra>"),
                          i, 1)
        fig.update_yaxes(title="t", row=i, col=1, gridcolor="#eee")
    fig.update_layout(barmode="group")
    _layout(fig, f"{name}: imports of the largest importers, before and after (t)",
            140 + 220 * rows)
    out.append(Panel("scenario_flows", f"{name}: flows", fig, sources,
                     ["Cross-border imports in tonnes; the importers with the largest "
                      "baseline imports per market.", *notes]))

    short = _frame(view.get("shortfalls"))
    if len(short):
        labels = [f"{c} ({m})" for c, m in zip(short["country"], short["market"])]
        fig = go.Figure(go.Bar(x=short["shortfall_share"], y=labels, orientation="h",
                               marker_color="#d62728", customdata=short["shortfall_t"],
                               hovertemplate="%{y}: %{x:.1%} of baseline demand "
                                             "(%{customdata:,.4g} t)<extra></extra>"))
        fig.update_xaxes(tickformat=".0%", gridcolor="#eee")
        fig.update_yaxes(autorange="reversed")
        height = 140 + 26 * len(short)
    else:
        fig = go.Figure()
        fig.add_annotation(text="No country's demand falls short of its baseline.",
                           x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        height = 200
    _layout(fig, f"{name}: shortfalls (share of baseline demand)", height)
    out.append(Panel("scenario_shortfalls", f"{name}: shortfalls", fig, sources,
                     ["Demand not met against the baseline, in tonnes and as a share of "
                      "baseline demand.", *notes]))

    welfare = _frame(view.get("welfare"))
    fig = go.Figure(go.Bar(x=welfare["net_welfare"], y=welfare["country"], orientation="h",
                           marker_color=["#2ca02c" if v > 0 else "#d62728"
                                         for v in welfare["net_welfare"]],
                           hovertemplate="%{y}: %{x:+,.0f} " + unit + "<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=unit, gridcolor="#eee")
    _layout(fig, f"{name}: net welfare change by country ({unit})", 140 + 24 * len(welfare))
    out.append(Panel("scenario_welfare", f"{name}: welfare", fig, sources,
                     ["Producer and consumer surplus, tariff and levy revenue, quota rents "
                      "and export-tax revenue, less subsidy cost; the largest changes.",
                      *notes]))
    return out


# --- sourcing routes ------------------------------------------------------------------------

def _usd(x: object) -> str:
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    if math.isnan(f):
        return "n/a"
    for div, word in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(f) >= div:
            return f"{f / div:,.{1 if abs(f) < 100 * div else 0}f} {word} USD"
    return f"{f:,.0f} USD"


def routes_frontier(view: Mapping[str, Any]) -> Panel:
    """The de-risking frontier: the cost of the least-cost plan against the largest share
    any one outside supplier holds (the cap swept from 1.0 to the tightest cap that leaves
    no more demand unmet), with the chosen plan and today's sourcing marked.

    ``view`` is :func:`critmin.metrics.panels.routes_view` of a sourcing result.
    """
    front = _frame(view.get("frontier"))
    plan, today = view["plan"], view["today"]
    fig = go.Figure()
    if len(front):
        text = [f"cap {c:.0%}: largest supplier {s:.1%}, cost {_usd(u)} (+{_usd(d)})"
                + (f"; {m:,.0f} t unmet" if m > 0 else "")
                for c, s, u, d, m in zip(front["cap_share"], front["largest_share"], front["cost_usd"],
                                         front["cost_increase_usd"], front["unmet_t"])]
        fig.add_trace(go.Scatter(x=front["largest_share"], y=front["cost_usd"], mode="lines+markers",
                                 name="least-cost plan at each cap", line={"color": "#1f77b4", "width": 2},
                                 marker={"size": 6}, text=text, hovertemplate="%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=[plan["largest_share"]], y=[plan["cost_usd"]], mode="markers+text", name="chosen plan",
        marker={"symbol": "star", "size": 16, "color": "#d62728", "line": {"color": "#222", "width": 1}},
        text=[f"plan (cap {plan['cap_share']:.0%})" + (f", {plan['covered_share']:.0%} of demand"
                                                       if plan["unmet_t"] > 0 else "")],
        textposition="top right",
        hovertemplate=(f"chosen plan, cap {plan['cap_share']:.0%}: largest supplier "
                       f"{plan['largest_share']:.1%}, cost {_usd(plan['cost_usd'])}"
                       + (f", {plan['unmet_t']:,.0f} t unmet" if plan["unmet_t"] > 0 else "")
                       + "<extra></extra>")))
    if today.get("cost_usd") is not None:
        fig.add_trace(go.Scatter(
            x=[today["largest_share"]], y=[today["cost_usd"]], mode="markers+text",
            name="today's sourcing", text=["today"], textposition="bottom right",
            marker={"symbol": "diamond", "size": 13, "color": "#7f7f7f", "line": {"color": "#222", "width": 1}},
            hovertemplate=(f"today's sourcing: {today['top_supplier']} {today['largest_share']:.1%}, cost "
                           f"{_usd(today['cost_usd'])} for {today['covered_share']:.0%} of demand"
                           "<extra></extra>")))
    fig.add_vline(x=0.65, line_dash="dot", line_color="#c00", annotation_text="EU CRMA 65 %",
                  annotation_font_size=10)
    fig.update_xaxes(title="largest share of demand from one outside supplier (risk)",
                     tickformat=".0%", gridcolor="#eee", rangemode="tozero")
    fig.update_yaxes(title="cost of the purchases (USD a year)", gridcolor="#eee")
    title = f"Cost against concentration risk: sourcing {view['label']}"
    _layout(fig, title, 460)
    fig.update_layout(legend={"orientation": "h", "y": -0.22})
    risk = " ".join(f"{k}: {v:.2f}." for k, v in (("plan", plan.get("risk_index")),
                                                   ("today", today.get("risk_index"))) if v is not None)
    notes = [f"Each point is the least-cost plan with no outside supplier above a cap (1.0 down to the "
             f"tightest cap that leaves no more demand unmet); the star is the plan at the chosen cap "
             f"{plan['cap_share']:.0%}, the diamond today's purchases ({today['covered_share']:.0%} of "
             "demand, at today's delivered costs)."]
    if plan["unmet_t"] > 0:
        c = view["cost"]
        notes.insert(0, f"The plan leaves {plan['unmet_t']:,.0f} t ({1 - plan['covered_share']:.0%} of demand) "
                        f"unmet, so its purchase cost covers {plan['covered_share']:.0%} of demand; valued at "
                        f"{_usd(c.get('value_of_lost_supply_usd_per_t'))}/t the unmet tonnes cost "
                        f"{_usd(c.get('lost_supply_cost_usd'))} more. Why: {c.get('unmet_reason')}.")
    if not len(front):
        notes.append("No frontier in this result (ask critmin routes for --frontier).")
    if risk:
        notes.append("Governance risk of the purchases (share-weighted, 2 x (2.5 - WGI) on 0-10; "
                     f"suppliers without a WGI estimate left out): {risk}")
    notes += list(view.get("notes") or [])
    return Panel("routes_frontier", title, fig, source_labels(view.get("provenance") or []), notes)


def routes_exclusions(view: Mapping[str, Any]) -> Panel:
    """What losing the largest suppliers costs: the least-cost plan (at the chosen cap)
    with the scenario's exclusions, then the largest remaining suppliers excluded one
    after another; purchases and unmet demand valued at the value of lost supply, stacked.

    ``view`` is :func:`critmin.metrics.panels.routes_view`.
    """
    ex = _frame(view.get("exclusions"))
    fig = go.Figure()
    if len(ex):
        labels = [("none" if not e else e.replace(",", ", ")) for e in ex["excluded"]]
        fig.add_trace(go.Bar(x=labels, y=ex["cost_usd"], name="purchases", marker_color="#1f77b4",
                             customdata=[_usd(v) for v in ex["cost_usd"]],
                             hovertemplate="without %{x}: purchases %{customdata}<extra></extra>"))
        fig.add_trace(go.Bar(x=labels, y=ex["lost_supply_cost_usd"], name="unmet demand (value of lost supply)",
                             marker_color="#d62728", marker_pattern_shape="x",
                             customdata=list(zip([_qty(v) for v in ex["unmet_t"]],
                                                 [_usd(v) for v in ex["lost_supply_cost_usd"]])),
                             hovertemplate="without %{x}: %{customdata[0]} t unmet, valued at "
                                           "%{customdata[1]}<extra></extra>"))
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.3})
    fig.update_xaxes(title="suppliers excluded (largest first)", tickangle=-20)
    fig.update_yaxes(title="USD a year", gridcolor="#eee")
    title = f"Cost of losing the largest suppliers one by one: {view['label']}"
    _layout(fig, title, 420)
    c = view["cost"]
    notes = [f"Each bar is the least-cost plan at the chosen cap with the suppliers named excluded; red: "
             f"tonnes no permitted supplier can ship, valued at {_usd(c.get('value_of_lost_supply_usd_per_t'))}/t "
             "(the optimiser's value of lost supply, an assumption: a multiple of the market's highest "
             "delivered cost)."]
    if not len(ex):
        notes.append("No exclusion steps in this result (ask critmin routes for --frontier).")
    return Panel("routes_exclusions", title, fig, source_labels(view.get("provenance") or []), notes)


def routes_plan(view: Mapping[str, Any]) -> Panel:
    """Each supplier's share of demand today and in the plan; suppliers whose cost is the
    market price (no observed unit value) are drawn hatched and marked (e).

    ``view`` is :func:`critmin.metrics.panels.routes_view`.
    """
    sup = _frame(view.get("suppliers")).head(20).iloc[::-1]
    labels = [f"{s}{' (e)' if e else ''}{' (member)' if i else ''}{' excluded' if x else ''}"
              for s, e, i, x in zip(sup["supplier"], sup["estimated_cost"], sup["internal"], sup["excluded"])]
    pattern = ["/" if e else "" for e in sup["estimated_cost"]]
    hover = [f"{s}: {b:.1%} today, {p:.1%} in the plan ({q:,.0f} t at {c:,.0f} USD/t"
             f"{', market price: no observed unit value' if e else ''}); governance risk "
             f"{'n/a' if r is None or (isinstance(r, float) and math.isnan(r)) else f'{r:.1f}'}"
             for s, b, p, q, c, e, r in zip(sup["supplier"], sup["share_baseline"], sup["share"],
                                            sup["quantity_t"], sup["unit_cost_usd_per_t"],
                                            sup["estimated_cost"], sup["risk_index"])]
    fig = go.Figure([
        go.Bar(y=labels, x=sup["share_baseline"], orientation="h", name="today", marker_color="#aaaaaa",
               marker_pattern_shape=pattern, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"),
        go.Bar(y=labels, x=sup["share"], orientation="h", name="plan", marker_color="#1f77b4",
               marker_pattern_shape=pattern, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")])
    plan = view["plan"]
    fig.add_vline(x=plan["cap_share"], line_dash="dot", line_color="#c00",
                  annotation_text=f"cap {plan['cap_share']:.0%}", annotation_font_size=10)
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.12})
    fig.update_xaxes(tickformat=".0%", title="share of demand", gridcolor="#eee", rangemode="tozero")
    title = f"Suppliers' shares of demand, today and in the plan: {view['label']}"
    _layout(fig, title, 160 + 34 * len(sup))
    n_est = int(_frame(view.get("suppliers"))["estimated_cost"].sum())
    notes = [f"(e), hatched: {n_est} supplier(s) without an observed unit value; their cost is the "
             "market price (estimated)." if n_est else "Every supplier's cost is an observed unit value."]
    c = view["cost"]
    notes.append(f"Demand {c['demand_t']:,.0f} t; the plan buys {c['covered_t']:,.0f} t for "
                 f"{_usd(c['plan_cost_usd'])}; cost of de-risking against the cheapest plan "
                 f"{_usd(c['cost_increase_usd'])}" + (f"; unmet {c['unmet_t']:,.0f} t: {c['unmet_reason']}"
                                                      if c["unmet_t"] > 0 else "") + ".")
    return Panel("routes_plan", title, fig, source_labels(view.get("provenance") or []), notes)


# --- supply chains --------------------------------------------------------------------------

CHAIN_STAGE_COLOURS = {"mine": "#8c564b", "refine": "#1f77b4", "intermediate": "#17becf",
                       "component": "#9467bd", "product": "#2ca02c"}


def chain_graph(view: Mapping[str, Any]) -> Panel:
    """The chain's stage graph: nodes in columns upstream to downstream, links between
    them. Without a shock a node's colour is its top country's share (single points of
    failure, above 65 %, ringed in red); with a shock it is the share of output lost.
    Nodes whose country shares are assumptions are drawn as squares.

    ``view`` is :func:`critmin.metrics.panels.chain_view`.
    """
    nodes, edges = _frame(view["nodes"]), _frame(view["edges"])
    stages = list(view["stages"])
    shocked = "lost_share" in nodes.columns
    ys: dict[str, float] = {}
    for _, g in nodes.groupby("column", sort=True):
        n = len(g)
        for k, node in enumerate(g["node"]):
            ys[node] = 1.0 - (k + 0.5) / n
    xs = dict(zip(nodes["node"], nodes["column"].astype(float)))
    fig = go.Figure()
    for flag, colour, dash, name in ((False, "#999", "solid", "link (sourced coefficient)"),
                                     (True, "#bbb", "dot", "link (assumed coefficient)")):
        lx: list[float | None] = []
        ly: list[float | None] = []
        for s, t, a in zip(edges["source"], edges["target"], edges["assumption"]):
            if bool(a) == flag and s in xs and t in xs:
                lx += [xs[s], xs[t], None]
                ly += [ys[s], ys[t], None]
        if lx:
            fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line={"color": colour, "width": 1.2, "dash": dash},
                                     hoverinfo="skip", name=name))
    value = nodes["lost_share"].fillna(0.0) if shocked else nodes["cr1_share"]
    hover = []
    for r in nodes.itertuples():
        line = (f"{r.label} ({r.stage}): top {r.top_country} {r.cr1_share:.0%}, HHI {r.hhi:,.0f}; "
                f"{r.source}{' (assumed shares)' if r.assumed else ''}")
        if shocked:
            lost = 0.0 if pd.isna(r.lost_share) else float(r.lost_share)
            line = f"{r.label}: {lost:.2%} of output lost ({_usd(r.lost_usd)})<br>" + line
        hover.append(line)
    spof = nodes["single_point_of_failure"].astype(bool)
    fig.add_trace(go.Scatter(
        x=nodes["column"], y=[ys[n] for n in nodes["node"]], mode="markers+text",
        text=[_wrap(str(lbl), 18) for lbl in nodes["label"]], textposition="top center",
        textfont={"size": 10},
        marker={"size": 18, "color": value, "cmin": 0, "cmax": max(float(value.max()), 0.01) if shocked else 1,
                "colorscale": "Reds" if shocked else SCALE,
                "symbol": ["square" if a else "circle" for a in nodes["assumed"]],
                "line": {"color": ["#c00" if s else "#444" for s in spof], "width": [3 if s else 1 for s in spof]},
                "colorbar": {"title": {"text": "output lost" if shocked else "top share"},
                             "tickformat": ".0%", "thickness": 12, "len": 0.8}},
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", name="stage node", showlegend=False))
    fig.update_xaxes(tickvals=list(range(len(stages))), ticktext=[f"<b>{s}</b>" for s in stages],
                     range=[-0.5, len(stages) - 0.5], showgrid=False, zeroline=False, side="top")
    fig.update_yaxes(visible=False, range=[-0.05, 1.08])
    tallest = int(nodes.groupby("column").size().max()) if len(nodes) else 1
    what = f"{view.get('scenario')}: share of output lost" if shocked else "top country's share"
    title = f"{view.get('title') or view.get('chain')} ({view.get('year')}): stage graph, {what}"
    _layout(fig, title, max(380, 120 + 78 * tallest))
    fig.update_layout(legend={"orientation": "h", "y": -0.04}, margin={"t": 90})
    n_assumed = int(nodes["assumed"].sum())
    n_edge = int(edges["assumption"].astype(bool).sum())
    notes = [f"Red rings: single points of failure (one country above 65 % of the stage). Squares: "
             f"{n_assumed} of {len(nodes)} nodes whose country shares are assumptions stated in "
             f"critmin/data/chains/{view.get('chain')}.yml; dotted links: {n_edge} of {len(edges)} "
             "conversion coefficients are assumptions (with a range)."]
    notes += [str(s) for s in view.get("run_time_sources") or []]
    return Panel("chain_graph", title, fig, source_labels(view.get("provenance") or []), notes)


def _qty(x: object) -> str:
    """A quantity for people: ``529,100``, ``12.4``, ``2.55e-06``."""
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    if math.isnan(f):
        return "n/a"
    return f"{f:,.0f}" if abs(f) >= 100 else f"{f:.3g}"


def _wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most about ``width`` characters (``<br>``)."""
    import textwrap

    return "<br>".join(textwrap.wrap(text, width)) or text


def chain_losses(view: Mapping[str, Any]) -> Panel:
    """Stage by stage, upstream first: the share of output value lost at each stage (top)
    and the share of each node's output lost (bottom), after a shock propagates.

    ``view`` is :func:`critmin.metrics.panels.chain_view` with a network result.
    """
    by_stage, by_node = _frame(view["by_stage"]), _frame(view["by_node"])
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.2, row_heights=[0.4, 0.6],
                        subplot_titles=("Output value lost by stage", "Output lost by node"))
    colours = [CHAIN_STAGE_COLOURS.get(s, "#555") for s in by_stage["stage"]]
    fig.add_trace(go.Bar(x=by_stage["stage"], y=by_stage["lost_share"], marker_color=colours,
                         text=[_usd(v) for v in by_stage["lost_usd"]], textposition="auto",
                         customdata=by_stage["output_usd_baseline"], showlegend=False,
                         hovertemplate="%{x}: %{y:.3%} of %{customdata:,.0f} USD lost (%{text})"
                                       "<extra></extra>"), 1, 1)
    for st, g in by_node.groupby("stage", sort=False):
        labels = [f"{lbl}{' *' if a else ''}" for lbl, a in zip(g["label"].fillna(g["node"]), g["assumed"])]
        fig.add_trace(go.Bar(x=labels, y=g["lost_share"], name=str(st), showlegend=False,
                             marker_color=CHAIN_STAGE_COLOURS.get(str(st), "#555"),
                             customdata=list(zip([_qty(q) for q in g["lost_quantity"]], g["unit"],
                                                 [_usd(v) for v in g["lost_usd"]])),
                             hovertemplate="%{x}: %{y:.3%} lost (%{customdata[0]} %{customdata[1]}, "
                                           "%{customdata[2]})<extra></extra>"), 2, 1)
    fig.update_yaxes(tickformat=".1%", gridcolor="#eee", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".1%", gridcolor="#eee", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(tickangle=-35, row=2, col=1)
    title = f"{view.get('scenario')}: losses stage by stage, {' -> '.join(view['stages'])}"
    _layout(fig, title, 620)
    est = int(by_node["assumed"].astype(bool).sum()) if "assumed" in by_node else 0
    notes = ["Bars are coloured by stage, as in the top chart; hover a bar for the quantity and value lost.",
             f"* {est} of {len(by_node)} nodes rest on at least one assumed coefficient, share, volume or "
             f"price; {view.get('assumed_coefficients', 0)} of {view.get('coefficients', 0)} inputs in the "
             "coefficients table are assumptions (ranges in critmin/data/chains)."]
    prods = _frame(view.get("by_product"))
    if len(prods):
        notes.append("Final products: " + "; ".join(
            f"{p} {s:.2%} lost ({_qty(q)} {u})" for p, s, q, u in
            zip(prods["product"], prods["lost_share"], prods["lost_quantity"], prods["unit"])) + ".")
    bn = _frame(view.get("bottlenecks"))
    if len(bn):
        notes.append("Binding: " + "; ".join(f"{n} in {c} ({k})" for n, c, k in
                                             zip(bn["node"].head(6), bn["country"].head(6),
                                                 bn["constraint"].head(6))) + ".")
    return Panel("chain_losses", title, fig, source_labels(view.get("provenance") or []), notes)
