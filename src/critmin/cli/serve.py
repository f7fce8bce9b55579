"""``critmin serve``: the REST service (and the web dashboard) on uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli._common import StoreOpt, err_console
from critmin.cli.app import app


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind. Only 127.0.0.1 (this machine) "
                                      "unless you choose otherwise.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    store: StoreOpt = None,
    source_dir: Annotated[Path | None, typer.Option(
        "--source-dir", help="The only directory scenario data references may name "
        "(default: CRITMIN_SOURCE_DIR or ../shared/data beside the checkout).",
        show_default=False)] = None,
    solve_seconds: Annotated[float, typer.Option(
        min=0.1, help="Time limit of one scenario run (503 beyond).")] = 30.0,
    query_seconds: Annotated[float, typer.Option(
        min=0.1, help="Time limit of one read request (metrics, flows, chains), waiting "
        "included (503 beyond).")] = 30.0,
    max_body_kb: Annotated[int, typer.Option(
        min=1, help="Largest request body accepted (413 beyond).")] = 256,
    cache_entries: Annotated[int, typer.Option(
        min=0, help="Finished responses kept per store version (0: every request "
        "computes).")] = 512,
    read_cache_mb: Annotated[str | None, typer.Option(
        "--read-cache-mb", metavar="MB", help="Store query results kept, in MB of their real "
        "size, strings included (default: CRITMIN_READ_CACHE_MB, else 256).",
        show_default=False)] = None,
) -> None:
    """Serve the REST API (OpenAPI at /docs) on HOST:PORT, reading the store read-only."""
    from critmin.config import default_source_dir
    from critmin.config import read_cache_mb as read_cache_setting

    read_mb = read_cache_setting(read_cache_mb)  # a bad value stops here, before anything starts
    import uvicorn

    from critmin.api import Limits, create_app
    from critmin.cli._common import store_path

    target = store_path(store)
    if not target.exists():
        err_console.print(f"[yellow]No store at {target} yet: routes answer 503 until "
                          "`critmin data build` makes one.[/yellow]")
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[yellow]Binding {host}: the API is reachable from other "
                          "machines and has no authentication.[/yellow]")
    source_dir = source_dir if source_dir is not None else default_source_dir()
    application = create_app(target, source_dir=source_dir, limits=Limits(
        solve_seconds=solve_seconds, query_seconds=query_seconds,
        max_body_bytes=max_body_kb * 1024, cache_entries=cache_entries, read_cache_mb=read_mb))
    err_console.print(f"critmin API on http://{host}:{port}/ (OpenAPI: /docs), store {target}, "
                      f"scenario data from {source_dir or 'nowhere (no --source-dir)'}")
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False,
                timeout_keep_alive=30)
