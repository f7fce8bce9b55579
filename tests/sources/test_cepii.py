"""CEPII GeoDist (dist_cepii, geo_cepii) and ProTEE 0.1 on the real staged files."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.errors import SourceFormatError
from critmin.sources import cepii


@pytest.fixture(scope="module")
def distances(shared_data) -> pd.DataFrame:
    return cepii.parse_distances(shared_data / cepii.DIST_FILE).frame


@pytest.fixture(scope="module")
def protee(shared_data) -> pd.DataFrame:
    return cepii.parse_protee(shared_data / cepii.PROTEE_FILE).frame


def test_pairs_are_the_published_square_less_the_antilles(distances):
    # 224 x 224 = 50,176 pairs; ANT (Netherlands Antilles, no successor ISO3) is dropped.
    assert len(distances) == 223 * 223 == 49_729
    assert distances["exporter"].nunique() == distances["importer"].nunique() == 223
    assert not distances.duplicated(["exporter", "importer"]).any()


@pytest.mark.parametrize(("old", "iso3"), [("ROM", "ROU"), ("ZAR", "COD"), ("TMP", "TLS"),
                                           ("PAL", "PSE"), ("YUG", "SRB")])
def test_2005_era_codes_are_mapped(distances, old, iso3):
    codes = set(distances["exporter"])
    assert iso3 in codes and old not in codes


def test_yugoslavia_stands_in_for_serbia_and_is_flagged(distances):
    srb = distances[(distances["exporter"] == "SRB") | (distances["importer"] == "SRB")]
    assert srb["estimated"].all()
    assert not distances.loc[~distances.index.isin(srb.index), "estimated"].any()
    assert "MNE" not in set(distances["exporter"])  # not invented


def test_known_distances_and_dummies(distances):
    pair = distances.set_index(["exporter", "importer"])
    assert pair.loc[("ABW", "AFG"), "dist_km"] == pytest.approx(13257.81)
    assert pair.loc[("ABW", "AFG"), "distw_km"] == pytest.approx(13168.22)
    assert pair.loc[("FRA", "DEU"), "contig"] == 1
    assert pair.loc[("FRA", "BEL"), "comlang_off"] == 1
    assert pair.loc[("COD", "BEL"), "colony"] == 1
    assert pair.loc[("COD", "ZMB"), "contig"] == 1
    # Distances are symmetric.
    assert pair.loc[("CHN", "USA"), "dist_km"] == pytest.approx(pair.loc[("USA", "CHN"), "dist_km"])


def test_dot_is_missing_weighted_distance_not_zero(distances, shared_data):
    mac = distances[distances["exporter"] == "MAC"]
    assert mac["distw_km"].isna().all() and mac["dist_km"].notna().all()
    raw = pd.read_csv(shared_data / cepii.DIST_FILE, dtype=str, keep_default_na=False)
    assert (raw["distw"] == ".").sum() == 2215
    kept = raw[(raw["iso_o"] != "ANT") & (raw["iso_d"] != "ANT")]
    assert distances["distw_km"].isna().sum() == (kept["distw"] == ".").sum() > 0


def test_geography_one_row_per_country_with_capital(shared_data):
    geo = cepii.parse_geography(shared_data / cepii.GEO_FILE).frame
    assert geo["country"].is_unique
    row = geo.set_index("country")
    assert row.loc["CIV", "capital"] == "Yamoussoukro"
    assert row.loc["COD", "capital"] == "Kinshasa"
    assert bool(row.loc["AFG", "landlocked"]) and not bool(row.loc["AGO", "landlocked"])


def test_protee_rows_codes_and_documented_values(protee):
    assert len(protee) == 5050
    assert protee["hs6"].str.fullmatch(r"\d{6}").all()
    sigma = protee.set_index("hs6")["sigma"]
    assert sigma["260200"] == pytest.approx(-36.1, abs=0.05)   # Mn ore
    assert sigma["261000"] == pytest.approx(-37.1, abs=0.05)   # Cr ore
    assert sigma["250410"] == pytest.approx(-17.3, abs=0.05)   # natural graphite
    assert sigma["283691"] == pytest.approx(-21.2, abs=0.05)   # Li carbonate
    assert pd.isna(sigma["260500"])                            # Co ores: blank
    assert sigma.isna().sum() == 484
    assert (sigma.dropna() < 0).all()


def test_protee_group_values_are_flagged_imputed(protee):
    row = protee.set_index("hs6")
    assert row.loc["811292", "sigma"] == pytest.approx(-35.64, abs=0.01)
    group = protee[protee["hs6"].between("811221", "811299")]
    assert group["sigma"].round(2).nunique() == 1
    flags = row.loc["811292", ["zero", "positive"]]
    assert row.loc["811292", "imputed"] == bool(flags.any())
    assert not protee.loc[protee["sigma"].isna(), "imputed"].any()
    assert not protee.loc[~protee["zero"] & ~protee["positive"], "imputed"].any()
    assert protee["imputed"].sum() > 0


def test_malformed_dummy_is_rejected(tmp_path):
    path = tmp_path / "dist.csv"
    path.write_text(",".join(cepii.DIST_COLUMNS) + "\nFRA,DEU,2,0,0,0,0,0,0,0,1,1,1,1\n")
    with pytest.raises(SourceFormatError, match="dummy 'contig' holds"):
        cepii.parse_distances(path)


def test_non_numeric_distance_is_rejected(tmp_path):
    path = tmp_path / "dist.csv"
    path.write_text(",".join(cepii.DIST_COLUMNS) + "\nFRA,DEU,1,0,0,0,0,0,0,0,far,1,1,1\n")
    with pytest.raises(SourceFormatError,
                       match=r"column 'dist' holds non-numeric value\(s\) \['far'\]"):
        cepii.parse_distances(path)
