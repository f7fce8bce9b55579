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


from critmin.config import DATA_DIR, read_yaml
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
    raw = read_yaml(DATA_DIR / "minerals.yml")
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


# --- HS codes per mineral-stage (data/mappings/hs_codes.yml) ------------------------------

NOMENCLATURES = ("HS92", "HS17", "HS22")


@dataclass(frozen=True, slots=True)
class HSCode:
    """One trade code of a mineral-stage, with its content conversion factor.

    ``code`` is six digits (HS 2017) or four (a heading, ``level == "hs4"``); ``hs92`` and
    ``hs22`` are the codes in those nomenclatures. ``factor`` converts tonnes of product to
    tonnes of contained content on ``basis`` (None: unknown, quantities left empty).
    """

    mineral: str
    stage: Stage
    code: str
    level: str
    hs92: str | None
    hs22: str
    factor: float | None
    basis: str
    assumption: bool
    shared_with: tuple[str, ...]
    description: str
    source: str

    def code_in(self, nomenclature: str) -> str | None:
        """This entry's code in ``HS92``, ``HS17`` or ``HS22`` (None: not in HS92)."""
        if self.level == "hs4" or nomenclature == "HS17":
            return self.code
        return self.hs92 if nomenclature == "HS92" else self.hs22


@functools.cache
def hs_mapping() -> tuple[HSCode, ...]:
    """Every entry of ``data/mappings/hs_codes.yml``."""
    raw = read_yaml(DATA_DIR / "mappings" / "hs_codes.yml")
    out = []
    for mid, stages in (raw.get("minerals") or {}).items():
        for st, entries in stages.items():
            for e in entries:
                level = "hs4" if "hs4" in e else "hs6"
                code = str(e.get("hs4") or e.get("hs6"))
                out.append(HSCode(
                    mineral=mid, stage=Stage(st), code=code, level=level,
                    hs92=None if level == "hs4" else str(e.get("hs92", code)) if e.get(
                        "hs92", code) is not None else None,
                    hs22=str(e.get("hs22", code)),
                    factor=None if e.get("factor") is None else float(e["factor"]),
                    basis=str(e.get("basis", "")), assumption=bool(e.get("assumption", False)),
                    shared_with=tuple(str(s) for s in e.get("shared_with") or ()),
                    description=str(e.get("description", "")).strip(),
                    source=" ".join(str(e.get("source", "")).split())))
    return tuple(out)


@functools.cache
def hs_unmapped_reasons() -> dict[str, str]:
    """Codes the staged sources carry that map to no mineral on purpose, with the reason."""
    raw = read_yaml(DATA_DIR / "mappings" / "hs_codes.yml")
    return {str(k): str(v) for k, v in (raw.get("unmapped") or {}).items()}


def hs_codes(mineral_name: str, stage_name: str | Stage | None = None, *,
             nomenclature: str = "HS17", level: str = "hs6") -> tuple[str, ...]:
    """The HS codes of a mineral (and stage) in a nomenclature.

    Parameters
    ----------
    mineral_name : str
        A mineral id, name, alias or symbol.
    stage_name : str or Stage, optional
        Only this stage; all stages by default.
    nomenclature : {"HS17", "HS92", "HS22"}
        Which HS revision to return codes in.
    level : {"hs6", "hs4"}
        Six-digit subheadings or four-digit headings (USITC DataWeb, heading-level queries).

    Examples
    --------
    >>> hs_codes("lithium", "chemical")
    ('283691', '282520')
    """
    m = mineral(mineral_name)
    st = stage(stage_name) if stage_name is not None else None
    if nomenclature not in NOMENCLATURES:
        from critmin.errors import InvalidParameterError

        msg = f"nomenclature must be one of {list(NOMENCLATURES)}. Got {nomenclature!r}."
        raise InvalidParameterError(msg)
    codes = [e.code_in(nomenclature) for e in hs_mapping()
             if e.mineral == m.id and e.level == level and (st is None or e.stage == st)]
    return tuple(dict.fromkeys(c for c in codes if c))


def hs_stages(mineral_name: str) -> tuple[Stage, ...]:
    """The stages of a mineral that have trade codes, in vocabulary order."""
    m = mineral(mineral_name)
    found = {e.stage for e in hs_mapping() if e.mineral == m.id}
    return tuple(s for s in Stage if s in found)


# --- USGS labels per mineral-stage (data/mappings/usgs_labels.yml) -----------------------

@functools.cache
def _usgs_label_index() -> tuple[tuple[str, str, str, str, str, str], ...]:
    raw = read_yaml(DATA_DIR / "mappings" / "usgs_labels.yml")
    out = []
    for edition in sorted(k for k in raw if re.fullmatch(r"mcs\d{4}", str(k))):
        for commodity, labels in (raw[edition] or {}).items():
            for label, entry in (labels or {}).items():
                if "ignore" in entry:
                    continue
                out.append((edition, str(commodity), str(label), entry["mineral"],
                            entry["stage"], entry["basis"]))
    return tuple(out)


def usgs_labels(name: str, stage_name: str | None = None) -> list[dict[str, str]]:
    """The USGS MCS (edition, commodity, label, stage, basis) rows that map to a mineral.

    Examples
    --------
    >>> rows = usgs_labels("cobalt", "mine")
    >>> sorted({r["edition"] for r in rows})
    ['mcs2023', 'mcs2024', 'mcs2025', 'mcs2026']
    """
    mid = mineral(name).id
    st = stage(stage_name).value if stage_name is not None else None
    return [{"edition": e, "commodity": c, "label": lab, "stage": s, "basis": b}
            for e, c, lab, m, s, b in _usgs_label_index() if m == mid and (st is None or s == st)]


# Closed vocabularies of options, one source for the library, the CLI and the REST API
# (its OpenAPI lists them as enums).


class Series(StrEnum):
    """Which production releases (:mod:`critmin.metrics.queries`)."""

    default = "default"
    usgs = "usgs"
    bgs = "bgs"
    all = "all"


class Measure(StrEnum):
    """What exposure shares are of: trade value or tonnes."""

    value_usd = "value_usd"
    quantity_t = "quantity_t"


class Basis(StrEnum):
    """Which flows an exposure row rests on (:mod:`critmin.metrics.exposure_basis`)."""

    auto = "auto"
    observed = "observed"
    baseline = "baseline"


class SolveMode(StrEnum):
    """PE solution mode: exact (levels; bans, large shocks) or gsim (linear)."""

    exact = "exact"
    gsim = "gsim"
