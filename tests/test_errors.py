"""Error messages say what was wrong, show the value and what is accepted."""

import pytest

from critmin.errors import (
    CritminError,
    InputError,
    SolveError,
    UnknownMineralError,
    UnmappedLabelError,
    did_you_mean,
)


def test_unknown_mineral_suggests_the_closest_name_and_lists_accepted():
    err = UnknownMineralError("cobalt ore", ["cobalt", "copper", "gallium"])
    text = str(err)
    assert text.startswith("'cobalt ore' is not a known mineral.")
    assert "Did you mean 'cobalt'?" in text
    assert "Accepted: cobalt, copper, gallium." in text


def test_unknown_name_is_both_a_critmin_error_and_a_key_error():
    err = UnknownMineralError("x", ["a"])
    assert isinstance(err, CritminError)
    assert isinstance(err, InputError)
    assert isinstance(err, KeyError)
    assert isinstance(err, ValueError)
    assert err.exit_code == 2


def test_unmapped_labels_lists_every_label_with_its_file():
    err = UnmappedLabelError({"b.csv": ["Atlantis"], "a.csv": ["Narnia", "Oz"]})
    text = str(err)
    assert "3 country label(s)" in text
    assert text.index("a.csv") < text.index("b.csv")
    assert "'Narnia', 'Oz'" in text and "'Atlantis'" in text


def test_solve_error_carries_diagnostics():
    err = SolveError("no equilibrium", {"iterations": 50, "residual": 1e-2})
    assert err.diagnostics == {"iterations": 50, "residual": 1e-2}
    assert "iterations=50" in str(err)
    assert err.exit_code == 1


@pytest.mark.parametrize(("value", "expected"), [("galium", "gallium"), ("zzz", None)])
def test_did_you_mean(value, expected):
    assert did_you_mean(value, ["gallium", "germanium"]) == expected
