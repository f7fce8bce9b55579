"""``model: ge`` scenario files: data, PPML estimation, GE year, counterfactual changes.

A file (YAML, validated by pydantic, every error with file, line and field)::

    model: ge
    name: trade-without-borders
    description: Remove every international border (Yotov et al. 2016, ch. 2, app. 1).
    data:
      file: ${CRITMIN_SOURCE_DIR}/yotov2016/ch2_app1_trade_without_border_2006.csv.gz
      recode: {ZZZ: DEU}             # country codes to rename (the book codes DEU as ZZZ)
      years: [2006]                  # optional filter
      origin: {source: yotov2016, publisher: WTO/UNCTAD, vintage: "2016"}
    variables:                       # derived columns, in order: pandas expressions ...
      ln_DIST: log(DIST)
      INTL_BRDR: exporter != importer
      NAFTA: {members: [CAN, MEX, USA], from_year: 1994}   # ... or pair indicators
    estimation:
      formula: trade ~ ln_DIST + CNTG + INTL_BRDR | exporter + importer
      vcov: hetero                   # or {CRV1: pair}
      fill_missing_pairs: ln_DIST + CNTG + LANG + CLNY   # panels with pair effects only
    ge:
      year: 2006
      sigma: 7
      reference_importer: DEU
      method: exact                  # or geppml-book
    counterfactual:
      - {type: set, variable: INTL_BRDR, value: 0}                       # every pair
      - {type: set, variable: INTL_BRDR, value: 0, exporters: [CAN], importers: [USA],
         symmetric: true}
      - {type: tariff, exporters: [IND], importers: [USA], from: 0.50, to: 0.18}
    blocs: {NAFTA: [CAN, MEX, USA]}  # aggregates to report (bloc names also resolve)

Costs. The estimated cost term of a pair is ``log T_ij = x_ij'b`` (+ the pair effect in
panels); a change sets or shifts covariates and recomputes it. Changes never touch
intranational pairs.

Tariffs. Flows are measured net of tariffs (at exporters' prices), so with CES demand an
ad-valorem tariff ``tau`` scales them by ``(1 + tau)^(-sigma)``: a change from ``from`` to
``to`` adds ``-sigma * log((1 + to) / (1 + from))`` to ``log T_ij``. Tariff revenue is not
rebated: the book's model has no tariff income (E = phi Y).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.config import default_source_dir
from critmin.errors import InputError, ScenarioError, SourceFormatError, UnknownCountryError
from critmin.models.gravity import GravityArrays, GravityResult, StructuralGravity
from critmin.models.ppml import PPMLResult, estimate_ppml, split_formula
from critmin.models.yamlio import load_yaml, validate
from critmin.sources.origin import Origin, require_file, sha256_file

SOURCE_VAR = "CRITMIN_SOURCE_DIR"


# ---------------------------------------------------------------- YAML schema

class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class OriginIn(_In):
    source: str = "user-data"
    publisher: str = ""
    title: str = ""
    vintage: str = ""
    url: str = ""
    licence: str = ""


class DataIn(_In):
    file: str
    exporter: str = "exporter"
    importer: str = "importer"
    year: str = "year"
    trade: str = "trade"
    recode: dict[str, str] = Field(default_factory=dict)
    years: list[int] | None = None
    origin: OriginIn = Field(default_factory=OriginIn)


class IndicatorIn(_In):
    members: list[str] = Field(min_length=2)
    from_year: int | None = None
    to_year: int | None = None


class EstimationIn(_In):
    formula: str
    vcov: str | dict[str, str] = "hetero"
    fill_missing_pairs: str | None = None

    @field_validator("formula")
    @classmethod
    def _formula(cls, v: str) -> str:
        try:
            split_formula(v)
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return v


class GEIn(_In):
    year: int | None = None
    sigma: float = Field(gt=1)
    reference_importer: str = "DEU"
    method: Literal["exact", "geppml-book"] = "exact"


class _PairsIn(_In):
    exporters: list[str] | str | None = None
    importers: list[str] | str | None = None
    symmetric: bool = False


class SetIn(_PairsIn):
    type: Literal["set"]
    variable: str
    value: float


class AddIn(_PairsIn):
    type: Literal["add"]
    variable: str
    amount: float


class TariffIn(_PairsIn):
    type: Literal["tariff"]
    from_: float = Field(alias="from", ge=0)
    to: float = Field(ge=0)

    @model_validator(mode="after")
    def _rates(self) -> TariffIn:
        if self.from_ > 5 or self.to > 5:
            raise ValueError("tariff rates are shares (0.18 is 18 %); got a value above 5 "
                             f"(from={self.from_}, to={self.to}). Divide percentages by 100.")
        return self


Change = Annotated[SetIn | AddIn | TariffIn, Field(discriminator="type")]


class BaselineIn(_In):
    """A GE baseline from the store (critmin.ge_baseline): ITPD-E flows, DGD gravity
    variables and the panel PPML's cost function, bundled in the snapshot."""

    source: str = "itpd-e"
    year: int | None = None
    sector: str = "manufacturing"


class GEScenarioIn(_In):
    model: Literal["ge"]
    name: str
    description: str = ""
    baseline: BaselineIn | None = None
    data: DataIn | None = None
    variables: dict[str, str | IndicatorIn] = Field(default_factory=dict)
    estimation: EstimationIn | None = None
    ge: GEIn
    counterfactual: list[Change] = Field(min_length=1)
    blocs: dict[str, list[str]] = Field(default_factory=dict)
    assumptions: list[str] = Field(default_factory=list)
    notes: str = ""

    @model_validator(mode="after")
    def _one_baseline(self) -> GEScenarioIn:
        if (self.baseline is None) == (self.data is None):
            raise ValueError("give either 'baseline:' (a GE baseline from the store, e.g. "
                             "{source: itpd-e, sector: manufacturing}) or 'data:' with "
                             "'estimation:' (your own file), not both and not neither.")
        if self.data is not None and (self.estimation is None or self.ge.year is None):
            raise ValueError("a scenario with 'data:' needs 'estimation:' (the PPML formula) "
                             "and 'ge.year'.")
        if self.baseline is not None and (self.estimation is not None or self.variables):
            raise ValueError("a scenario with 'baseline:' takes the store's estimated cost "
                             "function; drop 'estimation:' and 'variables:'.")
        return self


# ---------------------------------------------------------------- values

@dataclass(frozen=True)
class GEScenario:
    """A validated ``model: ge`` scenario with its data path resolved."""

    name: str
    description: str
    path: str
    data_file: Path | None
    spec: GEScenarioIn = field(repr=False)

    @property
    def model(self) -> StructuralGravity:
        g = self.spec.ge
        return StructuralGravity(sigma=g.sigma, reference_importer=g.reference_importer, method=g.method)


def resolve_data_path(text: str, base_dir: Path) -> Path:
    """Expand ``${CRITMIN_SOURCE_DIR}`` (default: ../shared/data) and relative paths."""
    if "${" + SOURCE_VAR + "}" in text or "$" + SOURCE_VAR in text:
        root = os.environ.get(SOURCE_VAR) or default_source_dir()
        if root is None:
            raise ScenarioError(
                f"data file {text!r} needs {SOURCE_VAR}: set it to the folder of raw release "
                "files, or place shared/data beside the checkout.")
        text = text.replace("${" + SOURCE_VAR + "}", str(root)).replace("$" + SOURCE_VAR, str(root))
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else (base_dir / path).resolve()


def load_scenario(path: str | Path) -> GEScenario:
    """Read and validate a ``model: ge`` scenario file.

    Raises
    ------
    ScenarioError
        Malformed YAML, a field that does not validate (file, line, field), or a data
        path that cannot be resolved.
    """
    doc = load_yaml(path)
    model = doc.data.get("model") if isinstance(doc.data, dict) else None
    if model == "pe":
        # A partial-equilibrium file: say which command runs it, not which GE fields it lacks.
        msg = (f"{path} is a partial-equilibrium scenario (model: {model}); run it with "
               f"`critmin scenario run {path}`. `critmin gravity` takes files with model: ge.")
        raise ScenarioError(msg)
    spec: GEScenarioIn = validate(doc, GEScenarioIn)
    data_file = (resolve_data_path(spec.data.file, Path(path).resolve().parent)
                 if spec.data is not None else None)
    return GEScenario(spec.name, spec.description, str(path), data_file, spec)


# ---------------------------------------------------------------- data

_EXPR_OK = re.compile(r"^[\w\s\.\+\-\*/\(\)<>=!&|~,'\"\[\]]+$")


def load_data(scenario: GEScenario) -> tuple[pd.DataFrame, Origin]:
    """The scenario's data with standard column names and derived variables."""
    spec = scenario.spec.data
    if not scenario.data_file.is_file():
        raise SourceFormatError(
            f"{scenario.path}: data file not found: {scenario.data_file}. Paths with "
            f"${{{SOURCE_VAR}}} resolve to {SOURCE_VAR} or the shared/data folder beside the "
            "checkout; relative paths to the scenario's folder.")
    path = require_file(scenario.data_file, f"scenario {scenario.name!r} data")
    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise SourceFormatError(f"{path}: cannot be read as CSV ({exc}).") from exc
    rename = {spec.exporter: "exporter", spec.importer: "importer", spec.year: "year",
              spec.trade: "trade"}
    missing = [c for c in rename if c not in frame.columns]
    if missing:
        raise SourceFormatError(f"{path}: column(s) {missing} not found (set data.exporter/"
                                f"importer/year/trade); columns are {list(frame.columns)}.")
    frame = frame.rename(columns=rename)
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    for col in ("exporter", "importer"):
        frame[col] = frame[col].astype(str).str.strip().replace(spec.recode)
    if spec.years is not None:
        absent = sorted(set(spec.years) - set(frame["year"].dropna().astype(int)))
        if absent:
            from critmin.errors import UnknownYearError

            raise UnknownYearError(absent[0], [str(y) for y in sorted(frame["year"].dropna().unique())],
                                   f"(data.years of {scenario.path})")
        frame = frame[frame["year"].isin(spec.years)].reset_index(drop=True)
    countries = sorted(set(frame["exporter"]) | set(frame["importer"]))
    for name, rule in scenario.spec.variables.items():
        if isinstance(rule, IndicatorIn):
            members = resolve_set(rule.members, countries, f"variables.{name}.members")
            inside = frame["exporter"].isin(members) & frame["importer"].isin(members)
            inside &= frame["exporter"] != frame["importer"]
            if rule.from_year is not None:
                inside &= frame["year"] >= rule.from_year
            if rule.to_year is not None:
                inside &= frame["year"] <= rule.to_year
            frame[name] = inside.astype(float).to_numpy()
            continue
        if not _EXPR_OK.match(rule) or "__" in rule or "@" in rule:
            raise ScenarioError(f"{scenario.path}: variables.{name}: {rule!r} is not an accepted "
                                "expression (columns, numbers, + - * / ( ), comparisons, log, exp).")
        try:
            value = frame.eval(rule, engine="python")
        except Exception as exc:
            raise ScenarioError(f"{scenario.path}: variables.{name}: cannot evaluate {rule!r}: "
                                f"{exc}. Columns are {list(frame.columns)}.") from exc
        frame[name] = np.asarray(value, dtype=float)
    o = spec.origin
    origin = Origin(source=o.source, publisher=o.publisher, title=o.title or path.name,
                    vintage=o.vintage, url=o.url, licence=o.licence, sha256=sha256_file(path),
                    file=str(path))
    return frame, origin


def resolve_set(items: list[str] | str | None, countries: list[str] | tuple[str, ...],
                what: str) -> tuple[str, ...]:
    """Countries of the data named directly, or through a bloc (critmin.blocs.resolve)."""
    if items is None or (isinstance(items, str) and items.lower() in ("all", "*", "world")):
        return tuple(countries)
    out: list[str] = []
    for item in [items] if isinstance(items, str) else items:
        text = str(item).strip()
        if text in countries:
            out.append(text)
            continue
        members = _bloc(text)
        if members is None:
            raise UnknownCountryError(text, countries, f"({what}: not a country of the data "
                                      "or a known bloc)")
        absent = [m for m in members if m not in countries]
        if absent:
            raise UnknownCountryError(absent[0], countries, f"({what}: member of bloc {text!r} "
                                      "absent from the data)")
        out.extend(members)
    return tuple(dict.fromkeys(out))


def _bloc(name: str) -> tuple[str, ...] | None:
    try:
        from critmin.blocs import resolve  # another module's; optional until it lands
    except ImportError:
        return None
    try:
        return tuple(resolve(name))
    except (KeyError, ValueError):
        return None


# ---------------------------------------------------------------- estimation and costs

@dataclass(frozen=True)
class CostDesign:
    """Covariates of the GE year as (n, n, k) arrays, plus fixed parts of log T."""

    countries: tuple[str, ...]
    covariates: tuple[str, ...]
    trade: np.ndarray               # (n, n) observed flows of the GE year
    x0: np.ndarray                  # (n, n, k) baseline covariates
    x1: np.ndarray                  # (n, n, k) counterfactual covariates
    fixed0: np.ndarray              # (n, n) pair effects (panels) or zeros
    tariff: np.ndarray              # (n, n) tariff term added to counterfactual log T
    filled_pairs: tuple[str, ...] = ()

    def arrays(self, beta: np.ndarray) -> GravityArrays:
        lc0 = self.fixed0 + self.x0 @ beta
        lc1 = self.fixed0 + self.x1 @ beta + self.tariff
        return GravityArrays(self.countries, self.trade, np.exp(lc0), np.exp(lc1))


def estimate(scenario: GEScenario, data: pd.DataFrame | None = None) -> PPMLResult:
    """The PPML of the scenario's ``estimation.formula`` on its data."""
    frame = data if data is not None else load_data(scenario)[0]
    est = scenario.spec.estimation
    _, _, fes = split_formula(est.formula)
    if "pair" in fes and "pair" not in frame.columns:
        frame = frame.assign(pair=_pair_labels(frame))
    return estimate_ppml(frame, est.formula, vcov=est.vcov)


def _pair_labels(frame: pd.DataFrame) -> np.ndarray:
    """Symmetric pair labels, as the book's ``pair_id``: one effect per unordered pair of
    countries, and one shared by all intranational pairs (domestic trade costs are the
    benchmark)."""
    e = frame["exporter"].astype(str).to_numpy()
    m = frame["importer"].astype(str).to_numpy()
    lo, hi = np.minimum(e, m), np.maximum(e, m)
    return np.where(e == m, "domestic", np.char.add(np.char.add(lo.astype(str), "-"), hi.astype(str)))


def cost_design(scenario: GEScenario, data: pd.DataFrame, fit: PPMLResult) -> CostDesign:
    """Covariate arrays for the GE year, the counterfactual, and panel pair effects."""
    spec = scenario.spec
    _, covars, fes = split_formula(spec.estimation.formula)
    year = spec.ge.year
    if "pair" in fes and "pair" not in data.columns:
        data = data.assign(pair=_pair_labels(data))
    frame = data
    years = sorted(frame["year"].dropna().astype(int).unique())
    if year not in years:
        from critmin.errors import UnknownYearError

        raise UnknownYearError(year, [str(y) for y in years], f"(ge.year of {scenario.path})")
    cur = frame[frame["year"] == year].copy()
    arr = GravityArrays.from_frame(cur.assign(log_cost=0.0, log_cost_cfl=0.0))
    countries = arr.countries
    n, k = len(countries), len(covars)
    pos = {c: i for i, c in enumerate(countries)}
    i = cur["exporter"].map(pos).to_numpy()
    j = cur["importer"].map(pos).to_numpy()
    x0 = np.zeros((n, n, k))
    x0[i, j, :] = cur[covars].to_numpy(float)
    x1, tariff = apply_changes(scenario, countries, covars, x0)
    fixed0 = np.zeros((n, n))
    filled: tuple[str, ...] = ()
    if "pair" in fes:
        fixed0, filled = _pair_costs(scenario, cur, fit, covars, pos)
    return CostDesign(countries, tuple(covars), arr.trade, x0, x1, fixed0, tariff, filled)


def apply_changes(scenario: GEScenario, countries: tuple[str, ...], covars: list[str],
                  x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counterfactual covariates and the tariff term of ``log T`` for the scenario's
    ``counterfactual`` list (intranational pairs never change)."""
    spec = scenario.spec
    n = len(countries)
    pos = {c: i for i, c in enumerate(countries)}
    x1 = x0.copy()
    tariff = np.zeros((n, n))
    intl = ~np.eye(n, dtype=bool)
    for m, change in enumerate(spec.counterfactual):
        where = f"counterfactual[{m}]"
        ex = resolve_set(change.exporters, countries, f"{where}.exporters")
        im = resolve_set(change.importers, countries, f"{where}.importers")
        mask = np.zeros((n, n), dtype=bool)
        ie, ii = [pos[c] for c in ex], [pos[c] for c in im]
        mask[np.ix_(ie, ii)] = True
        if change.symmetric:
            mask |= mask.T
        mask &= intl
        if isinstance(change, TariffIn):
            tariff[mask] += -spec.ge.sigma * np.log((1 + change.to) / (1 + change.from_))
            continue
        if change.variable not in covars:
            raise ScenarioError(f"{scenario.path}: {where}.variable {change.variable!r} is not a "
                                f"cost variable of the formula; accepted: {covars}.")
        v = covars.index(change.variable)
        if isinstance(change, SetIn):
            x1[..., v][mask] = change.value
        else:
            x1[..., v][mask] += change.amount
    return x1, tariff


def baseline_design(scenario: GEScenario, base: Any) -> tuple[CostDesign, PPMLResult]:
    """The cost design of a store baseline (:class:`critmin.ge_baseline.GEBaseline`): GE-year
    flows, pair effects as the fixed part of ``log T``, the cost terms' covariates, and the
    stored PPML estimates as a :class:`PPMLResult` (for bands and reports)."""
    flows = base.flows
    arr = GravityArrays.from_frame(flows.rename(columns={"flow_usd": "trade"})
                                   .assign(log_cost=0.0, log_cost_cfl=0.0))
    countries = arr.countries
    n = len(countries)
    pos = {c: i for i, c in enumerate(countries)}
    i = flows["exporter"].map(pos).to_numpy()
    j = flows["importer"].map(pos).to_numpy()
    coef = base.coefficients.set_index("term")
    covars = [t for t in base.cost_terms]
    cols = [str(coef.loc[t, "ge_variable"]) for t in covars]
    x0 = np.zeros((n, n, len(covars)))
    x0[i, j, :] = flows[cols].to_numpy(float)
    fixed0 = np.zeros((n, n))
    fixed0[i, j] = flows["pair_effect"].to_numpy(float)
    x1, tariff = apply_changes(scenario, countries, covars, x0)
    terms = list(coef.index)
    fit = PPMLResult(formula=base.formula, coef=coef["estimate"].rename("estimate"),
                     vcov=base.covariance.loc[terms, terms],
                     nobs=int(coef["observations_count"].iloc[0]),
                     vcov_type=str(coef["vcov"].iloc[0]), fitted=np.array([]))
    predicted = flows.loc[flows["pair_effect_method"] == "predicted"]
    filled = tuple(f"{e}->{m}" for e, m in zip(predicted["exporter"], predicted["importer"]))
    return CostDesign(countries, tuple(covars), arr.trade, x0, x1, fixed0, tariff, filled), fit


def _pair_costs(scenario: GEScenario, cur: pd.DataFrame, fit: PPMLResult, covars: list[str],
                pos: dict[str, int]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Pair effects of the GE year, with the unidentified ones (pairs that never trade)
    predicted by a second PPML of exp(pair effect) on ``fill_missing_pairs`` with exporter
    and importer effects, as in the book's application 2."""
    n = len(pos)
    gamma = fit.fixef.get("pair")
    if gamma is None:
        raise InputError("the pair fixed effects could not be recovered from the PPML fit.")
    g = cur["pair"].map(gamma)
    g = g - gamma.get("domestic", 0.0)
    lack = g.isna().to_numpy()
    filled: tuple[str, ...] = ()
    if lack.any():
        rhs = scenario.spec.estimation.fill_missing_pairs
        shown = _pairs_text(cur[lack])
        if not rhs:
            raise InputError(f"{int(lack.sum())} pair(s) never trade, so their pair effect cannot "
                             f"be identified: {shown}. Set estimation.fill_missing_pairs to "
                             "gravity variables (e.g. ln_DIST + CNTG) to predict them.")
        second = cur[cur["exporter"] != cur["importer"]].assign(tij=np.exp(g))
        known = second[second["tij"].notna()]
        fit2 = estimate_ppml(known, f"tij ~ {rhs} | exporter + importer", vcov="hetero")
        b2 = fit2.coef
        fe = fit2.fixef
        miss = cur[lack]
        lin = miss[list(b2.index)].to_numpy(float) @ b2.to_numpy()
        lin += miss["exporter"].map(fe.get("exporter", {})).fillna(0).to_numpy()
        lin += miss["importer"].map(fe.get("importer", {})).fillna(0).to_numpy()
        g = g.copy()
        g[lack] = lin
        filled = tuple(f"{e}->{m}" for e, m in zip(miss["exporter"], miss["importer"]))
    out = np.zeros((n, n))
    out[cur["exporter"].map(pos).to_numpy(), cur["importer"].map(pos).to_numpy()] = g.to_numpy(float)
    return out, filled


def _pairs_text(frame: pd.DataFrame, limit: int = 8) -> str:
    rows = [f"{e}->{m}" for e, m in zip(frame["exporter"], frame["importer"])]
    return ", ".join(rows[:limit]) + (f" ... ({len(rows)} in all)" if len(rows) > limit else "")


# ---------------------------------------------------------------- running

@dataclass(frozen=True)
class GERun:
    """Everything one scenario run produced: estimates, GE result, bands, provenance."""

    scenario: GEScenario
    fit: PPMLResult
    result: GravityResult
    bands: pd.DataFrame | None
    blocs: pd.DataFrame | None
    provenance: tuple[dict[str, Any], ...]
    diagnostics: dict[str, Any]

    def __repr__(self) -> str:
        return f"GERun({self.scenario.name!r}, {self.result!r}, draws={self.diagnostics.get('draws', 0)})"

    def countries(self) -> pd.DataFrame:
        """The per-country table (percent changes), with percentile bands when drawn."""
        base = self.result.countries
        if self.bands is None:
            return base
        return base.merge(self.bands, on="country", how="left")

    def tidy(self) -> pd.DataFrame:
        return self.countries()


def run_scenario(scenario: GEScenario | str | Path, draws: int = 0, *, seed: int = 20160101,
                 quantiles: tuple[float, float] = (0.05, 0.95),
                 progress: Any = None, baseline: Any = None) -> GERun:
    """Estimate, build costs, solve the counterfactual and (optionally) Monte Carlo bands.

    Parameters
    ----------
    scenario : GEScenario or path
    draws : int
        Monte Carlo draws of the PPML coefficients from N(b, V); 0 for none.
    seed : int
        Seed of the draws (results are reproducible).
    quantiles : (low, high)
        Percentiles reported per country, as shares (0.05, 0.95).
    progress : callable, optional
        ``progress(label, done, total)``, called during the draws.
    baseline : GEBaseline, optional
        The store baseline a ``baseline:`` scenario names (read by the caller, e.g.
        :func:`critmin.ge_baseline.load_ge_baseline`); required for such scenarios.
    """
    from critmin.models.gravity_mc import monte_carlo

    if not isinstance(scenario, GEScenario):
        scenario = load_scenario(scenario)
    if not (isinstance(draws, int) and draws >= 0):
        from critmin.errors import InvalidParameterError

        raise InvalidParameterError(f"draws must be an integer >= 0. Got {draws!r}.")
    if scenario.spec.baseline is not None:
        if baseline is None:
            raise ScenarioError(f"{scenario.path}: this scenario names a store baseline "
                                f"({scenario.spec.baseline.source}); pass it as baseline= "
                                "(critmin.ge_baseline.load_ge_baseline) or run it with "
                                "`critmin gravity run`.")
        design, fit = baseline_design(scenario, baseline)
        origins = [dict(p) for p in baseline.provenance]
        ge_year = baseline.year
    else:
        data, origin = load_data(scenario)
        fit = estimate(scenario, data)
        design = cost_design(scenario, data, fit)
        origins = [origin.to_dict()]
        ge_year = scenario.spec.ge.year
    beta = fit.coef[list(design.covariates)].to_numpy()
    model = scenario.model
    result = model.solve(design.arrays(beta))
    bands = None
    diag = dict(result.diagnostics)
    diag.update(draws=draws, ppml_nobs=fit.nobs, ge_year=ge_year)
    if design.filled_pairs:
        diag["pairs_predicted"] = len(design.filled_pairs)
    if fit.dropped:
        diag["fixed_effects_dropped"] = len(fit.dropped)
    if draws:
        cov = fit.vcov.loc[list(design.covariates), list(design.covariates)].to_numpy()
        bands, failed = monte_carlo(model, design, beta, cov, draws, seed=seed,
                                    quantiles=quantiles, progress=progress)
        diag.update(draws_failed=failed, seed=seed, quantiles=list(quantiles))
    blocs = None
    if scenario.spec.blocs:
        members = {name: resolve_set(m, design.countries, f"blocs.{name}")
                   for name, m in scenario.spec.blocs.items()}
        blocs = result.blocs(members)
    method = f"PPML ({fit.formula}) + {model.method} GE, sigma={model.sigma}"
    prov = tuple({**o, "scenario": scenario.path, "estimated": True, "method": method}
                 for o in origins)
    return GERun(scenario, fit, result, bands, blocs, prov, diag)
