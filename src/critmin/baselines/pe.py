"""Partial-equilibrium baselines: the :class:`MarketBaseline` value and its loaders.

A :class:`MarketBaseline` is one mineral-stage-year: a complete exporter x importer matrix
of quantities (domestic supply as exporter == importer), the baseline ad-valorem tariffs,
the base world price and the provenance of every input. :func:`load_baselines` builds them
for a ``model: pe`` scenario from the store (through :func:`critmin.baseline.build_baseline`,
prices from the store's ``prices`` table, ProTEE elasticities on request) or from the
scenario's CSV files. This is the one place the PE model's inputs are read; the model
itself (:mod:`critmin.models.pe`) reads nothing.

Units: quantities in tonnes, or, for a ``value_unit: usd`` file, USD at base prices
(``quantity_unit`` says which, and result columns carry ``_usd`` instead of ``_t``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.errors import ScenarioError, SourceFormatError
from critmin.scenario.pe import BaselineSpec, PESettings
from critmin.scenario.values import Scenario

FLOW_COLUMNS = ("exporter", "importer", "flow_t", "tariff_share", "method", "source")


@dataclass(frozen=True, slots=True, eq=False)
class MarketBaseline:
    """One mineral-stage-year baseline.

    Parameters
    ----------
    mineral, stage : str
    year : int or None
    flows : DataFrame
        ``exporter, importer, flow_t`` (+ ``tariff_share`` 0-1, ``method``, ``source``).
    price_usd_per_t : float, optional
        Base world price; needed for USD welfare and for reference prices.
    quantity_unit : str
        ``"t"``, or ``"USD at base prices"`` for value-only files.
    provenance : tuple of dict
        One record per input (source, vintage, file...).
    """

    mineral: str
    stage: str
    year: int | None
    flows: pd.DataFrame
    price_usd_per_t: float | None = None
    price_source: str = ""
    quantity_unit: str = "t"
    provenance: tuple[dict[str, Any], ...] = ()
    substitution: float | None = None   # market-wide sigma from data (ProTEE), if requested

    def __post_init__(self) -> None:
        missing = [c for c in ("exporter", "importer", "flow_t") if c not in self.flows.columns]
        if missing:
            raise SourceFormatError(f"baseline for {self.mineral}: missing column(s) {missing}; "
                                    f"found {list(self.flows.columns)}.")
        f = self.flows.copy()
        f["flow_t"] = pd.to_numeric(f["flow_t"], errors="coerce")
        bad = f[f["flow_t"].isna() | (f["flow_t"] < 0)]
        if len(bad):
            rows = ", ".join(f"{r.exporter}->{r.importer}={r.flow_t}" for r in bad.head(5).itertuples())
            raise SourceFormatError(f"baseline for {self.mineral}: flows must be numbers >= 0; "
                                    f"bad rows: {rows}.")
        if "tariff_share" not in f.columns:
            f["tariff_share"] = 0.0
        f["tariff_share"] = pd.to_numeric(f["tariff_share"], errors="coerce").fillna(0.0)
        if (f["tariff_share"] < 0).any():
            raise SourceFormatError(f"baseline for {self.mineral}: tariffs must be >= 0 (0.05 is 5 %).")
        f.loc[f["exporter"] == f["importer"], "tariff_share"] = 0.0
        if "method" not in f.columns:
            f["method"] = "observed"
        if "source" not in f.columns:
            f["source"] = "user"
        f = f.groupby(["exporter", "importer"], as_index=False).agg(
            flow_t=("flow_t", "sum"), tariff_share=("tariff_share", "max"),
            method=("method", "first"), source=("source", "first"))
        if not (f["flow_t"] > 0).any():
            raise SourceFormatError(f"baseline for {self.mineral}: every flow is zero.")
        object.__setattr__(self, "flows", f[list(FLOW_COLUMNS)])

    def __repr__(self) -> str:
        return (f"MarketBaseline({self.mineral} {self.stage} {self.year}, {len(self.flows)} flows, "
                f"{self.flows['flow_t'].sum():,.0f} {self.quantity_unit})")

    @property
    def countries(self) -> list[str]:
        return sorted(set(self.flows["exporter"]) | set(self.flows["importer"]))


# ---------------------------------------------------------------- loading baselines

def _read_csv(path: str | None, what: str) -> pd.DataFrame:
    if path is None or not Path(path).is_file():
        raise ScenarioError(f"{what}: no such file: {path}.")
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{what}: {path} is not a readable CSV ({exc}).") from exc


def _countries(frame: pd.DataFrame, column: str, path: str) -> pd.Series:
    from critmin.countries import country

    mapping = {}
    for label in frame[column].dropna().astype(str).unique():
        try:
            mapping[label] = country(label)
        except KeyError as exc:
            raise type(exc)(exc.value, exc.accepted, f"(in column {column!r} of {path})") from None
    return frame[column].astype(str).map(mapping)


def baseline_from_csv(scenario: Scenario) -> MarketBaseline:
    """The user-file baseline of ``scenario`` (``flows_csv`` + optional ``tariffs_csv``)."""
    from critmin.sources.origin import sha256_file

    spec = scenario.baseline
    path = spec.flows_csv
    flows = _read_csv(path, "baseline.flows_csv")
    value_col = next((c for c in ("value", "flow_t", "quantity_t", "value_usd") if c in flows.columns), None)
    missing = [c for c in ("exporter", "importer") if c not in flows.columns] + ([] if value_col else ["value"])
    if missing:
        raise SourceFormatError(f"baseline.flows_csv {path}: missing column(s) {missing}; found "
                                f"{list(flows.columns)}. Expected exporter, importer, value.")
    frame = pd.DataFrame({"exporter": _countries(flows, "exporter", str(path)),
                          "importer": _countries(flows, "importer", str(path)),
                          "flow_t": pd.to_numeric(flows[value_col], errors="coerce")})
    frame["method"] = flows["method"] if "method" in flows.columns else "observed"
    frame["source"] = "user:" + Path(str(path)).name
    prov = [{"source": "user:" + Path(str(path)).name, "file": str(path), "sha256": sha256_file(Path(str(path))),
             "vintage": "user file", "title": "baseline flows supplied by the scenario"}]
    if spec.tariffs_csv is not None:
        tariffs = _read_csv(spec.tariffs_csv, "baseline.tariffs_csv")
        rate_col = next((c for c in ("rate", "tariff_share", "tariff") if c in tariffs.columns), None)
        missing = [c for c in ("exporter", "importer") if c not in tariffs.columns] + ([] if rate_col else ["rate"])
        if missing:
            raise SourceFormatError(f"baseline.tariffs_csv {spec.tariffs_csv}: missing column(s) "
                                    f"{missing}; expected exporter, importer, rate (0.05 is 5 %).")
        t = pd.DataFrame({"exporter": _countries(tariffs, "exporter", spec.tariffs_csv),
                          "importer": _countries(tariffs, "importer", spec.tariffs_csv),
                          "tariff_share": pd.to_numeric(tariffs[rate_col], errors="coerce")})
        if t["tariff_share"].isna().any() or (t["tariff_share"] < 0).any() or (t["tariff_share"] > 10).any():
            raise SourceFormatError(f"baseline.tariffs_csv {spec.tariffs_csv}: rates must be "
                                    "numbers in [0, 10] as shares (0.05 is 5 %).")
        frame = frame.merge(t, on=["exporter", "importer"], how="left")
        prov.append({"source": "user:" + Path(spec.tariffs_csv).name, "file": spec.tariffs_csv,
                     "sha256": sha256_file(Path(spec.tariffs_csv)), "vintage": "user file",
                     "title": "baseline tariffs supplied by the scenario"})
    mineral, stage = spec.markets[0]
    price = spec.price(mineral)
    unit = "t" if spec.value_unit == "t" else "USD at base prices"
    if spec.value_unit == "usd":
        price = 1.0  # quantities are USD at base prices: one unit costs one dollar
    return MarketBaseline(mineral=mineral, stage=stage, year=spec.year, flows=frame,
                          price_usd_per_t=price, quantity_unit=unit,
                          price_source="scenario file" if price else "",
                          provenance=tuple(prov))


def baseline_from_store(store: Any, scenario: Scenario, mineral: str, stage: str, *,
                        stored: bool = True) -> MarketBaseline:
    """Baseline of ``mineral`` from the store: the completed baseline stored at build time
    (:func:`critmin.baseline_store.load_baseline`), computed now
    (:func:`critmin.baseline.build_baseline`) when the store has none or they are stale, or
    when ``stored`` is False."""
    from critmin.baseline import build_baseline
    from critmin.baseline_store import load_baseline

    spec = scenario.baseline
    pst = spec.production_stage(mineral, stage)
    kwargs = {"production_stage": pst} if pst else {}
    built = (load_baseline if stored else build_baseline)(store, mineral, stage, spec.year, **kwargs)
    frame = pd.DataFrame(getattr(built, "flows", built))
    qty = next((c for c in ("flow_t", "quantity_t") if c in frame.columns), None)
    if qty is None:
        raise SourceFormatError(f"baseline of {mineral} {stage} from the store has no quantity "
                                f"column; found {list(frame.columns)}.")
    flows = frame.rename(columns={qty: "flow_t"})
    # store baselines carry no tariffs: baseline.tariffs in the scenario sets those in force
    flows["tariff_share"] = 0.0
    prov = list(getattr(built, "provenance", ()) or ())
    price = spec.price(mineral)
    price_source = "scenario file" if price else ""
    if price is None:
        price, price_source = _store_price(store, mineral, spec.year)
    if price is None and "value_usd" in flows.columns:
        price, price_source = _unit_value(flows)
    sigma = None
    settings = scenario.settings if isinstance(scenario.settings, PESettings) else PESettings()
    if settings.elasticities.substitution_from == "protee":
        sigma, note = protee_substitution(store, mineral, stage)
        prov.append({"source": "cepii-protee", "used_for": f"substitution {mineral} {stage}", "note": note})
    est = getattr(built, "estimated_share", None)
    if est is not None:
        how = ("completed at store build time (table baselines)"
               if getattr(built, "diagnostics", {}).get("stored") else "completed now")
        prov.append({"source": "critmin.baseline", "used_for": f"{mineral} {stage} {spec.year}",
                     "note": f"estimated cells hold {est:.1%} of the quantity (method = estimated); {how}"})
    return MarketBaseline(mineral=mineral, stage=stage, year=spec.year,
                          flows=flows[[c for c in FLOW_COLUMNS if c in flows.columns]],
                          price_usd_per_t=price, price_source=price_source,
                          provenance=tuple(prov), substitution=sigma)


def protee_substitution(store: Any, mineral: str, stage: str) -> tuple[float | None, str]:
    """Armington sigma for a mineral-stage from CEPII ProTEE: ``1 - median(epsilon)``.

    ProTEE's epsilon is the elasticity of imports to the tariff factor (1 + t), which in a
    CES demand system is ``-(sigma - 1)``. Codes whose estimate ProTEE flags as imputed,
    zero or positive are left out. None (with the reason) when no code has an estimate.
    """
    from critmin.vocab import hs_codes

    codes = hs_codes(mineral, stage)
    try:
        table = store.table("trade_elasticities")
    except Exception:  # noqa: BLE001  (no ProTEE table in this store: say so)
        return None, "no trade_elasticities table in the store; defaults used"
    t = table[table["hs6"].isin(codes) & table["sigma"].notna()]
    for flag in ("imputed", "zero", "positive"):
        if flag in t.columns:
            t = t[~t[flag].fillna(False).astype(bool)]
    if not len(t):
        return None, f"ProTEE has no estimate for HS {', '.join(codes)}; defaults used"
    eps = float(t["sigma"].median())
    return 1.0 - eps, (f"sigma = 1 - median ProTEE epsilon {eps:.2f} over HS {', '.join(sorted(t['hs6']))} "
                       "(Fontagne, Guimbard & Orefice 2022; long-run, cross-section estimates)")


def _unit_value(flows: pd.DataFrame) -> tuple[float | None, str]:
    """Quantity-weighted unit value of observed cross-border flows, USD/t (an estimate)."""
    obs = flows[(flows["exporter"] != flows["importer"]) & (flows.get("method", "observed") != "estimated")]
    obs = obs[(obs["flow_t"] > 0) & (obs["value_usd"] > 0)]
    if not len(obs):
        return None, ""
    value = float(obs["value_usd"].sum() / obs["flow_t"].sum())
    sources = ", ".join(sorted(set(obs["source"].astype(str)))[:3])
    return value, f"estimated: unit value of observed trade ({sources})"


def _store_price(store: Any, mineral: str, year: int | None) -> tuple[float | None, str]:
    """A USD/t base price for ``mineral`` from the store's ``prices`` table, if it has one.

    The year's mean of each series (monthly series averaged), then the median over series
    when several price the mineral (e.g. USGS high- and low-purity gallium); the source
    string names them, so the choice is visible in the result's provenance. A scenario's
    ``baseline.price_usd_per_t`` overrides it.
    """
    try:
        prices = store.table("prices", mineral=mineral)
    except Exception:  # noqa: BLE001  (no prices table: the price stays unknown, and says so)
        return None, ""
    if prices is None or not len(prices) or "price_usd_per_t" not in prices.columns:
        return None, ""
    p = prices.dropna(subset=["price_usd_per_t"])
    if year is not None and "year" in p.columns:
        earlier = p[p["year"] <= year]
        if not len(earlier):
            return None, ""
        p = earlier[earlier["year"] == earlier["year"].max()]
    if not len(p):
        return None, ""
    by_series = p.groupby("series")["price_usd_per_t"].mean()
    used_year = int(p["year"].max()) if "year" in p.columns else ""
    names = ", ".join(by_series.index[:4])
    note = f"{'median of ' if len(by_series) > 1 else ''}{names} ({used_year}; store table prices)"
    return float(by_series.median()), note


def load_baselines(scenario: Scenario, store: Any = None, on_market: Any = None) -> list[MarketBaseline]:
    """Every market baseline the scenario names, from its files or from ``store``.

    ``on_market(label, done, total)`` is called after each baseline (progress bars).
    """
    if not isinstance(scenario.baseline, BaselineSpec):
        raise ScenarioError(f"scenario {scenario.name!r} has no baseline: give baseline.markets and "
                            "baseline.year (store slices) or baseline.flows_csv (a file).")
    if scenario.baseline.flows_csv is not None:
        return [baseline_from_csv(scenario)]
    if store is None:
        raise ScenarioError(f"scenario {scenario.name!r} reads its baseline from the store; "
                            "build it with `critmin data build` or pass --store.")
    out = []
    markets = scenario.baseline.markets
    for k, (m, st) in enumerate(markets):
        out.append(baseline_from_store(store, scenario, m, st))
        if on_market is not None:
            on_market(f"baseline {m} {st}", k + 1, 2 * len(markets))
    return out


def toy_baseline(mineral: str = "gallium", stage: str = "refinery",
                 price_usd_per_t: float | None = 500_000.0) -> MarketBaseline:
    """A four-country market for examples and tests (quantities in tonnes, invented).

    Examples
    --------
    >>> toy_baseline()
    MarketBaseline(gallium refinery 2023, 8 flows, 785 t)
    """
    flows = pd.DataFrame({
        "exporter": ["CHN", "CHN", "CHN", "USA", "USA", "JPN", "JPN", "DEU"],
        "importer": ["CHN", "USA", "JPN", "USA", "JPN", "JPN", "USA", "DEU"],
        "flow_t": [500.0, 100.0, 80.0, 20.0, 5.0, 30.0, 10.0, 40.0],
        "method": "estimated", "source": "toy"})
    return MarketBaseline(mineral, stage, 2023, flows, price_usd_per_t=price_usd_per_t,
                          price_source="toy" if price_usd_per_t else "",
                          provenance=({"source": "toy", "title": "invented example market"},))


