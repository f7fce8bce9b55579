"""What every route shares: the store dependency, the response documents, a cache.

Responses of the read-only routes are cached per store version (the file's inode, mtime
and size) and request URL: a rebuilt store is a new version, so the cache never serves a
replaced store's rows.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from critmin.api.schemas import Format
from critmin.errors import StoreError
from critmin.reports.documents import dumps, rows_document
from critmin.store import Store

if TYPE_CHECKING:
    import pandas as pd


def get_store(request: Request) -> Store:
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
    """A small LRU of finished responses, keyed by request URL and store version."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get_or_make(self, key: tuple, make: Callable[[], Response]) -> Response:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
        if hit is not None:
            return Response(hit[0], media_type=hit[1], headers={"X-Cache": "hit"})
        response = make()
        if response.status_code == 200:
            with self._lock:
                self._items[key] = (bytes(response.body), response.media_type or "")
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return response


def store_version(path: os.PathLike[str] | str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise StoreError(f"No store at {path}. Build it with `critmin data build`.") from exc
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def cached(request: Request, make: Callable[[], Response]) -> Response:
    """``make()`` once per URL and store version."""
    cache: ResponseCache = request.app.state.cache
    key = (request.url.path, str(request.url.query),
           store_version(request.app.state.config.store))
    return cache.get_or_make(key, make)
