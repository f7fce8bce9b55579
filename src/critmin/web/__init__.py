"""The web dashboard, served by the REST app (:func:`critmin.api.create_app` includes
:data:`router`): Map, Flows, Concentration and Scenario pages that work with no network.

Talks to the library only through its figure routes (:mod:`critmin.web.routes`) and to the
REST API for scenario runs.
"""

from critmin.web.routes import router

__all__ = ["router"]
