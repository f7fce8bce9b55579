"""Build the store from raw release files or from the bundled snapshot.

Each module in :mod:`critmin.store.builders` declares ``BUILDERS``: one
:class:`Builder` per table, naming the tables it needs first. The build runs them in
dependency order and writes the store atomically (:func:`critmin.store.catalog.write_store`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from critmin.config import SNAPSHOT_DIR
from critmin.errors import SourceFormatError, StoreError
from critmin.sources.origin import Origin
from critmin.store import builders as builders_pkg
from critmin.store.catalog import PROVENANCE_COLUMNS, Store, TableData, write_store

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class BuildContext:
    """What a builder sees: the raw-file directory and the tables built before it."""

    source_dir: Path
    tables: dict[str, TableData] = field(default_factory=dict)

    def path(self, relative: str) -> Path:
        return self.source_dir / relative


@dataclass(frozen=True, slots=True)
class Builder:
    table: str
    build: Callable[[BuildContext], TableData]
    requires: tuple[str, ...] = ()


def builders() -> list[Builder]:
    """Every declared builder, in dependency order."""
    found: dict[str, Builder] = {}
    for info in sorted(pkgutil.iter_modules(builders_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{builders_pkg.__name__}.{info.name}")
        for b in getattr(module, "BUILDERS", ()):
            if b.table in found:
                raise StoreError(f"two builders declare table {b.table!r}")
            found[b.table] = b
    ordered: list[Builder] = []
    done: set[str] = set()

    def visit(b: Builder, stack: tuple[str, ...]) -> None:
        if b.table in done:
            return
        if b.table in stack:
            raise StoreError(f"builders form a cycle: {' -> '.join((*stack, b.table))}")
        for need in b.requires:
            if need not in found:
                raise StoreError(f"builder {b.table!r} needs table {need!r}, which no builder makes")
            visit(found[need], (*stack, b.table))
        done.add(b.table)
        ordered.append(b)

    for b in found.values():
        visit(b, ())
    return ordered


def build_tables(source_dir: Path, *, only: Iterable[str] | None = None,
                 progress: Progress | None = None) -> list[TableData]:
    """Parse and harmonise every table from the raw files in ``source_dir``."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        # A wrong path is bad input (exit 2), not a broken store.
        raise SourceFormatError(
            f"--source-dir {source_dir} is not a directory. Give the folder that holds the raw "
            "release files (the layout of ../shared/data, see SOURCES.md), or omit --source-dir "
            "to build from the bundled snapshot.")
    plan = builders()
    if only is not None:
        wanted = set(only)
        plan = [b for b in plan if b.table in wanted or _needed_by(b.table, wanted, plan)]
    ctx = BuildContext(source_dir)
    for i, b in enumerate(plan):
        if progress:
            progress(b.table, i, len(plan))
        ctx.tables[b.table] = b.build(ctx)
    if progress:
        progress("done", len(plan), len(plan))
    return list(ctx.tables.values())


def _needed_by(table: str, wanted: set[str], plan: list[Builder]) -> bool:
    by_name = {b.table: b for b in plan}
    stack = list(wanted)
    seen: set[str] = set()
    while stack:
        t = stack.pop()
        if t in seen or t not in by_name:
            continue
        seen.add(t)
        if table in by_name[t].requires:
            return True
        stack.extend(by_name[t].requires)
    return False


def build_store(store_path: Path, source_dir: Path | None = None, *,
                snapshot_dir: Path = SNAPSHOT_DIR,
                progress: Progress | None = None) -> Path:
    """Build the store at ``store_path`` from ``source_dir``, or from the snapshot if None."""
    if source_dir is not None:
        tables = build_tables(source_dir, progress=progress)
    else:
        tables = read_snapshot(snapshot_dir, progress=progress)
    return write_store(store_path, tables)


# --- the bundled snapshot -------------------------------------------------------------

def read_snapshot(snapshot_dir: Path = SNAPSHOT_DIR, *,
                  progress: Progress | None = None) -> list[TableData]:
    """Tables from the bundled Parquet snapshot, with their recorded provenance."""
    prov_path = snapshot_dir / "provenance.parquet"
    if not prov_path.exists():
        raise StoreError(f"No snapshot at {snapshot_dir}: {prov_path.name} is missing.")
    prov = pd.read_parquet(prov_path)
    files = sorted(p for p in snapshot_dir.glob("*.parquet") if p.stem != "provenance")
    out = []
    for i, path in enumerate(files):
        if progress:
            progress(path.stem, i, len(files))
        frame = pd.read_parquet(path)
        rows = prov[prov["table"] == path.stem]
        origins = tuple(
            Origin(**{k: r[k] for k in Origin.__slots__})  # type: ignore[attr-defined]
            for r in rows.to_dict("records"))
        out.append(TableData(path.stem, frame, origins))
    if progress:
        progress("done", len(files), len(files))
    return out


def export_snapshot(store: Store, out_dir: Path = SNAPSHOT_DIR) -> pd.DataFrame:
    """Write the redistributable rows of every table to Parquet; return the provenance.

    Rows whose source is not openly licensed (UN Comtrade, Harvard Atlas) are left out:
    they are only ever built from the user's own source directory.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.parquet"):
        old.unlink()
    prov = store.provenance()
    keep = prov[prov["redistributable"]]
    rows = []
    for table in store.tables():
        open_sources = keep.loc[keep["table"] == table, "source"].tolist()
        frame = store.table(table)
        if "source" in frame.columns:
            frame = frame[frame["source"].isin(open_sources)]
        elif not open_sources:
            continue
        if frame.empty:
            continue
        frame.reset_index(drop=True).to_parquet(out_dir / f"{table}.parquet",
                                                compression="zstd", index=False)
        for r in keep[keep["table"] == table].to_dict("records"):
            n = int((frame["source"] == r["source"]).sum()) if "source" in frame else len(frame)
            rows.append({**r, "rows": n})
    provenance = pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS))
    provenance.to_parquet(out_dir / "provenance.parquet", index=False)
    (out_dir / "NOTICE.md").write_text(notice_text(provenance))
    return provenance


def notice_text(provenance: pd.DataFrame) -> str:
    """The NOTICE listing source, vintage and licence of every bundled table."""
    lines = ["# Bundled snapshot: sources and licences", "",
             "Derived by `critmin data snapshot` from the publishers' files listed below.",
             "Values are as published, after the unit conversions and corrections documented",
             "in `critmin/data/`. Each row of each table names its source in `source`.", ""]
    for table, group in provenance.groupby("table", sort=True):
        lines.append(f"## {table}")
        for r in group.sort_values("source").to_dict("records"):
            lines.append(f"- `{r['source']}`: {r['publisher']}, *{r['title']}*, vintage "
                         f"{r['vintage']}, licence {r['licence']}; {r['url']} "
                         f"(file {r['file']}, sha256 {r['sha256'][:12]}…; {r['rows']} rows)")
        lines.append("")
    return "\n".join(lines)
