"""US net import reliance recomputed from the USGS MCS salient statistics.

USGS (Mineral Commodity Summaries 2025, Introduction) defines net import reliance as
imports minus exports plus adjustments for government and industry stock changes,
expressed as a percent of apparent consumption. The salient tables publish the parts
(``USprod_*``, ``Imports_*``, ``Exports_*``, ``Consump_*``, ``Stocks_*``,
``Shipments_Gov*``) and the result (``NIR_*``), one file per commodity with its own column
labels. This module maps those labels to the parts, recomputes the ratio and compares it
with the published value, reporting every difference rather than tuning to it.

How the parts are read (a pure function of the column labels; documented so each gap can
be traced):

* units come from the label's last token: ``t``, ``kt`` (thousand t), ``kg``, ``g``;
  columns in other units (carats, dollars, flasks) are not masses and are skipped;
* imports and exports: the sum of every ``Imports_*`` / ``Exports_*`` column (all forms,
  gross weight as USGS lists them; USGS itself nets on contained content, a known source
  of gaps where forms differ in content, e.g. ores versus metal); where a column of the
  kind is labelled a total (``Imports_Total_t``, ``Imports_Total_Fl_kt``), that total
  alone, since the other columns are its parts;
* apparent consumption: ``Consump_Apparent*`` (or ``Consump_Apprnt*``) when published, the
  one labelled total where several are (nickel ``Consump_Apparent_Primary_t`` and
  ``Consump_Apparent_Total_t``), else the first ``Consump_*`` column, else production +
  imports - exports + stock release;
* production: ``USprod_*`` (or ``Prod_*``, perlite) columns, mine or primary plus secondary; refinery and smelter
  columns are left out when a mine column exists (they would count the same metal twice),
  except those labelled secondary (metal recovered from scrap is not mined metal). A
  table that lists no US production at all (no ``USprod_*`` column, or one that is ``NA``
  in every year) is read as no US production: USGS omits the line for commodities not
  produced in the United States (arsenic, asbestos, yttrium);
* stock release: the year-on-year fall of the summed ``Stocks_*`` columns plus
  ``Shipments_Gov*`` (government stockpile disposals);
* published ``NIR_*``: a number (percent), a bound (``>95``, ``<25``) or ``E`` (net
  exporter). ``W``/``NA`` are not comparable. Where USGS publishes one NIR per form
  (zinc ``NIR_Ores_pct`` and ``NIR_Refined_pct``; rare earths ``NIR_Compounds-Metals_t``),
  each is recomputed from the parts whose form tokens all belong to that NIR's form
  (``Imports_Refined_kt`` for ``NIR_Refined_pct``; ``Exports_Ores-Compounds_t`` is not a
  compounds-and-metals part), falling back to every part of a kind when none does;
* a cell marked ``NA`` or ``W`` in a part makes that part unknown, and the ratio with it:
  nothing is taken as zero that USGS did not print as zero. A column that is ``NA`` in
  every year of its file is one USGS does not report (germanium ``Imports_GeCl4_kg``)
  and is left out.

Two ways to the ratio (``nir_method``), chosen by a rule that never looks at the published
value:

``trade``
    ``(imports - exports + stock release) / apparent consumption``, USGS's definition;
``identity``
    ``(apparent consumption - production) / apparent consumption``. Since apparent
    consumption is production plus net imports plus stock release, this is the same ratio
    computed from the consumption side, in the basis of the consumption column (contained
    metal) rather than the gross weight of the traded forms. It is used where US
    production is zero (the ratio is then 1 by identity, whatever the gross-weight trade
    says), and where the trade ratio is missing (a trade part ``NA``) or exceeds 1 by more
    than the tolerance, which with non-negative production is impossible and shows that
    the traded forms are not on the consumption's basis (gallium imports are mostly GaAs
    wafers, rare-earth imports compounds).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError

UNIT_T = {"t": 1.0, "kt": 1000.0, "mmt": 1e6, "kg": 1e-3, "g": 1e-6}
TOLERANCE_SHARE = 0.02   # USGS publishes whole percent; 2 points allow rounding of both parts
_NUM = re.compile(r"^\s*(?P<op>[<>]=?)?\s*(?P<num>-?[\d,]*\.?\d+)\s*$")


def _unit(label: str) -> float | None:
    token = label.rsplit("_", 1)[-1].strip().lower() if "_" in label else ""
    return UNIT_T.get(token)


def to_number(value: object) -> float:
    """A salient cell as a number: '1,234' -> 1234.0; W, NA, E, ranges -> NaN."""
    if value is None:
        return np.nan
    if isinstance(value, (int, float, np.number)):
        return float(value)
    m = _NUM.match(str(value))
    if not m or m.group("op"):
        return np.nan
    return float(m.group("num").replace(",", ""))


def parse_published(value: object) -> tuple[str, float]:
    """('value'|'lower'|'upper'|'exporter'|'none', share) for a published NIR cell (percent)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "none", np.nan
    if isinstance(value, (int, float, np.number)):
        return "value", float(value) / 100.0
    text = str(value).strip()
    if text.upper() == "E":
        return "exporter", 0.0
    m = _NUM.match(text)
    if not m:
        return "none", np.nan
    num = float(m.group("num").replace(",", "")) / 100.0
    op = m.group("op")
    if op is None:
        return "value", num
    return ("lower", num) if op.startswith(">") else ("upper", num)


def classify(label: str) -> str | None:
    """The NIR part a salient column label feeds, or None."""
    low = label.lower()
    if low.startswith("nir"):
        return "nir"
    if _unit(label) is None:
        return None
    if low.startswith(("usprod", "prod_")):
        return "production"
    if low.startswith("imports"):
        return "imports"
    if low.startswith("exports"):
        return "exports"
    if low.startswith("consump"):
        return "consumption"
    if low.startswith("stocks"):
        return "stocks"
    if low.startswith("shipments_gov"):
        return "gov_release"
    return None


def components(salient: pd.DataFrame) -> pd.DataFrame:
    """The NIR parts per mineral and year from long-format salient statistics.

    Parameters
    ----------
    salient : DataFrame
        ``mineral, year, column, value``: one row per published cell, ``column`` the
        publisher's label (e.g. ``Imports_Oxide_t``) and ``value`` the cell as published
        (text or number).

    Returns
    -------
    DataFrame
        ``mineral, year, production_t, imports_t, exports_t, consumption_t,
        stock_release_t, nir_published, nir_kind, nir_column`` (tonnes; ``nir_kind`` as in
        :func:`parse_published`).
    """
    need = ["mineral", "year", "column", "value"]
    missing = [c for c in need if c not in salient.columns]
    if missing:
        raise SourceFormatError(f"components() needs column(s) {missing}; got {list(salient.columns)}.")
    s = salient[need].copy()
    s["column"] = s["column"].astype(str)
    s["part"] = s["column"].map(classify)
    s = s[s["part"].notna()]
    never = s.assign(_na=s["value"].astype(str).str.strip().str.upper().isin(["NA", "NAN", ""])
                     | s["value"].isna()).groupby(["mineral", "column"])["_na"].transform("all")
    s = s[~never]
    listed = set(s.loc[s["part"] == "production", "mineral"])
    rows = []
    for (mineral, year), g in s.groupby(["mineral", "year"], sort=True):
        nir_cols = list(dict.fromkeys(g.loc[g["part"] == "nir", "column"])) or [None]
        for col in nir_cols:
            parts = _parts(g, col)
            if mineral not in listed:
                parts["production_t"] = 0.0       # no US production line in the table
            parts["production_listed"] = mineral in listed
            rows.append({"mineral": mineral, "year": int(year), **parts})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # stock release: fall in summed stocks from the previous year, per mineral and form
    out["_form"] = out["nir_column"].fillna("")
    out = out.sort_values(["mineral", "_form", "year"]).reset_index(drop=True)
    prev = out.groupby(["mineral", "_form"])["stocks_t"].shift(1)
    release = (prev - out["stocks_t"]).fillna(0.0) + out["gov_release_t"].fillna(0.0)
    out["stock_release_t"] = release
    return out.drop(columns=["stocks_t", "gov_release_t", "_form"])


def _sum(g: pd.DataFrame, part: str) -> float:
    cells = g[g["part"] == part]
    total = cells[[_is_total(c) for c in cells["column"]]]
    if not total.empty and part in ("imports", "exports"):
        cells = total              # the total of the kind, not its parts as well
    if cells.empty:
        return np.nan
    vals = [to_number(v) * (_unit(c) or np.nan) for c, v in zip(cells["column"], cells["value"])]
    arr = np.array(vals, dtype=float)
    # an unknown cell (NA, W) makes the sum unknown
    return float(arr.sum()) if not np.isnan(arr).any() else np.nan


def _is_total(label: str) -> bool:
    return "total" in {t.lower() for p in label.split("_")[1:] for t in p.split("-")}


def _forms(label: str) -> set[str]:
    """Form tokens of a label: 'NIR_Compounds-Metals_t' -> {'compounds', 'metals'}."""
    parts = label.split("_")
    middle = parts[1:-1] if len(parts) > 2 else []
    return {t.lower() for p in middle for t in p.split("-") if t}


def _for_form(g: pd.DataFrame, nir_column: str | None) -> pd.DataFrame:
    """Cells of the parts that name the NIR column's form (all cells when none do)."""
    forms = _forms(nir_column) if nir_column else set()
    if not forms:
        return g
    out = []
    for part, cells in g[g["part"] != "nir"].groupby("part", sort=False):
        match = cells[[bool(_forms(c)) and _forms(c) <= forms for c in cells["column"]]]
        out.append(match if not match.empty else cells)
    return pd.concat([*out, g[g["column"] == nir_column]]) if out else g


def _parts(g: pd.DataFrame, nir_column: str | None = None) -> dict[str, object]:
    g = _for_form(g, nir_column)
    prod_cols = g[g["part"] == "production"]
    labels = [c.lower() for c in prod_cols["column"]]
    if any("mine" in c for c in labels):
        keep = [not (("refin" in c) or ("smelt" in c)) or "secondary" in c for c in labels]
        prod = g.drop(prod_cols.index[[not k for k in keep]])
    else:
        prod = g
    cons = g[g["part"] == "consumption"]
    apparent = cons[cons["column"].str.lower().str.contains("apparent|apprnt")]
    total = apparent[[_is_total(c) for c in apparent["column"]]]
    apparent = total if not total.empty else apparent
    cons = apparent if not apparent.empty else cons.head(1)
    kind, pub, col = "none", np.nan, nir_column
    if nir_column is not None:
        cell = g.loc[g["column"] == nir_column, "value"]
        kind, pub = parse_published(cell.iloc[0] if len(cell) else None)
    return {
        "production_t": _sum(prod, "production"),
        "imports_t": _sum(g, "imports"),
        "exports_t": _sum(g, "exports"),
        "consumption_t": _sum(cons, "consumption") if not cons.empty else np.nan,
        "stocks_t": _sum(g, "stocks"),
        "gov_release_t": _sum(g, "gov_release"),
        "nir_published": pub, "nir_kind": kind, "nir_column": col,
    }


def compare(parts: pd.DataFrame, *, tolerance: float = TOLERANCE_SHARE,
            stocks: bool = True) -> pd.DataFrame:
    """Recomputed against published NIR, one row per mineral-year with a published value.

    ``agrees`` is True when the recomputed share is within ``tolerance`` of a published
    number, satisfies a published bound (``>95`` means above 0.95 - tolerance), or is not
    positive where USGS prints ``E`` (net exporter).
    """
    from critmin.metrics.exposure import net_import_reliance

    if parts.empty:
        return parts.assign(nir_computed=pd.Series(dtype=float))
    out = parts.copy()
    trade = net_import_reliance(out, stocks=stocks)
    cons = out["consumption_t"]
    identity = ((cons - out["production_t"]) / cons).where(cons > 0)
    use_identity = identity.notna() & (
        (out["production_t"] == 0) | (trade > 1 + tolerance))
    out["nir_trade"] = trade
    out["nir_computed"] = identity.where(use_identity, trade)
    out["nir_method"] = np.where(use_identity, "identity",
                                 np.where(trade.notna(), "trade", None))
    c, p, k = out["nir_computed"], out["nir_published"], out["nir_kind"]
    out["difference"] = np.where(k == "value", c - p, np.nan)
    agrees = np.select(
        [k == "value", k == "lower", k == "upper", k == "exporter"],
        [(c - p).abs() <= tolerance + 1e-9, c >= p - tolerance - 1e-9,
         c <= p + tolerance + 1e-9, c <= tolerance + 1e-9],
        default=False)
    out["agrees"] = pd.Series(agrees, index=out.index).where(c.notna() & (k != "none"))
    return out[out["nir_kind"] != "none"].reset_index(drop=True)


# --- published NIR beside the exposure rows ----------------------------------------------

STAGE_FORMS = {"mine": ("ore", "concentrate", "mineral"),
               "refinery": ("refined", "metal", "sponge", "unwrought"),
               "smelter": ("refined", "metal", "smelter"),
               "metal": ("metal", "sponge", "unwrought", "refined"),
               "chemical": ("compound", "oxide", "chemical")}
RELIANCE_SOURCES = ("flows", "usgs-published")


def published_reliance(us_nir: pd.DataFrame) -> pd.DataFrame:
    """The USGS published net import reliance per mineral, year and form, newest edition.

    Parameters
    ----------
    us_nir : DataFrame
        The store's ``us_nir`` rows (``mineral, year, nir_share, bound, edition, source,
        statistic``); only the salient-statistics rows (``source`` ending ``-salient``) are
        used: Fig. 2 and Table 5 repeat them for one year.

    Returns
    -------
    DataFrame
        ``mineral, year, nir_share, bound, statistic, edition, source``: for each mineral
        and year the rows of the newest MCS edition that publishes it (several where USGS
        publishes one NIR per form, e.g. zinc ores and refined).
    """
    need = ["mineral", "year", "nir_share", "bound", "edition", "source", "statistic"]
    missing = [c for c in need if c not in us_nir.columns]
    if missing:
        raise SourceFormatError(f"published_reliance() needs column(s) {missing}.")
    rows = us_nir[us_nir["source"].astype("string").str.endswith("-salient").fillna(False)]
    rows = rows[rows["nir_share"].notna() | rows["bound"].notna()]
    newest = rows.groupby(["mineral", "year"])["edition"].transform("max")
    return rows.loc[rows["edition"] == newest, need].reset_index(drop=True)


def _pick_form(rows: pd.DataFrame, stage: str) -> pd.Series | None:
    """The published NIR of the form that matches ``stage``, or the only one."""
    if len(rows) == 1:
        return rows.iloc[0]
    words = STAGE_FORMS.get(str(stage), ())
    label = rows["statistic"].astype("string").str.lower()
    hit = rows[label.map(lambda s: any(w in str(s) for w in words))]
    return hit.iloc[0] if len(hit) == 1 else None


def attach_published_reliance(frame: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Exposure rows of the United States with the USGS import reliance where trade cannot
    give it.

    The import reliance recomputed from flows (``import_reliance_flows_share``) is kept
    where it rests on observed tonnes of the mineral's own HS codes. Where it is missing
    (value-only trade, e.g. USITC DataWeb), rests on a basket code shared with other
    minerals (``shared_hs_code``: HS 8112 holds gallium, germanium, indium, niobium, ...) or
    on estimated cells of a completed baseline, ``import_reliance_share`` is the USGS
    published net import reliance of the same mineral and year (newest MCS edition), and
    ``import_reliance_source`` names it. A published bound (``>50``) is carried as its
    number with ``import_reliance_bound`` (``>``, ``<``); ``E`` (net exporter) as 0 with
    bound ``E``.
    """
    out = frame.copy()
    out["import_reliance_flows_share"] = out["import_reliance_share"]
    basket = out["shared_hs_code"].fillna(False).astype(bool) \
        if "shared_hs_code" in out.columns else pd.Series(False, index=out.index)
    observed = out["flow_basis"].eq("observed") if "flow_basis" in out.columns \
        else pd.Series(True, index=out.index)
    from_flows = out["import_reliance_share"].notna() & ~basket & observed
    src_name = out["flow_source"].fillna("flows").astype(str) \
        if "flow_source" in out.columns else pd.Series("flows", index=out.index)
    out["import_reliance_source"] = np.where(
        from_flows, "recomputed from tonnes: " + src_name + " flows and USGS production",
        None)
    out["import_reliance_bound"] = None
    by = {k: g for k, g in published.groupby(["mineral", "year"])} if not published.empty else {}
    for i in out.index[~from_flows]:
        rows = by.get((out.at[i, "mineral"], int(out.at[i, "year"])))
        why = ("trade in value only" if pd.isna(out.at[i, "import_reliance_share"])
               else "trade on a basket HS code" if basket[i]
               else "trade partly estimated")
        if rows is None:
            out.at[i, "import_reliance_share"] = np.nan
            out.at[i, "import_reliance_source"] = f"none: {why}, and no USGS published value"
            continue
        row = _pick_form(rows, out.at[i, "stage"])
        if row is None:
            out.at[i, "import_reliance_share"] = np.nan
            out.at[i, "import_reliance_source"] = (
                f"none: {why}; USGS publishes one value per form and none matches "
                f"stage {out.at[i, 'stage']}")
            continue
        bound = row["bound"] if isinstance(row["bound"], str) else None
        share = 0.0 if bound == "E" else float(row["nir_share"])
        out.at[i, "import_reliance_share"] = share
        out.at[i, "import_reliance_bound"] = bound
        label = str(row["statistic"])
        label = label if label.startswith("NIR") else "Net import reliance"
        out.at[i, "import_reliance_source"] = (
            f"USGS MCS {int(row['edition'])} salient statistics, published net import "
            f"reliance ({label}; {row['source']}), {why}")
    return out
