"""One scenario language for every model.

- :mod:`~critmin.scenario.values`: the frozen :class:`Scenario` and :class:`Shock` (one
  shock vocabulary, one meaning per word across models);
- :mod:`~critmin.scenario.countries`: the one country-set resolver (ISO3, names, blocs,
  ``rest``, ``all``);
- :mod:`~critmin.scenario.schema`: pydantic at the YAML/JSON edge only;
- :mod:`~critmin.scenario.load`: :func:`load_scenario` from a file, YAML text or a mapping,
  errors with file, line and did-you-mean, data paths kept inside allowed folders;
- :mod:`~critmin.scenario.registry`: how a model plugs in (:class:`ModelPlugin`);
- :mod:`~critmin.scenario.pe`, :mod:`~critmin.scenario.ge`: the models' own sections.

This package sits beside the vocabulary: it imports no model at import time.
"""

from critmin.scenario.countries import REST, resolve_countries
from critmin.scenario.load import LoadContext, load_scenario, scenario_files, scenario_model
from critmin.scenario.registry import ModelPlugin, plugin, plugins, register
from critmin.scenario.values import SHOCK_KINDS, ReferencePrice, Scenario, Shock

__all__ = ["REST", "SHOCK_KINDS", "LoadContext", "ModelPlugin", "ReferencePrice", "Scenario", "Shock",
           "load_scenario", "plugin", "plugins", "register", "resolve_countries", "scenario_files",
           "scenario_model"]
