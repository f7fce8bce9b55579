"""Concentration and exposure tables for the demo and for reports.

Formats only: every number comes from :mod:`critmin.metrics.queries`. Each function
returns a :class:`~critmin.metrics.queries.MetricResult` whose ``extra["title"]`` names
the table and whose ``provenance`` lists the source and vintage of every input;
:func:`to_text` renders one as a plain-text table with its sources.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from critmin.errors import CritminError
from critmin.metrics import queries
from critmin.metrics.queries import MetricResult
from critmin.store import Store

DEMO_MINERALS = ("gallium", "germanium", "antimony", "graphite", "rare_earths")
DEMO_IMPORTERS = ("USA", "IND", "ministerial-2026")
# The bloc of the Critical Minerals Ministerial of 4 February 2026 is named CMM2026 in
# critmin/data/blocs; the demo's name for it is accepted as an alias.
BLOC_ALIASES = {"ministerial-2026": "CMM2026"}
RECENT_YEARS = 5   # a mineral-stage whose latest data are older than this is not ranked

RANKING_COLUMNS = ["rank", "mineral", "stage", "year", "top_country", "cr1_share",
                   "cr3_share", "hhi", "hhi_wgi", "n_producers", "unattributed_share",
                   "cr1_flag", "hhi_flag", "source"]
EXPOSURE_COLUMNS = ["unit", "mineral", "stage", "year", "import_reliance_share",
                    "against_share", "top_source", "top_source_share", "source_hhi",
                    "n_sources", "outside_bloc_share", "low_governance_share",
                    "estimated_share", "flow_source", "note"]


def concentration_ranking(store: Store, n: int = 15) -> MetricResult:
    """The ``n`` most concentrated mineral-stages, by HHI in their latest year.

    Only mineral-stages with data in the last :data:`RECENT_YEARS` years of the store and
    with a published world total or at least two producers are ranked (a lone reporting
    country is not evidence of a monopoly).
    """
    res = queries.concentration(store, credible_only=True)
    frame = queries.latest_rows(res.frame)
    if not frame.empty:
        newest = int(frame["year"].max())
        frame = frame[frame["year"] > newest - RECENT_YEARS]
    frame = frame.sort_values(["hhi", "mineral", "stage"], ascending=[False, True, True])
    frame = frame.head(n).reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    title = f"The {len(frame)} most concentrated mineral-stages (HHI, latest year)"
    return MetricResult(frame[[c for c in RANKING_COLUMNS if c in frame.columns]],
                        res.provenance, {"title": title, **res.extra})


def exposure_table(store: Store, importers: Sequence[str] = DEMO_IMPORTERS,
                   minerals: Sequence[str] = DEMO_MINERALS, *,
                   against: str = "CHN") -> MetricResult:
    """Exposure of each importer or bloc for each mineral, in the latest year with flows.

    A mineral without trade flows in the store gets a row saying so (``note``) rather
    than stopping the table; an unknown importer or bloc is an error.
    """
    from critmin.vocab import group_members
    from critmin.vocab import mineral as vocab_mineral

    wanted = {}
    for m in minerals:
        info = vocab_mineral(m)
        wanted[m] = {info.id, *group_members(info.id)} if info.is_group else {info.id}
    rows: list[pd.DataFrame] = []
    provenance: list[dict] = []
    members: dict[str, list[str]] = {}
    if not store.has_table("flows"):
        frame = pd.DataFrame([{"unit": u, "mineral": m, "note": "no flows table in the store"}
                              for u in importers for m in minerals])
        return MetricResult(frame.reindex(columns=EXPOSURE_COLUMNS), [],
                            {"title": f"Exposure to {against}", "against": against,
                             "members": {}})
    for unit in importers:
        name = unit if _is_bloc(unit) else BLOC_ALIASES.get(unit, unit)
        try:
            # one query per unit for every mineral: the store is opened once, not per mineral
            res = queries.exposure(store, name, mineral=list(minerals), against=against)
        except CritminError as exc:
            if not _no_data(exc):
                raise
            rows += [pd.DataFrame([{"unit": unit, "mineral": m,
                                    "note": "no flows of this mineral in the store"}])
                     for m in minerals]
            continue
        provenance += res.provenance
        members[unit] = res.extra["members"]
        have = set(queries.flow_minerals(store))
        for m, ids in wanted.items():
            frame = queries.latest_rows(res.frame[res.frame["mineral"].isin(ids)])
            if frame.empty:
                note = (f"no flows to or from {unit}" if ids & have
                        else "no flows of this mineral in the store")
                frame = pd.DataFrame([{"mineral": m, "note": note}])
            frame = frame.assign(unit=unit)
            frame["note"] = frame["note"].fillna("") if "note" in frame else ""
            frame["note"] = frame["note"].where(frame["note"] != "", _coverage_note(frame))
            rows.append(frame)
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    frame = frame.reindex(columns=EXPOSURE_COLUMNS)
    frame["year"] = frame["year"].astype("Int64")
    unique = {tuple(sorted(p.items())): p for p in provenance}
    title = f"Exposure to {against} and concentrated suppliers"
    return MetricResult(frame, list(unique.values()),
                        {"title": title, "against": against, "members": members})


def _coverage_note(frame: pd.DataFrame) -> pd.Series:
    """Say so where the data can only be partial: one supplier, or a code shared by
    several minerals (the whole HS code is counted for each)."""
    notes = pd.Series("", index=frame.index)
    if "n_sources" in frame:
        one = frame["n_sources"].fillna(0) <= 1
        notes = notes.where(~one, "one supplier in the data: coverage may be partial")
    if "flows_of_one_country" in frame:
        one = frame["flows_of_one_country"]
        solo = one.notna() & ~frame["unit"].eq(one)
        notes = notes.where(~solo, (notes + "; ").str.lstrip("; ")
                            + "only " + one.fillna("").astype(str) + "'s reported trade")
    if "shared_hs_code" in frame:
        shared = frame["shared_hs_code"].fillna(False).astype(bool)
        notes = notes.where(~shared, (notes + "; ").str.lstrip("; ")
                            + "HS code shared with other minerals")
    return notes


def _is_bloc(name: str) -> bool:
    from critmin import blocs

    return name.strip().lower() in {b.lower() for b in blocs.blocs()}


def _no_data(exc: CritminError) -> bool:
    return isinstance(exc, (queries.NoMineralDataError, queries.NoYearDataError))


def to_text(result: MetricResult, width: int = 160) -> str:
    """A plain-text table of ``result`` followed by its sources."""
    from rich.console import Console
    from rich.table import Table

    frame = result.frame
    table = Table(title=result.extra.get("title") or None, header_style="bold")
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col]) \
            and not pd.api.types.is_bool_dtype(frame[col])
        table.add_column(str(col), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(table)
    srcs = sorted({f"{p.get('source')} ({p.get('vintage')})" for p in result.provenance})
    if srcs:
        console.print("Sources: " + "; ".join(srcs), soft_wrap=True)
    return console.export_text()


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3f}"
    return str(value)
