"""Inputs of the sourcing optimiser: the market as a buying country or bloc sees it.

This module reads the store (completed baselines, observed unit values, distances,
governance, prices) and builds the frozen :class:`~critmin.models.sourcing.SourcingProblem`
the model solves; the model itself reads nothing. It also turns a user's options table
(``options_csv``) into the same value.

From the completed baseline of the market (:func:`critmin.baseline.build_baseline`):

- demand: everything the unit's members absorb (imports, intra-bloc trade, own supply);
- per supplier: what it ships the unit today (``current_t``) and what its other customers
  take (``redirectable_t``; a supplier's own use is not available), and its output;
- members are suppliers too, flagged ``internal`` (intra-bloc trade is internal).

Delivered unit cost = FOB unit value + freight + tariff, each with its source:

- FOB: the exporter's observed unit value (trade value / tonnes of content over its
  observed flows of the market and year, BACI first), where it ships at least 1 % of the
  observed tonnage and the code is not shared with other minerals; else the market price
  (store ``prices``, else the world unit value), flagged ``market price (flagged)``;
- freight: ``freight_usd_per_t_km`` x distance (CEPII GeoDist, weighted by the members'
  demand) x gross tonnes per tonne of content (the market's observed flows). The rate is
  an assumption (:data:`FREIGHT_USD_PER_T_KM`), stated in the provenance;
- tariff: ad valorem shares the caller gives (no openly licensed applied-tariff matrix
  exists, SOURCES.md §9); none by default.

Look-through: the origin one stage up of each supplier's material, by proportional mixing
through the upstream market's completed flows (a supplier's feed is what it produces of
the upstream stage plus what it imports of it, in proportion).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from critmin import vocab
from critmin.errors import CritminError, InvalidParameterError, SourceFormatError
from critmin.models.sourcing.problem import SourcingProblem

#: Freight rate per gross tonne-km: an assumption. A 40-ft container (~20 t) at ~1,600 USD
#: over ~20,000 km (Shanghai-Rotterdam, the 2023-24 range of the Drewry World Container
#: Index) is 0.004 USD/t-km; bulk ores ship for less, so this errs high for ores.
FREIGHT_USD_PER_T_KM = 0.004
FREIGHT_SOURCE = ("assumption: 0.004 USD per gross tonne-km (a ~20 t container at ~1,600 USD "
                  "over ~20,000 km, 2023-24 range of the Drewry World Container Index) x CEPII "
                  "GeoDist distance x gross tonnes per tonne of content")
MIN_UV_SHARE = 0.01    # an exporter's own unit value only where it ships >= 1 % of the tonnage
STAGE_ORDER = ("mine", "smelter", "refinery", "metal", "chemical")


def default_stage(mineral: str) -> tuple[str, str | None]:
    """(trade stage, production stage or None) for a mineral when the caller names none:
    the first traded stage USGS reports production for, else the chemical (or first traded)
    stage against the mineral's first production stage (rare earths: compounds vs mine)."""
    m = vocab.mineral(mineral)
    traded = [s.value for s in vocab.hs_stages(m.id)]
    produced = list(m.stages)
    for s in traded:
        if s in produced:
            return s, None
    if not traded:
        raise InvalidParameterError(f"{m.id} has no trade codes (data/mappings/hs_codes.yml); "
                                    "the sourcing optimiser needs a traded market.")
    pick = "chemical" if "chemical" in traded else traded[0]
    return pick, (produced[0] if produced else None)


def _build(store: Any, mineral: str, stage: str, year: int | None,
           production_stage: str | None) -> Any:
    """The completed baseline (the store's stored one where it has it); with no year, the
    latest year that builds."""
    from critmin.errors import UnknownNameError

    try:
        from critmin.baseline_store import load_baseline as build_baseline
    except ImportError:  # a checkout without stored baselines
        from critmin.baseline import build_baseline

    kw = {"production_stage": production_stage} if production_stage else {}
    if year is not None:
        return build_baseline(store, mineral, stage, int(year), **kw)
    pst = production_stage or stage
    years = store.sql("SELECT DISTINCT year FROM production WHERE mineral = ? AND stage = ? "
                      "AND quantity_t IS NOT NULL ORDER BY year DESC", [mineral, pst])["year"]
    # the latest year with observed trade of the market first: a year of production only
    # would give a baseline that is all estimate
    traded = set(store.sql("SELECT DISTINCT year FROM flows WHERE mineral = ? AND stage = ? "
                           "AND NOT partial_year", [mineral, stage])["year"])
    years = [y for y in years if y in traded] + [y for y in years if y not in traded]
    last: Exception | None = None
    for y in list(years)[:4]:
        try:
            return build_baseline(store, mineral, stage, int(y), **kw)
        except UnknownNameError as exc:  # every producer withheld that year
            last = exc
    if last is not None:
        raise last
    return build_baseline(store, mineral, stage, 0, **kw)  # raises with the years there are


def _unit_values(store: Any, mineral: str, stage: str, year: int) -> tuple[pd.Series, float, float, list[str]]:
    """Observed FOB unit values by exporter (USD per t of content), the world unit value,
    gross tonnes per tonne of content, and the sources used."""
    from critmin.baseline import observed_flows

    obs = observed_flows(store, mineral, stage, year)
    obs = obs[(obs["exporter"] != obs["importer"]) & (obs["exporter"] != "OTH")]
    clean = obs[~obs["hs_shared"].astype(bool)]
    priced = clean[(clean["quantity_t"] > 0) & (clean["value_usd"] > 0)]
    world = float(priced["value_usd"].sum() / priced["quantity_t"].sum()) if len(priced) else math.nan
    by = priced.groupby("exporter")[["value_usd", "quantity_t"]].sum()
    by = by[by["quantity_t"] >= MIN_UV_SHARE * priced["quantity_t"].sum()]
    uv = by["value_usd"] / by["quantity_t"]
    flows = store.table("flows", mineral=mineral, stage=stage, year=int(year))
    flows = flows[(flows["quantity_t"] > 0) & flows["quantity_gross_t"].notna() & ~flows["hs_shared"].astype(bool)]
    gross = float(flows["quantity_gross_t"].sum() / flows["quantity_t"].sum()) if len(flows) else 1.0
    return uv, world, max(gross, 1.0), sorted(set(priced["source"]))


def _market_price(store: Any, mineral: str, year: int) -> tuple[float, str]:
    """The store's price of the mineral for the year (latest year <= it; median over series)."""
    if "prices" not in set(store.tables()):
        return math.nan, ""
    p = store.table("prices", mineral=mineral)
    p = p[p["price_usd_per_t"].notna() & (p["year"] <= int(year))]
    if p.empty:
        return math.nan, ""
    p = p[p["year"] == p["year"].max()]
    by = p.groupby("series")["price_usd_per_t"].mean()
    return float(by.median()), (f"{'median of ' if len(by) > 1 else ''}{', '.join(by.index[:3])}"
                                f" ({int(p['year'].max())}; store table prices)")


def _risk(store: Any, countries: list[str], year: int) -> pd.Series:
    """EU 2023 governance risk 2 (2.5 - mean WGI), 0-10, latest year <= ``year``."""
    from critmin.metrics.concentration import wgi_scaled
    from critmin.metrics.queries import governance_means

    gov = governance_means(store)
    if gov is None or gov.empty:
        return pd.Series(np.nan, index=countries)
    value = "wgi" if "wgi" in gov.columns else [c for c in gov.columns if c not in ("country", "year")][0]
    g = gov[gov["year"] <= year].sort_values("year").groupby("country")[value].last()
    return pd.Series(wgi_scaled(g.reindex(countries).to_numpy(dtype=float)), index=countries)


def _distance(store: Any, suppliers: list[str], members: list[str], weights: np.ndarray) -> np.ndarray:
    """Demand-weighted distance (km) from each supplier to the unit's members."""
    d = store.sql("SELECT exporter, importer, dist_km FROM distances")
    piv = d.pivot_table(index="exporter", columns="importer", values="dist_km")
    piv = piv.reindex(index=suppliers, columns=members)
    arr = piv.to_numpy(dtype=float)
    median = float(np.nanmedian(d["dist_km"])) if len(d) else 5000.0
    arr = np.where(np.isnan(arr), median, arr)
    w = weights / weights.sum() if weights.sum() > 0 else np.full(len(members), 1 / len(members))
    return arr @ w


def _upstream(store: Any, mineral: str, stage: str, year: int, production_stage: str | None,
              suppliers: list[str]) -> tuple[list[str], np.ndarray, str | None, list[dict[str, Any]], str]:
    """Origins one stage up and each supplier's origin shares (rows sum to 1)."""
    from critmin.errors import UnknownNameError

    traded = [s.value for s in vocab.hs_stages(mineral)]
    produced = list(vocab.mineral(mineral).stages)
    here = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else 0
    candidates = [s for s in STAGE_ORDER[:here] if s in traded and s in produced]
    if production_stage and STAGE_ORDER.index(production_stage) < here and production_stage in traded:
        candidates = [production_stage]
    if not candidates:
        return [], np.zeros((len(suppliers), 0)), None, [], (
            f"no traded {mineral} stage above {stage} in the store: the look-through cap "
            "applies to suppliers only")
    up = candidates[-1]
    try:
        b = _build(store, mineral, up, year, None)
    except (UnknownNameError, InvalidParameterError, SourceFormatError) as exc:
        return [], np.zeros((len(suppliers), 0)), None, [], (
            f"no {mineral} {up} baseline for {year} ({exc}): the look-through cap applies to "
            "suppliers only")
    m = b.matrix("quantity_t")  # exporter (origin) x importer (supplier's feed)
    origins = sorted(set(m.index) | set(suppliers))
    m = m.reindex(index=origins, columns=origins, fill_value=0.0)
    feed = m.to_numpy(dtype=float)
    col = feed.sum(axis=0)
    share = np.zeros((len(suppliers), len(origins)))
    pos = {c: k for k, c in enumerate(origins)}
    self_fed = []
    for i, s in enumerate(suppliers):
        k = pos[s]
        if col[k] > 0:
            share[i] = feed[:, k] / col[k]
        else:
            share[i, k] = 1.0  # no upstream feed recorded: its own material
            self_fed.append(s)
    keep = share.sum(axis=0) > 0
    note = (f"look-through by proportional mixing through the {mineral} {up} {b.year} "
            f"baseline ({b.estimated_share:.0%} of it estimated)")
    if self_fed:
        note += f"; no {up} feed recorded for {', '.join(self_fed[:6])}: counted as own origin"
    return ([o for o, k in zip(origins, keep) if k], share[:, keep], up,
            [dict(p) for p in b.provenance], note)


def sourcing_problem(store: Any, unit: str, mineral: str, stage: str | None = None,
                     year: int | None = None, *, demand_t: float | None = None,
                     tariffs: Mapping[str, float] | None = None,
                     freight_usd_per_t_km: float = FREIGHT_USD_PER_T_KM,
                     look_through: bool = True, baseline: Any = None) -> SourcingProblem:
    """The sourcing problem of ``unit`` (a country or bloc) in one market of the store.

    Parameters
    ----------
    unit : str
        A bloc name (``ministerial-2026``, ``EU27``), a country (ISO3 or name) or a comma list.
    mineral, stage : str
        The market; ``stage`` defaults to :func:`default_stage`.
    year : int, optional
        Default: the latest year whose baseline builds.
    demand_t : float, optional
        The unit's demand (t); default its baseline absorption.
    tariffs : mapping, optional
        Ad valorem tariff (0-1) on each supplier's FOB value, e.g. ``{"CHN": 0.25}``.
    freight_usd_per_t_km : float
        Freight per gross tonne-km (default :data:`FREIGHT_USD_PER_T_KM`, an assumption).
    look_through : bool
        Trace origins one stage up (needs the upstream market in the store).
    baseline : Baseline, optional
        A completed baseline to use instead of building one (benchmarks reuse them).

    Raises
    ------
    UnknownBlocError, UnknownMineralError, UnknownStageError, UnknownYearError
    InvalidParameterError
        The unit absorbs none of the market in the baseline, or bad tariffs.
    """
    from critmin.blocs import resolve

    m = vocab.mineral(mineral)
    pst: str | None = None
    if stage is None:
        stage, pst = default_stage(m.id)
    else:
        stage = vocab.stage(stage).value
        if stage not in m.stages and m.stages:
            pst = next(iter(m.stages))
    if not freight_usd_per_t_km >= 0:
        raise InvalidParameterError(f"freight_usd_per_t_km must be >= 0. Got {freight_usd_per_t_km!r}.")
    members = list(resolve(unit))
    label = unit if len(members) > 1 or "," in unit else members[0]
    b = baseline if baseline is not None else _build(store, m.id, stage, year, pst)
    flows = b.flows
    exporters = sorted(set(flows["exporter"]))
    inside = flows["importer"].isin(members)
    D = float(flows.loc[inside, "quantity_t"].sum()) if demand_t is None else float(demand_t)
    if not D > 0:
        raise InvalidParameterError(
            f"{label} absorbs no {m.id} {stage} in the {b.year} baseline, so there is nothing to "
            "source; give demand_t to plan purchases anyway.")
    to_unit = flows[inside].groupby("exporter")["quantity_t"].sum()
    others = flows[~inside & (flows["exporter"] != flows["importer"])].groupby("exporter")["quantity_t"].sum()
    suppliers = [s for s in exporters if to_unit.get(s, 0.0) > 0 or others.get(s, 0.0) > 0]
    is_member = np.array([s in members for s in suppliers])
    current = to_unit.reindex(suppliers).fillna(0.0).to_numpy()
    redirect = others.reindex(suppliers).fillna(0.0).to_numpy()
    redirect = np.where(np.array(suppliers) == "OTH", 0.0, redirect)  # unattributed: not reachable
    output = b.row_targets.reindex(suppliers).to_numpy(dtype=float)

    # Costs: FOB unit value, market price where none; freight; tariff.
    uv, world_uv, gross, uv_sources = _unit_values(store, m.id, stage, b.year)
    price, price_note = _market_price(store, m.id, b.year)
    if math.isnan(price):
        price, price_note = world_uv, "world unit value of observed trade (no store price)"
    if math.isnan(price):
        raise InvalidParameterError(f"no unit value or price for {m.id} {stage} {b.year}: the store "
                                    "has neither priced flows nor a prices row, so costs are unknown.")
    fob = uv.reindex(suppliers).to_numpy(dtype=float)
    method = np.where(np.isnan(fob), "market price (flagged)", "observed unit value")
    fob = np.where(np.isnan(fob), price, fob)
    weights = flows[inside].groupby("importer")["quantity_t"].sum().reindex(members).fillna(0.0).to_numpy()
    have = set(store.tables())
    if "distances" in have:
        dist = _distance(store, suppliers, members, weights)
    else:
        dist = np.full(len(suppliers), 5000.0)
    freight = freight_usd_per_t_km * dist * gross
    tariffs = dict(tariffs or {})
    bad = {k: v for k, v in tariffs.items() if not (0.0 <= float(v) <= 10.0)}
    if bad:
        raise InvalidParameterError(f"tariffs are ad valorem shares (0.25 is 25 %). Got {bad}.")
    tariff = np.array([float(tariffs.get(s, 0.0)) for s in suppliers]) * fob * ~is_member
    risk = _risk(store, suppliers, b.year).to_numpy(dtype=float) if "governance" in have \
        else np.full(len(suppliers), np.nan)

    notes = [f"demand: {label}'s absorption in the completed {b.year} baseline"
             if demand_t is None else f"demand: {D:,.0f} t as given"]
    prov = [{**dict(p), "used_for": p.get("used_for") or f"{m.id} {stage} baseline {b.year}"}
            for p in b.provenance]
    prov.append({"source": "critmin.baseline", "used_for": "demand, current and redirectable supply",
                 "note": f"{m.id} {stage} {b.year}; estimated cells hold {b.estimated_share:.1%} of the quantity"})
    prov.append({"source": ", ".join(uv_sources) or "none", "used_for": "FOB unit values by exporter",
                 "note": f"value / tonnes of content where the exporter ships >= {MIN_UV_SHARE:.0%} "
                         "of observed tonnage; shared HS codes left out"})
    prov.append({"source": price_note, "used_for": "market price where no unit value (flagged)"})
    prov.append({"source": FREIGHT_SOURCE, "used_for": "freight",
                 "note": f"{gross:.2f} gross t per t of content"})
    prov.append({"source": "scenario" if tariffs else "none in force (no open bilateral "
                 "applied-tariff matrix; SOURCES.md §9)", "used_for": "tariffs"})
    if "governance" in have:
        prov += [dict(p, used_for="governance risk 2(2.5 - mean WGI)")
                 for p in store.provenance_records(["governance"])]
    if "distances" in have:
        prov += [dict(p, used_for="freight distance") for p in store.provenance_records(["distances"])]

    origins: list[str] = []
    share = np.zeros((len(suppliers), 0))
    up = None
    if look_through:
        origins, share, up, up_prov, note = _upstream(store, m.id, stage, b.year, pst, suppliers)
        notes.append(note)
        prov += [{**p, "used_for": p.get("used_for") or f"look-through: {m.id} {up} baseline"}
                 for p in up_prov]
    return SourcingProblem(
        unit=label, members=tuple(members), mineral=m.id, stage=stage, year=int(b.year), demand_t=D,
        suppliers=tuple(suppliers), current_t=tuple(current), redirectable_t=tuple(redirect),
        unit_cost_usd_per_t=tuple(fob + freight + tariff), internal=tuple(bool(x) for x in is_member),
        fob_usd_per_t=tuple(fob), freight_usd_per_t=tuple(freight), tariff_usd_per_t=tuple(tariff),
        cost_method=tuple(str(x) for x in method), risk_index=tuple(risk),
        origins=tuple(origins), origin_share=tuple(tuple(r) for r in share), upstream_stage=up,
        market_total_t=float(b.total_t), supplier_output_t=tuple(output),
        market_price_usd_per_t=float(price), basis=b.basis, provenance=tuple(prov),
        notes=tuple(notes))


OPTION_COLUMNS = ("supplier", "capacity_t", "unit_cost_usd_per_t")


def problem_from_options(options: pd.DataFrame, demand_t: float, *, unit: str = "user",
                         mineral: str = "user options", stage: str = "", year: int | None = None,
                         members: tuple[str, ...] = (), source: str = "options table") -> SourcingProblem:
    """A sourcing problem from a user's supplier list.

    ``options`` has ``supplier``, ``capacity_t``, ``unit_cost_usd_per_t`` and optionally
    ``origin`` (where the supplier's material comes from one stage up: the cap applies to
    it too), ``wgi`` (mean WGI estimate, about -2.5 to 2.5; risk is 2 (2.5 - wgi)),
    ``baseline_t`` (what the unit buys today) and ``internal`` (a member of the unit).
    Each supplier's whole capacity is available at its unit cost (no premium), so the plan
    is the exact least-cost plan for the table.
    """
    from critmin.metrics.concentration import wgi_scaled

    missing = [c for c in OPTION_COLUMNS if c not in options.columns]
    if missing:
        raise SourceFormatError(f"{source}: options need columns {', '.join(OPTION_COLUMNS)}; "
                                f"missing {', '.join(missing)}. Got {', '.join(map(str, options.columns))}.")
    frame = options.copy()
    frame["supplier"] = frame["supplier"].astype(str).str.strip()
    for col in ("capacity_t", "unit_cost_usd_per_t", *(c for c in ("wgi", "baseline_t") if c in frame)):
        vals = pd.to_numeric(frame[col], errors="coerce")
        wrong = (vals.isna() & frame[col].notna()) if col == "wgi" else (vals.isna() | (vals < 0))
        bad = frame.loc[wrong, "supplier"]
        if len(bad):
            raise SourceFormatError(f"{source}: {col} must be a number >= 0; bad rows for "
                                    f"{', '.join(map(str, bad.head(5)))}.")
        frame[col] = vals
    n = len(frame)
    origins: tuple[str, ...] = ()
    share: tuple[tuple[float, ...], ...] = ()
    if "origin" in frame.columns:
        org = frame["origin"].fillna(frame["supplier"]).astype(str).str.strip()
        origins = tuple(sorted(set(org)))
        share = tuple(tuple(1.0 if o == x else 0.0 for o in origins) for x in org)
    baseline_t = frame["baseline_t"].fillna(0.0).to_numpy() if "baseline_t" in frame else np.zeros(n)
    internal = frame["internal"].astype(bool).to_numpy() if "internal" in frame else \
        frame["supplier"].isin(members).to_numpy()
    risk = wgi_scaled(frame["wgi"].to_numpy(dtype=float)) if "wgi" in frame else np.full(n, np.nan)
    try:
        return SourcingProblem(
            unit=unit, members=tuple(members) or (unit,), mineral=mineral, stage=stage, year=year,
            demand_t=float(demand_t), suppliers=tuple(frame["supplier"]),
            current_t=tuple(frame["capacity_t"]), redirectable_t=(0.0,) * n,
            unit_cost_usd_per_t=tuple(frame["unit_cost_usd_per_t"]), internal=tuple(internal),
            cost_method=("user",) * n, risk_index=tuple(risk), origins=origins, origin_share=share,
            baseline_t=tuple(baseline_t), basis="t",
            provenance=({"source": source, "used_for": "suppliers, capacities, unit costs"},))
    except CritminError as exc:
        raise SourceFormatError(f"{source}: {exc}") from None


__all__ = ["FREIGHT_USD_PER_T_KM", "default_stage", "problem_from_options", "sourcing_problem"]


def pe_market(store: Any, problem: SourcingProblem) -> Any:
    """The partial-equilibrium baseline of the problem's market (same mineral, stage and
    year), for price feedback on a plan."""
    try:
        from critmin.baselines.pe import MarketBaseline
    except ImportError:  # before baselines moved out of models/
        from critmin.models.pe_data import MarketBaseline

    pst = None if problem.stage in vocab.mineral(problem.mineral).stages else \
        next(iter(vocab.mineral(problem.mineral).stages), None)
    b = _build(store, problem.mineral, problem.stage, problem.year, pst)
    flows = b.flows.rename(columns={"quantity_t": "flow_t"}).assign(tariff_share=0.0)
    prov = tuple({**dict(p), "used_for": p.get("used_for") or "PE baseline"} for p in b.provenance)
    return MarketBaseline(mineral=problem.mineral, stage=problem.stage, year=b.year,
                          flows=flows[["exporter", "importer", "flow_t", "tariff_share", "method", "source"]],
                          price_usd_per_t=problem.market_price_usd_per_t,
                          price_source="sourcing market price", provenance=prov)
