"""critmin: critical-minerals supply chains, their concentration, exposure and trade policy.

The public surface, layer by layer (data flows left to right)::

    Store, production_view           the harmonised store and its read helpers
    Bloc, bloc, resolve              named country sets (the module critmin.blocs lists them)
    build_baseline, Baseline         complete bilateral matrices (observed + estimated cells)
    PartialEquilibrium, run_scenario the GSIM-style partial-equilibrium model
    StructuralGravity, estimate_ppml the structural-gravity general-equilibrium model

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
    "Scenario": "critmin.models.scenario",
    "Shock": "critmin.models.scenario",
    "Stage": "critmin.vocab",
    "Store": "critmin.store",
    "StructuralGravity": "critmin.models.gravity",
    "bloc": "critmin.blocs",
    "build_baseline": "critmin.baseline",
    "estimate_ppml": "critmin.models.ppml",
    "load_scenario": "critmin.models.scenario",
    "mineral": "critmin.vocab",
    "minerals": "critmin.vocab",
    "production_view": "critmin.store.views",
    "resolve": "critmin.blocs",
    "run_scenario": "critmin.models.pe",
    "stage": "critmin.vocab",
}

__all__ = ["Baseline", "Bloc", "CritminError", "Mineral", "PartialEquilibrium", "Scenario",
           "Shock", "Stage", "Store", "StructuralGravity", "__version__", "bloc",
           "build_baseline", "estimate_ppml", "load_scenario", "mineral", "minerals",
           "production_view", "resolve", "run_scenario", "stage"]


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
    from critmin.models.gravity import StructuralGravity
    from critmin.models.pe import PartialEquilibrium, run_scenario
    from critmin.models.ppml import estimate_ppml
    from critmin.models.scenario import Scenario, Shock, load_scenario
    from critmin.store import Store
    from critmin.store.views import production_view
    from critmin.vocab import Mineral, Stage, mineral, minerals, stage
