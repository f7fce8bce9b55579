"""USGS annual prices from the Mineral Commodity Summaries salient statistics.

Each ``mcs2025-<code>_salient.csv`` (UTF-8 with BOM) has ``DataSource, Commodity, Year``
then commodity-specific columns; price columns carry ``Price`` in their name
(``Price_High-purity_dkg``, ``Price_LME_ctslb``, ``Stones_Price_Imports_mct``). The
companion ``_meta.xml`` (FGDC) defines every column: ``attrdef`` says what is priced and
which years are estimated, ``attrunit`` gives the unit. Both are read; a price column with
no definition in its metadata is an error rather than a guess.

- ``price_usd_per_t`` is derived from ``attrunit`` (dollars or cents per metric ton,
  short ton, kilogram, gram, pound, troy ounce, flask of 34.5 kg). Units that are not a
  mass (carats, an index) stay unconverted (null). USGS "ton" in MCS means metric ton.
- ``estimated`` follows the metadata's own words: "Data are estimated for the most recent
  year", "... for 2023 and the most recent year", "... for all years".
- Text values (W withheld, NA, ranges like "500–17,000", prose) are not prices and are
  skipped; they stay visible in the ``us_salient`` table.
- ``mineral`` is the file's commodity, or the element a column names where a file prices
  several (PGM: Platinum, Palladium...; rare earths: Nd2O3, Dy2O3...).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError, UnknownMineralError
from critmin.sources.origin import Origin, require_columns, require_file, sha256_file
from critmin.sources.origin import Parsed
from critmin import vocab

SOURCE_ID = "usgs-mcs2025-salient"
DIR = "usgs/mcs2025/salient"
LB_PER_T = 1_000_000 / 453.59237
TROY_OZ_PER_T = 1_000_000 / 31.1034768
SHORT_TON_T = 0.90718474
FLASK_KG = 34.5  # a mercury flask

# attrunit (lower case) -> US$ per metric tonne per unit of price
UNIT_FACTORS = {
    "dollars per metric ton": 1.0, "dollars per ton": 1.0, "dollars per tonne": 1.0,
    "dollars per short ton": 1 / SHORT_TON_T,
    "dollars per kilogram": 1000.0, "dollars per gram": 1_000_000.0,
    "dollars per pound": LB_PER_T, "cents per pound": LB_PER_T / 100,
    "dollars per troy ounce": TROY_OZ_PER_T, "dollars per flask": 1000.0 / FLASK_KG,
}
# Column tokens naming an element within a multi-element file.
ELEMENT_TOKENS = {
    "Platinum": "platinum", "Palladium": "palladium", "Rhodium": "rhodium",
    "Ruthenium": "ruthenium", "Iridium": "iridium", "Nd2O3": "neodymium",
    "La2O3": "lanthanum", "CeO2": "cerium", "Dy2O3": "dysprosium", "Eu2O3": "europium",
    "TbO2": "terbium", "Tb4O7": "terbium", "Y2O3": "yttrium", "Pr6O11": "praseodymium",
    "Sm2O3": "samarium", "Mischmetal": "rare_earths", "Hf": "hafnium", "Zircon": "zirconium",
}
# File commodity labels the vocabulary does not spell the same way.
COMMODITY_ALIASES = {
    "Magnesium Metal": "magnesium", "Niobium (Columbium)": "niobium",
    "Nitrogen (Fixed)--Ammonia": "nitrogen", "Quartz Crystal (Industrial)": "quartz",
    "Titanium and Titanium Dioxide": "titanium", "Zirconium and Hafnium": "zirconium",
}
# Unit token at the end of a column label -> unit words, used when the metadata has no
# entry for the label (several 2025 files rename columns between CSV and XML).
TOKEN_UNITS = {
    "dt": "dollars per metric ton", "dkg": "dollars per kilogram", "dg": "dollars per gram",
    "dlb": "dollars per pound", "ctslb": "cents per pound", "dto": "dollars per troy ounce",
    "dtoz": "dollars per troy ounce", "dst": "dollars per short ton", "df": "dollars per flask",
    "dct": "dollars per carat", "mct": "dollars per carat",
}
_NUMBER = re.compile(r"^-?[\d,]*\.?\d+$")


def _meta(path: Path) -> dict[str, tuple[str, str]]:
    """Column label -> (definition, unit) from an FGDC metadata file ({} if absent)."""
    if not path.is_file():
        return {}
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise SourceFormatError(f"USGS salient metadata: {path} is not valid XML ({exc}).") from exc
    out = {}
    for attr in root.iter("attr"):
        label = (attr.findtext("attrlabl") or "").strip()
        if label:
            out[label] = (" ".join((attr.findtext("attrdef") or "").split()),
                          " ".join((attr.findtext(".//attrunit") or "").split()))
    return out


def unit_factor(unit: str) -> tuple[float | None, str]:
    """(US$ per metric tonne per unit of price, note) for a USGS unit text.

    A qualifier after the unit ("of contained beryllium", ", gross weight") is kept as
    the note: the converted price is per tonne *on that basis*. A metric ton unit (mtu)
    is 1 % of a tonne of contained content, i.e. 10 kg.
    """
    text = " ".join(unit.lower().replace("/", " per ").split())
    text = text.replace("dry metric ton unit", "metric ton unit")
    if text.startswith("dollars per metric ton unit"):
        rest = text.removeprefix("dollars per metric ton unit").strip(" ,")
        return 100.0, "mtu = 10 kg of contained content" + (f"; basis: {rest}" if rest else "")
    for key in sorted(UNIT_FACTORS, key=len, reverse=True):
        if text == key or text.startswith(key + " ") or text.startswith(key + ","):
            rest = text.removeprefix(key).strip(" ,")
            return UNIT_FACTORS[key], (f"basis: {rest}" if rest else "")
    return None, f"'{unit}' is not a mass unit; not converted"


def _estimated_years(definition: str, years: list[int]) -> set[int]:
    text = definition.lower()
    if "estimated for all years" in text:
        return set(years)
    m = re.search(r"data are estimated for ([^.]*)", text)
    if not m:
        return set()
    clause = m.group(1)
    out = {int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", clause)}
    if "most recent year" in clause and years:
        out.add(max(years))
    return out


def _mineral(label: str, commodity: str, file: str) -> str:
    for token in re.split(r"[_\-]", label):
        if token in ELEMENT_TOKENS:
            return ELEMENT_TOKENS[token]
    name = COMMODITY_ALIASES.get(commodity.strip(), commodity.strip())
    try:
        return vocab.mineral(name).id
    except UnknownMineralError as exc:
        raise SourceFormatError(f"USGS salient: {file} commodity {commodity!r} is not in the "
                                f"mineral vocabulary ({exc}).") from exc


def parse_file(csv_path: Path, meta_path: Path) -> pd.DataFrame:
    """Price rows of one salient file (no ``source`` column yet)."""
    csv_path = require_file(csv_path, "USGS salient")
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [c.strip() for c in raw.columns]
    require_columns(raw, ("Commodity", "Year"), "USGS salient", csv_path)
    raw = raw[raw["Year"].str.strip() != ""].reset_index(drop=True)  # trailing blank lines
    labels = [c for c in raw.columns if re.search(r"(^|_)Price(_|$)", c)]
    if not labels:
        return pd.DataFrame()
    meta = _meta(meta_path)
    meta_labels = list(meta)
    # When the CSV and the XML list the same number of columns, they are in the same order.
    positional = len(meta_labels) == len(raw.columns)
    years = pd.to_numeric(raw["Year"], errors="coerce")
    if years.isna().any():
        raise SourceFormatError(f"USGS salient: {csv_path} has non-numeric Year values "
                                f"{raw.loc[years.isna(), 'Year'].tolist()}.")
    year_list = [int(y) for y in years]
    commodity = raw["Commodity"].iloc[0]
    rows = []
    for label in labels:
        if label in meta:
            definition, unit = meta[label]
        elif positional and "Price" in meta_labels[list(raw.columns).index(label)]:
            definition, unit = meta[meta_labels[list(raw.columns).index(label)]]
        else:
            definition = f"{label} (no definition in {meta_path.name})"
            unit = TOKEN_UNITS.get(label.rsplit("_", 1)[-1], label.rsplit("_", 1)[-1])
        if "dollar" not in unit.lower() and "cent" not in unit.lower():
            continue  # an index or a quantity, not a price
        factor, note = unit_factor(unit)
        estimated = _estimated_years(definition, year_list)
        mineral = _mineral(label, commodity, csv_path.name)
        for year, value in zip(year_list, raw[label], strict=True):
            text = value.strip()
            if not _NUMBER.match(text):
                continue
            price = float(text.replace(",", ""))
            rows.append({
                "mineral": mineral,
                "series": f"usgs:{mineral}:{label}",
                "description": definition,
                "period": str(year), "year": year, "month": float("nan"),
                "price": price, "unit": unit,
                "price_usd_per_t": price * factor if factor is not None else float("nan"),
                "unit_note": note,
                "frequency": "annual", "estimated": year in estimated,
            })
    return pd.DataFrame(rows)


def parse_salient_prices(directory: Path) -> Parsed:
    """Annual US prices from every ``mcs2025-*_salient.csv`` in ``directory``.

    Returns
    -------
    Parsed
        Columns of table ``prices`` with ``frequency == 'annual'``.
    """
    directory = Path(directory)
    files = sorted(p for p in directory.glob("*_salient.csv"))
    if not files:
        raise SourceFormatError(f"USGS salient: no *_salient.csv files in {directory}. "
                                "Pass --source-dir pointing at the release files.")
    parts = []
    for f in files:
        meta = f.with_name(f.name.replace("_salient.csv", "_meta.xml"))
        part = parse_file(f, meta)
        if not part.empty:
            parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame["source"] = SOURCE_ID
    digest = sha256_file_set(files)
    origin = Origin(
        source=SOURCE_ID, publisher="U.S. Geological Survey",
        title="Mineral Commodity Summaries 2025 Data Release: salient statistics "
              f"(price columns of {len(files)} files)",
        vintage="MCS 2025 (published 2025-01-31; 2020-2024)",
        url="https://doi.org/10.5066/P13XCP3R", licence="public domain",
        sha256=digest, file=f"{directory.name}/*_salient.csv")
    return Parsed(frame, (origin,))


def sha256_file_set(files: list[Path]) -> str:
    """sha256 over ``name  sha256`` lines of every file, sorted: one checksum for a set."""
    import hashlib

    lines = "".join(f"{p.name}  {sha256_file(p)}\n" for p in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()
