"""``critmin data build|status|snapshot``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli._common import (
    Format,
    FormatOpt,
    StoreOpt,
    console,
    emit,
    open_store,
    progress,
    store_path,
)
from critmin.cli.app import data_app


@data_app.command("build")
def build(
    source_dir: Annotated[Path | None, typer.Option(
        "--source-dir", help="Directory of raw release files (e.g. ../shared/data). "
        "Without it the store is built from the bundled snapshot.")] = None,
    store: StoreOpt = None,
    baselines: Annotated[bool, typer.Option(
        "--baselines/--no-baselines", help="Complete and store every market's baseline "
        "(tables baselines, baseline_markets) after the build.")] = True,
) -> None:
    """Build the store, atomically: a failed build leaves the previous store untouched."""
    from critmin.config import SNAPSHOT_DIR
    from critmin.store.build import build_tables, read_snapshot
    from critmin.store.catalog import write_store

    target = store_path(store)
    with progress("Building store") as advance:
        if source_dir is not None:
            tables = build_tables(source_dir, progress=advance)
        else:
            tables = read_snapshot(SNAPSHOT_DIR, progress=advance)
        advance("writing", 0, 1)
        write_store(target, tables)
    n_markets = 0
    if baselines:
        from critmin.baseline_store import store_baselines

        with progress("Completing baselines") as advance:
            rows = store_baselines(target, progress=advance)
            n_markets = int((rows["status"] == "ok").sum())
    origin = f"raw files in {source_dir}" if source_dir else "the bundled snapshot"
    console.print(f"Built {len(tables)} tables from {origin} into [bold]{target}[/bold]"
                  + (f", with {n_markets} stored baselines." if baselines else "."))


@data_app.command("coverage")
def coverage(
    year: Annotated[int | None, typer.Option("--year", help="One year (default: every stored "
                                             "year).")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """How much of each market's cross-border trade is observed and how much estimated.

    One row per market (mineral, stage, year), newest year first: cross-border tonnes, the
    observed and estimated shares, the estimated share by reason and the sources; for a
    market on a basket code shared by several minerals (811292), how much of the basket is
    observed and how much of it is split (estimated) to the mineral.
    """
    from critmin.baseline_store import market_coverage

    s = open_store(store)
    if year is not None:
        have = sorted(set(s.sql("SELECT DISTINCT year FROM flows")["year"].astype(int)))
        if year not in have:
            from critmin.errors import UnknownYearError

            raise UnknownYearError(year, [str(y) for y in have],
                                   "The store has no flows for that year.")
    with progress("Completing baselines") as advance:
        rows = market_coverage(s, year, progress=advance)
    cols = ["mineral", "stage", "year", "status", "cross_border_t", "observed_cross_border_share",
            "estimated_cross_border_share", "estimated_share", "home_absorption_share",
            "usgs_import_sources_share", "unobserved_cross_border_share",
            "basket_split_cells_share", "quantity_from_value_share", "complete_market", "codes",
            "complete_codes", "shared_codes", "basket_code", "basket_cross_border_t",
            "basket_observed_share", "basket_quantity_from_value_share", "basket_split_share",
            "basket_mineral_t", "split_method", "flow_sources", "production_sources",
            "production_stage", "basis"]
    frame = rows.reindex(columns=cols)
    if fmt is Format.table:
        frame = frame[frame["status"] == "ok"][
            ["mineral", "stage", "year", "cross_border_t", "observed_cross_border_share",
             "estimated_cross_border_share", "home_absorption_share", "complete_market",
             "codes", "basket_observed_share", "basket_split_share", "flow_sources"]]
    sources = sorted({x for col in ("flow_sources", "production_sources")
                      for v in rows[col].dropna() for x in str(v).split(",") if x})
    emit(frame, fmt, title=f"Observed and estimated trade per market{f' ({year})' if year else ''}",
         provenance=s.provenance_records(["flows", "production"], sources=sources)
         if sources else [],
         footer="Shares of cross-border tonnes; home_absorption_share is a share of all tonnes. "
                "complete_market: every code listed for every exporter (BACI), so only home "
                "absorption is estimated. basket_*: a code shared by several minerals (811292): "
                "the basket is observed (basket_observed_share), its split to this mineral is "
                "estimated (basket_split_share of its tonnes; split_method says how).")


@data_app.command("status")
def status(store: StoreOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every table with its rows, source, vintage, licence and sha256."""
    s = open_store(store)
    frame = s.status()
    cols = ["table", "table_rows", "source", "rows", "vintage", "licence", "sha256", "publisher",
            "title", "url", "file", "built_at"]
    frame = frame[cols]
    if fmt is Format.table:
        frame = frame.assign(sha256=frame["sha256"].str.slice(0, 12))
        frame = frame[["table", "table_rows", "source", "rows", "vintage", "licence", "sha256"]]
    emit(frame, fmt, title=f"Store {s.path}", extra={"store": str(s.path)},
         provenance=s.provenance_records(s.tables()))


@data_app.command("snapshot")
def snapshot(
    out: Annotated[Path | None, typer.Option(
        help="Directory for the Parquet snapshot (default: the bundled src/critmin/snapshot).",
        show_default=False)] = None,
    store: StoreOpt = None,
) -> None:
    """Write the openly licensed rows of the store to the bundled Parquet snapshot."""
    from critmin.config import SNAPSHOT_DIR
    from critmin.store.build import export_snapshot
    from critmin.store.catalog import Store

    out = out if out is not None else SNAPSHOT_DIR
    prov = export_snapshot(Store.open(store_path(store)), out)
    size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    console.print(f"Wrote {prov['table'].nunique()} tables ({size / 1e6:.2f} MB) to {out}.")


__all__ = ["build", "coverage", "snapshot", "status"]
