"""``critmin flows MINERAL`` and ``critmin data import baci|comtrade PATH``."""

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
from critmin.cli.app import app, data_app

import_app = typer.Typer(help="Add your own downloaded trade files to the store, atomically.",
                         no_args_is_help=True)
data_app.add_typer(import_app, name="import")


@app.command("flows")
def flows(
    mineral: Annotated[str, typer.Argument(help="Mineral id, name or symbol, e.g. nickel, Ga.")],
    stage: Annotated[str | None, typer.Option(help="mine, smelter, refinery, metal, chemical "
                                              "(default: all (observed); the stage with most "
                                              "trade (complete))")] = None,
    year: Annotated[int | None, typer.Option(help="Year (default: latest with data).")] = None,
    exporter: Annotated[str | None, typer.Option(help="ISO3 or country name.")] = None,
    importer: Annotated[str | None, typer.Option(help="ISO3, country name or bloc.")] = None,
    complete: Annotated[bool, typer.Option(
        "--complete/--observed", help="Complete the matrix with documented estimates "
        "(critmin.baseline) or show observed flows only.")] = False,
    production_stage: Annotated[str | None, typer.Option(
        help="USGS production stage bounding supply in --complete (default: --stage).")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Bilateral trade flows of a mineral, each marked observed, mirror or estimated."""
    from critmin.metrics.flows import flows_view

    s = open_store(store)
    with progress(f"Flows {mineral}") as advance:
        res = flows_view(s, mineral, stage=stage, year=year, exporter=exporter,
                         importer=importer, complete=complete,
                         production_stage=production_stage, advance=advance)
    rows, extra = res.frame, res.extra
    title = extra.pop("title")
    if complete:
        cols = list(rows.columns)
        if fmt is Format.table:
            cols = [c for c in cols if c not in ("mineral", "stage", "year", "note")]
        emit(rows[cols], fmt, title=title, provenance=res.provenance, extra=extra,
             footer=f"Estimated share of the total: {extra['estimated_share']:.1%} "
                    f"({extra['diagnostics'].get('constraint', '')[:60]})")
        return
    shared = bool(rows["hs_shared"].any())
    footer = ("[yellow]hs_shared rows come from HS codes that also cover other minerals "
              "(e.g. 811292: Ga, Ge, In, Nb, ...): values are upper bounds.[/yellow]"
              if shared else "")
    cols = list(rows.columns)
    if fmt is Format.table:
        cols = ["stage", "exporter", "importer", "value_usd", "quantity_t", "method",
                "hs_codes", *(["hs_shared"] if shared else []), "source"]
    emit(rows[cols], fmt, title=title, provenance=res.provenance, extra=extra, footer=footer)


# --- critmin data import -------------------------------------------------------------------

def _import(kind: str, paths: list[Path], store: Path | None,
            country_codes: Path | None = None) -> None:
    import pandas as pd

    from critmin.sources.origin import Origin
    from critmin.store.builders.flows import (
        UNMAPPED_COLUMNS,
        baci_flows,
        check_flow_frame,
        comtrade_flows,
        flows_table,
    )
    from critmin.store.catalog import Store, TableData, write_store

    target = store_path(store)
    existing = Store.open(target)
    paths, country_codes = _expand(kind, paths, country_codes)
    new_flows, new_unmapped, origins = [], [], []
    with progress(f"Importing {kind}") as advance:
        for i, path in enumerate(paths):
            advance(Path(path).name, i, len(paths) + 1)
            if kind == "baci":
                from critmin.sources.baci import read_baci

                parsed = read_baci(path, country_codes=country_codes)
                f, u = baci_flows(parsed)
            else:
                from critmin.sources.comtrade import read_comtrade

                parsed = read_comtrade(path)
                f, u = comtrade_flows(parsed)
            check_flow_frame(f, f"{kind} import of {path}")
            new_flows.append(f)
            new_unmapped.append(u)
            origins.extend(parsed.origins)
        advance("writing store", len(paths), len(paths) + 1)
        replaced = {o.source for o in origins}
        old = existing.table("flows") if existing.has_table("flows") else pd.DataFrame()
        old = old[~old["source"].isin(replaced)] if not old.empty else old
        prov = existing.provenance(["flows"])
        old_origins = [Origin(**{k: r[k] for k in Origin.__slots__})  # type: ignore[attr-defined]
                       for r in prov.to_dict("records") if r["source"] not in replaced]
        frame = pd.concat([old, *new_flows], ignore_index=True) if not old.empty else \
            pd.concat(new_flows, ignore_index=True)
        um_old = existing.table("unmapped_hs") if existing.has_table("unmapped_hs") else \
            pd.DataFrame(columns=list(UNMAPPED_COLUMNS))
        um_old = um_old[~um_old["source"].isin(replaced)]
        um = pd.concat([um_old, *new_unmapped], ignore_index=True)
        um_prov = existing.provenance(["unmapped_hs"])
        um_origins = [Origin(**{k: r[k] for k in Origin.__slots__})  # type: ignore[attr-defined]
                      for r in um_prov.to_dict("records") if r["source"] not in replaced]
        um_used = set(um["source"])
        tables = [flows_table(frame, [*old_origins, *origins]),
                  TableData("unmapped_hs", um, tuple(o for o in [*um_origins, *origins]
                                                     if o.source in um_used))]
        write_store(target, tables, base=target)
        advance("done", len(paths) + 1, len(paths) + 1)
    n = sum(len(f) for f in new_flows)
    console.print(f"Imported {n} flow rows from {len(paths)} {kind} file(s) into "
                  f"[bold]{target}[/bold] (sources: {', '.join(sorted(replaced))}).")


def _expand(kind: str, paths: list[Path], country_codes: Path | None,
            ) -> tuple[list[Path], Path | None]:
    """Files to import: a directory stands for the release files in it (BACI_*.csv, and
    its country_codes_V*.csv unless one is given; or every Comtrade CSV/TXT)."""
    from critmin.errors import SourceFormatError

    out: list[Path] = []
    for path in map(Path, paths):
        if path.suffix == ".zip":
            msg = (f"{path} is a zip archive: unzip it and pass the folder or the "
                   f"{'BACI_*.csv' if kind == 'baci' else 'CSV'} files.")
            raise SourceFormatError(msg)
        if path.is_dir():
            patterns = (("BACI_*.csv", "BACI_*.csv.gz") if kind == "baci"
                        else ("*.csv", "*.csv.gz", "*.txt", "*.txt.gz"))
            found = sorted({f for pat in patterns for f in path.glob(pat)})
            if not found:
                raise SourceFormatError(f"{path} holds no {' or '.join(patterns)} files.")
            out.extend(found)
            tables = sorted(path.glob("country_codes_V*.csv"))
            if kind == "baci" and country_codes is None and tables:
                country_codes = tables[-1]
        else:
            out.append(path)
    return out, country_codes


@import_app.command("baci")
def import_baci(
    paths: Annotated[list[Path], typer.Argument(
        help="BACI_<HS>_Y<year>_V<version>.csv files, or the unzipped release folder.")],
    country_codes: Annotated[Path | None, typer.Option(
        help="The release's country_codes_V*.csv (default: the bundled V202501 table).")] = None,
    store: StoreOpt = None,
) -> None:
    """Add BACI year files (streamed through DuckDB) to the store's flows; a full year's
    observed flows then take precedence in baselines."""
    _import("baci", paths, store, country_codes)


@import_app.command("comtrade")
def import_comtrade(
    paths: Annotated[list[Path], typer.Argument(help="UN Comtrade bulk or API CSV files.")],
    store: StoreOpt = None,
) -> None:
    """Add UN Comtrade exports (mirror-reconciled) to the store's flows. Not redistributable:
    they never reach the snapshot."""
    _import("comtrade", paths, store)


__all__ = ["flows", "import_baci", "import_comtrade"]


