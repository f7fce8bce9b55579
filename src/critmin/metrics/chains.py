"""Where a chain chokes: concentration of every stage, and a unit's dependence on one country.

Pure functions of a :class:`~critmin.chain_baseline.ChainBaseline`:

- :func:`stage_view`: per node, the top country, CR1, HHI (0-10,000, over named countries;
  the unattributed remainder OTH is not one producer), N-1 cover (the share of the node's
  world output still available when its top country is lost, with the others' spare
  capacity) and whether it is a single point of failure (one country above 0.65).
- :func:`unit_view`: from a unit's view (a country or a bloc), for each stage where the
  unit makes something, the share of its input that comes from one foreign country,
  directly (its own suppliers) and one stage up (its suppliers' suppliers).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

#: A country above this share of a stage is a single point of failure.
SPOF_SHARE = 0.65
REST = "OTH"


def stage_view(baseline: object, *, spare_share: float = 0.10) -> pd.DataFrame:
    """One row per node, upstream first.

    Returns
    -------
    DataFrame
        node, label, stage, unit, top_country, cr1_share, hhi, n1_cover_share,
        single_point_of_failure, countries_count, year, source, method (observed,
        assumption, run-time).
    """
    spec = baseline.spec  # type: ignore[attr-defined]
    rows = []
    for n in spec.nodes:
        sh = baseline.shares[baseline.shares["node"] == n.id]  # type: ignore[attr-defined]
        named = sh[sh["country"] != REST].sort_values("share", ascending=False)
        top = named.iloc[0] if len(named) else None
        cr1 = float(top["share"]) if top is not None else 0.0
        hhi = float((named["share"] ** 2).sum() * 10_000)
        rows.append({
            "node": n.id, "label": n.label, "stage": n.stage, "unit": n.unit,
            "top_country": str(top["country"]) if top is not None else "",
            "cr1_share": cr1, "hhi": hhi,
            "n1_cover_share": float(min(1.0, (1.0 - cr1) * (1.0 + spare_share))),
            "single_point_of_failure": cr1 > SPOF_SHARE,
            "countries_count": int(len(named)),
            "year": int(sh["year"].iloc[0]) if len(sh) else None,
            "source": str(sh["source"].iloc[0]) if len(sh) else "",
            "method": str(sh["method"].iloc[0]) if len(sh) else "",
        })
    return pd.DataFrame(rows)


def _matrix(links: pd.DataFrame, source: str, target: str) -> pd.DataFrame:
    lk = links[(links["source"] == source) & (links["target"] == target)]
    return lk.pivot_table(index="exporter", columns="importer", values="link_share", aggfunc="sum", fill_value=0.0)


def unit_view(baseline: object, members: Iterable[str], unit: str) -> pd.DataFrame:
    """A unit's dependence on one foreign country at each stage where it makes something.

    For an edge ``u -> v``: the unit's receipts of ``u`` (as an input to its own ``v``) by
    exporter; ``direct`` is the largest non-member exporter's share of them. ``one stage
    up``: for each input ``w -> u`` of those suppliers, the share of the unit's ``u`` that
    rests on one non-member country's ``w`` (supplier shares times their own sourcing).

    Returns
    -------
    DataFrame
        unit, node (what the unit makes), input, via, level (direct, one stage up),
        top_country, dependence_share, home_share (of the unit's own supply),
        highest (the single highest row). Sorted by dependence, highest first.
    """
    members = tuple(members)
    spec = baseline.spec  # type: ignore[attr-defined]
    links = baseline.links  # type: ignore[attr-defined]
    rows = []
    for e in spec.edges:
        m = _matrix(links, e.source, e.target)
        cols = [c for c in m.columns if c in members]
        if not cols:
            continue
        receipts = m[cols].sum(axis=1)
        total = float(receipts.sum())
        if total <= 0:
            continue
        direct = receipts / total
        home = float(direct[direct.index.isin(members)].sum())
        foreign = direct[~direct.index.isin(members) & (direct.index != REST)]
        if len(foreign):
            rows.append({"unit": unit, "node": e.target, "input": e.source, "via": "", "level": "direct",
                         "top_country": str(foreign.idxmax()), "dependence_share": float(foreign.max()),
                         "home_share": home})
        for up in spec.inputs(e.source):
            m2 = _matrix(links, up.source, up.target)
            col_tot = m2.sum(axis=0)
            sourcing = m2.div(col_tot.where(col_tot > 0, 1.0), axis=1)  # exporter share of each importer's w
            sup = direct.reindex(sourcing.columns, fill_value=0.0)
            indirect = sourcing.mul(sup, axis=1).sum(axis=1)
            foreign2 = indirect[~indirect.index.isin(members) & (indirect.index != REST)]
            if len(foreign2) and foreign2.max() > 0:
                rows.append({"unit": unit, "node": e.target, "input": e.source, "via": up.source,
                             "level": "one stage up", "top_country": str(foreign2.idxmax()),
                             "dependence_share": float(foreign2.max()),
                             "home_share": float(indirect[indirect.index.isin(members)].sum())})
    cols_out = ["unit", "node", "input", "via", "level", "top_country", "dependence_share", "home_share", "highest"]
    if not rows:
        return pd.DataFrame(columns=cols_out)
    out = pd.DataFrame(rows).sort_values("dependence_share", ascending=False, kind="stable").reset_index(drop=True)
    out["highest"] = np.arange(len(out)) == 0
    return out[cols_out]


def bloc_cover(baseline: object, members: Iterable[str], bloc: str, *, spare_share: float = 0.10) -> pd.DataFrame:
    """What share of each stage a bloc can cover from its members.

    For every node that feeds another: ``member_share`` of world output made in member
    countries; ``member_need_share``, the members' share of the world's use of it (their
    own downstream plants, through the links); ``cover_share`` = member output with
    spare capacity over member need, capped at 1. Final products show their member share.
    """
    members = set(members)
    spec = baseline.spec  # type: ignore[attr-defined]
    links = baseline.links  # type: ignore[attr-defined]
    shares = baseline.shares  # type: ignore[attr-defined]
    rows = []
    for n in spec.nodes:
        sh = shares[shares["node"] == n.id]
        member = float(sh.loc[sh["country"].isin(members), "share"].sum())
        out = links[links["source"] == n.id]
        if len(out):
            per_edge = out.groupby("target")["link_share"].sum()
            need_parts = out[out["importer"].isin(members)].groupby("target")["link_share"].sum()
            need = float((need_parts / per_edge.reindex(need_parts.index)).mean()) if len(need_parts) else 0.0
            cover = float(min(1.0, member * (1 + spare_share) / need)) if need > 0 else 1.0
        else:
            need, cover = float("nan"), float("nan")
        rows.append({"bloc": bloc, "node": n.id, "stage": n.stage, "member_share": member,
                     "member_need_share": need, "cover_share": cover,
                     "method": str(sh["method"].iloc[0]) if len(sh) else ""})
    return pd.DataFrame(rows)
