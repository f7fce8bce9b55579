"""Prices: the World Bank Pink Sheet (monthly) and USGS salient-statistics prices (annual).

**Pink Sheet.** The original workbook ``CMO-Historical-Data-Monthly.xlsx``, sheet
"Monthly Prices": a title block, then one row of series names, one row of units
(``($/mt)``, ``($/troy oz)``, ``($/dmtu)``), in older vintages a row of series codes, then
one row per month (``1960M01``). Missing values are "…" or "...". Trailing ``**`` on a
name is a footnote marker. The header rows are found by content, not by position, so the
June 2026 vintage (no series-code row) and older ones both parse.

Only metals, minerals and fertilizer series are kept (:data:`PINK_SERIES`); each names
the vocabulary mineral it prices, if any. ``price_usd_per_t`` converts $/troy oz
(x 32,150.7466) and $/kg (x 1,000); the Pink Sheet's iron-ore unit "$/dmtu" is the
price per dry metric tonne of 62 % Fe fines (values near 100 $), so it is taken as $/t
of ore, gross weight, and said so in ``unit_note``.

**USGS prices** come from the MCS salient statistics (``Price_*`` columns; see
:mod:`critmin.sources.usgs_salient_prices`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_file, sha256_file

PINK_SOURCE = "wb-pink-sheet-2026-06"
PINK_FILE = "prices/worldbank_pink_sheet/CMO-Historical-Data-Monthly_2026-06-02.xlsx"
PINK_CSV = "prices/worldbank_pink_sheet/pink_sheet_monthly_metals_minerals_fertilizers_1960_2026M05.csv"
SHEET = "Monthly Prices"
TROY_OZ_PER_T = 1_000_000 / 31.1034768
MISSING = {"…", "...", "..", "", "n.a.", "na"}
_PERIOD = re.compile(r"^(\d{4})M(\d{2})$")


@dataclass(frozen=True, slots=True)
class Series:
    """A Pink Sheet series: its id, the mineral it prices (vocabulary id) and what it is."""

    id: str
    mineral: str | None
    description: str


# Pink Sheet name (footnote stars stripped) -> series. Names are as printed in the sheet.
PINK_SERIES: dict[str, Series] = {
    "Phosphate rock": Series("phosphate_rock", "phosphate", "Phosphate rock, Morocco, f.a.s. Casablanca"),
    "DAP": Series("dap", None, "Diammonium phosphate, US Gulf (fertilizer; no single mineral)"),
    "TSP": Series("tsp", None, "Triple superphosphate (fertilizer; no single mineral)"),
    "Urea": Series("urea", None, "Urea, Middle East (nitrogen fertilizer)"),
    "Potassium chloride": Series("potassium_chloride", "potash", "Potassium chloride (muriate of potash)"),
    "Aluminum": Series("aluminum", "aluminum", "Aluminum, LME, 99.7 % minimum purity"),
    "Iron ore, cfr spot": Series("iron_ore", "iron_ore", "Iron ore fines, 62 % Fe, c.f.r. China"),
    "Copper": Series("copper", "copper", "Copper, LME, grade A cathodes"),
    "Lead": Series("lead", "lead", "Lead, LME, refined 99.97 % purity"),
    "Tin": Series("tin", "tin", "Tin, LME, refined 99.85 % purity"),
    "Nickel": Series("nickel", "nickel", "Nickel, LME, cathodes 99.8 % purity"),
    "Zinc": Series("zinc", "zinc", "Zinc, LME, high grade 99.95 % minimum"),
    "Gold": Series("gold", "gold", "Gold, UK, 99.5 % fine, London afternoon fixing"),
    "Platinum": Series("platinum", "platinum", "Platinum, UK, 99.9 % refined, afternoon fixing"),
    "Silver": Series("silver", "silver", "Silver, UK, 99.9 % refined, London afternoon fixing"),
}

# unit as printed -> (factor to US$ per metric tonne, note); None: not convertible.
UNIT_TO_USD_PER_T: dict[str, tuple[float, str]] = {
    "$/mt": (1.0, ""),
    "$/kg": (1000.0, ""),
    "$/troy oz": (TROY_OZ_PER_T, "32,150.7466 troy oz per t"),
    "$/dmtu": (1.0, "Pink Sheet '$/dmtu' is $ per dry metric tonne of 62 % Fe ore (gross weight)"),
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
        raise SourceFormatError(f"Pink Sheet: {path} is not a readable xlsx workbook ({exc}).") from exc
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
    ym = long["period"].str.extract(_PERIOD).astype("int64")
    factor = long["unit"].map(lambda u: UNIT_TO_USD_PER_T[u][0])
    frame = pd.DataFrame({
        "mineral": long["name"].map(lambda n: PINK_SERIES[n].mineral),
        "series": "wb_pink:" + long["name"].map(lambda n: PINK_SERIES[n].id),
        "description": long["name"].map(lambda n: PINK_SERIES[n].description),
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
        raise SourceFormatError(f"Pink Sheet CSV: {csv_path} lacks {sorted(need - set(derived.columns))}.")
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
