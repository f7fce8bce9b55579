"""The bundled snapshot holds only openly licensed rows, each credited (no ../shared needed)."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.config import SNAPSHOT_DIR

# Licences under which rows may be redistributed in the snapshot. Anything else (UN Comtrade
# terms, Harvard Dataverse terms, "non-commercial", "restricted") must stay out.
OPEN_LICENCES = {"public domain", "CC BY 4.0", "CC0", "Etalab 2.0", "BGS attribution",
                 "Apache-2.0", "MIT"}
NOT_REDISTRIBUTABLE_PREFIXES = ("comtrade-", "atlas-", "harvard-")


@pytest.fixture(scope="module")
def provenance() -> pd.DataFrame:
    return pd.read_parquet(SNAPSHOT_DIR / "provenance.parquet")


def test_every_bundled_table_is_listed_with_an_open_licence(provenance: pd.DataFrame):
    tables = {p.stem for p in SNAPSHOT_DIR.glob("*.parquet")} - {"provenance"}
    assert tables == set(provenance["table"])
    assert provenance["redistributable"].astype(bool).all()
    bad = provenance[~provenance["licence"].isin(OPEN_LICENCES)]
    assert bad.empty, bad[["table", "source", "licence"]].to_string()
    assert not provenance["licence"].str.contains("non-commercial|NC|Comtrade|no redistribution",
                                                  case=False).any()


def test_every_bundled_row_names_a_credited_open_source(provenance: pd.DataFrame):
    notice = (SNAPSHOT_DIR / "NOTICE.md").read_text()
    for table, group in provenance.groupby("table"):
        frame = pd.read_parquet(SNAPSHOT_DIR / f"{table}.parquet")
        if "source" in frame.columns:
            sources = set(frame["source"].dropna())
            assert sources <= set(group["source"]), (table, sources - set(group["source"]))
            assert not any(s.startswith(NOT_REDISTRIBUTABLE_PREFIXES) for s in sources), table
        assert f"## {table}" in notice
        for source in group["source"]:
            assert f"`{source}`" in notice, (table, source)


def test_the_eu_2023_criticality_tables_are_bundled_and_credited(provenance: pd.DataFrame):
    eu = provenance[provenance["table"].isin(["eu_criticality", "eu_trade_factors"])]
    assert set(eu["table"]) == {"eu_criticality", "eu_trade_factors"}
    assert (eu["licence"] == "CC BY 4.0").all()
    assert eu["title"].str.contains("10.2873/725585").all()
    from pathlib import Path

    root_notice = (Path(__file__).resolve().parents[2] / "NOTICE").read_text()
    assert "10.2873/725585" in root_notice and "meyerdata/CritMAT" in root_notice


def test_the_snapshot_stays_compact():
    size = sum(p.stat().st_size for p in SNAPSHOT_DIR.glob("*.parquet"))
    assert size < 10e6, f"{size / 1e6:.1f} MB"
