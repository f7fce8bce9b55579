"""``critmin minerals``, ``critmin countries`` and ``critmin blocs [NAME]``."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from critmin.blocs import bloc as find_bloc
from critmin.blocs import blocs as all_blocs
from critmin.blocs import user_blocs_dir
from critmin.cli._common import Format, FormatOpt, StoreOpt, console, emit, open_store, progress
from critmin.cli.app import app
from critmin.store.coverage import country_coverage
from critmin.countries import country_name
from critmin.vocab import minerals as vocab_minerals


@app.command("minerals")
def minerals(
    critical: Annotated[bool, typer.Option(
        "--critical", help="Only the 2025 USGS critical minerals.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The mineral vocabulary: ids, names, stages, and whether USGS lists them as critical."""
    rows = []
    for m in vocab_minerals().values():
        if critical and not m.critical_2025:
            continue
        rows.append({"mineral": m.id, "name": m.name, "symbol": m.symbol,
                     "critical_2025": m.critical_2025, "group": m.group,
                     "stages": ", ".join(m.stages), "aliases": ", ".join(m.aliases)})
    frame = pd.DataFrame(rows, columns=["mineral", "name", "symbol", "critical_2025", "group",
                                        "stages", "aliases"])
    if fmt is Format.table:
        frame = frame.drop(columns=["aliases"])
    title = "2025 USGS critical minerals" if critical else "Minerals"
    n_groups = int(frame["mineral"].map(lambda mid: vocab_minerals()[mid].is_group).sum())
    count = f"{len(frame) - n_groups}" + (f" + {n_groups} reporting groups" if n_groups else "")
    emit(frame, fmt, title=f"{title} ({count})",
         extra={"vocabulary": "critmin/data/minerals.yml"})


@app.command("countries")
def countries(store: StoreOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every country in the store: ISO3, name, and which tables mention it."""
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
    if name is None:
        frame = pd.DataFrame([{
            "bloc": b.name, "title": b.title, "members": len(b), "as_of": b.as_of,
            "uncertainty": b.uncertainty, "source": b.source, "note": b.note, "file": b.origin}
            for b in all_blocs().values()])
        shown = frame[["bloc", "title", "members", "as_of", "uncertainty"]] \
            if fmt is Format.table else frame
        emit(shown, fmt, title="Blocs",
             footer=f"Add your own YAML files in {user_blocs_dir()} "
                    "(or $CRITMIN_BLOCS_DIR).",
             extra={"user_blocs_dir": str(user_blocs_dir())})
        return
    b = find_bloc(name)
    frame = pd.DataFrame({"country": list(b.members),
                          "name": [country_name(c) for c in b.members]})
    meta = {"bloc": b.name, "title": b.title, "as_of": b.as_of, "uncertainty": b.uncertainty,
            "source": b.source, "note": b.note, "file": b.origin}
    emit(frame, fmt, title=f"{b.name}: {b.title} ({len(b)} members, as of {b.as_of or 'n/a'})",
         extra=meta)
    if fmt is Format.table:
        console.print(f"[dim]Source: {b.source}[/dim]")
        if b.note:
            console.print(f"[dim]Note: {b.note}[/dim]")
        console.print(f"[dim]Uncertainty: {b.uncertainty}[/dim]")
