"""Structural-gravity baselines for ``model: ge`` scenarios, and their loader.

Two kinds: a store baseline (``baseline: {source: itpd-e, sector: manufacturing}``), the
:class:`GEBaseline` of flows with the cost function estimated when the store was built (the
aggregated world of ITPD-E R02 and DGD 2.1, tables ``ge_flows``, ``ge_coefficients``,
``ge_covariance``, ``ge_sample``, built by :mod:`critmin.store.builders.gravity` and bundled
in the snapshot; :func:`load_ge_baseline`); or a :class:`GEPanel` read from a data file the scenario names (paths
already checked by the scenario loader): a panel of flows (``exporter, importer, year,
trade`` + the gravity variables the scenario derives) whose cost function the model
estimates. :func:`load_baseline` returns the one the scenario names, with the tariffs in
force. The model (:class:`critmin.models.ge.StructuralGravity`) reads nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from critmin.errors import (ScenarioError, SourceFormatError, StoreError, UnknownCountryError,
                            UnknownNameError, UnknownYearError)
from critmin.scenario.countries import REST
from critmin.scenario.ge import GEBaselineSpec, Indicator
from critmin.scenario.values import Scenario, Shock

if TYPE_CHECKING:
    from critmin.store import Store

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
        return _within(self.countries, chosen, what)


def _within(countries: tuple[str, ...], chosen: tuple[str, ...] | None, what: str,
            outside_hint: str = "") -> tuple[str, ...]:
    """``chosen`` (None: every country of a GE baseline) checked against ``countries``;
    ``outside_hint`` says where a country outside the sample went (a ROW aggregate)."""
    if chosen is None:
        return countries
    for c in chosen:
        if c not in countries:
            if c == REST:
                why = ("the rest of the world is ROW" if REST in countries
                       else "it has no rest-of-world aggregate")
            else:
                why = outside_hint if outside_hint and REST in countries else ""
            raise UnknownCountryError(c, countries, f"({what}: not a country of this baseline"
                                      + (f"; {why}" if why else "") + ")")
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


#: Baseline sources a scenario can name, and the store tables that hold them.
SOURCES = {"itpd-e": "ge_flows"}
SOURCE_ALIASES = {"itpde": "itpd-e", "itpd-e-r02": "itpd-e", "usitc-itpde-r02": "itpd-e"}


class UnknownBaselineError(UnknownNameError):
    kind = "GE baseline source"


class UnknownSectorError(UnknownNameError):
    kind = "sector"


@dataclass(frozen=True)
class GEBaseline:
    """One GE year of one sector: flows, gravity variables, pair effects and cost terms.

    ``flows``: exporter, importer, flow_usd, the gravity variables, ``pair_effect`` (log
    points). ``coefficients``: term, estimate, std_error, ge_variable. ``covariance``: the
    estimates' covariance (terms x terms). ``sample``: every country of the sector-year with
    its status (``model`` or ``rest_of_world``) and the reason.
    """

    source: str
    sector: str
    year: int
    flows: pd.DataFrame = field(repr=False)
    coefficients: pd.DataFrame = field(repr=False)
    covariance: pd.DataFrame = field(repr=False)
    sample: pd.DataFrame = field(repr=False)
    formula: str = ""
    provenance: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    #: tariffs in force the flows were observed under (the scenario's ``baseline.tariffs``)
    tariffs: tuple[Any, ...] = field(default=(), repr=False)

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.flows["exporter"])))

    def within(self, chosen: tuple[str, ...] | None, what: str) -> tuple[str, ...]:
        """``chosen`` (None: every country) checked against the baseline's countries."""
        return _within(self.countries, chosen, what,
                       "it is part of ROW, the rest of the world (see the store's ge_sample table)")

    @property
    def cost_terms(self) -> tuple[str, ...]:
        """Terms whose ``ge_variable`` is a column of ``flows`` (the GE-year cost)."""
        c = self.coefficients
        return tuple(c.loc[c["ge_variable"] != "", "term"])


def load_ge_baseline(store: Store, source: str = "itpd-e", year: int | None = None,
                     sector: str = "manufacturing") -> GEBaseline:
    """The GE baseline ``source``/``sector``/``year`` from the store.

    Parameters
    ----------
    store : Store
    source : str
        ``itpd-e`` (USITC ITPD-E R02 flows with DGD 2.1 gravity variables).
    year : int, optional
        The GE year; the store holds the one chosen by the domestic-coverage rule
        (``critmin.store.builders.gravity``). None takes it.
    sector : str
        ITPD-E broad sector in critmin's words (``manufacturing``).

    Raises
    ------
    UnknownBaselineError, UnknownSectorError, UnknownYearError
        A name or year the store does not hold (the message lists those it does).
    StoreError
        The store has no GE tables (built before they existed): rebuild it.
    """
    import pandas as pd

    key = SOURCE_ALIASES.get(str(source).strip().lower(), str(source).strip().lower())
    if key not in SOURCES:
        raise UnknownBaselineError(source, SOURCES, "(baseline.source of a model: ge scenario)")
    missing = [t for t in ("ge_flows", "ge_coefficients", "ge_covariance", "ge_sample")
               if t not in store.tables()]
    if missing:
        raise StoreError(f"the store {store.path} has no GE baseline tables ({', '.join(missing)}); "
                         "rebuild it with `critmin data build` (snapshot) or `critmin data build "
                         "--source-dir ../shared/data`.")
    flows = store.table("ge_flows")
    sectors = sorted(set(flows["sector"]))
    if sector not in sectors:
        raise UnknownSectorError(sector, sectors, "(baseline.sector)")
    flows = flows[flows["sector"] == sector]
    years = sorted(int(y) for y in set(flows["year"]))
    chosen = years[-1] if year is None else year
    if chosen not in years:
        raise UnknownYearError(year, [str(y) for y in years],
                               f"(baseline.year: the store holds the {sector} GE year(s) chosen "
                               "by domestic-flow coverage; see the ge_sample table)")
    flows = flows[flows["year"] == chosen].reset_index(drop=True)

    def pick(name: str) -> pd.DataFrame:
        t = store.table(name)
        return t[(t["sector"] == sector) & (t["year"] == chosen)].reset_index(drop=True)

    coef = pick("ge_coefficients")
    cov_long = pick("ge_covariance")
    terms = list(coef["term"])
    cov = (cov_long.pivot(index="term", columns="term2", values="covariance")
           .reindex(index=terms, columns=terms))
    sample = pick("ge_sample")
    prov = store.provenance_records(["ge_flows", "ge_coefficients"])
    used = {"ge_flows": "GE baseline flows, gravity variables and pair effects",
            "ge_coefficients": "PPML trade-cost coefficients and covariance"}
    records = []
    for p in prov:
        rec = dict(p)
        rec.setdefault("used_for", used.get(str(rec.get("table")), "GE baseline"))
        records.append(rec)
    formula = str(coef["formula"].iloc[0]) if len(coef) else ""
    return GEBaseline("itpd-e", sector, chosen, flows, coef, cov, sample, formula, tuple(records))
