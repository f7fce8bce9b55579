"""critmin: critical-minerals supply chains, their concentration, exposure and trade policy.

The public surface, layer by layer (data flows left to right)::

    Store, production_view           the harmonised store and its read helpers
    Bloc, bloc, resolve              named country sets (the module critmin.blocs lists them)
    build_baseline, Baseline         complete bilateral matrices (observed + estimated cells)
    PartialEquilibrium, run_scenario the GSIM-style partial-equilibrium model
    StructuralGravity, estimate_ppml the structural-gravity general-equilibrium model
"""

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

__version__ = "0.1.0"

__all__ = ["Baseline", "Bloc", "CritminError", "Mineral", "PartialEquilibrium", "Scenario",
           "Shock", "Stage", "Store", "StructuralGravity", "__version__", "bloc",
           "build_baseline", "estimate_ppml", "load_scenario", "mineral", "minerals",
           "production_view", "resolve", "run_scenario", "stage"]
