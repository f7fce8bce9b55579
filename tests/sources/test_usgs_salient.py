"""USGS salient statistics and net import reliance: real files, quirks, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceFormatError, UnknownMineralError
from critmin.sources import usgs_salient
from critmin.store import corrections


@pytest.fixture(scope="module")
def salient(shared_data: Path):
    return usgs_salient.parse_salient(shared_data, corrections.raw_fixer(corrections.CorrectionLog()))


@pytest.fixture(scope="module")
def nir(shared_data: Path, salient) -> pd.DataFrame:
    return usgs_salient.parse_nir(shared_data, salient).frame


def test_row_counts_per_edition(salient) -> None:
    assert salient.frame.groupby("edition").size().to_dict() == {
        2023: 4560, 2024: 4570, 2025: 4755, 2026: 4768}
    assert {o.source for o in salient.origins} == {
        "usgs-mcs2023-salient", "usgs-mcs2024-salient", "usgs-mcs2025-salient",
        "usgs-mcs2026-salient"}


def test_mcs2025_units_come_from_the_metadata_xml(salient) -> None:
    f = salient.frame
    price = f[(f["edition"] == 2025) & (f["mineral"] == "gallium")
              & (f["column"] == "Price_High-purity_dkg") & (f["year"] == 2020)].iloc[0]
    assert price["value"] == 596.0
    assert price["statistic"] == "Price_High-purity"
    assert "dollar" in price["unit"].lower()
    assert price["description"]


def test_mcs2023_units_come_from_column_tokens(salient) -> None:
    f = salient.frame
    lme = f[(f["edition"] == 2023) & (f["mineral"] == "cobalt") & (f["column"] == "Price_LME_dlb")]
    assert lme.set_index("year").loc[2018, "value"] == 32.94
    assert set(lme["unit"]) == {"dollars per pound"}
    assert bool(lme.set_index("year").loc[2022, "estimated"])   # latest year is an estimate


def test_file_name_quirks_are_read(salient) -> None:
    f = salient.frame
    assert not f[(f["edition"] == 2023) & (f["mineral"] == "tellurium")].empty  # mcs2023tellu
    assert not f[(f["edition"] == 2024) & (f["mineral"] == "bismuth")].empty    # MCS2024-bismu
    assert not f[(f["edition"] == 2024) & (f["mineral"] == "aluminum")].empty   # mcs2024-alum


def test_mislabelled_salient_files_are_declared_not_read(salient) -> None:
    f = salient.frame
    # mcs2024-cobal_salient.csv holds a world table: declared in usgs_labels.yml, not read
    assert f[(f["edition"] == 2024) & (f["mineral"] == "cobalt")].empty


def test_mcs2026_minus_sign_lost_in_cp1252_is_corrected(salient) -> None:
    f = salient.frame
    rows = f[(f["edition"] == 2026) & (f["mineral"].isin(["niobium", "tantalum"]))
             & (f["statistic"] == "Shipment: Shipments from Government stockpile") & (f["year"] == 2021)]
    assert sorted(rows["value"]) == [-10.0, -1.0]


def test_nir_is_a_share_with_bound(nir: pd.DataFrame) -> None:
    assert nir["nir_share"].dropna().between(0, 1).all()
    assert set(nir["bound"].dropna()) <= {">", "<", "E"}
    ga = nir[(nir["mineral"] == "gallium") & (nir["year"] == 2024) & (nir["edition"] == 2025)]
    assert set(ga["nir_share"]) == {1.0}
    fig2 = nir[nir["source"] == "usgs-mcs2025-trends"]
    bauxite = fig2[(fig2["commodity"] == "Aluminum (bauxite)")].iloc[0]
    assert bauxite["nir_share"] == 0.75 and bauxite["bound"] == ">"
    exporters = nir[nir["bound"] == "E"]
    assert not exporters.empty and exporters["nir_share"].isna().all()


def test_fig2_labels_with_qualifiers_resolve() -> None:
    assert usgs_salient.commodity_mineral("GALLIUM, metal") == "gallium"
    assert usgs_salient.commodity_mineral("RARE EARTHS, compounds and metals") == "rare_earths"
    assert usgs_salient.commodity_mineral("Graphite (natural)") == "graphite"
    assert usgs_salient.commodity_mineral("NEPHELINE SYENITE") == "feldspar"
    assert usgs_salient.commodity_mineral("Xenon") is None   # declared ignored
    with pytest.raises(UnknownMineralError, match="salient_commodities"):
        usgs_salient.commodity_mineral("Unobtainium, metal")


def test_nir_cell() -> None:
    assert usgs_salient.nir_cell(">75") == (0.75, ">", None)
    assert usgs_salient.nir_cell("E") == (None, "E", None)
    assert usgs_salient.nir_cell("W") == (None, None, "W")
    assert usgs_salient.nir_cell("100") == (1.0, None, None)


def test_missing_salient_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="no \\*_salient.csv"):
        usgs_salient.parse_salient_csvs(tmp_path, 2025)


def test_unknown_commodity_in_a_salient_file_names_file_and_label(tmp_path: Path) -> None:
    (tmp_path / "mcs2025-unob_salient.csv").write_text(
        "DataSource,Commodity,Year,Imports_t\nMCS2025,Unobtainium,2024,5\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="Unobtainium") as err:
        usgs_salient.parse_salient_csvs(tmp_path, 2025)
    assert "mcs2025-unob_salient.csv" in str(err.value)


def test_fig2_without_value_column_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "MCS2025_Fig2_Net_Import_Reliance.csv"
    path.write_text("Source,Commodity\nMCS2025,GALLIUM\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="Net_Import_Reliance_pct"):
        usgs_salient.parse_fig2(path, 2025)


def test_mcs2024_shifted_headers_are_corrected(salient) -> None:
    f = salient.frame
    nir = f[(f["edition"] == 2024) & (f["column"].str.startswith("NIR")) & (f["year"] == 2020)]
    by = nir.set_index(["mineral", "column"])["value"]
    assert by[("feldspar", "NIR_Feldspar_pct")] == 9.0        # not 240 (the employment count)
    assert by[("fluorspar", "NIR_pct")] == 100.0              # not 292 (a price)


def test_vocabulary_agrees_with_the_mcs2026_critical_flag(shared_data: Path) -> None:
    """'Is critical mineral 2025' of MCS 2026 vs critical_2025 of minerals.yml.

    Bauxite and titanium mineral concentrates are flagged because aluminum and titanium are
    on the list; the vocabulary notes this and keeps them off the list of 60.
    """
    from critmin import vocab

    frame = pd.read_csv(shared_data / usgs_salient.MCS2026, encoding="cp1252", dtype=str,
                        keep_default_na=False)
    pairs = frame[["Commodity", "Is critical mineral 2025"]].drop_duplicates()
    disagree = set()
    for commodity, flag in pairs.itertuples(index=False):
        mineral = usgs_salient.commodity_mineral(commodity)
        if mineral is None or flag not in ("Yes", "No"):
            continue
        if (flag == "Yes") != vocab.mineral(mineral).critical_2025:
            disagree.add(mineral)
    assert disagree == {"bauxite", "titanium_concentrates"}
    assert sum(m.critical_2025 and not m.is_group for m in vocab.minerals().values()) == 60
