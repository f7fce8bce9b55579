"""USITC International Trade and Production Database for Estimation, Release 2 (ITPD-E R02),
as staged in ``gravity/itpde-r02/`` (SOURCES.md §9).

Two files, both derived by the stager from the 170 per-industry ITPD-E files (2000-2019)
with the script ``aggregate_itpde.py`` that sits beside them:

- ``itpde_r02_pairs_by_broad_sector_2000_2019.csv.gz``: ``trade`` (million current USD)
  summed over industries by exporter, importer, year and broad sector. Domestic flows
  (exporter = importer) are ITPD-E's production minus exports. International flows ITPD-E
  does not report are absent, not zero.
- ``itpde_r02_domestic_coverage.csv``: per country, year and sector, how many of the
  sector's industries have a positive domestic flow. Domestic flows exist only where
  ITPD-E has production data, so a country-year with few covered industries has an
  understated or missing domestic flow (China manufacturing from 2016, Japan from 2011).

Quirks: codes are ITPD-E's ISO3 (with a few historical ones, e.g. ``ANT``) and are kept as
published here; the GE sample keeps only countries with domestic coverage and aggregates
the rest (:mod:`critmin.store.builders.gravity`). Broad sectors are mapped to lower-case
words (``manufacturing``, ``agriculture``, ``mining_energy``, ``services``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file

SOURCE_ID = "usitc-itpde-r02"
PAIRS_FILE = "gravity/itpde-r02/itpde_r02_pairs_by_broad_sector_2000_2019.csv.gz"
COVERAGE_FILE = "gravity/itpde-r02/itpde_r02_domestic_coverage.csv"
PAIR_COLUMNS = ("exporter_iso3", "importer_iso3", "year", "broad_sector", "trade")
COVERAGE_COLUMNS = ("iso3", "year", "broad_sector", "n_industries_with_domestic",
                    "domestic_trade", "n_industries_in_sector")
#: ITPD-E broad sectors -> critmin's sector words.
SECTORS = {"Agriculture": "agriculture", "Mining and Energy": "mining_energy",
           "Manufacturing": "manufacturing", "Services": "services"}
YEARS = (2000, 2019)


def origin(path: Path) -> Origin:
    """The release record of one staged ITPD-E file (its own sha256)."""
    return Origin(
        source=SOURCE_ID,
        publisher="U.S. International Trade Commission (USITC)",
        title=("International Trade and Production Database for Estimation, Release 2 "
               "(ITPD-E R02), summed over its 170 industries by broad sector; Borchert, Larch, "
               "Shikher & Yotov, USITC Working Paper 2020-05-C"),
        vintage="R02 (2000-2019)",
        url="https://www.usitc.gov/data/gravity/itpde.htm",
        licence="public domain",
        sha256=sha256_file(path),
        file=Path(path).name,
    )


def _read(path: Path, columns: tuple[str, ...], what: str, dtypes: dict[str, str]) -> pd.DataFrame:
    path = require_file(Path(path), what)
    try:
        frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""],
                            engine="pyarrow")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise SourceFormatError(f"{what}: {path} is not a readable CSV ({exc}).") from exc
    require_columns(frame, columns, what, path)
    return frame


def _check(frame: pd.DataFrame, path: Path, what: str, numeric: tuple[str, ...]) -> None:
    bad_sector = sorted(set(frame["broad_sector"]) - set(SECTORS))
    if bad_sector:
        raise SourceFormatError(f"{what}: {path} has unknown broad sector(s) {bad_sector}; "
                                f"expected {sorted(SECTORS)}.")
    years = frame["year"]
    if years.isna().any() or not years.between(*YEARS).all():
        odd = sorted(set(years[years.isna() | ~years.between(*YEARS)].astype(str)))[:5]
        raise SourceFormatError(f"{what}: {path} has years {odd} outside {YEARS[0]}-{YEARS[1]}.")
    for col in numeric:
        v = frame[col]
        if v.isna().any() or (v < 0).any():
            rows = frame.index[v.isna() | (v < 0)][:5].tolist()
            raise SourceFormatError(f"{what}: {path} has missing or negative {col} in rows {rows}.")


def parse_pairs(path: Path) -> Parsed:
    """Flows by exporter, importer, year and broad sector.

    Returns
    -------
    Parsed
        ``exporter, importer, year, sector, flow_usd, source``; ``flow_usd`` in current USD
        (ITPD-E's million USD times 1e6); domestic rows have exporter = importer.

    Raises
    ------
    SourceFormatError
        Missing or unreadable file, missing columns, unknown sectors, years outside
        2000-2019, missing or negative trade, duplicate rows.
    """
    what = "ITPD-E R02 flows"
    frame = _read(path, PAIR_COLUMNS, what,
                  {"exporter_iso3": "string", "importer_iso3": "string", "broad_sector": "string"})
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce")
    frame["trade"] = pd.to_numeric(frame["trade"], errors="coerce")
    _check(frame, Path(path), what, ("trade",))
    keys = ["exporter_iso3", "importer_iso3", "year", "broad_sector"]
    for col in ("exporter_iso3", "importer_iso3", "broad_sector"):
        frame[col] = frame[col].astype("category")   # 1.9 million rows: compare codes
    dup = frame.duplicated(keys)
    if dup.any():
        rows = frame.loc[dup, keys].head(3).to_dict("records")
        raise SourceFormatError(f"{what}: {path} repeats {int(dup.sum())} key(s), e.g. {rows}.")
    out = pd.DataFrame({
        "exporter": frame["exporter_iso3"].cat.rename_categories(str.strip).astype(str),
        "importer": frame["importer_iso3"].cat.rename_categories(str.strip).astype(str),
        "year": frame["year"].astype("int64"),
        "sector": frame["broad_sector"].map(SECTORS).astype(str),
        "flow_usd": frame["trade"].astype(float) * 1e6,
    })
    out["source"] = SOURCE_ID
    return Parsed(out, (origin(path),))


def parse_coverage(path: Path) -> Parsed:
    """Domestic-flow coverage by country, year and sector.

    Returns
    -------
    Parsed
        ``country, year, sector, domestic_industries_count, industries_count,
        domestic_flow_usd, source``.
    """
    what = "ITPD-E R02 domestic coverage"
    frame = _read(path, COVERAGE_COLUMNS, what, {"iso3": "string", "broad_sector": "string"})
    for col in ("year", "n_industries_with_domestic", "domestic_trade", "n_industries_in_sector"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    _check(frame, Path(path), what, ("n_industries_with_domestic", "domestic_trade",
                                     "n_industries_in_sector"))
    over = frame["n_industries_with_domestic"] > frame["n_industries_in_sector"]
    if over.any():
        rows = frame.index[over][:5].tolist()
        raise SourceFormatError(f"{what}: {path} counts more covered industries than the sector "
                                f"has in rows {rows}.")
    out = pd.DataFrame({
        "country": frame["iso3"].str.strip(),
        "year": frame["year"].astype("int64"),
        "sector": frame["broad_sector"].map(SECTORS),
        "domestic_industries_count": frame["n_industries_with_domestic"].astype("int64"),
        "industries_count": frame["n_industries_in_sector"].astype("int64"),
        "domestic_flow_usd": frame["domestic_trade"].astype(float) * 1e6,
    })
    out["source"] = SOURCE_ID
    return Parsed(out, (origin(path),))
