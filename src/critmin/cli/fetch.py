"""``critmin data fetch SOURCE``: download an official release file into the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli._common import Format, FormatOpt, console, emit, progress
from critmin.cli.app import data_app


@data_app.command("fetch")
def fetch_command(
    name: Annotated[str | None, typer.Argument(
        metavar="SOURCE", help="Release to download; omit (or --list) to list them.",
        show_default=False)] = None,
    dest: Annotated[Path | None, typer.Option(
        "--dest", help="Directory to download into (default: the critmin cache dir).",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Download again even if a verified copy is present.")] = False,
    url: Annotated[str | None, typer.Option(
        "--url", help="Override the registry URL (the publisher moved the file).",
        show_default=False)] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the releases and exit.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Download official release files (USGS ScienceBase, World Bank, CEPII) with resume
    and sha256 verification; a file is installed only once its checksum is verified."""
    import pandas as pd

    from critmin.config import settings
    from critmin.sources.fetch import REGISTRY, fetch

    if list_ or name is None:
        frame = pd.DataFrame([{
            "source": s.name, "publisher": s.publisher, "title": s.title, "licence": s.licence,
            "files": len(s.files),
            "sha256": "pinned" if all(f.sha256 for f in s.files) else "recorded on first download",
            "url": s.files[0].url, "note": s.note} for s in REGISTRY.values()])
        shown = frame if fmt is not Format.table else frame[
            ["source", "publisher", "title", "licence", "sha256"]]
        emit(shown, fmt, title="Releases `critmin data fetch` can download")
        return
    with progress(f"Fetching {name}") as advance:
        results = fetch(name, dest=dest, force=force, url=url, progress=advance)
    frame = pd.DataFrame([{"source": r.source, "file": str(r.path), "status": r.status,
                           "check": r.check, "size": r.size, "sha256": r.sha256,
                           "changed": r.changed} for r in results])
    if fmt is Format.table:
        frame = frame.assign(sha256=frame["sha256"].str.slice(0, 12))
    emit(frame, fmt, title=f"{name} -> {dest or settings().cache_dir}")
    if fmt is Format.table and frame["changed"].any():
        console.print("[yellow]The publisher's file changed since the last recorded "
                      "download.[/yellow]")
