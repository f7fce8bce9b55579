"""The mineral vocabulary and stage names."""

import pytest

from critmin.errors import UnknownMineralError, UnknownStageError
from critmin.vocab import Mineral, Stage, group_members, mineral, minerals, stage

# USGS 2025 List of Critical Minerals (Federal Register 90 FR, 7 Nov 2025): 60 minerals,
# matching the "Is critical mineral 2025" column of the MCS 2026 data release.
USGS_2025_CRITICAL = 60


def test_vocabulary_covers_the_usgs_2025_critical_minerals_list():
    critical = [m for m in minerals().values() if m.critical_2025 and not m.is_group]
    assert len(critical) == USGS_2025_CRITICAL


@pytest.mark.parametrize(("text", "mid"), [("cobalt", "cobalt"), ("Ga", "gallium"),
                                           ("Rare earths", "rare_earths"), ("GALLIUM", "gallium")])
def test_mineral_accepts_ids_names_and_symbols(text, mid):
    assert mineral(text).id == mid


def test_unknown_mineral_is_a_clear_error():
    with pytest.raises(UnknownMineralError, match="Did you mean 'cobalt'"):
        mineral("cobalt ore")


def test_mineral_enum_values_are_the_ids():
    assert Mineral.COBALT == "cobalt"
    assert {m.value for m in Mineral} == set(minerals())


@pytest.mark.parametrize(("text", "expected"), [("mine", Stage.MINE), ("refine", Stage.REFINE),
                                                ("Refinery", Stage.REFINE), ("smelt", Stage.SMELT)])
def test_stage_aliases(text, expected):
    assert stage(text) is expected


def test_unknown_stage_lists_the_stages():
    with pytest.raises(UnknownStageError, match="Accepted: chemical, metal, mine, refinery, smelter"):
        stage("roasting")


def test_rare_earth_group_has_the_individual_elements():
    members = group_members("rare_earths")
    assert {"neodymium", "dysprosium", "terbium", "cerium"} <= set(members)
