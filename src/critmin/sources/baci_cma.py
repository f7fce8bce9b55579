"""CEPII BACI V202601 rows for 30 critical-mineral HS6 codes, as filtered by the
Critical Materials Atlas (GitHub ``Varcolacus/critical-materials-atlas``), and the raw UN
Comtrade reporter rows staged with them (``shared/data/baci_v202601_cma/``, SOURCES.md §7).

Four kinds of file, each with its own parser:

- ``baci_hs17_2024_30codes.parquet``: the **complete** 2024 matrix (every exporter x
  importer pair of the 30 codes, nothing cut), value in thousand USD and ``qty_t`` tonnes
  of product. :func:`read_cma_matrix`.
- ``baci_hs17_2022_30codes.csv.gz``: the **complete** 2022 matrix, **value only**
  (``i, j, cmd, value``), value in **USD** (SOURCES.md says thousand USD; the magnitudes
  say USD: CHL->CHN lithium carbonate reads 5,995,868,008). :func:`read_cma_matrix`.
- ``annual_top_links/flows_YYYY.json.gz`` (2002-2024): per material label, the links kept
  by the atlas: for each country the union of its top 6 suppliers and top 6 customers.
  Observed but **truncated**: never a complete matrix. Values in USD (not thousands); only
  2024 carries ``qty`` (tonnes). 2002-2016 come from BACI HS02, where 811292 did not exist
  (those labels are dropped for those years) and 252800 is the sum of 252810 and 252890.
  Labels sharing a code (gallium, germanium, hafnium -> 811292) repeat the same rows: kept
  once per code. :func:`read_cma_top_links`.
- ``comtrade_raw/comtrade_YYYY.csv.gz``: raw reported UN Comtrade rows (M49 reporter and
  partner, both flow directions, about 90,000 exact duplicate rows per file, dropped
  here). Not redistributable. :func:`read_cma_comtrade`.

The values are CEPII's (Etalab Open Licence 2.0, Gaulier & Zignago 2010, CEPII WP
2010-23); the filter is the atlas repository's (commit
17b328d2239864e993895582a29fdd3b5ceb479b, no LICENSE file), credited in every Origin.
Every parser returns ``coverage``: ``complete`` (every pair of the code in the year),
``truncated`` (top links) or ``reported`` (Comtrade reporter rows).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file

ATLAS_REPO = "Varcolacus/critical-materials-atlas"
ATLAS_COMMIT = "17b328d2239864e993895582a29fdd3b5ceb479b"
VERSION = "202601"
BACI_URL = "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"
CREDIT = (f"CEPII BACI V{VERSION} (Gaulier & Zignago 2010, CEPII WP 2010-23), filtered to 30 HS6 "
          f"codes by github.com/{ATLAS_REPO} at {ATLAS_COMMIT[:12]}")

# The 30 HS 2017 codes the two complete matrices cover (SOURCES.md §7).
CODES: tuple[str, ...] = (
    "250490", "251010", "251110", "252800", "252910", "252922", "260200", "260600", "270112",
    "280429", "280469", "280470", "280480", "282200", "283691", "283692", "711011", "711021",
    "720292", "720293", "740311", "750210", "810194", "810320", "810411", "810820", "811010",
    "811212", "811292", "850511")
# HS 2017 codes absent from BACI HS02 (2002-2016): their labels are dropped for those years.
NOT_IN_HS02 = frozenset({"811292"})
FRAME_COLUMNS = ["year", "exporter", "importer", "hs6", "nomenclature", "value_usd",
                 "quantity_gross_t", "coverage", "source"]
YEAR_RE = re.compile(r"(19|20)\d\d")


def cma_origin(path: Path, ident: str, title: str, *, sha256: str | None = None) -> Origin:
    return Origin(source=ident, publisher="CEPII (filtered by the Critical Materials Atlas)",
                  title=f"{title} ({CREDIT})", vintage=f"V{VERSION}",
                  url=f"{BACI_URL} ; https://github.com/{ATLAS_REPO}/tree/{ATLAS_COMMIT}",
                  licence="Etalab 2.0", sha256=sha256 or sha256_file(path), file=path.name,
                  redistributable=True)


def _year_of(path: Path) -> int:
    m = YEAR_RE.search(path.name)
    if not m:
        raise SourceFormatError(f"BACI (atlas): cannot tell the year of {path.name}; expected "
                                "a name with the year, e.g. baci_hs17_2024_30codes.parquet.")
    return int(m.group(0))


def _iso3(codes: pd.Series, path: Path, what: str) -> pd.Series:
    """ISO3 codes as published, checked. BACI's own pseudo-codes (``S19`` "Other Asia,
    nes" is Taiwan; EFTA nes and dissolved states are OTH) go through the BACI country
    table beside the file and :data:`critmin.sources.baci.SPECIAL_CODES`."""
    from critmin.countries import valid_iso3

    valid = valid_iso3() | {"OTH"}
    special = _special_iso3(path.parent)
    out = codes.map(lambda c: special.get(c, c))
    bad = sorted(set(out.dropna().unique()) - valid)
    if bad:
        raise SourceFormatError(f"BACI (atlas): {path.name} has {what} codes that are not "
                                f"ISO3: {bad[:10]}.")
    return out


def _special_iso3(folder: Path) -> dict[str, str]:
    """BACI's published iso3 -> critmin ISO3, where they differ (e.g. S19 -> TWN)."""
    from critmin.sources.baci import SPECIAL_CODES

    table = folder / f"country_codes_V{VERSION}.csv"
    out = {"S19": "TWN"}
    if table.is_file():
        frame = pd.read_csv(table, dtype=str, keep_default_na=False)
        if {"country_code", "country_iso3"} <= set(frame.columns):
            for code, iso in zip(frame["country_code"], frame["country_iso3"], strict=True):
                if int(code) in SPECIAL_CODES:
                    out[iso] = SPECIAL_CODES[int(code)]
    return out


def _check_codes(hs6: pd.Series, path: Path) -> None:
    extra = sorted(set(hs6.unique()) - set(CODES))
    if extra:
        raise SourceFormatError(f"BACI (atlas): {path.name} holds HS6 code(s) {extra[:10]} "
                                f"outside the 30 documented codes {list(CODES)}.")


def read_cma_matrix(path: Path) -> Parsed:
    """A complete matrix: ``baci_hs17_2024_30codes.parquet`` (value and tonnes) or
    ``baci_hs17_2022_30codes.csv.gz`` (value only).

    Returns
    -------
    Parsed
        FRAME_COLUMNS: value_usd in USD (BACI kUSD x 1,000), quantity_gross_t in tonnes of
        product (NaN in a value-only file), coverage ``complete``, nomenclature HS17.

    Raises
    ------
    SourceFormatError
        Missing columns, a code outside the 30, unknown countries, a year mismatch.
    """
    path = require_file(Path(path), "BACI (atlas)")
    year = _year_of(path)
    try:
        if path.suffix == ".parquet":
            raw = pd.read_parquet(path)
        else:
            raw = pd.read_csv(path, dtype={"cmd": str, "i": str, "j": str})
    except (OSError, ValueError, EOFError) as exc:
        raise SourceFormatError(f"BACI (atlas): cannot read {path}: {exc}") from exc
    if "qty_t" in raw.columns or "value_kusd" in raw.columns:
        require_columns(raw, ["year", "exporter", "importer", "hs6", "value_kusd", "qty_t"],
                        "BACI (atlas)", path)
        frame = pd.DataFrame({"year": pd.to_numeric(raw["year"]).astype("int64"),
                              "exporter": raw["exporter"].astype(str),
                              "importer": raw["importer"].astype(str),
                              "hs6": raw["hs6"].astype(str).str.zfill(6),
                              "value_usd": pd.to_numeric(raw["value_kusd"]) * 1000.0,
                              "quantity_gross_t": pd.to_numeric(raw["qty_t"])})
    else:
        require_columns(raw, ["i", "j", "cmd", "value"], "BACI (atlas)", path)
        frame = pd.DataFrame({"year": year, "exporter": raw["i"].astype(str),
                              "importer": raw["j"].astype(str),
                              "hs6": raw["cmd"].astype(str).str.zfill(6),
                              # USD, not thousand USD as SOURCES.md §7 says: CHL->CHN
                              # 283691 reads 5,995,868,008 (USD 6.0 bn; 2024: 2.03 bn).
                              "value_usd": pd.to_numeric(raw["value"]),
                              "quantity_gross_t": np.nan})
    # The 30 codes trade USD 250-450 bn a year: a total outside 1e10-1e13 means the file's
    # value unit is not the one assumed here (thousand USD vs USD).
    total = float(frame["value_usd"].sum())
    if not 1e10 <= total <= 1e13:
        raise SourceFormatError(f"BACI (atlas): {path.name} totals USD {total:,.0f}, outside the "
                                "plausible USD 10 bn-10 tn for the 30 codes: check whether its "
                                "values are in USD or thousand USD.")
    years = sorted(frame["year"].unique().tolist())
    if years != [year]:
        raise SourceFormatError(f"BACI (atlas): {path.name} says year {year} but its rows "
                                f"hold years {years}.")
    _check_codes(frame["hs6"], path)
    for col in ("exporter", "importer"):
        frame[col] = _iso3(frame[col], path, col)
    if frame["value_usd"].isna().any() or (frame["value_usd"] < 0).any():
        raise SourceFormatError(f"BACI (atlas): {path.name} has missing or negative values.")
    dup = frame.duplicated(["exporter", "importer", "hs6"])
    if dup.any():
        raise SourceFormatError(f"BACI (atlas): {path.name} repeats {int(dup.sum())} "
                                "exporter-importer-code cell(s); a BACI matrix lists each once.")
    kind = "value and tonnes" if frame["quantity_gross_t"].notna().any() else "value only"
    origin = cma_origin(path, f"baci-hs17-y{year}-v{VERSION}-cma30",
                        f"BACI HS17 {year}, complete matrix of 30 HS6 codes, {kind}")
    frame = frame.assign(nomenclature="HS17", coverage="complete", source=origin.source)
    return Parsed(frame[FRAME_COLUMNS].reset_index(drop=True), (origin,))


def read_cma_top_links(path: Path, crosswalk: Path | None = None) -> Parsed:
    """One ``annual_top_links/flows_YYYY.json.gz`` file: the atlas's truncated links.

    Parameters
    ----------
    path : Path
    crosswalk : Path, optional
        The atlas ``crosswalk.json`` (label -> title HS6 code); by default the one in the
        parent folder of ``annual_top_links``.

    Returns
    -------
    Parsed
        FRAME_COLUMNS with coverage ``truncated``; nomenclature HS02 for 2002-2016, HS17
        after; quantity_gross_t only where the file gives ``qty`` (2024).
    """
    path = require_file(Path(path), "BACI top links (atlas)")
    crosswalk = Path(crosswalk) if crosswalk else path.parent.parent / "crosswalk.json"
    cw = json.loads(require_file(crosswalk, "BACI atlas crosswalk").read_text())
    try:
        with gzip.open(path, "rt") as fh:
            doc = json.load(fh)
    except (OSError, EOFError, json.JSONDecodeError) as exc:
        raise SourceFormatError(f"BACI top links: cannot read {path}: {exc}") from exc
    missing = [k for k in ("year", "iso", "names", "materials") if k not in doc]
    if missing:
        raise SourceFormatError(f"BACI top links: {path.name} lacks key(s) {missing}; found "
                                f"{sorted(doc)}.")
    year = int(doc["year"])
    if year != _year_of(path):
        raise SourceFormatError(f"BACI top links: {path.name} holds year {year}.")
    nom = "HS02" if "HS02" in str(doc.get("source", "")) else "HS17"
    iso2_to_iso3 = _iso2_map(doc, path)
    parts, seen = [], set()
    for label in sorted(doc["materials"]):
        code = cw.get(label, {}).get("title_code")
        if code not in CODES or code in seen or (nom == "HS02" and code in NOT_IN_HS02):
            continue  # a label repeating another's code, or a code absent in this revision
        seen.add(code)
        links = pd.DataFrame(doc["materials"][label])
        if links.empty:
            continue
        require_columns(links, ["from", "to", "value"], "BACI top links", f"{path.name}:{label}")
        links["hs6"] = code
        parts.append(links)
    frame = pd.concat(parts, ignore_index=True)
    for col, new in (("from", "exporter"), ("to", "importer")):
        unknown = sorted(set(frame[col]) - set(iso2_to_iso3))
        if unknown:
            raise SourceFormatError(f"BACI top links: {path.name} uses ISO2 code(s) {unknown} "
                                    "that its own iso table does not list.")
        frame[new] = frame[col].map(iso2_to_iso3)
    qty = pd.to_numeric(frame["qty"], errors="coerce") if "qty" in frame else np.nan
    out = pd.DataFrame({"year": year, "exporter": frame["exporter"],
                        "importer": frame["importer"], "hs6": frame["hs6"],
                        "nomenclature": nom, "value_usd": pd.to_numeric(frame["value"]),
                        "quantity_gross_t": qty, "coverage": "truncated"})
    # The same pair and code may appear twice (as a top supplier and a top customer).
    out = out.drop_duplicates(["exporter", "importer", "hs6"])
    origin = cma_origin(path, f"baci-{nom.lower()}-y{year}-v{VERSION}-cma-toplinks",
                        f"BACI {nom} {year}, top links of 30 HS6 codes (each country's top 6 "
                        "suppliers and customers; truncated)")
    out["source"] = origin.source
    return Parsed(out[FRAME_COLUMNS].reset_index(drop=True), (origin,))


def _iso2_map(doc: dict, path: Path) -> dict[str, str]:
    """ISO2 -> ISO3 from the file's numeric ``iso`` table and the BACI country table."""
    from critmin.sources.baci import read_country_codes

    table = path.parent.parent / f"country_codes_V{VERSION}.csv"
    codes = read_country_codes(table) if table.is_file() else {}
    out: dict[str, str] = {}
    for num, iso2 in doc["iso"].items():
        iso3 = codes.get(int(num))
        if iso3:
            out.setdefault(iso2, iso3)
    if not out:  # no BACI table beside the files: country_converter
        from critmin.countries import country

        for iso2 in doc["names"]:
            try:
                out[iso2] = country(iso2)
            except Exception:  # noqa: BLE001  (an unknown code is reported by the caller)
                continue
    return out


def read_cma_comtrade(path: Path) -> Parsed:
    """``comtrade_raw/comtrade_YYYY.csv.gz``: raw reported UN Comtrade rows, duplicates
    dropped (not redistributable).

    Returns
    -------
    Parsed
        As :func:`critmin.sources.comtrade.read_comtrade` (reporter, partner, flow, hs,
        value_usd, quantity_gross_t from ``netwgt`` kg, source), plus coverage ``reported``.
    """
    from critmin.sources.comtrade import comtrade_origin, parse_comtrade_frame

    path = require_file(Path(path), "UN Comtrade (atlas)")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, OSError, EOFError) as exc:
        raise SourceFormatError(f"UN Comtrade (atlas): {path} is truncated or malformed: {exc}") from exc
    require_columns(raw, ["reporter", "partner", "cmd", "flow", "value"], "UN Comtrade (atlas)", path)
    n = len(raw)
    raw = raw.drop_duplicates()
    if "year" not in raw.columns:
        raw["year"] = str(_year_of(path))
    year = _year_of(path)
    origin = comtrade_origin(
        path, source=f"comtrade-cma-{year}", vintage=str(year),
        title=(f"UN Comtrade reported rows {year}, 31 HS6 codes, both directions, as staged by "
               f"github.com/{ATLAS_REPO} ({n - len(raw):,} exact duplicate rows of {n:,} dropped)"))
    raw = raw.rename(columns={"reporter": "reporterCode", "partner": "partnerCode",
                              "cmd": "cmdCode", "flow": "flowCode", "value": "primaryValue",
                              "netwgt": "netWgt", "qtyunit": "qtyUnitCode"})
    parsed = parse_comtrade_frame(raw, path, origin)
    return Parsed(parsed.frame.assign(coverage="reported"), parsed.origins)


__all__ = ["CODES", "CREDIT", "cma_origin", "read_cma_comtrade", "read_cma_matrix",
           "read_cma_top_links"]
