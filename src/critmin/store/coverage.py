"""Which countries each stored table mentions (read-only selection, no arithmetic)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from critmin.store.catalog import Store
from critmin.countries import PSEUDO_CODES, country_name

COUNTRY_COLUMNS = ("country", "exporter", "importer")


def country_coverage(store: Store, *,
                     progress: Callable[[str, int, int], None] | None = None) -> pd.DataFrame:
    """One row per ISO3 code found in any table: ``country, name, tables``.

    ``tables`` is a comma-separated, sorted list of the tables that mention the code in a
    ``country``, ``exporter`` or ``importer`` column.
    """
    seen: dict[str, set[str]] = {}
    tables = store.tables()
    for i, table in enumerate(tables):
        if progress:
            progress(table, i, len(tables))
        cols = store.sql("SELECT column_name FROM information_schema.columns "
                         "WHERE table_name = ?", [table])["column_name"].tolist()
        for col in (c for c in COUNTRY_COLUMNS if c in cols):
            codes = store.sql(f'SELECT DISTINCT "{col}" AS code FROM "{table}" '
                              f'WHERE "{col}" IS NOT NULL')["code"]
            for code in codes:
                seen.setdefault(str(code), set()).add(table)
    rows = [{"country": code, "name": country_name(code),
             "pseudo": code in PSEUDO_CODES, "tables": ", ".join(sorted(found))}
            for code, found in sorted(seen.items())]
    return pd.DataFrame(rows, columns=["country", "name", "pseudo", "tables"])
