"""Model inputs built from the store or a scenario's files, one module per model.

This layer sits between the store and the models: it reads (the store, user files named by
a scenario), the models never do. ``load_baseline(scenario, store)`` of each model's
:class:`~critmin.scenario.registry.ModelPlugin` lives here.
"""
