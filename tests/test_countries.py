"""Country harmonisation: every label of every staged file maps or is dropped on purpose."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import UnknownCountryError, UnmappedLabelError
from critmin.sources import bgs, usgs_salient, usgs_world
from critmin.store import corrections
from critmin.countries import country, harmonise_countries, iso3_map


@pytest.mark.parametrize(("label", "code"), [
    ("Congo (Kinshasa)", "COD"), ("Burma", "MMR"), ("Korea, Republic of", "KOR"),
    ("Japane", "JPN"), ("Korea, Republic ofe", "KOR"), ("Chinae", "CHN"), ("Belgium8", "BEL"),
    ("World total (rounded)", "WLD"), ("World total (rounded) 10", "WLD"),
    ("Other Countries", "OTH"), ("Other countries (rounded)", "OTH"), ("ZAR", "COD"),
    ("ROM", "ROU"), ("Côte d’Ivoire", "CIV"), ("United States (includes Puerto Rico)", "USA"),
    ("SUN", "SUN"), ("1A0", "XKX"),
])
def test_usgs_wgi_and_bgs_labels(label: str, code: str) -> None:
    assert iso3_map([label], "test")[label] == code


def test_declared_drop_is_none_not_an_error() -> None:
    assert iso3_map(["United States and Canada"], "test") == {"United States and Canada": None}


def test_unmapped_label_lists_label_and_file() -> None:
    with pytest.raises(UnmappedLabelError, match="Atlantis") as err:
        iso3_map(["Chile", "Atlantis"], "usgs/x.csv")
    assert err.value.unmapped == {"usgs/x.csv": ["Atlantis"]}
    assert "countries.yml" in str(err.value)


def test_drc_cobalt_does_not_vanish_in_harmonisation() -> None:
    frame = pd.DataFrame({"label": ["Congo (Kinshasa)", "ZAR", "Other countries", "World total"],
                          "quantity_t": [220000.0, 1.0, 2.0, 3.0]})
    out = harmonise_countries(frame, "label", "test")
    assert out["country"].tolist() == ["COD", "COD", "OTH", "WLD"]


def test_country_lookup_for_users() -> None:
    assert country("Congo (Kinshasa)") == "COD" and country("cod") == "COD"
    with pytest.raises(UnknownCountryError):
        country("World total")


def test_every_usgs_and_bgs_label_maps_or_is_declared(shared_data: Path) -> None:
    fix = corrections.raw_fixer(corrections.CorrectionLog())
    world = usgs_world.parse_all(shared_data, fix).frame
    for edition, part in world.groupby("edition"):
        mapping = iso3_map(part["label"].unique(), usgs_world.PATHS[int(edition)])
        assert len(mapping) == part["label"].nunique()
    dropped = {k for k, v in iso3_map(world["label"].unique(), "usgs").items() if v is None}
    assert dropped == {"United States and Canada"}
    b = bgs.parse_bgs(shared_data / bgs.FOLDER, fix).frame
    codes = iso3_map(b["code"].unique(), "bgs")
    assert all(v is not None for v in codes.values())


def test_every_wgi_and_cepii_code_maps_or_is_declared(shared_data: Path) -> None:
    """The codes the WGI and CEPII parsers join on (ZAR, ROM, TMP, ANT ...)."""
    wgi = pd.read_csv(shared_data / "wgi/wgidataset_2024update_1996_2023.csv", dtype=str,
                      usecols=["code"])["code"]
    dist = pd.read_csv(shared_data / "cepii/geodist_dist_cepii.csv.gz", dtype=str,
                       usecols=["iso_o", "iso_d"])
    geo = pd.read_csv(shared_data / "cepii/geodist_geo_cepii.csv", dtype=str)["iso3"]
    for labels, file in ((wgi, "wgi"), (pd.concat([dist["iso_o"], dist["iso_d"]]), "cepii dist"),
                         (geo, "cepii geo")):
        mapping = iso3_map(labels.dropna().unique(), file)
        assert mapping["ZAR"] == "COD" if "ZAR" in mapping else True
        assert len(mapping) == labels.dropna().nunique()


def test_every_salient_commodity_label_resolves_or_is_declared(shared_data: Path) -> None:
    # parse_salient raises SourceFormatError listing any label it cannot resolve
    parsed = usgs_salient.parse_salient(shared_data, corrections.raw_fixer(corrections.CorrectionLog()))
    assert parsed.frame["mineral"].notna().all()


def test_every_baci_country_code_maps(shared_data: Path) -> None:
    """BACI's numeric country codes (incl. 490 Taiwan, 58 Belgium-Luxembourg) all resolve."""
    from critmin.sources.baci import read_country_codes

    for path in sorted((shared_data / "baci_codes").glob("country_codes_V*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        mapping = read_country_codes(path)
        missing = [c for c in table.iloc[:, 0] if int(c) not in mapping]
        assert not missing, (path.name, missing)
