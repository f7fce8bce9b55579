"""Basket HS codes: one code, several minerals, never two findings.

Store-facing (called by :func:`critmin.metrics.queries.exposure`). HS 811292 (unwrought
gallium, germanium, hafnium, indium, niobium, rhenium, vanadium) and heading 8112 (the
same plus beryllium, chromium, thallium and articles) are counted whole under each mineral
they may hold (``hs_shared`` in the flows, see ``data/mappings/hs_codes.yml``). Read as
they are, the exposure of the United States to gallium and to germanium would be the same
numbers twice. This module decides, per row resting on such a code, what the supplier
figures mean (``split_method``):

``usgs-import-sources``
    the United States, a year inside the period of the USGS import-source table (MCS 2026:
    2021-24) and a USGS table for the mineral at the row's stage (e.g. gallium metal;
    germanium metal): the supplier figures (``n_sources``, ``top_source``,
    ``top_source_share``, ``source_hhi``, ``against_share``) are replaced by USGS's shares
    of the mineral's own US imports, a 2021-24 average by quantity, which is the mineral's
    split of the basket. "Other countries" counts in the total but is never a supplier,
    so the HHI is a lower bound. ``low_governance_share`` and ``outside_bloc_share`` are
    left null: they were the basket's.
``none: basket``
    no defensible split: the row keeps the basket's figures and says so in ``basket``
    (the code and every mineral it holds). Two minerals' rows with the same figures are
    then one finding, labelled as such.

Evidence considered and not used (see the issue-10 note): China's monthly exports in
``comtrade/china_exports_monthly_qennis`` are staged at HS6 (811292) and as one
"Gallium/Germanium" group, not by 8-digit line, so they cannot split the basket; production
shares would split by tonnage of metal produced, not by what the unit imports.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from critmin.vocab import hs_mapping

USGS_SPLIT = "usgs-import-sources"
NO_SPLIT = "none: basket"
SPLIT_COLUMNS = ("n_sources", "top_source", "top_source_share", "source_hhi",
                 "against_share")
BASKET_NULLED = ("low_governance_share", "outside_bloc_share", "wgi_coverage_share")
PSEUDO = {"OTH", "WLD"}


def basket_of(mineral: str, stage: str, codes: list[str]) -> str:
    """``"HS 811292 (gallium, germanium, ...)"`` for the shared codes of a row."""
    table = _shared_table()
    parts = []
    for code in sorted(set(codes)):
        holders = sorted({mineral, *table.get((mineral, stage, code), ())})
        parts.append(f"HS {code} ({', '.join(holders)})")
    return "; ".join(parts)


def _shared_table() -> dict[tuple[str, str, str], tuple[str, ...]]:
    out: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for e in hs_mapping():
        for code in (e.code, e.hs92, e.hs22):
            if code:
                out[(e.mineral, e.stage.value, code)] = e.shared_with
    return out


def _period(text: object) -> tuple[int, int] | None:
    m = re.match(r"^\s*(\d{4})\s*[-\u2013]\s*(\d{2,4})\s*$", str(text))
    if not m:
        return None
    a, b = int(m.group(1)), m.group(2)
    return a, int(b) if len(b) == 4 else (a // 100) * 100 + int(b)


def usgs_split(sources: pd.DataFrame, mineral: str, stage: str, year: int,
               against: str) -> dict[str, Any] | None:
    """Supplier figures of ``mineral`` from the USGS import-source table, or None.

    ``sources`` are the store's ``us_import_sources`` rows (``mineral, stage, form,
    all_forms, country, share, period, source``). The table for the row's stage is used,
    else the all-forms table; the year must lie in the table's period.
    """
    rows = sources[sources["mineral"] == mineral]
    if rows.empty:
        return None
    pick = rows[rows["stage"] == stage]
    if pick.empty:
        pick = rows[rows["all_forms"].fillna(False).astype(bool)]
    if pick.empty or pick["form"].nunique() != 1:
        return None
    span = _period(pick["period"].iloc[0])
    if span is None or not span[0] <= int(year) <= span[1]:
        return None
    shares = pick[["country", "share"]].dropna()
    named = shares[~shares["country"].isin(PSEUDO)].sort_values(
        ["share", "country"], ascending=[False, True])
    if named.empty:
        return None
    return {
        "n_sources": int(len(named)),
        "top_source": str(named["country"].iloc[0]),
        "top_source_share": float(named["share"].iloc[0]),
        "source_hhi": float(10_000.0 * (named["share"] ** 2).sum()),
        "against_share": float(named.loc[named["country"] == against, "share"].sum()),
        "method_note": (f"USGS import sources {pick['period'].iloc[0]} "
                        f"({pick['form'].iloc[0]}; {pick['source'].iloc[0]}): the mineral's "
                        "own share of US imports by source, a period average"),
    }


def label_baskets(out: pd.DataFrame, store: Any, members: tuple[str, ...]) -> pd.DataFrame:
    """``out`` with ``basket`` and ``split_method`` on every row; rows of a basket code
    split where the evidence allows (see the module docstring)."""
    out = out.copy()
    out["basket"] = None
    out["split_method"] = None
    if out.empty or "shared_hs_code" not in out.columns:
        return out
    shared = out["shared_hs_code"].fillna(False).astype(bool)
    if not shared.any():
        return out
    minerals = sorted(set(out.loc[shared, "mineral"]))
    codes = store.sql(
        "SELECT DISTINCT mineral, stage, year, source, hs_code FROM flows WHERE hs_shared "
        "AND mineral IN (" + ", ".join("?" * len(minerals)) + ")", minerals)
    by = {k: g for k, g in codes.groupby(["mineral", "stage", "year"])}
    sources = store.table("us_import_sources") if members == ("USA",) and \
        store.has_table("us_import_sources") else None
    against = str(out["against"].iloc[0]) if "against" in out.columns else "CHN"
    for i in out.index[shared]:
        m, st, yr = out.at[i, "mineral"], out.at[i, "stage"], int(out.at[i, "year"])
        rows = by.get((m, st, yr))
        used = set(str(out.at[i, "flow_source"] or "").split(", ")) \
            if "flow_source" in out.columns else set()
        if rows is not None and used & set(rows["source"]):
            rows = rows[rows["source"].isin(used)]
        out.at[i, "basket"] = basket_of(
            m, st, [] if rows is None else rows["hs_code"].astype(str).tolist())
        split = usgs_split(sources, m, st, yr, against) if sources is not None else None
        if split is None:
            out.at[i, "split_method"] = NO_SPLIT
            continue
        for c in SPLIT_COLUMNS:
            out.at[i, c] = split[c]
        for c in BASKET_NULLED:
            if c in out.columns:
                out.at[i, c] = np.nan
        out.at[i, "split_method"] = f"{USGS_SPLIT}: {split['method_note']}"
    return out
