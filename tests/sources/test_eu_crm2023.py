"""EU CRM 2023 transcription: the quirks SOURCES.md §10 lists are read, not dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.errors import SourceFormatError
from critmin.sources.eu_crm2023 import read_results, read_trade_factors

HEADER = ("material_name,supply_risk,economic_importance,eu_used_stage,eu_stages,"
          "eu_used_supply_primary,supply_risk_primary,eu_used_supply_refined,"
          "supply_risk_refined,si_ei,si_sr,import_reliance_primary,import_reliance_refined,"
          "end_of_life,source_name,publish_year,date_year\n")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "eureport_results.csv"
    path.write_text(HEADER + body)
    return path


def test_shifted_rows_duplicates_and_the_281_percent_cell_are_read_back(tmp_path):
    path = _write(tmp_path, (
        "Cobalt,2.8,6.8,Extraction,E+P,GSonly,2.8,GS+EU,0.5,0.97,0.98,81,1,22,E,2025,2025\n"
        "Strontium,2.6,6.5,Extraction,E,GS+EU,,2.6,,0.98,0.97,0,,0,E,2025,2025\n"
        "LREE,3.7,5.9,Processing,E+P,GS+EU,281%,GS+EU,3.58,,,80,100,1,E,2025,2025\n"
        "Tungsten,1.2,8.7,Processing,E+P,GS+EU,0.5,GS+EU,1.2,0.95,0.96,21,80,42,E,2025,2025\n"
        "Tungsten,1.2,8.7,Processing,E+P,GS+EU,0.5,GS+EU,1.2,0.95,0.96,21,80,42,E,2025,2025\n"
        "Molybdenum,0.8,6.7,Extraction,E+P,GS+EU,0.8,EU,0.2,1.00,1.0,100,100,30,E,2025,2025\n"))
    frame = read_results(path).frame.set_index("material")
    assert len(frame) == 5                                 # tungsten once
    assert frame.loc["Cobalt", "import_reliance_primary_share"] == pytest.approx(0.81)
    assert frame.loc["Cobalt", "eol_rir_share"] == pytest.approx(0.22)
    assert frame.loc["Strontium", "sr_primary"] == 2.6
    assert frame.loc["Strontium", "supply_refined"] is None
    assert "shifted" in frame.loc["Strontium", "note"]
    assert frame.loc["LREE"].isna()["sr_primary"] and "281%" in frame.loc["LREE", "note"]
    assert frame.loc["Molybdenum", "supply_refined"] == "EUonly"


def test_an_unknown_stage_is_an_error(tmp_path):
    path = _write(tmp_path, "X,1,1,Mining,E,GSonly,1,,,1,1,0,,0,E,2025,2025\n")
    with pytest.raises(SourceFormatError, match="eu_used_stage"):
        read_results(path)


@pytest.mark.shared
def test_staged_files_parse_with_their_origin(shared_data):
    res = read_results(shared_data / "eu_crm2023" / "eureport_results.csv")
    assert len(res.frame) == 90                            # 91 rows, tungsten twice
    assert res.origins[0].redistributable and "10.2873/725585" in res.origins[0].title
    t = read_trade_factors(shared_data / "eu_crm2023" / "eureport_tradeparameters.csv")
    assert set(t.frame["scope"]) == {"world", "eu"}
    assert t.frame["t"].between(0.8, 1.5).all()
