"""USGS Mineral Commodity Summaries world tables: production, capacity and reserves.

Four layouts, one tidy result:

- MCS 2023 and MCS 2024: one CSV per commodity (``mcs202x-<code>_world.csv``), units in the
  column names (``Prod_kt_est_2023``, ``Reserves_t``), footnote letters glued to country
  names ("Japane"), a few files with a mislabelled ``Type`` header.
- MCS 2025: ``MCS2025_World_Data.csv`` (UTF-8 with BOM), units per row in ``UNIT_MEAS``,
  column names with spaces (``PROD_EST_ 2024``), "Gemanium", padded labels.
- MCS 2026: ``MCS2026_Commodities_Data.csv``, long format in Windows-1252, values as text
  ("226,000", ">50", "50–300", "W", "—"), world tables in the "World ..." sections.

Rows are mapped to (mineral, stage, basis) by ``critmin/data/mappings/usgs_labels.yml``; a
label missing there is a :class:`SourceFormatError`. Quantities are converted to metric
tonnes on the stated basis; the published unit and text are kept beside them.

Output columns (one row per country, year and table): ``table`` (production, capacity,
reserves), ``mineral``, ``stage``, ``basis``, ``label`` (country as published), ``year``,
``quantity_t``, ``flag``, ``estimated``, ``edition``, ``source``, ``note``, ``unit``
(published unit), ``value_text`` (published cell).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import (Origin, Parsed, require_columns, require_file, sha256_file,
                                    sha256_manifest)
from critmin.sources.units import _labels_yaml, parse_cell, scale, tonnes_per, unit_from_token

PUBLISHER = "U.S. Geological Survey"
EDITIONS = {
    2023: ("Mineral Commodity Summaries 2023 Data Release", "https://doi.org/10.5066/P9WCYUI6"),
    2024: ("Mineral Commodity Summaries 2024 Data Release (ver. 2.0, March 2024)",
           "https://doi.org/10.5066/P144BA54"),
    2025: ("Mineral Commodity Summaries 2025 World Data Release", "https://doi.org/10.5066/P13XCP3R"),
    2026: ("Mineral Commodity Summaries 2026 Data Release (v1.0)", "https://doi.org/10.5066/P1WKQ63T"),
}
PATHS = {
    2023: "usgs/mcs2023/world",
    2024: "usgs/mcs2024/world",
    2025: "usgs/mcs2025/world/MCS2025_World_Data.csv",
    2026: "usgs/mcs2026/MCS2026_Commodities_Data.csv",
}
COLUMNS = ["table", "mineral", "stage", "basis", "label", "year", "quantity_t", "flag",
           "estimated", "edition", "source", "note", "unit", "value_text"]
_COL = re.compile(r"^(?P<kind>Prod|Cap|Reserves)_(?:(?P<qual>[A-Za-z0-9_]+?)_)?"
                  r"(?P<unit>t|kt|kg|mmt|Mt|mt|mct|kct|mcm)(?:_(?P<est>est|Est))?(?:_(?P<year>\d{4}))?$")
_FILE = re.compile(r"(?i)^mcs(?P<ed>\d{4})-?(?P<code>.+)_world\.csv$")
_KIND_TABLE = {"Prod": "production", "PROD": "production", "Cap": "capacity", "CAP": "capacity",
               "Reserves": "reserves", "RESERVES": "reserves"}
# A raw-row fixer: the build passes one per file to apply declared corrections
# (critmin/data/corrections/*.yml) to the publisher's rows before they are read.
Fix = Callable[[pd.DataFrame, str], pd.DataFrame]
_ROUNDED = re.compile(r"[:,]?\s*rounded$", re.IGNORECASE)


def source_id(edition: int) -> str:
    return f"usgs-mcs{edition}-world"


def _clean(text: object) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ")).strip()


def label_map(edition: int) -> dict[str, dict[str, dict]]:
    """The reviewed mapping of ``edition``: commodity key -> label -> entry."""
    return _labels_yaml()[f"mcs{edition}"]


def _lookup(edition: int, key: str, label: str, file: str,
            unmapped: dict[str, set[str]]) -> dict | None:
    entry = label_map(edition).get(key, {}).get(label)
    if entry is None:
        unmapped.setdefault(file, set()).add(f"{key} | {label}")
    return entry


def _raise_unmapped(unmapped: dict[str, set[str]], edition: int) -> None:
    if unmapped:
        lines = [f"  {f}: " + "; ".join(repr(x) for x in sorted(v)) for f, v in sorted(unmapped.items())]
        raise SourceFormatError(
            f"MCS {edition}: {sum(len(v) for v in unmapped.values())} row label(s) are not in "
            "critmin/data/mappings/usgs_labels.yml (commodity | label):\n" + "\n".join(lines)
            + f"\nMap each under mcs{edition} to {{mineral, stage, basis}} or {{ignore: reason}}.")


def _estimated_by_note(note: str, year: int) -> bool:
    """USGS notes such as 'Estimated in 2021 also.' mark a non-'est' column as estimated."""
    low = note.lower()
    return bool(re.search(rf"estimated (in )?{year}|{year} (is )?(also )?estimated|"
                          rf"estimated in both|also estimated in {year}", low))


def _record(rows: list[dict], *, table: str, entry: dict, label: str, year: int, cell_text: object,
            unit: str, estimated: bool, edition: int, note: str, file: str) -> None:
    cell = parse_cell(cell_text)
    if cell is None or cell.flag == "XX":
        return
    factor = tonnes_per(unit)
    if factor is None:
        msg = (f"{file}: {entry.get('mineral')} rows are in {unit!r}, not a mass. Map the label "
               "to {ignore: reason} in usgs_labels.yml or declare a mass unit.")
        raise SourceFormatError(msg)
    if entry.get("form"):  # the country's own product form in a mixed-form table
        note = f"form: {entry['form']}" + (f" -- {note}" if note else "")
    rows.append({
        "table": table, "mineral": entry["mineral"], "stage": entry["stage"],
        "basis": entry["basis"], "label": label, "year": int(year),
        "quantity_t": None if cell.value is None else scale(cell.value, factor),
        "flag": cell.flag, "estimated": bool(estimated or cell.estimated),
        "edition": edition, "source": source_id(edition), "note": note or None,
        "unit": unit, "value_text": _clean(cell_text),
    })


def _with_qualifier(entry: dict, qual: str | None) -> dict:
    if not qual:
        return entry
    quals = _labels_yaml()["column_qualifiers"]
    if qual not in quals:
        raise SourceFormatError(f"unknown column qualifier {qual!r}; declared: {sorted(quals)}")
    return {**entry, **quals[qual]}


def _reserves(entry: dict, unit: str) -> tuple[dict, str]:
    """The entry and unit for a row's reserves columns, after its ``reserves`` overrides."""
    over = entry.get("reserves")
    if not over:
        return entry, unit
    merged = {**entry, **{k: v for k, v in over.items() if k != "unit"}}
    return merged, str(over.get("unit", unit))


# --- MCS 2023 / 2024: one file per commodity ---------------------------------------------

def parse_world_csvs(folder: Path, edition: int, fix: Fix | None = None) -> Parsed:
    """Every ``mcs<edition>-<code>_world.csv`` in ``folder``; ``fix(frame, file)`` corrects
    raw rows first."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceFormatError(f"MCS {edition} world data: folder not found: {folder}. "
                                "Pass --source-dir pointing at the release files.")
    files = sorted(p for p in folder.iterdir() if _FILE.match(p.name))
    if not files:
        raise SourceFormatError(f"MCS {edition} world data: no mcs{edition}-<code>_world.csv in {folder}.")
    rows: list[dict] = []
    unmapped: dict[str, set[str]] = {}
    for path in files:
        require_file(path, f"MCS {edition} world data")
        code = _FILE.match(path.name)["code"]  # type: ignore[index]
        try:
            frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise SourceFormatError(f"{path}: not a readable MCS world CSV ({exc})") from exc
        frame = frame.loc[:, [c for c in frame.columns if not c.startswith("Unnamed")]]
        if fix is not None:
            frame = fix(frame, f"{PATHS[edition]}/{path.name}")
        require_columns(frame, ["Source", "Country"], f"MCS {edition} world data", path)
        if len(frame.columns) < 4:
            raise SourceFormatError(f"{path}: expected Source, Country, Type and value columns; "
                                    f"found {list(frame.columns)}")
        type_col = frame.columns[2]  # 'Type', or (fluorspar 2024) a label used as the header
        parsed_cols = {c: _COL.match(c.strip()) for c in frame.columns[3:]}
        notes = {k: next((c for c in frame.columns if c.lower().startswith(f"{k.lower()}_note")), None)
                 for k in ("Prod", "Cap", "Reserves")}
        for rec in frame.to_dict("records"):
            label = _clean(rec["Country"])
            type_label = _clean(rec[type_col])
            if not label:
                continue  # blank line
            entry = _lookup(edition, code, type_label, path.name, unmapped)
            if entry is None or "ignore" in entry:
                continue
            for col, m in parsed_cols.items():
                if m is None:
                    continue
                kind = m["kind"]
                note = _clean(rec.get(notes[kind] or "", "") or "")
                table = _KIND_TABLE[kind]
                if kind == "Prod" and entry.get("table") == "capacity":
                    table = "capacity"
                year = m["year"]
                if year is None:
                    if kind != "Reserves":
                        raise SourceFormatError(f"{path}: column {col!r} names no year")
                    year = edition - 1  # MCS reserves are as of the latest year covered
                year = int(year)
                est = bool(m["est"]) or (kind != "Reserves" and _estimated_by_note(note, year))
                this = _with_qualifier(entry, m["qual"])
                unit = unit_from_token(m["unit"])
                if table == "reserves":
                    this, unit = _reserves(this, unit)
                _record(rows, table=table, entry=this, label=label, year=year,
                        cell_text=rec[col], unit=unit, estimated=est, edition=edition,
                        note=note, file=path.name)
    _raise_unmapped(unmapped, edition)
    title, url = EDITIONS[edition]
    origin = Origin(source_id(edition), PUBLISHER, title + " (world CSVs)", str(edition), url,
                    "public domain", sha256_manifest(files),
                    f"{PATHS[edition]}/ ({len(files)} files; sha256 of the name+sha256 manifest)")
    return Parsed(pd.DataFrame(rows, columns=COLUMNS), (origin,))


# --- MCS 2025: World Data ----------------------------------------------------------------

MCS2025_COLUMNS = ["SOURCE", "COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS", "PROD_2023",
                   "PROD_EST_ 2024", "PROD_NOTES", "CAP_2023", "CAP_EST_ 2024", "CAP_NOTES",
                   "RESERVES_2024", "RESERVE_NOTES"]


def parse_world_data_2025(path: Path, fix: Fix | None = None) -> Parsed:
    """``MCS2025_World_Data.csv``; ``fix(frame, file)`` corrects raw rows first."""
    path = require_file(path, "MCS 2025 World Data")
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SourceFormatError(f"{path}: not a readable MCS 2025 World Data CSV ({exc})") from exc
    require_columns(frame, MCS2025_COLUMNS, "MCS 2025 World Data", path)
    if fix is not None:
        frame = fix(frame, PATHS[2025])
    value_cols = [("PROD_2023", "production", 2023, False, "PROD_NOTES"),
                  ("PROD_EST_ 2024", "production", 2024, True, "PROD_NOTES"),
                  ("CAP_2023", "capacity", 2023, False, "CAP_NOTES"),
                  ("CAP_EST_ 2024", "capacity", 2024, True, "CAP_NOTES"),
                  ("RESERVES_2024", "reserves", 2024, False, "RESERVE_NOTES")]
    rows: list[dict] = []
    unmapped: dict[str, set[str]] = {}
    for rec in frame.to_dict("records"):
        commodity, type_label = _clean(rec["COMMODITY"]), _clean(rec["TYPE"])
        label = _clean(rec["COUNTRY"])
        if not commodity or not label:
            continue
        entry = _lookup(2025, commodity, type_label, path.name, unmapped)
        if entry is None or "ignore" in entry:
            continue
        row_unit = _clean(rec["UNIT_MEAS"])
        for col, table, year, est, note_col in value_cols:
            note = _clean(rec[note_col])
            if table == "production" and entry.get("table") == "capacity":
                table = "capacity"
            estimated = est or (table != "reserves" and _estimated_by_note(note, year))
            this, unit = _reserves(entry, row_unit) if table == "reserves" else (entry, row_unit)
            _record(rows, table=table, entry=this, label=label, year=year, cell_text=rec[col],
                    unit=unit, estimated=estimated, edition=2025, note=note, file=path.name)
    _raise_unmapped(unmapped, 2025)
    title, url = EDITIONS[2025]
    origin = Origin(source_id(2025), PUBLISHER, title, "2025", url, "public domain",
                    sha256_file(path), PATHS[2025])
    return Parsed(pd.DataFrame(rows, columns=COLUMNS), (origin,))


# --- MCS 2026: Commodities Data (long) ---------------------------------------------------

MCS2026_COLUMNS = ["MCS chapter", "Section", "Commodity", "Country", "Statistics",
                   "Statistics_detail", "Unit", "Year", "Value", "Notes"]


def read_mcs2026(path: Path) -> pd.DataFrame:
    """The MCS 2026 Commodities Data file as published (Windows-1252), all text."""
    path = require_file(path, "MCS 2026 Commodities Data")
    try:
        frame = pd.read_csv(path, encoding="cp1252", dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SourceFormatError(f"{path}: not a readable MCS 2026 Commodities Data CSV "
                                f"(expected Windows-1252 text; {exc})") from exc
    require_columns(frame, MCS2026_COLUMNS, "MCS 2026 Commodities Data", path)
    return frame


def parse_commodities_data_2026(path: Path, fix: Fix | None = None) -> Parsed:
    """The "World ..." sections of ``MCS2026_Commodities_Data.csv``."""
    frame = read_mcs2026(path)
    if fix is not None:
        frame = fix(frame, PATHS[2026])
    path = Path(path)
    world = frame[frame["Section"].str.strip().str.startswith("World")]
    rows: list[dict] = []
    unmapped: dict[str, set[str]] = {}
    for rec in world.to_dict("records"):
        commodity, label = _clean(rec["Commodity"]), _clean(rec["Country"])
        detail = _ROUNDED.sub("", _clean(rec["Statistics_detail"])).strip()
        key = f"{_clean(rec['Statistics'])}: {detail}"
        entry = _lookup(2026, commodity, key, path.name, unmapped)
        if entry is None or "ignore" in entry:
            continue
        try:
            year = int(_clean(rec["Year"]))
        except ValueError as exc:
            raise SourceFormatError(f"{path}: year {rec['Year']!r} of {commodity} {label} "
                                    "is not a single year") from exc
        note = _clean(rec["Notes"])
        estimated = "estimated" in note.lower()
        _record(rows, table=entry.get("table", "production"), entry=entry, label=label, year=year,
                cell_text=rec["Value"], unit=_clean(rec["Unit"]), estimated=estimated,
                edition=2026, note=note, file=path.name)
    _raise_unmapped(unmapped, 2026)
    title, url = EDITIONS[2026]
    origin = Origin(source_id(2026), PUBLISHER, title, "2026", url, "public domain",
                    sha256_file(path), PATHS[2026])
    return Parsed(pd.DataFrame(rows, columns=COLUMNS), (origin,))


def parse_all(source_dir: Path, fix: Fix | None = None) -> Parsed:
    """All four editions under ``source_dir`` (the ``shared/data`` layout)."""
    source_dir = Path(source_dir)
    parts = [parse_world_csvs(source_dir / PATHS[2023], 2023, fix),
             parse_world_csvs(source_dir / PATHS[2024], 2024, fix),
             parse_world_data_2025(source_dir / PATHS[2025], fix),
             parse_commodities_data_2026(source_dir / PATHS[2026], fix)]
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    return Parsed(frame, tuple(o for p in parts for o in p.origins))
