"""What every command shares: options, output formats, progress, error handling."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from critmin.config import settings
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
    typer.Option("--store", help="DuckDB store file [env: CRITMIN_STORE; default: user data dir]",
                 show_default=False),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def store_path(store: Path | None) -> Path:
    return store if store is not None else settings().store


def open_store(store: Path | None) -> Store:
    return Store.open(store_path(store))


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """A rich progress bar on stderr; yields ``advance(label, done, total)``."""
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


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _clean(value.item())
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records: NaN and NA become null, numpy scalars become Python ones."""
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def dump_json(doc: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, pd.DataFrame):
            return records(o)
        if isinstance(o, Path):
            return str(o)
        return _clean(o)

    return json.dumps(doc, indent=2, default=default, allow_nan=False, ensure_ascii=False)


def emit(frame: pd.DataFrame, fmt: Format, *, title: str = "", provenance: Any = None,
         extra: dict[str, Any] | None = None, footer: str = "") -> None:
    """Print ``frame`` as a rich table, one JSON document, or CSV."""
    if fmt is Format.json:
        doc: dict[str, Any] = {"rows": records(frame)}
        doc.update(extra or {})
        doc["provenance"] = provenance if provenance is not None else []
        sys.stdout.write(dump_json(doc) + "\n")
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
