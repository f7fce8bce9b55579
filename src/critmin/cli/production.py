"""``critmin production MINERAL``."""

from __future__ import annotations

from typing import Annotated

import typer

from critmin.cli._common import Format, FormatOpt, SeriesOpt, StoreOpt, emit, open_store
from critmin.cli.app import app

# The terminal table shows what a reader needs; json and csv carry every column.
TABLE_COLUMNS = ["year", "stage", "country", "label", "quantity_t", "basis", "estimated",
                 "flag", "source"]


@app.command("production")
def production(
    mineral: Annotated[str, typer.Argument(help="Mineral id, name or symbol, e.g. cobalt or Ga.")],
    stage: Annotated[str | None, typer.Option(help="mine, refinery, smelter, metal, chemical")] = None,
    year: Annotated[int | None, typer.Option(help="Year; default: every year in the store.")] = None,
    series: SeriesOpt = "default",
    source: Annotated[str | None, typer.Option(
        "--source", hidden=True, help="Old name of --series.")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Production of a mineral by country, in tonnes of contained content; newest year first.

    WLD is the published world total and OTH USGS's 'Other countries'.
    """
    from critmin.store.views import production_view

    s = open_store(store)
    frame = production_view(s, mineral, stage=stage, year=year,
                            source=source if source is not None else series)
    title = f"{mineral} production (t)" + (f", {stage}" if stage else "") + (f", {year}" if year else "")
    # production_view lists newest years first (the table shows at most 200 rows, and a long
    # BGS series from 1971 would otherwise fill them with the oldest years).
    shown = frame[TABLE_COLUMNS] if fmt is Format.table else frame
    emit(shown, fmt, title=title,
         provenance=s.provenance_records(["production"], frame["source"].unique()))
