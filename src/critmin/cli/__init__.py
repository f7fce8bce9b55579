"""The ``critmin`` command line. Errors on bad input print one clear message and exit 2;
other failures exit 1; never a traceback (see :class:`critmin.cli.app.CritminGroup`)."""

from __future__ import annotations

from critmin.cli.app import app

# Command modules register themselves on ``app`` when imported; the import order is the
# order of `critmin --help`, so the block is deliberately not sorted.
# ruff: noqa: I001
from critmin.cli import data as _data  # noqa: F401
from critmin.cli import fetch as _fetch  # noqa: F401
from critmin.cli import reference as _reference  # noqa: F401
from critmin.cli import production as _production  # noqa: F401
from critmin.cli import flows as _flows  # noqa: F401
from critmin.cli import metrics as _metrics  # noqa: F401
from critmin.cli import run as _run  # noqa: F401
from critmin.cli import scenario as _scenario  # noqa: F401
from critmin.cli import routes as _routes  # noqa: F401
from critmin.cli import gravity as _gravity  # noqa: F401
from critmin.cli import chain as _chain  # noqa: F401
from critmin.cli import demo as _demo  # noqa: F401
from critmin.cli import serve as _serve  # noqa: F401

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``critmin`` console script."""
    app()
