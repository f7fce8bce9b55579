"""USITC ITPD-E R02 and DGD 2.1 parsers: units, sector words, checks that reject bad files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from critmin.errors import SourceFormatError
from critmin.sources import dgd, itpde

PAIRS = """exporter_iso3,importer_iso3,year,broad_sector,trade
USA,USA,2015,Manufacturing,3637479.0
IND,USA,2015,Manufacturing,44793.28
USA,IND,2015,Agriculture,1.5
"""
COVERAGE = """iso3,year,broad_sector,n_industries_with_domestic,domestic_trade,n_industries_in_sector
USA,2015,Manufacturing,88,3637479.0,118
IND,2019,Manufacturing,0,0.0,118
"""
DGD = """year,exporter,importer,cntg,col,lang,dist,rta,wto,pta,eia
2015,USA,IND,0.0,0.0,1,9.485149,0.0,1,0.0,0.0
2015,USA,USA,0.0,0.0,1,7.559180,0.0,1,0.0,0.0
2015,AFG,EUN,0.0,0.0,0,8.586575,0.0,0,0.0,0.0
2015,AFG,EUN,0.0,0.0,0,8.586575,0.0,0,0.0,0.0
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def test_itpde_flows_are_stored_in_usd_with_critmin_sector_words(tmp_path):
    parsed = itpde.parse_pairs(_write(tmp_path, "pairs.csv.gz", PAIRS))
    f = parsed.frame.set_index(["exporter", "importer", "sector"])
    assert f.loc[("IND", "USA", "manufacturing"), "flow_usd"] == pytest.approx(44_793.28e6)
    assert f.loc[("USA", "IND", "agriculture"), "flow_usd"] == pytest.approx(1.5e6)
    assert set(parsed.frame["source"]) == {itpde.SOURCE_ID}
    assert parsed.origins[0].licence == "public domain" and len(parsed.origins[0].sha256) == 64


def test_itpde_coverage_counts_industries_with_a_domestic_flow(tmp_path):
    parsed = itpde.parse_coverage(_write(tmp_path, "cov.csv", COVERAGE))
    row = parsed.frame.set_index(["country", "year"]).loc[("USA", 2015)]
    assert (row["domestic_industries_count"], row["industries_count"]) == (88, 118)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("Manufacturing,44793", "Manufactures,44793"), "unknown broad sector"),
    (lambda t: t.replace("44793.28", "-1"), "negative trade"),
    (lambda t: t.replace("2015,Agriculture", "1999,Agriculture"), "outside 2000-2019"),
    (lambda t: t.replace("broad_sector", "sector"), "lacks column"),
    (lambda t: t + "IND,USA,2015,Manufacturing,1.0\n", "repeats"),
])
def test_itpde_rejects_a_malformed_file_naming_the_problem(tmp_path, edit, message):
    with pytest.raises(SourceFormatError, match=message):
        itpde.parse_pairs(_write(tmp_path, "pairs.csv.gz", edit(PAIRS)))


def test_dgd_drops_exact_repeats_and_keeps_log_distance(tmp_path):
    parsed = dgd.parse_dgd(_write(tmp_path, "dgd.csv.gz", DGD))
    f = parsed.frame
    assert len(f) == 3
    row = f.set_index(["exporter", "importer"]).loc[("USA", "IND")]
    assert row["ln_dist_km"] == pytest.approx(9.485149) and row["common_language"] == 1


@pytest.mark.parametrize("edit, message", [
    (lambda t: t + "2015,USA,IND,1.0,0.0,1,9.485149,0.0,1,0.0,0.0\n", "different values"),
    (lambda t: t.replace("2015,USA,IND,0.0", "2015,USA,IND,2.0"), "not 0 or 1"),
    (lambda t: t.replace("9.485149", "13163"), "log of km"),
])
def test_dgd_rejects_conflicting_or_out_of_range_rows(tmp_path, edit, message):
    with pytest.raises(SourceFormatError, match=message):
        dgd.parse_dgd(_write(tmp_path, "dgd.csv.gz", edit(DGD)))


def test_dgd_year_filter_keeps_only_the_panel_years(tmp_path):
    text = DGD + "2012,USA,IND,0.0,0.0,1,9.485149,0.0,1,0.0,0.0\n"
    parsed = dgd.parse_dgd(_write(tmp_path, "dgd.csv.gz", text), years=(2012,))
    assert set(parsed.frame["year"]) == {2012}
