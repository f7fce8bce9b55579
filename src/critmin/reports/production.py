"""Production summary of the demo minerals: world output, leading producer, its share.

Selection and simple aggregation over :func:`critmin.store.views.production_view` (the
store's default series: newest USGS edition per year, BGS before). The concentration
metrics proper (HHI and friends) live in :mod:`critmin.metrics`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from critmin.store.catalog import Store
from critmin.store.views import AGGREGATES, production_view

DEMO_MINERALS = ("gallium", "germanium", "antimony", "graphite", "rare_earths", "cobalt",
                 "lithium", "nickel")
COLUMNS = ["mineral", "stage", "year", "basis", "world_t", "world_source", "top_country",
           "top_share", "n_producers", "n_withheld", "estimated", "source"]


def _summarise(rows: pd.DataFrame) -> dict[str, object]:
    """One (mineral, stage, year, basis) group."""
    named = rows[~rows["country"].isin(AGGREGATES)]
    world = rows.loc[rows["country"] == "WLD", "quantity_t"].dropna()
    reported = named["quantity_t"].dropna()
    other = rows.loc[rows["country"] == "OTH", "quantity_t"].dropna()
    if not world.empty:
        world_t, world_source = float(world.iloc[0]), "published world total"
    else:
        world_t = float(reported.sum() + other.sum())
        world_source = "sum of countries" + (" and 'Other countries'" if not other.empty else "")
    top = named.dropna(subset=["quantity_t"]).sort_values("quantity_t", ascending=False)
    top_country = top["country"].iloc[0] if not top.empty else None
    top_share = (float(top["quantity_t"].iloc[0]) / world_t
                 if top_country is not None and world_t > 0 else None)
    return {"world_t": world_t if world_t > 0 else None, "world_source": world_source,
            "top_country": top_country, "top_share": top_share,
            "n_producers": int((reported > 0).sum()),
            "n_withheld": int((named["flag"] == "W").sum()),
            "estimated": bool(rows["estimated"].any()),
            "source": ", ".join(sorted(set(rows["source"])))}


def production_summary(store: Store, minerals: Iterable[str] = DEMO_MINERALS,
                       year: int | None = None) -> pd.DataFrame:
    """For each mineral and stage, the latest year with data (or ``year``): world output,
    the leading producer and its share, and the number of producers.

    Parameters
    ----------
    store : Store
    minerals : iterable of str
        Mineral ids or names; default the demo minerals.
    year : int, optional
        Summarise this year instead of the latest year with data for each stage.

    Returns
    -------
    DataFrame
        Columns ``mineral, stage, year, basis, world_t, world_source, top_country,
        top_share, n_producers, n_withheld, estimated, source``; ``top_share`` is 0-1 of
        ``world_t`` (the published world total where there is one). ``n_withheld`` counts
        producers whose figure USGS withholds (W), which the share cannot include.
    """
    out = []
    for mineral in minerals:
        rows = production_view(store, mineral)
        for stage, by_stage in rows.groupby("stage", sort=True):
            with_data = by_stage[by_stage["quantity_t"].notna() & (by_stage["quantity_t"] > 0)]
            if with_data.empty:
                continue
            chosen = int(year) if year is not None else int(with_data["year"].max())
            part = by_stage[by_stage["year"] == chosen]
            if part.empty:
                continue
            # several bases in one stage (e.g. boron forms): report the basis of the world
            # total, else the one most countries report
            wld = part.loc[part["country"] == "WLD", "basis"]
            basis = wld.iloc[0] if not wld.empty else part["basis"].value_counts().idxmax()
            group = part[part["basis"] == basis]
            out.append({"mineral": by_stage["mineral"].iloc[0], "stage": stage,
                        "year": chosen, "basis": basis, **_summarise(group)})
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame.attrs["units"] = {"world_t": "t", "top_share": "share"}
    return frame
