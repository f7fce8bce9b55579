"""Completed baselines stored in the store, and the coverage of every market.

:func:`store_baselines` builds the baseline of every (mineral, stage, year) market once,
after the store is built (``critmin data build`` calls it), and writes two tables:

- ``baselines``: the completed matrix cells (exporter, importer, quantity_t, value_usd,
  method, source, note, domestic, quantity_from_value, hs_shared), keyed by mineral, stage
  and year;
- ``baseline_markets``: one row per market: totals, the observed and estimated shares of
  cross-border tonnes, the estimated share by reason (home absorption, USGS import
  sources, unobserved cross-border cells), whether every code of the market is listed
  completely, the sources, and the diagnostics and provenance as JSON. Markets without a
  baseline (no production for the year) are listed with the reason in ``status``.

:func:`load_baseline` returns the stored baseline when the call asks for the default
parameters, else builds it (:func:`critmin.baseline.build_baseline`); :func:`stored_baselines`
reads every market of a year in one query. :func:`market_coverage` is what
``critmin data coverage`` prints.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmin import vocab
from critmin.baseline import Baseline, build_baseline, complete_codes, market_codes
from critmin.errors import CritminError, UnknownStageError, UnknownYearError
from critmin.sources.origin import Origin
from critmin.store.catalog import Store, TableData, write_store
from critmin.store.views import NoMineralDataError

BASKET_COLUMNS = ["basket_code", "basket_cross_border_t", "basket_observed_share",
                  "basket_quantity_from_value_share", "basket_split_share", "basket_mineral_t",
                  "split_method"]
CELL_COLUMNS = ["mineral", "stage", "year", "exporter", "importer", "quantity_t", "value_usd",
                "method", "source", "note", "domestic", "quantity_from_value", "hs_shared"]
MARKET_COLUMNS = [
    "mineral", "stage", "year", "status", "production_stage", "basis", "countries", "total_t",
    "cross_border_t", "observed_cross_border_share", "estimated_cross_border_share",
    "estimated_share", "home_absorption_share", "usgs_import_sources_share",
    "unobserved_cross_border_share", "basket_split_cells_share", "quantity_from_value_share",
    "complete_market", "codes", "complete_codes", "shared_codes", *BASKET_COLUMNS,
    "flow_sources", "production_sources", "constraint", "diagnostics", "provenance", "source"]
SOURCE = "critmin-baselines"
DERIVED_TABLES = ("baselines", "baseline_markets")


def default_years(store: Store) -> list[int]:
    """Years with observed flows and production: the BACI atlas years and the latest
    three years with both, newest first."""
    have = set(store.tables())
    if not {"flows", "production"} <= have:
        return []
    frame = store.sql("SELECT DISTINCT f.year FROM flows f JOIN (SELECT DISTINCT year FROM "
                      "production WHERE quantity_t IS NOT NULL) p USING (year) "
                      "WHERE NOT f.partial_year ORDER BY 1 DESC")
    years = [int(y) for y in frame["year"]]
    complete = [int(y) for y in store.sql("SELECT DISTINCT year FROM flows WHERE coverage = "
                                          "'complete'")["year"]] if "flows" in have else []
    return sorted(set(years[:3]) | (set(complete) & set(years)), reverse=True)


def markets() -> list[tuple[str, str]]:
    """Every (mineral, stage) with six-digit trade codes, in vocabulary order."""
    out = []
    for mid in vocab.minerals():
        try:
            stages = vocab.hs_stages(mid)
        except CritminError:
            continue
        out.extend((mid, s.value) for s in stages if market_codes(mid, s.value))
    return out


def _shares(b: Baseline) -> dict[str, Any]:
    parts = b.estimated_parts()
    total = b.total_t
    cross = b.cross_border_t
    q_from_value = parts.get("observed, tonnes from value", 0.0) * total / cross if cross > 0 else 0.0
    return {"total_t": total, "cross_border_t": cross,
            "estimated_cross_border_share": b.estimated_cross_border_share,
            "observed_cross_border_share": (1.0 - b.estimated_cross_border_share) if cross > 0
            else 0.0,
            "estimated_share": b.estimated_share,
            "home_absorption_share": parts.get("home absorption", 0.0),
            "usgs_import_sources_share": parts.get("USGS import sources", 0.0),
            "unobserved_cross_border_share": parts.get("cross-border, unobserved", 0.0),
            "basket_split_cells_share": parts.get("basket split", 0.0),
            "quantity_from_value_share": q_from_value}


def market_row(b: Baseline, done: set[tuple[str, str]]) -> dict[str, Any]:
    """The ``baseline_markets`` row of a built baseline."""
    entries = market_codes(b.mineral, b.stage)
    complete = [e.code for e in entries
                if any((nom, e.code_in(nom)) in done for nom in vocab.NOMENCLATURES)]
    flow_sources = sorted(set(b.flows.loc[b.flows["method"] != "estimated", "source"]))
    prov = [dict(p) for p in b.provenance]
    prod_sources = sorted({str(p.get("source")) for p in prov if p.get("table") == "production"})
    diag = {k: v for k, v in b.diagnostics.items()}
    return {"mineral": b.mineral, "stage": b.stage, "year": b.year, "status": "ok",
            "production_stage": diag.get("production_stage", b.stage), "basis": b.basis,
            "countries": ",".join(b.row_targets.index), **_shares(b),
            "complete_market": bool(diag.get("complete_market", False)),
            "codes": ",".join(e.code for e in entries), "complete_codes": ",".join(complete),
            "shared_codes": ",".join(e.code for e in entries if e.shared_with),
            **_basket_columns(b.mineral, b.stage, diag.get("basket")),
            "flow_sources": ",".join(flow_sources), "production_sources": ",".join(prod_sources),
            "constraint": str(diag.get("constraint", "")),
            "diagnostics": json.dumps(diag, default=_json_default),
            "provenance": json.dumps(prov, default=_json_default), "source": SOURCE}


def _basket_columns(mineral: str, stage: str, summary: dict[str, Any] | None) -> dict[str, Any]:
    """The basket columns of a market row: the baseline's ``diagnostics["basket"]``
    (:func:`critmin.baseline_basket.basket_summary`), else the codes only."""
    from critmin.baseline_basket import basket_code

    if summary:
        return {c: summary.get(c) for c in BASKET_COLUMNS}
    return {c: None for c in BASKET_COLUMNS} | {"basket_code": basket_code(mineral, stage)}


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (set, tuple, np.ndarray)):
        return list(value)
    return str(value)


def _failed_row(mineral: str, stage: str, year: int, reason: str,
                done: set[tuple[str, str]]) -> dict[str, Any]:
    entries = market_codes(mineral, stage)
    row: dict[str, Any] = {c: None for c in MARKET_COLUMNS}
    row.update({"mineral": mineral, "stage": stage, "year": year, "status": reason,
                "codes": ",".join(e.code for e in entries),
                "complete_codes": ",".join(e.code for e in entries if any(
                    (nom, e.code_in(nom)) in done for nom in vocab.NOMENCLATURES)),
                "shared_codes": ",".join(e.code for e in entries if e.shared_with),
                "complete_market": False, "source": SOURCE,
                **_basket_columns(mineral, stage, None)})
    return row


# Production stages that can bound a trade stage USGS does not report, tried in order after
# the stage's own: only stages upstream of it, mine output first (every refined form starts
# there), then the refined metal (e.g. germanium dioxide bounded by refined germanium, which
# has no mine series). Ores have no fallback.
FALLBACK_STAGES = {"mine": (), "smelter": ("mine",), "refinery": ("mine", "smelter"),
                   "metal": ("mine", "refinery", "smelter"),
                   "chemical": ("mine", "refinery", "smelter")}


class NoBaselineError(CritminError):
    """No production bounds a market in a year (the message says what was tried)."""


def _production_span(store: Store, mineral: str) -> dict[str, tuple[list[int], list[str]]]:
    """Years with production quantities, by stage, of ``mineral``, and the sources of the
    latest of them."""
    if "production" not in set(store.tables()):
        return {}
    frame = store.sql("SELECT stage, year, string_agg(DISTINCT source, ',') AS sources FROM "
                      "production WHERE mineral = ? AND quantity_t IS NOT NULL AND country "
                      "<> 'WLD' GROUP BY stage, year ORDER BY stage, year", [mineral])
    out: dict[str, tuple[list[int], list[str]]] = {}
    for st, g in frame.groupby("stage"):
        out[str(st)] = ([int(y) for y in g["year"]], sorted(str(g["sources"].iloc[-1]).split(",")))
    return out


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _why(span: dict[str, tuple[list[int], list[str]]], mineral: str, stage: str, year: int,
         exc: CritminError) -> str:
    if stage not in span:
        return f"no {mineral} {stage} production in the store"
    years, sources = span[stage]
    if int(year) not in years:
        return (f"no {mineral} {stage} production for {year} (years with data: {years[0]}-"
                f"{years[-1]}, latest from {', '.join(sources)})")
    return f"{stage}: {_first_line(exc)}"


#: What "no production for this stage and year" raises: the only errors that fall back.
NO_PRODUCTION = (UnknownYearError, UnknownStageError, NoMineralDataError)


def build_market(store: Store, mineral: str, stage: str, year: int) -> Baseline:
    """The default baseline of a market: the stage's own production, else (for a trade
    stage USGS does not report for the year, e.g. refined platinum) the production of the
    first upstream stage (:data:`FALLBACK_STAGES`) with data as the bound (``production_stage`` says
    which).

    Raises :class:`NoBaselineError` naming the market's own gap first (e.g. "no germanium
    refinery production for 2024 (years with data: 1971-2023)") and then what each
    fallback stage lacked, never only the last fallback's error.
    """
    tried: list[tuple[str, CritminError]] = []
    for pst in (stage, *FALLBACK_STAGES.get(stage, ("mine",))):
        try:
            return build_baseline(store, mineral, stage, year,
                                  production_stage=None if pst == stage else pst)
        except NO_PRODUCTION as exc:  # only a missing stage or year falls back upstream;
            tried.append((pst, exc))  # a failed solve or bad input is the market's error
    mid = vocab.mineral(mineral).id
    span = _production_span(store, mid)
    reasons = [_why(span, mid, pst, year, exc) for pst, exc in tried]
    own, rest = reasons[0], reasons[1:]
    msg = own + (f"; no upstream stage bounds it ({'; '.join(rest)})" if rest else "")
    raise NoBaselineError(msg)


def compute_baselines(store: Store, years: Iterable[int] | None = None, *,
                      progress: Callable[[str, int, int], None] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cells, markets) for every market and year (default :func:`default_years`)."""
    years = list(years) if years is not None else default_years(store)
    plan = [(m, s, y) for y in years for m, s in markets()]
    cells, rows = [], []
    done_by_year = {y: complete_codes(store, y) for y in years}
    for i, (m, s, y) in enumerate(plan):
        if progress:
            progress(f"baselines {m} {s} {y}", i, len(plan))
        try:
            b = build_market(store, m, s, y)
        except CritminError as exc:
            rows.append(_failed_row(m, s, y, f"no baseline: {_first_line(exc)}",
                                    done_by_year[y]))
            continue
        f = b.flows.assign(mineral=m, stage=s, year=y)
        if len(f):
            cells.append(f[CELL_COLUMNS])
        rows.append(market_row(b, done_by_year[y]))
    with warnings.catch_warnings():  # all-empty note columns: the result dtype is object anyway
        warnings.simplefilter("ignore", FutureWarning)
        cell_frame = (pd.concat(cells, ignore_index=True) if cells
                      else pd.DataFrame(columns=CELL_COLUMNS))
    return cell_frame, pd.DataFrame(rows, columns=MARKET_COLUMNS)


#: The modules whose code computes a baseline: stored baselines made by other code are stale.
METHOD_MODULES = ("baseline.py", "baseline_fit.py", "baseline_basket.py", "baseline_store.py",
                  "sources/usgs_imports.py")
#: The package data baselines read (codes, content factors, ``shared_with``, corrections,
#: parameters): an edit makes stored baselines stale although no table's provenance changes.
METHOD_DATA = ("data/mappings", "data/corrections", "data/parameters")


def inputs_digest(store: Store) -> str:
    """sha256 over the store's inputs (every table's provenance except the stored
    baselines themselves), the code that completes baselines (:data:`METHOD_MODULES`) and
    the package data it reads (:data:`METHOD_DATA`):
    the ``sha256`` of the ``baseline_markets`` provenance row. Stored baselines whose digest
    differs were computed from other inputs or by other code: stale."""
    import hashlib

    prov = store.provenance()
    prov = prov[~prov["table"].isin(DERIVED_TABLES)]
    cols = [c for c in ("table", "source", "vintage", "sha256", "rows") if c in prov.columns]
    lines = sorted("|".join(map(str, r)) for r in prov[cols].itertuples(index=False))
    h = hashlib.sha256("\n".join(lines).encode())
    here = Path(__file__).parent
    for name in METHOD_MODULES:
        h.update((here / name).read_bytes())
    for folder in METHOD_DATA:
        root = here / folder
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(f"{folder}/{f.relative_to(root).as_posix()}".encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def baselines_current(store: Store) -> bool:
    """The store holds stored baselines and they are not stale (:func:`inputs_digest`)."""
    if not _has(store):
        return False
    stored = store.provenance(["baseline_markets"])
    stored = stored[stored["source"] == SOURCE]
    return len(stored) > 0 and str(stored["sha256"].iloc[0]) == inputs_digest(store)


def baseline_origin(store: Store) -> Origin:
    digest = inputs_digest(store)
    return Origin(SOURCE, "critmin", "Completed baselines per mineral, stage and year "
                  "(critmin.baseline.build_baseline with default parameters), from the store's "
                  "flows, production, gdp, distances and USGS tables", "0.1.0",
                  "docs/baseline.md", "Apache-2.0", digest, "derived at build time",
                  redistributable=False)


def store_baselines(path: Path, years: Iterable[int] | None = None, *,
                    progress: Callable[[str, int, int], None] | None = None) -> pd.DataFrame:
    """Compute every market's baseline from the store at ``path`` and add the tables
    ``baselines`` and ``baseline_markets`` to it (atomically); returns the markets."""
    store = Store.open(path)
    cells, rows = compute_baselines(store, years, progress=progress)
    origin = baseline_origin(store)
    store.close()
    write_store(path, [TableData("baselines", cells.assign(source=cells["source"]), ()),
                       TableData("baseline_markets", rows, (origin,))], base=path)
    return rows


# --- reading ---------------------------------------------------------------------------

def _has(store: Store) -> bool:
    return set(DERIVED_TABLES) <= set(store.tables())


def _from_rows(cells: pd.DataFrame, row: pd.Series, by_exp: pd.Series | None = None,
               by_imp: pd.Series | None = None) -> Baseline:
    countries = str(row["countries"]).split(",") if row["countries"] else []
    flows = cells[CELL_COLUMNS[3:]].reset_index(drop=True)
    if by_exp is None or by_imp is None:
        by_exp = flows.groupby("exporter")["quantity_t"].sum()
        by_imp = flows.groupby("importer")["quantity_t"].sum()
    diag = json.loads(row["diagnostics"]) if row["diagnostics"] else {}
    prov = tuple(json.loads(row["provenance"])) if row["provenance"] else ()
    est = flows["method"].to_numpy() == "estimated"
    value = flows["value_usd"].to_numpy(dtype="float64")
    v_total = float(np.nansum(value))
    return Baseline(mineral=str(row["mineral"]), stage=str(row["stage"]), year=int(row["year"]),
                    basis=str(row["basis"]), flows=flows,
                    row_targets=by_exp.reindex(countries, fill_value=0.0).rename_axis("exporter"),
                    col_targets=by_imp.reindex(countries, fill_value=0.0).rename_axis("importer"),
                    estimated_share=float(row["estimated_share"]),
                    estimated_value_share=(float(np.nansum(value[est])) / v_total
                                           if v_total > 0 else 0.0),
                    provenance=prov, diagnostics={**diag, "stored": True})


def stored_baselines(store: Store, year: int) -> dict[tuple[str, str], Baseline]:
    """Every stored baseline of ``year``, keyed by (mineral, stage); empty if none or stale."""
    if not baselines_current(store):
        return {}
    rows = store.sql("SELECT * FROM baseline_markets WHERE year = ? AND status = 'ok'",
                     [int(year)])
    if rows.empty:
        return {}
    cells = store.sql("SELECT * FROM baselines WHERE year = ? ORDER BY mineral, stage",
                      [int(year)])
    key = cells["mineral"] + "/" + cells["stage"]
    exp_sum = cells.groupby([key, cells["exporter"]], sort=False)["quantity_t"].sum()
    imp_sum = cells.groupby([key, cells["importer"]], sort=False)["quantity_t"].sum()
    k = key.to_numpy()
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    bounds = dict(zip(k[starts], zip(starts, np.r_[starts[1:], len(k)], strict=True), strict=True))
    out = {}
    for r in rows.to_dict("records"):
        name = f"{r['mineral']}/{r['stage']}"
        if name not in bounds:
            continue
        lo, hi = bounds[name]
        out[(r["mineral"], r["stage"])] = _from_rows(
            cells.iloc[lo:hi], pd.Series(r), exp_sum.loc[name].rename_axis("exporter"),
            imp_sum.loc[name].rename_axis("importer"))
    return out


def stored_baseline(store: Store, mineral: str, stage: str, year: int) -> Baseline | None:
    """The stored default baseline of one market, or None (none stored, or stale)."""
    if not baselines_current(store):
        return None
    m, st = vocab.mineral(mineral).id, vocab.stage(stage).value
    rows = store.sql("SELECT * FROM baseline_markets WHERE mineral = ? AND stage = ? AND "
                     "year = ? AND status = 'ok'", [m, st, int(year)])
    if rows.empty:
        return None
    cells = store.sql("SELECT * FROM baselines WHERE mineral = ? AND stage = ? AND year = ?",
                      [m, st, int(year)])
    return _from_rows(cells, rows.iloc[0])


def load_baseline(store: Store, mineral: str, stage: str, year: int, **kwargs: Any) -> Baseline:
    """The stored baseline when ``kwargs`` are empty (default parameters) and the store
    has it, current (:func:`baselines_current`), else :func:`critmin.baseline.build_baseline`
    (``production_stage`` passed
    through; a stored baseline built on mine production is returned for
    ``production_stage="mine"`` too)."""
    pst = kwargs.get("production_stage")
    if set(kwargs) <= {"production_stage"}:
        b = stored_baseline(store, mineral, stage, year)
        if b is not None and pst in (None, b.diagnostics.get("production_stage")):
            return b
    return build_baseline(store, mineral, stage, year, **kwargs)


def market_coverage(store: Store, year: int | None = None, *,
                    progress: Callable[[str, int, int], None] | None = None) -> pd.DataFrame:
    """Every market (mineral, stage, year) with cross-border tonnes, observed and
    estimated shares and the sources: the stored ``baseline_markets`` rows when they are
    current (:func:`baselines_current`), else computed now (slower; stale stored rows are
    never served). Newest year first."""
    if _has(store) and baselines_current(store):
        sql = "SELECT * FROM baseline_markets" + (" WHERE year = ?" if year is not None else "")
        rows = store.sql(sql, [int(year)] if year is not None else None)
        if year is None or len(rows):
            return _order(rows.reindex(columns=list(dict.fromkeys([*rows.columns,
                                                                   *MARKET_COLUMNS]))))
    years = [int(year)] if year is not None else default_years(store)
    _, rows = compute_baselines(store, years, progress=progress)
    return _order(rows)


def _order(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.sort_values(["year", "mineral", "stage"], ascending=[False, True, True],
                            kind="stable")
    return rows.reset_index(drop=True)


__all__ = ["DERIVED_TABLES", "compute_baselines", "default_years", "load_baseline",
           "market_coverage", "markets", "store_baselines", "stored_baseline",
           "stored_baselines"]
