"""Supply-chain stage graphs as reviewed data: ``critmin/data/chains/*.yml``.

A chain is a directed acyclic graph of nodes (a product at a stage: ``gallium`` refining,
``si_wafers``, ``cells_nmc811``) joined by edges that carry a conversion coefficient
(units of the input per unit of the output) with a low/central/high range and a source.
A coefficient, volume, price or country share that no open source gives is an
*assumption*: it states its range and reason, and every result it touches says so.

This module only parses and validates the YAML into frozen values (:class:`ChainSpec`);
the store and the user's source directory are read by :mod:`critmin.chain_baseline`.
"""

from __future__ import annotations

import difflib
import functools
import math
from dataclasses import dataclass, field
from typing import Any

from critmin.config import DATA_DIR, read_yaml
from critmin.errors import InputError, InvalidParameterError, UnknownNameError

CHAINS_DIR = DATA_DIR / "chains"
#: Stage words of a chain, upstream first.
CHAIN_STAGES = ("mine", "refine", "intermediate", "component", "product")


class UnknownChainError(UnknownNameError):
    """A chain name that is not in ``critmin/data/chains``."""

    kind = "chain"


class ChainFileError(InputError, ValueError):
    """A chain YAML file that does not follow the documented layout."""


@dataclass(frozen=True, slots=True)
class Range:
    """A value with its low/central/high range and where it comes from."""

    central: float
    low: float
    high: float
    source: str
    assumption: bool = False
    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("central", "low", "high"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if not (self.low <= self.central <= self.high) or self.low < 0:
            msg = (f"range needs 0 <= low <= central <= high. Got low={self.low}, "
                   f"central={self.central}, high={self.high} ({self.source}).")
            raise ChainFileError(msg)
        if self.assumption and not self.source:
            raise ChainFileError("an assumption needs a source line saying what it rests on.")


@dataclass(frozen=True, slots=True)
class ShareSource:
    """Where a node's country shares come from, tried in order.

    ``kind`` is ``table`` (a store table filtered by mineral and stage), ``cset`` (a node
    of the CSET chip graph in the user's source directory; CC BY-NC, never bundled),
    or ``assumption`` (stated shares with a source and reason).
    """

    kind: str
    table: str = ""
    mineral: str = ""
    stage: str = ""
    cset: str = ""
    shares: tuple[tuple[str, float], ...] = ()
    source: str = ""
    reason: str = ""

    @property
    def assumption(self) -> bool:
        return self.kind == "assumption"


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str
    stage: str
    unit: str
    mineral: str | None = None
    product: bool = False
    shares: tuple[ShareSource, ...] = ()
    volume: Range | None = None  # products only: world output in ``unit``
    price_usd_per_unit: Range | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """``coefficient`` units of ``source`` per unit of ``target``."""

    source: str
    target: str
    coefficient: Range
    unit: str


@dataclass(frozen=True)
class ChainSpec:
    """One chain: nodes upstream first, edges, and the file's own notes."""

    name: str
    title: str
    year: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    file: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise ChainFileError(f"chain {self.name}: duplicate node ids in {ids}.")
        for e in self.edges:
            for end in (e.source, e.target):
                if end not in ids:
                    raise ChainFileError(_did_you_mean(f"chain {self.name}: edge names node {end!r}", end, ids))
        order = self._topological()
        object.__setattr__(self, "nodes", tuple(self.node(i) for i in order))

    def _topological(self) -> list[str]:
        ids = [n.id for n in self.nodes]
        indeg = {i: 0 for i in ids}
        for e in self.edges:
            indeg[e.target] += 1
        ready = [i for i in ids if indeg[i] == 0]
        out = []
        while ready:
            i = ready.pop(0)
            out.append(i)
            for e in self.edges:
                if e.source == i:
                    indeg[e.target] -= 1
                    if indeg[e.target] == 0:
                        ready.append(e.target)
        if len(out) != len(ids):
            raise ChainFileError(f"chain {self.name}: the edges form a cycle.")
        return out

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise InvalidParameterError(_did_you_mean(f"chain {self.name} has no node {node_id!r}",
                                                  node_id, [n.id for n in self.nodes]))

    def inputs(self, node_id: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.target == node_id)

    def outputs(self, node_id: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.source == node_id)

    @property
    def products(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.product)

    def nodes_of(self, mineral: str, stage: str | None = None) -> tuple[Node, ...]:
        """Nodes of a mineral (all its stages, or the one whose stage or id matches)."""
        hits = [n for n in self.nodes if n.mineral == mineral]
        if stage is not None:
            hits = [n for n in hits if stage in (n.stage, n.id)]
        return tuple(hits)

    def upstream_of(self, node_id: str) -> tuple[str, ...]:
        """Every node feeding ``node_id`` directly or indirectly."""
        seen: list[str] = []
        stack = [e.source for e in self.inputs(node_id)]
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.append(i)
                stack.extend(e.source for e in self.inputs(i))
        return tuple(seen)


def _did_you_mean(prefix: str, value: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(value, allowed, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{prefix}.{hint} Known: {', '.join(allowed)}."


def _range(raw: Any, where: str) -> Range:
    if not isinstance(raw, dict) or "central" not in raw:
        raise ChainFileError(f"{where}: expected a mapping with central/low/high/source. Got {raw!r}.")
    central = raw["central"]
    return Range(central=central, low=raw.get("low", central), high=raw.get("high", central),
                 source=" ".join(str(raw.get("source", "")).split()),
                 assumption=bool(raw.get("assumption", False)),
                 reason=" ".join(str(raw.get("reason", "")).split()))


def _shares(raw: Any, where: str) -> tuple[ShareSource, ...]:
    out = []
    for item in raw or ():
        if "table" in item:
            out.append(ShareSource("table", table=str(item["table"]), mineral=str(item["mineral"]),
                                   stage=str(item["stage"])))
        elif "cset" in item:
            out.append(ShareSource("cset", cset=str(item["cset"]), source=str(item.get("note", ""))))
        elif "assumption" in item:
            shares = {str(k): float(v) for k, v in item["assumption"].items()}
            total = sum(shares.values())
            if not math.isclose(total, 1.0, abs_tol=0.011):
                raise ChainFileError(f"{where}: assumed shares must sum to 1. Got {total:.3f}.")
            if not item.get("source") or not item.get("reason"):
                raise ChainFileError(f"{where}: assumed shares need a source and a reason.")
            out.append(ShareSource("assumption", shares=tuple(sorted(shares.items(), key=lambda kv: -kv[1])),
                                   source=" ".join(str(item["source"]).split()),
                                   reason=" ".join(str(item["reason"]).split())))
        else:
            raise ChainFileError(f"{where}: a share source is table:, cset: or assumption:. Got {item!r}.")
    return tuple(out)


def _batpac_edge(raw: dict[str, Any], batpac: dict[str, Any], where: str) -> tuple[Range, str]:
    chemistry, mineral = raw["batpac"]
    try:
        kg = float(batpac["kg_per_kwh"][chemistry][mineral])
    except KeyError:
        raise ChainFileError(f"{where}: no BatPaC intensity for {chemistry} / {mineral}.") from None
    spread = float(batpac.get("range_share", 0.1))
    central = kg * 1000.0  # kg/kWh -> t/GWh
    src = f"{batpac['source']}: {chemistry} {mineral} {kg:.4f} kg/kWh"
    return Range(central, central * (1 - spread), central * (1 + spread), " ".join(src.split())), "t per GWh"


def parse_chain(raw: dict[str, Any], file: str = "") -> ChainSpec:
    """A :class:`ChainSpec` from the parsed YAML of one chain file."""
    name = str(raw.get("chain", ""))
    where = f"chain file {file or name}"
    products = raw.get("products") or {}
    prices = raw.get("prices") or {}
    nodes = []
    for item in raw.get("nodes") or ():
        nid = str(item["id"])
        stage = str(item.get("stage", ""))
        if stage not in CHAIN_STAGES:
            raise ChainFileError(_did_you_mean(f"{where}: node {nid} has stage {stage!r}", stage, list(CHAIN_STAGES)))
        prod = products.get(nid) or {}
        is_product = bool(item.get("product", False))
        if is_product and ("volume" not in prod or "shares" not in prod):
            raise ChainFileError(f"{where}: product {nid} needs products.{nid}.volume and .shares.")
        price_raw = prod.get("price_usd_per_unit") or prices.get(nid)
        nodes.append(Node(
            id=nid, label=str(item.get("label", nid)), stage=stage, unit=str(item.get("unit", "")),
            mineral=item.get("mineral"), product=is_product,
            shares=_shares(prod.get("shares") if is_product else item.get("shares"), f"{where} node {nid}"),
            volume=_range(prod["volume"], f"{where} {nid}.volume") if is_product else None,
            price_usd_per_unit=_range(price_raw, f"{where} {nid}.price") if price_raw else None))
    edges = []
    for item in raw.get("edges") or ():
        ew = f"{where} edge {item.get('from')} -> {item.get('to')}"
        if "batpac" in item:
            coef, unit = _batpac_edge(item, raw.get("batpac") or {}, ew)
        else:
            coef, unit = _range(item, ew), str(item.get("unit", ""))
        edges.append(Edge(str(item["from"]), str(item["to"]), coef, unit))
    return ChainSpec(name=name, title=str(raw.get("title", name)), year=int(raw.get("year", 2024)),
                     nodes=tuple(nodes), edges=tuple(edges), file=file)


def chain_names() -> tuple[str, ...]:
    """The packaged chains."""
    return tuple(sorted(p.stem for p in CHAINS_DIR.glob("*.yml")))


@functools.cache
def chain(name: str) -> ChainSpec:
    """The packaged chain ``name`` (``semiconductors``, ``magnets``, ``batteries``).

    Raises
    ------
    UnknownChainError
        With a did-you-mean and the chains there are.
    """
    key = str(name).strip().lower()
    if key not in chain_names():
        raise UnknownChainError(name, chain_names(), "Chains live in critmin/data/chains/*.yml.")
    path = CHAINS_DIR / f"{key}.yml"
    return parse_chain(read_yaml(path), file=f"critmin/data/chains/{path.name}")  # type: ignore[arg-type]


def read_chain_file(path: Any) -> ChainSpec:
    """A user's chain file (the layout of ``critmin/data/chains/*.yml``) as a :class:`ChainSpec`.

    Raises
    ------
    ChainFileError
        The file does not parse or does not follow the layout (the message names the file).
    """
    from pathlib import Path

    import yaml

    path = Path(path)
    try:
        raw = read_yaml(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ChainFileError(f"chain file {path.name}: {exc}") from None
    if not isinstance(raw, dict):
        raise ChainFileError(f"chain file {path.name}: expected a mapping with chain, nodes and edges. "
                             f"Got {type(raw).__name__}.")
    try:
        return parse_chain(raw, file=path.name)
    except ChainFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ChainFileError(f"chain file {path.name}: not in the layout of critmin/data/chains "
                             f"({type(exc).__name__}: {exc}).") from None
