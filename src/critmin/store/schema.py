"""One registry of every stored column: name, dtype, unit, description.

Each table has a CSV under ``critmin/data/schema/<table>.csv`` with the header
``column,dtype,unit,description``. Validation, docs and API models derive from it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from critmin.config import DATA_DIR
from critmin.errors import SourceFormatError, UnknownNameError

SCHEMA_DIR = DATA_DIR / "schema"
DTYPES = {"string", "float64", "int64", "bool"}


class UnknownTableError(UnknownNameError):
    kind = "table"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    dtype: str
    unit: str
    description: str


@functools.cache
def schema(table: str) -> tuple[Column, ...]:
    """The declared columns of ``table``, in order."""
    path = SCHEMA_DIR / f"{table}.csv"
    if not path.exists():
        raise UnknownTableError(table, table_names())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = tuple(Column(r.column, r.dtype, r.unit, r.description) for r in frame.itertuples())
    bad = [c.name for c in cols if c.dtype not in DTYPES]
    if bad:
        raise ValueError(f"schema {path}: columns {bad} have a dtype outside {sorted(DTYPES)}")
    return cols


@functools.cache
def table_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SCHEMA_DIR.glob("*.csv")))


def units(table: str) -> dict[str, str]:
    return {c.name: c.unit for c in schema(table) if c.unit}


# Columns added after a table's first release, with the value that frames written before
# them (older stores, test fixtures, other writers) get: what the column meant then.
def _flows_coverage(frame: pd.DataFrame) -> object:
    if "source" not in frame.columns:
        return "reported"
    src = frame["source"].astype(str)
    return src.map(lambda s: ("exporters" if s.endswith("-extract") else "complete")
                   if s.startswith("baci-") else "reported")


def _flows_quantity_method(frame: pd.DataFrame) -> object:
    if "quantity_gross_t" not in frame.columns:
        return ""
    return frame["quantity_gross_t"].notna().map({True: "reported", False: ""})


LATER_COLUMNS: dict[str, dict[str, Callable[[pd.DataFrame], object]]] = {
    # before the coverage column, a BACI file was a full year or an extract
    "flows": {"coverage": _flows_coverage, "quantity_method": _flows_quantity_method},
}


def conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the declared columns, in order, cast to the declared dtypes.

    Raises SourceFormatError when a declared column is missing or will not cast.
    """
    cols = schema(table)
    later = {k: fn(frame) for k, fn in LATER_COLUMNS.get(table, {}).items()
             if k not in frame.columns}
    if later:
        frame = frame.assign(**later)
    missing = [c.name for c in cols if c.name not in frame.columns]
    if missing:
        msg = f"table {table!r}: missing column(s) {missing}; have {list(frame.columns)}"
        raise SourceFormatError(msg)
    out = pd.DataFrame(index=frame.index)
    for c in cols:
        s = frame[c.name]
        try:
            if c.dtype == "string":
                out[c.name] = s.astype("string")
            elif c.dtype == "float64":
                out[c.name] = pd.to_numeric(s, errors="raise").astype("float64")
            elif c.dtype == "int64":
                out[c.name] = pd.to_numeric(s, errors="raise").astype("int64")
            else:
                out[c.name] = s.astype("bool")
        except (ValueError, TypeError) as exc:
            raise SourceFormatError(f"table {table!r}: column {c.name!r} is not {c.dtype}: {exc}") from exc
    out = out.reset_index(drop=True)
    out.attrs["units"] = units(table)
    return out
