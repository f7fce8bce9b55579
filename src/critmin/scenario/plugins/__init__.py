"""The built-in models' registrations in the scenario language (one module per model).

Each module defines ``PLUGIN``, a :class:`~critmin.scenario.registry.ModelPlugin`: the
model's sections, how its baseline is loaded (store or data files) and the battery's worked
example. They live here, not in ``critmin/models/``, because they read and write files
(baselines, the examples' data files) and models read no files.
"""
