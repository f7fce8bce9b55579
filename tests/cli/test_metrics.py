"""``critmin concentration``, ``exposure`` and ``risk`` through the CLI runner."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli import app

runner = CliRunner()
_FIXTURE = Path(__file__).resolve().parents[1] / "metrics" / "store_fixture.py"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> str:
    spec = importlib.util.spec_from_file_location("metrics_store_fixture", _FIXTURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.build(tmp_path_factory.mktemp("cli-metrics") / "critmin.duckdb"))


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_concentration_json_uses_the_documented_field_names(store_path):
    doc = _json(runner.invoke(app, ["concentration", "gallium", "--stage", "refinery",
                                    "--year", "2024", "--format", "json",
                                    "--store", store_path]))
    row = doc["rows"][0]
    for field in ("mineral", "stage", "year", "hhi", "cr1_share", "cr3_share", "top_country",
                  "n_producers", "n_minus_1_cover_share", "hhi_wgi"):
        assert field in row
    assert row["top_country"] == "CHN" and row["cr1_share"] == pytest.approx(750 / 760)
    assert {p["source"] for p in doc["provenance"]} >= {"usgs-mcs2025-world", "wgi-2024"}
    assert doc["thresholds"] == {"cr1_share": 0.65, "hhi": 1800.0}


def test_concentration_without_mineral_covers_all_sorted_by_hhi(store_path):
    doc = _json(runner.invoke(app, ["concentration", "--format", "json", "--store", store_path]))
    hhi = [r["hhi"] for r in doc["rows"]]
    assert hhi == sorted(hhi, reverse=True)
    assert {r["mineral"] for r in doc["rows"]} == {"cobalt", "gallium", "graphite"}
    # the overview is the latest year of each mineral-stage, not every year mixed together
    keys = [(r["mineral"], r["stage"], r.get("basis")) for r in doc["rows"]]
    assert len(keys) == len(set(keys))


def test_all_years_lists_every_year_of_each_mineral_stage(store_path):
    overview = _json(runner.invoke(app, ["concentration", "--format", "json",
                                         "--store", store_path]))["rows"]
    every = _json(runner.invoke(app, ["concentration", "--all-years", "--format", "json",
                                      "--store", store_path]))["rows"]
    assert len(every) > len(overview)
    assert {r["year"] for r in every} > {r["year"] for r in overview}


def test_concentration_table_and_csv(store_path):
    table = runner.invoke(app, ["concentration", "cobalt", "--store", store_path])
    assert table.exit_code == 0 and "Sources:" in table.output and "COD" in table.output
    csv = runner.invoke(app, ["concentration", "cobalt", "--format", "csv",
                              "--store", store_path])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("mineral,stage,year")


def test_share_of_gives_a_time_series_newest_year_first(store_path):
    doc = _json(runner.invoke(app, ["concentration", "Ga", "--stage", "refinery",
                                    "--share-of", "CHN", "--series", "bgs", "--format", "json",
                                    "--store", store_path]))
    assert [r["year"] for r in doc["rows"]] == [2020, 2010]


def test_compare_stages(store_path):
    doc = _json(runner.invoke(app, ["concentration", "cobalt", "--compare-stages",
                                    "--format", "json", "--store", store_path]))
    assert doc["rows"][0]["more_concentrated"] == "refinery"


def test_exposure_json(store_path):
    doc = _json(runner.invoke(app, ["exposure", "USA", "--mineral", "gallium", "--format",
                                    "json", "--store", store_path]))
    row = doc["rows"][0]
    assert row["against_share"] == pytest.approx(0.5)
    assert row["source_hhi"] == pytest.approx(3400)
    assert "import_reliance_share" in row
    assert doc["members"] == ["USA"] and doc["against"] == "CHN"
    assert {p["table"] for p in doc["provenance"]} >= {"flows", "governance"}


def test_exposure_of_a_bloc_against_another_country(store_path):
    doc = _json(runner.invoke(app, ["exposure", "USA,IND", "-m", "gallium", "--against", "JPN",
                                    "--format", "json", "--store", store_path]))
    assert doc["rows"][0]["against_share"] == pytest.approx(20 / 110)


def test_risk_json_lists_published_sr_and_what_is_missing(store_path):
    doc = _json(runner.invoke(app, ["risk", "--format", "json", "--store", store_path]))
    ga = next(r for r in doc["rows"] if r["material"] == "gallium")
    assert ga["sr_published"] == 3.9 and ga["sr_computed"] is None
    assert ga["status"] == "not sourced: IR, EoL-RIR, SI"
    assert any(p["source"] == "eu-crm-2023-table" for p in doc["provenance"])


def test_usgs_nir_recomputes_and_compares(store_path):
    doc = _json(runner.invoke(app, ["exposure", "USA", "--usgs-nir", "--format", "json",
                                    "--store", store_path]))
    row = next(r for r in doc["rows"] if r["year"] == 2024)
    assert row["nir_published"] == pytest.approx(0.76) and row["agrees"] is True
    assert row["nir_computed"] == pytest.approx((11000 - 4500 + 25) / 8500)
    assert row["fig2_share"] == pytest.approx(0.76)
    assert {p["source"] for p in doc["provenance"]} == {"usgs-mcs2025-salient",
                                                         "usgs-mcs2025-trends"}


@pytest.mark.parametrize("args, needle", [
    (["exposure", "IND", "--usgs-nir"], "United States"),
    (["exposure", "USA", "--usgs-nir", "--edition", "2019"], "2025"),
    (["exposure", "Atlantis"], "not a known bloc"),
    (["concentration", "gallium", "--year", "1900"], "2010, 2020, 2022, 2023, 2024"),
    (["concentration", "graphite", "--stage", "refinery"], "Accepted: mine"),
    (["concentration", "lithium"], "cobalt, gallium, graphite"),
    (["concentration", "galium"], "Did you mean 'gallium'"),
    (["concentration", "gallium", "--share-of", "CHN"], "needs a MINERAL and --stage"),
    (["concentration", "gallium", "--cr1-threshold", "65"], "share in [0, 1]"),
    (["exposure", "USA", "--mineral", "cobalt"], "gallium, graphite"),
])
def test_bad_input_is_one_clear_message_and_exit_2(store_path, args, needle):
    result = runner.invoke(app, [*args, "--store", store_path])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output


def test_missing_store_is_exit_1(tmp_path):
    result = runner.invoke(app, ["concentration", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "critmin data build" in result.output


# --- partial coverage: a store holding only the USA's reported trade ----------------------

_PARTIAL = Path(__file__).resolve().parents[1] / "metrics" / "partial_fixture.py"


@pytest.fixture(scope="module")
def partial_path(tmp_path_factory) -> str:
    spec = importlib.util.spec_from_file_location("metrics_partial_fixture", _PARTIAL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.build(tmp_path_factory.mktemp("cli-partial") / "critmin.duckdb"))


def test_exposure_of_a_partly_covered_country_rests_on_the_baseline(partial_path):
    doc = _json(runner.invoke(app, ["exposure", "IND", "--year", "2024", "--format", "json",
                                    "--store", partial_path]))
    row = doc["rows"][0]
    assert row["flow_basis"] == "completed baseline" and row["share_measure"] == "quantity_t"
    assert row["top_source_share"] < 1 and 0 < row["estimated_share"] < 1
    assert row["coverage_share"] == pytest.approx(1 - row["estimated_share"])
    assert "only USA's reported trade" in row["note"]          # full text in JSON
    assert doc["basis"] == "auto" and doc["flow_basis"] == {"completed baseline": 1}


def test_observed_flag_keeps_the_partial_view(partial_path):
    doc = _json(runner.invoke(app, ["exposure", "IND", "--year", "2024", "--observed",
                                    "--format", "json", "--store", partial_path]))
    row = doc["rows"][0]
    assert row["flow_basis"] == "observed, partial" and row["top_source"] == "USA"
    assert row["coverage_share"] is None and doc["basis"] == "observed"


def test_exposure_table_is_short_and_explains_its_codes(partial_path):
    result = runner.invoke(app, ["exposure", "IND", "--store", partial_path],
                           env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "base" in out and "held" in out and "USA-only" in out
    assert "basis: obs =" in out                        # the legend
    assert "figures from the completed baseline" not in out   # notes stay in CSV/JSON
    table = out.split("basis: obs =")[0]
    rows = [line for line in table.splitlines() if "│ IND" in line]
    assert len(rows) == 2                                # one line per row, no wrapping


def test_bad_basis_is_exit_2(partial_path):
    result = runner.invoke(app, ["exposure", "IND", "--basis", "modelled", "--store",
                                 partial_path])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_exposure_series_is_the_against_countrys_share_over_time(snapshot_store):
    """`critmin exposure UNIT --mineral M --series` (issue 10's spelling) is the share of
    --against (China by default) in the unit's imports, year by year, as --share-of."""
    store = str(snapshot_store.path)
    series = _json(runner.invoke(app, ["exposure", "EU27", "-m", "manganese", "--series",
                                       "--format", "json", "--store", store]))
    share_of = _json(runner.invoke(app, ["exposure", "EU27", "-m", "manganese", "--share-of", "CHN",
                                         "--format", "json", "--store", store]))
    assert series["rows"] == share_of["rows"] and len(series["rows"]) > 1
    years = [r["year"] for r in series["rows"] if r["stage"] == "mine"]
    assert years == sorted(years, reverse=True) and years[-1] == 2002
    against = _json(runner.invoke(app, ["exposure", "EU27", "-m", "manganese", "--series", "--against",
                                        "ZAF", "--format", "json", "--store", store]))
    assert against["rows"] != series["rows"] and {r["unit"] for r in against["rows"]} == {"EU27"}
    bad = runner.invoke(app, ["exposure", "EU27", "--series", "--store", store])
    assert bad.exit_code == 2 and "--series needs --mineral" in bad.output
