"""The JSON documents every interface returns: ``rows`` (or ``tables``) plus ``provenance``.

The CLI's ``--format json`` and the REST API serialise through these functions, so a
command and its route return the same document.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def clean(value: Any) -> Any:
    """A JSON-ready scalar: NaN, inf, NA and NaT become None, numpy scalars Python ones."""
    import pandas as pd

    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return clean(value.item())
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records: NaN and NA become null, numpy scalars become Python ones."""
    return [{str(k): clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def rows_document(frame: pd.DataFrame, provenance: Any = None,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"rows": [...], **extra, "provenance": [...]}``: the document of a table."""
    doc: dict[str, Any] = {"rows": records(frame)}
    doc.update(extra or {})
    doc["provenance"] = list(provenance) if provenance is not None else []
    return doc


def jsonable(doc: Any) -> Any:
    """``doc`` with DataFrames as records, paths as text and NaN as None, recursively."""
    return json.loads(dumps(doc, indent=None))


def dumps(doc: Any, indent: int | None = 2) -> str:
    """One JSON document; DataFrames become records, NaN becomes null."""
    import pandas as pd

    def default(o: Any) -> Any:
        if isinstance(o, pd.DataFrame):
            return records(o)
        if isinstance(o, Path):
            return str(o)
        if isinstance(o, (set, frozenset, tuple)):
            return list(o)
        return clean(o)

    return json.dumps(_finite(doc), indent=indent, default=default, allow_nan=False,
                      ensure_ascii=False)


def _finite(doc: Any) -> Any:
    """Plain floats that are NaN or inf become None (json.dumps does not call ``default``
    for floats)."""
    if isinstance(doc, float):
        return None if math.isnan(doc) or math.isinf(doc) else doc
    if isinstance(doc, dict):
        return {k: _finite(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_finite(v) for v in doc]
    return doc
