"""What every command shares: options, output formats, progress, error handling."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from critmin.reports.documents import dumps, records, rows_document

if TYPE_CHECKING:  # heavy modules load inside the functions that use them (fast --help)
    import pandas as pd
    from rich.table import Table

    from critmin.store import Store

# Piped output (CI logs, `| less`) gets wide tables rather than 80-column wrapping.
console = Console(width=None if sys.stdout.isatty() else 220)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 220)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="DuckDB store file (env: CRITMIN_STORE; default: user data dir)",
                 show_default=False),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
#: The release selector, one name in every command that reads production.
SERIES_HELP = ("Which releases: default (newest USGS edition per year, BGS where USGS has "
               "none), usgs, bgs (1971-2023), or all (every release as its own series).")
SeriesOpt = Annotated[str, typer.Option(
    "--series", help=SERIES_HELP + " production also takes one release id, e.g. "
    "usgs-mcs2025-world.")]


def store_path(store: Path | None) -> Path:
    from critmin.config import settings

    return store if store is not None else settings().store


def open_store(store: Path | None) -> Store:
    from critmin.store import Store

    return Store.open(store_path(store))


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """A rich progress bar on stderr; yields ``advance(label, done, total)``."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                   BarColumn(), MofNCompleteColumn(),  # "0/?" while the total is unknown
                   TimeElapsedColumn(), console=err_console, transient=True,
                   disable=not err_console.is_terminal and not _force_progress())
    with bar:
        task = bar.add_task(description, total=total)

        def advance(label: str, done: int, n: int) -> None:
            bar.update(task, description=f"{description}: {label}", completed=done, total=n)

        yield advance


def _force_progress() -> bool:
    import os

    return os.environ.get("CRITMIN_PROGRESS") == "1"


def dump_json(doc: Any) -> str:
    return dumps(doc)


def emit(frame: pd.DataFrame, fmt: Format, *, title: str = "", provenance: Any = None,
         extra: dict[str, Any] | None = None, footer: str = "") -> None:
    """Print ``frame`` as a rich table, one JSON document, or CSV."""
    if fmt is Format.json:
        sys.stdout.write(dump_json(rows_document(frame, provenance, extra)) + "\n")
    elif fmt is Format.csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        console.print(rich_table(frame, title=title))
        if footer:
            console.print(footer)
        if provenance:
            srcs = sorted({f"{p.get('source')} ({p.get('vintage')})" for p in provenance})
            console.print(f"[dim]Sources: {'; '.join(srcs)}[/dim]")


def rich_table(frame: pd.DataFrame, title: str = "", max_rows: int = 200) -> Table:
    import pandas as pd
    from rich.table import Table

    table = Table(title=title or None, show_lines=False, header_style="bold")
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        table.add_column(str(col), justify="right" if numeric else "left")
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*(fmt_cell(v) for v in row))
    if len(frame) > max_rows:
        table.caption = f"{max_rows} of {len(frame)} rows shown; use --format csv for all"
    return table


def fmt_cell(value: Any) -> str:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if value != 0 and abs(value) < 0.01:
            return f"{value:.2e}"
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return str(value)
