"""``model: ge``: the structural-gravity model's sections of the scenario language.

Layout of a file::

    model: ge
    name: trade-without-borders
    description: Remove every international border (Yotov et al. 2016, ch. 2, app. 1).
    baseline:
      data:
        file: ${CRITMIN_SOURCE_DIR}/yotov2016/ch2_app1_trade_without_border_2006.csv.gz
        recode: {ZZZ: DEU}           # country codes to rename (the book codes DEU as ZZZ)
        years: [2006]                # optional filter
        origin: {source: yotov2016, publisher: WTO/UNCTAD, vintage: "2016"}
      variables:                     # derived columns, in order: pandas expressions ...
        ln_DIST: log(DIST)
        INTL_BRDR: exporter != importer
        NAFTA: {members: [CAN, MEX, USA], from_year: 1994}   # ... or pair indicators
      year: 2006                     # the GE year
      tariffs:                       # tariffs in force in the baseline, if the data lack them
        - {type: tariff, exporters: IND, importers: USA, rate: 0.50}
    ge:                              # the model's parameters
      sigma: 7
      reference_importer: DEU
      method: exact                  # or geppml-book
      estimation:
        formula: trade ~ ln_DIST + CNTG + INTL_BRDR | exporter + importer
        vcov: hetero                 # or {CRV1: pair}
        fill_missing_pairs: ln_DIST + CNTG   # panels with pair effects only
      blocs: {NAFTA: [CAN, MEX, USA]}        # aggregates to report
      draws: 1000                    # Monte Carlo bands over the PPML coefficients (seed: ...)
    shocks:
      - {type: trade_cost_change, variable: INTL_BRDR, value: 0}          # every pair
      - {type: trade_cost_change, variable: INTL_BRDR, value: 0, exporters: CAN,
         importers: USA, symmetric: true}
      - {type: tariff, exporters: IND, importers: USA, rate: 0.18}

Files in the older layout (``data``/``variables``/``estimation``/``counterfactual`` at the
top level, ``set``/``add``/``tariff from-to`` changes) still load: :func:`upgrade` moves
them, and the result says how to write them now.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from critmin.errors import InputError
from critmin.scenario.countries import resolve_blocs, resolve_countries
from critmin.scenario.schema import In, TariffIn
from critmin.scenario.values import Shock

if TYPE_CHECKING:
    from critmin.scenario.load import LoadContext

METHODS = ("exact", "geppml-book")


@functools.cache
def gravity_defaults() -> dict[str, Any]:
    """``data/parameters/gravity.yml``: the GE model's default parameters, each with its
    source (the one place they live)."""
    from critmin.config import DATA_DIR, read_yaml

    return read_yaml(DATA_DIR / "parameters" / "gravity.yml")  # type: ignore[return-value]


# ---------------------------------------------------------------- values

@dataclass(frozen=True, slots=True)
class Indicator:
    """A pair indicator: 1 for trade between distinct ``members`` in [from_year, to_year]."""

    members: tuple[str, ...]
    from_year: int | None = None
    to_year: int | None = None


@dataclass(frozen=True, slots=True)
class DataSpec:
    """A flows file (one row per exporter-importer-year) and how to read it."""

    file: Path
    exporter: str = "exporter"
    importer: str = "importer"
    year: str = "year"
    trade: str = "trade"
    recode: tuple[tuple[str, str], ...] = ()
    years: tuple[int, ...] | None = None
    origin: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class GEBaselineSpec:
    """Where a GE baseline comes from and what was in force: a store baseline (``source``,
    ``sector``: flows and an estimated cost function, :mod:`critmin.baselines.ge`) or a data
    file with derived variables; the GE year; the tariffs in force the data lack."""

    data: DataSpec | None = None
    variables: tuple[tuple[str, str | Indicator], ...] = ()
    year: int | None = None
    tariffs: tuple[Shock, ...] = ()
    source: str | None = None
    sector: str = "manufacturing"


@dataclass(frozen=True, slots=True)
class GESettings:
    """The ``ge:`` section: the model's parameters (see
    :class:`critmin.models.ge.StructuralGravity`). None means the model's default."""

    sigma: float | None = None
    reference_importer: str | None = None
    method: str | None = None
    formula: str | None = None
    vcov: str | tuple[tuple[str, str], ...] | None = None
    fill_missing_pairs: str | None = None
    blocs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    draws: int | None = None
    seed: int | None = None

    def parameters(self) -> dict[str, Any]:
        """The constructor arguments of the model that this section sets."""
        out = {k: getattr(self, k) for k in ("sigma", "reference_importer", "method", "formula",
                                              "vcov", "fill_missing_pairs", "draws", "seed")
               if getattr(self, k) is not None}
        if self.blocs:
            out["blocs"] = self.blocs
        return out


def split_formula(formula: str) -> tuple[str, list[str], list[str]]:
    """``(dependent, covariates, fixed effects)`` of a pyfixest formula.

    Covariates must be plain column names (transformations belong in the scenario's
    ``variables:``), so that counterfactual costs can be rebuilt from columns.
    """
    if "~" not in formula:
        raise InputError(f"formula {formula!r} has no '~'; write e.g. "
                         "'trade ~ ln_DIST + CNTG | exporter + importer'.")
    lhs, rhs = (s.strip() for s in formula.split("~", 1))
    parts = [p.strip() for p in rhs.split("|")]
    if len(parts) > 2:
        raise InputError(f"formula {formula!r}: instrumental variables are not supported in gravity.")
    covars = [t.strip() for t in parts[0].split("+") if t.strip() and t.strip() not in ("0", "1", "-1")]
    fes = [t.strip() for t in parts[1].split("+") if t.strip()] if len(parts) == 2 else []
    for t in covars:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t):
            raise InputError(f"formula term {t!r} is not a column name; define it under "
                             "'variables:' (e.g. ln_DIST: log(DIST)) and use the name.")
    return lhs, covars, fes



# ---------------------------------------------------------------- YAML edge

class OriginIn(In):
    source: str = "user-data"
    publisher: str = ""
    title: str = ""
    vintage: str = ""
    url: str = ""
    licence: str = ""


class DataIn(In):
    file: str = Field(min_length=1)
    exporter: str = "exporter"
    importer: str = "importer"
    year: str = "year"
    trade: str = "trade"
    recode: dict[str, str] = Field(default_factory=dict)
    years: list[int] | None = None
    origin: OriginIn = Field(default_factory=OriginIn)

    def to_value(self, ctx: LoadContext | None) -> DataSpec:
        path = ctx.data_path(self.file, "baseline.data.file") if ctx is not None else Path(self.file)
        return DataSpec(file=path, exporter=self.exporter, importer=self.importer, year=self.year,
                        trade=self.trade, recode=tuple(sorted(self.recode.items())),
                        years=None if self.years is None else tuple(self.years),
                        origin=tuple((k, v) for k, v in self.origin.model_dump().items() if v))


class IndicatorIn(In):
    members: str | list[str]
    from_year: int | None = None
    to_year: int | None = None

    @field_validator("members", mode="after")
    @classmethod
    def _members(cls, v: Any) -> Any:
        out = resolve_countries(v, "members")
        if out is None or len(out) < 2:
            raise ValueError("an indicator needs at least two members (countries or a bloc)")
        return out


class GEBaselineIn(In):
    source: str | None = Field(None, description="a GE baseline in the store: itpd-e")
    sector: str = "manufacturing"
    data: DataIn | None = None
    variables: dict[str, str | IndicatorIn] = Field(default_factory=dict)
    year: int | None = Field(None, ge=1900, le=2100)
    tariffs: list[TariffIn] = Field(default_factory=list,
                                    description="tariffs in force in the baseline (type: tariff)")

    @model_validator(mode="after")
    def _one_source(self) -> GEBaselineIn:
        if (self.source is None) == (self.data is None):
            raise ValueError("give either source: (a GE baseline from the store, e.g. "
                             "{source: itpd-e, sector: manufacturing}) or data: {file: ...} (your "
                             "own flows and gravity variables), not both and not neither")
        if self.data is not None and self.year is None:
            raise ValueError("a GE baseline from a data file needs year: the year the GE is solved in")
        if self.source is not None and self.variables:
            raise ValueError("a store baseline carries its own variables and estimated cost "
                             "function; drop variables:")
        return self

    def to_value(self, ctx: LoadContext | None = None) -> GEBaselineSpec:
        variables = tuple((name, rule if isinstance(rule, str) else
                           Indicator(tuple(rule.members), rule.from_year, rule.to_year))
                          for name, rule in self.variables.items())
        return GEBaselineSpec(data=None if self.data is None else self.data.to_value(ctx),
                              variables=variables, year=self.year,
                              tariffs=tuple(t.to_value(ctx) for t in self.tariffs),
                              source=self.source, sector=self.sector)


class EstimationIn(In):
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


class GESettingsIn(In):
    sigma: float | None = Field(None, gt=1, le=100)
    reference_importer: str | None = None
    method: Literal["exact", "geppml-book"] | None = None
    estimation: EstimationIn | None = None
    blocs: dict[str, str | list[str]] = Field(default_factory=dict)
    draws: int | None = Field(None, ge=0, le=100_000, description="Monte Carlo draws of the "
                              "PPML coefficients (bands _p05/_p95)")
    seed: int | None = Field(None, ge=0)

    @field_validator("reference_importer", mode="after")
    @classmethod
    def _ref(cls, v: str | None) -> str | None:
        from critmin.countries import country

        return None if v is None else country(v)

    @field_validator("blocs", mode="after")
    @classmethod
    def _blocs(cls, v: dict[str, Any]) -> dict[str, Any]:
        return resolve_blocs(v, all_means="'all' is the world")

    def to_value(self, ctx: LoadContext | None = None) -> GESettings:
        e = self.estimation
        vcov: Any = None
        if e is not None:
            vcov = e.vcov if isinstance(e.vcov, str) else tuple(sorted(e.vcov.items()))
        return GESettings(sigma=self.sigma, reference_importer=self.reference_importer,
                          method=self.method, formula=None if e is None else e.formula, vcov=vcov,
                          fill_missing_pairs=None if e is None else e.fill_missing_pairs,
                          blocs=tuple((k, tuple(v)) for k, v in self.blocs.items()),
                          draws=self.draws, seed=self.seed)


# ---------------------------------------------------------------- older files

OLD_KEYS = ("data", "variables", "estimation", "counterfactual")


def upgrade(doc: dict[str, Any]) -> list[str]:
    """Move an older ``model: ge`` layout to the one language, in place.

    ``data``/``variables`` and ``ge.year`` go to ``baseline``; ``estimation`` and ``blocs``
    to ``ge``; ``counterfactual`` changes become shocks (``set`` -> trade_cost_change
    ``value``, ``add`` -> trade_cost_change ``change``, ``tariff from/to`` -> a tariff shock
    to ``to`` and a tariff in force at ``from`` in ``baseline.tariffs``).
    """
    if not any(k in doc for k in OLD_KEYS):
        return []
    ge = doc.get("ge")
    ge = ge if isinstance(ge, dict) else {}
    base = doc.get("baseline")
    base = base if isinstance(base, dict) else {}
    for key in ("data", "variables"):
        if key in doc:
            base[key] = doc.pop(key)
    if "year" in ge and "year" not in base:
        base["year"] = ge.pop("year")
    for key in ("estimation", "blocs"):
        if key in doc:
            ge[key] = doc.pop(key)
    changes = doc.pop("counterfactual", None)
    if isinstance(changes, list):
        shocks = doc.get("shocks") if isinstance(doc.get("shocks"), list) else []
        for change in changes:
            if not isinstance(change, dict):
                shocks.append(change)
                continue
            kind = change.get("type")
            pairs = {k: change[k] for k in ("exporters", "importers") if k in change}
            if kind in ("set", "add"):
                new = dict(change)
                new["type"] = "trade_cost_change"
                if kind == "add" and "amount" in new:
                    new["change"] = new.pop("amount")
                shocks.append(new)
            elif kind == "tariff" and ("from" in change or "to" in change):
                directions = [pairs]
                if change.get("symmetric"):
                    directions.append({"exporters": pairs.get("importers"), "importers": pairs.get("exporters")})
                for d in directions:
                    d = {k: v for k, v in d.items() if v is not None}
                    shocks.append({"type": "tariff", **d, "rate": change.get("to")})
                    base.setdefault("tariffs", []).append({"type": "tariff", **d, "rate": change.get("from", 0.0)})
            else:
                shocks.append(change)
        doc["shocks"] = shocks
    doc["baseline"] = base
    doc["ge"] = ge
    return ["this file uses the older model: ge layout (data/variables/estimation/counterfactual at "
            "the top level); write baseline: {data, variables, year, tariffs}, ge: {sigma, "
            "reference_importer, method, estimation, blocs} and shocks: [...] (docs/scenarios.md)"]
