"""Store: the harmonised DuckDB file, each table with its provenance.

Writes are atomic: a new store is written to a temporary file beside the target and
renamed into place only once complete, so a failed or killed build leaves the previous
store untouched.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from critmin.config import settings
from critmin.errors import StoreError
from critmin.sources.origin import Origin
from critmin.store import schema as schema_mod

PROVENANCE_COLUMNS = ("table", "source", "publisher", "title", "vintage", "url", "licence",
                      "sha256", "file", "redistributable", "rows", "built_at")


@dataclass(slots=True)
class TableData:
    """A table ready to store: conformed rows plus the origins its ``source`` column names."""

    name: str
    frame: pd.DataFrame
    origins: tuple[Origin, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        self.frame = schema_mod.conform(self.name, self.frame)
        if "source" in self.frame.columns and self.origins:
            known = {o.source for o in self.origins}
            unknown = set(self.frame["source"].dropna().unique()) - known
            if unknown:
                msg = f"table {self.name!r}: rows name source(s) {sorted(unknown)} with no Origin"
                raise StoreError(msg)

    def provenance(self, built_at: str) -> pd.DataFrame:
        rows = []
        for o in self.origins:
            if "source" in self.frame.columns:
                n = int((self.frame["source"] == o.source).sum())
            else:
                n = len(self.frame)
            rows.append({"table": self.name, **o.to_dict(), "rows": n, "built_at": built_at})
        return pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS))


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.building-{os.getpid()}")


def remove_stale_builds(path: Path) -> None:
    """Delete temporary files left by builds that were killed."""
    for stale in path.parent.glob(f".{path.name}.building-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            stale.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_store(path: Path, tables: Iterable[TableData], *, base: Path | None = None,
                replace_all: bool = True,
                on_table: Callable[[str], None] | None = None) -> Path:
    """Write ``tables`` to a new store at ``path`` atomically.

    With ``base``, start from a copy of that store and replace only the given tables
    (``data import``); otherwise the new store holds exactly ``tables``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(path)
    tmp = _tmp_path(path)
    tmp.unlink(missing_ok=True)
    built_at = _now()
    try:
        if base is not None:
            shutil.copyfile(base, tmp)
        con = duckdb.connect(str(tmp))
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS provenance (" + ", ".join(
                    f'"{c}" {"BIGINT" if c == "rows" else "BOOLEAN" if c == "redistributable" else "VARCHAR"}'
                    for c in PROVENANCE_COLUMNS) + ")")
            for table in tables:
                frame = table.frame  # noqa: F841  (read by DuckDB's replacement scan)
                con.execute(f'CREATE OR REPLACE TABLE "{table.name}" AS SELECT * FROM frame')
                con.execute('DELETE FROM provenance WHERE "table" = ?', [table.name])
                prov = table.provenance(built_at)  # noqa: F841
                con.execute("INSERT INTO provenance SELECT * FROM prov")
                if on_table is not None:
                    on_table(table.name)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class _ReadConnections:
    """One read-only DuckDB connection per store file in this process, reopened when the
    file is replaced (a rebuild renames a new file into place: new inode).

    Opening a DuckDB file costs ~20 ms; a baseline or a demo runs dozens of queries. One
    shared connection per path (not one per Store object) also keeps DuckDB's in-process
    instance cache from serving a replaced file's old contents. Queries run on cursors of
    the shared connection, so threads do not share a cursor.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, tuple[tuple[int, int, int], duckdb.DuckDBPyConnection,
                                    list[str] | None]] = {}

    def cursor(self, path: Path) -> tuple[duckdb.DuckDBPyConnection, tuple[int, int, int]]:
        key = str(path.resolve())
        try:
            st = os.stat(key)
        except FileNotFoundError as exc:
            raise StoreError(f"No store at {path}. Build it with `critmin data build`.") from exc
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            entry = self._open.get(key)
            if entry is None or entry[0] != stamp:
                if entry is not None:
                    entry[1].close()
                try:
                    con = duckdb.connect(key, read_only=True)
                except duckdb.Error as exc:
                    self._open.pop(key, None)
                    raise StoreError(f"Cannot read the store at {path}: {exc}") from exc
                entry = (stamp, con, None)
                self._open[key] = entry
            return entry[1].cursor(), stamp

    def tables(self, path: Path, stamp: tuple[int, int, int]) -> list[str] | None:
        entry = self._open.get(str(path.resolve()))
        return entry[2] if entry is not None and entry[0] == stamp else None

    def remember_tables(self, path: Path, stamp: tuple[int, int, int], tables: list[str]) -> None:
        key = str(path.resolve())
        with self._lock:
            entry = self._open.get(key)
            if entry is not None and entry[0] == stamp:
                self._open[key] = (stamp, entry[1], tables)

    def close(self, path: Path | None = None) -> None:
        with self._lock:
            keys = list(self._open) if path is None else [str(Path(path).resolve())]
            for key in keys:
                entry = self._open.pop(key, None)
                if entry is not None:
                    entry[1].close()


_READERS = _ReadConnections()


class Store:
    """Read access to a built store.

    Parameters
    ----------
    path : Path, optional
        The DuckDB file. Defaults to ``CRITMIN_STORE`` or the user data directory.

    Examples
    --------
    >>> store = Store.open()                         # doctest: +SKIP
    >>> store.table("production", mineral="cobalt")  # doctest: +SKIP
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else settings().store

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        """The store at ``path``; StoreError if it has not been built."""
        store = cls(path)
        if not store.path.exists():
            msg = (f"No store at {store.path}. Build it with `critmin data build` "
                   "(or set CRITMIN_STORE / --store to an existing store).")
            raise StoreError(msg)
        return store

    def sql(self, query: str, params: Sequence[object] | None = None) -> pd.DataFrame:
        """Run a read-only SQL query and return a DataFrame."""
        cur, _ = _READERS.cursor(self.path)
        try:
            return cur.execute(query, params or []).df()
        finally:
            cur.close()

    def tables(self) -> list[str]:
        cur, stamp = _READERS.cursor(self.path)
        cur.close()
        cached = _READERS.tables(self.path, stamp)
        if cached is None:
            frame = self.sql("SELECT table_name FROM information_schema.tables ORDER BY 1")
            cached = [t for t in frame["table_name"] if t != "provenance"]
            _READERS.remember_tables(self.path, stamp, cached)
        return list(cached)

    def close(self) -> None:
        """Close this process's read connection to the store file (reopened on demand)."""
        _READERS.close(self.path)

    def has_table(self, name: str) -> bool:
        return name in self.tables()

    def table(self, name: str, **filters: object) -> pd.DataFrame:
        """Rows of ``name`` where each filter column equals (or is in) the given value."""
        if not self.has_table(name):
            msg = (f"The store at {self.path} has no table {name!r} (it has {self.tables()}). "
                   "Rebuild it with `critmin data build`.")
            raise StoreError(msg)
        where, params = [], []
        for col, value in filters.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple, set, frozenset)):
                values = list(value)
                where.append(f'"{col}" IN (' + ", ".join("?" * len(values)) + ")")
                params.extend(values)
            else:
                where.append(f'"{col}" = ?')
                params.append(value)
        query = f'SELECT * FROM "{name}"' + (" WHERE " + " AND ".join(where) if where else "")
        frame = self.sql(query, params)
        try:
            frame.attrs["units"] = schema_mod.units(name)
        except KeyError:
            pass
        return frame

    def provenance(self, tables: Iterable[str] | None = None) -> pd.DataFrame:
        frame = self.sql('SELECT * FROM provenance ORDER BY "table", source')
        if tables is not None:
            frame = frame[frame["table"].isin(list(tables))].reset_index(drop=True)
        return frame

    def provenance_records(self, tables: Iterable[str], sources: Iterable[str] | None = None,
                           ) -> list[dict[str, object]]:
        """Provenance of the given tables (and, optionally, only the given sources) as
        JSON-ready records: what a CLI or API result carries beside its rows."""
        frame = self.provenance(tables)
        if sources is not None:
            frame = frame[frame["source"].isin(list(sources))]
        cols = ["table", "source", "publisher", "title", "vintage", "url", "licence", "sha256"]
        return frame[cols].drop_duplicates().to_dict("records")

    def status(self) -> pd.DataFrame:
        """One row per table and source: rows, vintage, licence and sha256."""
        counts = {t: int(self.sql(f'SELECT count(*) AS n FROM "{t}"')["n"].iloc[0])
                  for t in self.tables()}
        prov = self.provenance()
        prov["table_rows"] = prov["table"].map(counts)
        return prov
