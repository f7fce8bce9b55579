"""Reading scenario documents: a file, YAML text or a mapping -> a frozen :class:`Scenario`.

Every error is a :class:`~critmin.errors.ScenarioError` (or another
:class:`~critmin.errors.CritminError`) that names the file (``<document>`` for text and
mappings), the line and the field, with a did-you-mean for unknown keys and names.

Data paths. A document names data files relative to its folder (when read from a file) or
to the configured source directory (``CRITMIN_SOURCE_DIR``; ``${CRITMIN_SOURCE_DIR}`` expands
to it). A path that resolves outside both, through ``..``, an absolute path or a symlink,
is refused: documents posted to the REST API must not read the server's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from critmin.errors import CritminError, ScenarioError
from critmin.scenario.values import Scenario

SOURCE_VAR = "CRITMIN_SOURCE_DIR"
DOCUMENT = "<document>"


@dataclass(frozen=True)
class LoadContext:
    """Where a document came from; schemas' ``to_value(ctx)`` use it for data paths."""

    path: str = DOCUMENT                 # the file, or <document>
    base_dir: Path | None = None         # the file's folder (None for text and mappings)
    source_dir: Path | None = None       # CRITMIN_SOURCE_DIR or ../shared/data
    notes: list[str] = field(default_factory=list)

    @classmethod
    def for_file(cls, path: str | Path | None) -> LoadContext:
        from critmin.config import default_source_dir

        src = default_source_dir()
        if path is None:
            return cls(source_dir=src)
        return cls(path=str(path), base_dir=Path(path).resolve().parent, source_dir=src)

    def roots(self) -> list[Path]:
        out = []
        for root in (self.base_dir, self.source_dir):
            if root is not None:
                out.append(Path(os.path.realpath(root)))
        return out

    def data_path(self, text: str, what: str) -> Path:
        """A data file named in the document, resolved safely (see the module docstring).

        Raises
        ------
        ScenarioError
            The path needs a source directory that is not configured, or escapes the
            document's folder and the source directory.
        """
        raw = str(text).strip()
        token = ("${" + SOURCE_VAR + "}", "$" + SOURCE_VAR)
        if raw.startswith(token):
            if self.source_dir is None:
                raise ScenarioError(f"{what}: {raw!r} needs {SOURCE_VAR}: set it to the folder of "
                                    "raw release files, or place shared/data beside the checkout.")
            rest = raw.removeprefix(token[0]) if raw.startswith(token[0]) else raw.removeprefix(token[1])
            candidate = Path(self.source_dir) / rest.lstrip("/\\")
        elif any(t in raw for t in token):
            raise ScenarioError(f"{what}: {raw!r}: ${{{SOURCE_VAR}}} may only start a path.")
        else:
            p = Path(raw)
            if p.is_absolute() or raw.startswith("~"):
                raise ScenarioError(f"{what}: {raw!r} is an absolute path; name data relative to "
                                    f"the scenario file's folder or as ${{{SOURCE_VAR}}}/...")
            base = self.base_dir if self.base_dir is not None else self.source_dir
            if base is None:
                raise ScenarioError(f"{what}: {raw!r} is relative, but this document was not read "
                                    f"from a file and {SOURCE_VAR} is not set.")
            candidate = Path(base) / p
        real = Path(os.path.realpath(candidate))
        roots = self.roots()
        if not any(real == r or r in real.parents for r in roots):
            shown = " or ".join(str(r) for r in roots) or "(none)"
            raise ScenarioError(f"{what}: {raw!r} resolves to {real}, outside the folders scenario "
                                f"data may come from ({shown}). Copy the file there.")
        return real


def _is_text(source: str) -> bool:
    return "\n" in source or source.lstrip().startswith(("{", "name:", "model:"))


def read_document(source: str | Path | Mapping[str, Any]) -> tuple[Any, LoadContext]:
    """The parsed document (a :class:`~critmin.scenario.yamlio.YamlDoc`) and its context."""
    from critmin.scenario.yamlio import YamlDoc, load_yaml, parse_yaml

    if isinstance(source, Mapping):
        return YamlDoc(dict(source), {}, DOCUMENT), LoadContext.for_file(None)
    if isinstance(source, str) and _is_text(source):
        return parse_yaml(source, DOCUMENT), LoadContext.for_file(None)
    if not isinstance(source, str | Path):
        raise ScenarioError(f"a scenario is a file path, YAML text or a mapping. Got {type(source).__name__}.")
    return load_yaml(source), LoadContext.for_file(source)


def scenario_model(source: str | Path | Mapping[str, Any]) -> str:
    """The ``model:`` word of a document (``pe`` when absent)."""
    doc, _ = read_document(source)
    return str(doc.data.get("model", "pe")).strip().lower()


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario) -> Scenario:
    """Read and validate a scenario: a file path, YAML text or a mapping (a JSON body).

    Raises
    ------
    ScenarioError
        Malformed YAML, an unknown model, key or name, a field that does not validate, a
        shock the model cannot express, or a data path outside the allowed folders; the
        message names the file, the line and the field.

    Examples
    --------
    >>> sc = load_scenario({"name": "ban", "model": "pe", "shocks": [
    ...     {"type": "ban", "exporters": "CHN", "importers": "USA"}]})
    >>> sc, sc.shocks[0].kind
    (Scenario('ban', 1 shocks), 'ban')
    """
    from critmin.scenario.registry import plugin
    from critmin.scenario.schema import envelope
    from critmin.scenario.yamlio import validate

    if isinstance(source, Scenario):
        return source
    doc, ctx = read_document(source)
    data = doc.data
    name = data.get("model", "pe")
    if not isinstance(name, str):
        raise ScenarioError(f"{doc.path}:{doc.line_of(('model',)) or '?'}: model: give a model "
                            f"name. Got {name!r}.")
    try:
        plug = plugin(name)
    except ScenarioError as exc:
        raise ScenarioError(f"{doc.path}:{doc.line_of(('model',)) or '?'}: {exc}") from None
    if plug.upgrade is not None:
        ctx.notes.extend(plug.upgrade(data))
    schema = envelope(plug)
    parsed = validate(doc, schema)
    kinds = [s.type for s in parsed.shocks]
    plug.check_shocks(kinds, [f"{doc.path}:{doc.line_of(('shocks', k)) or '?'}: shocks[{k}]: "
                              for k in range(len(kinds))])

    def value(section: str, part: Any, default_schema: type | None) -> Any:
        if part is None and default_schema is not None:
            part = default_schema()
        if part is None:
            return None
        try:
            return part.to_value(ctx)
        except CritminError as exc:
            raise ScenarioError(f"{doc.path}:{doc.line_of((section,)) or '?'}: {section}: {exc}") from None

    shocks = []
    for k, s in enumerate(parsed.shocks):
        try:
            shocks.append(s.to_value(ctx))
        except CritminError as exc:
            raise ScenarioError(f"{doc.path}:{doc.line_of(('shocks', k)) or '?'}: shocks[{k}]: {exc}") from None
    baseline = value("baseline", getattr(parsed, "baseline", None), _default(plug.baseline))
    settings = value(plug.name, getattr(parsed, plug.name, None), _default(plug.settings))
    path = "" if doc.path == DOCUMENT else str(doc.path)
    return Scenario(name=parsed.name, description=parsed.description, model=plug.name,
                    shocks=tuple(shocks), baseline=baseline, settings=settings, path=path,
                    warnings=tuple(ctx.notes))


def _default(schema: type | None) -> type | None:
    """The schema, if a document may leave its section out (every field has a default)."""
    if schema is None:
        return None
    try:
        schema()
    except Exception:  # noqa: BLE001  (a required field: the section stays None, the loader says so)
        return None
    return schema


def scenario_files(directory: str | Path | None = None) -> list[Path]:
    """The scenario library: ``scenarios/*.yaml`` of the checkout (or ``directory``)."""
    if directory is None:
        from critmin.config import PACKAGE_DIR

        for parent in PACKAGE_DIR.parents:
            if (parent / "scenarios").is_dir():
                directory = parent / "scenarios"
                break
        else:
            return []
    return sorted(Path(directory).glob("*.y*ml"))
