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
from pathlib import Path, PurePosixPath
from typing import Any

from critmin.errors import CritminError, ScenarioError
from critmin.scenario.values import Scenario

SOURCE_VAR = "CRITMIN_SOURCE_DIR"
SOURCE_VARS = ("${CRITMIN_SOURCE_DIR}", "$CRITMIN_SOURCE_DIR")
DOCUMENT = "<document>"


class DataPathError(ScenarioError):
    """A data reference that would leave the allowed folders, or names no file in them."""


class SourceDataMissingError(DataPathError):
    """A document names ``${CRITMIN_SOURCE_DIR}/...`` data and no source directory is set,
    or it does not hold the file (a fresh clone without ../shared): the document is fine,
    its data are not here."""


@dataclass(frozen=True)
class LoadContext:
    """Where a document came from; schemas' ``to_value(ctx)`` use it for data paths."""

    path: str = DOCUMENT                 # the file, or <document>
    base_dir: Path | None = None         # the file's folder (None for text and mappings)
    source_dir: Path | None = None       # CRITMIN_SOURCE_DIR or ../shared/data
    notes: list[str] = field(default_factory=list)

    @classmethod
    def for_file(cls, path: str | Path | None, source_dir: Any = ...) -> LoadContext:
        """``source_dir``: ``...`` (default) for CRITMIN_SOURCE_DIR or ../shared/data, None
        for none (a server started without one), or a folder."""
        from critmin.config import default_source_dir

        src = default_source_dir() if source_dir is ... else None if source_dir is None else Path(source_dir)
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
        """The data file ``text`` names, resolved safely (see the module docstring).

        ``text`` is relative to the document's folder (a file) or to the source directory
        (a document from memory or a request); a leading ``${CRITMIN_SOURCE_DIR}/`` means the
        source directory.

        Raises
        ------
        DataPathError
            No folder to resolve against; an absolute, parent-relative (``..``), encoded or
            expanded (``%``, ``\\``, ``$``, ``~``) path; a symlink that leads out of the
            allowed folders; or no such file.
        """
        raw = str(text)
        base = self.base_dir if self.base_dir is not None else self.source_dir
        missing: type[DataPathError] = DataPathError
        for var in SOURCE_VARS:
            if raw.startswith(var):
                raw = raw[len(var):].lstrip("/")
                base = self.source_dir
                missing = SourceDataMissingError
                if base is None:
                    raise SourceDataMissingError(f"{what}: {text!r} needs {SOURCE_VAR}: set it to the folder "
                                        "of raw release files, or place shared/data beside the checkout.")
                break
        if base is None:
            raise DataPathError(f"{what} {text!r}: this document was not read from a file and no "
                                f"source directory is configured, so it cannot name data files "
                                f"(set {SOURCE_VAR}, or `critmin serve --source-dir DIR`).")
        refuse = (f"{what} {text!r} is refused: data files are named relative to the scenario "
                  "file's folder or the source directory, without")
        if not raw or any(c in raw for c in ("\x00", "\\", "%", "$")) or raw.startswith("~"):
            raise DataPathError(f"{refuse} '%', '\\', '$', '~' or NUL characters.")
        rel = PurePosixPath(raw)
        if rel.is_absolute() or Path(raw).is_absolute():
            raise DataPathError(f"{refuse} an absolute path.")
        if ".." in rel.parts:
            raise DataPathError(f"{refuse} '..'.")
        full = Path(os.path.realpath(Path(base) / rel))  # follows symlinks
        if not any(full.is_relative_to(r) for r in self.roots()):
            raise DataPathError(f"{refuse} links that lead out of it.")
        if not full.is_file():
            raise missing(f"{what} {raw!r}: no such file in {base}.")
        return full


def _is_text(source: str) -> bool:
    return "\n" in source or source.lstrip().startswith(("{", "name:", "model:"))


def read_document(source: Any, source_dir: Any = ...) -> tuple[Any, LoadContext]:
    """The parsed document (a :class:`~critmin.scenario.yamlio.YamlDoc`) and its context.

    ``source`` is a file path, YAML/JSON text, a mapping, or an already parsed ``YamlDoc``
    (e.g. a request body, whose label names it in errors); only a file's own folder is
    allowed for its data besides ``source_dir`` (``...``: ``CRITMIN_SOURCE_DIR``; None: none).
    """
    from critmin.scenario.yamlio import YamlDoc, load_yaml, parse_yaml

    if isinstance(source, YamlDoc):
        return source, LoadContext.for_file(None, source_dir)
    if isinstance(source, Mapping):
        return YamlDoc(dict(source), {}, DOCUMENT), LoadContext.for_file(None, source_dir)
    if isinstance(source, str) and _is_text(source):
        return parse_yaml(source, DOCUMENT), LoadContext.for_file(None, source_dir)
    if not isinstance(source, str | Path):
        raise ScenarioError(f"a scenario is a file path, YAML text or a mapping. Got {type(source).__name__}.")
    return load_yaml(source), LoadContext.for_file(source, source_dir)


def scenario_model(source: str | Path | Mapping[str, Any]) -> str:
    """The ``model:`` word of a document (``pe`` when absent)."""
    doc, _ = read_document(source)
    return str(doc.data.get("model", "pe")).strip().lower()


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario, *,
                  source_dir: Any = ...) -> Scenario:
    """Read and validate a scenario: a file path, YAML text or a mapping (a JSON body).

    ``source_dir`` is the folder documents may name data in (default ``...``:
    ``CRITMIN_SOURCE_DIR`` or ../shared/data; None: no folder, as a server started without
    one); a file may also name data in its own folder.

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
    doc, ctx = read_document(source, source_dir)
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
            cls = type(exc) if isinstance(exc, DataPathError) else ScenarioError
            raise cls(f"{doc.path}:{doc.line_of((section,)) or '?'}: {section}: {exc}") from None

    shocks = []
    for k, s in enumerate(parsed.shocks):
        try:
            shocks.append(s.to_value(ctx))
        except CritminError as exc:
            cls = type(exc) if isinstance(exc, DataPathError) else ScenarioError
            raise cls(f"{doc.path}:{doc.line_of(('shocks', k)) or '?'}: shocks[{k}]: {exc}") from None
    baseline = value("baseline", getattr(parsed, "baseline", None), _default(plug.baseline))
    settings = value(plug.name, getattr(parsed, plug.name, None), _default(plug.settings))
    path = str(doc.path) if ctx.base_dir is not None else ""
    return Scenario(name=parsed.name, description=parsed.description, model=plug.name,
                    shocks=tuple(shocks), baseline=baseline, settings=settings, path=path,
                    warnings=tuple(ctx.notes), assumptions=tuple(parsed.assumptions))


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
