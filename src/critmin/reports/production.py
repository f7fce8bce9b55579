"""Production summary of the demo minerals: world output, leading producer, its share.

A selection over :func:`critmin.store.views.production_view` (the store's default series:
newest USGS edition per year, BGS before); world totals, leading producers and shares come
from :mod:`critmin.metrics.concentration`, so this table and ``critmin concentration``
agree.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from critmin.metrics.concentration import concentration
from critmin.store.catalog import Store
from critmin.store.views import production_view

DEMO_MINERALS = ("gallium", "germanium", "antimony", "graphite", "rare_earths", "cobalt",
                 "lithium", "nickel")
COLUMNS = ["mineral", "stage", "year", "basis", "world_t", "world_source", "top_country",
           "top_share", "n_producers", "n_withheld", "estimated", "source"]


def _summarise(rows: pd.DataFrame) -> dict[str, object]:
    """One (mineral, stage, year, basis) group, with the same world total and leading
    producer as :func:`critmin.metrics.concentration.concentration` (one definition)."""
    conc = concentration(rows, keys=())
    if conc.empty:
        return {"world_t": None, "world_source": "no positive total", "top_country": None,
                "top_share": None, "n_producers": 0,
                "n_withheld": int((rows["flag"] == "W").sum()),
                "estimated": bool(rows["estimated"].any()),
                "source": ", ".join(sorted(set(rows["source"])))}
    c = conc.iloc[0]
    published = c["world_published_t"]
    if pd.notna(published) and published >= c["world_t"]:
        world_source = "published world total"
    else:
        has_rest = bool(((rows["country"] == "OTH") & rows["quantity_t"].notna()).any())
        world_source = "sum of countries" + (" and 'Other countries'" if has_rest else "")
    return {"world_t": float(c["world_t"]), "world_source": world_source,
            "top_country": c["top_country"], "top_share": float(c["cr1_share"]),
            "n_producers": int(c["n_producers"]), "n_withheld": int(c["n_withheld"]),
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
        top_share, n_producers, n_withheld, estimated, source``. ``world_t`` is the
        published world total, or the sum of producers and "Other countries" where that
        is larger (as in the concentration metrics); ``top_share`` is 0-1 of it. ``n_withheld`` counts
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
