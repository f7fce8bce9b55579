"""The store: atomic writes, provenance beside every table, read filters."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from critmin.errors import SourceFormatError, StoreError
from critmin.sources.origin import Origin
from critmin.store import Store, TableData
from critmin.store.catalog import write_store

ORIGIN = Origin(source="test-src", publisher="Test", title="Fixture", vintage="2025",
                url="https://example.org", licence="public domain", sha256="0" * 64,
                file="fixture.csv")


def _production(rows: list[tuple[str, float]]) -> pd.DataFrame:
    return pd.DataFrame({
        "mineral": "cobalt", "stage": "mine", "country": [c for c, _ in rows], "year": 2024,
        "quantity_t": [q for _, q in rows], "basis": "Co content", "estimated": False,
        "flag": None, "edition": 2025, "source": "test-src", "label": [c for c, _ in rows],
        "note": None})


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_written_table_reads_back_with_provenance(tmp_path):
    path = tmp_path / "s.duckdb"
    write_store(path, [TableData("production", _production([("COD", 220_000.0), ("IDN", 28_000.0)]),
                                 (ORIGIN,))])
    store = Store.open(path)
    frame = store.table("production", country="COD")
    assert frame["quantity_t"].tolist() == [220_000.0]
    assert frame.attrs["units"]["quantity_t"] == "t"
    prov = store.provenance(["production"])
    assert prov[["source", "rows", "licence"]].values.tolist() == [["test-src", 2, "public domain"]]


def test_list_filters_select_any_of_the_values(tmp_path):
    path = tmp_path / "s.duckdb"
    rows = [("COD", 1.0), ("IDN", 2.0), ("AUS", 3.0)]
    write_store(path, [TableData("production", _production(rows), (ORIGIN,))])
    frame = Store.open(path).table("production", country=["COD", "AUS"])
    assert sorted(frame["country"]) == ["AUS", "COD"]


def test_a_failed_write_leaves_the_previous_store_untouched(tmp_path):
    path = tmp_path / "s.duckdb"
    write_store(path, [TableData("production", _production([("COD", 1.0)]), (ORIGIN,))])
    before = _digest(path)

    def fail(table: str) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_store(path, [TableData("production", _production([("COD", 9.0)]), (ORIGIN,))],
                    on_table=fail)
    assert _digest(path) == before
    assert not list(tmp_path.glob(".*building*"))


def test_update_from_a_base_keeps_the_other_tables(tmp_path):
    path = tmp_path / "s.duckdb"
    write_store(path, [TableData("production", _production([("COD", 1.0)]), (ORIGIN,))])
    write_store(path, [TableData("production", _production([("COD", 2.0)]), (ORIGIN,))], base=path)
    store = Store.open(path)
    assert store.table("production")["quantity_t"].tolist() == [2.0]
    assert store.provenance()["table"].tolist() == ["production"]


def test_rows_naming_an_undeclared_source_are_refused():
    frame = _production([("COD", 1.0)]).assign(source="nowhere")
    with pytest.raises(StoreError, match="nowhere"):
        TableData("production", frame, (ORIGIN,))


def test_missing_column_is_a_source_format_error():
    with pytest.raises(SourceFormatError, match="quantity_t"):
        TableData("production", _production([("COD", 1.0)]).drop(columns="quantity_t"), (ORIGIN,))


def test_opening_a_missing_store_says_how_to_build_it(tmp_path):
    with pytest.raises(StoreError, match="critmin data build"):
        Store.open(tmp_path / "none.duckdb")


def test_unknown_table_names_the_tables_there_are(tmp_path):
    path = tmp_path / "s.duckdb"
    write_store(path, [TableData("production", _production([("COD", 1.0)]), (ORIGIN,))])
    with pytest.raises(StoreError, match=r"no table 'flows' \(it has \['production'\]\)"):
        Store.open(path).table("flows")


def test_a_store_object_sees_a_rebuild_of_its_file(tmp_path):
    # One read connection per file is kept open; a rebuild renames a new file into place,
    # and readers must see it, not DuckDB's cached instance of the old file.
    path = tmp_path / "s.duckdb"
    write_store(path, [TableData("production", _production([("COD", 1.0)]), (ORIGIN,))])
    store = Store.open(path)
    other = Store.open(path)
    assert store.table("production")["quantity_t"].tolist() == [1.0]
    write_store(path, [TableData("production", _production([("COD", 2.0), ("IDN", 3.0)]),
                                 (ORIGIN,))])
    assert store.table("production")["quantity_t"].tolist() == [2.0, 3.0]
    assert other.provenance()["rows"].tolist() == [2]


def test_repeated_queries_reuse_one_connection(tmp_path):
    path = tmp_path / "s.duckdb"
    write_store(path, [TableData("production", _production([("COD", 1.0)]), (ORIGIN,))])
    store = Store.open(path)
    assert store.tables() == ["production"]
    from critmin.store.catalog import _READERS

    first = _READERS._open[str(path.resolve())][1]
    store.table("production")
    store.provenance()
    assert _READERS._open[str(path.resolve())][1] is first
    store.close()
    assert str(path.resolve()) not in _READERS._open
