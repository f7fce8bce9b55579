"""The scenario language under generated documents of every model, valid and broken: every
failure is a CritminError whose message names the file and the line, and the CLI exits 2
with that message and no traceback. Documents come from tests/properties/scenario_documents.py
(the shipped files, mutated); benchmarks/bench_scenario_fuzz.py runs 100,000 of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_documents import DOCUMENTS, MODELS, documents, dump, mutated
from typer.testing import CliRunner

from critmin.errors import CritminError
from critmin.scenario import load_scenario

FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


def names_file_and_line(message: str, path: Path) -> bool:
    """``<file>:<line>`` or ``<file>, line <n>`` (as the loader writes them)."""
    name = re.escape(str(path))
    return re.search(rf"{name}:\d+|{name}\b.*?\bline \d+", message, re.S) is not None


def _load(tmp_path: Path, doc: object) -> tuple[Path, CritminError | None]:
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(doc), encoding="utf-8")
    try:
        load_scenario(path)
    except CritminError as exc:
        return path, exc
    return path, None


def test_the_generator_covers_every_model():
    assert {"pe", "ge"} <= set(MODELS)
    assert all(isinstance(d, dict) for d in DOCUMENTS)


@FUZZ
@given(doc=documents())
def test_a_generated_document_loads_or_fails_with_file_and_line(doc, tmp_path):
    path, error = _load(tmp_path, doc)   # any other exception fails the test
    if error is not None:
        assert names_file_and_line(str(error), path), str(error)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(doc=mutated())
def test_the_cli_exits_2_with_the_message_and_no_traceback(doc, tmp_path, snapshot_store):
    from critmin.cli import app

    path, error = _load(tmp_path, doc)
    if error is None:
        return  # a valid document: running it is the benchmark's job (slow)
    res = CliRunner().invoke(app, ["run", str(path), "--format", "json", "--store",
                                   str(snapshot_store.path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert names_file_and_line(res.output.replace("\n", " "), path) or str(path) in res.output


def _data_holder(doc: dict) -> dict | None:
    base = doc.get("baseline")
    for holder in (base.get("data") if isinstance(base, dict) else None, doc.get("data")):
        if isinstance(holder, dict) and "file" in holder:
            return holder
    return None


@pytest.mark.parametrize("hostile", ["/etc/passwd", "../../../../etc/passwd",
                                     "${CRITMIN_SOURCE_DIR}/../../etc/passwd"])
def test_a_data_path_outside_the_source_dir_is_refused(tmp_path, hostile):
    import copy

    ge = next(d for d in DOCUMENTS if d.get("model") == "ge" and _data_holder(d) is not None)
    doc = copy.deepcopy(ge)
    _data_holder(doc)["file"] = hostile
    path, error = _load(tmp_path, doc)
    assert error is not None and names_file_and_line(str(error), path), error
    assert "outside" in str(error) or "source dir" in str(error).lower(), error


GE_VARIABLES = ["log(DIST)", "BRDR * 2", "DIST > 1000", "log(DIST) + BRDR", "NOPE + 1", "log(", "exporter",
                "__import__('os')", "DIST @ 2", "1 / 0", "exp(DIST)", "year"]


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(years=st.one_of(st.none(), st.lists(st.integers(2010, 2020), min_size=1, max_size=3)),
       year=st.integers(2012, 2017), rule=st.sampled_from(GE_VARIABLES),
       formula_var=st.sampled_from(["ln_DIST", "BRDR", "MISSING"]))
def test_errors_raised_while_building_a_ge_baseline_name_the_file_and_the_line(tmp_path, years, year, rule,
                                                                               formula_var):
    """Found by bench_scenario_fuzz: baseline.data.years and baseline.variables errors are
    raised after loading (reading the data), and named the file but no line."""
    import yaml

    from critmin.scenario.plugins.ge import example
    from critmin.runner import run

    doc = example(tmp_path).document
    doc["baseline"]["data"]["years"] = years
    doc["baseline"]["year"] = year
    doc["baseline"]["variables"] = {"ln_DIST": rule}
    doc["ge"] = {**doc["ge"], "draws": 0,
                 "estimation": {"formula": f"trade ~ {formula_var} + BRDR | exporter + importer"}}
    if years is None:
        del doc["baseline"]["data"]["years"]
    path = tmp_path / "ge.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    try:
        run(path)
    except CritminError as exc:
        assert names_file_and_line(str(exc), path), str(exc)
