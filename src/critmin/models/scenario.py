"""Scenario files: the YAML language, its pydantic validation, and the frozen values built
from it.

A scenario is a value (STYLE.md §2): :class:`Scenario` and :class:`Shock` are frozen,
hashable dataclasses validated in ``__post_init__``. The YAML schema is pydantic
(``ScenarioIn``); :func:`load_scenario` reads a file through
:mod:`critmin.models.yamlio`, so every error names the file, the line and the field.

Layout of a file (``model: pe``, the default)::

    name: gallium-ban
    description: China bans gallium exports to the USA.
    baseline:                  # either store slices ...
      minerals: [gallium]      # with one stage, or markets: [{mineral: graphite, stage: mine}]
      stage: refinery
      year: 2023
      # ... or user files: flows_csv: flows.csv, tariffs_csv: tariffs.csv, mineral: gallium
      price_usd_per_t: {gallium: 520000}     # optional; needed for USD welfare and floors
    elasticities:              # optional overrides of data/parameters/elasticities.yml
      substitution: 3.0
      by_mineral: {gallium: {substitution: 2.0}}
      by_country: {CHN: {export_supply: 0.3}}
    shocks:
      - type: export_quota
        exporter: CHN
        destinations: [USA]
        tonnes: 0              # 0 is a ban

Countries are ISO3 codes or names (:func:`critmin.store.harmonise.country`), country sets
are lists, ``all``, or bloc names (:func:`critmin.blocs.resolve`).
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from critmin.config import DATA_DIR
from critmin.errors import InvalidParameterError, ScenarioError, UnknownBlocError
from critmin.models.yamlio import load_yaml, validate

ELASTICITY_SIGNS = {"import_demand": -1, "export_supply": +1, "substitution": +1}
SIGN_WORDS = {-1: "< 0 (a demand elasticity is negative)", +1: "> 0"}
ENFORCEMENTS = ("adjustable_tariff", "price_gap_subsidy")
SHOCK_TYPES = ("tariff", "export_tax", "export_quota", "licensing", "preferential_zone",
               "supply_shock", "demand_shock", "stockpile_release")
#: Accepted spellings of the one unit reference prices are given in.
PRICE_UNITS = ("USD/t", "usd/t", "USD per t", "usd_per_t", "USD/tonne", "USD/metric ton")


# ---------------------------------------------------------------- names and country sets

def _country(text: Any) -> str:
    from critmin.store.harmonise import country

    return country(str(text))


def _bloc(name: str) -> tuple[str, ...] | None:
    """Members of a named bloc, or None when no bloc module is available."""
    try:
        blocs = importlib.import_module("critmin.blocs")
    except ImportError:
        return None
    return tuple(blocs.resolve(name))


def resolve_countries(value: Any, what: str) -> tuple[str, ...] | None:
    """A country set as ISO3 codes; None means every country.

    Accepts ``all``/``null``, a bloc name, a country, or a list mixing countries and blocs.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("all", "*", "world")):
        return None
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        text = str(item).strip()
        try:
            out.append(_country(text))
            continue
        except KeyError as exc:
            country_error = exc
        members = None
        try:
            members = _bloc(text)
        except UnknownBlocError as exc:
            if re.fullmatch(r"[A-Z]{3}", text):
                raise country_error from None
            raise ValueError(f"{what}: {exc} It is not a country either.") from None
        if members is None:
            raise country_error
        out.extend(members)
    return tuple(dict.fromkeys(out))


def _minerals(value: Any) -> tuple[str, ...] | None:
    from critmin.vocab import mineral

    if value is None or (isinstance(value, str) and value.lower() == "all"):
        return None
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(dict.fromkeys(mineral(str(m)).id for m in items))


# ---------------------------------------------------------------- elasticities

@functools.cache
def default_elasticities() -> dict[str, Any]:
    """``data/parameters/elasticities.yml``: defaults, each with its source."""
    return yaml.safe_load((DATA_DIR / "parameters" / "elasticities.yml").read_text())


def check_elasticity(name: str, value: float, where: str = "") -> float:
    """``value`` if it has the sign ``name`` requires; InvalidParameterError otherwise."""
    sign = ELASTICITY_SIGNS.get(name)
    if sign is None:
        msg = f"{where}{name!r} is not an elasticity. Accepted: {', '.join(ELASTICITY_SIGNS)}."
        raise InvalidParameterError(msg)
    value = float(value)
    if not value * sign > 0 or value != value:
        msg = (f"{where}{name} must be {SIGN_WORDS[sign]}. Got {value}."
               + (" Write import demand as a negative number, e.g. -0.5." if sign < 0 else ""))
        raise InvalidParameterError(msg)
    return value


@dataclass(frozen=True, slots=True)
class Elasticities:
    """Elasticities for a scenario: defaults, per-mineral and per-country overrides.

    Country overrides win over mineral overrides, which win over defaults. ``import_demand``
    and ``substitution`` apply to a country as importer, ``export_supply`` as exporter.
    """

    import_demand: float = -0.5
    export_supply: float = 0.5
    substitution: float = 3.0
    by_mineral: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    by_country: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    by_mineral_country: tuple[tuple[str, str, tuple[tuple[str, float], ...]], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name in ELASTICITY_SIGNS:
            check_elasticity(name, getattr(self, name), "elasticities: ")
        for key, pairs in self.by_mineral + self.by_country:
            for name, value in pairs:
                check_elasticity(name, value, f"elasticities for {key}: ")

    @classmethod
    def defaults(cls) -> Elasticities:
        raw = default_elasticities()["defaults"]
        return cls(**{k: float(raw[k]["value"]) for k in ELASTICITY_SIGNS},
                   sources=tuple((k, str(raw[k]["source"])) for k in ELASTICITY_SIGNS))

    def value(self, name: str, mineral: str, country: str | None = None) -> float:
        """The elasticity ``name`` for ``mineral`` and (optionally) ``country``."""
        out = getattr(self, name)
        for key, pairs in self.by_mineral:
            if key == mineral:
                out = dict(pairs).get(name, out)
        if country is not None:
            for key, pairs in self.by_country:
                if key == country:
                    out = dict(pairs).get(name, out)
            for key_m, key_c, pairs in self.by_mineral_country:
                if key_m == mineral and key_c == country:
                    out = dict(pairs).get(name, out)
        return out


# ---------------------------------------------------------------- shocks

@dataclass(frozen=True, slots=True)
class ReferencePrice:
    """A reference (floor) price for one mineral-stage, in USD per tonne."""

    mineral: str
    stage: str
    price_usd_per_t: float
    source: str = ""

    def __post_init__(self) -> None:
        if not self.price_usd_per_t > 0:
            raise InvalidParameterError(
                f"reference price for {self.mineral} {self.stage} must be > 0 USD/t. "
                f"Got {self.price_usd_per_t}.")


@dataclass(frozen=True, slots=True)
class Shock:
    """One change to one instrument.

    ``exporters``/``importers`` are ISO3 tuples or None (every country); ``minerals`` is
    None for every mineral of the baseline. Rates are ad valorem shares (0.25 is 25 %).
    """

    kind: str
    minerals: tuple[str, ...] | None = None
    exporters: tuple[str, ...] | None = None
    importers: tuple[str, ...] | None = None
    rate: float | None = None          # tariff / export tax: new ad-valorem rate
    change: float | None = None        # tariff / export tax: change in the rate
    tonnes: float | None = None        # export_quota, stockpile_release
    share: float | None = None         # export_quota / licensing: share of baseline flows
    change_share: float | None = None  # supply_shock / demand_shock: -0.2 is -20 %
    members: tuple[str, ...] = ()
    internal_tariff: float | None = None
    reference_prices: tuple[ReferencePrice, ...] = ()
    enforcement: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SHOCK_TYPES:
            raise ScenarioError(f"shock type {self.kind!r} is not known. Accepted: "
                                f"{', '.join(SHOCK_TYPES)}.")
        if self.kind in ("tariff", "export_tax") and (self.rate is None) == (self.change is None):
            raise ScenarioError(f"{self.kind} shock needs exactly one of 'rate' or 'change'.")
        if self.rate is not None and self.rate < 0:
            raise InvalidParameterError(f"{self.kind} rate must be >= 0 (0.25 is 25 %). Got {self.rate}.")
        if self.kind in ("export_quota", "licensing"):
            if (self.tonnes is None) == (self.share is None):
                raise ScenarioError(f"{self.kind} shock needs exactly one of 'tonnes' or 'share'.")
        if self.tonnes is not None and self.tonnes < 0:
            raise InvalidParameterError(f"{self.kind} tonnes must be >= 0 (0 is a ban). Got {self.tonnes}.")
        if self.share is not None and not 0 <= self.share:
            raise InvalidParameterError(f"{self.kind} share must be >= 0 (0 is a ban, 1 the "
                                        f"baseline). Got {self.share}.")
        if self.change_share is not None and self.change_share <= -1:
            raise InvalidParameterError(f"{self.kind} change_share must be > -1 (-0.2 is -20 %). "
                                        f"Got {self.change_share}.")
        if self.kind == "preferential_zone" and self.enforcement not in ENFORCEMENTS:
            raise ScenarioError(f"preferential_zone enforcement {self.enforcement!r} is not known. "
                                f"Accepted: {', '.join(ENFORCEMENTS)}.")

    def applies_to(self, mineral: str) -> bool:
        return self.minerals is None or mineral in self.minerals

    def reference_price(self, mineral: str, stage: str) -> ReferencePrice | None:
        for ref in self.reference_prices:
            if ref.mineral == mineral and ref.stage == stage:
                return ref
        return None


@dataclass(frozen=True, slots=True)
class BaselineSpec:
    """Where the baseline comes from: store slices, or the user's CSV files."""

    markets: tuple[tuple[str, str], ...] = ()    # (mineral, stage)
    year: int | None = None
    flows_csv: str | None = None
    tariffs_csv: str | None = None
    value_unit: str = "t"
    prices_usd_per_t: tuple[tuple[str, float], ...] = ()
    tariffs: tuple[Shock, ...] = ()   # tariffs in force in the baseline the data lack
    production_stages: tuple[tuple[str, str, str], ...] = ()  # (mineral, stage, USGS stage)

    def production_stage(self, mineral: str, stage: str) -> str | None:
        for m, st, pst in self.production_stages:
            if (m, st) == (mineral, stage):
                return pst
        return None

    def price(self, mineral: str) -> float | None:
        return dict(self.prices_usd_per_t).get(mineral)

    @property
    def minerals(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for m, _ in self.markets))


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named tuple of shocks, with its baseline and elasticities. A value."""

    name: str
    shocks: tuple[Shock, ...] = ()
    description: str = ""
    model: str = "pe"
    baseline: BaselineSpec = field(default_factory=BaselineSpec)
    elasticities: Elasticities = field(default_factory=Elasticities)
    path: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise ScenarioError("a scenario needs a non-empty name.")

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {len(self.shocks)} shocks)"

    def shocks_for(self, mineral: str) -> tuple[Shock, ...]:
        return tuple(s for s in self.shocks if s.applies_to(mineral))


# ---------------------------------------------------------------- pydantic schema

class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


CountrySet = str | list[str] | None


class _CountrySets(_In):
    minerals: str | list[str] | None = None

    @field_validator("minerals", mode="after")
    @classmethod
    def _check_minerals(cls, v: Any) -> Any:
        return _minerals(v)


def _sets(cls: Any, v: Any, info: ValidationInfo) -> Any:
    return resolve_countries(v, info.field_name or "countries")


class TariffIn(_CountrySets):
    type: Literal["tariff"]
    importers: CountrySet = None
    exporters: CountrySet = None
    rate: float | None = Field(None, ge=0, description="new ad-valorem rate (0.18 is 18 %)")
    change: float | None = Field(None, description="change in the ad-valorem rate")
    label: str = ""
    check_sets = field_validator("importers", "exporters", mode="after")(_sets)


class ExportTaxIn(TariffIn):
    type: Literal["export_tax"]  # type: ignore[assignment]


class QuotaIn(_CountrySets):
    type: Literal["export_quota"]
    exporter: str | list[str]
    destinations: CountrySet = None
    tonnes: float | None = Field(None, ge=0)
    share: float | None = Field(None, ge=0)
    label: str = ""
    check_sets = field_validator("exporter", "destinations", mode="after")(_sets)


class LicensingIn(QuotaIn):
    type: Literal["licensing"]  # type: ignore[assignment]


class ReferencePriceIn(_In):
    mineral: str
    stage: str
    price: float = Field(gt=0)
    unit: str
    source: str = ""

    @field_validator("mineral", mode="after")
    @classmethod
    def _m(cls, v: str) -> str:
        from critmin.vocab import mineral

        return mineral(v).id

    @field_validator("stage", mode="after")
    @classmethod
    def _s(cls, v: str) -> str:
        from critmin.vocab import stage

        return stage(v).value

    @field_validator("unit", mode="after")
    @classmethod
    def _u(cls, v: str) -> str:
        if v.strip() not in PRICE_UNITS:
            raise ValueError(f"reference prices must be in USD/t (USD per metric tonne); got unit "
                             f"{v!r}. Convert it (1 USD/kg = 1000 USD/t, 1 USD/lb = 2204.62 USD/t) "
                             f"and write unit: USD/t")
        return "USD/t"


class ZoneIn(_In):
    type: Literal["preferential_zone"]
    members: str | list[str]
    internal_tariff: float = Field(0.0, ge=0)
    reference_prices: list[ReferencePriceIn] = Field(default_factory=list)
    enforcement: Literal["adjustable_tariff", "price_gap_subsidy"] = "adjustable_tariff"
    minerals: str | list[str] | None = None
    label: str = ""
    check_sets = field_validator("members", mode="after")(_sets)

    @field_validator("reference_prices", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("minerals", mode="after")
    @classmethod
    def _check_minerals(cls, v: Any) -> Any:
        return _minerals(v)

    @model_validator(mode="after")
    def _members_named(self) -> ZoneIn:
        if self.members is None:
            raise ValueError("members must be a bloc name or a list of countries, not 'all'")
        return self


class SupplyShockIn(_CountrySets):
    type: Literal["supply_shock"]
    country: str | list[str]
    change_share: float = Field(gt=-1, description="-0.2 is a 20 % fall in production")
    label: str = ""
    check_sets = field_validator("country", mode="after")(_sets)


class DemandShockIn(SupplyShockIn):
    type: Literal["demand_shock"]  # type: ignore[assignment]


class StockpileIn(_CountrySets):
    type: Literal["stockpile_release"]
    country: str
    tonnes: float = Field(ge=0)
    label: str = ""

    @field_validator("country", mode="after")
    @classmethod
    def _c(cls, v: str) -> str:
        return _country(v)


ShockIn = Annotated[TariffIn | ExportTaxIn | QuotaIn | LicensingIn | ZoneIn | SupplyShockIn
                    | DemandShockIn | StockpileIn, Field(discriminator="type")]

Overrides = dict[str, dict[str, float]]


class ElasticitiesIn(_In):
    import_demand: float | None = None
    export_supply: float | None = None
    substitution: float | None = None
    by_mineral: Overrides = Field(default_factory=dict)
    by_country: Overrides = Field(default_factory=dict)

    @field_validator("import_demand", "export_supply", "substitution", mode="after")
    @classmethod
    def _sign(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is not None:
            check_elasticity(str(info.field_name), v)
        return v

    @field_validator("by_mineral", mode="after")
    @classmethod
    def _by_mineral(cls, v: Overrides) -> Overrides:
        from critmin.vocab import mineral

        out = {}
        for key, pairs in v.items():
            for name, value in pairs.items():
                check_elasticity(name, value, f"{key}: ")
            out[mineral(key).id] = pairs
        return out

    @field_validator("by_country", mode="after")
    @classmethod
    def _by_country(cls, v: Overrides) -> Overrides:
        out = {}
        for key, pairs in v.items():
            for name, value in pairs.items():
                check_elasticity(name, value, f"{key}: ")
            out[_country(key)] = pairs
        return out


class MarketIn(_In):
    mineral: str
    stage: str
    production_stage: str | None = Field(None, description="USGS stage bounding supply, if "
                                         "the trade stage has no production data")

    @field_validator("mineral", mode="after")
    @classmethod
    def _m(cls, v: str) -> str:
        from critmin.vocab import mineral

        return mineral(v).id

    @field_validator("stage", mode="after")
    @classmethod
    def _s(cls, v: str) -> str:
        from critmin.vocab import stage

        return stage(v).value

    @field_validator("production_stage", mode="after")
    @classmethod
    def _ps(cls, v: str | None) -> str | None:
        from critmin.vocab import stage

        return None if v is None else stage(v).value


class BaselineIn(_In):
    minerals: str | list[str] | None = None
    mineral: str | None = None
    stage: str = "refinery"
    markets: list[MarketIn] = Field(default_factory=list, description="mineral-stage pairs")
    year: int | None = Field(None, ge=1990, le=2100)
    flows_csv: str | None = None
    tariffs_csv: str | None = None
    value_unit: Literal["t", "usd"] = "t"
    price_usd_per_t: float | dict[str, float] | None = None
    tariffs: list[TariffIn] = Field(default_factory=list,
                                    description="tariffs in force in the baseline (type: tariff)")

    @field_validator("stage", mode="after")
    @classmethod
    def _s(cls, v: str) -> str:
        from critmin.vocab import stage

        return stage(v).value

    @model_validator(mode="after")
    def _either(self) -> BaselineIn:
        mins = _minerals(self.minerals) or ()
        if self.mineral:
            mins = tuple(dict.fromkeys((*mins, *(_minerals(self.mineral) or ()))))
        pairs = [(m, self.stage) for m in mins] + [(mk.mineral, mk.stage) for mk in self.markets]
        if self.flows_csv is None:
            if not pairs or self.year is None:
                raise ValueError("a baseline needs either minerals + stage (or markets) + year from "
                                 "the store, or flows_csv (exporter, importer, value)")
        elif len(pairs) != 1:
            raise ValueError("a flows_csv baseline needs exactly one 'mineral' (and its stage) to label it")
        if self.tariffs_csv is not None and self.flows_csv is None:
            raise ValueError("tariffs_csv goes with flows_csv; store baselines read tariffs from the store")
        prices = self.price_usd_per_t
        if isinstance(prices, dict):
            for key, value in prices.items():
                if not value > 0:
                    raise ValueError(f"price_usd_per_t for {key} must be > 0; got {value}")
        elif prices is not None and not prices > 0:
            raise ValueError(f"price_usd_per_t must be > 0; got {prices}")
        self.minerals = [m for m, _ in pairs]
        given = {(mk.mineral, mk.stage): mk.production_stage for mk in self.markets}
        self.markets = [MarketIn(mineral=m, stage=st, production_stage=given.get((m, st)))
                        for m, st in dict.fromkeys(pairs)]
        return self


class ScenarioIn(_In):
    name: str = Field(min_length=1)
    description: str = ""
    model: Literal["pe"] = "pe"
    baseline: BaselineIn
    elasticities: ElasticitiesIn = Field(default_factory=ElasticitiesIn)
    shocks: list[ShockIn] = Field(default_factory=list)

    def scenario(self, path: str = "", base_dir: Path | None = None) -> Scenario:
        """The frozen :class:`Scenario` value this document describes."""
        return Scenario(name=self.name, description=self.description, model=self.model,
                        baseline=_baseline(self.baseline, base_dir),
                        elasticities=_elasticities(self.elasticities),
                        shocks=tuple(_shock(s) for s in self.shocks), path=path)


def _baseline(b: BaselineIn, base_dir: Path | None) -> BaselineSpec:
    def resolve(p: str | None) -> str | None:
        if p is None:
            return None
        path = Path(p)
        return str(path if path.is_absolute() or base_dir is None else base_dir / path)

    mins = tuple(dict.fromkeys(b.minerals or ()))
    if isinstance(b.price_usd_per_t, dict):
        from critmin.vocab import mineral

        prices = tuple((mineral(k).id, float(v)) for k, v in b.price_usd_per_t.items())
    elif b.price_usd_per_t is not None:
        prices = tuple((m, float(b.price_usd_per_t)) for m in mins)
    else:
        prices = ()
    return BaselineSpec(tariffs=tuple(_shock(t) for t in b.tariffs),
                        production_stages=tuple((mk.mineral, mk.stage, mk.production_stage)
                                                for mk in b.markets if mk.production_stage),
                        markets=tuple((mk.mineral, mk.stage) for mk in b.markets), year=b.year,
                        flows_csv=resolve(b.flows_csv),
                        tariffs_csv=resolve(b.tariffs_csv), value_unit=b.value_unit,
                        prices_usd_per_t=prices)


def _elasticities(e: ElasticitiesIn) -> Elasticities:
    base = Elasticities.defaults()
    values = {k: getattr(e, k) if getattr(e, k) is not None else getattr(base, k)
              for k in ELASTICITY_SIGNS}
    sources = dict(base.sources)
    for k in ELASTICITY_SIGNS:
        if getattr(e, k) is not None:
            sources[k] = "scenario file"
    raw = default_elasticities().get("by_mineral") or {}
    # a value the scenario sets for every mineral replaces the package's per-mineral ones
    own = {k for k in ELASTICITY_SIGNS if getattr(e, k) is not None}
    by_mineral = {m: {k: float(v["value"]) if isinstance(v, dict) else float(v)
                      for k, v in entries.items() if k in ELASTICITY_SIGNS and k not in own}
                  for m, entries in raw.items()}
    for m, pairs in e.by_mineral.items():
        by_mineral.setdefault(m, {}).update(pairs)
    return Elasticities(**values,
                        by_mineral=tuple((m, tuple(sorted(p.items()))) for m, p in sorted(by_mineral.items())),
                        by_country=tuple((c, tuple(sorted(p.items()))) for c, p in sorted(e.by_country.items())),
                        sources=tuple(sorted(sources.items())))


def _shock(s: Any) -> Shock:
    common: dict[str, Any] = {"kind": s.type, "minerals": s.minerals, "label": s.label}
    if s.type in ("tariff", "export_tax"):
        return Shock(**common, exporters=s.exporters, importers=s.importers, rate=s.rate,
                     change=s.change)
    if s.type in ("export_quota", "licensing"):
        return Shock(**common, exporters=s.exporter, importers=s.destinations, tonnes=s.tonnes,
                     share=s.share)
    if s.type == "preferential_zone":
        refs = tuple(ReferencePrice(r.mineral, r.stage, r.price, r.source) for r in s.reference_prices)
        return Shock(**common, members=tuple(s.members), internal_tariff=s.internal_tariff,
                     reference_prices=refs, enforcement=s.enforcement)
    if s.type in ("supply_shock", "demand_shock"):
        return Shock(**common, exporters=s.country if s.type == "supply_shock" else None,
                     importers=s.country if s.type == "demand_shock" else None,
                     change_share=s.change_share)
    return Shock(**common, importers=(s.country,), tonnes=s.tonnes)


def scenario_model(path: str | Path) -> str:
    """The top-level ``model:`` key of a scenario file (``pe`` when absent)."""
    doc = load_yaml(path)
    return str(doc.data.get("model", "pe")).strip().lower()


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a ``model: pe`` scenario file.

    Raises
    ------
    ScenarioError
        Malformed YAML or a field that does not validate, with file, line and field.
    """
    doc = load_yaml(path)
    parsed: ScenarioIn = validate(doc, ScenarioIn)
    try:
        return parsed.scenario(path=str(path), base_dir=Path(path).resolve().parent)
    except (InvalidParameterError, ScenarioError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


def scenario_files(directory: str | Path | None = None) -> list[Path]:
    """The scenario library: ``scenarios/*.yaml`` of the checkout (or ``directory``)."""
    if directory is None:
        from critmin.config import PACKAGE_DIR

        for parent in PACKAGE_DIR.parents:
            if (parent / "scenarios").is_dir():
                directory = parent / "scenarios"
                break
        else:
            return []
    return sorted(Path(directory).glob("*.y*ml"))
