"""USGS Mineral Commodity Summaries salient statistics and US net import reliance (NIR).

- Per-commodity salient CSVs (MCS 2023, 2024, 2025: ``mcs202x-<code>_salient.csv``; file
  names as published, including ``mcs2023tellu_salient.csv``, ``MCS2024-bismu_salient.csv``
  and ``mcs2024-alum_salient.csv``). Columns are ``DataSource, Commodity, Year`` and then one
  column per statistic with its unit in the name (``Price_LME_dlb``). For MCS 2025 the unit
  and definition come from the ``_meta.xml`` beside each CSV.
- MCS 2026 ``MCS2026_Commodities_Data.csv``, section "Salient Statistics—United States".
- Fig. 2 net-import-reliance tables (MCS 2023-2025) and T5 critical-minerals salient tables
  (MCS 2024, 2025).

:func:`parse_salient` gives the long table ``us_salient`` (mineral, year, statistic, value,
unit, flag, ...); :func:`parse_nir` the table ``us_nir`` (NIR as a 0-1 share with a
``bound``: '>' or '<' for "more/less than", 'E' for a net exporter).
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from critmin import vocab
from critmin.errors import SourceFormatError, UnknownMineralError
from critmin.sources.origin import (Origin, Parsed, require_columns, require_file, sha256_file,
                                    sha256_manifest)
from critmin.sources.units import _labels_yaml, parse_cell
from critmin.sources.usgs_world import EDITIONS, PUBLISHER, Fix, read_mcs2026

SALIENT_DIRS = {2023: "usgs/mcs2023/salient", 2024: "usgs/mcs2024/salient",
                2025: "usgs/mcs2025/salient"}
TRENDS_DIRS = {2023: "usgs/mcs2023/industry_trends", 2024: "usgs/mcs2024/industry_trends",
               2025: "usgs/mcs2025/industry_trends"}
MCS2026 = "usgs/mcs2026/MCS2026_Commodities_Data.csv"
_FILE = re.compile(r"(?i)^mcs(?P<ed>\d{4})-?(?P<code>.+)_salient\.csv$")
# Unit tokens at the end of salient column names (MCS 2023/2024 have no metadata here).
UNIT_TOKENS = {
    "t": "metric tons", "kt": "thousand metric tons", "mmt": "million metric tons",
    "kg": "kilograms", "g": "grams", "pct": "percent", "num": "number",
    "dt": "dollars per metric ton", "dkg": "dollars per kilogram", "dlb": "dollars per pound",
    "ctslb": "cents per pound", "dg": "dollars per gram", "dto": "dollars per troy ounce",
    "dtoz": "dollars per troy ounce", "dst": "dollars per short ton", "dct": "dollars per carat",
    "df": "dollars per flask", "mdol": "million dollars", "mct": "million carats",
    "ct": "carats", "mcm": "million cubic meters", "msqft": "million square feet",
}
SALIENT_COLUMNS = ["mineral", "year", "statistic", "value", "unit", "flag", "estimated",
                   "edition", "source", "commodity", "column", "description", "value_text"]
NIR_COLUMNS = ["mineral", "year", "nir_share", "bound", "flag", "edition", "source",
               "commodity", "statistic", "note"]


def salient_source(edition: int) -> str:
    return f"usgs-mcs{edition}-salient"


def trends_source(edition: int) -> str:
    return f"usgs-mcs{edition}-trends"


def _clean(text: object) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ")).strip()


@functools.cache
def _overrides() -> dict[str, object]:
    raw = _labels_yaml().get("salient_commodities") or {}
    return {_clean(k).lower(): v for k, v in raw.items()}


def commodity_mineral(label: str) -> str | None:
    """Mineral id of a USGS commodity label; None for a label declared ignored.

    Tries the declared overrides, then the vocabulary on the whole label, the label without
    its parenthesis and the part before the first comma ("GALLIUM, metal" -> gallium).

    Raises
    ------
    UnknownMineralError
        For a label neither the vocabulary nor ``salient_commodities`` resolves.
    """
    text = _clean(label)
    over = _overrides().get(text.lower())
    if over is not None:
        return None if isinstance(over, dict) else str(over)
    candidates = [text, re.sub(r"\s*\(.*?\)\s*", " ", text).strip(), text.split(",")[0].strip(),
                  re.sub(r"\s*\(.*?\)\s*", " ", text.split(",")[0]).strip()]
    for cand in dict.fromkeys(c for c in candidates if c):
        try:
            return vocab.mineral(cand).id
        except UnknownMineralError:
            continue
    raise UnknownMineralError(label, vocab.minerals().keys(),
                              "Add it to salient_commodities in critmin/data/mappings/"
                              "usgs_labels.yml (a mineral id or {ignore: reason}).")


def _mineral_or_error(label: str, file: str, unknown: dict[str, set[str]]) -> str | None:
    try:
        return commodity_mineral(label)
    except UnknownMineralError:
        unknown.setdefault(file, set()).add(_clean(label))
        return None


def _raise_unknown(unknown: dict[str, set[str]], what: str) -> None:
    if unknown:
        lines = [f"  {f}: {sorted(v)}" for f, v in sorted(unknown.items())]
        raise SourceFormatError(f"{what}: commodity labels the vocabulary does not resolve:\n"
                                + "\n".join(lines) + "\nAdd them to salient_commodities in "
                                "critmin/data/mappings/usgs_labels.yml.")


def read_meta_units(path: Path) -> dict[str, tuple[str, str]]:
    """Column -> (unit, definition) from an MCS 2025 salient ``_meta.xml``."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise SourceFormatError(f"{path}: malformed metadata XML ({exc})") from exc
    out = {}
    for attr in root.iter("attr"):
        label = _clean(attr.findtext("attrlabl") or "")
        if label:
            out[label] = (_clean(attr.findtext("attrunit") or ""),
                          _clean(attr.findtext("attrdef") or ""))
    return out


def _split_column(column: str) -> tuple[str, str]:
    """('Price_LME', 'dollars per pound') from 'Price_LME_dlb'; unit '' if not declared."""
    head, _, token = column.rpartition("_")
    if head and token in UNIT_TOKENS:
        return head, UNIT_TOKENS[token]
    return column, ""


def parse_salient_csvs(folder: Path, edition: int, fix: Fix | None = None) -> Parsed:
    """Every ``mcs<edition>-<code>_salient.csv`` in ``folder`` as long rows; ``fix(frame,
    file)`` applies declared raw corrections first."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if _FILE.match(p.name)) if folder.is_dir() else []
    if not files:
        raise SourceFormatError(f"MCS {edition} salient statistics: no *_salient.csv in {folder}.")
    rows: list[dict] = []
    unknown: dict[str, set[str]] = {}
    for path in files:
        require_file(path, f"MCS {edition} salient statistics")
        try:
            frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise SourceFormatError(f"{path}: not a readable salient CSV ({exc})") from exc
        if path.name in (_labels_yaml().get("salient_files_ignored") or {}):
            continue  # declared: the file holds another table (see usgs_labels.yml)
        if fix is not None:
            frame = fix(frame, f"{SALIENT_DIRS[edition]}/{path.name}")
        frame = frame.loc[:, [c for c in frame.columns if c and not c.startswith("Unnamed")]]
        # MCS 2025 bauxite names the first column "Source" instead of "DataSource"
        frame = frame.rename(columns={"Source": "DataSource"})
        require_columns(frame, ["DataSource", "Commodity", "Year"], f"MCS {edition} salient", path)
        meta_path = path.with_name(path.name.replace("_salient.csv", "_meta.xml"))
        meta = read_meta_units(meta_path) if meta_path.exists() else {}
        frame = frame[frame["Year"].str.strip().str.fullmatch(r"\d{4}")]
        if frame.empty:
            continue
        last_year = int(frame["Year"].astype(int).max())
        for rec in frame.to_dict("records"):
            commodity = _clean(rec["Commodity"])
            mineral = _mineral_or_error(commodity, path.name, unknown) if commodity else None
            if mineral is None:
                continue
            year = int(rec["Year"])
            for col in frame.columns[3:]:
                cell = parse_cell(rec[col], allow_text=True) if _clean(rec[col]) else None
                if cell is None or re.search(r"(?i)notes?$", col):
                    continue
                statistic, unit = _split_column(col)
                description = ""
                if col in meta:
                    unit = meta[col][0] or unit
                    description = meta[col][1]
                rows.append({"mineral": mineral, "year": year, "statistic": statistic,
                             "value": cell.value, "unit": unit, "flag": cell.flag,
                             # MCS marks the latest year of each salient table estimated
                             "estimated": year == last_year or cell.estimated,
                             "edition": edition, "source": salient_source(edition),
                             "commodity": commodity, "column": col,
                             "description": description or None,
                             "value_text": _clean(rec[col])})
    _raise_unknown(unknown, f"MCS {edition} salient statistics")
    title, url = EDITIONS[edition]
    origin = Origin(salient_source(edition), PUBLISHER, title + " (salient statistics CSVs)",
                    str(edition), url, "public domain",
                    sha256_manifest(files),
                    f"{SALIENT_DIRS[edition]}/ ({len(files)} files; sha256 of the name+sha256 manifest)")
    return Parsed(pd.DataFrame(rows, columns=SALIENT_COLUMNS), (origin,))


def parse_salient_2026(path: Path, fix: Fix | None = None) -> Parsed:
    """The "Salient Statistics—United States" rows of the MCS 2026 Commodities Data;
    ``fix(frame, file)`` applies declared raw corrections first."""
    frame = read_mcs2026(path)
    if fix is not None:
        frame = fix(frame, MCS2026)
    part = frame[frame["Section"].str.strip().str.startswith("Salient")]
    rows: list[dict] = []
    unknown: dict[str, set[str]] = {}
    for rec in part.to_dict("records"):
        mineral = _mineral_or_error(rec["Commodity"], Path(path).name, unknown)
        year_text = _clean(rec["Year"])
        if mineral is None or not re.fullmatch(r"\d{4}", year_text):
            continue
        cell = parse_cell(rec["Value"], allow_text=True)
        if cell is None:
            continue
        note = _clean(rec["Notes"])
        detail = _clean(rec["Statistics_detail"])
        rows.append({"mineral": mineral, "year": int(year_text),
                     "statistic": f"{_clean(rec['Statistics'])}: {detail}" if detail else _clean(rec["Statistics"]),
                     "value": cell.value, "unit": _clean(rec["Unit"]), "flag": cell.flag,
                     "estimated": "estimated" in note.lower() or cell.estimated,
                     "edition": 2026, "source": salient_source(2026),
                     "commodity": _clean(rec["Commodity"]), "column": _clean(rec["Statistics"]),
                     "description": note or None, "value_text": _clean(rec["Value"])})
    _raise_unknown(unknown, "MCS 2026 salient statistics")
    title, url = EDITIONS[2026]
    origin = Origin(salient_source(2026), PUBLISHER, title + " (salient statistics rows)", "2026",
                    url, "public domain", sha256_file(Path(path)), MCS2026)
    return Parsed(pd.DataFrame(rows, columns=SALIENT_COLUMNS), (origin,))


def parse_salient(source_dir: Path, fix: Fix | None = None) -> Parsed:
    """``us_salient``: salient statistics of MCS 2023-2026 under ``source_dir``."""
    source_dir = Path(source_dir)
    parts = [parse_salient_csvs(source_dir / SALIENT_DIRS[e], e, fix) for e in (2023, 2024, 2025)]
    parts.append(parse_salient_2026(source_dir / MCS2026, fix))
    return Parsed(pd.concat([p.frame for p in parts], ignore_index=True),
                  tuple(o for p in parts for o in p.origins))


# --- net import reliance -----------------------------------------------------------------

def nir_cell(text: object) -> tuple[float | None, str | None, str | None]:
    """(share 0-1, bound, flag) of a published NIR cell: '>75' -> (0.75, '>', None);
    'E' -> (None, 'E', None) for a net exporter; 'W' -> (None, None, 'W')."""
    cell = parse_cell(text, allow_text=True)
    if cell is None:
        return None, None, None
    if cell.flag == "E":
        return None, "E", None
    if cell.flag in (">", "<", ">=", "<="):
        return cell.value / 100.0, cell.flag[0], None
    if cell.value is None:
        return None, None, cell.flag
    return cell.value / 100.0, None, cell.flag


def _nir_from_salient(salient: pd.DataFrame) -> pd.DataFrame:
    """NIR rows of the salient table: NIR_* columns (2023-2025), 'Net import reliance' (2026).

    Rare earths' MCS 2024 columns read ``NIR_Compounds-Metals_t``: the values are percent
    (100, E) whatever the token says, as every NIR column is.
    """
    is_nir = salient["column"].str.match(r"(?i)^NIR") | (salient["column"] == "Net import reliance")
    part = salient[is_nir]
    rows = []
    for rec in part.to_dict("records"):
        share = None if rec["value"] is None or pd.isna(rec["value"]) else rec["value"] / 100.0
        bound = rec["flag"] if rec["flag"] in (">", "<", "E") else None
        rows.append({"mineral": rec["mineral"], "year": rec["year"],
                     "nir_share": share if bound != "E" else None,
                     "bound": bound[0] if bound in (">", "<") else bound,
                     "flag": None if bound else rec["flag"], "edition": rec["edition"],
                     "source": rec["source"], "commodity": rec["commodity"],
                     "statistic": rec["statistic"], "note": rec["description"]})
    return pd.DataFrame(rows, columns=NIR_COLUMNS)


def parse_fig2(path: Path, edition: int) -> pd.DataFrame:
    """One MCS Fig. 2 net-import-reliance table."""
    path = require_file(path, f"MCS {edition} Fig. 2 net import reliance")
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    value_col = next((c for c in frame.columns if c.startswith("Net_Import_Reliance_pct_")), None)
    require_columns(frame, ["Commodity"], f"MCS {edition} Fig. 2", path)
    if value_col is None:
        raise SourceFormatError(f"{path}: no Net_Import_Reliance_pct_<year> column; found "
                                f"{list(frame.columns)}")
    year = int(value_col.rsplit("_", 1)[-1])
    rows, unknown = [], {}
    for rec in frame.to_dict("records"):
        mineral = _mineral_or_error(rec["Commodity"], path.name, unknown)
        if mineral is None:
            continue
        share, bound, flag = nir_cell(rec[value_col])
        rows.append({"mineral": mineral, "year": year, "nir_share": share, "bound": bound,
                     "flag": flag, "edition": edition, "source": trends_source(edition),
                     "commodity": _clean(rec["Commodity"]), "statistic": "Fig. 2 net import reliance",
                     "note": _clean(rec.get("Notes", "")) or None})
    _raise_unknown(unknown, f"MCS {edition} Fig. 2")
    return pd.DataFrame(rows, columns=NIR_COLUMNS)


def parse_t5(path: Path, edition: int) -> pd.DataFrame:
    """NIR column of the MCS T5 critical-minerals salient table."""
    path = require_file(path, f"MCS {edition} T5 critical minerals salient")
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    require_columns(frame, ["Year", "Critical_mineral", "Net_Import_Reliance"], f"MCS {edition} T5", path)
    rows, unknown = [], {}
    for rec in frame.to_dict("records"):
        mineral = _mineral_or_error(rec["Critical_mineral"], path.name, unknown)
        m = re.match(r"^(\d{4})", _clean(rec["Year"]))
        if mineral is None or m is None:
            continue
        share, bound, flag = nir_cell(rec["Net_Import_Reliance"])
        rows.append({"mineral": mineral, "year": int(m.group(1)), "nir_share": share,
                     "bound": bound, "flag": flag, "edition": edition,
                     "source": trends_source(edition), "commodity": _clean(rec["Critical_mineral"]),
                     "statistic": "T5 net import reliance",
                     "note": "estimated" if "estimated" in rec["Year"] else None})
    _raise_unknown(unknown, f"MCS {edition} T5")
    return pd.DataFrame(rows, columns=NIR_COLUMNS)


def parse_nir(source_dir: Path, salient: Parsed | None = None) -> Parsed:
    """``us_nir``: NIR from the salient tables (all editions), Fig. 2 and T5."""
    source_dir = Path(source_dir)
    salient = salient if salient is not None else parse_salient(source_dir)
    frames = [_nir_from_salient(salient.frame)]
    origins = list(salient.origins)
    for edition, folder in TRENDS_DIRS.items():
        fig2 = source_dir / folder / f"MCS{edition}_Fig2_Net_Import_Reliance.csv"
        t5 = source_dir / folder / f"MCS{edition}_T5_Critical_Minerals_Salient.csv"
        files = [p for p in (fig2, t5) if p.exists()]
        if not fig2.exists():
            raise SourceFormatError(f"MCS {edition} Fig. 2 net import reliance: file not found: {fig2}")
        frames.append(parse_fig2(fig2, edition))
        if t5.exists():
            frames.append(parse_t5(t5, edition))
        title, url = EDITIONS[edition]
        origins.append(Origin(trends_source(edition), PUBLISHER,
                              title + ": Mineral Industry Trends and Salient Statistics (Fig. 2, T5)",
                              str(edition), url, "public domain", sha256_manifest(files),
                              f"{folder}/ ({', '.join(p.name for p in files)})"))
    frame = pd.concat(frames, ignore_index=True)
    used = set(frame["source"])
    return Parsed(frame, tuple(o for o in origins if o.source in used))
