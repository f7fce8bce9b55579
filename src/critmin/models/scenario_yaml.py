"""The pydantic schema of scenario YAML files (``model: pe``) and its conversion to the
frozen values of :mod:`critmin.models.scenario`.

Validators raise ``ValueError`` subclasses (critmin's ``InputError`` family), which pydantic
reports with the field path; :func:`critmin.models.yamlio.validate` adds the file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from critmin.models.scenario import (
    ELASTICITY_SIGNS,
    PRICE_UNITS,
    BaselineSpec,
    Elasticities,
    ReferencePrice,
    Scenario,
    Shock,
    _country,
    _minerals,
    check_elasticity,
    default_elasticities,
    resolve_countries,
)


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


class _MarketKeyIn(_In):
    """A mineral and a stage, normalised to vocabulary ids."""

    mineral: str
    stage: str

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


class ReferencePriceIn(_MarketKeyIn):
    mineral: str
    stage: str
    price: float = Field(gt=0)
    unit: str
    source: str = ""


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
    substitution_from: Literal["defaults", "protee"] = Field(
        "defaults", description="protee: sigma = 1 - epsilon of CEPII ProTEE for the market's HS codes")

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


class MarketIn(_MarketKeyIn):
    mineral: str
    stage: str
    production_stage: str | None = Field(None, description="USGS stage bounding supply, if "
                                         "the trade stage has no production data")


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
                        substitution_from=e.substitution_from,
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


