"""Supply concentration per mineral x stage x year: shares, HHI, CR1, CR3, N-1 cover, HHI_WGI.

Pure functions on tidy frames; nothing here reads the store.

Method
------
The input is production in the store's layout: one row per ``mineral, stage, year, country``
(and a ``source`` naming the release), with two pseudo-countries:

``WLD``
    the published world total;
``OTH``
    "Other countries", the publisher's unattributed remainder.

For every group the **world total** is ``max(WLD, sum of attributed producers + OTH)``: the
published total when it is consistent, the sum of its parts when the published total is
rounded below them or absent. Everything in the world total not attributed to a named
country (``OTH`` plus any rounding gap) stays an **unattributed remainder**: it counts in the
denominator of every share, but it is never treated as a producer. It may hide several
small producers, so the HHI, CR1 and CR3 computed here are **lower bounds** of the true
values (the remainder, were it one country, could raise the HHI by at most
``10,000 * unattributed_share**2``; that upper bound is reported as ``hhi_upper``).
Withheld quantities (``W``, null ``quantity_t``) are not producers either; their count is
reported as ``n_withheld``. ``world_published_t`` is the publisher's own total (null when
the release has none, e.g. most BGS series, whose world total is then the sum of countries).

* ``hhi``: Herfindahl-Hirschman index, ``10,000 * sum(share**2)``, 0-10,000.
* ``cr1_share``, ``cr3_share``: share of the largest one and three producers (0-1).
* ``n_minus_1_cover_share``: world supply without the top producer divided by world supply,
  i.e. ``1 - cr1_share``: the share of demand the rest of the world could cover.
* ``hhi_wgi``: the EU 2023 governance-weighted concentration (Blengini et al. 2017,
  *Methodology for establishing the EU list of critical raw materials*, applied unchanged in
  the 2023 assessment, Grohol & Veeh 2023):
  ``HHI_WGI = sum_c share_c**2 * WGI_scaled_c`` with shares as fractions and
  ``WGI_scaled_c = 2 * (2.5 - mean WGI_c)``, the mean of the six Worldwide Governance
  Indicators rescaled to 0 (best) - 10 (worst). The result lies on 0-10, the scale of the
  EU supply-risk score (the trade factor ``t`` of the SR formula is applied in
  :mod:`critmin.metrics.risk`, not here). ``wgi_coverage_share`` is the share of world supply
  whose producer has a WGI score; ``hhi_wgi`` covers only those producers.
* ``credible``: the group has a published world total and a producer, or at least two
  producers. A lone producer with no world total (typical where a release reports each
  country in its own basis, e.g. boron minerals, or a BGS table listing one country) says
  nothing about concentration: its HHI of 10,000 is an artefact; so is the HHI of 0 of a
  world total with no producer named. Such rows are flagged, not dropped.
* ``estimated_share``: the share of the world total held by producer rows the publisher
  marks as estimated (USGS "e", BGS estimates); null when the input has no ``estimated``
  column.
* Flags, thresholds configurable: ``cr1_flag`` when ``cr1_share > 0.65`` (the single-country
  benchmark of the EU Critical Raw Materials Act, Regulation (EU) 2024/1252, Art. 5(1)(b))
  and ``hhi_flag`` when ``hhi >= 1,800`` ("highly concentrated" in the 2023 US Merger
  Guidelines, section 2.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.errors import InvalidParameterError, SourceFormatError

WORLD = "WLD"
REMAINDER = "OTH"
PSEUDO = (WORLD, REMAINDER)
KEYS: tuple[str, ...] = ("mineral", "stage", "year", "source")

CR1_THRESHOLD_SHARE = 0.65   # EU CRMA (Reg. 2024/1252) Art. 5(1)(b): no third country > 65 %
HHI_THRESHOLD = 1800.0       # 2023 US Merger Guidelines: HHI > 1,800 is highly concentrated

CONCENTRATION_COLUMNS = (
    "world_t", "world_published_t", "attributed_t", "unattributed_share", "n_producers", "n_withheld",
    "top_country", "top_t", "cr1_share", "cr3_share", "hhi", "hhi_upper",
    "n_minus_1_cover_share", "hhi_wgi", "wgi_coverage_share", "cr1_flag", "hhi_flag",
    "credible", "estimated_share",
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Flag thresholds.

    Parameters
    ----------
    cr1_share : float
        ``cr1_flag`` is set when the top producer's share exceeds this (0-1). Default 0.65.
    hhi : float
        ``hhi_flag`` is set when the HHI is at least this (0-10,000). Default 1,800.
    """

    cr1_share: float = CR1_THRESHOLD_SHARE
    hhi: float = HHI_THRESHOLD

    def __post_init__(self) -> None:
        if not 0.0 <= self.cr1_share <= 1.0:
            msg = f"cr1_share threshold must be a share in [0, 1]. Got {self.cr1_share!r}."
            raise InvalidParameterError(msg)
        if not 0.0 <= self.hhi <= 10_000.0:
            msg = f"hhi threshold must lie in [0, 10000]. Got {self.hhi!r}."
            raise InvalidParameterError(msg)


def wgi_scaled(mean_wgi: pd.Series | np.ndarray | float) -> pd.Series | np.ndarray | float:
    """EU 2023 governance weight ``2 * (2.5 - mean WGI)``: 0 (best) to 10 (worst).

    WGI estimates lie in about [-2.5, 2.5]; values outside are clipped to that range so the
    weight stays in [0, 10], as in the EU methodology's rescaling.
    """
    clipped = np.clip(mean_wgi, -2.5, 2.5)
    return 2.0 * (2.5 - clipped)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{what} needs column(s) {missing}; got {list(frame.columns)}."
        raise SourceFormatError(msg)


def _keys(frame: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    return [k for k in keys if k in frame.columns]


def shares(production: pd.DataFrame, keys: Sequence[str] = KEYS) -> pd.DataFrame:
    """Each attributed producer's share of the world total, per group.

    Parameters
    ----------
    production : DataFrame
        Columns ``country``, ``quantity_t`` and the group ``keys`` present (by default
        ``mineral, stage, year, source``; absent keys are ignored). ``WLD`` and ``OTH``
        rows are the world total and the unattributed remainder.
    keys : sequence of str
        Group columns.

    Returns
    -------
    DataFrame
        The group keys, ``country``, ``quantity_t``, ``world_t`` and ``share`` for every
        attributed producer (named country, quantity > 0), sorted by group and descending
        share. ``share`` is a fraction of ``world_t``; OTH and WLD are not rows.
    """
    _require(production, ["country", "quantity_t"], "shares()")
    k = _keys(production, keys)
    q = pd.to_numeric(production["quantity_t"], errors="coerce")
    country = production["country"].astype("string")
    is_world = country == WORLD
    is_rest = country == REMAINDER
    named = ~(is_world | is_rest)
    producer = named & (q > 0)
    base = production.loc[:, k].copy()
    base["country"] = country
    base["quantity_t"] = q
    world = _world_totals(base, is_world, is_rest, producer, k)
    out = base.loc[producer.fillna(False).to_numpy()]
    if k:
        out = out.merge(world[["world_t"]], left_on=k, right_index=True, how="left")
    else:
        out = out.assign(world_t=float(world["world_t"].iloc[0]) if len(world) else np.nan)
    out["share"] = out["quantity_t"] / out["world_t"]
    sort = [*k, "share", "country"]
    return out.sort_values(sort, ascending=[True] * len(k) + [False, True],
                           kind="mergesort").reset_index(drop=True)


def _world_totals(base: pd.DataFrame, is_world: pd.Series, is_rest: pd.Series,
                  producer: pd.Series, k: list[str]) -> pd.DataFrame:
    """world_t = max(published WLD, attributed + OTH) per group, plus the parts."""
    grouper = [base[c] for c in k] if k else np.zeros(len(base), dtype=int)
    q = base["quantity_t"]
    frame = pd.DataFrame({
        "published": q.where(is_world.fillna(False)),
        "rest": q.where(is_rest.fillna(False)),
        "attributed": q.where(producer.fillna(False)),
        "withheld": (~(is_world | is_rest)).fillna(False) & q.isna(),
    })
    g = frame.groupby(grouper, sort=True, dropna=False)
    out = pd.DataFrame({
        "published_t": g["published"].sum(min_count=1),
        "rest_t": g["rest"].sum(min_count=1),
        "attributed_t": g["attributed"].sum(min_count=1).fillna(0.0),
        "n_withheld": g["withheld"].sum().astype("int64"),
    })
    parts = out["attributed_t"] + out["rest_t"].fillna(0.0)
    out["world_t"] = np.fmax(out["published_t"].to_numpy(), parts.to_numpy())
    out.loc[out["world_t"] <= 0, "world_t"] = np.nan
    if k:
        out.index.names = k
    return out


def concentration(production: pd.DataFrame, governance: pd.DataFrame | None = None, *,
                  keys: Sequence[str] = KEYS, thresholds: Thresholds | None = None,
                  ) -> pd.DataFrame:
    """Every concentration metric for every group of ``production``, vectorised.

    Parameters
    ----------
    production : DataFrame
        Tidy production (see :func:`shares`).
    governance : DataFrame, optional
        Mean WGI per country and year: columns ``country``, ``year``, ``wgi_mean``
        (see :func:`mean_wgi`). A producer-year without a score takes the country's latest
        earlier score, else its earliest later one (WGI starts in 1996). Without it,
        ``hhi_wgi`` is null.
    keys : sequence of str
        Group columns; by default ``mineral, stage, year, source``.
    thresholds : Thresholds, optional
        Flag thresholds; default CR1 > 0.65 and HHI >= 1,800.

    Returns
    -------
    DataFrame
        One row per group with the keys and :data:`CONCENTRATION_COLUMNS`; groups with no
        positive world total are dropped (nothing to share out).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"mineral": "x", "stage": "mine", "year": 2023,
    ...                   "country": ["CHN", "AUS", "OTH", "WLD"],
    ...                   "quantity_t": [60.0, 30.0, 10.0, 100.0]})
    >>> row = concentration(p).iloc[0]
    >>> float(row.hhi), float(row.cr1_share), row.top_country
    (4500.0, 0.6, 'CHN')
    """
    thresholds = thresholds or Thresholds()
    _require(production, ["country", "quantity_t"], "concentration()")
    k = _keys(production, keys)
    frame = production.reset_index(drop=True)
    # One integer id per group, factorised once: every aggregate below is a bincount.
    if k:
        gid = frame.groupby(k, sort=True, dropna=False).ngroup().to_numpy()
        key_frame = frame.loc[:, k].assign(_gid=gid).drop_duplicates("_gid") \
            .sort_values("_gid").drop(columns="_gid").reset_index(drop=True)
    else:
        gid = np.zeros(len(frame), dtype=np.int64)
        key_frame = pd.DataFrame(index=range(1 if len(frame) else 0))
    n = len(key_frame)
    q = pd.to_numeric(frame["quantity_t"], errors="coerce").to_numpy(dtype=float)
    country = frame["country"].astype("string").fillna("").to_numpy(dtype=object)
    is_world = country == WORLD
    is_rest = country == REMAINDER
    named = ~(is_world | is_rest)
    has_q = ~np.isnan(q)
    producer = named & has_q & (np.nan_to_num(q) > 0)
    q0 = np.where(has_q, q, 0.0)

    def total(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.bincount(gid, weights=np.where(mask, q0, 0.0), minlength=n),
                np.bincount(gid, weights=(mask & has_q).astype(float), minlength=n) > 0)

    published, has_published = total(is_world)
    rest, _ = total(is_rest)
    attributed, _ = total(producer)
    world = np.fmax(np.where(has_published, published, np.nan), attributed + rest)
    world = np.where(world > 0, world, np.nan)
    n_withheld = np.bincount(gid, weights=(named & ~has_q).astype(float), minlength=n)

    # producers sorted by group, descending share, country
    pg, pq, pc = gid[producer], q[producer], country[producer]
    share = pq / world[pg]
    order = np.lexsort((pc.astype(str), -share, pg))
    pg, pq, pc, share = pg[order], pq[order], pc[order], share[order]
    first = np.full(n, -1, dtype=np.int64)
    uniq, idx = np.unique(pg, return_index=True)
    first[uniq] = idx
    rank = np.arange(len(pg)) - first[pg]
    has_prod = first >= 0

    out = key_frame.copy()
    out["world_t"] = world
    out["world_published_t"] = np.where(has_published, published, np.nan)
    out["attributed_t"] = attributed
    out["unattributed_share"] = np.clip(1.0 - attributed / world, 0.0, None)
    out["n_producers"] = np.bincount(pg, minlength=n).astype("int64")
    out["n_withheld"] = n_withheld.astype("int64")
    out["top_country"] = pd.Series(np.where(has_prod, pc[np.maximum(first, 0)] if len(pc)
                                            else None, None), dtype="object")
    out["top_t"] = np.where(has_prod, pq[np.maximum(first, 0)] if len(pq) else np.nan, np.nan)
    cr1 = np.where(has_prod, share[np.maximum(first, 0)] if len(share) else 0.0, 0.0)
    out["cr1_share"] = cr1
    out["cr3_share"] = np.bincount(pg, weights=np.where(rank < 3, share, 0.0), minlength=n)
    hhi = 10_000.0 * np.bincount(pg, weights=share ** 2, minlength=n)
    out["hhi"] = hhi
    out["hhi_upper"] = hhi + 10_000.0 * out["unattributed_share"].to_numpy() ** 2
    out["n_minus_1_cover_share"] = 1.0 - cr1
    out["hhi_wgi"], out["wgi_coverage_share"] = _hhi_wgi(
        pg, pc, share, frame["year"].to_numpy()[producer][order] if "year" in frame else None,
        governance, n)
    out["cr1_flag"] = out["cr1_share"] > thresholds.cr1_share
    out["hhi_flag"] = out["hhi"] >= thresholds.hhi
    # A world total with no attributed producer (e.g. USGS soda-ash refinery: only "World
    # total" rows) has HHI 0 by construction: as much an artefact as a lone producer's 10,000.
    out["credible"] = ((out["world_published_t"].notna() & (out["n_producers"] >= 1))
                       | (out["n_producers"] >= 2))
    # Flag estimates: the share of the world total held by producer rows the publisher marks
    # as estimated (null when the input carries no ``estimated`` column).
    if "estimated" in frame:
        est = frame["estimated"].fillna(False).astype(bool).to_numpy()
        out["estimated_share"] = np.bincount(gid, weights=np.where(producer & est, q0, 0.0),
                                             minlength=n) / world
    else:
        out["estimated_share"] = np.nan
    out = out[~np.isnan(world)].reset_index(drop=True)
    return out[[*k, *CONCENTRATION_COLUMNS]]


def source_hhi(matrix: np.ndarray, pooled: np.ndarray | None = None,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each buyer's source concentration, from a sources x buyers matrix of quantities.

    The matrix form of :func:`concentration`'s ``hhi`` and ``cr1_share`` for many buyers at
    once (e.g. an exporter x importer flow matrix with the diagonal zeroed, for each
    importer's import-source HHI).

    Parameters
    ----------
    matrix : ndarray, shape (sources, buyers)
        Quantities; negative entries count as 0.
    pooled : bool ndarray, shape (sources,), optional
        Rows that pool many sources (the remainder ``OTH``, as :func:`concentration` treats
        it): in each buyer's total, but neither a source of the HHI (which is then a lower
        bound) nor the top source.

    Returns
    -------
    hhi, top, top_share : ndarray, shape (buyers,)
        HHI on the 0-10,000 scale, the row index of the largest source (the lowest index
        among equal ones: with rows in country order, the alphabetically first, as
        :func:`concentration` breaks ties) and its share. A buyer with nothing bought has
        NaN, -1 and NaN; one that buys only from pooled rows has HHI 0, -1 and 0.

    Examples
    --------
    >>> import numpy as np
    >>> hhi, top, share = source_hhi(np.array([[60.0, 0.0], [40.0, 0.0]]))
    >>> hhi.tolist(), top.tolist(), share.tolist()
    ([5200.0, nan], [0, -1], [0.6, nan])
    >>> source_hhi(np.array([[60.0], [40.0]]), pooled=np.array([False, True]))[0].tolist()
    [3600.0]
    """
    q = np.clip(np.asarray(matrix, dtype=float), 0.0, None)
    total = q.sum(axis=0)
    bought = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = q / np.where(bought, total, 1.0)
    if pooled is not None:
        share = np.where(np.asarray(pooled, dtype=bool)[:, None], 0.0, share)
    named = share.max(axis=0, initial=0.0) > 0
    top = np.where(named, share.argmax(axis=0) if q.size else 0, -1)
    cols = np.arange(q.shape[1])
    hhi = np.where(bought, 10_000.0 * (share ** 2).sum(axis=0), np.nan)
    top_share = np.where(named, share[np.maximum(top, 0), cols] if q.size else np.nan,
                         np.where(bought, 0.0, np.nan))
    return hhi, top, top_share


def _hhi_wgi(pg: np.ndarray, pc: np.ndarray, share: np.ndarray, years: np.ndarray | None,
             governance: pd.DataFrame | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    nan = np.full(n, np.nan)
    if governance is None or governance.empty or years is None or len(pg) == 0:
        return nan, nan
    score = wgi_lookup(pc, years, governance)
    known = ~np.isnan(score)
    w = np.where(known, wgi_scaled(np.nan_to_num(score)), 0.0)
    hw = np.bincount(pg, weights=share ** 2 * w, minlength=n)
    covered = np.bincount(pg, weights=np.where(known, share, 0.0), minlength=n)
    total_share = np.bincount(pg, weights=share, minlength=n)
    # An uncovered producer is left out of hhi_wgi, so the figure is again a lower bound.
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(total_share > 0, covered / total_share, np.nan)
    return np.where(cov > 0, hw, np.nan), cov


def wgi_lookup(countries: np.ndarray, years: np.ndarray,
               governance: pd.DataFrame) -> np.ndarray:
    """Mean WGI for each (country, year): the latest earlier score of the country, else
    its earliest later one; NaN for a country without any score. Vectorised through a
    country x year table filled forward then backward."""
    _require(governance, ["country", "year", "wgi_mean"], "wgi_lookup()")
    gov = governance.loc[governance["wgi_mean"].notna(), ["country", "year", "wgi_mean"]]
    if gov.empty:
        return np.full(len(countries), np.nan)
    table = gov.pivot_table(index="country", columns="year", values="wgi_mean", aggfunc="mean")
    span = np.arange(int(table.columns.min()), int(table.columns.max()) + 1)
    table = table.reindex(columns=span).ffill(axis=1).bfill(axis=1)
    row_of = {str(c): i for i, c in enumerate(table.index)}
    rows = np.array([row_of.get(str(c), -1) for c in countries], dtype=np.int64)
    cols = np.clip(np.asarray(years, dtype=np.int64) - span[0], 0, len(span) - 1)
    values = table.to_numpy()
    out = values[np.maximum(rows, 0), cols]
    return np.where(rows >= 0, out, np.nan)


def attach_wgi(frame: pd.DataFrame, governance: pd.DataFrame,
               country: str = "country", year: str = "year") -> pd.DataFrame:
    """``frame`` with a ``wgi_mean`` column: the country's mean WGI for the row's year.

    A missing year takes the latest earlier score of the country, else its earliest later
    one (the WGI starts in 1996 and is biennial until 2002).
    """
    left = frame.reset_index(drop=True)
    if left.empty:
        return left.assign(wgi_mean=pd.Series(dtype="float64"))
    score = wgi_lookup(left[country].astype("string").to_numpy(dtype=object),
                       left[year].to_numpy(), governance)
    return left.assign(wgi_mean=score)


def mean_wgi(governance: pd.DataFrame) -> pd.DataFrame:
    """Mean WGI per country and year from the ``governance`` table.

    Uses the stored ``mean`` indicator when present, else the mean of the six dimensions
    (``va, pv, ge, rq, rl, cc``) available for that country-year.
    """
    _require(governance, ["country", "year", "indicator", "estimate"], "mean_wgi()")
    g = governance[["country", "year", "indicator", "estimate"]]
    stored = g[g["indicator"] == "mean"]
    if not stored.empty:
        out = stored.rename(columns={"estimate": "wgi_mean"})
    else:
        dims = g[g["indicator"].isin(["va", "pv", "ge", "rq", "rl", "cc"])]
        out = dims.groupby(["country", "year"], as_index=False)["estimate"].mean() \
            .rename(columns={"estimate": "wgi_mean"})
    return out[["country", "year", "wgi_mean"]].dropna().reset_index(drop=True)


def country_share_series(production: pd.DataFrame, country: str,
                         keys: Sequence[str] = KEYS) -> pd.DataFrame:
    """A country's share of the world total in every group.

    ``reported`` says whether the release has a row for the country: where it has none
    (e.g. BGS lists no Chinese gallium before 2011) the share is null, not zero; a
    reported zero stays 0. For a time series, pass production of one mineral and stage;
    each source (BGS, each USGS edition) is its own series.
    """
    k = _keys(production, keys)
    sh = shares(production, k)
    q = pd.to_numeric(production["quantity_t"], errors="coerce")
    c = production["country"].astype("string")
    base = production.loc[:, k].copy()
    base["country"], base["quantity_t"] = c, q
    totals = _world_totals(base, c == WORLD, c == REMAINDER,
                           ~((c == WORLD) | (c == REMAINDER)) & (q > 0), k)
    totals = totals[totals["world_t"].notna()]
    rows = base[base["country"] == country]
    reported = rows.groupby(k).size().reindex(totals.index).fillna(0) > 0 if k \
        else pd.Series(len(rows) > 0, index=totals.index)
    mine = sh[sh["country"] == country].set_index(k)
    out = totals[["world_t"]].copy()
    out["country"] = country
    out["reported"] = reported.to_numpy()
    q = mine["quantity_t"].reindex(out.index)
    out["quantity_t"] = q.where(q.notna() | ~out["reported"], 0.0)
    out["share"] = out["quantity_t"] / out["world_t"]
    return out.reset_index()


def stage_comparison(conc: pd.DataFrame, upstream: str = "mine") -> pd.DataFrame:
    """Mining versus each processing stage, where both are reported for a mineral-year.

    Parameters
    ----------
    conc : DataFrame
        Output of :func:`concentration` with ``mineral, stage, year`` (one series per
        mineral-stage-year; select a source first).
    upstream : str
        The stage compared against every other stage (default ``mine``).

    Returns
    -------
    DataFrame
        ``mineral, year, stage`` (the processing stage) and, for both stages, ``hhi``,
        ``cr1_share``, ``top_country``, suffixed ``_mine`` and ``_processing``; plus
        ``hhi_change`` (processing minus mine) and ``more_concentrated`` (the stage name).
    """
    _require(conc, ["mineral", "stage", "year", "hhi", "cr1_share", "top_country"],
             "stage_comparison()")
    cols = ["mineral", "year", "hhi", "cr1_share", "top_country"]
    # Only stages with a named producer compare: a bare world total has no concentration.
    named = conc["n_producers"] > 0 if "n_producers" in conc else pd.Series(True, conc.index)
    up = conc.loc[(conc["stage"] == upstream) & named, cols]
    down = conc.loc[(conc["stage"] != upstream) & named, [*cols, "stage"]]
    out = down.merge(up, on=["mineral", "year"], suffixes=("_processing", "_mine"))
    out["hhi_change"] = out["hhi_processing"] - out["hhi_mine"]
    out["more_concentrated"] = np.where(out["hhi_change"] > 0, out["stage"],
                                        np.where(out["hhi_change"] < 0, upstream, "equal"))
    order = ["mineral", "year", "stage", "hhi_mine", "hhi_processing", "hhi_change",
             "cr1_share_mine", "cr1_share_processing", "top_country_mine",
             "top_country_processing", "more_concentrated"]
    return out[order].sort_values(["mineral", "stage", "year"]).reset_index(drop=True)


def period_share(production: pd.DataFrame, country: str, start: int, end: int,
                 keys: Sequence[str] = KEYS) -> pd.DataFrame:
    """A country's share of world supply summed over the years ``start``-``end``.

    ``sum_y quantity_y / sum_y world_y`` per group without ``year``: the period average
    the EU criticality assessments use (the 2023 assessment averages 2016-2020). A year in
    which the release has no row for the country makes the share null rather than
    counting it as zero; ``n_years`` says how many years the release covers.
    """
    k = [c for c in _keys(production, keys) if c != "year"]
    if not start <= end:
        raise InvalidParameterError(f"start must not be after end. Got {start}-{end}.")
    span = production[(production["year"] >= start) & (production["year"] <= end)]
    per_year = country_share_series(span, country, keys=[*k, "year"])
    if per_year.empty:
        return pd.DataFrame(columns=[*k, "country", "start", "end", "n_years", "share"])
    g = per_year.groupby(k, sort=True, dropna=False) if k else per_year.groupby(
        np.zeros(len(per_year), dtype=int))
    out = pd.DataFrame({
        "n_years": g["year"].nunique(),
        "all_reported": g["reported"].all(),
        "quantity_t": g["quantity_t"].sum(min_count=1),
        "world_t": g["world_t"].sum(min_count=1),
    })
    out["share"] = (out["quantity_t"] / out["world_t"]).where(out["all_reported"])
    out = out.reset_index() if k else out.reset_index(drop=True)
    out["country"], out["start"], out["end"] = country, start, end
    return out[[*k, "country", "start", "end", "n_years", "quantity_t", "world_t", "share"]]
