"""A store whose only trade release is one country's own reports (like USITC DataWeb).

Gallium refinery: the USA reports its imports (from CHN, JPN) and its exports (to IND,
DEU). India's imports therefore appear only as the USA's exports to India: a partial
matrix. Production exists for 2024 only, so a 2023 baseline cannot be built. Written with
the library's own ``write_store`` (schema, provenance) so the baseline reads a real store.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.sources.origin import Origin
from critmin.store.catalog import TableData, write_store
from critmin.store.schema import conform

REPORTER = "USA"
SOURCE = "usitc-test"


def flows() -> pd.DataFrame:
    # (exporter, importer, value_usd, quantity_t, method): importer reports are
    # "observed", the reporter's exports "mirror"
    cells = [("CHN", "USA", 600.0, 2.0, "observed"), ("JPN", "USA", 300.0, 1.0, "observed"),
             ("USA", "IND", 150.0, 0.5, "mirror"), ("USA", "DEU", 90.0, 0.3, "mirror")]
    rows = [{"mineral": "gallium", "stage": "refinery", "exporter": e, "importer": i,
             "year": y, "hs_code": "811292", "nomenclature": "HS", "value_usd": v,
             "quantity_gross_t": q, "quantity_t": q, "content_factor": 1.0,
             "basis": "gallium content", "factor_assumed": False, "hs_shared": False,
             "method": m, "partial_year": False, "source": SOURCE}
            for y in (2023, 2024) for e, i, v, q, m in cells]
    return conform("flows", pd.DataFrame(rows))


def production() -> pd.DataFrame:
    rows = [{"mineral": "gallium", "stage": "refinery", "country": c, "year": 2024,
             "quantity_t": q, "basis": "gallium content", "estimated": False, "flag": None,
             "edition": 2025, "source": "usgs-test", "label": c, "note": None}
            for c, q in (("CHN", 750.0), ("JPN", 3.0), ("RUS", 5.0), ("WLD", 760.0))]
    return conform("production", pd.DataFrame(rows))


def governance() -> pd.DataFrame:
    scores = {"CHN": -0.4, "JPN": 1.3, "RUS": -0.9, "USA": 0.9, "IND": -0.1, "DEU": 1.4}
    return pd.DataFrame([{"country": c, "year": 2023, "indicator": "mean", "estimate": v,
                          "stddev": None, "nsource": None, "pctrank": None, "label": c,
                          "source": "wgi-test"} for c, v in scores.items()])


ORIGINS = {SOURCE: ("flows", "2025"), "usgs-test": ("production", "2025"),
           "wgi-test": ("governance", "2024")}


def build(path: Path) -> Path:
    """Write the fixture tables with the library's own atomic writer and provenance."""
    origins = {table: tuple(_origin(s, v) for s, (t, v) in ORIGINS.items() if t == table)
               for table in {t for t, _ in ORIGINS.values()}}
    write_store(path, [TableData(name, frame, origins.get(name, ()))
                       for name, frame in (("flows", flows()), ("production", production()), ("governance", governance()))])
    return path


def _origin(source: str, vintage: str) -> Origin:
    return Origin(source=source, publisher="test", title=source, vintage=vintage,
                  url="https://example.org", licence="CC0", sha256="0" * 64,
                  file=f"{source}.csv")
