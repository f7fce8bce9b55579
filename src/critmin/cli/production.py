"""``critmin production MINERAL``."""

from __future__ import annotations

from typing import Annotated

import typer

from critmin.cli._common import Format, FormatOpt, StoreOpt, emit, open_store
from critmin.cli.app import app
from critmin.store.views import production_view

# The terminal table shows what a reader needs; json and csv carry every column.
TABLE_COLUMNS = ["year", "stage", "country", "label", "quantity_t", "basis", "estimated",
                 "flag", "source"]


@app.command("production")
def production(
    mineral: Annotated[str, typer.Argument(help="Mineral id, name or symbol, e.g. cobalt or Ga.")],
    stage: Annotated[str | None, typer.Option(help="mine, refinery, smelter, metal, chemical")] = None,
    year: Annotated[int | None, typer.Option(help="Year; default: every year in the store.")] = None,
    source: Annotated[str | None, typer.Option(
        help="Default: newest USGS edition per year, BGS for earlier years. "
             "'usgs', 'bgs' or a source id (e.g. usgs-mcs2025-world) to choose.")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Production of a mineral by country, in tonnes of contained content.

    WLD is the published world total and OTH USGS's 'Other countries'.
    """
    s = open_store(store)
    frame = production_view(s, mineral, stage=stage, year=year, source=source)
    title = f"{mineral} production (t)" + (f", {stage}" if stage else "") + (f", {year}" if year else "")
    if fmt is Format.table:
        # Newest years first: the table shows at most 200 rows, and a long BGS series
        # (from 1971) would otherwise fill them with the oldest years. Stable sort keeps the
        # view's order (largest producers first) within a year.
        shown = frame[TABLE_COLUMNS].sort_values("year", ascending=False, kind="stable")
    else:
        shown = frame
    emit(shown, fmt, title=title,
         provenance=s.provenance_records(["production"], frame["source"].unique()))
