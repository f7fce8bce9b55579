"""BGS World Mineral Statistics: production by country, 1971-2023.

One gzip CSV per commodity as exported from the BGS database (28 columns). The series in
each file are mapped to (mineral, stage, basis) by ``critmin/data/mappings/bgs_series.yml``;
where a file holds gross-weight and metal-content series of one mineral, the content series
is kept. Quantities go to metric tonnes (``kilograms (metal content)`` for PGM).

Countries are labelled by BGS's own ISO3 column where it has one (its ``country_trans``
"Congo" means the DRC, which a name lookup would give to the Republic of the Congo), with
BGS's historical codes (SUN, YUG, CSK, DDR, SCG) kept as such; ``label`` keeps the name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from critmin.config import DATA_DIR, read_yaml
from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_manifest
from critmin.sources.units import scale

SOURCE = "bgs-wms"
FOLDER = "bgs"
PATTERN = "BGS_*_production.csv.gz"
COLUMNS = ["table", "mineral", "stage", "basis", "label", "code", "year", "quantity_t", "flag",
           "estimated", "edition", "source", "note", "unit", "value_text"]
REQUIRED = ["country_trans", "country_iso3_code", "year", "quantity", "units",
            "bgs_commodity_trans", "bgs_sub_commodity_trans", "sdmx_translation",
            "data_precision_description", "concat_figure_notes_text"]
SERIES_PATH = DATA_DIR / "mappings" / "bgs_series.yml"
# A raw-row fixer: the build passes one to apply declared corrections before reading.
Fix = Callable[[pd.DataFrame, str], pd.DataFrame]


@functools.cache
def _series() -> dict:
    return read_yaml(SERIES_PATH)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def parse_file(path: Path, fix: Fix | None = None) -> pd.DataFrame:
    """Tidy production rows of one BGS file (no Origin; see :func:`parse_bgs`)."""
    path = require_file(path, "BGS World Mineral Statistics")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (UnicodeDecodeError, pd.errors.ParserError, EOFError, OSError) as exc:
        raise SourceFormatError(f"{path}: not a readable BGS export ({exc})") from exc
    require_columns(raw, REQUIRED, "BGS World Mineral Statistics", path)
    if fix is not None:
        raw = fix(raw, f"{FOLDER}/{path.name}")
    series = _series()["series"]
    units = _series()["units"]
    rows: list[dict] = []
    unmapped: set[str] = set()
    for rec in raw.to_dict("records"):
        key = f"{_text(rec['bgs_commodity_trans'])} | {_text(rec['bgs_sub_commodity_trans'])}"
        entry = series.get(key)
        if entry is None:
            unmapped.add(key)
            continue
        if "ignore" in entry:
            continue
        unit = _text(rec["units"])
        if unit not in units:
            raise SourceFormatError(f"{path.name}: unit {unit!r} is not declared in "
                                    f"{SERIES_PATH.name}; declared: {sorted(units)}")
        year_text = _text(rec["year"])
        if not re.match(r"^\d{4}", year_text):
            raise SourceFormatError(f"{path.name}: year {year_text!r} is not a date such as "
                                    "'2006-01-01 00:00:00'")
        precision = _text(rec["data_precision_description"])
        qty_text = _text(rec["quantity"])
        flag = None
        if precision.startswith("Figures not available") or _text(rec["sdmx_translation"]) == "Missing value":
            value, flag = None, "NA"
        elif precision.startswith("Quantity is more than 0 but less than 0.5"):
            value, flag = None, "s"
        elif not qty_text:
            value, flag = (0.0, None) if precision.startswith("Nil") else (None, "NA")
        else:
            try:
                value = scale(float(qty_text), float(units[unit]))
            except ValueError as exc:
                raise SourceFormatError(f"{path.name}: quantity {qty_text!r} is not a number") from exc
        notes = _text(rec["concat_figure_notes_text"])
        code = _text(rec["country_iso3_code"])
        rows.append({
            "table": "production", "mineral": entry["mineral"], "stage": entry["stage"],
            "basis": entry["basis"], "label": _text(rec["country_trans"]),
            "code": code or _text(rec["country_trans"]), "year": int(year_text[:4]),
            "quantity_t": value, "flag": flag,
            "estimated": bool(re.search(r"\bestimate", notes, re.IGNORECASE)),
            "edition": 2023, "source": SOURCE, "note": notes or None, "unit": unit,
            "value_text": qty_text or precision, "_sum_into": entry.get("sum_into"),
        })
    if unmapped:
        raise SourceFormatError(f"{path.name}: BGS series not in {SERIES_PATH.name}: "
                                + "; ".join(repr(k) for k in sorted(unmapped))
                                + ". Map each to {mineral, stage, basis} or {ignore: reason}.")
    return _sum_parts(pd.DataFrame(rows, columns=[*COLUMNS, "_sum_into"]))


def _sum_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum the additive sub-series declared with ``sum_into`` into one row per country-year.

    The sum counts only reported numbers (min_count=1: all-missing stays missing); the note
    names the parts and their bases, so each number still traces to its BGS series.
    """
    parts = frame[frame["_sum_into"].notna()]
    rest = frame[frame["_sum_into"].isna()]
    if parts.empty:
        return rest.drop(columns="_sum_into").reset_index(drop=True)
    keys = ["mineral", "stage", "_sum_into", "code", "year"]
    rows = []
    for (mineral, stage, basis, code, year), g in parts.groupby(keys, sort=False):
        filled = g[g["quantity_t"].notna()]
        detail = "; ".join(f"{b}: {q:,.0f} t" for b, q in zip(filled["basis"], filled["quantity_t"]))
        rows.append({
            "table": "production", "mineral": mineral, "stage": stage, "basis": basis,
            "label": g["label"].iloc[0], "code": code, "year": year,
            "quantity_t": filled["quantity_t"].sum() if not filled.empty else None,
            "flag": None if not filled.empty else g["flag"].iloc[0],
            "estimated": bool(filled["estimated"].any()), "edition": 2023, "source": SOURCE,
            "note": ("sum of BGS series " + detail) if len(filled) > 1 else
                    (filled["note"].iloc[0] if not filled.empty else g["note"].iloc[0]),
            "unit": g["unit"].iloc[0], "value_text": "; ".join(g["value_text"].astype(str)),
        })
    summed = pd.DataFrame(rows, columns=COLUMNS)
    return pd.concat([rest.drop(columns="_sum_into"), summed], ignore_index=True)


def parse_bgs(folder: Path, fix: Fix | None = None) -> Parsed:
    """Every ``BGS_<commodity>_production.csv.gz`` in ``folder``.

    Returns
    -------
    Parsed
        Rows with the usgs_world columns plus ``code`` (BGS's ISO3, or the name where BGS
        has none); one Origin (source ``bgs-wms``) whose sha256 is that of the manifest of
        file names and their sha256.
    """
    folder = Path(folder)
    files = sorted(folder.glob(PATTERN)) if folder.is_dir() else []
    if not files:
        raise SourceFormatError(f"BGS World Mineral Statistics: no {PATTERN} in {folder}. "
                                "Pass --source-dir pointing at the release files.")
    frame = pd.concat([parse_file(path, fix) for path in files], ignore_index=True)
    origin = Origin(
        SOURCE, "British Geological Survey",
        "World Mineral Statistics database: production by country, 1971-2023", "2023",
        "https://www2.bgs.ac.uk/mineralsuk/statistics/wms.cfc?method=searchWMS",
        "BGS attribution", sha256_manifest(files),
        f"{FOLDER}/{PATTERN} ({len(files)} files; sha256 of the name+sha256 manifest)")
    return Parsed(frame, (origin,))
