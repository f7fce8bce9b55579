"""Read helpers over the store: tidy selections for the CLI, reports and metrics.

Selection only, no arithmetic. The documented default of :func:`production_view` (and of
:func:`latest_production`, the same rule on a frame) is:

    for each (mineral, stage, year), the rows of the newest USGS Mineral Commodity
    Summaries edition that reports a number for that year; for years no USGS edition
    reports, the BGS World Mineral Statistics rows; for years neither has a number for, the
    newest USGS edition's markers (W withheld, NA).

So 2024 comes from MCS 2026 (which revises MCS 2025's estimate), 2021 from MCS 2023, and
1971-2020 from BGS. Rows are unique per (mineral, stage, basis, country, year): a mineral
whose producers report different forms (boron, talc, titanium concentrates) has one row
per basis, and rows of different bases must not be added. ``WLD`` (the published world
total) and ``OTH`` ("Other countries") rows are kept; drop them before computing shares of
named producers, or use ``WLD`` as the denominator.
"""

from __future__ import annotations

import pandas as pd

from critmin import vocab
from critmin.errors import (
    InvalidParameterError,
    UnknownMineralError,
    UnknownStageError,
    UnknownYearError,
)
from critmin.store.catalog import Store

GROUP = ["mineral", "stage", "year"]


class NoMineralDataError(UnknownMineralError):
    """A mineral (known or not) with no rows in the table asked for."""

    kind = "mineral with data"


class NoStageDataError(UnknownStageError):
    """A valid stage with no rows for the mineral."""

    kind = "stage with data"


class NoYearDataError(UnknownYearError):
    """A year with no rows for the mineral and stage."""

    kind = "year with data"

AGGREGATES = ("WLD", "OTH")


def _family(source: pd.Series) -> pd.Series:
    """'usgs' or 'bgs' for each source id (split once per distinct id: a store has a few
    dozen ids over tens of thousands of rows)."""
    text = source.astype("string")
    family = {s: s.split("-")[0] for s in text.dropna().unique()}
    out = text.map(family).astype(object)
    out[text.isna().to_numpy()] = pd.NA
    return out


def latest_production(frame: pd.DataFrame) -> pd.DataFrame:
    """The default selection (module docstring) applied to a ``production``-shaped frame.

    Parameters
    ----------
    frame : DataFrame
        Rows with at least ``mineral, stage, year, edition, source``.

    Returns
    -------
    DataFrame
        The selected rows, index reset, in the input's column order.

    Examples
    --------
    >>> rows = pd.DataFrame({"mineral": ["cobalt"] * 3, "stage": ["mine"] * 3,
    ...                      "year": [2024, 2024, 2020], "country": ["COD"] * 3,
    ...                      "quantity_t": [220000.0, 215000.0, 98000.0],
    ...                      "edition": [2026, 2025, 2023],
    ...                      "source": ["usgs-mcs2026-world", "usgs-mcs2025-world", "bgs-wms"]})
    >>> latest_production(rows)["quantity_t"].tolist()
    [98000.0, 220000.0]
    """
    if frame.empty:
        return frame.reset_index(drop=True)
    fam = _family(frame["source"])
    usgs = frame[fam == "usgs"]
    bgs = frame[fam == "bgs"]
    other = frame[~fam.isin(["usgs", "bgs"])]
    # An edition "reports" a year when at least one country has a number: MCS 2024 lists
    # germanium producers with every value NA, which must not hide BGS's figures.
    if "quantity_t" in usgs.columns:
        filled = usgs["quantity_t"].notna().groupby(
            [usgs[c] for c in (*GROUP, "edition")]).transform("any")
    else:
        filled = pd.Series(True, index=usgs.index)
    with_data = usgs[filled.astype(bool)]
    chosen = with_data[with_data["edition"] == with_data.groupby(GROUP)["edition"].transform("max")]
    bgs_keep = _anti_join(bgs, chosen[GROUP])
    if "quantity_t" in bgs_keep.columns:
        bgs_has = bgs_keep.loc[bgs_keep["quantity_t"].notna(), GROUP]
    else:
        bgs_has = bgs_keep[GROUP]
    # Years only USGS lists, with markers and no numbers (W, NA): show the newest edition's
    # markers rather than nothing, unless BGS has numbers for them.
    empty = _anti_join(_anti_join(usgs, chosen[GROUP]), bgs_has)
    empty = empty[empty["edition"] == empty.groupby(GROUP)["edition"].transform("max")]
    out = pd.concat([bgs_keep, chosen, empty, other])
    return out.sort_values(GROUP + ["country"], kind="stable").reset_index(drop=True)


def _anti_join(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``frame`` whose (mineral, stage, year) is not in ``keys``."""
    if frame.empty or keys.empty:
        return frame
    marker = frame[GROUP].merge(keys.drop_duplicates().assign(_hit=True), on=GROUP, how="left")
    return frame[marker["_hit"].isna().to_numpy()]


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    """Producers by stage and year (newest first), largest first; OTH and WLD last."""
    rank = frame["country"].map({"OTH": 1, "WLD": 2}).fillna(0)
    key = frame.assign(_rank=rank, _q=-frame["quantity_t"].fillna(-1))
    key = key.sort_values(["mineral", "stage", "year", "basis", "_rank", "_q", "country"],
                          ascending=[True, True, False, True, True, True, True], kind="stable")
    return key.drop(columns=["_rank", "_q"]).reset_index(drop=True)


def _mineral_id(store: Store, table: str, mineral: str) -> str:
    info = vocab.mineral(mineral)  # UnknownMineralError for names outside the vocabulary
    have = store.sql(f'SELECT DISTINCT mineral FROM "{table}" ORDER BY 1')["mineral"].tolist()
    if info.id not in have:
        hint = f"{info.id!r} is in the vocabulary but the store has no {table} rows for it."
        if info.group:
            hint += f" USGS reports it within {info.group!r}: try that."
        raise NoMineralDataError(mineral, have, hint)
    return info.id


def production_view(store: Store, mineral: str, stage: str | None = None,
                    year: int | None = None, source: str | None = None) -> pd.DataFrame:
    """Production of ``mineral`` by country, in tonnes on the stated basis.

    Parameters
    ----------
    store : Store
    mineral : str
        Id, name, alias or symbol ("cobalt", "Co", "Rare earths").
    stage : str, optional
        mine, refinery, smelter, metal or chemical; default every stage with data.
    year : int, optional
        Default every year.
    source : str, optional
        None or ``"default"``: the default selection (module docstring). ``"usgs"``: USGS
        rows only, newest edition per year. ``"bgs"``: BGS rows only. ``"all"``: every
        release, each row with its ``source``. A source id such as
        ``"usgs-mcs2025-world"``: every row of that release. The same words as the
        ``series`` of :mod:`critmin.metrics.queries`.

    Returns
    -------
    DataFrame
        Columns of the ``production`` table; ``attrs["units"]`` gives units.

    Raises
    ------
    UnknownMineralError, UnknownStageError, UnknownYearError
        Listing what the store has, e.g. "no refinery data for cobalt; stages with data: mine".
    InvalidParameterError
        For an unknown ``source``.
    """
    mid = _mineral_id(store, "production", mineral)
    rows = store.table("production", mineral=mid)
    units = rows.attrs.get("units", {})
    source = None if source == "default" else source
    if source is not None and source != "all":
        sources = sorted(set(rows["source"]))
        if source in ("usgs", "bgs"):
            rows = rows[_family(rows["source"]) == source]
        elif source in sources:
            rows = rows[rows["source"] == source]
        else:
            msg = (f"series {source!r} has no production rows for {mid}. Accepted: "
                   f"'default', 'usgs', 'bgs', 'all' or one of {sources}.")
            raise InvalidParameterError(msg)
        if rows.empty:
            raise InvalidParameterError(f"series {source!r} has no production rows for {mid}; "
                                        f"sources with data: {sources}.")
    if source is None or source in ("usgs", "bgs"):
        rows = latest_production(rows)
    if stage is not None:
        st = vocab.stage(stage).value
        have = sorted(set(rows["stage"]))
        if st not in have:
            raise NoStageDataError(stage, have, f"No {st} data for {mid}; stages with data: "
                                                 f"{', '.join(have)}.")
        rows = rows[rows["stage"] == st]
    if year is not None:
        have_years = sorted(int(y) for y in set(rows["year"]))
        if int(year) not in have_years:
            span = f"{have_years[0]}-{have_years[-1]}" if have_years else "none"
            raise NoYearDataError(year, [str(y) for y in have_years],
                                  f"No {mid} {stage or ''} production for {year}; years with "
                                   f"data: {span}.".replace("  ", " "))
        rows = rows[rows["year"] == int(year)]
    out = _order(rows)
    out.attrs["units"] = units
    return out


def reserves_view(store: Store, mineral: str, year: int | None = None) -> pd.DataFrame:
    """Reserves of ``mineral`` by country from the newest MCS edition reporting each year.

    ``year`` defaults to the latest year with reserves. Raises UnknownMineralError or
    UnknownYearError listing what the store has.
    """
    mid = _mineral_id(store, "reserves", mineral)
    rows = store.table("reserves", mineral=mid)
    units = rows.attrs.get("units", {})
    newest = rows.groupby(["mineral", "year"])["edition"].transform("max")
    rows = rows[rows["edition"] == newest]
    have_years = sorted(int(y) for y in set(rows["year"]))
    if year is None:
        year = have_years[-1]
    elif int(year) not in have_years:
        raise NoYearDataError(year, [str(y) for y in have_years],
                              f"No {mid} reserves for {year}.")
    out = _order(rows[rows["year"] == int(year)])
    out.attrs["units"] = units
    return out


def nir_view(store: Store, mineral: str | None = None, year: int | None = None) -> pd.DataFrame:
    """US net import reliance (``us_nir``): share 0-1 with its bound, newest edition per
    (mineral, year). Filters validate like :func:`production_view`."""
    rows = store.table("us_nir")
    units = rows.attrs.get("units", {})
    if mineral is not None:
        mid = _mineral_id(store, "us_nir", mineral)
        rows = rows[rows["mineral"] == mid]
    newest = rows.groupby(["mineral", "year"])["edition"].transform("max")
    rows = rows[rows["edition"] == newest]
    if year is not None:
        have_years = sorted(int(y) for y in set(rows["year"]))
        if int(year) not in have_years:
            raise NoYearDataError(year, [str(y) for y in have_years],
                                  "No US net import reliance for that year.")
        rows = rows[rows["year"] == int(year)]
    out = rows.sort_values(["mineral", "year"]).reset_index(drop=True)
    out.attrs["units"] = units
    return out
