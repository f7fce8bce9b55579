"""Basket codes in the baseline: the basket is measured, the metal split is estimated.

HS 2017 811292 (unwrought gallium, germanium, hafnium, indium, niobium, rhenium, vanadium)
is listed completely by the BACI matrices of 2022 and 2024: every cross-border tonne of the
*basket* is observed. Which metal a tonne is, is not. :func:`basket_split` splits the
observed basket cells of one mineral's market into that mineral's tonnes where the evidence
allows, and says how (``split_method``); a split cell is always an estimate, never
observed:

``usgs-import-sources``
    the importer is the United States, the year lies in the period of USGS's import-source
    table for the mineral at the market's stage (MCS 2026: 2021-24) and USGS gives US
    imports of the year on the stage's basis (``US_IMPORT_STATISTICS``): the mineral's
    tonnes from a named source = US imports x the source's share, capped at the basket
    cell. This is the split the baseline already applies to the USA column
    (docs/baseline.md §4.2).
``sole-producer``
    the exporter produced the mineral and no other metal of the basket in the three years
    to the cell's year (the store's production tables, any stage; a withheld quantity
    counts as production), the cell's unit value lies within [half the mineral's lowest,
    twice its highest] USGS price of the year, and at least 80 % of the exporter's basket
    tonnes of the year lie in that range (its basket exports look like one metal): the
    whole cell is the mineral. Refused outright when any basket metal has no country
    production in the store for those years (hafnium: USGS publishes no country figures):
    missing data is not evidence that a country does not produce it.
``none``
    no defensible split: traders and recyclers that produce no basket metal, exporters of
    several basket metals (China, Russia, Japan, Korea, ...), or unit values that do not fit
    the mineral's price. The cell stays the basket's.

Evidence considered and not used: the exporter's production shares of every basket metal
would assign China's basket mostly to vanadium and Brazil's to niobium by tonnage, although
both metals are traded mainly as ferroalloys and oxides (720292, 720293, 2825) and China's
basket unit value (about USD 217/kg in 2024) is several times vanadium's; a split by unit value
alone is not identified (seven metals, two observed numbers per cell). China's 8-digit
export lines are not staged (see :mod:`critmin.metrics.basket`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from critmin import vocab
from critmin.store.catalog import Store

USGS_SPLIT = "usgs-import-sources"
SOLE_PRODUCER = "sole-producer"
NO_SPLIT = "none"
SPLIT_NOTE = "basket split"
PRODUCTION_YEARS = 3  # the cell's year and the two before it
UNIT_VALUE_RANGE = (0.5, 2.0)  # x the mineral's lowest and highest USGS price of the year
CONSISTENT_SHARE = 0.8  # of a sole producer's basket tonnes inside UNIT_VALUE_RANGE
CELL_COLUMNS = ["exporter", "importer", "hs_code", "source", "basket_t", "basket_value_usd",
                "quantity_from_value", "quantity_t", "split_method", "note"]


def basket_entries(mineral: str, stage: str) -> list[vocab.HSCode]:
    """The six-digit codes of the market that are shared with other minerals."""
    return [e for e in vocab.hs_mapping() if e.mineral == mineral and e.stage.value == stage
            and e.level == "hs6" and e.shared_with]


def basket_code(mineral: str, stage: str) -> str | None:
    """The market's basket codes, comma-separated (``"811292"``), None without one."""
    return ",".join(sorted({e.code for e in basket_entries(mineral, stage)})) or None


def _members(entry: vocab.HSCode) -> set[str]:
    known = set(vocab.minerals())  # shared_with may name groups ("other chapter-25 minerals")
    return {m for m in (entry.mineral, *entry.shared_with) if m in known}


def basket_cells(store: Store, mineral: str, stage: str, year: int) -> pd.DataFrame:
    """The complete (BACI) cross-border cells of the market's basket codes in ``year``:
    exporter, importer, hs_code, source, basket_t (tonnes of product; the content factor
    of a basket is 1), basket_value_usd, quantity_from_value. Empty when no basket code of
    the market is listed completely in the year."""
    entries = basket_entries(mineral, stage)
    if not entries or "flows" not in set(store.tables()):
        return pd.DataFrame(columns=CELL_COLUMNS[:7])
    codes = sorted({e.code_in(nom) for e in entries for nom in vocab.NOMENCLATURES} - {None})
    rows = store.table("flows", mineral=mineral, stage=stage, year=int(year))
    if "coverage" not in rows.columns or rows.empty:
        return pd.DataFrame(columns=CELL_COLUMNS[:7])
    rows = rows[rows["hs_code"].isin(codes) & (rows["coverage"] == "complete")
                & rows["source"].str.startswith("baci-") & (rows["exporter"] != rows["importer"])
                & ~rows["partial_year"].astype(bool)]
    if rows.empty:
        return pd.DataFrame(columns=CELL_COLUMNS[:7])
    qm = rows["quantity_method"].fillna("") if "quantity_method" in rows else ""
    rows = rows.assign(_qv=pd.Series(qm, index=rows.index).astype(str).str.contains("unit value"))
    out = rows.groupby(["exporter", "importer", "hs_code", "source"], as_index=False).agg(
        basket_t=("quantity_t", lambda s: s.sum(min_count=1)),
        basket_value_usd=("value_usd", "sum"), quantity_from_value=("_qv", "any"))
    return out.sort_values("basket_t", ascending=False, kind="stable").reset_index(drop=True)


def _producers(store: Store, minerals: set[str], year: int
               ) -> tuple[dict[str, set[str]], set[str]]:
    """(country -> the basket metals it produced (any stage) in the three years to
    ``year``, the production sources read); a country listed with a withheld quantity
    (USGS "NA") counts as a producer."""
    if "production" not in set(store.tables()) or not minerals:
        return {}, set()
    frame = store.sql(
        "SELECT DISTINCT country, mineral, source FROM production WHERE (quantity_t > 0 OR "
        "quantity_t IS NULL) AND year "
        "BETWEEN ? AND ? AND country NOT IN ('WLD', 'OTH') AND mineral IN ("
        + ", ".join("?" * len(minerals)) + ")",
        [int(year) - PRODUCTION_YEARS + 1, int(year), *sorted(minerals)])
    out: dict[str, set[str]] = {}
    for c, m, _ in frame.itertuples(index=False):
        out.setdefault(str(c), set()).add(str(m))
    return out, {str(x) for x in frame["source"]}


def _price_range(store: Store, mineral: str, year: int) -> tuple[float, float, str] | None:
    """The lowest and highest USGS price of ``mineral`` in ``year`` (USD per t), and the
    sources; None when the store has none."""
    if "prices" not in set(store.tables()):
        return None
    frame = store.sql("SELECT price_usd_per_t, source FROM prices WHERE mineral = ? AND "
                      "year = ? AND source LIKE 'usgs-%' AND price_usd_per_t > 0",
                      [mineral, int(year)])
    if frame.empty:
        return None
    return (float(frame["price_usd_per_t"].min()), float(frame["price_usd_per_t"].max()),
            ", ".join(sorted(set(frame["source"]))))


def basket_split(store: Store, mineral: str, stage: str, year: int) -> pd.DataFrame:
    """Every complete basket cell of the market in ``year`` with the mineral's estimated
    tonnes where the evidence allows (module docstring): columns of
    :func:`basket_cells` plus ``quantity_t`` (the mineral's tonnes; NaN where no split),
    ``split_method`` and ``note``."""
    from critmin.baseline import us_import_sources, us_imports_t

    cells = basket_cells(store, mineral, stage, year)
    if cells.empty:
        return pd.DataFrame(columns=CELL_COLUMNS)
    cells = cells.assign(quantity_t=np.nan, split_method=NO_SPLIT, note=None)
    members = set().union(*(_members(e) for e in basket_entries(mineral, stage)))
    # 1. US imports: USGS's import sources of the mineral x US imports of the year.
    shares = us_import_sources(store, mineral, stage)
    us_t, us_desc, us_src = us_imports_t(store, mineral, stage, int(year))
    if len(shares) and us_t is not None and _in_period(shares["period"].iloc[0], int(year)):
        by = shares[shares["country"] != "OTH"].groupby("country")["share"].sum()
        us = (cells["importer"] == "USA") & cells["exporter"].isin(by.index)
        q = cells.loc[us, "exporter"].map(by) * us_t
        cells.loc[us, "quantity_t"] = np.minimum(q, cells.loc[us, "basket_t"].fillna(np.inf))
        cells.loc[us, "split_method"] = USGS_SPLIT
        cells.loc[us, "note"] = (f"{SPLIT_NOTE} ({USGS_SPLIT}): USGS import-source share "
                                 f"{shares['period'].iloc[0]} ({shares['source'].iloc[0]}) x "
                                 f"US imports {year}: {us_desc}; capped at the basket cell")
    # 2. Exporters whose only basket metal is the mineral, at unit values that fit it.
    prices = _price_range(store, mineral, int(year))
    makers, prod_sources = _producers(store, members, int(year))
    span = f"{int(year) - PRODUCTION_YEARS + 1}-{year}"
    unknown = sorted(members - set().union(*makers.values())) if makers else sorted(members)
    refused = None
    if unknown:  # a metal without country data would make its producers look "sole"
        refused = (f"sole-producer split refused: no country production of "
                   f"{', '.join(unknown)} in the store for {span}")
    sole = {c for c, ms in makers.items() if ms == {mineral}} if not unknown else set()
    price_src = ""
    if prices is not None and sole:
        lo, hi, price_src = prices
        uv = cells["basket_value_usd"] / cells["basket_t"]
        fits = uv.between(UNIT_VALUE_RANGE[0] * lo, UNIT_VALUE_RANGE[1] * hi)
        t = cells["basket_t"].fillna(0.0)
        inside = t.where(fits, 0.0).groupby(cells["exporter"]).sum()
        share = inside / t.groupby(cells["exporter"]).sum().replace(0.0, np.nan)
        steady = set(share[share >= CONSISTENT_SHARE].index)
        pick = ((cells["split_method"] == NO_SPLIT) & cells["exporter"].isin(sole & steady)
                & fits)
        cells.loc[pick, "quantity_t"] = cells.loc[pick, "basket_t"]
        cells.loc[pick, "split_method"] = SOLE_PRODUCER
        cells.loc[pick, "note"] = (
            f"{SPLIT_NOTE} ({SOLE_PRODUCER}): the exporter produced {mineral} and no other "
            f"basket metal in {span} (production), and "
            f"the cell's unit value (and >= {CONSISTENT_SHARE:.0%} of the exporter's basket "
            f"tonnes) fits {mineral}'s USGS price range {lo / 1e3:,.0f}-"
            f"{hi / 1e3:,.0f} USD/kg ({price_src})")
    out = cells[CELL_COLUMNS].reset_index(drop=True)
    # What the split read (the baseline's provenance): the basket cells' releases, the
    # prices of the unit-value test, every basket metal's production, the USGS tables.
    done = out["split_method"] != NO_SPLIT
    sources = set(out["source"])
    tables = {"flows"}
    if makers or prod_sources:
        tables.add("production")
        sources |= prod_sources
    if price_src:
        tables.add("prices")
        sources |= {x.strip() for x in price_src.split(",")}
    if (out["split_method"] == USGS_SPLIT).any():
        tables |= {"us_import_sources", "us_salient"}
        sources |= set(shares["source"]) | set(us_src)
    out.attrs["inputs"] = {"tables": sorted(tables), "sources": sorted(sources),
                           "split_cells": int(done.sum())}
    out.attrs["refused"] = refused
    return out


def _in_period(text: object, year: int) -> bool:
    import re

    m = re.match(r"^\s*(\d{4})\s*[-\u2013]\s*(\d{2,4})\s*$", str(text))
    if not m:
        return False
    a, b = int(m.group(1)), m.group(2)
    end = int(b) if len(b) == 4 else (a // 100) * 100 + int(b)
    return a <= year <= end


def basket_summary(split: pd.DataFrame, mineral: str, stage: str) -> dict[str, Any]:
    """The coverage columns of a market's basket (``critmin data coverage``):
    ``basket_code``, ``basket_cross_border_t``, ``basket_observed_share`` (the share of the
    basket's cross-border tonnes that is observed: 1 where the code is listed completely),
    ``basket_quantity_from_value_share`` (of those, tonnes from a unit value: the 2022
    matrix has values only), ``basket_split_share`` (the share of the basket's tonnes in
    cells with a metal split), ``basket_mineral_t`` (the mineral's tonnes in those cells)
    and ``split_method``."""
    codes = basket_code(mineral, stage)
    empty: dict[str, Any] = {"basket_code": codes or None, "basket_cross_border_t": None,
                             "basket_observed_share": None,
                             "basket_quantity_from_value_share": None,
                             "basket_split_share": None, "basket_mineral_t": None,
                             "split_method": None}
    if not codes:
        return empty
    if split.empty:
        return {**empty, "split_method": "not split: the basket is not listed completely "
                                         "this year (no observed basket to split)"}
    t = split["basket_t"].fillna(0.0)
    total = float(t.sum())
    done = split["split_method"] != NO_SPLIT
    counts = split.loc[done, "split_method"].value_counts()
    parts = [f"{m} ({n} cells, {float(t[split['split_method'] == m].sum()) / total:.1%} of "
             f"basket tonnes)" for m, n in counts.items()] if total > 0 else []
    rest = float(t[~done].sum()) / total if total > 0 else 0.0
    parts.append(f"none ({int((~done).sum())} cells, {rest:.1%}): the basket's, unsplit")
    if split.attrs.get("refused"):
        parts.append(str(split.attrs["refused"]))
    return {"basket_code": codes, "basket_cross_border_t": total,
            "basket_observed_share": 1.0 if total > 0 else None,
            "basket_quantity_from_value_share":
                float(t[split["quantity_from_value"].astype(bool)].sum()) / total
                if total > 0 else None,
            "basket_split_share": float(t[done].sum()) / total if total > 0 else None,
            "basket_mineral_t": float(split.loc[done, "quantity_t"].sum()),
            "split_method": "; ".join(parts)}


__all__ = ["NO_SPLIT", "SOLE_PRODUCER", "SPLIT_NOTE", "USGS_SPLIT", "basket_cells",
           "basket_code", "basket_entries",
           "basket_split", "basket_summary"]
