"""Builders of ``production``, ``reserves`` and ``capacity`` (USGS MCS 2023-2026 + BGS)
and of ``us_salient`` and ``us_nir`` (USGS salient statistics).

Load inputs (the publishers' files, with raw corrections applied as they are read) /
Process (country labels to ISO3 through :func:`critmin.countries.harmonise_countries`,
table corrections) / Save outputs (TableData with the Origin of every source).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources import bgs, usgs_salient, usgs_world
from critmin.sources.origin import Origin
from critmin.store import corrections
from critmin.store.build import BuildContext, Builder
from critmin.store.catalog import TableData
from critmin.countries import harmonise_countries

KEY = ["mineral", "stage", "basis", "country", "year", "edition", "source"]


def _harmonise(frame: pd.DataFrame, column: str, file: str) -> pd.DataFrame:
    out = harmonise_countries(frame, column, file)
    # BGS lists both "Germany" and "German Federal Republic" for 1990-91 (one of them
    # "Figures not available"): an empty row beside a filled one for the same key says
    # nothing, so it goes. Two filled rows are an error below.
    dup = out.duplicated(["table", *KEY], keep=False)
    empty = out["quantity_t"].isna() & out["flag"].isin(["NA"])
    out = out[~(dup & empty)].reset_index(drop=True)
    dupes = out[out.duplicated(["table", *KEY], keep=False)]
    if not dupes.empty:
        # Two published rows for one country on one basis: never sum or pick silently.
        sample = dupes[["table", *KEY, "label"]].head(10).to_string(index=False)
        raise SourceFormatError(f"{file}: {len(dupes)} rows share (table, mineral, stage, "
                                f"basis, country, year, edition):\n{sample}\nDeclare a "
                                "correction or a distinct basis in usgs_labels.yml.")
    return out


@functools.lru_cache(maxsize=2)
def _world(source_dir: Path) -> tuple[pd.DataFrame, tuple[Origin, ...], tuple[dict, ...]]:
    """USGS world tables and BGS series, harmonised, with the corrections applied.

    Cached per source directory so the three tables parse the files once per build.
    """
    clog = corrections.CorrectionLog()
    fix = corrections.raw_fixer(clog)
    usgs = usgs_world.parse_all(source_dir, fix)
    for edition in sorted(usgs_world.PATHS):
        corrections.check_all_applied(clog, usgs_world.PATHS[edition])
    frames = []
    for edition in sorted(usgs.frame["edition"].unique()):
        part = usgs.frame[usgs.frame["edition"] == edition]
        frames.append(_harmonise(part, "label", usgs_world.PATHS[int(edition)]))
    origins = list(usgs.origins)
    folder = Path(source_dir) / bgs.FOLDER
    if folder.is_dir():
        parsed = bgs.parse_bgs(folder, fix)
        corrections.check_all_applied(clog, "bgs/")
        frames.append(_harmonise(parsed.frame, "code", f"{bgs.FOLDER}/{bgs.PATTERN}"))
        origins.extend(parsed.origins)
    frame = pd.concat(frames, ignore_index=True)
    return frame, tuple(origins), tuple(clog.applied)


def _table(ctx: BuildContext, name: str) -> TableData:
    frame, origins, _ = _world(Path(ctx.source_dir).resolve())
    rows = frame[frame["table"] == name].copy()
    clog = corrections.CorrectionLog()
    rows = corrections.apply_table(name, rows, clog)
    rows = rows.sort_values(["mineral", "stage", "edition", "year", "country", "basis"])
    used = set(rows["source"])
    return TableData(name, rows, tuple(o for o in origins if o.source in used))


def build_production(ctx: BuildContext) -> TableData:
    """``production``: USGS MCS 2023-2026 world production tables and BGS 1971-2023, plus
    IEA base-year output where neither has a number for the mineral, stage and year
    (:func:`critmin.store.builders.iea.iea_production_rows`)."""
    from critmin.store.builders.iea import iea_production_rows

    table = _table(ctx, "production")
    iea, origins = iea_production_rows(Path(ctx.source_dir), table.frame)
    if iea.empty:
        return table
    frame = pd.concat([table.frame, iea[list(table.frame.columns)]], ignore_index=True)
    return TableData("production", frame, (*table.origins, *origins))


def build_reserves(ctx: BuildContext) -> TableData:
    """``reserves``: USGS MCS 2023-2026 reserves by country."""
    return _table(ctx, "reserves")


def build_capacity(ctx: BuildContext) -> TableData:
    """``capacity``: USGS MCS plant, refinery and smelter capacity by country."""
    return _table(ctx, "capacity")


def applied_corrections(source_dir: Path) -> pd.DataFrame:
    """The raw corrections a build from ``source_dir`` applies (for reports and tests)."""
    _, _, applied = _world(Path(source_dir).resolve())
    return corrections.CorrectionLog(list(applied)).frame()


@functools.lru_cache(maxsize=2)
def _salient(source_dir: Path):  # type: ignore[no-untyped-def]
    clog = corrections.CorrectionLog()
    parsed = usgs_salient.parse_salient(source_dir, corrections.raw_fixer(clog))
    for folder in (*usgs_salient.SALIENT_DIRS.values(), usgs_salient.MCS2026):
        corrections.check_all_applied(clog, folder)
    return parsed, tuple(clog.applied)


def build_us_salient(ctx: BuildContext) -> TableData:
    """``us_salient``: US salient statistics, MCS 2023-2026, long format."""
    parsed, _ = _salient(Path(ctx.source_dir).resolve())
    frame = corrections.apply_table("us_salient", parsed.frame, corrections.CorrectionLog())
    frame = frame.sort_values(["mineral", "edition", "statistic", "year"])
    return TableData("us_salient", frame, parsed.origins)


def build_us_nir(ctx: BuildContext) -> TableData:
    """``us_nir``: US net import reliance (0-1 share with bound), all MCS tables."""
    parsed, _ = _salient(Path(ctx.source_dir).resolve())
    nir = usgs_salient.parse_nir(Path(ctx.source_dir), parsed)
    frame = corrections.apply_table("us_nir", nir.frame, corrections.CorrectionLog())
    frame = frame.sort_values(["mineral", "year", "edition", "source"])
    return TableData("us_nir", frame, nir.origins)


def build_corrections(ctx: BuildContext) -> TableData:
    """``corrections``: every declared correction the build applied, with its reason."""
    source_dir = Path(ctx.source_dir).resolve()
    applied = list(_world(source_dir)[2]) + list(_salient(source_dir)[1])
    rows, seen = [], set()
    for rec in applied:
        key = (rec["id"], rec["target"])
        if key in seen:  # the MCS 2026 file is read by both the world and salient parsers
            continue
        seen.add(key)
        rows.append({"id": rec["id"], "target": rec["target"], "rows": rec["rows"],
                     "change": json.dumps(rec["set"], ensure_ascii=False, default=str),
                     "before": json.dumps(rec["before"], ensure_ascii=False, default=str),
                     "reason": rec["reason"], "status": rec["status"],
                     "source": CORRECTIONS_SOURCE})
    files = sorted(corrections.CORRECTIONS_DIR.glob("*.yml"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()
    origin = Origin(CORRECTIONS_SOURCE, "critmin",
                    "Declared corrections of upstream errors (critmin/data/corrections)",
                    "0.1.0", "critmin/data/corrections", "Apache-2.0", digest,
                    ", ".join(p.name for p in files))
    frame = pd.DataFrame(rows, columns=["id", "target", "rows", "change", "before", "reason",
                                        "status", "source"])
    return TableData("corrections", frame.sort_values(["target", "id"]), (origin,))


CORRECTIONS_SOURCE = "critmin-corrections"

BUILDERS = (
    Builder("production", build_production),
    Builder("reserves", build_reserves),
    Builder("capacity", build_capacity),
    Builder("us_salient", build_us_salient),
    Builder("us_nir", build_us_nir),
    Builder("corrections", build_corrections, requires=("production", "us_salient")),
)
