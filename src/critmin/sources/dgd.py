"""USITC Dynamic Gravity Dataset, Release 2.1, robustness file (``gravity/dgd-2.1/``,
SOURCES.md §9): gravity variables for 272 countries, 1980-2019, own pairs included.

Column meanings are the stager's reading of the values (the mapping from the DGD's raw
names is not documented in the staging repository): ``cntg`` contiguity, ``col`` colonial
tie ever, ``lang`` common language, ``dist`` **log** distance in km (USA-IND 9.485 =
13,163 km), ``rta`` regional trade agreement in force, ``wto`` both WTO members, ``pta`` and
``eia`` preferential and economic-integration agreements.

Quirks handled here: the file repeats 17,926 rows exactly (every one involves the EU
pseudo-country ``EUN``); exact repeats are dropped, conflicting repeats raise. Distance is
missing for 40,302 rows and stays missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file

SOURCE_ID = "usitc-dgd-2.1"
FILE = "gravity/dgd-2.1/dgd_2_1_rob.csv.gz"
COLUMNS = ("year", "exporter", "importer", "cntg", "col", "lang", "dist", "rta", "wto", "pta", "eia")
INDICATORS = ("cntg", "col", "lang", "rta", "wto", "pta", "eia")
YEARS = (1980, 2019)


def origin(path: Path) -> Origin:
    return Origin(
        source=SOURCE_ID,
        publisher="U.S. International Trade Commission (USITC)",
        title="Dynamic Gravity Dataset, Release 2.1 (robustness file, selected variables)",
        vintage="2.1 (1980-2019)",
        url="https://www.usitc.gov/data/gravity/dgd.htm",
        licence="public domain",
        sha256=sha256_file(path),
        file=Path(path).name,
    )


def parse_dgd(path: Path, years: tuple[int, ...] | None = None) -> Parsed:
    """Gravity variables by year and ordered country pair.

    Parameters
    ----------
    path : Path
        ``dgd_2_1_rob.csv.gz``.
    years : tuple of int, optional
        Keep only these years (the file has 2.4 million rows).

    Returns
    -------
    Parsed
        ``year, exporter, importer, contig, colony, common_language, ln_dist_km, rta, wto,
        pta, eia, source``; indicators 0/1, ``ln_dist_km`` the log of km (NaN where the DGD
        has none).

    Raises
    ------
    SourceFormatError
        Missing or unreadable file, missing columns, indicators outside {0, 1}, years
        outside 1980-2019, conflicting repeated pairs.
    """
    what = "Dynamic Gravity Dataset 2.1"
    path = require_file(Path(path), what)
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={"exporter": pa.string(), "importer": pa.string()}))
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceFormatError(f"{what}: {path} is not a readable CSV ({exc}).") from exc
    require_columns(pd.DataFrame(columns=table.column_names), COLUMNS, what, path)
    year = table.column("year")
    if not pa.types.is_integer(year.type) or year.null_count or (
            len(year) and (pc.min(year).as_py() < YEARS[0] or pc.max(year).as_py() > YEARS[1])):
        raise SourceFormatError(f"{what}: {path} has years outside {YEARS[0]}-{YEARS[1]}.")
    if years is not None:  # filter in Arrow: the file has 2.4 million rows
        table = table.filter(pc.is_in(year, value_set=pa.array(list(years), type=year.type)))
    frame = table.select(list(COLUMNS)).to_pandas()
    for col in ("dist", *INDICATORS):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    for col in INDICATORS:
        bad = ~frame[col].isin([0, 1])
        if bad.any():
            rows = frame.index[bad][:5].tolist()
            raise SourceFormatError(f"{what}: {path}: {col} is not 0 or 1 in rows {rows}.")
    dist = frame["dist"]
    if ((dist < 0) | (dist > 10)).any():
        raise SourceFormatError(f"{what}: {path}: dist outside 0-10; it is expected to be the "
                                "log of km (the largest great-circle distance is ln 20,000 = 9.9).")
    frame = frame.drop_duplicates()
    keys = ["year", "exporter", "importer"]
    clash = frame.duplicated(keys, keep=False)
    if clash.any():
        rows = frame.loc[clash, keys].head(3).to_dict("records")
        raise SourceFormatError(f"{what}: {path} gives different values for the same pair and "
                                f"year, e.g. {rows}.")
    out = pd.DataFrame({
        "year": frame["year"].astype("int64"),
        "exporter": frame["exporter"].str.strip(),
        "importer": frame["importer"].str.strip(),
        "contig": frame["cntg"].astype("int64"),
        "colony": frame["col"].astype("int64"),
        "common_language": frame["lang"].astype("int64"),
        "ln_dist_km": frame["dist"].astype(float),
        "rta": frame["rta"].astype("int64"),
        "wto": frame["wto"].astype("int64"),
        "pta": frame["pta"].astype("int64"),
        "eia": frame["eia"].astype("int64"),
    }).reset_index(drop=True)
    out["source"] = SOURCE_ID
    return Parsed(out, (origin(path),))
