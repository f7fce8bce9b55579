"""The REST service: FastAPI routers that parse, call the library, serialise.

``create_app()`` builds the application ``critmin serve`` runs; every route returns the
same JSON document as the matching CLI command (``rows`` or ``tables``, plus
``provenance``). See :mod:`critmin.api.app` for the safety limits. Names load on first use,
so the solve workers (:mod:`critmin.api.jobs`) do not import FastAPI.
"""

from __future__ import annotations

import typing as _typing

__all__ = ["Limits", "create_app"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from critmin.api import app

        return getattr(app, name)
    msg = f"module 'critmin.api' has no attribute {name!r}"
    raise AttributeError(msg)


if _typing.TYPE_CHECKING:
    from critmin.api.app import Limits, create_app
