"""World Bank World Development Indicators: GDP (current US$), NY.GDP.MKTP.CD.

The bulk-download CSV is wide (``Country Name, Country Code, Indicator Name, Indicator
Code, 1960 ... 2022`` plus a trailing empty column). Quirks of the staged release
6298258 handled here:

- UTF-8 with a byte-order mark.
- The four-line preamble ("Data Source", "Last Updated Date") of the bulk download was
  removed by whoever committed the file, so the header is line 1; a file that still has
  the preamble is detected and read too.
- Two lines (Venezuela, Yemen) were rewritten as one quoted field with doubled inner
  quotes; they are re-split so neither country vanishes.
- Regional, income and lending aggregates (ARB, WLD, EUU, ...) are dropped on purpose
  (:data:`AGGREGATES`), as is CHI (Channel Islands: Jersey and Guernsey together, no
  single ISO3). Every other code must map to ISO3 or the parse fails.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file
from critmin.countries import iso3_map

SOURCE_ID = "wb-wdi-gdp"
FILE = "worldbank_wdi/API_NY.GDP.MKTP.CD_DS2_en_csv_v2_6298258.csv"
INDICATOR = "NY.GDP.MKTP.CD"

# World Bank aggregate codes (regions, income groups, lending groups, demographic
# dividend groups, small states): not countries, dropped on purpose.
AGGREGATES = frozenset({
    "AFE", "AFW", "ARB", "CEB", "CSS", "EAP", "EAR", "EAS", "ECA", "ECS", "EMU", "EUU", "FCS",
    "HIC", "HPC", "IBD", "IBT", "IDA", "IDB", "IDX", "INX", "LAC", "LCN", "LDC", "LIC", "LMC",
    "LMY", "LTE", "MEA", "MIC", "MNA", "NAC", "OED", "OSS", "PRE", "PSS", "PST", "SAS", "SSA",
    "SSF", "SST", "TEA", "TEC", "TLA", "TMN", "TSA", "TSS", "UMC", "WLD",
})
DROPPED = AGGREGATES | {"CHI"}
ID_COLUMNS = ("Country Name", "Country Code", "Indicator Name", "Indicator Code")


def _lines(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"WDI: {path} is not UTF-8 ({exc}).") from exc
    rows = list(csv.reader(io.StringIO(text)))
    start = next((i for i, r in enumerate(rows[:10]) if r[:2] == ["Country Name", "Country Code"]),
                 None)
    if start is None:
        raise SourceFormatError(f"WDI: {path} has no 'Country Name,Country Code' header in its "
                                "first 10 lines; is it a WDI bulk-download CSV?")
    out = []
    for r in rows[start:]:
        # A line rewritten as one quoted field: csv gives one cell holding the whole line.
        if len(r) >= 1 and "," in r[0] and all(c == "" for c in r[1:]):
            r = next(csv.reader([r[0]]))
        if any(c.strip() for c in r):
            out.append(r)
    return out


def parse_gdp(path: Path) -> Parsed:
    """GDP in current US dollars by country and year.

    Returns
    -------
    Parsed
        ``country, year, gdp_usd, label, source``; years without a value are absent.
    """
    path = require_file(Path(path), "WDI GDP")
    rows = _lines(path)
    header = rows[0]
    body = [r + [""] * (len(header) - len(r)) if len(r) < len(header) else r[:len(header)]
            for r in rows[1:]]
    wide = pd.DataFrame(body, columns=header)
    wide = wide.loc[:, [c for c in wide.columns if c.strip()]]  # trailing empty column
    require_columns(wide, ID_COLUMNS, "WDI GDP", path)
    codes = set(wide["Indicator Code"])
    if codes != {INDICATOR}:
        raise SourceFormatError(f"WDI GDP: {path} holds indicator(s) {sorted(codes)}; "
                                f"expected only {INDICATOR} (GDP, current US$).")
    years = [c for c in wide.columns if re.fullmatch(r"\d{4}", c.strip())]
    if not years:
        raise SourceFormatError(f"WDI GDP: {path} has no year columns.")
    wide = wide[~wide["Country Code"].isin(DROPPED)]
    mapping = iso3_map(wide["Country Code"], path.name)
    long = wide.melt(id_vars=["Country Code"], value_vars=years, var_name="year",
                     value_name="gdp_usd")
    values = pd.to_numeric(long["gdp_usd"].str.strip().replace("", None), errors="coerce")
    bad = long.loc[values.isna() & long["gdp_usd"].str.strip().ne(""), "gdp_usd"]
    if not bad.empty:
        raise SourceFormatError(f"WDI GDP: {path} holds non-numeric value(s) "
                                f"{sorted(bad.unique())[:5]}.")
    long = long.assign(gdp_usd=values, year=long["year"].astype("int64"),
                       country=long["Country Code"].map(mapping),
                       label=long["Country Code"], source=SOURCE_ID)
    long = long[long["gdp_usd"].notna() & long["country"].notna()]
    frame = long[["country", "year", "gdp_usd", "label", "source"]].sort_values(
        ["country", "year"], ignore_index=True)
    origin = Origin(
        source=SOURCE_ID, publisher="World Bank",
        title="World Development Indicators: GDP (current US$), NY.GDP.MKTP.CD, bulk download",
        vintage="release 6298258 (about December 2023; 1960-2022)",
        url="https://data.worldbank.org/indicator/NY.GDP.MKTP.CD",
        licence="CC BY 4.0", sha256=sha256_file(path), file=path.name)
    return Parsed(frame, (origin,))
