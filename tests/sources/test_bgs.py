"""BGS World Mineral Statistics production series: real files and bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceFormatError
from critmin.sources import bgs
from critmin.store import corrections
from critmin.countries import harmonise_countries


@pytest.fixture(scope="module")
def parsed(shared_data: Path):
    clog = corrections.CorrectionLog()
    out = bgs.parse_bgs(shared_data / bgs.FOLDER, corrections.raw_fixer(clog))
    return out, clog


def test_row_count_and_origin(parsed) -> None:
    out, _ = parsed
    assert len(out.frame) == 23084
    (origin,) = out.origins
    assert origin.source == "bgs-wms" and origin.licence == "BGS attribution"
    assert "14 files" in origin.file


def test_metal_content_series_kept_gross_weight_ignored(parsed) -> None:
    f = parsed[0].frame
    li = f[f["mineral"] == "lithium"]
    assert not li.empty and set(li["basis"]) == {"Li content"}
    # Chile's Li content is the sum of BGS's brine carbonate, brine chloride and other series
    chile = li[(li["code"] == "CHL") & (li["year"] == 2019)].iloc[0]
    assert chile["quantity_t"] == 18948 + 307 + 1639
    assert chile["note"].startswith("sum of BGS series")
    ree = f[f["mineral"] == "rare_earths"]
    assert set(ree["basis"]) == {"REO content"}


def test_kilograms_become_tonnes_for_pgm(parsed) -> None:
    f = parsed[0].frame
    pt = f[(f["mineral"] == "platinum") & (f["code"] == "ZAF") & (f["year"] == 2020)].iloc[0]
    assert pt["unit"] == "kilograms (metal content)"
    assert pt["quantity_t"] == pytest.approx(float(pt["value_text"]) / 1000)


def test_drc_cobalt_2023_and_congo_code_corrected(parsed) -> None:
    f, clog = parsed[0].frame, parsed[1]
    h = harmonise_countries(f, "code", "bgs")
    cobalt = h[(h["mineral"] == "cobalt") & (h["stage"] == "mine") & (h["year"] == 2023)]
    top = cobalt.sort_values("quantity_t", ascending=False).iloc[0]
    assert top["country"] == "COD" and top["quantity_t"] > 100_000
    # BGS codes "Congo" (Brazzaville) COD; the declared correction makes it COG
    congo = h[h["label"] == "Congo"]
    assert not congo.empty and set(congo["country"]) == {"COG"}
    assert "bgs-congo-brazzaville-iso3" in {r["id"] for r in clog.applied}


def test_historical_entities_are_kept(parsed) -> None:
    h = harmonise_countries(parsed[0].frame, "code", "bgs")
    assert {"SUN", "YUG", "CSK", "DDR"} <= set(h["country"])


def test_missing_values_and_nil(parsed) -> None:
    f = parsed[0].frame
    assert (f["flag"] == "NA").sum() > 0 and f.loc[f["flag"] == "NA", "quantity_t"].isna().all()
    assert (f["quantity_t"] == 0).sum() > 0   # "Nil (nothing produced)"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="no BGS_\\*_production.csv.gz"):
        bgs.parse_bgs(tmp_path)


def test_truncated_gzip_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "BGS_cobalt_production.csv.gz"
    path.write_bytes(gzip.compress(b"country_trans,year\n" * 100)[:40])
    with pytest.raises(SourceFormatError, match="truncated or not gzip"):
        bgs.parse_bgs(tmp_path)


def test_unknown_series_is_named(tmp_path: Path) -> None:
    cols = bgs.REQUIRED
    row = {c: "" for c in cols} | {"country_trans": "Chile", "country_iso3_code": "CHL",
                                   "year": "2020-01-01 00:00:00", "quantity": "5",
                                   "units": "tonnes (metric)", "bgs_commodity_trans": "unobtainium",
                                   "sdmx_translation": "Normal value"}
    path = tmp_path / "BGS_unob_production.csv.gz"
    pd.DataFrame([row]).to_csv(path, index=False, compression="gzip")
    with pytest.raises(SourceFormatError, match="'unobtainium | '"):
        bgs.parse_bgs(tmp_path)


def test_ferro_alloy_parts_are_summed_per_country(parsed) -> None:
    f = parsed[0].frame
    cr = f[(f["mineral"] == "chromium") & (f["year"] == 2023)]
    assert cr["basis"].nunique() == 1
    kaz = cr[cr["code"] == "KAZ"].iloc[0]
    assert kaz["quantity_t"] == 1_583_927 + 96_999          # ferro-chrome + ferro-silico-chrome
    assert "ferro-silico-chromium" in kaz["note"]
