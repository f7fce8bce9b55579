"""Any model's :class:`~critmin.models.base.Result` as one JSON document, CSV files or
tables for people. Formats, never computes: the CLI (``critmin run``) and the REST API
call these functions.

The JSON document::

    {"model": "pe", "scenario": "...", "tables": {"flows": [{...}, ...], ...},
     "summary": "...", "diagnostics": {"status": "converged", "iterations": 7, ...},
     "provenance": [{"source": "...", "used_for": "..."}, ...], "parameters": {...}}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from critmin.models.base import Result

#: Keys of the document, in order.
DOCUMENT_KEYS = ("model", "scenario", "tables", "summary", "diagnostics", "provenance", "parameters")


def clean(value: Any) -> Any:
    """A JSON-ready value: NaN, NA and infinities become None, numpy scalars Python ones."""
    import pandas as pd

    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return clean(value.item())
    return value


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records."""
    return [{str(k): clean(v) for k, v in r.items()} for r in frame.to_dict("records")]


def result_document(result: Result) -> dict[str, Any]:
    """The one JSON document of a result (see the module docstring)."""
    return {
        "model": result.model,
        "scenario": result.scenario,
        "tables": {name: rows(frame) for name, frame in result.tables.items()},
        "summary": result.summary(),
        "diagnostics": clean(result.diagnostics.as_dict()),
        "provenance": [clean(dict(p)) for p in result.provenance],
        "parameters": clean(dict(result.parameters)),
    }


def dumps(doc: Mapping[str, Any]) -> str:
    """``doc`` as indented JSON (strict: no NaN)."""
    return json.dumps(clean(doc), indent=2, allow_nan=False, ensure_ascii=False)


def write_result(result: Result, out: str | Path) -> list[Path]:
    """One CSV per table, ``tidy.csv`` and ``result.json`` in ``out``; the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in result.tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    result.tidy().to_csv(out / "tidy.csv", index=False)
    (out / "result.json").write_text(dumps(result_document(result)) + "\n", encoding="utf-8")
    return [*written, out / "tidy.csv", out / "result.json"]


def sources_line(result: Result) -> str:
    """``Sources: a (vintage); b`` for the foot of a table."""
    seen = sorted({f"{p.get('source')} ({p['vintage']})" if p.get("vintage") else str(p.get("source"))
                   for p in result.provenance})
    return "Sources: " + "; ".join(seen)


#: model -> module whose ``views(result)`` lists the tables `critmin run` prints.
VIEWS = {"pe": "critmin.reports.scenario", "ge": "critmin.reports.gravity",
         "sourcing": "critmin.reports.sourcing"}


def views(result: Result) -> list[tuple[str, pd.DataFrame]]:
    """Titled tables for people: the model's own selection, else every table."""
    import importlib

    module = VIEWS.get(result.model)
    if module is not None:
        return importlib.import_module(module).views(result)
    return [(f"{result.scenario}: {name}", frame) for name, frame in result.tables.items()]
