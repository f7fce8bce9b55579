"""The atlas-filtered BACI V202601 files (SOURCES.md §7): complete matrices, top links,
raw Comtrade rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceFormatError
from critmin.sources.baci_cma import (
    CODES,
    read_cma_comtrade,
    read_cma_matrix,
    read_cma_top_links,
)

FOLDER = "baci_v202601_cma"


def _cell(frame: pd.DataFrame, exporter: str, importer: str, hs6: str) -> pd.Series:
    hit = frame[(frame["exporter"] == exporter) & (frame["importer"] == importer)
                & (frame["hs6"] == hs6)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_complete_2024_matrix_reproduces_the_spot_checks_of_sources_md(shared_data: Path):
    # SOURCES.md §7 "Spot checks (2024, thousand USD)"; tolerance: rounding to 1 kUSD / 1 t.
    parsed = read_cma_matrix(shared_data / FOLDER / "baci_hs17_2024_30codes.parquet")
    f = parsed.frame
    assert len(f) == 21_723
    assert set(f["coverage"]) == {"complete"}
    assert sorted(f["hs6"].unique()) == sorted(CODES)
    lithium = _cell(f, "CHL", "CHN", "283691")
    assert lithium["value_usd"] == pytest.approx(2_027_528e3, abs=1e3)
    assert lithium["quantity_gross_t"] == pytest.approx(185_820, abs=1)
    for exp, imp, code, kusd in (("ZAF", "CHN", "260200", 1_825_005), ("GIN", "CHN", "260600", 7_589_400),
                                 ("CHN", "DEU", "850511", 513_919), ("TJK", "FRA", "811010", 111_108)):
        assert _cell(f, exp, imp, code)["value_usd"] == pytest.approx(kusd * 1e3, abs=1e3)
    origin = parsed.origins[0]
    assert origin.licence == "Etalab 2.0" and origin.redistributable
    assert "Varcolacus/critical-materials-atlas" in origin.title and "CEPII" in origin.title


def test_the_2022_matrix_is_value_only_and_in_usd(shared_data: Path):
    f = read_cma_matrix(shared_data / FOLDER / "baci_hs17_2022_30codes.csv.gz").frame
    assert len(f) == 23_167
    assert f["quantity_gross_t"].isna().all()
    # USD 6.0 bn, not 6.0 tn: the file's value column is USD despite SOURCES.md's "kUSD".
    assert _cell(f, "CHL", "CHN", "283691")["value_usd"] == pytest.approx(5_995_868_008, rel=1e-9)


def test_top_links_are_flagged_truncated_and_drop_codes_absent_from_hs02(shared_data: Path):
    old = read_cma_top_links(shared_data / FOLDER / "annual_top_links" / "flows_2010.json.gz")
    new = read_cma_top_links(shared_data / FOLDER / "annual_top_links" / "flows_2024.json.gz")
    assert set(old.frame["coverage"]) == set(new.frame["coverage"]) == {"truncated"}
    assert set(old.frame["nomenclature"]) == {"HS02"} and "811292" not in set(old.frame["hs6"])
    assert "811292" in set(new.frame["hs6"])
    assert old.frame["quantity_gross_t"].isna().all()
    assert new.frame["quantity_gross_t"].notna().all()  # only 2024 carries tonnes
    # gallium, germanium and hafnium repeat the same 811292 rows: kept once
    assert not new.frame.duplicated(["exporter", "importer", "hs6"]).any()
    # values are USD in the links (not thousands): CHN->DEU magnets 513,918,501 USD
    assert _cell(new.frame, "CHN", "DEU", "850511")["value_usd"] == 513_918_501


def test_raw_comtrade_rows_drop_exact_duplicates_and_are_not_redistributable(shared_data: Path):
    parsed = read_cma_comtrade(shared_data / FOLDER / "comtrade_raw" / "comtrade_2024.csv.gz")
    assert not parsed.origins[0].redistributable
    # SOURCES.md §7: "about 90,000 rows of each file are exact duplicates"
    assert "90,083 exact duplicate rows of 164,831 dropped" in parsed.origins[0].title
    assert len(parsed.frame) < 164_831 - 90_083 + 1
    assert set(parsed.frame["year"]) == {2024}


def test_a_matrix_with_a_code_outside_the_30_is_refused(tmp_path: Path):
    path = tmp_path / "baci_hs17_2024_30codes.parquet"
    pd.DataFrame({"year": [2024], "exporter": ["CHL"], "importer": ["CHN"], "hs6": ["999999"],
                  "material": ["x"], "value_kusd": [2e7], "qty_t": [1.0]}).to_parquet(path)
    with pytest.raises(SourceFormatError, match="outside the 30"):
        read_cma_matrix(path)


def test_a_matrix_whose_values_are_off_by_a_thousand_is_refused(tmp_path: Path):
    path = tmp_path / "baci_hs17_2022_30codes.csv"
    path.write_text("i,j,cmd,value\nCHL,CHN,283691,5995.0\n")
    with pytest.raises(SourceFormatError, match="USD or thousand USD"):
        read_cma_matrix(path)


def test_a_matrix_missing_a_column_names_it(tmp_path: Path):
    path = tmp_path / "baci_hs17_2022_30codes.csv"
    path.write_text("i,j,value\nCHL,CHN,5995868008\n")
    with pytest.raises(SourceFormatError, match="cmd"):
        read_cma_matrix(path)
