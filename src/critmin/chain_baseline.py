"""Country-resolved chain baselines: who makes each stage of a chain, from the store.

:func:`chain_baseline` resolves every node of a :class:`~critmin.chain_graph.ChainSpec`
into country shares, trying the node's share sources in order:

- ``table``: a store table (``production``: USGS MCS / BGS, the store's default series;
  ``iea_refining``: the IEA Critical Minerals Dataset once the store holds it) for the
  mineral and stage, in the chain year or the latest earlier year;
- ``cset``: a node of the CSET/ETO chip graph read at run time from the user's source
  directory (CC BY-NC 4.0: never bundled; a result that used it says so);
- ``assumption``: the stated shares of the chain file.

It also sets the trade links between stages: a country's requirement of an input is met
from its own output of that input first, and the rest from every exporter's surplus in
proportion to its size (a pooled world market). The link pattern is a property of the
shares only, so the model rescales it for any coefficient draw.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from critmin.chain_graph import ChainSpec, Node, ShareSource
from critmin.errors import SourceFormatError
from critmin.store.catalog import Store

#: Countries below this share of a node are folded into OTH for the propagation model
#: (chain views keep every country).
FOLD_BELOW_SHARE = 0.005
REST = "OTH"
#: Weight of "home supply first" in the stage-to-stage links (the rest: world mix). An
#: assumption: no open source gives stage-to-stage trade for most nodes.
HOME_BIAS = 0.5
#: Links carrying less than this share of an edge's flow are dropped (and the rest
#: rebalanced): they change no result visibly and triple the size of the programme.
PRUNE_BELOW = 1e-3


@dataclass(frozen=True)
class ChainBaseline:
    """A chain with country shares for every node and the links between stages.

    ``shares``: node, country, share, year (of the data), source, method (``observed``,
    ``assumption``, ``run-time`` for CC BY-NC / proprietary-derived rows), world_t (the
    node's recorded world output where a table gives one, NaN otherwise).
    ``links``: edge ``source``/``target`` nodes, ``exporter``, ``importer`` and
    ``link_share``, the share of the edge's baseline flow on that link (sums to 1 per edge).
    """

    spec: ChainSpec
    year: int
    shares: pd.DataFrame = field(repr=False)
    links: pd.DataFrame = field(repr=False)
    provenance: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)
    run_time_sources: tuple[str, ...] = ()

    def node_shares(self, node_id: str, *, folded: bool = False) -> pd.Series:
        """Country shares of one node (index country), largest first."""
        rows = self.shares[self.shares["node"] == node_id]
        s = rows.set_index("country")["share"].astype(float)
        if folded:
            s = fold_small(s)
        return s.sort_values(ascending=False)

    @property
    def assumed_nodes(self) -> tuple[str, ...]:
        m = self.shares.groupby("node")["method"].first()
        return tuple(m[m == "assumption"].index)


def fold_small(s: pd.Series, below: float = FOLD_BELOW_SHARE) -> pd.Series:
    """Shares under ``below`` summed into OTH (the propagation model's country set)."""
    small = (s < below) & (s.index != REST)
    if not small.any():
        return s
    out = s[~small].copy()
    out[REST] = out.get(REST, 0.0) + s[small].sum()
    return out


def _world_shares(rows: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Named producers' shares of the world total, the remainder as OTH.

    The world total is the larger of the published WLD row and the named producers plus
    OTH, as :func:`critmin.metrics.concentration.shares` defines it (the chain views are
    tested against it).
    """
    q = pd.to_numeric(rows["quantity_t"], errors="coerce")
    country = rows["country"].astype(str)
    named = ~country.isin(["WLD", REST]) & (q > 0)
    published = q[country == "WLD"].sum(min_count=1)
    parts = q[named].sum() + q[country == REST].fillna(0).sum()
    world = float(np.fmax(published if pd.notna(published) else 0.0, parts))
    out = pd.DataFrame({"country": country[named].to_numpy(), "share": (q[named] / world).to_numpy()})
    out = out.groupby("country", as_index=False)["share"].sum()
    rest = 1.0 - float(out["share"].sum())
    if rest > 1e-9:
        out = pd.concat([out, pd.DataFrame({"country": [REST], "share": [rest]})], ignore_index=True)
    return out.sort_values("share", ascending=False, kind="stable").reset_index(drop=True), world


def _table_shares(store: Store, src: ShareSource, year: int) -> tuple[pd.DataFrame, int, dict[str, Any]] | None:
    from critmin.store.views import latest_production

    if not store.has_table(src.table):
        return None
    rows = store.table(src.table)
    if not {"mineral", "stage", "country", "year", "quantity_t"} <= set(rows.columns):
        return None
    rows = rows[(rows["mineral"].astype(str).str.lower() == src.mineral.lower())
                & (rows["stage"].astype(str).str.lower() == src.stage.lower())]
    rows = rows[rows["quantity_t"].notna() & (rows["year"] <= year)]
    if "projection" in rows.columns:  # IEA projections (2030 and later) are not output
        rows = rows[~rows["projection"].astype(bool)]
    if rows.empty:
        return None
    if src.table == "production":
        rows = latest_production(rows)
    used_year = int(rows["year"].max())
    rows = rows[rows["year"] == used_year]
    if "source" in rows and rows["source"].nunique() > 1:  # one release per node and year
        first = rows.groupby("source")["quantity_t"].sum().idxmax()
        rows = rows[rows["source"] == first]
    out, world = _world_shares(rows)
    if out.empty or world <= 0:
        return None
    source = str(rows["source"].iloc[0]) if "source" in rows else src.table
    out = out.assign(year=used_year, source=source, method="observed", world_t=world)
    prov = {"source": source, "used_for": f"country shares of {src.mineral} {src.stage} ({src.table}, {used_year})",
            "table": src.table, "vintage": used_year}
    return out, used_year, prov


def read_cset_shares(source_dir: Path, node: str) -> tuple[pd.DataFrame, int] | None:
    """Country shares of one CSET chip-graph input (``N26``: wafers) from the user's files.

    CC BY-NC 4.0: read at run time from ``<source_dir>/chains/cset-chip-explorer``; never
    written to the store or the snapshot. Returns None when the files are absent.
    """
    folder = Path(source_dir) / "chains" / "cset-chip-explorer"
    prov_path, providers_path = folder / "provision.csv", folder / "providers.csv"
    if not prov_path.exists() or not providers_path.exists():
        return None
    try:
        with providers_path.open(newline="", encoding="utf-8") as fh:
            kind = {r["provider_id"]: r["provider_type"] for r in csv.DictReader(fh)}
        with prov_path.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh)
                    if r["provided_id"] == node and kind.get(r["provider_id"]) == "country"
                    and r["share_provided"].strip()]
    except (KeyError, csv.Error) as exc:
        raise SourceFormatError(f"CSET chip graph in {folder} is not in the published layout: {exc}") from None
    if not rows:
        return None
    year = max(int(r["year"]) for r in rows)
    rows = [r for r in rows if int(r["year"]) == year]
    frame = pd.DataFrame({"country": [r["provider_name"] for r in rows],
                          "share": [float(r["share_provided"]) / 100.0 for r in rows]})
    frame["share"] = frame["share"] / frame["share"].sum()  # CSET rounds and may exceed 100
    return frame, year


def _node_shares(store: Store, node: Node, year: int, source_dir: Path | None
                 ) -> tuple[pd.DataFrame, dict[str, Any] | None, str | None]:
    for src in node.shares:
        if src.kind == "table":
            got = _table_shares(store, src, year)
            if got is not None:
                frame, _, prov = got
                return frame, prov, None
        elif src.kind == "cset" and source_dir is not None:
            got_c = read_cset_shares(source_dir, src.cset)
            if got_c is not None:
                frame, used = got_c
                frame = frame.assign(year=used, source=f"cset-eto-chip-explorer:{src.cset}",
                                     method="run-time", world_t=np.nan)
                note = (f"{node.id}: country shares from the CSET/ETO chip graph ({src.cset}, {used}), "
                        "CC BY-NC 4.0, read at run time from the source directory (not bundled)")
                prov = {"source": f"cset-eto-chip-explorer:{src.cset}", "used_for": f"country shares of {node.id}",
                        "licence": "CC BY-NC 4.0", "vintage": used, "bundled": False}
                return frame, prov, note
        elif src.kind == "assumption":
            frame = pd.DataFrame({"country": [c for c, _ in src.shares], "share": [s for _, s in src.shares]})
            frame["share"] = frame["share"] / frame["share"].sum()
            frame = frame.assign(year=year, source=f"assumption: {src.source}", method="assumption",
                                 world_t=np.nan)
            return frame, None, None
    msg = (f"node {node.id}: none of its share sources is available (tables "
           f"{[s.table for s in node.shares if s.table]}). Build the store with `critmin data build`.")
    raise SourceFormatError(msg)


def _prune(flows: np.ndarray, s: np.ndarray, d: np.ndarray, below: float = PRUNE_BELOW) -> np.ndarray:
    """Drop links under ``below`` of the edge and rebalance the rest (RAS) so that row sums
    stay ``s`` and column sums ``d``; keep the unpruned table if RAS does not close."""
    kept = np.where(flows >= below, flows, 0.0)
    for _ in range(200):
        rows = kept.sum(axis=1)
        kept = kept * np.where(rows > 0, s / np.where(rows > 0, rows, 1.0), 0.0)[:, None]
        cols = kept.sum(axis=0)
        kept = kept * np.where(cols > 0, d / np.where(cols > 0, cols, 1.0), 0.0)[None, :]
        if np.abs(kept.sum(axis=1) - s).max() < 1e-12 and np.abs(kept.sum(axis=0) - d).max() < 1e-12:
            return kept
    return flows


def pooled_links(supply: pd.Series, demand: pd.Series, home_bias: float = HOME_BIAS) -> pd.DataFrame:
    """Link shares of one edge: a blend of "home supply first" and "everyone buys the
    world mix".

    With weight ``home_bias`` a country's requirement is met from its own output first and
    the rest pooled by exporter size; with weight ``1 - home_bias`` every user buys each
    exporter's share of world output. ``supply`` and ``demand`` are country shares (each
    sums to 1) of the input node and of the using node. Row sums equal ``supply`` and
    column sums ``demand`` (mass balance). Returns exporter, importer, link_share.

    Examples
    --------
    >>> s = pd.Series({"CHN": 0.9, "JPN": 0.1}); d = pd.Series({"JPN": 0.5, "USA": 0.5})
    >>> pooled_links(s, d, home_bias=1.0).round(3).to_dict("records")[0]
    {'exporter': 'CHN', 'importer': 'JPN', 'link_share': 0.4}
    """
    countries = sorted(set(supply.index) | set(demand.index))
    s = supply.reindex(countries, fill_value=0.0).to_numpy(float)
    d = demand.reindex(countries, fill_value=0.0).to_numpy(float)
    home = np.minimum(s, d)
    s_left, d_left = s - home, d - home
    total = d_left.sum()
    flows = np.diag(home)
    if total > 1e-12:
        flows = flows + np.outer(s_left, d_left) / total
    flows = home_bias * flows + (1.0 - home_bias) * np.outer(s, d)
    flows = _prune(flows, s, d)
    ex, im = np.nonzero(flows > 1e-12)
    out = pd.DataFrame({"exporter": [countries[i] for i in ex], "importer": [countries[j] for j in im],
                        "link_share": flows[ex, im]})
    out["link_share"] = out["link_share"] / out["link_share"].sum()
    return out.sort_values("link_share", ascending=False, kind="stable").reset_index(drop=True)


def chain_baseline(store: Store, spec: ChainSpec, year: int | None = None, *,
                   source_dir: Path | None = None, home_bias: float = HOME_BIAS) -> ChainBaseline:
    """Country shares and stage-to-stage links of ``spec`` for ``year`` (default: the chain's).

    Parameters
    ----------
    store : Store
    spec : ChainSpec
    year : int, optional
        Data year; each node uses this year or its latest earlier one (``shares.year``).
    source_dir : Path, optional
        The user's raw-data directory: CC BY-NC and proprietary-derived shares are read
        from it at run time, never from the store.
    home_bias : float
        Weight of home supply in the links (0: every user buys the world mix; 1: home
        output first). An assumption, stated in every result.
    """
    if not 0.0 <= home_bias <= 1.0:
        from critmin.errors import InvalidParameterError

        raise InvalidParameterError(f"home_bias must be in [0, 1]. Got {home_bias}.")
    year = int(year or spec.year)
    parts, provenance, notes = [], [], []
    for node in spec.nodes:
        frame, prov, note = _node_shares(store, node, year, source_dir)
        parts.append(frame.assign(node=node.id))
        if prov:
            provenance.append(prov)
        if note:
            notes.append(note)
    shares = pd.concat(parts, ignore_index=True)[["node", "country", "share", "year", "source", "method", "world_t"]]
    shares = shares.groupby(["node", "country", "year", "source", "method"], as_index=False, sort=False).agg(
        share=("share", "sum"), world_t=("world_t", "first"))
    shares = shares[["node", "country", "share", "year", "source", "method", "world_t"]]
    links = []
    by_node = {n: fold_small(g.set_index("country")["share"]) for n, g in shares.groupby("node")}
    for e in spec.edges:
        lk = pooled_links(by_node[e.source], by_node[e.target], home_bias)
        links.append(lk.assign(source=e.source, target=e.target))
    links_frame = pd.concat(links, ignore_index=True)[["source", "target", "exporter", "importer", "link_share"]]
    provenance.append({"source": spec.file, "used_for": f"{spec.name} stage graph: coefficients, ranges and "
                       "assumptions", "vintage": spec.year})
    provenance.append({"source": "assumption", "used_for": f"stage-to-stage links: home_bias {home_bias:g} "
                       "(share of home supply first; the rest buys the world mix)"})
    return ChainBaseline(spec=spec, year=year, shares=shares, links=links_frame,
                         provenance=tuple(MappingProxyType(p) for p in provenance),
                         run_time_sources=tuple(notes))
