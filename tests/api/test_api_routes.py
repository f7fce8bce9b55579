"""The REST routes answer with the CLI's documents; bad input is 422 with its message."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli import app as cli_app
from api_fixtures import SMALL, make_client

runner = CliRunner()


def _cli_json(*args: str) -> dict:
    result = runner.invoke(cli_app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(("url", "cli"), [
    ("/api/production/gallium?year=2024", ["production", "gallium", "--year", "2024"]),
    ("/api/concentration?mineral=cobalt&stage=mine&year=2024",
     ["concentration", "cobalt", "--stage", "mine", "--year", "2024"]),
    ("/api/exposure/USA?mineral=gallium&latest=true",
     ["exposure", "USA", "--mineral", "gallium", "--latest"]),
    ("/api/flows/gallium?importer=USA", ["flows", "gallium", "--importer", "USA"]),
    ("/api/minerals?critical=true", ["minerals", "--critical"]),
    ("/api/blocs/G7", ["blocs", "G7"]),
    ("/api/chains/magnets?for=USA", ["chain", "show", "magnets", "--for", "USA"]),
])
def test_route_returns_the_same_document_as_the_cli(client, snapshot_store, url, cli):
    store = [] if cli[0] in ("minerals", "blocs") else ["--store", str(snapshot_store.path)]
    if cli[0] == "chain":  # the app's source directory holds no run-time-only chain data
        store += ["--source-dir", str(client.app.state.config.source_dir)]
    expected = _cli_json(*cli, *store)
    got = client.get(url)
    assert got.status_code == 200, got.text
    assert got.json() == expected


def test_csv_format_gives_the_rows_as_csv(client):
    got = client.get("/api/production/cobalt?stage=mine&year=2024&format=csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.text.splitlines()[0].startswith("mineral,stage,country,year,quantity_t")
    assert "COD" in got.text


def test_openapi_lists_closed_vocabularies_as_enums(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "gallium" in schemas["MineralId"]["enum"]
    assert set(schemas["StageName"]["enum"]) == {"mine", "refinery", "smelter", "metal",
                                                 "chemical"}
    assert "CMM2026" in schemas["BlocName"]["enum"]
    assert set(schemas["Format"]["enum"]) == {"json", "csv"}


@pytest.mark.parametrize(("url", "message"), [
    ("/api/production/gallium?stage=smelter", "stages with data: refinery"),
    ("/api/exposure/Narnia", "is not a known bloc"),
    ("/api/concentration?share_of=CHN", "needs a MINERAL and --stage"),
    ("/api/production/gallium?year=1990&series=usgs-nonsense", "Input should be"),
    ("/api/chains/magnets?for=Narnia", "is not a known"),
    ("/api/chains/chips", "Input should be"),
])
def test_bad_input_is_422_with_the_cli_message(client, url, message):
    got = client.get(url)
    assert got.status_code == 422
    assert message in json.dumps(got.json())


def test_missing_store_is_503_with_how_to_build_it(tmp_path, source_dir):
    got = make_client(tmp_path / "none.duckdb", source_dir).get("/api/production/gallium")
    assert got.status_code == 503 and "critmin data build" in got.json()["detail"]


def test_scenario_document_runs_from_yaml_and_json_alike(client):
    import yaml

    from_yaml = client.post("/api/scenarios/run", content=SMALL,
                            headers={"content-type": "application/yaml"})
    assert from_yaml.status_code == 200, from_yaml.text
    doc = from_yaml.json()
    flows = doc["tables"]["flows"]
    banned = [f for f in flows if f["exporter"] == "CHN" and f["importer"] == "USA"]
    assert banned and banned[0]["flow_t"] == 0.0 and banned[0]["flow_t_baseline"] == 100.0
    assert any(p.get("source") == "user:flows.csv" for p in doc["provenance"])
    from_json = client.post("/api/scenarios/run", json=yaml.safe_load(SMALL))
    assert from_json.status_code == 200 and from_json.json()["tables"]["flows"] == flows


def test_shipped_scenario_runs_on_the_store_like_the_cli(client, snapshot_store):
    text = client.get("/api/scenarios/ministerial-2026-price-floor").text
    got = client.post("/api/scenarios/run", content=text,
                      headers={"content-type": "application/yaml"})
    assert got.status_code == 200, got.text
    cli = _cli_json("run", "scenarios/ministerial-2026-price-floor.yaml",
                    "--store", str(snapshot_store.path))
    assert got.json()["tables"]["prices"] == cli["tables"]["prices"]
    assert got.json()["tables"]["welfare_by_country"] == cli["tables"]["welfare_by_country"]


@pytest.mark.parametrize(("body", "message"), [
    ("name: x\nbaseline: {year: 2023}\n", "request body:2: baseline"),
    ("name: [unclosed\n", "malformed YAML/JSON at line"),
    ("- just\n- a list\n", "mapping at the top level"),
    ("model: cge\nname: x\n", "model 'cge' is not known"),
])
def test_bad_scenario_document_is_422_naming_the_problem(client, body, message):
    got = client.post("/api/scenarios/run", content=body,
                      headers={"content-type": "application/yaml"})
    assert got.status_code == 422
    assert message in got.json()["detail"]


def test_ge_scenario_on_the_store_baseline_runs_like_the_cli(client, snapshot_store):
    text = client.get("/api/scenarios/us-india-2026-ge").text
    got = client.post("/api/scenarios/run", content=text,
                      headers={"content-type": "application/yaml"})
    assert got.status_code == 200, got.text
    rows = {r["country"]: r for r in got.json()["tables"]["countries"]}
    assert rows["IND"]["exports_change_share"] > 0.10 and rows["USA"]["real_gdp_change_share"] > 0


def test_sourcing_route_returns_the_cli_document(client, snapshot_store):
    got = client.get("/api/routes/USA?mineral=graphite&cap=0.5")
    assert got.status_code == 200, got.text
    cli = _cli_json("routes", "USA", "--mineral", "graphite", "--cap", "0.5",
                    "--store", str(snapshot_store.path))
    assert got.json()["tables"] == cli["tables"] and got.json()["headline"] == cli["headline"]


def test_infeasible_sourcing_plan_is_422_naming_the_limits(client):
    got = client.get("/api/routes/USA?mineral=gallium&cap=0.1&must_meet=true")
    assert got.status_code == 422 and "Relax one of them" in got.json()["detail"]


def test_parameters_a_route_does_not_read_share_its_cached_answer(client):
    first = client.get("/api/production/cobalt?stage=mine&year=2023")
    assert first.status_code == 200 and first.headers.get("x-cache") != "hit"
    # the same question, parameters in another order and one the route ignores
    again = client.get("/api/production/cobalt?year=2023&nocache=1&stage=mine")
    assert again.headers.get("x-cache") == "hit" and again.json() == first.json()
    other = client.get("/api/production/cobalt?stage=mine&year=2022")
    assert other.headers.get("x-cache") != "hit" and other.json() != first.json()


def test_root_is_the_dashboard_home_page(client):
    got = client.get("/", follow_redirects=False)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
    assert "/map" in got.text
