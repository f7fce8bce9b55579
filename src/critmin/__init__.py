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
"""

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

__version__ = "0.1.0"

__all__ = ["Baseline", "Bloc", "CritminError", "Mineral", "PartialEquilibrium", "Result", "Scenario",
           "Shock", "Stage", "Store", "StructuralGravity", "__version__", "bloc",
           "build_baseline", "estimate_ppml", "load_scenario", "mineral", "minerals",
           "production_view", "resolve", "run", "stage"]
