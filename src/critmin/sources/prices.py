"""Prices: the World Bank Pink Sheet (monthly) and USGS salient-statistics prices (annual).

**Pink Sheet.** The original workbook ``CMO-Historical-Data-Monthly.xlsx``, sheet
"Monthly Prices": a title block, then one row of series names, one row of units
(``($/mt)``, ``($/troy oz)``, ``($/dmtu)``), in older vintages a row of series codes, then
one row per month (``1960M01``). Missing values are "…" or "...". Trailing ``**`` on a
name is a footnote marker. The header rows are found by content, not by position, so the
June 2026 vintage (no series-code row) and older ones both parse.

Only metals, minerals and fertilizer series are kept (:data:`PINK_SERIES`); each names
the vocabulary mineral it prices, if any. ``price_usd_per_t`` converts $/troy oz
(x 32,150.7466) and $/kg (x 1,000); the Pink Sheet's iron-ore unit "$/dmtu" is, by the
workbook's own Description sheet, the spot price "in US dollar/dry ton" of 62 % Fe fines
(values near 100 $), so it is taken as $/t of ore, gross weight, and said so in
``unit_note``. Series descriptions come from the Description sheet where it has them.

**USGS prices** are the price rows of the ``us_salient`` table (MCS 2023-2026 salient
statistics, parsed by :mod:`critmin.sources.usgs_salient`, corrections applied):
:func:`usgs_prices` selects them, names the mineral each prices, and converts the unit to
US$ per tonne (:func:`unit_factor`). They keep the ``us_salient`` source ids, so each row
traces to the same release record in both tables.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_file, sha256_file

PINK_SOURCE = "wb-pink-sheet-2026-06"
PINK_FILE = "prices/worldbank_pink_sheet/CMO-Historical-Data-Monthly_2026-06-02.xlsx"
PINK_CSV = ("prices/worldbank_pink_sheet/"
            "pink_sheet_monthly_metals_minerals_fertilizers_1960_2026M05.csv")
SHEET = "Monthly Prices"
TROY_OZ_PER_T = 1_000_000 / 31.1034768
MISSING = {"…", "...", "..", "", "n.a.", "na"}
_PERIOD = re.compile(r"^(\d{4})M(\d{2})$")


@dataclass(frozen=True, slots=True)
class Series:
    """A Pink Sheet series: its id, the mineral it prices (vocabulary id), a fallback
    description, and the prefix of its entry in the workbook's "Description" sheet (whose
    text, when found, replaces the fallback so grade and market changes are as published)."""

    id: str
    mineral: str | None
    description: str
    key: str = ""


# Pink Sheet name (footnote stars stripped) -> series. Names are as printed in the sheet.
PINK_SERIES: dict[str, Series] = {
    "Phosphate rock": Series("phosphate_rock", "phosphate", "Phosphate rock", "Phosphate rock ,"),
    "DAP": Series("dap", None, "Diammonium phosphate (fertilizer; no single mineral)", "DAP ("),
    "TSP": Series("tsp", None, "Triple superphosphate (fertilizer; no single mineral)", "TSP ("),
    "Urea": Series("urea", None, "Urea (nitrogen fertilizer)", "Urea,"),
    "Potassium chloride": Series("potassium_chloride", "potash",
                                 "Potassium chloride (muriate of potash)", "Potassium chloride ("),
    "Aluminum": Series("aluminum", "aluminum", "Aluminum (LME)", "Aluminum (LME)"),
    "Iron ore, cfr spot": Series("iron_ore", "iron_ore", "Iron ore fines, 62% Fe, c.f.r. China",
                                 "Iron ore (any origin)"),
    "Copper": Series("copper", "copper", "Copper (LME), grade A", "Copper (LME)"),
    "Lead": Series("lead", "lead", "Lead (LME), refined", "Lead (LME)"),
    "Tin": Series("tin", "tin", "Tin (LME), refined", "Tin (LME)"),
    "Nickel": Series("nickel", "nickel", "Nickel (LME), cathodes", "Nickel (LME)"),
    "Zinc": Series("zinc", "zinc", "Zinc (LME), high grade", "Zinc (LME)"),
    "Gold": Series("gold", "gold", "Gold", "Gold,"),
    "Platinum": Series("platinum", "platinum", "Platinum", "Platinum,"),
    "Silver": Series("silver", "silver", "Silver", "Silver (UK)"),
}

# unit as printed -> (factor to US$ per metric tonne, note); None: not convertible.
UNIT_TO_USD_PER_T: dict[str, tuple[float, str]] = {
    "$/mt": (1.0, ""),
    "$/kg": (1000.0, ""),
    "$/troy oz": (TROY_OZ_PER_T, "32,150.7466 troy oz per t"),
    "$/dmtu": (1.0, ("Pink Sheet '$/dmtu' is the spot price in US$ per dry metric tonne "
                     "of 62% Fe fines (Description sheet: 'spot in US dollar/dry ton'), "
                     "gross weight")),
}


def _name(text: object) -> str:
    return re.sub(r"\s*\*+\s*$", "", re.sub(r"\s+", " ", str(text))).strip()


def _unit(text: object) -> str:
    return str(text).strip().strip("()").strip()


def _cell_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (
        isinstance(v, str) and v.strip().lower() in MISSING)


def pink_origin(path: Path) -> Origin:
    return Origin(
        source=PINK_SOURCE, publisher="World Bank",
        title="Commodity Price Data (The Pink Sheet), monthly prices in nominal US dollars",
        vintage="updated 2 June 2026 (data through 2026M05)",
        url="https://www.worldbank.org/en/research/commodity-markets",
        licence="CC BY 4.0", sha256=sha256_file(path), file=Path(path).name)


def read_pink_sheet(path: Path) -> pd.DataFrame:
    """Every series of the "Monthly Prices" sheet, long: ``name, unit, period, price``."""
    path = require_file(Path(path), "Pink Sheet")
    try:
        raw = pd.read_excel(path, sheet_name=SHEET, header=None, dtype=object)
    except ValueError as exc:  # missing sheet
        raise SourceFormatError(f"Pink Sheet: {path} has no sheet {SHEET!r} ({exc}).") from exc
    except Exception as exc:  # openpyxl raises zipfile/KeyError variants on a broken file
        msg = f"Pink Sheet: {path} is not a readable xlsx workbook ({exc})."
        raise SourceFormatError(msg) from exc
    first_col = raw.iloc[:, 0].astype(str).str.strip()
    data_rows = first_col.str.fullmatch(_PERIOD.pattern)
    if not data_rows.any():
        raise SourceFormatError(f"Pink Sheet: {path} sheet {SHEET!r} has no 'YYYYMmm' rows.")
    first = int(np.argmax(data_rows.to_numpy()))
    # Header rows sit above the first month: names, units and (older vintages) codes. The
    # units row is the one whose cells look like '($/mt)'; names are the row above it.
    unit_row = next((i for i in range(first - 1, -1, -1)
                     if raw.iloc[i, 1:].astype(str).str.match(r"^\(.*\)$").sum() >= 5), None)
    if unit_row is None or unit_row == 0:
        raise SourceFormatError(f"Pink Sheet: {path} sheet {SHEET!r} has no row of units "
                                "like '($/mt)' above the first month.")
    names = raw.iloc[unit_row - 1, 1:].map(_name)
    units = raw.iloc[unit_row, 1:].map(_unit)
    body = raw.iloc[first:, :]
    body = body[data_rows.iloc[first:]]
    periods = body.iloc[:, 0].astype(str).str.strip()
    records = []
    for j, (name, unit) in enumerate(zip(names, units, strict=True), start=1):
        if not name or name == "nan":
            continue
        col = body.iloc[:, j]
        for period, v in zip(periods, col, strict=True):
            if _cell_missing(v):
                continue
            try:
                price = float(v)
            except (TypeError, ValueError) as exc:
                raise SourceFormatError(f"Pink Sheet: {path} series {name!r} {period} holds "
                                        f"{v!r}; expected a number or '…'.") from exc
            records.append((name, unit, period, price))
    return pd.DataFrame(records, columns=["name", "unit", "period", "price"])


def read_descriptions(path: Path) -> dict[str, str]:
    """Series name -> the workbook's own description (``Description`` sheet), where found.

    Older or altered workbooks may lack the sheet or an entry; the caller falls back on
    :attr:`Series.description`.
    """
    try:
        sheet = pd.read_excel(path, sheet_name="Description", header=None, dtype=object)
    except (ValueError, KeyError):
        return {}
    cells = [" ".join(str(v).split()) for v in sheet.to_numpy().ravel()
             if isinstance(v, str) and v.strip()]
    out = {}
    for name, series in PINK_SERIES.items():
        match = next((c for c in cells if series.key and c.startswith(series.key)), None)
        if match:
            out[name] = match
    return out


def parse_pink_sheet(path: Path) -> Parsed:
    """Monthly prices of the metals, minerals and fertilizers of :data:`PINK_SERIES`.

    Returns
    -------
    Parsed
        Columns of table ``prices``: ``mineral, series, description, period, year, month,
        price, unit, price_usd_per_t, unit_note, frequency, estimated, source``.

    Raises
    ------
    SourceFormatError
        If the sheet is malformed or a series of :data:`PINK_SERIES` is absent.
    """
    path = Path(path)
    long = read_pink_sheet(path)
    missing = sorted(set(PINK_SERIES) - set(long["name"]))
    if missing:
        raise SourceFormatError(f"Pink Sheet: {path} lacks series {missing}; found "
                                f"{sorted(long['name'].unique())[:40]}.")
    long = long[long["name"].isin(PINK_SERIES)].copy()
    unknown_units = sorted(set(long["unit"]) - set(UNIT_TO_USD_PER_T))
    if unknown_units:
        raise SourceFormatError(f"Pink Sheet: {path} uses unit(s) {unknown_units}; known: "
                                f"{sorted(UNIT_TO_USD_PER_T)}.")
    found = read_descriptions(path)
    described = {name: found.get(name, series.description) for name, series in PINK_SERIES.items()}
    ym = long["period"].str.extract(_PERIOD).astype("int64")
    factor = long["unit"].map(lambda u: UNIT_TO_USD_PER_T[u][0])
    frame = pd.DataFrame({
        "mineral": long["name"].map(lambda n: PINK_SERIES[n].mineral),
        "series": "wb_pink:" + long["name"].map(lambda n: PINK_SERIES[n].id),
        "description": long["name"].map(described),
        "period": ym[0].astype(str) + "-" + ym[1].map("{:02d}".format),
        "year": ym[0], "month": ym[1],
        "price": long["price"], "unit": long["unit"],
        "price_usd_per_t": long["price"] * factor,
        "unit_note": long["unit"].map(lambda u: UNIT_TO_USD_PER_T[u][1]),
        "frequency": "monthly", "estimated": False, "source": PINK_SOURCE,
    })
    frame = frame.sort_values(["series", "period"], ignore_index=True)
    return Parsed(frame, (pink_origin(path),))


def cross_check_pink_csv(parsed: pd.DataFrame, csv_path: Path, *,
                         rel_tol: float = 1e-9) -> pd.DataFrame:
    """Rows where the derived CSV and the workbook disagree (empty when they agree).

    The derived CSV (``period, year, month, commodity, unit, price``) was produced from the
    same workbook; any difference means one of the two files was altered.

    Returns
    -------
    DataFrame
        ``series, period, price_xlsx, price_csv`` for every mismatched or one-sided month.
    """
    csv_path = require_file(Path(csv_path), "Pink Sheet derived CSV")
    derived = pd.read_csv(csv_path, dtype={"period": str, "commodity": str, "unit": str})
    need = {"period", "commodity", "unit", "price"}
    if not need <= set(derived.columns):
        missing = sorted(need - set(derived.columns))
        raise SourceFormatError(f"Pink Sheet CSV: {csv_path} lacks {missing}.")
    derived = derived.assign(name=derived["commodity"].map(_name))
    unknown = sorted(set(derived["name"]) - set(PINK_SERIES))
    if unknown:
        raise SourceFormatError(f"Pink Sheet CSV: {csv_path} has series {unknown} that the "
                                "workbook parser does not know.")
    derived = derived.assign(
        series="wb_pink:" + derived["name"].map(lambda n: PINK_SERIES[n].id),
        period=derived["period"].str.replace("M", "-", regex=False))
    left = parsed[parsed["series"].isin(derived["series"].unique())][["series", "period", "price"]]
    both = left.merge(derived[["series", "period", "price"]], on=["series", "period"],
                      how="outer", suffixes=("_xlsx", "_csv"))
    close = np.isclose(both["price_xlsx"], both["price_csv"], rtol=rel_tol, atol=0)
    return both[~close].reset_index(drop=True)


# --- USGS prices from the us_salient table ----------------------------------------------

LB_PER_T = 1_000_000 / 453.59237
SHORT_TON_T = 0.90718474
FLASK_KG = 34.5  # a mercury flask
# unit words (lower case) -> US$ per metric tonne per unit of price
UNIT_FACTORS = {
    "dollars per metric ton": 1.0, "dollars per ton": 1.0, "dollars per tonne": 1.0,
    "dollars per short ton": 1 / SHORT_TON_T,
    "dollars per kilogram": 1000.0, "dollars per gram": 1_000_000.0,
    "dollars per pound": LB_PER_T, "cents per pound": LB_PER_T / 100,
    "dollars per troy ounce": TROY_OZ_PER_T, "dollars per flask": 1000.0 / FLASK_KG,
    "dollars per 10-grams": 100_000.0, "dollars per 10 grams": 100_000.0,
    "dollars per 25 grams": 40_000.0, "dollars per 50 grams": 20_000.0,
}
# Unit tokens glued to a column name without their underscore in MCS 2023/2024
# ('Price_High-puritydkg'), so the us_salient parser could not split them off.
FUSED_TOKENS = {
    "ctslb": "cents per pound", "dtoz": "dollars per troy ounce",
    "dto": "dollars per troy ounce", "dkg": "dollars per kilogram", "dlb": "dollars per pound",
    "dst": "dollars per short ton", "dct": "dollars per carat", "dg": "dollars per gram",
    "dt": "dollars per metric ton",
}
# Column tokens naming the element a price is for, within a multi-element table.
ELEMENT_TOKENS = {
    "Platinum": "platinum", "Palladium": "palladium", "Rhodium": "rhodium",
    "Ruthenium": "ruthenium", "Iridium": "iridium", "Nd2O3": "neodymium",
    "La2O3": "lanthanum", "CeO2": "cerium", "Dy2O3": "dysprosium", "Eu2O3": "europium",
    "TbO2": "terbium", "Tb4O7": "terbium", "Y2O3": "yttrium", "Pr6O11": "praseodymium",
    "Sm2O3": "samarium",
}
_PRICE_COLUMN = re.compile(r"(?:^|_)Price(?:_|$)")


def unit_factor(unit: str) -> tuple[float | None, str]:
    """(US$ per metric tonne per unit of price, note) for a USGS unit text.

    A qualifier after the unit ("of contained beryllium", ", gross weight") is kept as
    the note: the converted price is per tonne *on that basis*. A metric ton unit (mtu)
    is 1 % of a tonne of contained content, i.e. 10 kg. USGS "ton" in MCS is a metric ton.
    Units that are not a mass (carats, millilitres, an index) give ``None``.
    """
    text = " ".join(str(unit).lower().replace("/", " per ").split())
    text = text.replace("dry metric ton unit", "metric ton unit")
    if text.startswith("dollars per metric ton unit"):
        rest = text.removeprefix("dollars per metric ton unit").strip(" ,")
        return 100.0, "mtu = 10 kg of contained content" + (f"; basis: {rest}" if rest else "")
    for key in sorted(UNIT_FACTORS, key=len, reverse=True):
        if text == key or text.startswith((key + " ", key + ",")):
            rest = text.removeprefix(key).strip(" ,")
            return UNIT_FACTORS[key], (f"basis: {rest}" if rest else "")
    return None, f"'{unit}' is not a mass unit; not converted"


def _slug(text: str) -> str:
    """A readable id; long texts keep 60 characters plus a hash of the whole, so two
    details that share a long prefix stay distinct."""
    slug = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    if len(slug) <= 60:
        return slug
    return f"{slug[:60]}_{hashlib.sha1(str(text).encode()).hexdigest()[:6]}"


def usgs_prices(salient: pd.DataFrame) -> pd.DataFrame:
    """Price rows of the ``us_salient`` table, as rows of table ``prices``.

    Selection: columns named ``Price`` (``Price_LME_dlb``, MCS 2026 ``Price``) whose unit
    is in dollars or cents (an index is not a price). Only plain published numbers (flag
    empty or ``e``) are prices; W, NA, bounds, ranges ("500–17,000") and prose are left
    in ``us_salient``.

    Returns
    -------
    DataFrame
        Columns of table ``prices``; ``series`` is ``usgs:<mineral>:<column>`` for
        MCS 2023-2025 (the same id across editions where USGS kept the column name) and
        ``usgs:<mineral>:<detail>`` for MCS 2026; ``source`` is the ``us_salient`` source.

    Raises
    ------
    SourceFormatError
        If the frame lacks a ``us_salient`` column or two rows claim one series-year.
    """
    need = ["mineral", "year", "statistic", "value", "unit", "flag", "estimated", "edition",
            "source", "commodity", "column", "description"]
    missing = [c for c in need if c not in salient.columns]
    if missing:
        raise SourceFormatError(f"us_salient lacks column(s) {missing}; cannot derive prices.")
    s = salient[salient["column"].astype(str).str.contains(_PRICE_COLUMN)
                & salient["value"].notna()
                & salient["flag"].fillna("").isin(["", "e"])]
    rows = []
    for rec in s.to_dict("records"):
        unit = rec["unit"] if isinstance(rec["unit"], str) else ""
        stat = str(rec["column"])  # with its unit token: Price_LME_dt and Price_LME_dlb differ
        fused = next((t for t in FUSED_TOKENS if stat.endswith(t)), None)
        if not unit and fused and rec["edition"] < 2026 and not stat.endswith("_" + fused):
            unit, stat = FUSED_TOKENS[fused], stat.removesuffix(fused) + "_" + fused
        if not re.search(r"(?i)dollar|cent", unit):
            continue  # an index, or no stated unit: not a price we can read
        mineral = next((ELEMENT_TOKENS[t] for t in re.split(r"[_\-]", str(rec["column"]))
                        if t in ELEMENT_TOKENS), rec["mineral"])
        commodity = _slug(rec["commodity"])
        if rec["edition"] >= 2026:  # 'Price: <detail>': the detail names the series
            stat = _slug(str(rec["statistic"]).split(":", 1)[-1])
        factor, note = unit_factor(unit)
        rows.append({
            "mineral": mineral,
            "series": f"usgs:{mineral}:" + (f"{commodity}:" if commodity != mineral else "")
                      + stat,
            "description": rec["description"] if isinstance(rec["description"], str)
                           and rec["description"] else str(rec["statistic"]),
            "period": str(rec["year"]), "year": int(rec["year"]), "month": float("nan"),
            "price": float(rec["value"]), "unit": unit,
            "price_usd_per_t": rec["value"] * factor if factor is not None else float("nan"),
            "unit_note": note, "frequency": "annual", "estimated": bool(rec["estimated"]),
            "source": rec["source"]})
    frame = pd.DataFrame(rows, columns=["mineral", "series", "description", "period", "year",
                                        "month", "price", "unit", "price_usd_per_t",
                                        "unit_note", "frequency", "estimated", "source"])
    dup = frame[frame.duplicated(["source", "series", "year"], keep=False)]
    if not dup.empty:
        raise SourceFormatError(f"us_salient: {len(dup)} price rows share a source, series and "
                                f"year, e.g. {dup.head(2).to_dict('records')}.")
    return frame.sort_values(["series", "source", "year"], ignore_index=True)
