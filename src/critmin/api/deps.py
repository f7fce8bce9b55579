"""What every route shares: the store dependency, the response documents, a cache.

Responses of the read-only routes are cached per store version (the file's inode, mtime
and size) and request URL: a rebuilt store is a new version, so the cache never serves a
replaced store's rows.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from critmin.api.schemas import Format
from critmin.errors import StoreError
from critmin.reports.documents import dumps, rows_document
from critmin.store import Store

if TYPE_CHECKING:
    import pandas as pd


async def get_store(request: Request) -> Store:
    """The configured store (read-only); 503 with the CLI's message when it is missing."""
    return Store.open(request.app.state.config.store)


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


class ResponseCache:
    """A small LRU of finished responses, keyed by request URL and store version.

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
    """``make()`` (in a worker thread) once per URL and store version."""
    cache: ResponseCache = request.app.state.cache
    key = (request.scope["path"], request.scope.get("query_string", b"").decode("latin-1"),
           store_version(request.app.state.config.store))
    return await cache.get_or_make_async(key, lambda: run_in_threadpool(make))
