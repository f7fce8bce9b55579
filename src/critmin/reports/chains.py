"""Chain views and network results as documents and tables; formats, never computes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from critmin.models.base import Result

#: Tables of a network result, in the order a reader wants them.
SHOCK_TABLES = ("by_stage", "by_product", "by_country", "bottlenecks", "pass_through", "lost_output",
                "coefficients")


def chain_show(store: Any, chain_name: str, *, year: int | None = None, unit: str | None = None,
               source_dir: Path | None = None) -> dict[str, Any]:
    """Everything ``critmin chain show`` prints: the stage view, the single points of
    failure and, for a unit, where its dependence on one country is highest."""
    from critmin import blocs
    from critmin.chain_baseline import chain_baseline
    from critmin.chain_graph import chain
    from critmin.metrics.chains import stage_view, unit_view

    spec = chain(chain_name)
    base = chain_baseline(store, spec, year, source_dir=source_dir)
    view = stage_view(base)
    doc: dict[str, Any] = {
        "chain": spec.name, "title": spec.title, "year": base.year, "stages": view,
        "single_points_of_failure": view.loc[view["single_point_of_failure"], ["node", "stage", "top_country",
                                                                                "cr1_share"]],
        "run_time_sources": list(base.run_time_sources),
        "provenance": [dict(p) for p in base.provenance],
    }
    if unit:
        members = blocs.resolve(unit)
        uv = unit_view(base, members, unit)
        doc["unit"] = {"name": unit, "members": list(members)}
        doc["unit_view"] = uv
        doc["highest"] = uv.iloc[0].to_dict() if len(uv) else None
    return doc


def result_document(result: Result) -> dict[str, Any]:
    """One JSON-ready document: tables (with draws, also ``bands``: the ``*_bands`` tables
    under their base names), headline, diagnostics, parameters, provenance."""
    tables = {k: result.tables[k] for k in SHOCK_TABLES if k in result.tables}
    doc: dict[str, Any] = {"model": result.model, "scenario": result.scenario, "headline": list(result.headline),
                           "tables": tables}
    bands = {k[: -len("_bands")]: v for k, v in result.tables.items() if k.endswith("_bands")}
    if bands:
        doc["bands"] = bands
    doc.update({"diagnostics": result.diagnostics.as_dict(), "parameters": dict(result.parameters),
                "provenance": [dict(p) for p in result.provenance]})
    return doc


def views(result: Result) -> list[tuple[str, pd.DataFrame]]:
    """The tables `critmin run` prints for a network result (JSON and CSV carry all)."""
    out = []
    for name, title in (("by_stage", "lost output by stage (value)"), ("by_product", "lost final output"),
                        ("by_country", "lost final output by country"), ("bottlenecks", "binding constraints"),
                        ("pass_through", "cost pass-through to product prices"),
                        ("total_bands", "final output lost over draws"), ("by_product_bands", "products over draws")):
        if name in result.tables and len(result.tables[name]):
            frame = result.tables[name]
            if name == "by_country":
                frame = frame[frame["lost_usd"] > 0]
            out.append((f"{result.scenario}: {title}", frame))
    return out


def shown(frame: pd.DataFrame, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table for the terminal: fewer columns, shares as they are."""
    return frame.drop(columns=[c for c in drop if c in frame.columns])
