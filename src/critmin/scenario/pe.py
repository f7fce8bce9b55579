"""``model: pe``: the partial-equilibrium model's sections of the scenario language.

Values (frozen): :class:`Elasticities` (defaults from ``data/parameters/elasticities.yml``,
the one place they live), :class:`BaselineSpec` (store slices or user files, tariffs in
force), :class:`PESettings` (mode and elasticities: the model's parameters). Schemas (the
YAML edge): :class:`BaselineIn` and :class:`PESettingsIn`.

Layout of a file::

    model: pe
    name: gallium-ban
    description: China bans gallium exports to the USA.
    baseline:                  # either store slices ...
      markets: [{mineral: gallium, stage: refinery}]   # or minerals: [gallium] + stage:
      year: 2023
      # ... or user files: flows_csv: flows.csv, tariffs_csv: tariffs.csv, mineral: gallium
      price_usd_per_t: {gallium: 520000}     # optional; needed for USD welfare and floors
      tariffs: [{type: tariff, exporters: CHN, importers: USA, rate: 0.25}]  # in force
    pe:                        # optional: the model's parameters
      mode: exact              # or gsim
      blocs: {Quad: Quad}      # welfare totals over country sets (the zone and world always)
      elasticities:            # overrides of data/parameters/elasticities.yml
        substitution: 3.0
        by_mineral: {gallium: {substitution: 2.0}}
        by_country: {CHN: {export_supply: 0.3}}
    shocks:
      - {type: ban, exporters: CHN, importers: USA}

Files written before the one language put ``elasticities:`` at the top level; they still
load (the section moves under ``pe:``) and the result says so.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from critmin.config import DATA_DIR, read_yaml
from critmin.errors import InvalidParameterError
from critmin.scenario.schema import In, TariffIn, minerals
from critmin.scenario.values import Shock

if TYPE_CHECKING:
    from critmin.scenario.load import LoadContext

ELASTICITY_SIGNS = {"import_demand": -1, "export_supply": +1, "substitution": +1}
SIGN_WORDS = {-1: "< 0 (a demand elasticity is negative)", +1: "> 0"}
MODES = ("exact", "gsim")
PARAMETERS_FILE = DATA_DIR / "parameters" / "elasticities.yml"

Pairs = tuple[tuple[str, float], ...]


@functools.cache
def default_elasticities() -> dict[str, Any]:
    """``data/parameters/elasticities.yml``: defaults, each with its source."""
    return read_yaml(PARAMETERS_FILE)  # type: ignore[return-value]


def elasticity_ranges() -> dict[str, tuple[float, float, float]]:
    """``(low, central, high)`` of each elasticity kind, from the ``range`` of its default in
    ``data/parameters/elasticities.yml`` (with its source): what a sweep draws from."""
    out = {}
    for name in ELASTICITY_SIGNS:
        entry = default_elasticities()["defaults"][name]
        low, high = (float(v) for v in entry["range"]["values"])
        central = float(entry["value"])
        for v in (low, high):
            check_elasticity(name, v, f"{PARAMETERS_FILE.name}: range of {name}: ")
        out[name] = (low, central, high)
    return out


def check_elasticity(name: str, value: float, where: str = "") -> float:
    """``value`` if it has the sign ``name`` requires; InvalidParameterError otherwise."""
    sign = ELASTICITY_SIGNS.get(name)
    if sign is None:
        msg = f"{where}{name!r} is not an elasticity. Accepted: {', '.join(ELASTICITY_SIGNS)}."
        raise InvalidParameterError(msg)
    value = float(value)
    if not (value * sign > 0 and value * sign < 1e6):  # also rejects NaN and infinities
        msg = (f"{where}{name} must be {SIGN_WORDS[sign]} and finite. Got {value}."
               + (" Write import demand as a negative number, e.g. -0.5." if sign < 0 else ""))
        raise InvalidParameterError(msg)
    return value


def _default(name: str) -> float:
    return float(default_elasticities()["defaults"][name]["value"])


def _default_by_mineral() -> tuple[tuple[str, Pairs], ...]:
    raw = default_elasticities().get("by_mineral") or {}
    out = []
    for m, entries in sorted(raw.items()):
        pairs = tuple(sorted((k, float(v["value"]) if isinstance(v, dict) else float(v))
                             for k, v in entries.items() if k in ELASTICITY_SIGNS))
        out.append((m, pairs))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Elasticities:
    """Elasticities of the PE model: defaults, per-mineral and per-country overrides.

    Every default comes from ``data/parameters/elasticities.yml`` (with its source), so
    ``Elasticities()`` in Python and a scenario file without an ``elasticities`` block give
    the same numbers. Country overrides win over mineral overrides, which win over the
    scalar values; ``by_mineral`` given replaces the package's per-mineral table.
    ``import_demand`` and ``substitution`` apply to a country as importer,
    ``export_supply`` as exporter.

    Examples
    --------
    >>> Elasticities().value("substitution", "gallium") == Elasticities().by_mineral_value("gallium", "substitution")
    True
    """

    import_demand: float = field(default_factory=lambda: _default("import_demand"))
    export_supply: float = field(default_factory=lambda: _default("export_supply"))
    substitution: float = field(default_factory=lambda: _default("substitution"))
    by_mineral: tuple[tuple[str, Pairs], ...] = field(default_factory=_default_by_mineral)
    by_country: tuple[tuple[str, Pairs], ...] = ()
    by_mineral_country: tuple[tuple[str, str, Pairs], ...] = ()
    #: "defaults", or "protee": substitution from CEPII ProTEE per mineral-stage (store baselines)
    substitution_from: str = "defaults"

    def __post_init__(self) -> None:
        for name in ELASTICITY_SIGNS:
            object.__setattr__(self, name, check_elasticity(name, getattr(self, name), "elasticities: "))
        for key, pairs in self.by_mineral + self.by_country:
            for name, value in pairs:
                check_elasticity(name, value, f"elasticities for {key}: ")
        for m, c, pairs in self.by_mineral_country:
            for name, value in pairs:
                check_elasticity(name, value, f"elasticities for {m} {c}: ")
        if self.substitution_from not in ("defaults", "protee"):
            raise InvalidParameterError(f"substitution_from must be 'defaults' or 'protee'. "
                                        f"Got {self.substitution_from!r}.")

    def __repr__(self) -> str:
        from critmin.models.base import non_default_repr

        return non_default_repr(self)

    @classmethod
    def defaults(cls) -> Elasticities:
        """The package defaults (the same as ``Elasticities()``)."""
        return cls()

    def by_mineral_value(self, mineral: str, name: str) -> float | None:
        return dict(dict(self.by_mineral).get(mineral, ())).get(name)

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

    def sources(self) -> tuple[tuple[str, str], ...]:
        """Where each scalar value comes from: the parameters file's source, or the caller."""
        raw = default_elasticities()["defaults"]
        out = []
        for name in ELASTICITY_SIGNS:
            if getattr(self, name) == float(raw[name]["value"]):
                out.append((name, str(raw[name]["source"]).strip()))
            else:
                out.append((name, "scenario"))
        if self.by_mineral != _default_by_mineral():
            out.append(("by_mineral", "scenario"))
        return tuple(out)

    def as_dict(self) -> dict[str, Any]:
        return {"import_demand": self.import_demand, "export_supply": self.export_supply,
                "substitution": self.substitution,
                "by_mineral": {m: dict(p) for m, p in self.by_mineral},
                "by_country": {c: dict(p) for c, p in self.by_country},
                "substitution_from": self.substitution_from}


@dataclass(frozen=True, slots=True)
class BaselineSpec:
    """Where a PE baseline comes from: store slices, or the user's CSV files."""

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

    @property
    def needs_store(self) -> bool:
        return self.flows_csv is None


@dataclass(frozen=True, slots=True)
class PESettings:
    """The ``pe:`` section: the model's parameters."""

    mode: str = "exact"
    elasticities: Elasticities = field(default_factory=Elasticities)
    blocs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidParameterError(f"pe mode must be one of {', '.join(MODES)}. Got {self.mode!r}.")


# ---------------------------------------------------------------- YAML edge

Overrides = dict[str, dict[str, float]]


class ElasticitiesIn(In):
    import_demand: float | None = None
    export_supply: float | None = None
    substitution: float | None = None
    by_mineral: Overrides | None = None
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
    def _by_mineral(cls, v: Overrides | None) -> Overrides | None:
        from critmin.vocab import mineral

        if v is None:
            return None
        out = {}
        for key, pairs in v.items():
            for name, value in pairs.items():
                check_elasticity(name, value, f"{key}: ")
            out[mineral(key).id] = pairs
        return out

    @field_validator("by_country", mode="after")
    @classmethod
    def _by_country(cls, v: Overrides) -> Overrides:
        from critmin.countries import country

        out = {}
        for key, pairs in v.items():
            for name, value in pairs.items():
                check_elasticity(name, value, f"{key}: ")
            out[country(key)] = pairs
        return out

    def to_value(self, ctx: LoadContext | None = None) -> Elasticities:
        given: dict[str, Any] = {k: getattr(self, k) for k in ELASTICITY_SIGNS if getattr(self, k) is not None}
        if self.by_mineral is not None:
            given["by_mineral"] = tuple((m, tuple(sorted(p.items()))) for m, p in sorted(self.by_mineral.items()))
        return Elasticities(**given,
                            by_country=tuple((c, tuple(sorted(p.items())))
                                             for c, p in sorted(self.by_country.items())),
                            substitution_from=self.substitution_from)


class PESettingsIn(In):
    mode: Literal["exact", "gsim"] = "exact"
    elasticities: ElasticitiesIn = Field(default_factory=ElasticitiesIn)
    blocs: dict[str, str | list[str]] = Field(default_factory=dict,
                                              description="country sets to total welfare over")

    @field_validator("blocs", mode="after")
    @classmethod
    def _blocs(cls, v: dict[str, Any]) -> dict[str, Any]:
        from critmin.scenario.countries import resolve_blocs

        return resolve_blocs(v, all_means="the world is always totalled")

    def to_value(self, ctx: LoadContext | None = None) -> PESettings:
        return PESettings(mode=self.mode, elasticities=self.elasticities.to_value(ctx),
                          blocs=tuple((k, tuple(v)) for k, v in self.blocs.items()))


class MarketIn(In):
    mineral: str
    stage: str
    production_stage: str | None = Field(None, description="USGS stage bounding supply, if "
                                         "the trade stage has no production data")

    @field_validator("mineral", mode="after")
    @classmethod
    def _m(cls, v: str) -> str:
        from critmin.vocab import mineral

        return mineral(v).id

    @field_validator("stage", "production_stage", mode="after")
    @classmethod
    def _s(cls, v: str | None) -> str | None:
        from critmin.vocab import stage

        return None if v is None else stage(v).value


class BaselineIn(In):
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
        mins = minerals(self.minerals) or ()
        if self.mineral:
            mins = tuple(dict.fromkeys((*mins, *(minerals(self.mineral) or ()))))
        pairs = [(m, self.stage) for m in mins] + [(mk.mineral, mk.stage) for mk in self.markets]
        if self.flows_csv is None:
            if not pairs or self.year is None:
                raise ValueError("a baseline needs either minerals + stage (or markets) + year from "
                                 "the store, or flows_csv (exporter, importer, value)")
        elif len(dict.fromkeys(pairs)) != 1:
            raise ValueError("a flows_csv baseline needs exactly one 'mineral' (and its stage) to label it")
        if self.tariffs_csv is not None and self.flows_csv is None:
            raise ValueError("tariffs_csv goes with flows_csv; store baselines take tariffs in force "
                             "from baseline.tariffs")
        prices = self.price_usd_per_t
        values = prices.values() if isinstance(prices, dict) else [] if prices is None else [prices]
        for value in values:
            if not (value > 0 and value < 1e15):
                raise ValueError(f"price_usd_per_t must be a finite number > 0; got {value}")
        self.minerals = [m for m, _ in pairs]
        given = {(mk.mineral, mk.stage): mk.production_stage for mk in self.markets}
        self.markets = [MarketIn(mineral=m, stage=st, production_stage=given.get((m, st)))
                        for m, st in dict.fromkeys(pairs)]
        return self

    def to_value(self, ctx: LoadContext | None = None) -> BaselineSpec:
        def resolve(p: str | None, what: str) -> str | None:
            if p is None:
                return None
            if ctx is None:
                return p
            return str(ctx.data_path(p, what))

        mins = tuple(dict.fromkeys(self.minerals or ()))
        if isinstance(self.price_usd_per_t, dict):
            from critmin.vocab import mineral

            prices = tuple((mineral(k).id, float(v)) for k, v in self.price_usd_per_t.items())
        elif self.price_usd_per_t is not None:
            prices = tuple((m, float(self.price_usd_per_t)) for m in mins)
        else:
            prices = ()
        return BaselineSpec(tariffs=tuple(t.to_value(ctx) for t in self.tariffs),
                            production_stages=tuple((mk.mineral, mk.stage, mk.production_stage)
                                                    for mk in self.markets if mk.production_stage),
                            markets=tuple((mk.mineral, mk.stage) for mk in self.markets), year=self.year,
                            flows_csv=resolve(self.flows_csv, "baseline.flows_csv"),
                            tariffs_csv=resolve(self.tariffs_csv, "baseline.tariffs_csv"),
                            value_unit=self.value_unit, prices_usd_per_t=prices)


def upgrade(doc: dict[str, Any]) -> list[str]:
    """Older PE files: a top-level ``elasticities:`` block moves under ``pe:``."""
    notes = []
    if "elasticities" in doc and isinstance(doc.get("pe", {}), dict | type(None)):
        section = doc.get("pe") or {}
        if "elasticities" not in section:
            section["elasticities"] = doc.pop("elasticities")
            doc["pe"] = section
            notes.append("top-level 'elasticities:' is the older layout; write it under 'pe:' "
                         "(pe: {elasticities: ...})")
    return notes
