"""A small store built inside the tests: production (two USGS editions and BGS),
governance and flows, with provenance, written straight to DuckDB so the fixture does
not depend on the builders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.sources.origin import Origin
from critmin.store.catalog import TableData, write_store
from critmin.store.schema import schema


def _prod(mineral, stage, year, edition, source, rows, basis="content"):
    return [{"mineral": mineral, "stage": stage, "country": c, "year": year,
             "quantity_t": q, "basis": basis, "estimated": False, "flag": None,
             "edition": edition, "source": source, "label": c, "note": None}
            for c, q in rows]


def production() -> pd.DataFrame:
    rows = []
    # gallium refinery: MCS2024 reports 2022 and 2023 (est); MCS2025 revises 2023 and adds 2024
    rows += _prod("gallium", "refinery", 2022, 2024, "usgs-mcs2024-world",
                  [("CHN", 540.0), ("JPN", 3.0), ("RUS", 5.0), ("WLD", 550.0)])
    rows += _prod("gallium", "refinery", 2023, 2024, "usgs-mcs2024-world",
                  [("CHN", 590.0), ("JPN", 3.0), ("WLD", 600.0)])
    rows += _prod("gallium", "refinery", 2023, 2025, "usgs-mcs2025-world",
                  [("CHN", 720.0), ("JPN", 3.0), ("RUS", 5.0), ("KOR", 2.0), ("WLD", 730.0)])
    rows += _prod("gallium", "refinery", 2024, 2025, "usgs-mcs2025-world",
                  [("CHN", 750.0), ("JPN", 3.0), ("RUS", 5.0), ("OTH", 2.0), ("WLD", 760.0)])
    rows += _prod("gallium", "refinery", 2010, 2024, "bgs-wms",
                  [("CHN", 120.0), ("DEU", 30.0), ("JPN", 10.0), ("KAZ", 20.0)])
    rows += _prod("gallium", "refinery", 2020, 2024, "bgs-wms",
                  [("CHN", 300.0), ("JPN", 5.0), ("RUS", 5.0)])
    # graphite mine and a refinery stage-free mineral
    rows += _prod("graphite", "mine", 2024, 2025, "usgs-mcs2025-world",
                  [("CHN", 1_270_000.0), ("MDG", 100_000.0), ("MOZ", 75_000.0),
                   ("BRA", 68_000.0), ("OTH", 87_000.0), ("WLD", 1_600_000.0)])
    rows += _prod("cobalt", "mine", 2024, 2025, "usgs-mcs2025-world",
                  [("COD", 220_000.0), ("IDN", 28_000.0), ("RUS", 8_700.0), ("AUS", 3_600.0),
                   ("WLD", 290_000.0)])
    rows += _prod("cobalt", "refinery", 2024, 2025, "usgs-mcs2025-world",
                  [("CHN", 200_000.0), ("FIN", 14_000.0), ("CAN", 4_000.0), ("WLD", 230_000.0)])
    rows += _prod("cobalt", "mine", 2024, 2025, "usgs-mcs2025-world",
                  [("USA", 300.0)])
    return pd.DataFrame(rows)


def governance() -> pd.DataFrame:
    scores = {"CHN": -0.4, "JPN": 1.3, "RUS": -0.9, "KOR": 0.9, "DEU": 1.4, "KAZ": -0.3,
              "MDG": -0.6, "MOZ": -0.8, "BRA": -0.3, "COD": -1.6, "IDN": -0.1, "AUS": 1.4,
              "FIN": 1.8, "CAN": 1.4, "USA": 0.9, "IND": -0.1}
    rows = []
    for year in (2021, 2022, 2023):
        for c, v in scores.items():
            rows.append({"country": c, "year": year, "indicator": "mean", "estimate": v,
                         "stddev": None, "nsource": None, "pctrank": None, "label": c,
                         "source": "wgi-2024"})
    return pd.DataFrame(rows)


def flows() -> pd.DataFrame:
    rows = [("CHN", "USA", 50.0, 5.0, "observed"), ("JPN", "USA", 20.0, 2.0, "observed"),
            ("DEU", "USA", 10.0, 1.0, "observed"), ("CHN", "IND", 30.0, 3.0, "observed"),
            ("USA", "IND", 5.0, 0.5, "observed"), ("IND", "USA", 20.0, 2.0, "estimated")]
    out = [{"mineral": "gallium", "stage": "refinery", "exporter": e, "importer": i,
            "year": 2023, "value_usd": v, "quantity_t": q, "source": "baci-test",
            "method": m} for e, i, v, q, m in rows]
    out += [{"mineral": "graphite", "stage": "mine", "exporter": "CHN", "importer": "USA",
             "year": 2023, "value_usd": 80.0, "quantity_t": 40.0, "source": "baci-test",
             "method": "observed"},
            {"mineral": "graphite", "stage": "mine", "exporter": "MOZ", "importer": "USA",
             "year": 2023, "value_usd": 20.0, "quantity_t": 10.0, "source": "baci-test",
             "method": "observed"}]
    return pd.DataFrame(out)


def us_salient() -> pd.DataFrame:
    # MCS 2025 cobalt salient cells, as published
    cells = {2023: {"USprod_Mine_t": "500", "USprod_Secondary_t": "2030", "Imports_t": "9500",
                    "Exports_t": "5110", "Consump_Apparent_t": "6440",
                    "Stocks_Industry_t": "925", "NIR_pct": "69"},
             2024: {"USprod_Mine_t": "300", "USprod_Secondary_t": "2000", "Imports_t": "11000",
                    "Exports_t": "4500", "Consump_Apparent_t": "8500",
                    "Stocks_Industry_t": "900", "NIR_pct": "76"}}
    rows = [{"mineral": "cobalt", "year": y, "statistic": c.rsplit("_", 1)[0],
             "value": float(v), "unit": "", "flag": None, "estimated": y == 2024,
             "edition": 2025, "source": "usgs-mcs2025-salient", "commodity": "Cobalt",
             "column": c, "description": "", "value_text": v}
            for y, row in cells.items() for c, v in row.items()]
    return pd.DataFrame(rows)


def us_nir() -> pd.DataFrame:
    return pd.DataFrame([{"mineral": "cobalt", "year": 2024, "nir_share": 0.76, "bound": None,
                          "flag": None, "edition": 2025, "source": "usgs-mcs2025-trends",
                          "commodity": "COBALT, metal, oxides, and salts",
                          "statistic": "Fig. 2 net import reliance", "note": ""}])


ORIGINS = {
    "usgs-mcs2024-world": ("production", "2024"), "usgs-mcs2025-world": ("production", "2025"),
    "bgs-wms": ("production", "2023"), "wgi-2024": ("governance", "2024"),
    "baci-test": ("flows", "V202501"), "usgs-mcs2025-salient": ("us_salient", "2025"),
    "usgs-mcs2025-trends": ("us_nir", "2025"),
}


def build(path: Path) -> Path:
    """Write the fixture tables with the library's own atomic writer and provenance."""
    origins = {table: tuple(_origin(s, v) for s, (t, v) in ORIGINS.items() if t == table)
               for table in {t for t, _ in ORIGINS.values()}}
    write_store(path, [TableData(name, _complete(name, frame), origins.get(name, ()))
                       for name, frame in (("production", production()), ("governance", governance()), ("flows", flows()), ("us_salient", us_salient()), ("us_nir", us_nir()))])
    return path


def _complete(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The fixture rows plus the schema's other columns, empty (False for flags)."""
    extra = {c.name: (False if c.dtype == "bool" else None)
             for c in schema(table) if c.name not in frame.columns}
    return frame.assign(**extra)


def _origin(source: str, vintage: str) -> Origin:
    return Origin(source=source, publisher="test", title=source, vintage=vintage,
                  url="https://example.org", licence="CC0", sha256="0" * 64,
                  file=f"{source}.csv")
