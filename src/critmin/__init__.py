"""critmin: critical-minerals supply chains, their concentration, exposure and trade policy."""

from critmin.errors import CritminError
from critmin.store import Store
from critmin.vocab import Mineral, Stage, mineral, minerals, stage

__version__ = "0.1.0"

__all__ = ["CritminError", "Mineral", "Stage", "Store", "__version__", "mineral", "minerals",
           "stage"]
