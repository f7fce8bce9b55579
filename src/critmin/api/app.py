"""The FastAPI application: routers, error handling and the limits that make it safe to run
as a service.

Safety, by construction:

- ``critmin serve`` binds 127.0.0.1 unless told otherwise.
- No request names a path the server reads: scenario documents arrive in the body, and a
  scenario's data reference resolves only inside the configured source directory
  (:meth:`critmin.scenario.load.LoadContext.data_path`: ``..``, absolute, encoded and symlink escapes
  are refused).
- Request bodies are limited (:attr:`Limits.max_body_bytes`, 413 beyond).
- Every solve runs under a time limit (:attr:`Limits.solve_seconds`, 503 beyond) and at
  most :attr:`Limits.max_solves` at once (503 "busy" beyond), so metric routes keep serving.
- Every read route that computes (metrics, flows, coverage, chains, reference tables) runs in
  :attr:`Limits.query_threads` threads under a time limit counted from the request's arrival
  (:attr:`Limits.query_seconds`, 503 beyond; :func:`critmin.api.deps.bounded`).
- The store is opened read-only; a store rebuilt underneath (a new file renamed into place)
  is picked up by the next query (:class:`critmin.store.catalog.Store`).

Errors: bad input is 422 with the message the CLI prints; a missing or unreadable store and
an exhausted time limit are 503; never a traceback.

The web dashboard (``critmin.web``, owned by the web pages) plugs in here: files under
``critmin/web/static`` are served at ``/static``, and if ``critmin.web`` defines ``router``
(an ``APIRouter``) it is included before the API's own routes.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from critmin.errors import CritminError, InputError, SolveError, StoreError

log = logging.getLogger("critmin.api")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one request may ask of the server."""

    max_body_bytes: int = 256 * 1024      # a scenario document is a few KB
    solve_seconds: float = 30.0           # wall time of one scenario run
    query_seconds: float = 30.0           # wall time of one read request (queue included)
    query_threads: int = 4                # read requests computing at once
    cache_entries: int = 512              # finished responses kept (0: every request computes)
    read_cache_mb: float = 256            # store query results kept, MB of real size (0: none)
    max_solves: int = 2                   # scenario runs at once (2 cores)
    queue_seconds: float = 10.0           # wait for a free solve slot before 503 "busy"
    kill_grace_seconds: float = 2.0       # then a run past its limit has its worker ended
    startup_seconds: float = 60.0         # allowance for new workers to import the models
    max_markets: int = 12                 # PE markets in one scenario document
    max_draws: int = 200                  # GE Monte Carlo draws in one request


class SolveTimeout(CritminError):
    """A solve exceeded its time limit (HTTP 503)."""


class QueryTimeout(CritminError):
    """A read request exceeded its time limit (HTTP 503)."""


class Busy(CritminError):
    """Every solve slot is taken (HTTP 503)."""


class TooLarge(InputError):
    """A request that asks for more than the limits allow (HTTP 413)."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What the app serves: the store file, the source directory for scenario data."""

    store: Path
    source_dir: Path | None
    limits: Limits


def create_app(store: Path | str | None = None, *, source_dir: Path | str | None = None,
               limits: Limits | None = None) -> FastAPI:
    """The critmin REST service (and the web dashboard, when installed).

    Parameters
    ----------
    store : path, optional
        The DuckDB store (opened read-only). Default: ``CRITMIN_STORE`` or the user data dir.
    source_dir : path, optional
        The only directory scenario ``data`` references may resolve in; None (the default)
        refuses every data reference. ``critmin serve`` passes ``--source-dir``, else
        ``CRITMIN_SOURCE_DIR`` or ``../shared/data`` beside the checkout.
    limits : Limits, optional
        Body size, solve time and concurrency limits.
    """
    from critmin import __version__
    from critmin.config import settings

    config = ServiceConfig(
        store=Path(store) if store is not None else settings().store,
        source_dir=Path(source_dir) if source_dir is not None else None,
        limits=limits or Limits())
    from critmin.api.solves import SolveRunner

    solves = SolveRunner(config.limits)
    queries = QueryThreads(config.limits.query_threads)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        solves.warm()
        yield
        solves.shutdown()  # the worker processes go with the server
        queries.shutdown()  # abandoned reads stop at their next store query

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,   # served below from the swagger-ui-bundle package, not a CDN
        redoc_url=None,  # ReDoc comes only from a CDN (no Python package ships it)
        title="critmin",
        version=__version__,
        summary="Critical-minerals supply chains: production, concentration, exposure, "
                "flows and trade-policy scenarios.",
        description="Every table is a JSON document with `rows` (or named tables) and "
                    "`provenance` (source, vintage, licence, sha256 of every input), the "
                    "same document `critmin ... --format json` prints. Bad input is 422 with "
                    "the CLI's message.",
    )
    app.state.config = config
    app.state.solves = solves
    app.state.queries = queries
    from critmin.api.deps import ReadCache, ResponseCache

    app.state.cache = ResponseCache(config.limits.cache_entries)
    app.state.reads = ReadCache(int(config.limits.read_cache_mb * 1024 * 1024))
    dashboard = _mount_web(app)
    _docs(app)
    from critmin.api import chains, flows, metrics, reference, scenarios, sourcing

    for module in (reference, metrics, flows, scenarios, sourcing, chains):
        app.include_router(module.router, prefix="/api")
    _error_handlers(app)
    from critmin.api.limits import BodySizeLimit, CachedResponses

    app.add_middleware(BodySizeLimit, max_bytes=config.limits.max_body_bytes)
    app.add_middleware(CachedResponses, cache=app.state.cache, store=config.store,
                       router=app.router)
    if not dashboard:  # "/" is the dashboard's home page; without it, the API's docs
        app.add_api_route("/", lambda: RedirectResponse("/docs"), include_in_schema=False)
    return app


class QueryThreads:
    """The threads read routes compute in (:func:`critmin.api.deps.bounded`): started on
    first use, ended with the server, started again if the app is served again."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.threads,
                                                thread_name_prefix="critmin-query")
            return self._pool

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the ``swagger-ui-bundle-v2`` package (its script, style
    and icon at ``/docs/assets``), so the page works with no internet."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    try:
        from swagger_ui_bundle import swagger_ui_path
    except ModuleNotFoundError:  # an environment installed before the dependency was added
        log.warning("/docs is off: the swagger-ui-bundle-v2 package is not installed "
                    "(run `make venv`).")
        return

    assets = "/docs/assets"
    app.mount(assets, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    def docs() -> Any:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png", oauth2_redirect_url=None)

    app.add_api_route("/docs", docs, include_in_schema=False)


def _mount_web(app: FastAPI) -> bool:
    """Serve the dashboard (``critmin.web``) if it is installed: True when its pages are
    included (its router answers ``/``)."""
    from fastapi.staticfiles import StaticFiles

    from critmin.config import PACKAGE_DIR

    static = PACKAGE_DIR / "web" / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")
    try:
        web = importlib.import_module("critmin.web")
    except ModuleNotFoundError as exc:
        if exc.name != "critmin.web":
            raise
        return False
    router = getattr(web, "router", None)
    if router is None:
        return False
    app.include_router(router)
    return True


def _error(status: int, exc: Exception, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=status,
                        headers=headers)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TooLarge)
    async def too_large(_: Request, exc: TooLarge) -> JSONResponse:
        return _error(413, exc)

    @app.exception_handler(InputError)
    async def bad_input(_: Request, exc: InputError) -> JSONResponse:
        return _error(422, exc)

    @app.exception_handler(SolveError)
    async def not_solved(_: Request, exc: SolveError) -> JSONResponse:
        return _error(422, exc)

    @app.exception_handler(SolveTimeout)
    async def timed_out(_: Request, exc: SolveTimeout) -> JSONResponse:
        return _error(503, exc, {"Retry-After": "30"})

    @app.exception_handler(QueryTimeout)
    async def query_timed_out(_: Request, exc: QueryTimeout) -> JSONResponse:
        return _error(503, exc, {"Retry-After": "10"})

    @app.exception_handler(Busy)
    async def busy(_: Request, exc: Busy) -> JSONResponse:
        return _error(503, exc, {"Retry-After": "5"})

    @app.exception_handler(StoreError)
    async def no_store(_: Request, exc: StoreError) -> JSONResponse:
        return _error(503, exc)

    @app.exception_handler(CritminError)
    async def other(_: Request, exc: CritminError) -> JSONResponse:
        status = 422 if exc.exit_code == 2 else 503
        return _error(status, exc)


def config_of(request: Request) -> Any:
    return request.app.state.config
