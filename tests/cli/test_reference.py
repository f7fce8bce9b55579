"""`critmin minerals`, `critmin countries`, `critmin blocs [NAME]` through CliRunner."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.sources.origin import Origin
from critmin.store.catalog import TableData, write_store
from critmin.vocab import minerals

import critmin.blocs as blocs_mod  # noqa: E402

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_user_blocs(tmp_path, monkeypatch):
    monkeypatch.setenv("CRITMIN_BLOCS_DIR", str(tmp_path / "none"))
    blocs_mod.clear_cache()
    yield
    blocs_mod.clear_cache()


def test_minerals_json_lists_the_vocabulary():
    result = runner.invoke(app, ["minerals", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert {r["mineral"] for r in rows} == set(minerals())
    gallium = next(r for r in rows if r["mineral"] == "gallium")
    assert gallium["critical_2025"] is True and gallium["symbol"] == "Ga"


def test_minerals_critical_filters_to_the_usgs_list():
    result = runner.invoke(app, ["minerals", "--critical", "--format", "csv"])
    assert result.exit_code == 0
    from io import StringIO
    frame = pd.read_csv(StringIO(result.stdout))
    expected = {m.id for m in minerals().values() if m.critical_2025}
    assert set(frame["mineral"]) == expected and frame["critical_2025"].all()


def test_blocs_lists_every_bloc_with_source():
    result = runner.invoke(app, ["blocs", "--format", "json"])
    assert result.exit_code == 0
    rows = {r["bloc"]: r for r in json.loads(result.stdout)["rows"]}
    assert set(rows) == set(blocs_mod.blocs())
    assert rows["CMM2026"]["members"] == 55 and "State" in rows["CMM2026"]["source"]


def test_bloc_members_with_names_and_note():
    result = runner.invoke(app, ["blocs", "quad", "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [r["country"] for r in doc["rows"]] == ["AUS", "IND", "JPN", "USA"]
    assert doc["rows"][1]["name"] == "India"
    assert doc["bloc"] == "Quad" and doc["source"]


def test_bloc_table_output_shows_source_and_uncertainty():
    result = runner.invoke(app, ["blocs", "FORGE"])
    assert result.exit_code == 0
    assert "Uncertainty: high" in result.output and "ASSUMPTION" in result.output


def test_unknown_bloc_exits_2_with_did_you_mean():
    result = runner.invoke(app, ["blocs", "G8"])
    assert result.exit_code == 2
    assert "'G8' is not a known bloc" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["blocs", "BRIC"])
    assert "Did you mean 'BRICS'" in result.output


def _origin(source: str) -> Origin:
    return Origin(source=source, publisher="Test", title="t", vintage="v", url="u",
                  licence="CC0", sha256="0" * 64, file="f")


def test_countries_lists_which_tables_mention_each_code(tmp_path):
    store = tmp_path / "s.duckdb"
    gdp = pd.DataFrame({"country": ["COD", "FRA"], "year": [2022, 2022],
                        "gdp_usd": [6.5e10, 2.8e12], "label": ["COD", "FRA"], "source": "x"})
    dist = pd.DataFrame({"exporter": ["FRA"], "importer": ["DEU"], "dist_km": [880.0],
                         "distcap_km": [880.0], "distw_km": [800.0], "distwces_km": [790.0],
                         **{c: [0] for c in ("contig", "comlang_off", "comlang_ethno", "colony",
                                             "comcol", "curcol", "col45", "smctry")},
                         "estimated": [False], "source": "y"})
    write_store(store, [TableData("gdp", gdp, (_origin("x"),)),
                        TableData("distances", dist, (_origin("y"),))])
    result = runner.invoke(app, ["countries", "--store", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["country"]: r for r in json.loads(result.stdout)["rows"]}
    assert rows["FRA"]["tables"] == "distances, gdp"
    assert rows["COD"]["tables"] == "gdp" and rows["COD"]["name"].startswith("DR Congo")
    assert rows["DEU"]["tables"] == "distances"


def test_countries_without_a_store_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["countries", "--store", str(tmp_path / "missing.duckdb")])
    assert result.exit_code == 1
    assert "No store at" in result.output and "Traceback" not in result.output


def test_countries_json_carries_the_provenance_of_the_tables(tmp_path):
    store = tmp_path / "s.duckdb"
    gdp = pd.DataFrame({"country": ["COD"], "year": [2022], "gdp_usd": [6.5e10],
                        "label": ["COD"], "source": "x"})
    write_store(store, [TableData("gdp", gdp, (_origin("x"),))])
    doc = json.loads(runner.invoke(app, ["countries", "--store", str(store), "-f", "json"]).stdout)
    assert [p["source"] for p in doc["provenance"]] == ["x"]
