"""UN Comtrade exports (bulk and API CSV), mirror reconciliation, and Comtrade-derived tables.

UN Comtrade rows are *reported*: each reporter states its imports (CIF) and exports (FOB)
with each partner. :func:`read_comtrade` reads a bulk or API CSV as published (column
spellings of the bulk files, the API and the preview API are all accepted) and drops the
"World" partner rows and, on purpose, every flow code other than imports (M) and exports (X):
re-exports, re-imports and the foreign/domestic splits (RX, RM, FM, DX) would double-count
the bilateral flow that mirror reconciliation pairs up. :func:`reconcile_mirror` turns reported rows into bilateral flows:
the importer's reported imports are preferred (``method = "observed"``); where the importer
did not report, the exporter's reported exports stand in (``method = "mirror"``).

UN Comtrade's terms restrict bulk redistribution, so every Origin here (and the Harvard
Atlas, derived from Comtrade) has ``redistributable=False``: such rows stay in the user's
own store and never reach the bundled snapshot.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file

COMTRADE_URL = "https://comtradeplus.un.org/"
COMTRADE_LICENCE = "UN Comtrade terms of use (no bulk redistribution)"

# Accepted spellings of each field: bulk files, the API and the preview API differ.
FIELDS: dict[str, tuple[str, ...]] = {
    "year": ("refYear", "period", "Year", "year", "yr"),
    "reporter_iso": ("reporterISO", "Reporter ISO", "rt3ISO"),
    "reporter_code": ("reporterCode", "Reporter Code", "rtCode"),
    "partner_iso": ("partnerISO", "Partner ISO", "pt3ISO"),
    "partner_code": ("partnerCode", "Partner Code", "ptCode"),
    "flow": ("flowCode", "Trade Flow Code", "rgCode"),
    "hs": ("cmdCode", "Commodity Code"),
    "value_usd": ("primaryValue", "Trade Value (US$)", "TradeValue"),
    "net_weight_kg": ("netWgt", "Netweight (kg)", "NetWeight"),
    "qty": ("qty", "Qty"),
    "qty_unit": ("qtyUnitAbbr", "Qty Unit"),
    "qty_unit_code": ("qtyUnitCode", "Qty Unit Code"),
}
REQUIRED = ("year", "flow", "hs", "value_usd")
WORLD = {"W00", "WLD", "World"}
KG_UNIT_CODE = 8  # UN Comtrade quantity unit 8 = kg


def _pick(frame: pd.DataFrame, field: str) -> str | None:
    return next((c for c in FIELDS[field] if c in frame.columns), None)


def comtrade_origin(path: Path, *, title: str | None = None, vintage: str = "",
                    source: str | None = None) -> Origin:
    """A not-redistributable Origin for a UN Comtrade-derived file."""
    stem = Path(path).name.split(".")[0]
    slug = "".join(ch if ch.isalnum() else "-" for ch in stem.lower())
    ident = source or (slug if slug.startswith("comtrade") else "comtrade-" + slug)
    return Origin(source=ident[:80], publisher="United Nations Statistics Division (UN Comtrade)",
                  title=title or f"UN Comtrade extract {Path(path).name}",
                  vintage=vintage, url=COMTRADE_URL, licence=COMTRADE_LICENCE,
                  sha256=sha256_file(path), file=Path(path).name, redistributable=False)


def _countries(frame: pd.DataFrame, iso_col: str | None, code_col: str | None, what: str,
               path: Path) -> pd.Series:
    """ISO3 per row; "World" rows become NA (dropped by the caller), areas nes become OTH."""
    from critmin.sources.baci import default_country_codes
    from critmin.countries import valid_iso3

    if code_col is None and iso_col is None:
        msg = (f"UN Comtrade: {path} has no {what} column; expected one of "
               f"{list(FIELDS[what + '_iso'] + FIELDS[what + '_code'])}; "
               f"found {list(frame.columns)}.")
        raise SourceFormatError(msg)
    valid = valid_iso3()
    codes = default_country_codes()

    def by_code(c: object) -> str | None:
        num = pd.to_numeric(c, errors="coerce")
        if pd.isna(num) or int(num) == 0:  # 0 is "World"
            return None
        return codes.get(int(num), "OTH")  # areas nes (e.g. 899) are unattributed

    def by_iso(s: object) -> str | None:
        s = str(s).strip()
        if s in WORLD:
            return None
        if s == "S19":  # "Other Asia, nes"
            return "TWN"
        return s if s in valid else "OTH"

    out = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    if iso_col is not None:
        iso = frame[iso_col]
        out = iso.map(lambda s: by_iso(s) if pd.notna(s) else None).astype("object")
        if code_col is not None:
            fill = iso.isna()
            out[fill] = frame.loc[fill, code_col].map(by_code)
    else:
        out = frame[code_col].map(by_code).astype("object")
    return out


def read_comtrade(path: Path, *, origin: Origin | None = None) -> Parsed:
    """Reported rows of a UN Comtrade CSV (bulk download, API or preview API export).

    Returns
    -------
    Parsed
        Columns year, reporter, partner (ISO3; areas nes as OTH), flow ("M" or "X"),
        hs (the commodity code as published, 4 or 6 digits), value_usd, quantity_gross_t
        (net weight in metric tons, or ``qty`` where its unit is kg), source.
        Partner "World" rows, re-export/re-import flows and sub-totals by partner2,
        customs procedure and transport mode (when present) are dropped.

    Raises
    ------
    SourceFormatError
        A missing column, a truncated or unreadable file.
    """
    path = require_file(Path(path), "UN Comtrade")
    try:
        # Comtrade+ bulk files are tab-separated (.txt/.gz); API exports are CSV.
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as fh:
            sep = "\t" if "\t" in fh.readline() else ","
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                          encoding="utf-8-sig", sep=sep)
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise SourceFormatError(f"UN Comtrade: {path} is truncated or malformed: {exc}") from exc
    return parse_comtrade_frame(raw, path, origin)


def parse_comtrade_frame(raw: pd.DataFrame, path: Path, origin: Origin | None = None) -> Parsed:
    """The rows of :func:`read_comtrade` from an already read table of strings."""
    missing = [f for f in REQUIRED if _pick(raw, f) is None]
    if missing:
        expected = {f: list(FIELDS[f]) for f in missing}
        msg = (f"UN Comtrade: {path} lacks column(s) for {missing} (accepted spellings "
               f"{expected}); found {list(raw.columns)}.")
        raise SourceFormatError(msg)
    # A cut-off last line leaves the required fields of that row empty.
    required_cols = [_pick(raw, f) for f in REQUIRED]
    incomplete = raw[required_cols].isna().any(axis=1)
    if incomplete.any():
        line = int(incomplete.to_numpy().nonzero()[0][0]) + 2
        msg = (f"UN Comtrade: {path} is truncated or malformed: line {line} lacks "
               f"{[c for c in required_cols if pd.isna(raw.loc[incomplete].iloc[0][c])]} "
               f"({int(incomplete.sum())} incomplete row(s)).")
        raise SourceFormatError(msg)
    # Bulk "final" files split totals by partner2, customs procedure and transport mode;
    # keep only the totals so nothing is counted twice.
    for col, total in (("partner2Code", "0"), ("customsCode", "C00"), ("motCode", "0")):
        if col in raw.columns:
            raw = raw[raw[col].fillna(total).astype(str) == total]
    frame = pd.DataFrame(index=raw.index)
    frame["year"] = pd.to_numeric(raw[_pick(raw, "year")].str.slice(0, 4), errors="coerce")
    frame["reporter"] = _countries(raw, _pick(raw, "reporter_iso"), _pick(raw, "reporter_code"),
                                   "reporter", path)
    frame["partner"] = _countries(raw, _pick(raw, "partner_iso"), _pick(raw, "partner_code"),
                                  "partner", path)
    frame["flow"] = raw[_pick(raw, "flow")].str.strip().str.upper().str.slice(0, 1)
    frame.loc[~raw[_pick(raw, "flow")].str.strip().str.upper().isin(
        ["M", "X", "IMPORT", "EXPORT", "1", "2"]), "flow"] = None
    frame.loc[raw[_pick(raw, "flow")].str.strip().isin(["1"]), "flow"] = "M"
    frame.loc[raw[_pick(raw, "flow")].str.strip().isin(["2"]), "flow"] = "X"
    frame.loc[frame["flow"] == "I", "flow"] = "M"
    frame.loc[frame["flow"] == "E", "flow"] = "X"
    frame["hs"] = raw[_pick(raw, "hs")].str.strip()
    # Codes published as numbers lose their leading zero (e.g. 81010 for 081010).
    frame["hs"] = frame["hs"].where(~frame["hs"].str.len().isin([3, 5]), "0" + frame["hs"])
    frame["value_usd"] = pd.to_numeric(raw[_pick(raw, "value_usd")], errors="coerce")
    kg = pd.Series(np.nan, index=raw.index)
    if (col := _pick(raw, "net_weight_kg")) is not None:
        kg = pd.to_numeric(raw[col], errors="coerce")
    if (col := _pick(raw, "qty")) is not None:
        qty = pd.to_numeric(raw[col], errors="coerce")
        is_kg = pd.Series(False, index=raw.index)
        if (u := _pick(raw, "qty_unit")) is not None:
            is_kg |= raw[u].fillna("").str.strip().str.lower().eq("kg")
        if (u := _pick(raw, "qty_unit_code")) is not None:
            is_kg |= pd.to_numeric(raw[u], errors="coerce").eq(KG_UNIT_CODE)
        kg = kg.where(kg.notna() & (kg > 0), qty.where(is_kg))
    frame["quantity_gross_t"] = kg.where(kg > 0) / 1000.0
    bad_year = frame["year"].isna()
    if bad_year.any():
        first = raw.loc[bad_year, _pick(raw, "year")].iloc[0]
        msg = (f"UN Comtrade: {path} has {int(bad_year.sum())} row(s) whose year is not a "
               f"number (e.g. {first!r}); the file may be truncated.")
        raise SourceFormatError(msg)
    if frame["value_usd"].isna().all() and len(frame):
        raise SourceFormatError(f"UN Comtrade: {path} has no numeric trade values.")
    frame = frame[frame["flow"].isin(["M", "X"]) & frame["reporter"].notna()
                  & frame["partner"].notna()]
    frame = frame[frame["reporter"] != frame["partner"]]
    origin = origin or comtrade_origin(path, vintage=_vintage(frame))
    frame = frame.assign(year=frame["year"].astype("int64"), source=origin.source)
    return Parsed(frame.reset_index(drop=True), (origin,))


def _vintage(frame: pd.DataFrame) -> str:
    if frame.empty:
        return ""
    return f"{int(frame['year'].min())}-{int(frame['year'].max())}"


def reconcile_mirror(reported: pd.DataFrame) -> pd.DataFrame:
    """Bilateral flows from reported rows: importer's report first, else the exporter's.

    Parameters
    ----------
    reported : DataFrame
        Columns year, reporter, partner, flow ("M"/"X"), hs, value_usd, quantity_gross_t,
        source (as :func:`read_comtrade` returns).

    Returns
    -------
    DataFrame
        Columns year, exporter, importer, hs, value_usd, quantity_gross_t, source, method:
        ``"observed"`` where the importer reported the flow, ``"mirror"`` where only the
        exporter did. Where the importer reported a value but no quantity, the exporter's
        quantity fills it (``quantity_from_mirror`` is then True).
    """
    keys = ["year", "exporter", "importer", "hs"]
    imports = reported[reported["flow"] == "M"].rename(
        columns={"reporter": "importer", "partner": "exporter"})
    exports = reported[reported["flow"] == "X"].rename(
        columns={"reporter": "exporter", "partner": "importer"})
    def agg(frame: pd.DataFrame) -> pd.DataFrame:
        g = frame.groupby(keys)
        # sum(min_count=1): NaN where no row of the group has a quantity (as _nansum)
        return pd.DataFrame({"value_usd": g["value_usd"].sum(),
                             "quantity_gross_t": g["quantity_gross_t"].sum(min_count=1),
                             "source": g["source"].first()}).reset_index()

    m = agg(imports)
    x = agg(exports)
    both = m.merge(x, on=keys, how="outer", suffixes=("_m", "_x"), indicator=True)
    use_m = both["_merge"].isin(["both", "left_only"]) & both["value_usd_m"].notna()
    out = both[keys].copy()
    out["value_usd"] = np.where(use_m, both["value_usd_m"], both["value_usd_x"])
    q_m, q_x = both["quantity_gross_t_m"], both["quantity_gross_t_x"]
    out["quantity_gross_t"] = np.where(use_m, q_m.fillna(q_x), q_x)
    out["quantity_from_mirror"] = use_m & q_m.isna() & q_x.notna()
    out["source"] = np.where(use_m, both["source_m"], both["source_x"])
    out["method"] = np.where(use_m, "observed", "mirror")
    return out.sort_values(keys).reset_index(drop=True)


def _nansum(s: pd.Series) -> float:
    return float(s.sum()) if s.notna().any() else np.nan


# --- China's monthly exports (qennis/ChinaCriticalMineralComtrade) --------------------------

CHINA_MONTHLY_FILE = "deep_dive_hs6_monthly.csv"
CHINA_GROUPS = {"250410": "graphite", "380110": "graphite", "811292": "gallium_germanium"}


def read_china_monthly(directory: Path) -> Parsed:
    """China's monthly exports by destination and HS6 (UN Comtrade monthly data).

    Reads ``deep_dive_hs6_monthly.csv`` (``period_dt, partner_name, hs6, val, qty, uv``;
    USD and kg). Returns columns period (YYYY-MM), year, month, exporter ("CHN"),
    importer (ISO3), hs6, product_group, value_usd, quantity_t, unit_value_usd_per_t,
    source. ``uv`` is recomputed (NULL where qty is 0, not ``inf``).
    """
    path = require_file(Path(directory) / CHINA_MONTHLY_FILE, "China monthly exports")
    from critmin.countries import harmonise_countries

    try:
        raw = pd.read_csv(path, dtype={"hs6": str}, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"China monthly exports: {path} is malformed: {exc}") from exc
    require_columns(raw, ["period_dt", "partner_name", "hs6", "val", "qty"],
                    "China monthly exports", path)
    frame = harmonise_countries(raw, "partner_name", path.name, out="importer")
    period = pd.to_datetime(frame["period_dt"], errors="coerce")
    if period.isna().any():
        bad = frame.loc[period.isna(), "period_dt"].iloc[0]
        raise SourceFormatError(f"China monthly exports: {path} has a bad period_dt {bad!r}.")
    out = pd.DataFrame({
        "period": period.dt.strftime("%Y-%m"), "year": period.dt.year.astype("int64"),
        "month": period.dt.month.astype("int64"), "exporter": "CHN",
        "importer": frame["importer"], "hs6": frame["hs6"].str.zfill(6),
        "value_usd": pd.to_numeric(frame["val"], errors="coerce"),
        "quantity_t": pd.to_numeric(frame["qty"], errors="coerce") / 1000.0})
    out["product_group"] = out["hs6"].map(CHINA_GROUPS).fillna("other")
    out["unit_value_usd_per_t"] = out["value_usd"] / out["quantity_t"].where(out["quantity_t"] > 0)
    origin = Origin(
        source="comtrade-china-monthly-qennis", publisher=(
            "United Nations Statistics Division (UN Comtrade), aggregated by "
            "qennis/ChinaCriticalMineralComtrade"),
        title="China's monthly exports of export-controlled critical minerals by destination",
        vintage=f"{out['period'].min()}..{out['period'].max()}", url=(
            "https://github.com/qennis/ChinaCriticalMineralComtrade"),
        licence=COMTRADE_LICENCE, sha256=sha256_file(path), file=path.name,
        redistributable=False)
    out["source"] = origin.source
    return Parsed(out.reset_index(drop=True), (origin,))


# --- Harvard Growth Lab Atlas (Comtrade-derived, cleaned) -----------------------------------

def read_atlas(path: Path) -> Parsed:
    """Harvard Atlas bilateral trade for one HS92 product (``export_value, import_value``).

    Each row carries both directions (location -> partner exports and location <- partner
    imports), so each flow appears twice; only ``export_value`` of each row is kept, which
    counts every flow once. Returns year, exporter, importer, hs, value_usd, source;
    the Atlas file has no quantities.
    """
    path = require_file(Path(path), "Harvard Atlas")
    try:
        raw = pd.read_csv(path, dtype={"hs_product_code": str}, keep_default_na=False,
                          na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"Harvard Atlas: {path} is malformed: {exc}") from exc
    require_columns(raw, ["year", "export_value", "location_code", "partner_code",
                          "hs_product_code"], "Harvard Atlas", path)
    from critmin.countries import valid_iso3

    valid = valid_iso3()
    frame = pd.DataFrame({
        "year": raw["year"].astype("int64"),
        "exporter": raw["location_code"].where(raw["location_code"].isin(valid), "OTH"),
        "importer": raw["partner_code"].where(raw["partner_code"].isin(valid), "OTH"),
        "hs": raw["hs_product_code"].str.zfill(6),
        "value_usd": pd.to_numeric(raw["export_value"], errors="coerce")})
    frame = frame[(frame["value_usd"] > 0) & (frame["exporter"] != frame["importer"])]
    frame = frame.groupby(["year", "exporter", "importer", "hs"], as_index=False)["value_usd"].sum()
    origin = Origin(
        source="atlas-hs92-" + "-".join(sorted(frame["hs"].unique()))[:40],
        publisher="Harvard Growth Lab", title=(
            "International Trade Data (HS92), Atlas of Economic Complexity, doi:10.7910/DVN/T4CHWJ"),
        vintage=_vintage(frame), url="https://doi.org/10.7910/DVN/T4CHWJ",
        licence="Harvard Dataverse terms (derived from UN Comtrade; no redistribution)",
        sha256=sha256_file(path), file=path.name, redistributable=False)
    frame["source"] = origin.source
    return Parsed(frame.reset_index(drop=True), (origin,))


__all__ = ["comtrade_origin", "parse_comtrade_frame", "read_atlas", "read_china_monthly",
           "read_comtrade", "reconcile_mirror"]
