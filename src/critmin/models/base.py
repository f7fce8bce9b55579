"""The model contract every critmin model keeps (STYLE.md §2).

A model is a frozen dataclass whose constructor takes parameters with defaults and whose
one method ``solve(baseline, scenario) -> Result`` returns a new value; nothing is staged,
so call order never matters. A :class:`Result` is frozen too:

- ``tables``: named long DataFrames. Every float column carries its unit in its name
  (:data:`UNITS`: ``_t``, ``_usd``, ``_share``, ``_usd_per_t``...), optionally followed by a
  qualifier (:data:`QUALIFIERS`: ``_baseline``, ``_p05``...). Other columns are keys.
- ``tidy()``: one long table of every number (``table``, keys..., ``variable``, ``value``,
  ``unit``).
- ``summary()``: text a briefing can quote.
- ``diagnostics``: :class:`Diagnostics`, numbers (iterations, residual, objective) and a
  status from :class:`Status`.
- ``provenance``: one mapping per input, each with at least ``source`` and ``used_for``.

Models read no files and format no output: JSON, CSV and Markdown are written by
:mod:`critmin.reports`. :class:`ModelSpec` names a model for the scenario language
(``model: pe``) and lists the shocks it can express.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from critmin.errors import InvalidParameterError

if TYPE_CHECKING:  # pandas stays out of `critmin --help`
    import pandas as pd

#: Unit suffixes of numeric columns, longest first when matched. Add a unit here, once.
UNITS: Mapping[str, str] = MappingProxyType({
    "_usd_per_t": "USD/t",
    "_usd_per_kwh": "USD/kWh",
    "_t_per_gwh": "t/GWh",
    "_t_per_unit": "t/unit",
    "_usd": "USD",
    "_t": "t",
    "_gwh": "GWh",
    "_units": "units",
    "_share": "share (0-1)",
    "_hhi": "HHI (0-10,000)",
    "_km": "km",
    "_ratio": "ratio",
    "_elasticity": "elasticity",
    "_index": "index",
    "_count": "count",
    "_quantity": "the row's unit (see its unit column)",
    "_coef": "coefficient (units of the model's equation)",
})
#: Qualifiers that may follow a unit suffix: ``flow_t_baseline``, ``price_change_share_p95``.
QUALIFIERS = ("_baseline", "_scenario", "_observed", "_published", "_computed", "_low",
              "_central", "_high", "_mean", "_sd", r"_p\d{2}")
_QUALIFIER_RE = re.compile("(" + "|".join(QUALIFIERS) + ")+$")
#: Columns whose name is their unit (HHI is dimensionless, 0-10,000, by convention).
BARE_UNITS: Mapping[str, str] = MappingProxyType({"hhi": "HHI (0-10,000)",
                                                  "value": "see unit column"})


def unit_of(column: str) -> str:
    """The unit a column's name declares.

    Raises
    ------
    InvalidParameterError
        The name carries no known unit suffix.

    Examples
    --------
    >>> unit_of("flow_t_baseline"), unit_of("price_usd_per_t"), unit_of("hhi")
    ('t', 'USD/t', 'HHI (0-10,000)')
    """
    if column in BARE_UNITS:
        return BARE_UNITS[column]
    stem = _QUALIFIER_RE.sub("", column)
    for suffix, unit in UNITS.items():
        if stem.endswith(suffix) or stem == suffix[1:]:
            return unit
    msg = (f"column {column!r} has no unit in its name. End numeric columns with one of "
           f"{', '.join(UNITS)} (a qualifier such as _baseline or _p95 may follow), "
           f"or add the unit to critmin.models.base.UNITS.")
    raise InvalidParameterError(msg)


class Status(StrEnum):
    """How a solve ended (linopy's ``TerminationCondition``, trimmed)."""

    OPTIMAL = "optimal"            # an optimiser proved optimality
    CONVERGED = "converged"        # an equilibrium solver met its tolerance
    BASELINE = "baseline"          # nothing to solve: the scenario changes nothing
    INFEASIBLE = "infeasible"
    ITERATION_LIMIT = "iteration_limit"
    TIME_LIMIT = "time_limit"
    NOT_CONVERGED = "not_converged"

    @property
    def ok(self) -> bool:
        return self in (Status.OPTIMAL, Status.CONVERGED, Status.BASELINE)


@dataclass(frozen=True, slots=True)
class Diagnostics:
    """Numbers about a solve. ``parts`` holds the same per market or per draw.

    ``residual`` is the largest absolute violation of the model's equilibrium or
    feasibility conditions, in the units the model documents; NaN where not computed.
    """

    status: Status = Status.CONVERGED
    iterations: int = 0
    residual: float = 0.0
    objective: float = math.nan
    seconds: float = 0.0
    parts: Mapping[str, Mapping[str, float | int | bool | str]] = field(
        default_factory=lambda: MappingProxyType({}))
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "parts", MappingProxyType(
            {str(k): MappingProxyType(dict(v)) for k, v in dict(self.parts).items()}))
        for name in ("iterations",):
            object.__setattr__(self, name, int(getattr(self, name)))
        for name in ("residual", "objective", "seconds"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def converged(self) -> bool:
        return self.status.ok

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (status as its word, numbers as numbers)."""
        return {"status": str(self.status), "converged": self.converged,
                "iterations": self.iterations, "residual": _num(self.residual),
                "objective": _num(self.objective), "seconds": _num(self.seconds),
                "parts": {k: {kk: _num(vv) for kk, vv in v.items()} for k, v in self.parts.items()},
                "warnings": list(self.warnings)}


def _num(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


@dataclass(frozen=True, eq=False)
class Result:
    """What one scenario did, as a value every interface can read the same way.

    Parameters
    ----------
    model : str
        The model's name in the scenario language (``pe``, ``ge``, ``sourcing``, ``network``).
    scenario : str
        The scenario's name.
    tables : mapping of str to DataFrame
        Named long tables; units in numeric column names (:func:`unit_of`). Rows that are
        estimated rather than observed say so in a ``method`` or ``estimated`` column.
    diagnostics : Diagnostics
    provenance : tuple of mappings
        One per input: ``source`` and ``used_for`` at least (vintage, licence, file...).
    headline : tuple of str
        The model's own summary lines, most important first.
    parameters : mapping
        The model parameters the solve used (the non-default ones are in ``repr(model)``).
    """

    model: str
    scenario: str
    tables: Mapping[str, pd.DataFrame]
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    provenance: tuple[Mapping[str, Any], ...] = ()
    headline: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        object.__setattr__(self, "provenance", tuple(MappingProxyType(dict(p)) for p in self.provenance))
        object.__setattr__(self, "headline", tuple(self.headline))
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        for name, frame in self.tables.items():
            for column in measure_columns(frame):
                try:
                    unit_of(column)
                except InvalidParameterError as exc:
                    raise InvalidParameterError(f"{self.model} result table {name!r}: {exc}") from None
            for p in self.provenance:
                if "source" not in p or "used_for" not in p:
                    msg = f"{self.model} result provenance needs 'source' and 'used_for'. Got {dict(p)}."
                    raise InvalidParameterError(msg)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}[{len(v)}]" for k, v in self.tables.items())
        return (f"Result(model={self.model!r}, scenario={self.scenario!r}, {sizes}, "
                f"status={self.diagnostics.status})")

    def table(self, name: str) -> pd.DataFrame:
        """One named table (a copy); a clear error lists the names there are."""
        if name not in self.tables:
            msg = f"{self.model} result has no table {name!r}. Tables: {', '.join(self.tables)}."
            raise InvalidParameterError(msg)
        return self.tables[name].copy()

    def tidy(self) -> pd.DataFrame:
        """Every number of every table in one long frame.

        Columns: ``table``, the union of the tables' key columns, ``variable``, ``value``
        (float) and ``unit``.
        """
        import pandas as pd

        parts = []
        for name, frame in self.tables.items():
            measures = measure_columns(frame)
            if not measures or not len(frame):
                continue
            keys = [c for c in frame.columns if c not in measures]
            long = frame.melt(id_vars=keys, value_vars=measures, var_name="variable", value_name="value")
            long.insert(0, "table", name)
            long["unit"] = long["variable"].map({c: unit_of(c) for c in measures})
            parts.append(long)
        if not parts:
            return pd.DataFrame(columns=["table", "variable", "value", "unit"])
        out = pd.concat(parts, ignore_index=True, sort=False)
        front = ["table"] + [c for c in out.columns if c not in ("table", "variable", "value", "unit")]
        return out[[*front, "variable", "value", "unit"]]

    def summary(self) -> str:
        """Headline lines, then the solver's status in one line."""
        d = self.diagnostics
        lines = [f"{self.model} scenario {self.scenario!r}", *(f"  {h}" for h in self.headline)]
        for w in d.warnings:
            lines.append(f"  WARNING: {w}")
        lines.append(f"  solver: {d.status}, {d.iterations} iterations, residual {d.residual:.1e}")
        return "\n".join(lines)


def measure_columns(frame: pd.DataFrame) -> list[str]:
    """The numeric (float) columns of a table: the ones that must carry a unit."""
    return [c for c, dtype in frame.dtypes.items() if dtype.kind == "f"]


@runtime_checkable
class Model(Protocol):
    """A frozen model: parameters in the constructor, data in :meth:`solve`."""

    name: ClassVar[str]

    def solve(self, baseline: Any, scenario: Any) -> Result: ...


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model as the scenario language knows it.

    Parameters
    ----------
    name : str
        The ``model:`` word of scenario files.
    model : type
        The frozen model class.
    shocks : tuple of str
        Shock kinds (the scenario vocabulary) this model can express; any other is a clear
        error naming the model and this list.
    description : str
    """

    name: str
    model: type
    shocks: tuple[str, ...]
    description: str = ""


def non_default_repr(obj: Any) -> str:
    """``Class(a=1)`` listing only fields that differ from their defaults (scikit-learn)."""
    parts = []
    for f in fields(obj):
        if not f.repr:
            continue
        value = getattr(obj, f.name)
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            default = MISSING
        if default is not MISSING and _same(value, default):
            continue
        parts.append(f"{f.name}={value!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays compare element-wise
        return a is b


def bands(draws: Iterable[pd.DataFrame], keys: list[str], quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
          ) -> pd.DataFrame:
    """Per-key quantile bands of every float column over draws: ``x_p05``, ``x_p50``, ``x_p95``."""
    import pandas as pd

    stacked = pd.concat(list(draws), ignore_index=True)
    measures = measure_columns(stacked)
    grouped = stacked.groupby(keys, dropna=False, sort=False)[measures]
    out = []
    for q in quantiles:
        part = grouped.quantile(q)
        part.columns = [f"{c}_p{round(q * 100):02d}" for c in part.columns]
        out.append(part)
    return pd.concat(out, axis=1).reset_index()
