"""The harmonised DuckDB store: tables, their schema and their provenance."""

from critmin.store.catalog import Store, TableData

__all__ = ["Store", "TableData"]
