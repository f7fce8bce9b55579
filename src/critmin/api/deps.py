"""What every route shares: the store dependency, the response documents, a cache, and the
time limit of a computing read route.

Responses of the read-only routes are cached per store version (the file's inode, mtime
and size) and request URL: a rebuilt store is a new version, so the cache never serves a
replaced store's rows.

A read route computes (:func:`cached`) in the app's query threads under
``Limits.query_seconds``, counted from the request's arrival: past it the request answers
503 (:class:`critmin.api.app.QueryTimeout`) and the computation is abandoned; it stops at
its next store query (:class:`RequestStore` checks the deadline), so an abandoned request
frees its thread within one query and a request that waited its whole limit in the queue
never starts.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from critmin.api.schemas import Format
from critmin.errors import StoreError
from critmin.reports.documents import dumps, rows_document
from critmin.store import Store

if TYPE_CHECKING:
    import pandas as pd


class RequestStore(Store):
    """The store as one request sees it: every query first checks the request's deadline,
    so a computation abandoned at its time limit stops at its next query; query results
    come from the app's :class:`ReadCache` when the same store version answered the same
    query before."""

    deadline: QueryDeadline | None = None
    reads: ReadCache | None = None

    def sql(self, query: str, params: Any = None) -> pd.DataFrame:
        if self.deadline is not None:
            self.deadline.check()
        if self.reads is None:
            return super().sql(query, params)
        return self.reads.get(self.path, query, params, super().sql)


class ReadCache:
    """Results of read-only store queries, per store version (inode, mtime, size), query
    and parameters, up to ``max_bytes``; each caller gets its own copy.

    A read route runs the same few queries again and again (the provenance table, a
    mineral's production rows, the governance indicators ...); the store is read-only and
    a rebuilt store is a new version, so a remembered result is the one the query would
    return.

    Entries are sized once, when they are stored, by their real bytes
    (:func:`frame_bytes`: the strings of object columns included, as
    ``memory_usage(deep=True)`` counts them, not 8 bytes a cell); a result larger than a
    quarter of ``max_bytes`` is not kept, and the least recently used entries go first.
    """

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[pd.DataFrame, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        """The bytes the kept results hold (their sizes when stored, with overhead)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, path: Any, query: str, params: Any,
            run: Callable[[str, Any], pd.DataFrame]) -> pd.DataFrame:
        if self.max_bytes <= 0:
            return run(query, params)
        key = (str(path), store_version(path), query, _hashable(params))
        try:
            hash(key)
        except TypeError:
            return run(query, params)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
        if hit is not None:
            return _copy(hit[0])
        frame = run(query, params)
        limit = self.max_bytes // 4
        # The shallow count (8 bytes an object cell) is never more than the real size: a
        # result already too large by it is not measured further.
        if int(frame.memory_usage(index=True, deep=False).sum()) + ENTRY_OVERHEAD > limit:
            return frame
        size = frame_bytes(frame) + ENTRY_OVERHEAD
        if size <= limit:
            with self._lock:
                if key not in self._items:
                    self._items[key] = (_copy(frame), size)
                    self._bytes += size
                while self._bytes > self.max_bytes and self._items:
                    _, (_, dropped) = self._items.popitem(last=False)
                    self._bytes -= dropped
        return frame


#: Bytes added to each entry for its key and bookkeeping.
ENTRY_OVERHEAD = 1024


def frame_bytes(frame: pd.DataFrame) -> int:
    """The bytes ``frame`` holds: what ``frame.memory_usage(index=True, deep=True).sum()``
    reports, at a fraction of its cost on the store's results.

    pandas sizes an object column by calling ``sys.getsizeof`` on every cell (about 0.1 us
    a cell: 30 ms for a mineral's 16,700 flow rows). In a column of text, which is what the
    store returns, the ASCII cells are sized at once through pyarrow (a compact ASCII
    ``str`` takes ``sys.getsizeof("")`` bytes plus one a character) and only the other
    cells (nulls, non-ASCII text) one by one; a column that is not all text (numbers,
    dates) is sized cell by cell as pandas does. Converting a non-ASCII ``str`` to UTF-8
    makes CPython keep that copy with the string: real bytes, counted (pandas' deep count
    includes them too from then on).
    """
    from pandas.api.types import is_object_dtype

    total = int(frame.index.memory_usage(deep=True))
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        if is_object_dtype(column.dtype):
            values = column.to_numpy()
            total += values.nbytes + _object_bytes(values)
        else:
            total += int(column.memory_usage(index=False, deep=True))
    return total


_STR_HEAD = sys.getsizeof("")  # a compact ASCII str takes this plus one byte a character
_ARROW_FROM = 1000  # cells; below, pandas' cell-by-cell count is the faster (~0.1 ms either way)


def _object_bytes(values: Any) -> int:
    """``sys.getsizeof`` summed over the cells of an object array."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from pandas._libs.lib import memory_usage_of_objects

    from pandas.api.types import infer_dtype

    # the arrow count is right for Python str only (pyarrow also takes bytes as text)
    if len(values) < _ARROW_FROM or infer_dtype(values, skipna=True) != "string":
        return int(memory_usage_of_objects(values))
    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):  # not all text: numbers, dates ...
        return int(memory_usage_of_objects(values))
    ascii_cells = pc.fill_null(pc.string_is_ascii(text), False)
    chars = pc.sum(pc.if_else(ascii_cells, pc.binary_length(text), 0)).as_py() or 0
    ascii_np = np.asarray(ascii_cells.to_numpy(zero_copy_only=False), dtype=bool)
    size = int(ascii_np.sum()) * _STR_HEAD + int(chars)
    if not ascii_np.all():  # nulls (None, NaN, pd.NA) and non-ASCII text, as pandas counts them
        others = values[~ascii_np]
        none = np.equal(others, None).astype(bool)
        size += int(none.sum()) * sys.getsizeof(None) + sum(map(sys.getsizeof, others[~none]))
    return size


def _copy(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy(deep=True)
    out.attrs = dict(frame.attrs)
    return out


def _hashable(params: Any) -> tuple:
    if not params:
        return ()
    return tuple(tuple(p) if isinstance(p, list) else p for p in params)


class QueryDeadline:
    """``seconds`` from the request's arrival (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> None:
        if self.left() <= 0:
            from critmin.api.app import QueryTimeout

            raise QueryTimeout(query_timeout_message(self.seconds))


def query_timeout_message(seconds: float) -> str:
    return (f"The request took longer than this server's limit of {seconds:g} s for one "
            "query and was stopped. Ask for less (one mineral, stage or year), try again "
            "when the server is less busy, or run the same command with the CLI.")


def request_deadline(request: Request) -> QueryDeadline:
    """The request's deadline, started on first use (when its dependencies resolve)."""
    deadline = getattr(request.state, "deadline", None)
    if deadline is None:
        deadline = QueryDeadline(request.app.state.config.limits.query_seconds)
        request.state.deadline = deadline
    return deadline


async def get_store(request: Request) -> Store:
    """The configured store (read-only); 503 with the CLI's message when it is missing."""
    store = RequestStore.open(request.app.state.config.store)
    store.deadline = request_deadline(request)
    store.reads = request.app.state.reads
    return store


StoreDep = Annotated[Store, Depends(get_store)]

JSON_AND_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
          "description": "A document (format=json) or the rows as CSV (format=csv)."},
    422: {"description": "Bad input: the message the CLI prints for it."},
    503: {"description": "No store, or it cannot be read."},
}


def json_response(doc: Any, status: int = 200) -> Response:
    return Response(dumps(doc, indent=None), status_code=status, media_type="application/json")


def table_response(frame: pd.DataFrame, fmt: Format, provenance: Any = None,
                   extra: dict[str, Any] | None = None) -> Response:
    """The CLI's ``--format json`` document, or CSV."""
    if fmt is Format.csv:
        return Response(frame.to_csv(index=False), media_type="text/csv")
    return json_response(rows_document(frame, provenance, extra))


def declared_query(route: Any, query_string: str) -> str:
    """The query string as the route reads it: only the parameters it declares, grouped by
    name in name order (each name's values in their order). Two URLs that ask the route
    the same thing get one cache entry; a parameter the route ignores (``?nocache=1``)
    does not make it compute again."""
    from urllib.parse import parse_qsl, urlencode

    names = _declared_names(route)
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if names is not None:
        pairs = [(k, v) for k, v in pairs if k in names]
    return urlencode(sorted(pairs, key=lambda kv: kv[0]))


def _declared_names(route: Any) -> frozenset[str] | None:
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    names = getattr(route, "_critmin_query_names", None)
    if names is None:
        names = frozenset(p.alias for p in _all_query_params(dependant))
        route._critmin_query_names = names
    return names


def _all_query_params(dependant: Any) -> list[Any]:
    out = list(dependant.query_params)
    for sub in dependant.dependencies:
        out.extend(_all_query_params(sub))
    return out


def response_key(scope: dict, route: Any, store: os.PathLike[str] | str) -> tuple:
    """The cache key of a read request: path, declared query, store version."""
    return (scope["path"], declared_query(route, scope.get("query_string", b"").decode("latin-1")),
            store_version(store))


class ResponseCache:
    """A small LRU of finished responses, keyed by request (path and the query the route
    reads, :func:`declared_query`) and store version; ``size`` 0 turns it off.

    Concurrent requests for the same key while the first is computing wait for it instead
    of computing again (per event loop).
    """

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._inflight: dict[tuple, asyncio.Future] = {}
        self._lock = threading.Lock()
        self.size = size

    def raw(self, key: tuple) -> tuple[bytes, str] | None:
        """The cached body and media type for ``key``, or None."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def _get(self, key: tuple) -> Response | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
        return Response(hit[0], media_type=hit[1], headers={"X-Cache": "hit"})

    def _put(self, key: tuple, response: Response) -> None:
        if response.status_code != 200:
            return
        with self._lock:
            self._items[key] = (bytes(response.body), response.media_type or "")
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    async def get_or_make_async(self, key: tuple,
                                make: Callable[[], Awaitable[Response]]) -> Response:
        if self.size <= 0:  # no cache: every request computes (and waits for no other)
            return await make()
        hit = self._get(key)
        if hit is not None:
            return hit
        loop = asyncio.get_running_loop()
        flight = (id(loop), key)
        pending = self._inflight.get(flight)
        if pending is not None:
            response = await asyncio.shield(pending)
            return Response(bytes(response.body), status_code=response.status_code,
                             media_type=response.media_type)
        future: asyncio.Future = loop.create_future()
        self._inflight[flight] = future
        try:
            response = await make()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            self._inflight.pop(flight, None)
        self._put(key, response)
        if not future.done():
            future.set_result(response)
        return response


def store_version(path: os.PathLike[str] | str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise StoreError(f"No store at {path}. Build it with `critmin data build`.") from exc
    return (st.st_ino, st.st_mtime_ns, st.st_size)


async def cached(request: Request, make: Callable[[], Response]) -> Response:
    """``make()`` once per URL and store version, in a query thread, within the request's
    time limit (:func:`bounded`)."""
    cache: ResponseCache = request.app.state.cache
    key = response_key(request.scope, request.scope.get("route"), request.app.state.config.store)
    return await cache.get_or_make_async(key, lambda: bounded(request, make))


async def bounded(request: Request, make: Callable[[], Response]) -> Response:
    """``make()`` in the app's query threads; 503 (QueryTimeout) once the request's time
    limit is up. The thread is abandoned, not waited for: it stops at its next store query
    (or at its start, if it waited in the queue past the limit)."""
    deadline = request_deadline(request)

    def run() -> Response:
        deadline.check()
        return make()

    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(request.app.state.queries.executor(),
                                  functools.partial(contextvars.copy_context().run, run))
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout=max(deadline.left(), 0))
    except (asyncio.TimeoutError, TimeoutError):
        future.add_done_callback(_retrieve)  # its late error or answer is dropped
        from critmin.api.app import QueryTimeout

        raise QueryTimeout(query_timeout_message(deadline.seconds)) from None


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()
