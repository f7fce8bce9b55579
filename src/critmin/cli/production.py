"""``critmin production MINERAL``."""

from __future__ import annotations

from typing import Annotated

import typer

from critmin.cli._common import Format, FormatOpt, StoreOpt, emit, open_store
from critmin.cli.app import app
from critmin.store.views import production_view


@app.command("production")
def production(
    mineral: Annotated[str, typer.Argument(help="Mineral id, name or symbol, e.g. cobalt or Ga.")],
    stage: Annotated[str | None, typer.Option(help="mine, refinery, smelter, metal, chemical")] = None,
    year: Annotated[int | None, typer.Option(help="Year; default: every year in the store.")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Production of a mineral by country, in tonnes of contained content."""
    s = open_store(store)
    frame = production_view(s, mineral, stage=stage, year=year)
    title = f"{mineral} production" + (f", {stage}" if stage else "") + (f", {year}" if year else "")
    emit(frame, fmt, title=title,
         provenance=s.provenance_records(["production"], frame["source"].unique()))
