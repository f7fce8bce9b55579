"""``critmin production``: output formats, provenance, and bad input (exit 2, no traceback)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.store import Store

runner = CliRunner()


@pytest.fixture(params=["snapshot", "source"])
def any_store(request: pytest.FixtureRequest) -> Store:
    """The bundled snapshot (a fresh clone: always runs) and, where ../shared is present,
    the store built from the raw files: both carry the same production rows."""
    return request.getfixturevalue(f"{request.param}_store")


def _run(store: Store, *args: str):
    return runner.invoke(app, ["production", *args, "--store", str(store.path)])


def test_json_has_rows_with_iso3_and_provenance(any_store: Store) -> None:
    result = _run(any_store, "cobalt", "--stage", "mine", "--year", "2024", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    by = {r["country"]: r for r in doc["rows"]}
    assert by["COD"]["quantity_t"] > 200_000 and by["COD"]["source"] == "usgs-mcs2026-world"
    assert {p["source"] for p in doc["provenance"]} == {"usgs-mcs2026-world"}
    assert doc["provenance"][0]["licence"] == "public domain"
    assert len(doc["provenance"][0]["sha256"]) == 64


def test_csv_and_table(any_store: Store) -> None:
    csv = _run(any_store, "Ga", "--year", "2024", "--series", "usgs-mcs2025-world", "-f", "csv")
    assert csv.exit_code == 0 and "CHN" in csv.stdout and "750.0" in csv.stdout
    table = _run(any_store, "rare earths", "--stage", "mine", "--year", "2020")
    assert table.exit_code == 0 and "Sources:" in table.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["cobolt"], "Did you mean 'cobalt'"),
    (["cobalt", "--stage", "smelter"], "stages with data: mine, refinery"),
    (["cobalt", "--stage", "roast"], "not a known stage"),
    (["cobalt", "--year", "1900"], "years with data: 1971-"),
    (["cobalt", "--series", "wiki"], "Accepted: 'default', 'usgs', 'bgs', 'all'"),
    (["dysprosium"], "within 'rare_earths'"),
])
def test_bad_input_exits_2_with_one_clear_message(any_store: Store, args: list[str],
                                                  message: str) -> None:
    result = _run(any_store, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_table_shows_the_newest_years_first(any_store: Store) -> None:
    """The table shows 200 rows at most: a series from 1971 must not hide the latest years."""
    latest = int(any_store.sql("SELECT max(year) AS y FROM production WHERE mineral = 'copper'")
                 ["y"].iloc[0])
    table = _run(any_store, "copper")
    assert table.exit_code == 0, table.output
    rows = [line for line in table.stdout.splitlines() if line.startswith("│")]
    assert rows[0].split("│")[1].strip() == str(latest)
    assert "│ 1971 │" not in table.stdout and "200 of" in table.stdout


def test_rows_are_newest_year_first_in_every_format(snapshot_store: Store) -> None:
    doc = json.loads(_run(snapshot_store, "cobalt", "--stage", "mine", "-f", "json").stdout)
    years = [r["year"] for r in doc["rows"]]
    assert years == sorted(years, reverse=True) and years[0] >= 2024


def test_series_all_keeps_every_release_and_old_source_name_still_works(
        snapshot_store: Store) -> None:
    every = json.loads(_run(snapshot_store, "gallium", "--year", "2023", "--series", "all",
                            "-f", "json").stdout)
    assert len({r["source"] for r in every["rows"]}) > 1
    old = _run(snapshot_store, "gallium", "--year", "2023", "--source", "bgs", "-f", "json")
    assert old.exit_code == 0
    assert {r["source"] for r in json.loads(old.stdout)["rows"]} <= {
        r["source"] for r in every["rows"] if r["source"].startswith("bgs")}
