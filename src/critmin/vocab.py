"""The shared nouns: minerals, stages, countries (ISO3) and HS6 codes.

Minerals come from the reviewed vocabulary ``critmin/data/minerals.yml``; ``Mineral`` is a
string enum built from it, so ``Mineral.COBALT == "cobalt"``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import yaml

from critmin.config import DATA_DIR
from critmin.errors import UnknownMineralError, UnknownStageError


class Stage(StrEnum):
    """A stage of production, as USGS reports it."""

    MINE = "mine"
    REFINE = "refinery"
    SMELT = "smelter"
    METAL = "metal"
    CHEMICAL = "chemical"


STAGE_ALIASES = {"refine": Stage.REFINE, "refining": Stage.REFINE, "refined": Stage.REFINE,
                 "smelt": Stage.SMELT, "smelting": Stage.SMELT, "mining": Stage.MINE,
                 "mined": Stage.MINE, "chemicals": Stage.CHEMICAL, "metals": Stage.METAL}


@dataclass(frozen=True, slots=True)
class MineralInfo:
    """One entry of the vocabulary."""

    id: str
    name: str
    critical_2025: bool
    symbol: str | None = None
    group: str | None = None
    is_group: bool = False
    aliases: tuple[str, ...] = ()
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    note: str = ""

    @property
    def stage_list(self) -> list[Stage]:
        return [Stage(s) for s in self.stages]


@functools.cache
def minerals() -> dict[str, MineralInfo]:
    """Every mineral of the vocabulary, by id."""
    raw = yaml.safe_load((DATA_DIR / "minerals.yml").read_text())
    out = {}
    for mid, entry in raw.items():
        entry = dict(entry or {})
        stages = entry.pop("stages", None) or {}
        aliases = tuple(entry.pop("aliases", None) or ())
        out[mid] = MineralInfo(id=mid, stages={str(k): dict(v or {}) for k, v in stages.items()},
                               aliases=aliases, **entry)
    return out


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_]+", " ", str(text).strip().lower())


@functools.cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for m in minerals().values():
        for key in (m.id, m.name, *m.aliases, m.symbol or ""):
            if key:
                table.setdefault(_norm(key), m.id)
    return table


def mineral(name: str) -> MineralInfo:
    """The vocabulary entry for ``name`` (id, name, alias or symbol; case-insensitive).

    Raises
    ------
    UnknownMineralError
        With a did-you-mean and the accepted ids.
    """
    if isinstance(name, MineralInfo):
        return name
    mid = _lookup().get(_norm(name))
    if mid is None:
        raise UnknownMineralError(name, minerals().keys(),
                                  "Map new labels in critmin/data/minerals.yml.")
    return minerals()[mid]


def stage(name: str | Stage) -> Stage:
    """The Stage for ``name``; accepts 'refine', 'smelt' and similar spellings."""
    if isinstance(name, Stage):
        return name
    key = _norm(name)
    try:
        return Stage(key)
    except ValueError:
        pass
    if key in STAGE_ALIASES:
        return STAGE_ALIASES[key]
    raise UnknownStageError(name, [s.value for s in Stage])


def group_members(group_id: str) -> list[str]:
    """Ids of the minerals reported within a group (``rare_earths``, ``pgm``)."""
    return [m.id for m in minerals().values() if m.group == group_id]


Mineral = StrEnum("Mineral", {mid.upper(): mid for mid in minerals()})  # type: ignore[misc]
Mineral.__doc__ = "A mineral of the vocabulary: ``Mineral.COBALT == 'cobalt'``."

ISO3_RE = re.compile(r"^[A-Z]{3}$")
HS6_RE = re.compile(r"^\d{6}$")
