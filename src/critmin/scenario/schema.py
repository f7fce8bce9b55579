"""The YAML/JSON edge of the scenario language: pydantic schemas of the common parts (the
envelope and the shock vocabulary) and helpers model sections reuse.

Validators raise ``ValueError`` subclasses (critmin's ``InputError`` family), which pydantic
reports with the field path; :mod:`critmin.scenario.load` adds the file and the line. Every
schema turns into a frozen value with ``to_value(ctx)``; nothing past this module sees
pydantic.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator

from critmin.scenario.countries import resolve_countries
from critmin.scenario.values import PRICE_UNITS, ReferencePrice, Shock

if TYPE_CHECKING:
    from critmin.scenario.load import LoadContext
    from critmin.scenario.registry import ModelPlugin


class In(BaseModel):
    """Base of every scenario schema: unknown keys are errors (with did-you-mean)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


CountrySet = str | list[str] | None


def minerals(value: Any) -> tuple[str, ...] | None:
    """Mineral ids of a mineral set (``all``/None: every mineral of the baseline)."""
    from critmin.vocab import mineral

    if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
        return None
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(dict.fromkeys(mineral(str(m)).id for m in items))


def _sets(cls: Any, v: Any, info: ValidationInfo) -> Any:
    return resolve_countries(v, info.field_name or "countries")


def _alias(*names: str) -> Any:
    return AliasChoices(*names)


class _ShockIn(In):
    label: str = ""
    minerals: str | list[str] | None = None

    @field_validator("minerals", mode="after")
    @classmethod
    def _check_minerals(cls, v: Any) -> Any:
        return minerals(v)


class _PairsIn(_ShockIn):
    exporters: CountrySet = Field(None, validation_alias=_alias("exporters", "exporter"))
    importers: CountrySet = Field(None, validation_alias=_alias("importers", "importer", "destinations"))
    check_sets = field_validator("exporters", "importers", mode="after")(_sets)

    def _pairs(self) -> dict[str, Any]:
        return {"kind": self.type, "label": self.label, "minerals": self.minerals,  # type: ignore[attr-defined]
                "exporters": self.exporters, "importers": self.importers}


class TariffIn(_PairsIn):
    type: Literal["tariff"]
    rate: float | None = Field(None, ge=0, allow_inf_nan=False, description="new ad-valorem rate (0.18 is 18 %)")
    change: float | None = Field(None, allow_inf_nan=False, description="change in the ad-valorem rate")

    @field_validator("rate", "change", mode="after")
    @classmethod
    def _shares(cls, v: float | None) -> float | None:
        if v is not None and abs(v) > 5:
            raise ValueError(f"rates are shares (0.18 is 18 %); got {v}. Divide percentages by 100")
        return v

    def to_value(self, ctx: LoadContext | None = None) -> Shock:
        return Shock(**self._pairs(), rate=self.rate, change=self.change)


class ExportTaxIn(TariffIn):
    type: Literal["export_tax"]  # type: ignore[assignment]


class QuotaIn(_PairsIn):
    type: Literal["export_quota"]
    tonnes: float | None = Field(None, ge=0)
    share: float | None = Field(None, ge=0)

    def to_value(self, ctx: LoadContext | None = None) -> Shock:
        return Shock(**self._pairs(), tonnes=self.tonnes, share=self.share)


class LicensingIn(QuotaIn):
    type: Literal["licensing"]  # type: ignore[assignment]


class BanIn(_PairsIn):
    type: Literal["ban"]

    def to_value(self, ctx: LoadContext | None = None) -> Shock:
        return Shock(**self._pairs())


class ReferencePriceIn(In):
    mineral: str
    stage: str
    price: float = Field(gt=0, allow_inf_nan=False)
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


class ZoneIn(_ShockIn):
    type: Literal["preferential_zone"]
    members: str | list[str]
    internal_tariff: float = Field(0.0, ge=0, le=10)
    reference_prices: list[ReferencePriceIn] = Field(default_factory=list)
    enforcement: Literal["adjustable_tariff", "price_gap_subsidy"] = "adjustable_tariff"

    @field_validator("members", mode="after")
    @classmethod
    def _members(cls, v: Any) -> Any:
        out = resolve_countries(v, "members")
        if out is None:
            raise ValueError("members must be a bloc name or a list of countries, not 'all'")
        return out

    @field_validator("reference_prices", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    def to_value(self, ctx: LoadContext | None = None) -> Shock:
        refs = tuple(ReferencePrice(r.mineral, r.stage, r.price, r.source) for r in self.reference_prices)
        return Shock("preferential_zone", minerals=self.minerals, label=self.label,
                     members=tuple(self.members), internal_tariff=self.internal_tariff,
                     reference_prices=refs, enforcement=self.enforcement)


class _CountryShockIn(_ShockIn):
    countries: CountrySet = Field(None, validation_alias=_alias("countries", "country"))
    check_sets = field_validator("countries", mode="after")(_sets)


class SupplyShockIn(_CountryShockIn):
    type: Literal["supply_shock"]
    change_share: float = Field(gt=-1, le=100, description="-0.2 is a 20 % fall in production")

    def to_value(self, ctx: LoadContext | None = None) -> Shock:
        return Shock("supply_shock", minerals=self.minerals, label=self.label,
                     exporters=self.countries, change_share=self.change_share)


class DemandShockIn(_CountryShockIn):
    type: Literal["demand_shock"]
    change_share: float = Field(gt=-1, le=100, description="-0.2 is a 20 % fall in demand")

    def to_value(self, ctx: LoadContext | None = None) -> Shock:
        return Shock("demand_shock", minerals=self.minerals, label=self.label,
                     importers=self.countries, change_share=self.change_share)


class StockpileIn(_CountryShockIn):
    type: Literal["stockpile_release"]
    tonnes: float = Field(ge=0, allow_inf_nan=False)

    def to_value(self, ctx: LoadContext | None = None) -> Shock:
        return Shock("stockpile_release", minerals=self.minerals, label=self.label,
                     importers=self.countries, tonnes=self.tonnes)


class TradeCostIn(_PairsIn):
    type: Literal["trade_cost_change"]
    variable: str = Field(min_length=1)
    value: float | None = Field(None, allow_inf_nan=False)
    change: float | None = Field(None, allow_inf_nan=False)
    symmetric: bool = False

    def to_value(self, ctx: LoadContext | None = None) -> Shock:
        return Shock(**self._pairs(), variable=self.variable, value=self.value, change=self.change,
                     symmetric=self.symmetric)


ShockIn = Annotated[TariffIn | ExportTaxIn | QuotaIn | LicensingIn | BanIn | ZoneIn | SupplyShockIn
                    | DemandShockIn | StockpileIn | TradeCostIn, Field(discriminator="type")]

#: Keys every scenario document may carry, whatever its model.
COMMON_KEYS = ("name", "description", "model", "notes", "assumptions", "baseline", "shocks")


@functools.cache
def envelope(plugin: ModelPlugin) -> type[BaseModel]:
    """The whole-document schema of ``plugin``'s model: the common keys, its ``baseline:``
    section and its ``<name>:`` settings section."""
    fields: dict[str, Any] = {
        "name": (str, Field(min_length=1)),
        "description": (str, ""),
        "model": (str, plugin.name),
        "notes": (str, ""),
        "assumptions": (list[str], Field(default_factory=list)),
        "shocks": (list[ShockIn], Field(default_factory=list)),
    }
    if plugin.baseline is not None:
        # a section that cannot be empty (a required key, or one of two keys: network's chain
        # or chain_file) is itself required: a missing section is then a "Field required"
        # error at the document's line, not a crash later
        try:
            plugin.baseline()
        except Exception:  # noqa: BLE001  (pydantic's ValidationError or a validator's ValueError)
            required = True
        else:
            required = False
        fields["baseline"] = (plugin.baseline, ...) if required else (plugin.baseline | None, None)
    if plugin.settings is not None:
        fields[plugin.name] = (plugin.settings | None, None)
    return create_model(f"{plugin.name.upper()}ScenarioIn", __base__=In, **fields)
