"""How a model plugs into the scenario language and ``critmin run``.

A model declares one :class:`ModelPlugin` (usually ``PLUGIN`` in
``critmin/scenario/plugins/<name>.py``) with

(a) ``spec``: its :class:`~critmin.models.base.ModelSpec` (the ``model:`` word, the frozen
    model class, the shock kinds it can express);
(b) ``settings`` and ``baseline``: the pydantic schemas of its ``<name>:`` settings section
    and of its ``baseline:`` section. Each schema has a method ``to_value(ctx)`` returning
    the frozen value stored in :attr:`Scenario.settings` / :attr:`Scenario.baseline`
    (``ctx`` is a :class:`~critmin.scenario.load.LoadContext`: file, folder, and
    :meth:`~critmin.scenario.load.LoadContext.data_path` for safe data paths);
(c) ``load_baseline(scenario, store)``: the baseline the model solves on, built from a
    :class:`~critmin.store.Store` or the scenario's files (this function lives outside
    ``models/``: models read no files), and ``make_model(scenario)``: the frozen model
    object, built from the scenario's settings.

Built-in models are listed in :data:`BUILTIN` (name -> module holding ``PLUGIN``) and
imported only when a scenario names them, so ``critmin --help`` imports no model code.
Adding a model is one line in :data:`BUILTIN` (or :func:`register` at run time).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from critmin.errors import ScenarioError, did_you_mean

if TYPE_CHECKING:
    from critmin.models.base import Model, ModelSpec
    from critmin.scenario.values import Scenario

#: model word -> module that defines ``PLUGIN``. One line per model.
BUILTIN: dict[str, str] = {
    "pe": "critmin.scenario.plugins.pe",
    "ge": "critmin.scenario.plugins.ge",
    "network": "critmin.scenario.plugins.network",
    "sourcing": "critmin.scenario.plugins.sourcing",
}

_REGISTERED: dict[str, ModelPlugin] = {}


def _no_store(scenario: Scenario) -> bool:
    return False


@dataclass(frozen=True)
class ModelPlugin:
    """A model as the scenario language and ``critmin run`` know it.

    Parameters
    ----------
    spec : ModelSpec
        Name, model class, supported shock kinds.
    make_model : callable
        ``make_model(scenario) -> Model``: the frozen model with the scenario's settings.
    load_baseline : callable
        ``load_baseline(scenario, store) -> baseline``: what ``model.solve`` takes.
    settings, baseline : pydantic model class or None
        Schemas of the ``<name>:`` and ``baseline:`` sections (each with ``to_value(ctx)``);
        None when the model has no such section (the key is then refused).
    needs_store : callable
        ``needs_store(scenario) -> bool``: whether ``load_baseline`` reads the store (then
        :func:`critmin.run` opens the configured store when none is given).
    upgrade : callable, optional
        ``upgrade(document) -> list of str``: rewrites an older file layout in place
        (keeping the YAML mappings, so line numbers survive) and says what it moved.
    solve : callable, optional
        ``solve(model, baseline, scenario, progress) -> Result``: the solve with a progress
        hook ``progress(label, done, total)`` (a progress bar, or a server's deadline check
        that raises to stop); default ``model.solve(baseline, scenario)``. A plugin with
        this hook also takes the hook in ``load_baseline(scenario, store, progress)``.
    example : callable
        ``example(folder) -> Example``: a small worked case built in code (data files
        written to ``folder``), the same scenario as a document and as Python values; the
        shared model battery (``tests/models/battery.py``) runs every model on it.
    draw : callable, optional
        ``draw(model, baseline, rng) -> model``: the model with its uncertain parameters
        drawn, for ``critmin run FILE --draws N`` (:func:`critmin.sweep.sweep_scenario`);
        None when the model has nothing to draw (``--draws`` is then an error).
    """

    spec: ModelSpec
    make_model: Callable[[Scenario], Model]
    load_baseline: Callable[[Scenario, Any], Any]
    settings: type | None = None
    baseline: type | None = None
    needs_store: Callable[[Scenario], bool] = _no_store
    upgrade: Callable[[dict[str, Any]], list[str]] | None = None
    example: Callable[[Path], Example] | None = None
    solve: Callable[[Any, Any, Scenario, Callable[[str, int, int], None]], Any] | None = None
    draw: Callable[[Any, Any, Any], Any] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def check_shocks(self, kinds: list[str], where: list[str]) -> None:
        """ScenarioError naming the model and what it supports, for the first kind it lacks."""
        for kind, at in zip(kinds, where, strict=True):
            if kind not in self.spec.shocks:
                raise ScenarioError(
                    f"{at}model {self.name!r} cannot express a {kind!r} shock. Model "
                    f"{self.name} supports: {', '.join(self.spec.shocks)}.")


@dataclass(frozen=True)
class Example:
    """One scenario two ways, for the shared model battery.

    ``document`` is a scenario document (its data files already written in the folder the
    plugin was given, named relative to it); ``model`` and ``scenario`` are the same case
    built as Python values. ``critmin.run`` of the document must give the same result as
    ``model.solve(baseline, scenario)`` on the document's baseline; ``model`` should set at
    least one non-default parameter, and a seed if the model draws.

    ``empty`` is the same case with nothing changed, on which the model must return its
    baseline exactly; None means ``scenario`` without its shocks (a model whose limits are
    settings, like sourcing, gives its settings without limits).
    """

    document: dict[str, Any]
    model: Any
    scenario: Scenario
    empty: Scenario | None = None

    @property
    def unchanged(self) -> Scenario:
        """:attr:`empty`, or :attr:`scenario` without its shocks."""
        from dataclasses import replace

        return self.empty if self.empty is not None else replace(self.scenario, shocks=())


def register(plugin: ModelPlugin) -> ModelPlugin:
    """Make ``plugin`` available under its name (replacing an earlier one)."""
    _REGISTERED[plugin.name] = plugin
    return plugin


def names() -> tuple[str, ...]:
    """Every model word a scenario can name, built-in and registered."""
    return tuple(sorted(set(BUILTIN) | set(_REGISTERED)))


def plugin(name: str) -> ModelPlugin:
    """The plugin of model ``name``; ScenarioError with a did-you-mean otherwise."""
    key = str(name).strip().lower()
    if key not in _REGISTERED and key in BUILTIN:
        module = importlib.import_module(BUILTIN[key])
        register(module.PLUGIN)
    if key not in _REGISTERED:
        close = did_you_mean(key, names())
        msg = (f"model {name!r} is not known." + (f" Did you mean {close!r}?" if close else "")
               + f" Accepted: {', '.join(names())}.")
        raise ScenarioError(msg)
    return _REGISTERED[key]


def plugins() -> tuple[ModelPlugin, ...]:
    """Every model's plugin (imports the built-in ones)."""
    return tuple(plugin(n) for n in names())
