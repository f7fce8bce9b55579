"""Hypothesis properties of the unit conversions and cell parsing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import SourceFormatError
from critmin.sources.units import from_tonnes, parse_cell, to_tonnes, unit_factors

MASS_UNITS = sorted(u for u, f in unit_factors().items() if f is not None)
VALUES = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False,
                   allow_subnormal=False)


@given(value=VALUES, unit=st.sampled_from(MASS_UNITS))
def test_round_trip(value: float, unit: str) -> None:
    assert math.isclose(from_tonnes(to_tonnes(value, unit), unit), value, rel_tol=1e-12, abs_tol=1e-12)


@given(a=VALUES, b=VALUES, unit=st.sampled_from(MASS_UNITS))
def test_monotone(a: float, b: float, unit: str) -> None:
    lo, hi = sorted((a, b))
    assert to_tonnes(lo, unit) <= to_tonnes(hi, unit)


@given(value=VALUES)
def test_kilograms_are_a_thousandth_of_a_tonne(value: float) -> None:
    assert math.isclose(to_tonnes(value, "kilograms"), value / 1000, rel_tol=1e-12)
    assert math.isclose(to_tonnes(value, "thousand metric tons"), value * 1000, rel_tol=1e-12)
    assert math.isclose(to_tonnes(value, "million metric tons"), value * 1e6, rel_tol=1e-12)


@given(value=VALUES)
def test_a_carat_is_two_tenths_of_a_gram(value: float) -> None:
    assert math.isclose(to_tonnes(value, "million carats"), value * 1e6 * 0.2e-6, rel_tol=1e-12)


@given(value=st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_subnormal=False),
       unit=st.sampled_from(MASS_UNITS))
def test_scaling_is_linear(value: float, unit: str) -> None:
    assert math.isclose(to_tonnes(2 * value, unit), 2 * to_tonnes(value, unit), rel_tol=1e-12)


@given(n=st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_parse(n: int) -> None:
    assert parse_cell(f"{n:,}").value == float(n)
    assert parse_cell(f">{n:,}").flag == ">"


@given(lo=st.integers(0, 10**6), hi=st.integers(0, 10**6))
def test_range_is_the_midpoint_and_estimated(lo: int, hi: int) -> None:
    cell = parse_cell(f"{lo:,}–{hi:,}")
    assert cell.value == (lo + hi) / 2 and cell.flag == "range" and cell.estimated


def test_volumes_are_not_converted() -> None:
    with pytest.raises(SourceFormatError, match="not a unit of mass"):
        to_tonnes(1.0, "million cubic meters")
    with pytest.raises(SourceFormatError, match="unknown unit"):
        to_tonnes(1.0, "bushels")


@given(n=st.integers(min_value=0, max_value=10**9))
def test_kilograms_convert_without_float_noise(n: int) -> None:
    # 18,400 kg is 18.4 t exactly as Python writes it, not 18.400000000000002
    assert to_tonnes(float(n), "kilograms") == n / 1000
