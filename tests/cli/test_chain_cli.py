"""``critmin chain show|shock`` through CliRunner on a store built from the bundled snapshot
(as on a fresh clone: no source directory, so no CC BY-NC rows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def snap_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from critmin.store.build import build_store

    path = tmp_path_factory.mktemp("chain-cli") / "critmin.duckdb"
    build_store(path)
    empty = tmp_path_factory.mktemp("no-source")
    return {"CRITMIN_STORE": str(path), "CRITMIN_SOURCE_DIR": str(Path(empty))}


def test_chain_show_for_the_ministerial_bloc_names_its_highest_dependence(snap_env):
    r = runner.invoke(app, ["chain", "show", "semiconductors", "--for", "ministerial-2026", "--format", "json"],
                      env=snap_env)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    nodes = {row["node"]: row for row in doc["rows"]}
    assert nodes["gallium"]["top_country"] == "CHN" and nodes["gallium"]["single_point_of_failure"]
    assert doc["highest"]["top_country"] == "CHN"
    assert doc["highest"]["dependence_share"] > 0.65
    assert doc["provenance"]
    assert not doc["run_time_sources"]  # nothing CC BY-NC without a source directory


@pytest.mark.parametrize("name", ["magnets", "batteries"])
def test_chain_show_prints_every_stage(snap_env, name):
    r = runner.invoke(app, ["chain", "show", name], env=snap_env)
    assert r.exit_code == 0, r.output
    assert "Single points of failure" in r.stdout


def test_chain_shock_returns_losses_by_stage_and_country_with_bands(snap_env):
    r = runner.invoke(app, ["chain", "shock", "semiconductors", "--restrict", "CHN:gallium", "--draws", "20",
                            "--scheduler", "serial", "--format", "json"], env=snap_env)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    tables = doc["tables"]
    assert {row["stage"] for row in tables["by_stage"]} >= {"refine", "intermediate", "product"}
    assert any(row["lost_usd"] > 0 for row in tables["by_country"])
    band = doc["bands"]["total"][0]
    assert band["lost_usd_p05"] <= band["lost_usd_p50"] <= band["lost_usd_p95"]
    assert doc["provenance"] and doc["diagnostics"]["parts"]["sweep"]["draws"] == 20


def test_chain_shock_csv_is_the_tidy_table(snap_env):
    r = runner.invoke(app, ["chain", "shock", "batteries", "--restrict", "CHN:graphite=0.5", "--no-reroute",
                            "--format", "csv"], env=snap_env)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("table,")


@pytest.mark.parametrize("args, needle", [
    (["chain", "show", "semis"], "Accepted: batteries, magnets, semiconductors"),
    (["chain", "shock", "magnets", "--restrict", "CHN:galium"], "Did you mean 'gallium'"),
    (["chain", "shock", "magnets", "--restrict", "CHN"], "EXPORTER:MINERAL"),
    (["chain", "shock", "magnets", "--restrict", "CHN:gallium"], "Restrictable"),
])
def test_bad_chain_input_is_one_clear_line_and_exit_2(snap_env, args, needle):
    r = runner.invoke(app, args, env=snap_env)
    assert r.exit_code == 2
    assert needle in r.output
    assert "Traceback" not in r.output


def test_chain_zone_compares_member_cover_with_the_sourcing_plan(snap_env):
    r = runner.invoke(app, ["chain", "zone", "semiconductors", "--bloc", "PaxSilica", "--format", "json"],
                      env=snap_env)
    assert r.exit_code == 0, r.output
    rows = {row["node"]: row for row in json.loads(r.stdout)["rows"]}
    ga = rows["gallium"]
    assert ga["cover_share"] < 0.1  # members make almost no gallium
    assert ga["plan_covered_share"] is not None and ga["cover_share"] < ga["plan_covered_share"] <= 1.0
    assert rows["chips"]["plan_market"] == ""
