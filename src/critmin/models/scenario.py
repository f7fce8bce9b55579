"""Scenario files: the YAML language, its pydantic validation, and the frozen values built
from it.

A scenario is a value (STYLE.md §2): :class:`Scenario` and :class:`Shock` are frozen,
hashable dataclasses validated in ``__post_init__``. The YAML schema is pydantic
(``ScenarioIn`` in :mod:`critmin.models.scenario_yaml`); :func:`load_scenario` reads a file through
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

Countries are ISO3 codes or names (:func:`critmin.countries.country`), country sets
are lists, ``all``, or bloc names (:func:`critmin.blocs.resolve`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from critmin.config import DATA_DIR, read_yaml
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
    from critmin.countries import country

    return country(str(text))


def _bloc(name: str) -> tuple[str, ...]:
    """Members of a named bloc (or the ISO3 code of a country name)."""
    from critmin.blocs import resolve

    return tuple(resolve(name))


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
        try:
            members = _bloc(text)
        except UnknownBlocError as exc:
            if re.fullmatch(r"[A-Z]{3}", text):
                raise country_error from None
            raise ValueError(f"{what}: {exc} It is not a country either.") from None
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
    return read_yaml(DATA_DIR / "parameters" / "elasticities.yml")


def check_elasticity(name: str, value: float, where: str = "") -> float:
    """``value`` if it has the sign ``name`` requires; InvalidParameterError otherwise."""
    sign = ELASTICITY_SIGNS.get(name)
    if sign is None:
        msg = f"{where}{name!r} is not an elasticity. Accepted: {', '.join(ELASTICITY_SIGNS)}."
        raise InvalidParameterError(msg)
    value = float(value)
    if not value * sign > 0:  # also rejects NaN
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
    #: "defaults", or "protee": substitution from CEPII ProTEE per mineral-stage (store baselines)
    substitution_from: str = "defaults"

    def __post_init__(self) -> None:
        for name in ELASTICITY_SIGNS:
            check_elasticity(name, getattr(self, name), "elasticities: ")
        for key, pairs in self.by_mineral + self.by_country:
            for name, value in pairs:
                check_elasticity(name, value, f"elasticities for {key}: ")
        if self.substitution_from not in ("defaults", "protee"):
            raise InvalidParameterError(f"substitution_from must be 'defaults' or 'protee'. "
                                        f"Got {self.substitution_from!r}.")

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
        if self.kind in ("export_quota", "licensing") and (self.tonnes is None) == (self.share is None):
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
    from critmin.models.scenario_yaml import ScenarioIn

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
