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
EXPOSURE_COLUMNS = ["unit", "mineral", "stage", "year", "flow_basis", "share_measure",
                    "import_reliance_share", "against_share", "top_source",
                    "top_source_share", "source_hhi", "n_sources", "outside_bloc_share",
                    "low_governance_share", "estimated_share", "coverage_share",
                    "reported_by", "shared_hs_code", "basket", "split_method",
                    "import_reliance_source", "import_reliance_bound", "production_stage",
                    "flow_source", "note"]
# The terminal view of the exposure table: short headers and flags; the CSV and JSON keep
# every column and the full ``note``.
BASIS_SHORT = {"observed": "obs", "completed baseline": "base",
               "observed, partial; shares withheld": "held", "observed, partial": "part"}
VIEW_COLUMNS = {"unit": "unit", "mineral": "mineral", "stage": "stage", "year": "year",
                "basis": "basis", "import_reliance_share": "IR",
                "against_share": "vs", "top_source": "top", "top_source_share": "top_sh",
                "source_hhi": "HHI", "estimated_share": "est", "coverage_share": "cov",
                "flags": "flags"}


def concentration_ranking(store: Store, n: int = 15) -> MetricResult:
    """The ``n`` most concentrated mineral-stages, by HHI in their latest year.

    Only mineral-stages with data in the last :data:`RECENT_YEARS` years of the store and
    with a published world total or at least two producers are ranked (a lone reporting
    country is not evidence of a monopoly).
    """
    res = queries.concentration(store, credible_only=True)
    frame = queries.latest_rows(res.frame, recent_years=RECENT_YEARS)
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
            # one query per unit for every mineral: the store is opened once, not per
            # mineral; latest=True completes (baseline) only the rows the table shows
            res = queries.exposure(store, name, mineral=list(minerals), against=against,
                                   latest=True)
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
            extra = _coverage_note(frame)
            frame["note"] = frame["note"].where(
                extra == "", frame["note"].str.cat(extra, sep="; ").str.strip("; "))
            rows.append(frame)
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    frame = frame.reindex(columns=EXPOSURE_COLUMNS)
    frame["year"] = frame["year"].astype("Int64")
    unique = {tuple(sorted(p.items())): p for p in provenance}
    title = f"Exposure to {against} and concentrated suppliers"
    return MetricResult(frame, list(unique.values()),
                        {"title": title, "against": against, "members": members})


def _coverage_note(frame: pd.DataFrame) -> pd.Series:
    """What the basis note does not say: one supplier in observed data, or a code shared by
    several minerals (the whole HS code is counted for each)."""
    notes = pd.Series("", index=frame.index)
    if "n_sources" in frame and "flow_basis" in frame:
        one = (frame["n_sources"].fillna(99) <= 1) & (frame["flow_basis"] == "observed")
        notes = notes.where(~one, "one supplier in the data: coverage may be partial")
    if "shared_hs_code" in frame:
        shared = frame["shared_hs_code"].fillna(False).astype(bool)
        notes = notes.where(~shared, (notes + "; ").str.lstrip("; ")
                            + "HS code shared with other minerals")
    return notes


def exposure_view(frame: pd.DataFrame, against: str = "CHN") -> tuple[pd.DataFrame, str]:
    """The exposure table for a terminal: short headers, a short ``basis`` code and
    ``flags`` instead of the full ``note`` (kept in the CSV and JSON), and a legend.

    Returns
    -------
    view, legend
        The table to print and the text that explains its codes.
    """
    view = frame.copy()
    view["basis"] = view["flow_basis"].map(BASIS_SHORT) if "flow_basis" in view else None
    view["flags"] = [_flags(r) for r in view.to_dict("records")]
    view = view.reindex(columns=list(VIEW_COLUMNS))
    view = view.rename(columns={**VIEW_COLUMNS, "against_share": against})
    legend = ("basis: obs = the release records the unit's own imports; base = completed "
              "baseline (observed cells kept, the rest estimated; figures in tonnes); held = "
              "imports only partly recorded and no baseline, supplier shares withheld. "
              f"IR import reliance; {against} share of imports from {against}; "
              "top_sh share of the top supplier; HHI of suppliers (0-10,000); est share of "
              "imports estimated; cov share observed. flags: X-only = the release holds "
              "only X's reported trade; extract = an exporter extract; basket = the figures "
              "are those of an HS code shared with other minerals (the same for each of "
              "them); split:USGS = supplier shares of the mineral itself from the USGS "
              "import-source table; IR:USGS = import reliance as published by USGS "
              "(trade in value only or a basket); mine, refinery = supply bounded by that stage's "
              "production; 1 supplier; no baseline. Full notes in the CSV/JSON.")
    return view, legend


def _flags(row: dict) -> str:
    out = []
    note = str(row.get("note") or "")
    basis = row.get("flow_basis")
    who = row.get("reported_by")
    if isinstance(basis, str) and basis != "observed":
        out.append(f"{who}-only" if isinstance(who, str) and who not in ("", "*")
                   else "extract" if who == "" else "")
    if row.get("shared_hs_code") is True or row.get("shared_hs_code") == 1:
        split = str(row.get("split_method") or "")
        out.append("split:USGS" if split.startswith("usgs") else "basket")
    if str(row.get("import_reliance_source") or "").startswith("USGS"):
        out.append("IR:USGS")
    pst = row.get("production_stage")
    if isinstance(pst, str) and pst != row.get("stage"):
        out.append(pst)
    if basis == "observed" and pd.notna(row.get("n_sources")) and row["n_sources"] <= 1:
        out.append("1 supplier")
    if basis == "observed, partial; shares withheld":
        out.append("no baseline")
    if not isinstance(basis, str):
        out.append(note)                  # rows without data: their note is short
    return " ".join(x for x in out if x)


def _is_bloc(name: str) -> bool:
    from critmin.blocs import blocs

    return name.strip().lower() in {b.lower() for b in blocs()}


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


def concentration_view(store: Store, mineral: str | None = None, *, stage: str | None = None,
                       year: int | None = None, series: str = "default",
                       latest: bool | None = None, share_of: str | None = None,
                       compare_stages: bool = False, all_groups: bool = False,
                       cr1_threshold: float = 0.65, hhi_threshold: float = 1800.0,
                       ) -> MetricResult:
    """What ``critmin concentration`` and ``GET /api/concentration`` show.

    With no mineral and no year (and ``latest`` unset) the latest year of each mineral-stage
    with data in the last :data:`RECENT_YEARS` years; ``latest=True`` the latest year of each
    mineral-stage; ``latest=False`` every year. ``share_of`` gives one country's share over
    time instead (needs ``mineral`` and ``stage``), ``compare_stages`` mining against
    processing. ``extra["title"]`` names the table.
    """
    from critmin.errors import InvalidParameterError
    from critmin.metrics.concentration import Thresholds

    if share_of is not None:
        if mineral is None or stage is None:
            raise InvalidParameterError(
                f"--share-of {share_of} needs a MINERAL and --stage, e.g. "
                f"`critmin concentration gallium --stage refinery --share-of {share_of}`.")
        res = queries.share_series(store, mineral, stage, share_of, series=series)
        res.extra["title"] = f"{share_of} share of world {mineral} ({stage})"
        return res
    if compare_stages:
        res = queries.stage_comparison(store, mineral, year=year, series=series)
        res.extra["title"] = "Mining versus processing concentration"
        return res
    res = queries.concentration(store, mineral, stage=stage, year=year, series=series,
                                thresholds=Thresholds(cr1_share=cr1_threshold, hhi=hhi_threshold),
                                credible_only=not all_groups)
    overview = latest is None and mineral is None and year is None
    if latest or overview:
        res.frame = queries.latest_rows(res.frame, per_source=series == "all",
                                        recent_years=RECENT_YEARS if overview else None)
    res.extra["title"] = ("Supply concentration" + (f": {mineral}" if mineral else "")
                          + (f", {stage}" if stage else "") + (f", {year}" if year else "")
                          + (" (latest year of each mineral-stage)" if overview else ""))
    return res
