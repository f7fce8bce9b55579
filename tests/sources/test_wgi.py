"""WGI 2024 update: the real staged file, and the quirks SOURCES.md lists."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.errors import SourceFormatError, UnmappedLabelError
from critmin.sources import wgi


@pytest.fixture(scope="module")
def governance(shared_data) -> pd.DataFrame:
    return wgi.parse_wgi(shared_data / wgi.FILE).frame


def test_every_published_estimate_is_kept_with_its_code_mapped(governance, shared_data):
    raw = pd.read_csv(shared_data / wgi.FILE, encoding="utf-8-sig", dtype=str,
                      keep_default_na=False)
    published = raw[(raw["estimate"] != "..") & (raw["code"] != "ANT")]
    six = governance[governance["indicator"] != "mean"]
    assert len(six) == len(published) == 30_914
    assert len(raw) == 32_100  # 214 economies x 25 years x 6 indicators (SOURCES.md)


def test_drc_is_cod_not_zar_so_cobalt_joins_do_not_drop_it(governance):
    cod = governance[(governance["country"] == "COD") & (governance["year"] == 2023)]
    assert set(cod["label"]) == {"ZAR"}
    assert cod.set_index("indicator").loc["cc", "estimate"] == pytest.approx(-1.48)
    assert cod.set_index("indicator").loc["cc", "pctrank"] == pytest.approx(5.2)
    assert "ZAR" not in set(governance["country"])


@pytest.mark.parametrize(("code", "iso3"), [("ROM", "ROU"), ("ADO", "AND"), ("TMP", "TLS"),
                                            ("KSV", "XKX"), ("WBG", "PSE")])
def test_non_iso_wgi_codes_map_to_iso3(governance, code, iso3):
    assert set(governance.loc[governance["label"] == code, "country"]) == {iso3}


def test_netherlands_antilles_is_dropped_on_purpose(governance):
    assert "ANT" not in set(governance["label"])


def test_mean_is_the_average_of_all_six_and_only_where_all_six_exist(governance):
    wide = governance.pivot_table(index=["country", "year"], columns="indicator",
                                  values="estimate")
    complete = wide[["va", "pv", "ge", "rq", "rl", "cc"]].dropna()
    assert wide["mean"].dropna().index.equals(complete.index)
    assert (wide.loc[complete.index, "mean"] - complete.mean(axis=1)).abs().max() < 1e-12
    cod = wide.loc[("COD", 2023)]
    assert cod["mean"] == pytest.approx((-1.48 - 1.69 - 2.04 - 1.67 - 1.41 - 1.21) / 6)
    means = governance[governance["indicator"] == "mean"]
    assert means[["stddev", "pctrank"]].isna().all().all()


def test_biennial_years_before_2002(governance):
    years = set(governance["year"])
    assert {1996, 1998, 2000, 2002, 2023} <= years
    assert not {1997, 1999, 2001} & years


def test_estimates_are_in_the_wgi_range_and_rows_carry_source(governance):
    assert governance["estimate"].between(-3.5, 3.5).all()
    assert (governance["source"] == wgi.SOURCE_ID).all()


def test_origin_records_licence_and_checksum(shared_data):
    origin = wgi.parse_wgi(shared_data / wgi.FILE).origins[0]
    assert origin.licence == "CC BY 4.0"
    assert origin.sha256 == "81693aaa5fe30d7de98fb36bc069136fd45c74547a877ba559441e7e5c4f221d"


HEADER = ("codeindyr,code,countryname,year,indicator,estimate,stddev,nsource,pctrank,"
          "pctranklower,pctrankupper\n")


def test_unmapped_economy_code_is_an_error_naming_it(tmp_path):
    path = tmp_path / "wgi.csv"
    path.write_text(HEADER + "XYZcc2023,XYZ,Atlantis,2023,cc,0.1,0.2,3,50,40,60\n")
    with pytest.raises(UnmappedLabelError, match="'XYZ'"):
        wgi.parse_wgi(path)


def test_unknown_indicator_code_is_rejected(tmp_path):
    path = tmp_path / "wgi.csv"
    path.write_text(HEADER + "FRAxx2023,FRA,France,2023,xx,0.1,0.2,3,50,40,60\n")
    with pytest.raises(SourceFormatError, match=r"unknown indicator code\(s\) \['xx'\]"):
        wgi.parse_wgi(path)


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "wgi.csv"
    path.write_text("code,year\nFRA,2023\n")
    with pytest.raises(SourceFormatError, match="lacks column"):
        wgi.parse_wgi(path)


def test_workbook_edition_parses_like_the_csv(tmp_path):
    rows = [["codeindyr", "code", "countryname", "year", "indicator", "estimate", "stddev",
             "nsource", "pctrank", "pctranklower", "pctrankupper"]]
    for ind, est in zip(("va", "pv", "ge", "rq", "rl", "cc"), (-1.21, -2.04, -1.69, -1.41,
                                                               -1.67, -1.48), strict=True):
        rows.append([f"ZAR{ind}2023", "ZAR", "Congo, Dem. Rep.", "2023", ind, str(est), "0.2",
                     "10", "5", "1", "9"])
    rows.append(["ZARcc2022", "ZAR", "Congo, Dem. Rep.", "2022", "cc", "..", "..", "..", "..",
                 "..", ".."])
    path = tmp_path / "wgidataset.xlsx"
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(path, index=False)
    frame = wgi.parse_wgi(path).frame
    assert set(frame["country"]) == {"COD"} and set(frame["year"]) == {2023}
    mean = frame.set_index("indicator").loc["mean", "estimate"]
    assert mean == pytest.approx(-9.5 / 6)
