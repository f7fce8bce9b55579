"""Scenario files: validation messages with lines and fields, values, the library."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import ScenarioError, SourceFormatError
from critmin import run
from critmin.baselines.pe import load_baselines
from critmin.models.pe import PartialEquilibrium
from critmin.scenario import Scenario, load_scenario, scenario_files, scenario_model

FLOWS = """exporter,importer,value
CHN,CHN,500
CHN,USA,100
CHN,Japan,80
USA,USA,20
USA,JPN,5
JPN,JPN,30
JPN,USA,10
DEU,DEU,40
"""

GOOD = """\
name: test-ban
description: a ban
baseline:
  flows_csv: flows.csv
  tariffs_csv: tariffs.csv
  mineral: gallium
  stage: refinery
  year: 2023
  price_usd_per_t: 500000
elasticities:
  substitution: 4.0
  by_country:
    CHN: {export_supply: 0.3}
shocks:
  - type: export_quota
    exporter: CHN
    destinations: [USA]
    tonnes: 0
  - type: preferential_zone
    members: [USA, JPN]
    enforcement: adjustable_tariff
    reference_prices:
      - {mineral: gallium, stage: refinery, price: 600000, unit: USD/t}
"""


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    (tmp_path / "flows.csv").write_text(FLOWS)
    (tmp_path / "tariffs.csv").write_text("exporter,importer,rate\nCHN,JPN,0.05\n")
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_file_becomes_a_frozen_hashable_value(tmp_path: Path) -> None:
    sc = load_scenario(_write(tmp_path, GOOD))
    assert isinstance(sc, Scenario) and hash(sc) == hash(load_scenario(tmp_path / "s.yaml"))
    assert sc.baseline.markets == (("gallium", "refinery"),)
    assert [s.kind for s in sc.shocks] == ["export_quota", "preferential_zone"]
    el = sc.settings.elasticities
    assert el.value("substitution", "cobalt") == 4.0
    assert el.value("export_supply", "gallium", "CHN") == 0.3
    assert repr(sc) == "Scenario('test-ban', 2 shocks)"


def test_user_file_baseline_runs_end_to_end(tmp_path: Path) -> None:
    sc = load_scenario(_write(tmp_path, GOOD))
    (base,) = load_baselines(sc)
    assert base.flows.set_index(["exporter", "importer"]).loc[("CHN", "JPN"), "tariff_share"] == 0.05
    res = run(sc)
    f = res.table("flows").set_index(["exporter", "importer"])
    assert f.loc[("CHN", "USA"), "flow_t"] == 0.0
    assert any(p.get("source") == "user:flows.csv" and p.get("sha256") for p in res.provenance)


@pytest.mark.parametrize(("old", "new", "pattern"), [
    ("exporter: CHN", "exporter: CHX", r"s.yaml:16: shocks.0.export_quota.exporter: .*'CHX'"),
    ("members: [USA, JPN]", "members: G77x", r"members: .*'G77x' is not a known country. Did you mean 'G7'"),
    ("mineral: gallium\n  stage", "mineral: galium\n  stage", r"'galium' is not a known mineral. Did you mean 'gallium'"),
    ("substitution: 4.0", "substitution: -4.0", r"s.yaml:11: pe.elasticities.substitution: .*substitution must be > 0 and finite. Got -4.0"),
    ("CHN: {export_supply: 0.3}", "CHN: {import_demand: 0.3}", r"import_demand must be < 0"),
    ("unit: USD/t", "unit: USD/kg", r"reference_prices.0.unit: .*must be in USD/t.*'USD/kg'"),
    ("tonnes: 0", "tonnes: -5", r"tonnes: Input should be greater than or equal to 0"),
    ("type: export_quota", "type: embargo", r"shocks.0: .*'embargo'"),
    ("price_usd_per_t: 500000", "price_usd_per_t: 500000\n  colour: red", r"baseline.colour: Extra inputs"),
    ("tonnes: 0", "tonnes: 0\n    tonne: 1",
     (r"s.yaml:19: shocks.0.export_quota.tonne: Extra inputs .*Did you mean 'tonnes'\? Accepted: "
      r"exporters, importers, label, minerals, share, tonnes, type")),
])
def test_bad_fields_name_the_line_the_field_and_what_is_accepted(tmp_path: Path, old: str, new: str,
                                                                 pattern: str) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError, match=pattern):
        load_scenario(path)


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nshocks: [\n  - type: tariff\n")
    with pytest.raises(ScenarioError, match=r"malformed YAML at line \d+, column \d+"):
        load_scenario(path)


def test_a_baseline_needs_a_store_slice_or_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nbaseline: {stage: refinery}\n")
    with pytest.raises(ScenarioError, match="either minerals"):
        load_scenario(path)


def test_bad_user_flows_name_the_file_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    (tmp_path / "flows.csv").write_text("exporter,importer,value\nCHN,Atlantis,5\n")
    with pytest.raises(KeyError, match="Atlantis.*importer.*flows.csv"):
        load_baselines(load_scenario(path))
    (tmp_path / "flows.csv").write_text("from,to,value\nCHN,USA,5\n")
    with pytest.raises(SourceFormatError, match=r"missing column\(s\) \['exporter', 'importer'\]"):
        load_baselines(load_scenario(path))


def test_tonnes_against_value_baselines_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("price_usd_per_t: 500000", "value_unit: usd").replace(
        "      - {mineral: gallium, stage: refinery, price: 600000, unit: USD/t}\n", "")
    sc = load_scenario(_write(tmp_path, text))
    with pytest.raises(ScenarioError, match="in tonnes but the baseline flows are in USD"):
        PartialEquilibrium().solve(load_baselines(sc), sc)


def test_store_scenarios_need_a_store(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nbaseline: {minerals: [cobalt], stage: refinery, year: 2023}\n")
    with pytest.raises(ScenarioError, match="critmin data build"):
        load_baselines(load_scenario(path))


@pytest.mark.parametrize("path", [p for p in scenario_files() if scenario_model(p) == "pe"],
                         ids=lambda p: p.name)
def test_every_library_scenario_validates_and_cites_its_sources(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.shocks
    text = path.read_text()
    assert text.startswith("#") and "Sources" in text


def test_library_has_the_four_issue_scenarios() -> None:
    names = {p.stem for p in scenario_files()}
    assert {"ministerial-2026-price-floor", "china-export-controls-2024", "china-ree-controls-2025",
            "us-india-2026"} <= names


def test_python_and_yaml_give_the_same_answer_with_the_package_defaults(tmp_path: Path) -> None:
    """Issue 9: the same 50 % CHN->USA gallium quota gave sigma 3 in Python and 2 in YAML.
    The defaults now live once, in data/parameters/elasticities.yml."""
    from critmin.config import DATA_DIR, read_yaml
    from critmin.scenario import Shock

    text = GOOD.split("elasticities:")[0] + (
        "shocks:\n  - {type: export_quota, exporters: CHN, importers: USA, share: 0.5}\n")
    path = _write(tmp_path, text)
    from_yaml = run(path).table("countries").set_index("country")
    sc = Scenario("test-ban", shocks=(Shock("export_quota", exporters=("CHN",), importers=("USA",),
                                            share=0.5),))
    (base,) = load_baselines(load_scenario(path))
    from_python = PartialEquilibrium().solve(base, sc).table("countries").set_index("country")
    pd.testing.assert_frame_equal(from_yaml, from_python)
    gallium = read_yaml(DATA_DIR / "parameters" / "elasticities.yml")["by_mineral"]["gallium"]
    assert PartialEquilibrium().elasticities.value("substitution", "gallium") == gallium["substitution"]["value"]
    assert from_python.loc["USA", "composite_price_change_share"] > 0
