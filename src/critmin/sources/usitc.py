"""USITC DataWeb exports: US imports for consumption and US domestic exports by partner.

Two published forms are read:

- the tidy CSV (``flow, partner, hts4, hts4_description, year, value_usd, value_basis,
  partial_year``), the value sheets of the DataWeb workbooks in long form;
- the original DataWeb xlsx workbooks, for quantities: the "First Unit of Quantity" sheet
  (header on the third row; one column per year; units in "Quantity Description").
  Quantities in kilograms or metric tons are converted to metric tons; other units
  (number, grams of gold content, "no units collected") are left empty.

The partner set is a selection (18 partners), so shares computed from it are shares of
those partners, not of the US total. The last year (2026) covers January-April only and
every row of it carries ``partial_year=True``. DataWeb data are US public domain.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file

TIDY_COLUMNS = ("flow", "partner", "hts4", "year", "value_usd", "partial_year")
FLOWS = {"imports_for_consumption": "imports", "domestic_exports": "exports"}
XLSX = {"imports": "us_imports_for_consumption_1993-2026.xlsx",
        "exports": "us_domestic_exports_1993-2026.xlsx"}
QUANTITY_SHEET = "First Unit of Quantity"
TONNES_PER_UNIT = {"kilograms": 1e-3, "metric tons": 1.0}
DATAWEB_URL = "https://dataweb.usitc.gov/"


def _origin(path: Path, title: str, vintage: str) -> Origin:
    return Origin(source="usitc-dataweb-" + ("tidy" if "tidy" in path.name else "xlsx"),
                  publisher="U.S. International Trade Commission", title=title,
                  vintage=vintage, url=DATAWEB_URL, licence="public domain",
                  sha256=sha256_file(path), file=path.name, redistributable=True)


def _sheet(path: Path, name: str) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Workbook contains no default style"
            raw = pd.read_excel(path, sheet_name=name, header=2, dtype=str)
    except ValueError as exc:
        msg = f"USITC DataWeb: {path} has no sheet {name!r} ({exc})."
        raise SourceFormatError(msg) from exc
    except Exception as exc:  # openpyxl raises zipfile / KeyError on truncated workbooks
        raise SourceFormatError(f"USITC DataWeb: {path} is not a readable xlsx: {exc}") from exc
    require_columns(raw, ["Country", "HTS Number", "Quantity Description"],
                    "USITC DataWeb workbook", path)
    return raw


def read_usitc_quantities(path: Path, *, ytd: bool = False) -> pd.DataFrame:
    """Quantities of one DataWeb workbook: partner, hts4, year, quantity_gross_t.

    With ``ytd``, the year-to-date sheet (January-April) instead of the annual one.
    """
    path = require_file(Path(path), "USITC DataWeb workbook")
    raw = _sheet(path, QUANTITY_SHEET + (" YTD" if ytd else ""))
    raw.columns = [str(c).replace("_Year_to_date", "") for c in raw.columns]
    years = [c for c in raw.columns if str(c).isdigit()]
    long = raw.melt(id_vars=["Country", "HTS Number", "Quantity Description"],
                    value_vars=years, var_name="year", value_name="qty")
    long["factor"] = long["Quantity Description"].str.strip().str.lower().map(TONNES_PER_UNIT)
    long["quantity_gross_t"] = pd.to_numeric(long["qty"], errors="coerce") * long["factor"]
    long = long[long["factor"].notna()]
    out = pd.DataFrame({"partner": long["Country"].str.strip(),
                        "hts4": long["HTS Number"].str.strip().str.zfill(4),
                        "year": long["year"].astype("int64"),
                        "quantity_gross_t": long["quantity_gross_t"]})
    # A heading can carry several quantity units; sum only the mass units.
    return out.groupby(["partner", "hts4", "year"], as_index=False)["quantity_gross_t"].sum(
        min_count=1)


def read_usitc(path: Path, *, workbooks: dict[str, Path] | None = None) -> Parsed:
    """US imports for consumption and domestic exports by partner and HTS4 heading.

    Parameters
    ----------
    path : Path
        The tidy CSV (``.csv`` or ``.csv.gz``).
    workbooks : dict, optional
        ``{"imports": xlsx, "exports": xlsx}`` for quantities; by default the DataWeb
        workbooks next to ``path`` are used when present.

    Returns
    -------
    Parsed
        Columns year, exporter, importer, hs (HTS4), value_usd, quantity_gross_t,
        partial_year, method ("observed" for US imports, the importer's report; "mirror"
        for US exports, the exporter's report), source.
    """
    path = require_file(Path(path), "USITC DataWeb")
    try:
        raw = pd.read_csv(path, dtype={"hts4": str}, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise SourceFormatError(f"USITC DataWeb: {path} is truncated or malformed: {exc}") from exc
    require_columns(raw, TIDY_COLUMNS, "USITC DataWeb", path)
    unknown = sorted(set(raw["flow"]) - set(FLOWS))
    if unknown:
        msg = f"USITC DataWeb: {path} has flow(s) {unknown}; accepted {sorted(FLOWS)}."
        raise SourceFormatError(msg)
    from critmin.countries import iso3_map

    frame = raw.copy()
    frame["hts4"] = frame["hts4"].str.strip().str.zfill(4)
    frame["value_usd"] = pd.to_numeric(frame["value_usd"], errors="coerce")
    frame["partial_year"] = frame["partial_year"].astype(str).str.lower().eq("true")
    origins = [_origin(path, "USITC DataWeb: US imports for consumption (customs value) and "
                       "US domestic exports (FAS value) by partner and HTS4, tidy extract",
                       f"downloaded 2026-07-10; {frame['year'].min()}-{frame['year'].max()}")]
    frame["quantity_gross_t"] = float("nan")
    workbooks = workbooks if workbooks is not None else {
        k: path.parent / name for k, name in XLSX.items() if (path.parent / name).exists()}
    if workbooks:
        partial = sorted(frame.loc[frame["partial_year"], "year"].unique())
        qty_parts, ytd_parts = [], []
        for kind, wb in workbooks.items():
            flow = next(f for f, k in FLOWS.items() if k == kind)
            q = read_usitc_quantities(wb)
            q = q[~q["year"].isin(partial)]
            qy = read_usitc_quantities(wb, ytd=True)
            qty_parts += [q.assign(flow=flow), qy[qy["year"].isin(partial)].assign(flow=flow)]
            v = read_usitc_ytd_values(wb)
            ytd_parts.append(v[v["year"].isin(partial)].assign(flow=flow))
        qty = pd.concat(qty_parts, ignore_index=True)
        keys = ["flow", "partner", "hts4", "year"]
        frame = frame.drop(columns="quantity_gross_t").merge(qty, on=keys, how="left")
        # The annual value sheet (and so the tidy file) holds 0 for the partial year;
        # its January-April values come from the workbook's YTD sheet.
        ytd = pd.concat(ytd_parts, ignore_index=True).rename(columns={"value_usd": "ytd_usd"})
        frame = frame.merge(ytd, on=keys, how="left")
        frame["value_usd"] = frame["value_usd"].astype("float64").where(
            ~frame["partial_year"], frame["ytd_usd"].astype("float64"))
        origins.append(_origin(next(iter(workbooks.values())),
                               "USITC DataWeb query workbooks (imports for consumption, "
                               "domestic exports): quantities and year-to-date values",
                               "downloaded 2026-07-10"))
    mapping = iso3_map(frame["partner"].unique(), path.name)
    iso = frame["partner"].map(mapping)
    imports = frame["flow"] == "imports_for_consumption"
    out = pd.DataFrame({
        "year": frame["year"].astype("int64"),
        "exporter": iso.where(imports, "USA"), "importer": iso.where(~imports, "USA"),
        "hs": frame["hts4"], "value_usd": frame["value_usd"],
        "quantity_gross_t": frame["quantity_gross_t"],
        "partial_year": frame["partial_year"],
        "method": imports.map({True: "observed", False: "mirror"}),
        "source": origins[0].source})
    if len(origins) > 1:  # partial-year values were read from the workbooks
        out.loc[frame["partial_year"].to_numpy(), "source"] = origins[1].source
    out = out[out["exporter"].notna() & out["importer"].notna()]
    # A zero is DataWeb's "no trade": keep the flow list to positive values.
    out = out[out["value_usd"].fillna(0) > 0]
    return Parsed(out.reset_index(drop=True), tuple(origins))


def read_usitc_ytd_values(path: Path) -> pd.DataFrame:
    """Year-to-date (January-April) values of one DataWeb workbook: partner, hts4, year,
    value_usd. The annual value sheet holds 0 for the current, partial year."""
    path = require_file(Path(path), "USITC DataWeb workbook")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = pd.ExcelFile(path).sheet_names
    sheet = next((n for n in names if n.endswith("Value YTD")), None)
    if sheet is None:
        msg = f"USITC DataWeb: {path} has no '... Value YTD' sheet; sheets are {names}."
        raise SourceFormatError(msg)
    raw = _sheet(path, sheet)
    raw.columns = [str(c).replace("_Year_to_date", "") for c in raw.columns]
    years = [c for c in raw.columns if str(c).isdigit()]
    long = raw.melt(id_vars=["Country", "HTS Number"], value_vars=years, var_name="year",
                    value_name="value_usd")
    out = pd.DataFrame({"partner": long["Country"].str.strip(),
                        "hts4": long["HTS Number"].str.strip().str.zfill(4),
                        "year": long["year"].astype("int64"),
                        "value_usd": pd.to_numeric(long["value_usd"], errors="coerce")})
    return out.groupby(["partner", "hts4", "year"], as_index=False)["value_usd"].sum(min_count=1)


__all__ = ["read_usitc", "read_usitc_quantities", "read_usitc_ytd_values"]
