"""Blocs: packaged YAML with sources, user bloc files, resolve() and its errors."""

from __future__ import annotations


import pytest

from critmin.blocs import Bloc, BlocFileError
from critmin.errors import UnknownBlocError
from critmin.countries import valid_iso3

import critmin.blocs as blocs  # noqa: E402


@pytest.fixture(autouse=True)
def no_user_blocs(tmp_path, monkeypatch):
    """Every test starts with an empty user bloc directory and a fresh cache."""
    folder = tmp_path / "user_blocs"
    folder.mkdir()
    monkeypatch.setenv("CRITMIN_BLOCS_DIR", str(folder))
    blocs.clear_cache()
    yield folder
    blocs.clear_cache()


EXPECTED_SIZES = {"G7": 7, "Quad": 4, "EU27": 27, "OECD": 38, "USMCA": 3, "BRICS": 10,
                  "CMM2026": 55, "MSP": 14, "FORGE": 14, "PaxSilica": 9}


def test_every_packaged_bloc_has_its_size_sources_and_valid_iso3():
    found = blocs.blocs()
    assert {name: len(b) for name, b in found.items()} == EXPECTED_SIZES
    for b in found.values():
        assert b.source and b.as_of and b.uncertainty in {"low", "medium", "high"}
        assert set(b.members) <= valid_iso3(), b.name
        assert len(set(b.members)) == len(b.members)


def test_known_memberships():
    assert "COD" in blocs.bloc("CMM2026") and "CHN" not in blocs.bloc("CMM2026")
    assert {"IDN", "ARE", "EGY", "ETH", "IRN"} <= set(blocs.bloc("BRICS").members)
    assert "SAU" not in blocs.bloc("BRICS")  # invited, membership unconfirmed: said in note
    assert "GBR" not in blocs.bloc("EU27") and "HRV" in blocs.bloc("EU27")
    assert {"CRI", "COL", "CHL"} <= set(blocs.bloc("OECD").members)
    assert blocs.bloc("PaxSilica").members[0] == "USA"


def test_uncertain_lists_say_so():
    forge = blocs.bloc("FORGE")
    assert forge.uncertainty == "high" and "ASSUMPTION" in forge.note
    assert "India" in blocs.bloc("PaxSilica").note
    assert "ATTENDED" in blocs.bloc("CMM2026").note


def test_bloc_lookup_is_case_insensitive_and_suggests():
    assert blocs.bloc("eu27") is blocs.bloc("EU27")
    with pytest.raises(UnknownBlocError, match="'BRIC' is not a known bloc. Did you mean 'BRICS'"):
        blocs.bloc("BRIC")


def test_resolve_bloc_iso3_name_and_lists():
    assert blocs.resolve("Quad") == ("AUS", "IND", "JPN", "USA")
    assert blocs.resolve("cod") == ("COD",)
    assert blocs.resolve("Democratic Republic of the Congo") == ("COD",)
    assert blocs.resolve(["USMCA", "Japan", "USA"]) == ("USA", "MEX", "CAN", "JPN")
    assert blocs.resolve("G7, China") == (*blocs.bloc("G7").members, "CHN")
    assert blocs.resolve(blocs.bloc("Quad")) == blocs.bloc("Quad").members


def test_resolve_unknown_raises_with_did_you_mean():
    with pytest.raises(UnknownBlocError, match="'Quadd'.*Did you mean 'Quad'.*ISO3 code"):
        blocs.resolve("Quadd")
    with pytest.raises(UnknownBlocError):
        blocs.resolve(" , ")


def test_user_bloc_files_are_loaded_and_may_use_country_names(no_user_blocs):
    (no_user_blocs / "mine.yml").write_text(
        "blocs:\n"
        "  - name: LithiumTriangle\n"
        "    members: [Argentina, BOL, chl]\n"
        "    source: my grouping\n")
    blocs.clear_cache()
    b = blocs.bloc("lithiumtriangle")
    assert isinstance(b, Bloc) and b.members == ("ARG", "BOL", "CHL")
    assert b.origin.endswith("mine.yml")
    assert blocs.resolve("LithiumTriangle,USA") == ("ARG", "BOL", "CHL", "USA")


def test_user_bloc_may_replace_a_packaged_one(no_user_blocs):
    (no_user_blocs / "brics.yml").write_text(
        "blocs:\n  - name: BRICS\n    members: [BRA, RUS, IND, CHN, ZAF, SAU]\n"
        "    source: counting Saudi Arabia\n")
    blocs.clear_cache()
    assert "SAU" in blocs.bloc("BRICS") and blocs.bloc("BRICS").origin.endswith("brics.yml")


@pytest.mark.parametrize(("text", "message"), [
    ("blocs:\n  - name: X\n    members: [FRA, Atlantis]\n    source: s\n", "Atlantis"),
    ("blocs:\n  - name: X\n    members: []\n    source: s\n", "members"),
    ("blocs:\n  - name: X\n    members: [FRA]\n", "source"),
    ("blocs:\n  - name: X\n    members: [FRA, France]\n    source: s\n", "listed twice"),
    ("blocs:\n  - name: X\n    members: [FRA]\n    source: s\n    colour: red\n", "colour"),
    ("blocs: [\n", "cannot be read"),
])
def test_invalid_user_bloc_file_is_a_clear_error(no_user_blocs, text, message):
    path = no_user_blocs / "bad.yml"
    path.write_text(text)
    blocs.clear_cache()
    with pytest.raises(BlocFileError, match=message) as err:
        blocs.blocs()
    assert str(path) in str(err.value)
    assert err.value.exit_code == 2
