"""Load YAML with line numbers, and turn pydantic validation errors into messages that
name the file, the line and the field."""

from __future__ import annotations

import difflib
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from critmin.errors import ScenarioError


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping key, by path."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    lines = getattr(loader, "_lines", {})
    mapping_lines = {key_node.value: key_node.start_mark.line + 1 for key_node, _ in node.value}
    lines[id(mapping)] = (node.start_mark.line + 1, mapping_lines)
    loader._lines = lines  # type: ignore[attr-defined]
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlDoc:
    """A parsed YAML document that can say on which line a field path sits."""

    def __init__(self, data: Any, lines: dict[int, tuple[int, dict[str, int]]], path: str) -> None:
        self.data = data
        self._lines = lines
        self.path = path

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """Line of the deepest key of ``loc`` (a pydantic error location) that exists."""
        node, line = self.data, None
        for part in loc:
            if isinstance(node, dict):
                entry = self._lines.get(id(node))
                if entry is not None:
                    line = entry[1].get(part, entry[0]) if part in node else entry[0]
                if part not in node:
                    if node.get("type") == part:  # pydantic puts a union's tag in loc
                        continue
                    break
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
                if isinstance(node, dict) and id(node) in self._lines:
                    line = self._lines[id(node)][0]
            else:
                break
        return line


def load_yaml(path: str | Path) -> YamlDoc:
    """Parse ``path``; ScenarioError with the line and column on malformed YAML."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such scenario file.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read as UTF-8 text ({exc}).") from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, label: str) -> YamlDoc:
    """Parse YAML ``text`` (``label`` names it in errors: a file or ``<document>``)."""
    loader = _LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{label}: malformed YAML at {where}: {problem}.") from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. unhashable keys, deep nesting
        raise ScenarioError(f"{label}: malformed YAML: {exc}.") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError(f"{label}: a scenario must be a YAML mapping at the top level.")
    return YamlDoc(data, getattr(loader, "_lines", {}), label)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, dict, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin is None:
        return []
    args = get_args(annotation)
    if origin is dict:
        args = args[1:]
    elif origin not in (list, tuple, set, Union, types.UnionType):
        args = args[:1]  # Annotated[X, ...]
    return [m for a in args for m in _models_in(a)]


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that owns the mapping at ``loc``; list indices, dict keys and the tags of
    discriminated unions (which pydantic puts in ``loc``) are stepped over."""
    candidates = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        current = candidates[0] if len(candidates) == 1 else None
        if current is not None and part in current.model_fields:
            candidates = _models_in(current.model_fields[part].annotation)
        elif len(candidates) > 1:  # a union tag: keep the member whose `type` literal matches
            tagged = [m for m in candidates if "type" in m.model_fields
                      and part in get_args(m.model_fields["type"].annotation)]
            candidates = tagged or candidates
        # else: a free dict key (e.g. a mineral name in by_mineral); stay on the value model
        if not candidates:
            return None
    return candidates[0] if len(candidates) == 1 else None


def _accepted_fields(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> str:
    """For an unknown key: did-you-mean and the accepted keys of the enclosing mapping."""
    owner = _model_at(model, loc[:-1]) if model is not None else None
    if owner is None:
        return ""
    names = sorted(owner.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f".{hint} Accepted: {', '.join(names)}"


def validation_message(doc: YamlDoc, exc: ValidationError,
                       model: type[BaseModel] | None = None) -> str:
    """One line per problem: ``file:line: field.path: message``; for an unknown key, the
    keys that are accepted there (when ``model`` is given)."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = doc.line_of(loc)
        field = ".".join(str(p) for p in loc) or "(top level)"
        value = err.get("input")
        shown = f" (got {value!r})" if value is not None and not isinstance(value, (dict, list)) else ""
        extra = _accepted_fields(model, loc) if err.get("type") == "extra_forbidden" else ""
        lines.append(f"{doc.path}:{line or '?'}: {field}: {err['msg']}{extra}{shown}")
    return "\n".join(lines)


def validate(doc: YamlDoc, model: type[BaseModel], context: dict[str, Any] | None = None) -> Any:
    """``model.model_validate(doc.data)``; ScenarioError naming file, line and field."""
    try:
        return model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise ScenarioError(f"{doc.path} does not validate:\n"
                            + validation_message(doc, exc, model)) from exc
