"""USGS MCS world tables (2023-2026): parsers on the real staged files and on bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceFormatError
from critmin.sources import usgs_world
from critmin.store import corrections


@pytest.fixture(scope="module")
def mcs2025(shared_data: Path) -> pd.DataFrame:
    clog = corrections.CorrectionLog()
    return usgs_world.parse_world_data_2025(shared_data / usgs_world.PATHS[2025],
                                            corrections.raw_fixer(clog)).frame


def _one(frame: pd.DataFrame, **eq: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for k, v in eq.items():
        mask &= frame[k] == v
    rows = frame[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_mcs2025_china_gallium_2024_is_750_of_760_tonnes(mcs2025: pd.DataFrame) -> None:
    prod = mcs2025[(mcs2025["table"] == "production") & (mcs2025["mineral"] == "gallium")]
    china = _one(prod, label="China", year=2024)
    world = _one(prod, label="World total (rounded)", year=2024)
    assert china["quantity_t"] == pytest.approx(750.0)   # 750,000 kg
    assert world["quantity_t"] == pytest.approx(760.0)   # 760,000 kg
    assert bool(china["estimated"]) and china["unit"] == "kilograms"
    assert china["stage"] == "refinery" and china["basis"] == "Ga metal (primary)"


def test_mcs2025_drc_cobalt_2024_is_220000_t(mcs2025: pd.DataFrame) -> None:
    prod = mcs2025[(mcs2025["table"] == "production") & (mcs2025["mineral"] == "cobalt")]
    drc = _one(prod, label="Congo (Kinshasa)", year=2024)
    assert drc["quantity_t"] == 220000.0
    assert drc["basis"] == "Co content"


def test_mcs2025_row_counts_and_units(mcs2025: pd.DataFrame) -> None:
    counts = mcs2025.groupby("table").size().to_dict()
    assert counts == {"capacity": 119, "production": 2141, "reserves": 528}
    # thousand metric tons -> t: copper mine production of Chile, 2023 (5,250 kt)
    chile = _one(mcs2025, table="production", mineral="copper", stage="mine", label="Chile", year=2023)
    assert chile["quantity_t"] == pytest.approx(chile["quantity_t"])
    assert chile["unit"] == "thousand metric tons"
    assert chile["quantity_t"] == float(chile["value_text"].replace(",", "")) * 1000
    # million carats -> t at 0.2 g per carat
    diamonds = mcs2025[(mcs2025["mineral"] == "diamond_industrial") & (mcs2025["table"] == "production")]
    row = diamonds[diamonds["label"].str.startswith("World")].iloc[0]
    assert row["quantity_t"] == pytest.approx(float(row["value_text"].replace(",", "")) * 0.2)


def test_mcs2025_reserves_bounds_and_gemanium(mcs2025: pd.DataFrame) -> None:
    res = mcs2025[mcs2025["table"] == "reserves"]
    bounded = res[res["flag"] == ">"]
    assert not bounded.empty and bounded["quantity_t"].notna().all()
    # 'Gemanium' is mapped to germanium; every cell is empty, so it yields no rows (and
    # no unmapped-label error)
    entry = usgs_world.label_map(2025)["Gemanium"]["Primary and secondary refinery production"]
    assert entry["mineral"] == "germanium"
    assert mcs2025[mcs2025["mineral"] == "germanium"].empty


def test_mcs2025_sierra_leone_rutile_unit_is_filled_by_correction(mcs2025: pd.DataFrame) -> None:
    row = _one(mcs2025, table="production", mineral="titanium_concentrates", label="Sierra Leone",
               year=2024)
    assert row["unit"] == "thousand metric tons" and row["quantity_t"] == 60_000.0


def test_mcs2025_without_corrections_fails_on_the_empty_unit(shared_data: Path) -> None:
    with pytest.raises(SourceFormatError, match="unknown unit ''"):
        usgs_world.parse_world_data_2025(shared_data / usgs_world.PATHS[2025])


def test_mcs2024_footnotes_and_units_in_column_names(shared_data: Path) -> None:
    frame = usgs_world.parse_world_csvs(shared_data / usgs_world.PATHS[2024], 2024).frame
    assert len(frame) == 3389
    ga = frame[(frame["mineral"] == "gallium") & (frame["table"] == "production")]
    japan = _one(ga, label="Japane", year=2023)      # footnote 'e' still glued: harmonise strips it
    assert japan["quantity_t"] == 3.0 and japan["unit"] == "kilograms" and bool(japan["estimated"])
    cap = frame[(frame["mineral"] == "gallium") & (frame["table"] == "capacity")]
    assert _one(cap, label="China", year=2023)["quantity_t"] == 1000.0
    # 'e5,000' (estimated footnote before the number) in industrial sand and gravel
    assert (frame["flag"] == "e").sum() >= 10
    # titanium sponge production and pigment capacity from one row, by column qualifier
    ti = frame[frame["mineral"] == "titanium"]
    assert set(ti["stage"]) == {"metal", "chemical"}


def test_mcs2023_every_file_is_read(shared_data: Path) -> None:
    parsed = usgs_world.parse_world_csvs(shared_data / usgs_world.PATHS[2023], 2023)
    assert len(parsed.frame) == 3401
    assert parsed.origins[0].licence == "public domain"
    assert "77 files" in parsed.origins[0].file
    zr = parsed.frame[parsed.frame["mineral"] == "zirconium"]   # mcs2023-zirco-hafni_world.csv
    assert not zr.empty


def test_mcs2026_cp1252_long_format_with_corrections(shared_data: Path) -> None:
    clog = corrections.CorrectionLog()
    frame = usgs_world.parse_commodities_data_2026(shared_data / usgs_world.PATHS[2026],
                                                   corrections.raw_fixer(clog)).frame
    assert len(frame) == 3208
    res = frame[(frame["table"] == "reserves") & (frame["mineral"] == "rare_earths")]
    assert _one(res, label="Brazil", year=2025)["quantity_t"] == 11_000_000.0
    world = _one(res, label="World total", year=2025)
    assert world["quantity_t"] == 75_000_000.0 and world["flag"] == ">"
    applied = {r["id"] for r in clog.applied}
    assert "mcs2026-v1.3-brazil-rare-earth-reserves" in applied
    # "Côte d'Ivoire" survives the Windows-1252 decoding
    assert frame["label"].str.contains("Côte d’Ivoire").any()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="file not found"):
        usgs_world.parse_world_data_2025(tmp_path / "MCS2025_World_Data.csv")
    with pytest.raises(SourceFormatError, match="folder not found"):
        usgs_world.parse_world_csvs(tmp_path / "nope", 2024)


def test_malformed_file_names_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_text("SOURCE,COMMODITY,COUNTRY\nMCS2025,Cobalt,Congo (Kinshasa)\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="lacks column"):
        usgs_world.parse_world_data_2025(path)


def test_unmapped_label_lists_label_and_file(tmp_path: Path) -> None:
    header = ",".join(usgs_world.MCS2025_COLUMNS)
    row = "MCS2025,Unobtainium,Chile,Mine production,metric tons,1,2,,,,,,"
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="Unobtainium | Mine production") as err:
        usgs_world.parse_world_data_2025(path)
    assert "MCS2025_World_Data.csv" in str(err.value)


def test_text_that_is_no_number_is_an_error(tmp_path: Path) -> None:
    header = ",".join(usgs_world.MCS2025_COLUMNS)
    row = "MCS2025,Cobalt,Chile,\"Mine production, cobalt content, estimated\",metric tons,lots,2,,,,,,"
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="cannot read 'lots'"):
        usgs_world.parse_world_data_2025(path)


def test_reserves_overrides_basis_mineral_and_unit(mcs2025: pd.DataFrame) -> None:
    res = mcs2025[mcs2025["table"] == "reserves"]
    # PGM reserves are printed on the palladium rows: they are all PGMs
    zaf = _one(res, label="South Africa", year=2024, mineral="pgm")
    assert zaf["quantity_t"] == 63_000.0 and zaf["basis"] == "PGM content"
    assert res[res["mineral"].isin(["platinum", "palladium"])].empty
    # "(Reserve data is thousand metric tons)" although UNIT_MEAS is metric tons
    mo = _one(res, label="World total (rounded)", mineral="molybdenum", year=2024)
    assert mo["quantity_t"] == 15_000_000.0 and mo["unit"] == "thousand metric tons"
    fe = res[(res["mineral"] == "iron_ore") & (res["label"] == "World total (rounded)")]
    assert set(fe["basis"]) == {"crude ore, gross weight", "Fe content"}
    assert set(fe["unit"]) == {"million metric tons"}


def test_mcs2025_unit_corrections(mcs2025: pd.DataFrame) -> None:
    ilmenite = _one(mcs2025, table="production", mineral="titanium_concentrates",
                    label="World total (ilmenite, rounded)", year=2024)
    assert ilmenite["quantity_t"] == 8_900_000.0
    usa = _one(mcs2025, table="production", mineral="sand_gravel_industrial",
               label="United States", year=2024)
    assert usa["quantity_t"] == 130_000_000.0


def test_label_mapping_is_well_formed() -> None:
    """Every entry names a vocabulary mineral, a stage and a basis, or gives a reason."""
    from critmin import vocab
    from critmin.sources.units import _labels_yaml

    raw = _labels_yaml()
    n = 0
    for edition in ("mcs2023", "mcs2024", "mcs2025", "mcs2026"):
        for commodity, labels in raw[edition].items():
            for label, entry in labels.items():
                n += 1
                where = f"{edition} {commodity} {label!r}"
                if "ignore" in entry:
                    assert len(entry["ignore"]) > 20, where
                    continue
                assert entry["mineral"] in vocab.minerals(), where
                assert vocab.stage(entry["stage"]).value == entry["stage"], where
                assert entry["basis"].strip(), where
                assert entry.get("table", "production") in ("production", "capacity", "reserves"), where
                for key in entry.get("reserves", {}):
                    assert key in ("mineral", "basis", "unit"), where
    assert n > 500


def test_vocabulary_lists_the_usgs_labels_of_each_stage() -> None:
    from critmin import vocab

    rows = vocab.usgs_labels("Rare earths", "mine")
    assert {r["edition"] for r in rows} == {"mcs2023", "mcs2024", "mcs2025", "mcs2026"}
    assert all(r["basis"] == "REO equivalent" for r in rows)
    # every stage a mineral's vocabulary entry declares is one USGS or BGS reports
    for m in vocab.minerals().values():
        for st in m.stages:
            assert vocab.Stage(st)
