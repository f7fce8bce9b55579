"""IEA Critical Minerals Dataset: mining and refining output by country (sheet "2 Total
supply for key minerals"), base years 2023 (May 2024 Data Explorer) and 2024 (2025 edition).

Read from ``shared/data/chains/iea-critical-minerals-{2024ed,2025ed}/
iea_supply_by_country_long.csv``: the staging's one-to-one flattening of sheet 2 of the
workbook beside it (edition, mineral, stage, country, year, value, unit, value_type),
SOURCES.md §8 and ``chains/README.md`` §3. Licence: the workbook's Notice sheet says
CC BY 4.0, "IEA (2024), Critical Minerals Data Explorer, IEA, Paris"; the copies come from
third-party GitHub repositories (Aryan-More7/critical-minerals-data-cleaning for the 2025
edition, drorrosen/mineral_analysis for 2024), which every Origin names.

Units: kt -> t (x 1,000); the IEA's basis is contained metal (Li, Co, Ni, Cu), battery-grade
graphite and magnet rare earth elements (Nd, Pr, Dy, Tb oxides). "Rest of world" is OTH,
"Total" (and the cobalt block's "Total clean technologies") WLD; "Top 3 share" rows are a
ratio, not output, and are dropped. The base-year column is an estimate, later columns are
projections (``projection`` True).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file

IEA_URL = "https://www.iea.org/data-and-statistics/data-tools/critical-minerals-data-explorer"
FOLDERS = {2025: "chains/iea-critical-minerals-2025ed", 2024: "chains/iea-critical-minerals-2024ed"}
HOSTS = {2025: "github.com/Aryan-More7/critical-minerals-data-cleaning "
               "(b4f2935270afc61575a625d3e1c4806d4d6a57f1)",
         2024: "github.com/drorrosen/mineral_analysis (5b9b53a1311872515dc489b2ccafff82976e2540)"}
FILE = "iea_supply_by_country_long.csv"
COLUMNS = ["edition", "mineral", "stage", "country", "year", "value", "unit", "value_type"]

# (IEA mineral, IEA stage) -> (critmin mineral, critmin stage, basis)
STAGES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("Copper", "Mining"): ("copper", "mine", "Cu content (IEA)"),
    ("Copper", "Refining"): ("copper", "refinery", "refined Cu (IEA)"),
    ("Cobalt", "Mining"): ("cobalt", "mine", "Co content (IEA)"),
    ("Cobalt", "Refining"): ("cobalt", "refinery", "refined Co, metal and chemicals (IEA)"),
    ("Lithium", "Mining"): ("lithium", "mine", "Li content (IEA)"),
    ("Lithium", "Chemicals"): ("lithium", "chemical", "Li content of lithium chemicals (IEA)"),
    ("Nickel", "Mining"): ("nickel", "mine", "Ni content (IEA)"),
    ("Nickel", "Refining"): ("nickel", "refinery", "refined Ni (IEA)"),
    ("Graphite", "Mining (natural)"): ("graphite", "mine", "natural graphite (IEA)"),
    ("Graphite", "Battery grade"): ("graphite", "refinery", "battery-grade graphite (IEA)"),
    ("Magnet rare earth elements", "Mining"): ("rare_earths", "mine",
                                               "magnet REE (Nd, Pr, Dy, Tb) oxide (IEA)"),
    ("Magnet rare earth elements", "Refining"): ("rare_earths", "chemical",
                                                 "magnet REE (Nd, Pr, Dy, Tb) oxide (IEA)"),
}
AGGREGATE_LABELS = {"Rest of world": "OTH", "Total": "WLD", "Total clean technologies": "WLD"}
NOT_OUTPUT = {"Top 3 share"}


def iea_origin(path: Path, edition: int, base_year: int) -> Origin:
    return Origin(
        source=f"iea-cmd-{edition}", publisher="IEA",
        title=(f"IEA Critical Minerals Dataset, {edition} edition (base year {base_year}), "
               f"sheet 2 Total supply for key minerals; copy from {HOSTS.get(edition, '?')}, "
               f"flattened to {path.name}. Cite: IEA, Critical Minerals Data Explorer"),
        vintage=str(edition), url=IEA_URL, licence="CC BY 4.0", sha256=sha256_file(path),
        file=f"{path.parent.name}/{path.name}", redistributable=True)


def read_iea_supply(path: Path) -> Parsed:
    """Country output of one edition, in tonnes.

    Returns
    -------
    Parsed
        mineral, stage (critmin), iea_mineral, iea_stage, country (ISO3, OTH, WLD), year,
        quantity_t, basis, projection, edition, source.

    Raises
    ------
    SourceFormatError
        Missing columns, a unit other than kt, an unknown (mineral, stage) or country.
    """
    from critmin.countries import country

    path = require_file(Path(path), "IEA critical minerals")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    require_columns(raw, COLUMNS, "IEA critical minerals", path)
    raw = raw[~raw["country"].isin(NOT_OUTPUT)]
    bad_unit = sorted(set(raw["unit"]) - {"kt"})
    if bad_unit:
        raise SourceFormatError(f"IEA critical minerals: {path} has unit(s) {bad_unit}; "
                                "output rows are in kt.")
    unknown = sorted({f"{m} / {s}" for m, s in zip(raw["mineral"], raw["stage"], strict=True)
                      if (m, s) not in STAGES})
    if unknown:
        raise SourceFormatError(f"IEA critical minerals: {path} has (mineral / stage) {unknown} "
                                f"that critmin does not map; known: "
                                f"{sorted(f'{m} / {s}' for m, s in STAGES)}.")
    names = {}
    for label in sorted(set(raw["country"])):
        if label in AGGREGATE_LABELS:
            names[label] = AGGREGATE_LABELS[label]
            continue
        try:
            names[label] = country(label)
        except Exception as exc:  # noqa: BLE001
            raise SourceFormatError(f"IEA critical minerals: {path}: country {label!r} is not "
                                    "recognised; map it in data/mappings/countries.yml.") from exc
    years = pd.to_numeric(raw["year"], errors="raise").astype("int64")
    base_year = int(years.min())
    m = re.search(r"(20\d\d)ed", path.parent.name)
    edition = int(m.group(1)) if m else base_year + 1
    origin = iea_origin(path, edition, base_year)
    mapped = [STAGES[(a, b)] for a, b in zip(raw["mineral"], raw["stage"], strict=True)]
    frame = pd.DataFrame({
        "mineral": [x[0] for x in mapped], "stage": [x[1] for x in mapped],
        "iea_mineral": raw["mineral"].to_numpy(), "iea_stage": raw["stage"].to_numpy(),
        "country": raw["country"].map(names).to_numpy(), "year": years.to_numpy(),
        "quantity_t": pd.to_numeric(raw["value"], errors="raise").to_numpy() * 1000.0,
        "basis": [x[2] for x in mapped], "projection": (years != base_year).to_numpy(),
        "edition": edition, "source": origin.source})
    dup = frame.duplicated(["mineral", "stage", "country", "year"])
    if dup.any():
        raise SourceFormatError(f"IEA critical minerals: {path} repeats {int(dup.sum())} "
                                "(mineral, stage, country, year) row(s).")
    frame = frame.sort_values(["mineral", "stage", "year", "country"]).reset_index(drop=True)
    return Parsed(frame, (origin,))


__all__ = ["FOLDERS", "STAGES", "iea_origin", "read_iea_supply"]
