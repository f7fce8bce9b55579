"""WDI GDP (current US$): header=0, BOM, aggregates dropped, two re-quoted lines."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.errors import SourceFormatError, UnmappedLabelError
from critmin.sources import worldbank


@pytest.fixture(scope="module")
def gdp(shared_data) -> pd.DataFrame:
    return worldbank.parse_gdp(shared_data / worldbank.FILE).frame


def test_known_values(gdp):
    value = gdp.set_index(["country", "year"])["gdp_usd"]
    assert value[("USA", 2022)] == pytest.approx(25_439_700_000_000, rel=1e-4)
    assert value[("COD", 2022)] == pytest.approx(6.471864e10, rel=1e-6)
    assert value[("ABW", 1986)] == pytest.approx(405_586_592.178771)


def test_requoted_lines_of_venezuela_and_yemen_are_not_lost(gdp):
    value = gdp.set_index(["country", "year"])["gdp_usd"]
    assert value[("VEN", 1960)] == pytest.approx(7_663_938_303.07172)
    assert value[("YEM", 2014)] == pytest.approx(4.322859e10, rel=1e-6)


def test_aggregates_are_dropped_and_countries_kept(gdp):
    assert not set(gdp["label"]) & worldbank.DROPPED
    assert (gdp["year"] == 2022).sum() == 195
    assert gdp["country"].str.fullmatch(r"[A-Z]{3}").all()
    assert gdp["gdp_usd"].gt(0).all()
    assert not gdp.duplicated(["country", "year"]).any()


def test_file_with_the_original_preamble_parses_too(tmp_path):
    path = tmp_path / "gdp.csv"
    path.write_text('\ufeff"Data Source","World Development Indicators",\n\n'
                    '"Last Updated Date","2023-12-18",\n\n'
                    '"Country Name","Country Code","Indicator Name","Indicator Code",'
                    '"2021","2022",\n'
                    '"France","FRA","GDP (current US$)","NY.GDP.MKTP.CD","2.9e12","2.78e12",\n'
                    '"World","WLD","GDP (current US$)","NY.GDP.MKTP.CD","9.7e13","1.0e14",\n')
    frame = worldbank.parse_gdp(path).frame
    assert frame[["country", "year", "gdp_usd"]].values.tolist() == [
        ["FRA", 2021, 2.9e12], ["FRA", 2022, 2.78e12]]


def test_other_indicator_is_rejected(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("Country Name,Country Code,Indicator Name,Indicator Code,2022\n"
                    "France,FRA,Population,SP.POP.TOTL,68000000\n")
    with pytest.raises(SourceFormatError, match="expected only NY.GDP.MKTP.CD"):
        worldbank.parse_gdp(path)


def test_unknown_code_is_an_error_not_a_silent_drop(tmp_path):
    path = tmp_path / "gdp.csv"
    path.write_text("Country Name,Country Code,Indicator Name,Indicator Code,2022\n"
                    "Atlantis,QQQ,GDP (current US$),NY.GDP.MKTP.CD,1\n")
    with pytest.raises(UnmappedLabelError, match="'QQQ'"):
        worldbank.parse_gdp(path)
