"""Small stores for the flows and baseline tests, built inside the tests (no files)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.sources.origin import Origin
from critmin.store.catalog import Store, TableData, write_store


def origin(source: str, redistributable: bool = True) -> Origin:
    return Origin(source=source, publisher="test", title=f"fixture {source}", vintage="t",
                  url="https://example.org", licence="CC0" if redistributable else "restricted",
                  sha256="0" * 64, file=f"{source}.csv", redistributable=redistributable)


def production_rows(mineral: str, stage: str, year: int, amounts: dict[str, float]) -> pd.DataFrame:
    n = len(amounts)
    return pd.DataFrame({
        "mineral": [mineral] * n, "stage": [stage] * n, "country": list(amounts),
        "year": [year] * n, "quantity_t": list(amounts.values()), "basis": ["Ni content"] * n,
        "estimated": [False] * n, "flag": [None] * n, "edition": [year + 2] * n,
        "source": ["usgs-fixture"] * n, "label": list(amounts), "note": [None] * n,
        "unit": ["metric tons"] * n})


def flow_rows(rows: list[tuple[str, str, float, float, str]], *, mineral: str = "nickel",
              stage: str = "mine", year: int = 2022, source: str = "comtrade-fixture",
              hs: str = "260400") -> pd.DataFrame:
    """rows: (exporter, importer, value_usd, quantity_t, method)."""
    frame = pd.DataFrame(rows, columns=["exporter", "importer", "value_usd", "quantity_t", "method"])
    frame["quantity_t"] = frame["quantity_t"].astype("float64")
    frame["value_usd"] = frame["value_usd"].astype("float64")
    n = len(frame)
    return frame.assign(mineral=mineral, stage=stage, year=year, hs_code=hs, nomenclature="HS",
                        quantity_gross_t=frame["quantity_t"] * 100, content_factor=0.01,
                        basis="nickel content", factor_assumed=[True] * n,
                        hs_shared=[False] * n, partial_year=[False] * n, source=source)


def make_store(path: Path, production: pd.DataFrame, flows: pd.DataFrame,
               countries: list[str]) -> Store:
    dist = pd.DataFrame([(a, b) for a in countries for b in countries],
                        columns=["exporter", "importer"])
    dist["dist_km"] = [500.0 if a == b else 1000.0 + 100 * abs(hash((a, b))) % 9000
                       for a, b in zip(dist["exporter"], dist["importer"])]
    for c in ("distcap_km", "distw_km", "distwces_km"):
        dist[c] = dist["dist_km"]
    for c in ("contig", "comlang_off", "comlang_ethno", "colony", "comcol", "curcol", "col45",
              "smctry"):
        dist[c] = 0
    dist["estimated"] = False
    dist["source"] = "cepii-fixture"
    gdp = pd.DataFrame({"country": countries, "year": 2022,
                        "gdp_usd": [1e12 * (i + 1) for i in range(len(countries))],
                        "label": countries, "source": "wdi-fixture"})
    tables = [TableData("production", production, (origin("usgs-fixture"),)),
              TableData("flows", flows, tuple(origin(s, not s.startswith("comtrade"))
                                              for s in flows["source"].unique())),
              TableData("distances", dist, (origin("cepii-fixture"),)),
              TableData("gdp", gdp, (origin("wdi-fixture"),))]
    write_store(path, tables)
    return Store.open(path)
