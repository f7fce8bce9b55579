"""critmin: critical-minerals supply chains, their concentration, exposure and trade policy.

The public surface, layer by layer (data flows left to right)::

    Store, production_view           the harmonised store and its read helpers
    Bloc, bloc, resolve              named country sets (the module critmin.blocs lists them)
    build_baseline, Baseline         complete bilateral matrices (observed + estimated cells)
    Scenario, Shock, load_scenario   the one scenario language (critmin.scenario)
    PartialEquilibrium               the GSIM-style partial-equilibrium model (model: pe)
    StructuralGravity, estimate_ppml the structural-gravity general-equilibrium model (model: ge)
    Result                           what every model returns (critmin.models.base)
    run                              any scenario -> Result (`critmin run FILE`)

Names are imported on first use (PEP 562), so ``import critmin`` and ``critmin --help``
load no pandas, DuckDB or SciPy until a name that needs them is touched.
"""

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_LAZY = {
    "Baseline": "critmin.baseline",
    "Bloc": "critmin.blocs",
    "CritminError": "critmin.errors",
    "Mineral": "critmin.vocab",
    "PartialEquilibrium": "critmin.models.pe",
    "Result": "critmin.models.base",
    "Scenario": "critmin.scenario",
    "Shock": "critmin.scenario",
    "Stage": "critmin.vocab",
    "Store": "critmin.store",
    "StructuralGravity": "critmin.models.ge",
    "bloc": "critmin.blocs",
    "build_baseline": "critmin.baseline",
    "estimate_ppml": "critmin.models.ge.ppml",
    "load_scenario": "critmin.scenario",
    "mineral": "critmin.vocab",
    "minerals": "critmin.vocab",
    "production_view": "critmin.store.views",
    "resolve": "critmin.blocs",
    "run": "critmin.runner",
    "stage": "critmin.vocab",
}

__all__ = ["Baseline", "Bloc", "CritminError", "Mineral", "PartialEquilibrium", "Result", "Scenario",
           "Shock", "Stage", "Store", "StructuralGravity", "__version__", "bloc",
           "build_baseline", "estimate_ppml", "load_scenario", "mineral", "minerals",
           "production_view", "resolve", "run", "stage"]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'critmin' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


if _typing.TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from critmin.baseline import Baseline, build_baseline
    from critmin.blocs import Bloc, bloc, resolve
    from critmin.errors import CritminError
    from critmin.models.base import Result
    from critmin.models.ge import StructuralGravity
    from critmin.models.ge.ppml import estimate_ppml
    from critmin.models.pe import PartialEquilibrium
    from critmin.runner import run
    from critmin.scenario import Scenario, Shock, load_scenario
    from critmin.store import Store
    from critmin.store.views import production_view
    from critmin.vocab import Mineral, Stage, mineral, minerals, stage
