"""Structural-gravity baselines for ``model: ge`` scenarios, and their loader.

Two kinds: a store baseline (``baseline: {source: itpd-e, sector: manufacturing}``), the
:class:`critmin.ge_baseline.GEBaseline` of flows with the cost function estimated when the
store was built; or a :class:`GEPanel` read from a data file the scenario names (paths
already checked by the scenario loader): a panel of flows (``exporter, importer, year,
trade`` + the gravity variables the scenario derives) whose cost function the model
estimates. :func:`load_baseline` returns the one the scenario names, with the tariffs in
force. The model (:class:`critmin.models.ge.StructuralGravity`) reads nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from critmin.errors import ScenarioError, SourceFormatError, UnknownCountryError, UnknownYearError
from critmin.scenario.countries import REST
from critmin.scenario.ge import GEBaselineSpec, Indicator
from critmin.scenario.values import Scenario, Shock

_EXPR_OK = re.compile(r"^[\w\s\.\+\-\*/\(\)<>=!&|~,'\"\[\]]+$")


@dataclass(frozen=True, eq=False)
class GEPanel:
    """Flows and gravity variables of a data file, for the PPML and the GE.

    Parameters
    ----------
    frame : DataFrame
        ``exporter, importer, year, trade`` (flows at exporters' prices, intranational
        included) and the covariates.
    year : int
        The GE year.
    tariffs : tuple of Shock
        Tariffs in force in ``year`` that the flows were observed under (``rate``).
    provenance : tuple of mappings
        ``source`` and ``used_for`` at least.
    """

    frame: pd.DataFrame
    year: int
    tariffs: tuple[Shock, ...] = ()
    provenance: tuple[dict[str, Any], ...] = ()

    def __repr__(self) -> str:
        years = self.frame["year"].dropna()
        return (f"GEPanel({len(self.countries)} countries, {len(self.frame)} rows, "
                f"{int(years.min())}-{int(years.max())}, GE year {self.year})")

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.frame["exporter"]) | set(self.frame["importer"])))

    def within(self, chosen: tuple[str, ...] | None, what: str) -> tuple[str, ...]:
        """``chosen`` (None: every country) checked against the baseline's countries."""
        countries = self.countries
        if chosen is None:
            return countries
        for c in chosen:
            if c not in countries:
                hint = (f"({what}: not a country of this baseline"
                        + ("; it has no rest-of-world aggregate" if c == REST else "") + ")")
                raise UnknownCountryError(c, countries, hint)
        return chosen


def needs_store(scenario: Scenario) -> bool:
    spec = scenario.baseline
    return isinstance(spec, GEBaselineSpec) and spec.source is not None


def load_baseline(scenario: Scenario, store: Any = None) -> Any:
    """The baseline of a ``model: ge`` scenario: from the store, or read from its data file."""
    spec = scenario.baseline
    if not isinstance(spec, GEBaselineSpec) or (spec.data is None and spec.source is None):
        raise ScenarioError(f"scenario {scenario.name!r} has no GE baseline: give baseline.source "
                            "(a store baseline such as itpd-e) or baseline.data and baseline.year.")
    if spec.source is not None:
        if store is None:
            raise ScenarioError(f"scenario {scenario.name!r} reads its GE baseline from the store "
                                f"({spec.source}); build it with `critmin data build` or pass --store.")
        from dataclasses import replace

        from critmin.ge_baseline import load_ge_baseline

        base = load_ge_baseline(store, spec.source, spec.year, spec.sector)
        return replace(base, tariffs=spec.tariffs)
    return load_panel(scenario)


def load_panel(scenario: Scenario) -> GEPanel:
    """The panel of a ``model: ge`` scenario with ``baseline.data``."""
    spec = scenario.baseline
    from critmin.sources.origin import Origin, require_file, sha256_file

    data = spec.data
    if not data.file.is_file():
        raise SourceFormatError(
            f"baseline.data.file: data file not found: {data.file}. Paths with ${{CRITMIN_SOURCE_DIR}} resolve "
            "to CRITMIN_SOURCE_DIR or the shared/data folder beside the checkout; relative paths "
            "to the scenario's folder.")
    path = require_file(data.file, f"scenario {scenario.name!r} data")
    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{path}: cannot be read as CSV ({exc}).") from exc
    rename = {data.exporter: "exporter", data.importer: "importer", data.year: "year", data.trade: "trade"}
    missing = [c for c in rename if c not in frame.columns]
    if missing:
        raise SourceFormatError(f"{path}: column(s) {missing} not found (set baseline.data.exporter/"
                                f"importer/year/trade); columns are {list(frame.columns)}.")
    frame = frame.rename(columns=rename)
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    recode = dict(data.recode)
    for col in ("exporter", "importer"):
        frame[col] = frame[col].astype(str).str.strip().replace(recode)
    if data.years is not None:
        have = set(frame["year"].dropna().astype(int))
        absent = sorted(set(data.years) - have)
        if absent:
            raise UnknownYearError(absent[0], [str(y) for y in sorted(have)],
                                   f"(baseline.data.years of scenario {scenario.name!r})")
        frame = frame[frame["year"].isin(data.years)].reset_index(drop=True)
    have = sorted(set(frame["year"].dropna().astype(int)))
    if spec.year not in have:
        raise UnknownYearError(spec.year, [str(y) for y in have],
                               f"(baseline.year of scenario {scenario.name!r})")
    countries = sorted(set(frame["exporter"]) | set(frame["importer"]))
    for name, rule in spec.variables:
        frame[name] = _variable(frame, name, rule, countries)
    origin = dict(data.origin)
    o = Origin(source=origin.get("source", "user-data"), publisher=origin.get("publisher", ""),
               title=origin.get("title") or path.name, vintage=origin.get("vintage", ""),
               url=origin.get("url", ""), licence=origin.get("licence", ""), sha256=sha256_file(path),
               file=str(path))
    prov = {**o.to_dict(), "used_for": f"GE baseline flows and gravity variables ({path.name})"}
    return GEPanel(frame=frame, year=int(spec.year), tariffs=spec.tariffs, provenance=(prov,))


def _variable(frame: pd.DataFrame, name: str, rule: str | Indicator, countries: list[str]) -> np.ndarray:
    """One gravity variable of ``baseline.variables``; errors name the field (the runner
    adds the scenario file and the line of that key)."""
    if isinstance(rule, Indicator):
        absent = [m for m in rule.members if m not in countries]
        if absent:
            raise UnknownCountryError(absent[0], countries, f"(baseline.variables.{name}.members: "
                                      "not a country of the data)")
        inside = frame["exporter"].isin(rule.members) & frame["importer"].isin(rule.members)
        inside &= frame["exporter"] != frame["importer"]
        if rule.from_year is not None:
            inside &= frame["year"] >= rule.from_year
        if rule.to_year is not None:
            inside &= frame["year"] <= rule.to_year
        return inside.astype(float).to_numpy()
    if not _EXPR_OK.match(rule) or "__" in rule or "@" in rule:
        raise ScenarioError(f"baseline.variables.{name}: {rule!r} is not an accepted "
                            "expression (columns, numbers, + - * / ( ), comparisons, log, exp).")
    try:
        value = frame.eval(rule, engine="python")
    except Exception as exc:  # noqa: BLE001  (pandas raises many kinds; the message names the rule)
        raise ScenarioError(f"baseline.variables.{name}: cannot evaluate {rule!r}: "
                            f"{exc}. Columns are {list(frame.columns)}.") from None
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"baseline.variables.{name}: {rule!r} is not numeric ({exc}).") from None
