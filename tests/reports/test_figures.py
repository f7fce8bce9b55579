"""Figures draw what the library computed: frames per year, estimated links told apart."""

from __future__ import annotations

import json
import re

import pandas as pd

from critmin.metrics.queries import MetricResult
from critmin.reports import figures
from critmin.reports.html import write_report


def _shares() -> MetricResult:
    frame = pd.DataFrame({
        "mineral": "gallium", "stage": "refinery", "year": [2024, 2024, 2023],
        "country": ["CHN", "JPN", "CHN"], "quantity_t": [750.0, 10.0, 700.0],
        "world_t": [760.0, 760.0, 700.0], "share": [750 / 760, 10 / 760, 1.0],
        "estimated": [True, False, False], "basis": "Ga", "source": "usgs-mcs2026-world"})
    prov = [{"source": "usgs-mcs2026-world", "publisher": "U.S. Geological Survey",
             "title": "Mineral Commodity Summaries 2026", "vintage": "2026"}]
    return MetricResult(frame, prov, {"mineral": "gallium", "stage": "refinery",
                                      "years": [2023, 2024]})


def test_production_map_has_a_frame_per_year_and_opens_on_the_latest() -> None:
    panel = figures.production_map(_shares())
    fig = panel.figure
    assert [f.name for f in fig.frames] == ["2023", "2024"]
    assert list(fig.data[0].locations) == ["CHN", "JPN"]           # 2024 shown first
    assert fig.layout.sliders[0].active == 1
    assert "(e) estimated" in fig.data[0].text[0] and "(e)" not in fig.data[0].text[1]
    assert panel.sources == ["U.S. Geological Survey, Mineral Commodity Summaries 2026 (2026)"]
    assert any("estimated" in n for n in panel.notes)


def test_panel_json_carries_the_numbers_not_their_repr() -> None:
    doc = figures.production_map(_shares()).to_json()
    z = doc["figure"]["data"][0]["z"]
    assert z == [750 / 760, 10 / 760] or "bdata" in z          # list or plotly typed array
    json.dumps(doc)


def test_sankey_draws_estimated_links_grey_and_observed_blue() -> None:
    links = pd.DataFrame({
        "leg": ["mine -> refinery", "mine -> refinery", "refinery -> buyers"],
        "source_node": ["mine: COD", "mine: COD", "refinery: CHN"],
        "target_node": ["refinery: CHN", "refinery: FIN", "buyers: USA"],
        "method": ["estimated", "observed", "observed"], "quantity_t": [100.0, 10.0, 50.0]})
    res = MetricResult(links, [], {"mineral": "cobalt", "year": 2023,
                                   "stages": ["mine", "refinery"], "top": 8,
                                   "estimated_share": {"mine": 0.9}, "basis": {"mine": "Co"}})
    sankey = figures.flows_sankey(res).figure.data[0]
    assert list(sankey.link.color[:3]) == [figures.ESTIMATED_COLOUR, figures.OBSERVED_COLOUR,
                                           figures.OBSERVED_COLOUR]
    # FIN refines nothing onward: a transparent ~0 t link keeps it in its column
    assert list(sankey.link.color[3:]) == ["rgba(0,0,0,0)"]
    assert sankey.link.value[3] < 1e-6 * sum(sankey.link.value)
    labels = list(sankey.node.label)
    assert labels[sankey.link.source[0]] == "COD" and labels[sankey.link.target[2]] == "USA"
    xs = dict(zip(sankey.node.customdata, sankey.node.x))
    assert xs["mine: COD"] < xs["refinery: CHN"] < xs["buyers: USA"]


def test_report_embeds_plotly_and_the_world_map_and_loads_nothing_remote(tmp_path) -> None:
    path = write_report(tmp_path / "r.html", [figures.production_map(_shares())],
                        title="t")
    text = path.read_text()
    assert "window.PlotlyGeoAssets={topojson:{world_110m:" in text
    assert text.index("PlotlyGeoAssets") < text.index("plotly.js v")   # map before plotly
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=", text)
    assert 'id="spec0"' in text or "id='spec0'" in text
    assert "Mineral Commodity Summaries 2026" in text                 # sources named
