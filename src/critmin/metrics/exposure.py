"""Exposure of an importer or a bloc: import reliance, source shares and source HHI.

Pure functions on tidy frames; nothing here reads the store.

Method
------
The unit is a set of countries ``members`` (one ISO3 code for a country, several for a
bloc). Flows are ``exporter -> importer`` rows per ``mineral, stage, year``.

* **Intra-bloc trade is netted out.** Imports of the unit are flows into a member from a
  non-member; exports are flows from a member to a non-member. A member's own flow
  (exporter = importer, domestic supply in some baselines) is never trade.
* ``gross_imports``: every flow into a member from any other country, members included.
  ``outside_bloc_share = imports / gross_imports`` says how much of the members' gross
  imports cross the bloc's border (1 for a single country).
* ``source_shares``: each non-member's share of the unit's imports; ``source_hhi`` is
  ``10,000 * sum(share**2)`` over them (0-10,000).
* ``against_share``: the share of imports from a named country (default ``CHN``);
  ``low_governance_share``: from countries whose mean WGI is below a threshold (default
  0.0: WGI estimates are standardised to mean 0 across countries, so below 0 is
  below the average country).
* ``import_reliance_share = (imports - exports) / (production + imports - exports)``, in
  tonnes, the apparent consumption in the denominator. Negative for a net exporter, at most 1
  when production is non-negative; null where quantities or production are missing or the
  apparent consumption is not positive (exports exceeding production plus imports mean
  unrecorded stock changes; no ratio is reported then). It is also null when every flow of
  the release involves one country other than the unit itself (``flows_of_one_country``,
  e.g. USITC DataWeb holds only US-reported trade): the unit's other trade is then absent,
  not zero.

A bloc with a single member has exactly the exposure of that country.

Coverage
--------
A release may not hold the unit's imports at all. :func:`import_reporters` says, per
group, whose imports the release records completely (``reported_by``):

* an exporter extract (a ``source`` ending in ``-extract``, e.g. a BACI extract of named
  exporters): nobody's imports;
* one reporting country (the importer of every ``observed`` row and the exporter of every
  ``mirror`` row is the same country, e.g. USITC DataWeb: US imports by partner and US
  exports by destination), or without ``method`` one country on every flow: that country
  only. Its exports to India are *its* report, not India's sourcing;
* otherwise a world matrix (a full BACI year): every country (``"*"``).

``complete_coverage`` is true when every member is among them. Where it is false, the
supplier shares of the release describe a partial matrix, not the unit's sourcing;
:mod:`critmin.metrics.exposure_basis` then completes the matrix with the baseline or
withholds the shares (:func:`withhold_shares`).

Releases are never added together: where several releases (BACI, UN Comtrade, USITC
DataWeb) report flows of the same mineral, stage and year, :func:`choose_source` keeps the
one that reports the most trade of the unit (ties: the one with more tonnes recorded), and
the result names it in ``flow_source``. Partial years (``partial_year``) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from critmin.errors import InvalidParameterError, SourceFormatError
from critmin.metrics.concentration import attach_wgi

GROUP = ("mineral", "stage", "year")
MEASURES = ("value_usd", "quantity_t")
EXPOSURE_COLUMNS = (
    "imports", "exports", "gross_imports", "imports_t", "exports_t", "production_t",
    "apparent_consumption_t", "import_reliance_share", "n_sources", "top_source",
    "top_source_share", "source_hhi", "against", "against_share", "outside_bloc_share",
    "low_governance_share", "wgi_coverage_share", "estimated_share", "shared_hs_code",
    "flow_source", "flows_of_one_country", "reported_by", "complete_coverage",
)
# Figures that describe the unit's sourcing: null when only a partial matrix is observed.
SHARE_COLUMNS = ("n_sources", "top_source", "top_source_share", "source_hhi",
                 "against_share", "outside_bloc_share", "low_governance_share",
                 "wgi_coverage_share")
WORLD = "*"


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SourceFormatError(f"{what} needs column(s) {missing}; got {list(frame.columns)}.")


def _members(members: Iterable[str] | str) -> frozenset[str]:
    out = frozenset([members] if isinstance(members, str) else members)
    if not out:
        raise InvalidParameterError("members must name at least one ISO3 country. Got none.")
    return out


def _cross_border(flows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Cross-border rows of ``flows`` and the keys that group them (one group if none)."""
    k = _group_keys(flows)
    if not k:
        flows = flows.assign(_group=0)
        k = ["_group"]
    return flows[flows["exporter"] != flows["importer"]], k


def _group_keys(flows: pd.DataFrame) -> list[str]:
    return [k for k in GROUP if k in flows.columns]


def choose_source(flows: pd.DataFrame, members: Iterable[str] | str) -> pd.DataFrame:
    """Rows of one release per mineral, stage and year: the one reporting the most trade
    of the unit (value into or out of the members), ties broken by tonnes recorded then
    by name. Flows without a ``source`` column are returned as they are; rows of a
    partial year are dropped."""
    if "partial_year" in flows.columns:
        flows = flows[~flows["partial_year"].fillna(False).astype(bool)]
    if "source" not in flows.columns or flows.empty:
        return flows
    m = _members(members)
    k = _group_keys(flows)
    involved = flows["importer"].isin(m) | flows["exporter"].isin(m)
    value = flows["value_usd"] if "value_usd" in flows.columns else pd.Series(0.0, flows.index)
    score = pd.DataFrame({
        "value": value.where(involved, 0.0).fillna(0.0),
        "tonnes": flows["quantity_t"].notna() & involved if "quantity_t" in flows.columns
        else False,
    })
    for c in [*k, "source"]:
        score[c] = flows[c]
    ranked = score.groupby([*k, "source"], as_index=False)[["value", "tonnes"]].sum()
    ranked = ranked.sort_values([*k, "value", "tonnes", "source"],
                                ascending=[True] * len(k) + [False, False, True])
    best = ranked.drop_duplicates(k)[[*k, "source"]]
    keep = flows[[*k, "source"]].merge(best.assign(_keep=True), on=[*k, "source"],
                                       how="left")["_keep"].notna().to_numpy()
    return flows[keep.astype(bool)]


def trade_of(flows: pd.DataFrame, members: Iterable[str] | str) -> pd.DataFrame:
    """Flows that cross the unit's border, with a ``direction`` column (import, export).

    Intra-unit flows and domestic rows (exporter = importer) are dropped.
    """
    _require(flows, ["exporter", "importer"], "trade_of()")
    m = _members(members)
    exp_in = flows["exporter"].isin(m)
    imp_in = flows["importer"].isin(m)
    imports = flows[imp_in & ~exp_in].assign(direction="import")
    exports = flows[exp_in & ~imp_in].assign(direction="export")
    return pd.concat([imports, exports], ignore_index=True)


def source_shares(flows: pd.DataFrame, members: Iterable[str] | str, *,
                  measure: str = "value_usd") -> pd.DataFrame:
    """Each outside supplier's share of the unit's imports per mineral, stage and year.

    Returns
    -------
    DataFrame
        Group keys, ``exporter``, the measure and ``share`` (0-1), sorted by descending share.
    """
    _check_measure(measure)
    _require(flows, ["exporter", "importer", measure], "source_shares()")
    k = _group_keys(flows)
    t = trade_of(flows, members)
    imp = t[t["direction"] == "import"]
    by = imp.groupby([*k, "exporter"], as_index=False, sort=True)[measure].sum(min_count=1)
    by = by[by[measure] > 0]
    total = by.groupby(k)[measure].transform("sum") if k else by[measure].sum()
    by["share"] = by[measure] / total
    return by.sort_values([*k, "share", "exporter"],
                          ascending=[True] * len(k) + [False, True]).reset_index(drop=True)


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise InvalidParameterError(
            f"measure must be one of {list(MEASURES)}. Got {measure!r}.")


def exposure(flows: pd.DataFrame, members: Iterable[str] | str, *,
             production: pd.DataFrame | None = None, governance: pd.DataFrame | None = None,
             against: str = "CHN", wgi_threshold: float = 0.0,
             measure: str = "value_usd") -> pd.DataFrame:
    """Exposure of the unit ``members`` per mineral, stage and year.

    Parameters
    ----------
    flows : DataFrame
        ``exporter, importer`` and the measure, per ``mineral, stage, year`` (absent keys
        are ignored); ``quantity_t`` for import reliance; ``method`` (observed, mirror,
        estimated) when present, for ``estimated_share``.
    members : str or iterable of str
        ISO3 code(s) of the unit.
    production : DataFrame, optional
        ``country, quantity_t`` per group (``mineral, stage, year``), for import reliance.
        Pseudo-countries (WLD, OTH) are ignored.
    governance : DataFrame, optional
        ``country, year, wgi_mean``, for ``low_governance_share``.
    against : str
        ISO3 code whose share of imports is reported (default ``CHN``).
    wgi_threshold : float
        Mean-WGI threshold (WGI units, about -2.5 to 2.5) below which a supplier counts as
        low-governance.
    measure : {"value_usd", "quantity_t"}
        What shares are computed on.

    Returns
    -------
    DataFrame
        One row per group with the keys and :data:`EXPOSURE_COLUMNS`. ``imports``,
        ``exports`` and ``gross_imports`` are in the unit of ``measure``.
    """
    _check_measure(measure)
    _require(flows, ["exporter", "importer", measure], "exposure()")
    if not -2.5 <= wgi_threshold <= 2.5:
        raise InvalidParameterError(
            f"wgi_threshold must lie in [-2.5, 2.5] (WGI units). Got {wgi_threshold!r}.")
    m = _members(members)
    flows, k = _cross_border(flows)
    t = trade_of(flows, m)
    has_q = "quantity_t" in t.columns
    imp = t[t["direction"] == "import"]
    exp = t[t["direction"] == "export"]
    involved = flows["importer"].isin(m) | flows["exporter"].isin(m)
    groups = flows.loc[involved, k].drop_duplicates().sort_values(k).set_index(k).index

    def total(frame: pd.DataFrame, col: str) -> pd.Series:
        return frame.groupby(k)[col].sum(min_count=1).reindex(groups)

    out = pd.DataFrame(index=groups)
    out["imports"] = total(imp, measure).fillna(0.0)
    out["exports"] = total(exp, measure).fillna(0.0)
    gross = flows[flows["importer"].isin(m)]
    out["gross_imports"] = total(gross, measure).fillna(0.0)
    if has_q:
        out["imports_t"] = _sum_strict(imp, k, groups)
        out["exports_t"] = _sum_strict(exp, k, groups)
    else:
        out["imports_t"] = np.nan
        out["exports_t"] = np.nan
    out["production_t"] = _production_of(production, m, k, groups)
    ac = out["production_t"] + out["imports_t"] - out["exports_t"]
    out["apparent_consumption_t"] = ac
    net = out["imports_t"] - out["exports_t"]
    out["import_reliance_share"] = (net / ac).where(ac > 0)

    sh = source_shares(flows, m, measure=measure)
    sh_idx = [sh[c] for c in k]
    first = sh.groupby(k).head(1).set_index(k)
    out["n_sources"] = sh.groupby(sh_idx).size().reindex(groups).fillna(0).astype("int64")
    out["top_source"] = first["exporter"].reindex(groups)
    out["top_source_share"] = first["share"].reindex(groups)
    has_imports = out["imports"] > 0
    out["source_hhi"] = (10_000.0 * (sh["share"] ** 2).groupby(sh_idx).sum()) \
        .reindex(groups).where(has_imports)
    out["against"] = against
    out["against_share"] = sh["share"].where(sh["exporter"] == against, 0.0) \
        .groupby(sh_idx).sum().reindex(groups).fillna(0.0).where(has_imports)
    out["outside_bloc_share"] = (out["imports"] / out["gross_imports"]) \
        .where(out["gross_imports"] > 0)
    out["low_governance_share"], out["wgi_coverage_share"] = _low_governance(
        sh, governance, wgi_threshold, k, groups, has_imports)
    out["estimated_share"] = _estimated_share(imp, measure, k, groups)
    out["shared_hs_code"] = (t["hs_shared"].fillna(False).astype(bool).groupby(
        [t[c] for c in k]).any().reindex(groups, fill_value=False)
        if "hs_shared" in t.columns and not t.empty else False)
    out["flow_source"] = (t.groupby(k)["source"].agg(lambda s: ", ".join(sorted(set(s))))
                          .reindex(groups) if "source" in t.columns and not t.empty
                          else None)
    out["flows_of_one_country"] = _one_country(flows, k, groups)
    # A release holding one country's reported trade says nothing of the rest of the
    # unit's trade: no import reliance then, unless that country is the whole unit.
    partial = out["flows_of_one_country"].notna() & ~out["flows_of_one_country"].isin(
        [next(iter(m))] if len(m) == 1 else [])
    out.loc[partial, "import_reliance_share"] = np.nan
    cover = import_reporters(flows, m)
    out["reported_by"] = cover["reported_by"].reindex(groups) if not cover.empty else None
    out["complete_coverage"] = (cover["complete_coverage"].reindex(groups)
                                .fillna(False).astype(bool) if not cover.empty else False)
    out = out.reset_index()
    if "_group" in out.columns:
        out = out.drop(columns="_group")
        k = []
    return out[[*k, *EXPOSURE_COLUMNS]]


def import_reporters(flows: pd.DataFrame, members: Iterable[str] | str) -> pd.DataFrame:
    """Whose imports the release records completely, per group (see *Coverage* above).

    Returns
    -------
    DataFrame
        Indexed by the group keys: ``reported_by`` (``"*"`` for a world matrix, else the
        ISO3 codes joined by ``", "``, empty for nobody) and ``complete_coverage`` (every
        member is covered).
    """
    _require(flows, ["exporter", "importer"], "import_reporters()")
    m = _members(members)
    flows, k = _cross_border(flows)
    if flows.empty:
        return pd.DataFrame(columns=["reported_by", "complete_coverage"])
    groups = flows[k].drop_duplicates().sort_values(k).set_index(k).index
    one = _one_country(flows, k, groups)
    by: dict[object, str] = {}
    for key, g in flows.groupby(k, sort=True):
        key = key if len(k) > 1 else (key[0] if isinstance(key, tuple) else key)
        src = g["source"].astype("string") if "source" in g.columns else None
        if src is not None and src.str.endswith("-extract").fillna(False).all():
            by[key] = ""                     # named exporters' shipments only
            continue
        rep = None
        if "method" in g.columns:
            # the reporter is the importer of importer-reported rows and the exporter of
            # exporter-reported (mirror) rows: one such country is a one-country release
            meth = g["method"].astype("string")
            cand = set(g.loc[meth == "observed", "importer"]) \
                | set(g.loc[meth == "mirror", "exporter"])
            if len(cand) == 1:
                rep = next(iter(cand))
        if rep is None and pd.notna(one.get(key)):
            rep = str(one[key])
        by[key] = rep if rep is not None else WORLD
    rep = pd.Series(by, dtype="object").reindex(groups)
    complete = rep.map(lambda r: r == WORLD or m <= set(filter(None, str(r).split(", "))))
    return pd.DataFrame({"reported_by": rep, "complete_coverage": complete.astype(bool)},
                        index=groups)


def withhold_shares(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """``frame`` with the sourcing figures (:data:`SHARE_COLUMNS`) nulled where ``mask``."""
    out = frame.copy()
    for c in SHARE_COLUMNS:
        if c in out.columns:
            if c == "n_sources":
                out[c] = out[c].astype("Int64").mask(mask)
            else:
                out[c] = out[c].astype("object").mask(mask) if c == "top_source" \
                    else out[c].astype("float64").mask(mask)
    return out


def _one_country(flows: pd.DataFrame, k: list[str], groups: pd.Index) -> pd.Series:
    """The country on one side of every flow of the group, if there is one.

    A release such as USITC DataWeb holds only one country's reported trade; then the
    unit's other trade is simply absent, which this column makes visible.
    """
    if flows.empty:
        return pd.Series(None, index=groups, dtype="object")
    n = flows.groupby(k).size().rename("n")
    sides = pd.concat([flows[[*k, "exporter"]].rename(columns={"exporter": "country"}),
                       flows[[*k, "importer"]].rename(columns={"importer": "country"})])
    counts = sides.groupby([*k, "country"]).size().rename("c").reset_index()
    counts = counts.merge(n.reset_index(), on=k)
    every = counts[counts["c"] == counts["n"]].drop_duplicates(k)
    # a group with a single flow has two such countries: not evidence of a one-country release
    every = every[every["n"] > 1]
    return every.set_index(k)["country"].reindex(groups).astype("object")


def _sum_strict(frame: pd.DataFrame, k: list[str], groups: pd.Index) -> pd.Series:
    """Sum of quantity_t per group; null when any crossing flow lacks a quantity."""
    g = frame.groupby(k)["quantity_t"]
    s = g.sum(min_count=1).reindex(groups)
    incomplete = frame["quantity_t"].isna().groupby([frame[c] for c in k]).any() \
        .reindex(groups, fill_value=False).astype(bool)
    s = s.where(~incomplete)
    # no crossing flow at all: zero tonnes, known
    present = g.size().reindex(groups).fillna(0) > 0
    return s.where(present, 0.0)


def _production_of(production: pd.DataFrame | None, m: frozenset[str], k: list[str],
                   groups: pd.Index) -> pd.Series:
    if production is None or production.empty:
        return pd.Series(np.nan, index=groups)
    _require(production, ["country", "quantity_t"], "exposure(production=...)")
    pk = [c for c in k if c in production.columns]
    p = production[production["country"].isin(m)]
    if not pk:
        return pd.Series(float(p["quantity_t"].sum()), index=groups)
    summed = p.groupby(pk)["quantity_t"].sum(min_count=1)
    frame = groups.to_frame(index=False)
    vals = frame.merge(summed.rename("p").reset_index(), on=pk, how="left")["p"]
    # A member with no production row produces nothing of that mineral-stage-year only
    # when the group is reported at all; otherwise the production is unknown.
    reported = production.groupby(pk).size().rename("n").reset_index()
    known = frame.merge(reported, on=pk, how="left")["n"].notna()
    vals = vals.where(~(known & vals.isna()), 0.0)
    return pd.Series(vals.to_numpy(), index=groups)


def _low_governance(sh: pd.DataFrame, governance: pd.DataFrame | None, threshold: float,
                    k: list[str], groups: pd.Index,
                    has_imports: pd.Series) -> tuple[pd.Series, pd.Series]:
    if governance is None or governance.empty or sh.empty or "year" not in sh.columns:
        nan = pd.Series(np.nan, index=groups)
        return nan, nan
    scored = attach_wgi(sh.rename(columns={"exporter": "country"}), governance)
    idx = [scored[c] for c in k]
    low = scored["share"].where(scored["wgi_mean"] < threshold, 0.0).groupby(idx).sum()
    cov = scored["share"].where(scored["wgi_mean"].notna(), 0.0).groupby(idx).sum()
    return (low.reindex(groups).fillna(0.0).where(has_imports),
            cov.reindex(groups).fillna(0.0).where(has_imports))


def _estimated_share(imp: pd.DataFrame, measure: str, k: list[str],
                     groups: pd.Index) -> pd.Series:
    if "method" not in imp.columns or imp.empty:
        return pd.Series(np.nan, index=groups)
    est = imp[measure].where(imp["method"].astype("string") == "estimated", 0.0)
    num = est.groupby([imp[c] for c in k]).sum()
    den = imp.groupby(k)[measure].sum()
    return (num / den.where(den > 0)).reindex(groups)


def net_import_reliance(frame: pd.DataFrame, *, stocks: bool = True) -> pd.Series:
    """USGS net import reliance (share) from US salient statistics.

    USGS MCS defines it as imports minus exports plus adjustments for government and
    industry stock changes, as a share of apparent consumption (MCS 2025, "Net import
    reliance" in the Introduction). ``frame`` has ``imports_t, exports_t`` and optionally
    ``stock_release_t`` (stocks at the start minus stocks at the end of the year; positive
    when stocks fall), ``production_t`` and ``consumption_t``. The denominator is the
    published apparent consumption when given, else
    ``production + imports - exports + stock_release``.

    Returns
    -------
    Series
        Net import reliance as a share (may be negative for a net exporter); null where
        the denominator is missing or not positive.
    """
    _require(frame, ["imports_t", "exports_t"], "net_import_reliance()")
    release = frame["stock_release_t"].fillna(0.0) if stocks and "stock_release_t" in frame \
        else 0.0
    net = frame["imports_t"] - frame["exports_t"] + release
    derived = (frame["production_t"] + net) if "production_t" in frame \
        else pd.Series(np.nan, index=frame.index)
    if "consumption_t" in frame:
        denom = frame["consumption_t"].where(frame["consumption_t"].notna(), derived)
    else:
        denom = derived
    return (net / denom).where(denom > 0)
