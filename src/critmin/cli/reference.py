"""``critmin minerals``, ``critmin countries`` and ``critmin blocs [NAME]``."""

from __future__ import annotations

from typing import Annotated

import typer

from critmin.cli._common import Format, FormatOpt, StoreOpt, console, emit, open_store, progress
from critmin.cli.app import app


@app.command("minerals")
def minerals(
    critical: Annotated[bool, typer.Option(
        "--critical", help="Only the 2025 USGS critical minerals.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The mineral vocabulary: ids, names, stages, and whether USGS lists them as critical."""
    from critmin.reports.reference import minerals_table

    frame, extra = minerals_table(critical)
    if fmt is Format.table:
        frame = frame.drop(columns=["aliases"])
    emit(frame, fmt, title=extra.pop("title"), extra=extra)


@app.command("countries")
def countries(store: StoreOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every country in the store: ISO3, name, and which tables mention it."""
    from critmin.store.coverage import country_coverage

    s = open_store(store)
    with progress("Scanning tables") as advance:
        frame = country_coverage(s, progress=advance)
    emit(frame, fmt, title=f"Countries in {s.path} ({len(frame)})",
         footer="WLD is a published world total and OTH an unattributed remainder.",
         extra={"store": str(s.path)}, provenance=s.provenance_records(s.tables()))


@app.command("blocs")
def blocs(
    name: Annotated[str | None, typer.Argument(
        help="A bloc, e.g. EU27 or CMM2026; omit to list every bloc.", show_default=False)] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Named country sets with their sources; one bloc's members with NAME."""
    from critmin.reports.reference import bloc_members, blocs_table

    if name is None:
        frame, extra = blocs_table()
        shown = frame[["bloc", "title", "members", "as_of", "uncertainty"]] \
            if fmt is Format.table else frame
        emit(shown, fmt, title="Blocs",
             footer=f"Add your own YAML files in {extra['user_blocs_dir']} "
                    "(or $CRITMIN_BLOCS_DIR).", extra=extra)
        return
    frame, meta = bloc_members(name)
    emit(frame, fmt, title=f"{meta['bloc']}: {meta['title']} ({len(frame)} members, as of "
                           f"{meta['as_of'] or 'n/a'})", extra=meta)
    if fmt is Format.table:
        console.print(f"[dim]Source: {meta['source']}[/dim]")
        if meta["note"]:
            console.print(f"[dim]Note: {meta['note']}[/dim]")
        console.print(f"[dim]Uncertainty: {meta['uncertainty']}[/dim]")
