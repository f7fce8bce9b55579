"""USGS MCS 2026 US import sources: the real file, the store table, markers and bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceFormatError, UnmappedLabelError
from critmin.sources import usgs_imports
from critmin.sources.usgs_imports import form_stage, parse_import_sources
from critmin.store.build import BuildContext
from critmin.store.builders.usgs_imports import build_us_import_sources

HEADER = ["MCS chapter", "Section", "Commodity", "Country", "Statistics", "Statistics_detail",
          "Unit", "Year", "Value", "Notes", "Is critical mineral 2025", "Other notes"]


def _write(root: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A tiny MCS 2026 Commodities Data file (cp1252, en dash in Year, as published).

    rows: (commodity, country, form, value).
    """
    path = root / usgs_imports.MCS2026
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerow(["GALLIUM", "Salient Statistics—United States", "Gallium", "United States",
                    "Import", "Imports for consumption: Metal", "kilograms", "2023", "11,400",
                    "", "Yes", ""])
        for commodity, country, form, value in rows:
            w.writerow([commodity.upper(), "Import Sources", commodity, country,
                        "Import sources 2021-2024", form, "percent", "2021–24", value, "",
                        "Yes", ""])
    return path


GALLIUM = [("Gallium", "Canada", "Metal", "28"), ("Gallium", "Japan", "Metal", "22"),
           ("Gallium", "China", "Metal", "18"), ("Gallium", "Germany", "Metal", "16"),
           ("Gallium", "Other countries", "Metal", "16")]


def test_form_stage_reads_the_published_wording() -> None:
    assert form_stage("gallium", "Metal") == "refinery"
    assert form_stage("germanium", "Germanium dioxide (Ge content)") == "chemical"
    assert form_stage("antimony", "Ore and concentrates") == "mine"
    assert form_stage("chromium", "Ferrochromium") == "smelter"
    assert form_stage("aluminum", "Alumina") == "refinery"  # critmin: aluminum refinery = alumina
    # Forms that mix stages, or scrap, get no stage.
    assert form_stage("rare_earths", "Rare-earth compounds and metals") is None
    assert form_stage("cobalt", "Metal, oxide, and salts") is None
    assert form_stage("tantalum", "Tantalum waste and scrap") is None
    assert form_stage("tungsten", "Ores, concentrates, and other forms") is None
    # A mineral whose traded metal is the 'metal' stage (REE metals, Ti sponge, Si metal).
    assert form_stage("silicon", "Silicon metal") == "metal"


def test_synthetic_file_shares_and_bounds(tmp_path: Path) -> None:
    path = _write(tmp_path, GALLIUM + [("Manganese", "Gabon", "Manganese ore", "99"),
                                       ("Manganese", "Other countries", "Manganese ore", "<1")])
    parsed = parse_import_sources(path)
    f = parsed.frame
    ga = f[f["mineral"] == "gallium"].set_index("label")
    assert ga["share"].to_dict() == pytest.approx({"Canada": 0.28, "Japan": 0.22, "China": 0.18,
                                                   "Germany": 0.16, "Other countries": 0.16})
    assert set(ga["stage"]) == {"refinery"} and set(ga["period"]) == {"2021-24"}
    other = f[(f["mineral"] == "manganese") & (f["label"] == "Other countries")].iloc[0]
    assert other["share"] == 0.01 and other["bound"] == "<"
    assert len(f) == 7  # the salient row is not an import source
    (origin,) = parsed.origins
    assert origin.source == "usgs-mcs2026-import-sources" and origin.vintage == "2026"
    assert origin.licence == "public domain" and len(origin.sha256) == 64


@pytest.fixture()
def no_corrections(monkeypatch: pytest.MonkeyPatch) -> None:
    """The declared raw corrections target rows of the real file (a synthetic file would
    rightly fail the build's 'correction matches no row' check)."""
    from critmin.store import corrections

    monkeypatch.setattr(corrections, "declared", lambda: ())


def test_builder_maps_countries_and_refuses_unmapped_labels(tmp_path: Path,
                                                             no_corrections) -> None:
    _write(tmp_path, GALLIUM)
    table = build_us_import_sources(BuildContext(tmp_path))
    assert table.frame.set_index("country")["share"].to_dict() == pytest.approx(
        {"CAN": 0.28, "JPN": 0.22, "CHN": 0.18, "DEU": 0.16, "OTH": 0.16})
    assert set(table.frame["label"]) >= {"Other countries", "Germany"}
    bad = tmp_path / "bad"
    _write(bad, GALLIUM[:2] + [("Gallium", "Atlantis", "Metal", "50")])
    with pytest.raises(UnmappedLabelError, match="Atlantis"):
        build_us_import_sources(BuildContext(bad))


@pytest.mark.parametrize("value, match", [("W", "not a percentage"), ("150", "outside 0-100")])
def test_bad_share_cells_are_errors(tmp_path: Path, value: str, match: str) -> None:
    path = _write(tmp_path, [("Gallium", "Canada", "Metal", value)])
    with pytest.raises(SourceFormatError, match=match):
        parse_import_sources(path)


def test_unknown_commodity_and_missing_section_are_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, [("Unobtainium", "Canada", "All", "100")])
    with pytest.raises(SourceFormatError, match="Unobtainium"):
        parse_import_sources(path)
    empty = _write(tmp_path / "e", [])
    with pytest.raises(SourceFormatError, match="Import Sources"):
        parse_import_sources(empty)
    with pytest.raises(SourceFormatError, match="not found"):
        parse_import_sources(tmp_path / "missing.csv")


def test_real_file(shared_data: Path) -> None:
    parsed = parse_import_sources(shared_data / usgs_imports.MCS2026)
    f = parsed.frame
    # 720 published rows; 4 belong to commodities usgs_labels.yml declares ignored.
    raw = pd.read_csv(shared_data / usgs_imports.MCS2026, encoding="cp1252", dtype=str)
    assert (raw["Section"] == "Import Sources").sum() == 720
    assert 700 <= len(f) <= 720
    assert f["share"].between(0, 1).all()
    # Each form's published percentages sum to ~100 (rounding; '<1' and '>99' bounds).
    sums = f.groupby(["commodity", "form"])["share"].sum()
    assert sums.between(0.97, 1.03).all(), sums[~sums.between(0.97, 1.03)]
    ga = f[f["mineral"] == "gallium"].set_index("label")["share"]
    assert ga["China"] == 0.18 and ga["Canada"] == 0.28
    ge = f[(f["mineral"] == "germanium") & (f["stage"] == "refinery")]
    assert ge.set_index("label")["share"]["China"] == 0.41
    ree = f[f["mineral"] == "rare_earths"]
    assert ree["all_forms"].all() and ree.set_index("label")["share"]["China"] == 0.71


def test_store_table(source_store) -> None:
    t = source_store.table("us_import_sources")
    assert set(t["source"]) == {"usgs-mcs2026-import-sources"}
    assert t["country"].notna().all() and "OTH" in set(t["country"])
    # The joint rubidium attribution is an unattributed remainder, not a country.
    rb = t[t["mineral"] == "rubidium"]
    assert rb["country"].tolist() == ["OTH"] and rb["label"].iloc[0] == "China, Germany, and Russia"
    prov = source_store.provenance(["us_import_sources"])
    assert prov["source"].tolist() == ["usgs-mcs2026-import-sources"]
