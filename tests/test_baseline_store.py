"""Stored baselines (tables baselines, baseline_markets) and market coverage."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flow_fixtures import flow_rows, make_store, production_rows  # noqa: E402

from critmin.baseline import build_baseline  # noqa: E402
from critmin.baseline_store import (  # noqa: E402
    load_baseline,
    market_coverage,
    store_baselines,
    stored_baseline,
    stored_baselines,
)
from critmin.store import Store  # noqa: E402

COUNTRIES = ["AUS", "CAN", "CHN", "IDN", "JPN", "PHL", "USA"]


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    production = production_rows("nickel", "mine", 2022, {
        "IDN": 1_600_000.0, "PHL": 330_000.0, "AUS": 160_000.0, "OTH": 50_000.0})
    flows = flow_rows([("PHL", "CHN", 2.5e9, 300_000.0, "observed"),
                       ("AUS", "JPN", 4.0e8, 3_000.0, "mirror")])
    make_store(tmp_path / "s.duckdb", production, flows, COUNTRIES).close()
    return tmp_path / "s.duckdb"


def test_a_stored_baseline_is_the_built_one(path: Path):
    store_baselines(path, years=[2022])
    store = Store.open(path)
    built = build_baseline(store, "nickel", "mine", 2022)
    stored = stored_baseline(store, "nickel", "mine", 2022)
    assert stored is not None and stored.diagnostics["stored"]
    key = ["exporter", "importer"]
    a = built.flows.sort_values(key).reset_index(drop=True)
    b = stored.flows.sort_values(key).reset_index(drop=True)
    pd.testing.assert_series_equal(a["quantity_t"], b["quantity_t"], rtol=1e-12)
    assert list(a["method"]) == list(b["method"])
    assert stored.estimated_share == pytest.approx(built.estimated_share)
    assert list(stored.row_targets.index) == list(built.row_targets.index)
    assert ("nickel", "mine") in set(stored_baselines(store, 2022))


def test_load_baseline_builds_when_asked_for_other_parameters(path: Path):
    store_baselines(path, years=[2022])
    store = Store.open(path)
    assert load_baseline(store, "nickel", "mine", 2022).diagnostics.get("stored")
    other = load_baseline(store, "nickel", "mine", 2022, distance_elasticity=2.0)
    assert not other.diagnostics.get("stored")
    assert other.diagnostics["distance_elasticity"] == 2.0


def test_coverage_lists_every_market_with_observed_and_estimated_shares(path: Path):
    rows = market_coverage(Store.open(path), 2022)  # computed (nothing stored yet)
    nickel = rows[(rows["mineral"] == "nickel") & (rows["stage"] == "mine")].iloc[0]
    assert nickel["status"] == "ok"
    assert nickel["observed_cross_border_share"] + nickel["estimated_cross_border_share"] == \
        pytest.approx(1.0)
    assert not nickel["complete_market"]
    assert "comtrade-fixture" in nickel["flow_sources"]
    # markets without production are listed with the reason, not dropped
    cobalt = rows[(rows["mineral"] == "cobalt") & (rows["stage"] == "mine")].iloc[0]
    assert cobalt["status"].startswith("no baseline")


def test_data_coverage_prints_one_json_document_newest_year_first(path: Path):
    from typer.testing import CliRunner

    from critmin.cli.app import app

    store_baselines(path, years=[2022])
    out = CliRunner().invoke(app, ["data", "coverage", "--store", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    years = [r["year"] for r in doc["rows"]]
    assert years == sorted(years, reverse=True)
    assert {"estimated_cross_border_share", "flow_sources"} <= set(doc["rows"][0])
    bad = CliRunner().invoke(app, ["data", "coverage", "--store", str(path), "--year", "1990"])
    assert bad.exit_code == 2


@pytest.mark.slow
@pytest.mark.shared
def test_complete_markets_on_the_source_store_estimate_little_cross_border_trade(source_store):
    # Done-when of issue 10: every market whose codes are all among the 30 complete codes
    # (and not a basket shared with other minerals) has an estimated share <= 0.15 in 2024.
    rows = market_coverage(source_store, 2024)
    complete = rows[rows["complete_market"].astype(bool)]
    assert len(complete) >= 10
    assert (complete["estimated_cross_border_share"] <= 0.15).all()


@pytest.fixture()
def germanium(tmp_path: Path) -> Store:
    # Germanium has refinery output only (no mine series), as in the store built from
    # ../shared/data, where the series ends in 2023.
    production = production_rows("germanium", "refinery", 2022, {
        "CHN": 140.0, "RUS": 5.0, "USA": 0.0, "OTH": 20.0})
    flows = flow_rows([("CHN", "JPN", 3.0e6, 2.0, "observed")], mineral="germanium",
                      stage="chemical", hs="282560")
    return make_store(tmp_path / "ge.duckdb", production, flows, ["CHN", "JPN", "RUS", "USA"])


def test_a_missing_refinery_year_is_reported_as_such_not_as_missing_mine_data(germanium):
    from critmin.baseline_store import NoBaselineError, build_market

    with pytest.raises(NoBaselineError) as err:
        build_market(germanium, "germanium", "refinery", 2023)
    msg = str(err.value)
    assert msg.startswith("no germanium refinery production for 2023 (years with data: "
                          "2022-2022")
    assert "no germanium mine production in the store" in msg
    rows = market_coverage(germanium, 2023)
    ge = rows[(rows["mineral"] == "germanium") & (rows["stage"] == "refinery")].iloc[0]
    assert ge["status"].startswith("no baseline: no germanium refinery production for 2023")


def test_a_chemical_stage_without_mine_data_is_bounded_by_refined_output(germanium):
    from critmin.baseline_store import build_market

    b = build_market(germanium, "germanium", "chemical", 2022)
    assert b.diagnostics["production_stage"] == "refinery"
    assert b.row_targets["CHN"] == pytest.approx(140.0)


def test_ores_have_no_fallback_stage(path: Path):
    from critmin.baseline_store import NoBaselineError, build_market

    with pytest.raises(NoBaselineError, match=r"^no nickel mine production for 2030 "
                       r"\(years with data: 2022-2022, latest from usgs-fixture\)$"):
        build_market(Store.open(path), "nickel", "mine", 2030)


def _pe_run(store: Store, **kw):  # noqa: ANN202
    from critmin.baselines.pe import baseline_from_store
    from critmin.models.pe import PartialEquilibrium
    from critmin.scenario import load_scenario

    sc = load_scenario({"model": "pe", "name": "tax",
                        "baseline": {"markets": [{"mineral": "nickel", "stage": "mine"}], "year": 2022,
                                     "price_usd_per_t": 15000},
                        "shocks": [{"type": "export_tax", "exporters": "PHL", "rate": 0.2}]})
    base = baseline_from_store(store, sc, "nickel", "mine", **kw)
    return base, PartialEquilibrium().solve(base, sc)


def test_critmin_run_reads_the_stored_baseline_and_it_gives_the_result_of_the_computed_one(path: Path):
    store_baselines(path, years=[2022])
    store = Store.open(path)
    stored_base, stored = _pe_run(store)
    built_base, built = _pe_run(store, stored=False)
    notes = [p.get("note", "") for p in stored.provenance if p.get("source") == "critmin.baseline"]
    assert notes and "store build time" in notes[0]
    assert "completed now" in [p.get("note", "") for p in built.provenance
                               if p.get("source") == "critmin.baseline"][0]
    key = ["exporter", "importer"]
    pd.testing.assert_frame_equal(stored_base.flows.sort_values(key).reset_index(drop=True),
                                  built_base.flows.sort_values(key).reset_index(drop=True),
                                  check_exact=False, rtol=1e-12)
    assert list(stored.tables) == list(built.tables)
    for name in stored.tables:
        a, b = stored.tables[name], built.tables[name]
        keys = [c for c in ("mineral", "stage", "exporter", "importer", "country", "bloc") if c in a.columns]
        if keys:
            a, b = (t.sort_values(keys).reset_index(drop=True) for t in (a, b))
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-6, obj=name)


def test_stored_baselines_are_stale_once_the_store_inputs_change_and_are_computed_again(path: Path):
    from critmin.baseline_store import baselines_current
    from critmin.store.catalog import TableData, write_store

    from flow_fixtures import origin

    store_baselines(path, years=[2022])
    store = Store.open(path)
    assert baselines_current(store)
    gdp = store.table("gdp")
    store.close()
    changed = gdp.assign(gdp_usd=gdp["gdp_usd"] * 2, source="wdi-fixture-revised")
    write_store(path, [TableData("gdp", changed, (origin("wdi-fixture-revised"),))], base=path)
    store = Store.open(path)
    assert not baselines_current(store)
    assert stored_baseline(store, "nickel", "mine", 2022) is None
    assert stored_baselines(store, 2022) == {}
    again = load_baseline(store, "nickel", "mine", 2022)
    assert not again.diagnostics.get("stored")
    _, result = _pe_run(store)
    assert "completed now" in [p.get("note", "") for p in result.provenance
                               if p.get("source") == "critmin.baseline"][0]


def test_coverage_never_serves_stale_stored_rows(path: Path):
    from critmin.baseline_store import baselines_current, compute_baselines
    from critmin.store.catalog import TableData, write_store

    from flow_fixtures import origin

    store_baselines(path, years=[2022])
    store = Store.open(path)
    stale = market_coverage(store, 2022)
    gdp = store.table("gdp")
    store.close()
    # a revision that moves absorption: China's GDP x 50
    changed = gdp.assign(gdp_usd=gdp["gdp_usd"].where(gdp["country"] != "CHN",
                                                      gdp["gdp_usd"] * 50),
                         source="wdi-fixture-revised")
    write_store(path, [TableData("gdp", changed, (origin("wdi-fixture-revised"),))], base=path)
    store = Store.open(path)
    assert not baselines_current(store)
    _, fresh = compute_baselines(store, [2022])
    rows = market_coverage(store, 2022)
    cols = ["mineral", "stage", "year", "status", "home_absorption_share",
            "unobserved_cross_border_share"]
    key = ["mineral", "stage"]
    got = rows[cols].sort_values(key).reset_index(drop=True)
    want = fresh[cols].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    old = stale[cols].sort_values(key).reset_index(drop=True)
    ni = (got["mineral"] == "nickel") & (got["stage"] == "mine")
    assert got.loc[ni, "home_absorption_share"].iloc[0] != pytest.approx(
        old.loc[ni, "home_absorption_share"].iloc[0])


def test_the_staleness_digest_covers_every_baseline_module_and_the_package_data(
        tmp_path: Path, path: Path, monkeypatch: pytest.MonkeyPatch):
    import critmin
    from critmin import baseline_store
    from critmin.baseline_store import METHOD_DATA, METHOD_MODULES, inputs_digest

    here = Path(critmin.__file__).parent
    for name in (p.name for p in here.glob("baseline*.py")):
        assert name in METHOD_MODULES
    assert "sources/usgs_imports.py" in METHOD_MODULES       # US_IMPORT_STATISTICS
    assert {"data/mappings", "data/corrections", "data/parameters"} <= set(METHOD_DATA)
    # an edit to a data file changes the digest, though no table's provenance changes
    data = tmp_path / "mappings"
    data.mkdir()
    (data / "hs_codes.yml").write_text("a: 1\n")
    monkeypatch.setattr(baseline_store, "METHOD_DATA", (str(data),))
    store = Store.open(path)
    before = inputs_digest(store)
    (data / "hs_codes.yml").write_text("a: 2\n")
    assert inputs_digest(store) != before


def test_only_missing_production_falls_back_to_an_upstream_stage(
        path: Path, monkeypatch: pytest.MonkeyPatch):
    from critmin import baseline_store
    from critmin.errors import SolveError

    calls: list[str | None] = []

    def failing(store, mineral, stage, year, production_stage=None):
        calls.append(production_stage)
        raise SolveError("the completion did not converge")

    monkeypatch.setattr(baseline_store, "build_baseline", failing)
    with pytest.raises(SolveError, match="did not converge"):
        baseline_store.build_market(Store.open(path), "nickel", "refinery", 2022)
    assert calls == [None]  # no quiet upstream-bounded baseline
