"""World Bank Worldwide Governance Indicators (WGI), 2024 update, long-format CSV.

The file ``wgidataset`` as published has one row per economy, year and indicator
(``va`` voice and accountability, ``pv`` political stability and absence of violence,
``ge`` government effectiveness, ``rq`` regulatory quality, ``rl`` rule of law, ``cc``
control of corruption). Quirks handled here:

- UTF-8 with a byte-order mark; ``..`` marks a missing value.
- Non-ISO economy codes (ZAR, ROM, ADO, TMP, KSV, WBG) are mapped through
  :mod:`critmin.countries` overrides; ANT (Netherlands Antilles, dissolved in
  2010, no successor ISO3) is declared dropped there. JEY is ISO3 Jersey already.
- 1996, 1998 and 2000 are biennial: there are no 1997, 1999 or 2001 rows.

The derived indicator ``mean`` is the unweighted mean of the six estimates of a
country-year, computed **only where all six are published**; it has no standard error or
percentile rank (those are left null rather than invented).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file
from critmin.countries import harmonise_countries

SOURCE_ID = "wb-wgi-2024"
FILE = "wgi/wgidataset_2024update_1996_2023.csv"
INDICATORS = {
    "va": "Voice and Accountability",
    "pv": "Political Stability and Absence of Violence/Terrorism",
    "ge": "Government Effectiveness",
    "rq": "Regulatory Quality",
    "rl": "Rule of Law",
    "cc": "Control of Corruption",
    "mean": "Mean of the six estimates (critmin; only where all six are published)",
}
COLUMNS = ("code", "countryname", "year", "indicator", "estimate", "stddev", "nsource", "pctrank")


def origin(path: Path) -> Origin:
    return Origin(
        source=SOURCE_ID,
        publisher="World Bank",
        title="Worldwide Governance Indicators, 2024 update (wgidataset, long format)",
        vintage="2024 update (1996-2023)",
        url="https://www.worldbank.org/en/publication/worldwide-governance-indicators",
        licence="CC BY 4.0",
        sha256=sha256_file(path),
        file=Path(path).name,
    )


def parse_wgi(path: Path) -> Parsed:
    """Governance estimates by country, year and indicator, plus their mean.

    Parameters
    ----------
    path : Path
        ``wgidataset`` of the 2024 update: the CSV, or the xlsx workbook.

    Returns
    -------
    Parsed
        Columns ``country, year, indicator, estimate, stddev, nsource, pctrank, label,
        source``; ``estimate`` in WGI units (about -2.5 to 2.5), ``pctrank`` 0-100.

    Raises
    ------
    SourceFormatError
        Missing or malformed file, unknown indicator codes, unmapped economy codes.
    """
    path = require_file(Path(path), "WGI")
    # keep_default_na=False: 'NA' must never become missing (Namibia is NAM here, but
    # the rule keeps text intact); '..' is the publisher's missing marker.
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            # The workbook `critmin data fetch wb-wgi` downloads; its first sheet is
            # assumed to hold the same long table as the CSV (checked on a synthetic file).
            raw = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False,
                                na_values=[".."])
        else:
            raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False,
                              na_values=[".."])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise SourceFormatError(f"WGI: {path} is not a readable CSV or workbook ({exc}).") from exc
    require_columns(raw, COLUMNS, "WGI", path)
    bad = sorted(set(raw["indicator"]) - set(INDICATORS))
    if bad:
        raise SourceFormatError(f"WGI: {path} has unknown indicator code(s) {bad}; "
                                f"expected {sorted(set(INDICATORS) - {'mean'})}.")
    frame = raw.assign(
        year=pd.to_numeric(raw["year"], errors="coerce"),
        estimate=pd.to_numeric(raw["estimate"], errors="coerce"),
        stddev=pd.to_numeric(raw["stddev"], errors="coerce"),
        nsource=pd.to_numeric(raw["nsource"], errors="coerce"),
        pctrank=pd.to_numeric(raw["pctrank"], errors="coerce"),
    )
    if frame["year"].isna().any():
        rows = frame.index[frame["year"].isna()][:5].tolist()
        raise SourceFormatError(f"WGI: {path} has non-numeric years in rows {rows}.")
    frame = harmonise_countries(frame, "code", path.name, keep_label="label")
    # Only published estimates are stored; economies with no estimate in a year are absent.
    frame = frame[frame["estimate"].notna()]
    frame = frame[["country", "year", "indicator", "estimate", "stddev", "nsource", "pctrank",
                   "label"]]
    frame = pd.concat([frame, mean_indicator(frame)], ignore_index=True)
    frame["year"] = frame["year"].astype("int64")
    frame["source"] = SOURCE_ID
    frame = frame.sort_values(["country", "year", "indicator"], ignore_index=True)
    return Parsed(frame, (origin(path),))


def mean_indicator(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of indicator ``mean``: the mean of the six estimates where all six exist."""
    six = frame[frame["indicator"].isin(["va", "pv", "ge", "rq", "rl", "cc"])]
    wide = six.pivot_table(index=["country", "year"], columns="indicator", values="estimate",
                           aggfunc="first")
    complete = wide.dropna(how="any")
    complete = complete[[c for c in ("va", "pv", "ge", "rq", "rl", "cc") if c in complete]]
    if complete.shape[1] < 6:
        return frame.iloc[0:0]
    labels = six.drop_duplicates(["country", "year"]).set_index(["country", "year"])["label"]
    out = complete.mean(axis=1).rename("estimate").reset_index()
    out["indicator"] = "mean"
    out["stddev"] = float("nan")
    out["nsource"] = float("nan")
    out["pctrank"] = float("nan")
    out["label"] = labels.reindex(pd.MultiIndex.from_frame(out[["country", "year"]])).to_numpy()
    return out[frame.columns]
