"""CEPII BACI: reconciled bilateral trade by HS6 product (HS92, HS17 and HS22 releases).

A BACI year file is a CSV with columns ``t, i, j, k, v, q``: year, exporter and importer
(BACI numeric country codes), HS6 product, value in thousand USD (FOB) and quantity in
metric tons. A full year holds about 11 million rows, so it is streamed through DuckDB and
filtered to the critical-mineral headings inside DuckDB; it never enters pandas whole.

Quirks handled here (see ``shared/data/SOURCES.md``):

- ``k`` lost its leading zero for chapters 01-09 in some distributions: zero-padded to 6.
- ``q`` is left-padded text and holds ``NA``: trimmed; ``NA`` and blanks become NULL.
- ``v`` is in thousand USD: multiplied by 1,000.
- Special country codes: 490 "Other Asia, nes" is Taiwan (TWN); 58 Belgium-Luxembourg
  (before 1999) is attributed to BEL; 711 Southern African Customs Union (before 2000) to
  ZAF; 697 "Europe EFTA, nes" and historical entities (CSK, DDR, ANT, SUN, SCG) are kept
  as the unattributed remainder OTH, never dropped.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from critmin.config import DATA_DIR
from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_file, sha256_file
from critmin.vocab import NOMENCLATURES, hs_mapping

COLUMNS = ("t", "i", "j", "k", "v", "q")
RELEASE_RE = re.compile(r"BACI_(?P<nom>HS\d\d)_Y(?P<year>\d{4})_V(?P<version>\d{6})", re.IGNORECASE)

# BACI codes that are not a single ISO3 country; decided here, explicitly.
SPECIAL_CODES: dict[int, str] = {
    490: "TWN",  # "Other Asia, nes" (S19): Taiwan, as in UN Comtrade
    58: "BEL",   # Belgium-Luxembourg before 1999: Belgium dominates the pair's trade
    711: "ZAF",  # Southern African Customs Union before 2000: South Africa reports for SACU
    697: "OTH",  # Europe EFTA, nes: unattributed
    200: "OTH",  # Czechoslovakia (to 1992)
    278: "OTH",  # German Democratic Republic (to 1990)
    530: "OTH",  # Netherlands Antilles (to 2010)
    810: "OTH",  # USSR (to 1990)
    891: "OTH",  # Serbia and Montenegro (to 2005)
    849: "UMI",  # US Miscellaneous Pacific Islands
}

BACI_URL = "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"


@functools.cache
def default_country_codes() -> dict[int, str]:
    """BACI country code -> ISO3, from the bundled, already resolved copy of the V202501
    country table (``data/mappings/baci_countries.csv``: special codes applied, every code
    a valid ISO3 or OTH; regenerate it with :func:`read_country_codes`)."""
    frame = pd.read_csv(DATA_DIR / "mappings" / "baci_countries.csv", keep_default_na=False)
    return dict(zip(frame["code"].astype(int), frame["iso3"], strict=True))


def read_country_codes(path: Path) -> dict[int, str]:
    """A BACI ``country_codes_V*.csv`` table (V2022/V2023 or V2025 layout) as code -> ISO3."""
    path = require_file(path, "BACI country codes")
    frame = pd.read_csv(path, keep_default_na=False, encoding="utf-8-sig", dtype=str)
    for code_col, iso_col in (("country_code", "country_iso3"), ("country_code", "iso_3digit_alpha")):
        if code_col in frame.columns and iso_col in frame.columns:
            return _country_dict(frame, code_col, iso_col)
    msg = (f"BACI country codes: {path} lacks columns country_code and country_iso3 (or "
           f"iso_3digit_alpha); found {list(frame.columns)}.")
    raise SourceFormatError(msg)


def _country_dict(frame: pd.DataFrame, code_col: str, iso_col: str) -> dict[int, str]:
    from critmin.countries import valid_iso3

    out: dict[int, str] = {}
    valid = valid_iso3()
    for code, iso in zip(frame[code_col], frame[iso_col], strict=True):
        code = int(code)
        if code in SPECIAL_CODES:
            out[code] = SPECIAL_CODES[code]
        elif iso in valid:
            out[code] = iso
    return out


def release(path: Path, nomenclature: str | None = None) -> tuple[str, int | None, str]:
    """(nomenclature, year, version) from a BACI file name such as
    ``BACI_HS17_Y2022_V202401.csv``; ``nomenclature`` overrides the name."""
    m = RELEASE_RE.search(Path(path).name)
    nom = (nomenclature or (m.group("nom") if m else "")).upper()
    if nom not in NOMENCLATURES:
        msg = (f"BACI: cannot tell the HS revision of {Path(path).name}: expected a CEPII file "
               f"name like BACI_HS17_Y2022_V202401.csv or nomenclature= one of "
               f"{list(NOMENCLATURES)}. Got {nomenclature or 'no nomenclature'}.")
        raise SourceFormatError(msg)
    year = int(m.group("year")) if m else None
    version = m.group("version") if m else "unknown"
    return nom, year, version


def _header(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"BACI: cannot read {path}: {exc}") from exc
    return [c.strip() for c in next(csv.reader(io.StringIO(first)), [])]


def mapped_codes(nomenclature: str) -> tuple[str, ...]:
    """Every HS6 code of the mineral vocabulary, in ``nomenclature``."""
    codes = {e.code_in(nomenclature) for e in hs_mapping() if e.level == "hs6"}
    return tuple(sorted(c for c in codes if c))


def scan_sql(path: Path, codes: Iterable[str]) -> str:
    """The DuckDB query that reads a BACI file and keeps the given product headings.

    Kept rows are those whose four-digit heading holds a mapped code, so unmapped codes in
    mineral headings (e.g. cobalt waste 810530) reach the unmapped report. ``k`` is read as
    an integer: a code that lost its leading zero parses the same, the heading test is
    integer arithmetic, and only kept rows are formatted back to six digits.
    """
    headings = sorted({int(c[:4]) for c in codes})
    in_list = ", ".join(str(h) for h in headings)
    src = str(path).replace("'", "''")
    return f"""
        SELECT t AS year, i AS exporter_code, j AS importer_code,
               lpad(k::VARCHAR, 6, '0') AS hs6,
               v * 1000.0 AS value_usd,
               CASE WHEN trim(q) IN ('NA', '') THEN NULL ELSE CAST(trim(q) AS DOUBLE) END
                 AS quantity_gross_t
        FROM read_csv('{src}', header = true, delim = ',', quote = '"', auto_detect = false,
                      columns = {{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER',
                                 'k': 'INTEGER', 'v': 'DOUBLE', 'q': 'VARCHAR'}})
        WHERE k // 100 IN ({in_list})
    """


def read_baci(path: Path, *, nomenclature: str | None = None,
              country_codes: dict[int, str] | Path | None = None,
              codes: Iterable[str] | None = None,
              con: duckdb.DuckDBPyConnection | None = None) -> Parsed:
    """Rows of one BACI year file in the critical-mineral headings.

    Parameters
    ----------
    path : Path
        ``BACI_<HS>_Y<year>_V<version>.csv`` (or ``.csv.gz``), as CEPII publishes it.
    nomenclature : {"HS92", "HS17", "HS22"}, optional
        Needed only when the file name does not say it.
    country_codes : dict or Path, optional
        BACI country table (``country_codes_V*.csv``); the bundled V202501 table by default.
    codes : iterable of str, optional
        HS6 codes to keep (their headings are kept); all mapped codes by default.

    Returns
    -------
    Parsed
        Columns year, exporter, importer, hs6, value_usd (USD), quantity_gross_t (metric
        tons of product), nomenclature, source.

    Raises
    ------
    SourceFormatError
        Missing or wrong columns, a truncated or malformed file, unknown country codes.
    """
    path = require_file(Path(path), "BACI")
    nom, year, version = release(path, nomenclature)
    header = _header(path)
    if header != list(COLUMNS):
        msg = (f"BACI: {path} has columns {header}; a BACI year file has exactly "
               f"{list(COLUMNS)} (t year, i exporter, j importer, k HS6, v kUSD, q tons).")
        raise SourceFormatError(msg)
    if isinstance(country_codes, (str, Path)):
        country_codes = read_country_codes(Path(country_codes))
    cmap = country_codes or default_country_codes()
    wanted = tuple(codes) if codes is not None else mapped_codes(nom)
    own = con is None
    con = con or duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # Hash the file while DuckDB scans it (hashlib releases the GIL on large blocks).
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(sha256_file, path)
        try:
            frame = con.execute(scan_sql(path, wanted)).df()
        except duckdb.Error as exc:
            digest.cancel()
            msg = (f"BACI: {path} is truncated or malformed ({type(exc).__name__}: "
                   f"{str(exc).splitlines()[0]}). Re-download the release from {BACI_URL}.")
            raise SourceFormatError(msg) from exc
        finally:
            if own:
                con.close()
        sha256 = digest.result()
    codes_seen = set(frame["exporter_code"]).union(frame["importer_code"])
    unknown = sorted(int(c) for c in codes_seen if int(c) not in cmap)
    if unknown:
        msg = (f"BACI: {path} uses country code(s) {unknown} that the country table does not "
               "map to ISO3. Pass the release's country_codes_V*.csv (country_codes=).")
        raise SourceFormatError(msg)
    frame["exporter"] = frame["exporter_code"].map(cmap)
    frame["importer"] = frame["importer_code"].map(cmap)
    years = sorted(frame["year"].unique().tolist())
    if year is not None and years and years != [year]:
        msg = f"BACI: {path.name} says year {year} but its rows hold years {years}."
        raise SourceFormatError(msg)
    origin = baci_origin(path, nom, year if year is not None else (years[0] if years else None),
                         version, sha256=sha256)
    frame["nomenclature"] = nom
    frame["source"] = origin.source
    cols = ["year", "exporter", "importer", "hs6", "value_usd", "quantity_gross_t",
            "nomenclature", "source"]
    return Parsed(frame[cols].reset_index(drop=True), (origin,))


def baci_origin(path: Path, nomenclature: str, year: int | None, version: str, *,
                sha256: str | None = None) -> Origin:
    """The Origin of a BACI file; the id names revision, year and version."""
    ident = f"baci-{nomenclature.lower()}-y{year if year is not None else 'na'}-v{version}"
    if "exporters" in path.name.lower() or "extract" in path.name.lower():
        ident += "-extract"
    return Origin(
        source=ident, publisher="CEPII",
        title=(f"BACI: International trade database at the product level, {nomenclature}, "
               f"year {year}, version {version} ({path.name})"),
        vintage=version, url=BACI_URL, licence="Etalab 2.0", sha256=sha256 or sha256_file(path),
        file=path.name, redistributable=True)


__all__ = ["COLUMNS", "SPECIAL_CODES", "baci_origin", "default_country_codes", "mapped_codes",
           "read_baci", "read_country_codes", "release", "scan_sql"]
