"""The REST service: FastAPI routers that parse, call the library, serialise.

``create_app()`` builds the application ``critmin serve`` runs; every route returns the
same JSON document as the matching CLI command (``rows`` or ``tables``, plus
``provenance``). See :mod:`critmin.api.app` for the safety limits.
"""

from critmin.api.app import Limits, create_app

__all__ = ["Limits", "create_app"]
