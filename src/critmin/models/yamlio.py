"""Load YAML with line numbers, and turn pydantic validation errors into messages that
name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    text = path.read_text(encoding="utf-8")
    loader = _LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}: malformed YAML at {where}: {problem}.") from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario file must be a YAML mapping at the top level.")
    return YamlDoc(data, getattr(loader, "_lines", {}), str(path))


def validation_message(doc: YamlDoc, exc: ValidationError) -> str:
    """One line per problem: ``file:line: field.path: message``."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = doc.line_of(loc)
        field = ".".join(str(p) for p in loc) or "(top level)"
        value = err.get("input")
        shown = f" (got {value!r})" if value is not None and not isinstance(value, (dict, list)) else ""
        lines.append(f"{doc.path}:{line or '?'}: {field}: {err['msg']}{shown}")
    return "\n".join(lines)


def validate(doc: YamlDoc, model: type[BaseModel], context: dict[str, Any] | None = None) -> Any:
    """``model.model_validate(doc.data)``; ScenarioError naming file, line and field."""
    try:
        return model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise ScenarioError(f"{doc.path} does not validate:\n" + validation_message(doc, exc)) from exc
