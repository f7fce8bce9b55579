"""Atomic builds, failed builds, `data status` provenance, and the Parquet round trip."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.sources.origin import Origin
from critmin.store import Store
from critmin.store.build import export_snapshot, read_snapshot
from critmin.store.catalog import TableData, write_store
from critmin.store.schema import conform

runner = CliRunner()
ORIGIN = Origin(source="wb-wdi-gdp", publisher="World Bank", title="GDP", vintage="test",
                url="https://data.worldbank.org", licence="CC BY 4.0", sha256="ab" * 32,
                file="gdp.csv")


def _previous_store(path: Path) -> bytes:
    """A small existing store, as a user would have from an earlier build."""
    frame = pd.DataFrame({"country": ["COD", "FRA"], "year": [2022, 2022],
                          "gdp_usd": [6.47e10, 2.78e12], "label": ["COD", "FRA"],
                          "source": "wb-wdi-gdp"})
    write_store(path, [TableData("gdp", frame, (ORIGIN,))])
    return path.read_bytes()


def _temp_files(store: Path) -> list[Path]:
    return sorted(store.parent.glob(f".{store.name}.building-*"))


BUILD = ("import sys; from critmin.cli import main; "
         "sys.argv = ['critmin', 'data', 'build', '--source-dir', sys.argv[1], "
         "'--store', sys.argv[2]]; main()")


def test_killed_build_leaves_previous_store_untouched_and_next_build_cleans_up(
        tmp_path, shared_data):
    store = tmp_path / "critmin.duckdb"
    before = _previous_store(store)
    killed = None
    for _attempt in range(3):  # the write phase lasts ~1 s; retry if we miss it
        proc = subprocess.Popen([sys.executable, "-c", BUILD, str(shared_data), str(store)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if _temp_files(store):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                killed = proc.pid
                break
            time.sleep(0.005)
        else:
            if proc.poll() is None:
                proc.kill()
                pytest.fail("the build neither finished nor wrote a temporary file in 300 s")
        if killed:
            break
        # The build finished before we saw its temporary file: restore and try again.
        assert proc.returncode == 0, proc.stderr.read().decode()
        store.write_bytes(before)
    assert killed, "never caught the build while it was writing"

    # The previous store is byte-for-byte what it was, and still opens.
    assert hashlib.sha256(store.read_bytes()).digest() == hashlib.sha256(before).digest()
    assert Store.open(store).table("gdp")["country"].tolist() == ["COD", "FRA"]
    stale = _temp_files(store)
    assert [p.name for p in stale] == [f".{store.name}.building-{killed}"]

    # The next build removes the dead build's temporary file.
    _previous_store(store)
    assert _temp_files(store) == []


def test_failed_build_on_a_malformed_file_leaves_the_store_untouched(tmp_path, shared_data):
    from critmin.sources import wgi

    source_dir = tmp_path / "data"
    for path in shared_data.rglob("*"):
        if path.is_file():
            link = source_dir / path.relative_to(shared_data)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    broken = source_dir / wgi.FILE
    broken.unlink()
    broken.write_text("codeindyr,code,countryname,year\nnot,a,wgi,file\n")
    store = tmp_path / "critmin.duckdb"
    before = _previous_store(store)

    result = runner.invoke(app, ["data", "build", "--source-dir", str(source_dir),
                                 "--store", str(store)])
    assert result.exit_code == 2
    assert "WGI" in result.output and "lacks column" in result.output
    assert "Traceback" not in result.output
    assert store.read_bytes() == before
    assert _temp_files(store) == []


MY_TABLES = ("governance", "distances", "geography", "trade_elasticities", "prices", "gdp")


def test_status_json_lists_every_table_with_provenance(source_store):
    result = runner.invoke(app, ["data", "status", "--store", str(source_store.path),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rows = doc["rows"]
    assert {r["table"] for r in rows} == set(source_store.tables())
    assert set(MY_TABLES) <= {r["table"] for r in rows}
    counts = {t: int(source_store.sql(f'SELECT count(*) AS n FROM "{t}"')["n"].iloc[0])
              for t in source_store.tables()}
    for r in rows:
        for key in ("source", "vintage", "licence", "sha256", "title", "url"):
            assert r[key], (r["table"], key)
        assert len(r["sha256"]) == 64
        assert r["table_rows"] == counts[r["table"]] > 0
    by_table = {r["table"]: r for r in rows if r["table"] in MY_TABLES}
    assert by_table["governance"]["licence"] == "CC BY 4.0"
    assert by_table["distances"]["licence"] == "Etalab 2.0"
    assert doc["provenance"]


def test_rows_per_source_add_up_and_every_row_names_a_recorded_source(source_store):
    prov = source_store.provenance()
    for table in MY_TABLES:
        frame = source_store.table(table)
        recorded = prov[prov["table"] == table]
        assert set(frame["source"]) == set(recorded["source"]), table
        assert recorded["rows"].sum() == len(frame), table


def test_parquet_snapshot_round_trip_keeps_data_and_provenance(source_store, tmp_path):
    out = tmp_path / "snapshot"
    export_snapshot(source_store, out)
    assert (out / "NOTICE.md").read_text().count("## ") >= len(MY_TABLES)
    tables = {t.name: t for t in read_snapshot(out)}
    prov = source_store.provenance()
    for name in MY_TABLES:
        original = conform(name, source_store.table(name))
        back = tables[name].frame  # TableData conforms to the schema too
        pd.testing.assert_frame_equal(back, original)
        want = {tuple(r[k] for k in Origin.__slots__)
                for r in prov[prov["table"] == name].to_dict("records")}
        got = {tuple(getattr(o, k) for k in Origin.__slots__) for o in tables[name].origins}
        assert got == want, name
    # ...and a store rebuilt from the snapshot reports the same provenance.
    rebuilt = tmp_path / "rebuilt.duckdb"
    write_store(rebuilt, [tables[n] for n in MY_TABLES])
    again = Store.open(rebuilt).provenance(MY_TABLES)
    cols = ["table", "source", "vintage", "licence", "sha256", "rows"]
    pd.testing.assert_frame_equal(
        again[cols].sort_values(["table", "source"]).reset_index(drop=True),
        prov[prov["table"].isin(MY_TABLES)][cols].sort_values(["table", "source"])
        .reset_index(drop=True))
