"""The store-facing layer of the metrics: select inputs, validate names, attach provenance.

Every function takes a :class:`~critmin.store.Store`, checks the user's names against what
the store holds (a clear :class:`~critmin.errors.InputError` listing what is available
otherwise), calls the pure functions of :mod:`critmin.metrics`, and returns a
:class:`MetricResult`: the rows plus the provenance (source and vintage) of every input.

Series
------
``production`` holds several releases for the same mineral-stage-year: BGS World Mineral
Statistics and each USGS MCS edition. A *series* chooses among them:

``default``
    the store's documented default (:func:`critmin.store.views.latest_production`): for
    each mineral, stage and year the newest USGS edition that reports it (MCS 2026 for
    2024-2025, MCS 2025 for 2023, ...), and BGS for the years no USGS edition covers;
``usgs``
    the newest USGS edition per mineral, stage and year, and nothing else;
``bgs``
    BGS World Mineral Statistics, 1971-2023;
``all``
    every release, each its own series (the ``source`` column says which).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from critmin import vocab
from critmin.errors import (
    UnknownMineralError,
    UnknownNameError,
    UnknownStageError,
    UnknownYearError,
)
from critmin.metrics import concentration as conc_mod
from critmin.metrics import exposure as exp_mod
from critmin.metrics import risk as risk_mod
from critmin.store import Store
from critmin.vocab import group_members
from critmin.vocab import mineral as vocab_mineral
from critmin.vocab import stage as vocab_stage

SERIES = tuple(s.value for s in vocab.Series)  # ("default", "usgs", "bgs", "all")
PRODUCTION_COLUMNS = ["mineral", "stage", "country", "year", "quantity_t", "basis",
                      "estimated", "edition", "source"]


@dataclass(slots=True)
class MetricResult:
    """Rows of a metric and the provenance of every input behind them."""

    frame: pd.DataFrame
    provenance: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"MetricResult({len(self.frame)} rows, {len(self.provenance)} sources)"


class UnknownSeriesError(UnknownNameError):
    kind = "production series"


# A name the vocabulary knows but the store has no data for: the message lists what has.
# The same errors as the store views raise, so callers catch one family.
from critmin.store.views import NoMineralDataError, NoStageDataError, NoYearDataError  # noqa: E402


def _family(source: pd.Series) -> pd.Series:
    return source.astype("string").str.split("-", n=1).str[0].str.lower()


def select_series(production: pd.DataFrame, series: str = "default") -> pd.DataFrame:
    """Rows of one production series (see the module docstring)."""
    if series not in SERIES:
        raise UnknownSeriesError(series, SERIES)
    if production.empty or series == "all":
        return production
    if series == "default":
        from critmin.store.views import latest_production

        return latest_production(production)
    fam = _family(production["source"])
    rows = production[fam == series]
    if series == "usgs" and not rows.empty:
        newest = rows.groupby(["mineral", "stage", "year"])["edition"].transform("max")
        rows = rows[rows["edition"] == newest]
    return rows


def keys_for(frame: pd.DataFrame) -> list[str]:
    """Group keys: mineral, stage, year, source, and basis when a source mixes bases."""
    keys = ["mineral", "stage", "year", "source"]
    if "basis" in frame.columns:
        keys.append("basis")
    return keys


def load_production(store: Store, mineral: str | None = None, stage: str | None = None,
                    series: str = "default") -> pd.DataFrame:
    """Production rows of one series, for a mineral (and its group members) and stage."""
    filters: dict[str, object] = {}
    if mineral is not None:
        info = vocab_mineral(mineral)
        ids = [info.id, *group_members(info.id)] if info.is_group else [info.id]
        filters["mineral"] = ids
    if stage is not None:
        filters["stage"] = vocab_stage(stage).value
    frame = store.table("production", **filters)
    frame = frame[[c for c in PRODUCTION_COLUMNS if c in frame.columns]]
    if mineral is not None and frame.empty:
        have = store.sql('SELECT DISTINCT mineral FROM production')["mineral"]
        raise NoMineralDataError(mineral, have,
                                 "The store has no production rows for it.")
    return select_series(frame, series)


def _check_stage(store: Store, mineral: str | None, stage: str | None) -> None:
    if stage is None:
        return
    st = vocab_stage(stage).value
    if mineral is None:
        have = store.sql("SELECT DISTINCT stage FROM production")["stage"]
        if st not in set(have):
            raise NoStageDataError(stage, have, "No production at that stage in the store.")
        return
    info = vocab_mineral(mineral)
    ids = [info.id, *group_members(info.id)] if info.is_group else [info.id]
    have = store.sql("SELECT DISTINCT stage FROM production WHERE mineral IN ("
                     + ", ".join("?" * len(ids)) + ")", ids)["stage"]
    if st not in set(have):
        raise NoStageDataError(stage, have,
                               f"The store has no {info.id} production at stage {st!r}.")


def _check_year(frame: pd.DataFrame, year: int | None, what: str) -> pd.DataFrame:
    if year is None:
        return frame
    years = sorted({int(y) for y in frame["year"].dropna().unique()})
    if year not in years:
        span = f"{years[0]}-{years[-1]}" if years else "none"
        raise NoYearDataError(year, [str(y) for y in years],
                              f"No {what} data for that year ({span}).")
    return frame[frame["year"] == year]


def _tables(store: Store) -> set[str]:
    return set(store.tables())


def governance_means(store: Store) -> pd.DataFrame | None:
    """Mean WGI per country and year, or None when the store has no governance table.

    Reads the stored ``mean`` rows (the unweighted mean of the six dimensions) and only
    falls back to averaging the dimensions when the table has none.
    """
    if "governance" not in _tables(store):
        return None
    gov = store.table("governance", indicator="mean")
    if gov.empty:
        gov = store.table("governance")
    return conc_mod.mean_wgi(gov) if not gov.empty else None


def _provenance(store: Store, tables: Iterable[str], sources: Iterable[str] | None = None,
                ) -> list[dict[str, Any]]:
    have = _tables(store)
    present = [t for t in tables if t in have]
    if not present:
        return []
    return store.provenance_records(present, None if sources is None else list(sources))


def concentration(store: Store, mineral: str | None = None, *, stage: str | None = None,
                  year: int | None = None, series: str = "default",
                  thresholds: conc_mod.Thresholds | None = None,
                  credible_only: bool = False) -> MetricResult:
    """Concentration metrics per mineral, stage and year from the store.

    With ``credible_only``, groups flagged not ``credible`` (a lone producer and no world
    total) are left out.

    Raises
    ------
    UnknownMineralError, UnknownStageError, UnknownYearError
        For a name with no data, listing what the store has.
    """
    _check_stage(store, mineral, stage)
    prod = load_production(store, mineral, stage, series)
    prod = _check_year(prod, year, f"{mineral or 'production'}"
                       + (f" {vocab_stage(stage).value}" if stage else ""))
    gov = governance_means(store)
    out = conc_mod.concentration(prod, gov, keys=keys_for(prod), thresholds=thresholds)
    if credible_only:
        out = out[out["credible"]]
    out = out.sort_values(["hhi", "mineral", "stage", "year"],
                          ascending=[False, True, True, True]).reset_index(drop=True)
    prov = _provenance(store, ["production"], out["source"].unique())
    if gov is not None:
        prov += _provenance(store, ["governance"])
    return MetricResult(out, prov, {"series": series, "thresholds": {
        "cr1_share": (thresholds or conc_mod.Thresholds()).cr1_share,
        "hhi": (thresholds or conc_mod.Thresholds()).hhi}})


def latest_rows(frame: pd.DataFrame, *, per_source: bool = False,
                recent_years: int | None = None) -> pd.DataFrame:
    """Rows of the latest year of each mineral-stage (and source with ``per_source``).

    With ``recent_years``, mineral-stages whose latest year is that many years or more
    before the newest year in ``frame`` are left out (a series that ended in 2000 says
    nothing about concentration today).
    """
    keys = [k for k in ("mineral", "stage", "basis") if k in frame.columns]
    if per_source and "source" in frame.columns:
        keys.append("source")
    if frame.empty:
        return frame
    newest = frame.groupby(keys)["year"].transform("max")
    out = frame[frame["year"] == newest]
    if recent_years is not None and not out.empty:
        out = out[out["year"] > int(out["year"].max()) - recent_years]
    return out.reset_index(drop=True)


def share_series(store: Store, mineral: str, stage: str, country: str = "CHN", *,
                 series: str = "all") -> MetricResult:
    """A country's share of world production over time, per release (e.g. China, gallium)."""
    from critmin.countries import country as to_iso3

    code = to_iso3(country)
    _check_stage(store, mineral, stage)
    prod = load_production(store, mineral, stage, series)
    out = conc_mod.country_share_series(prod, code, keys=keys_for(prod))
    out = out.sort_values(["source", "year"], ascending=[True, False]).reset_index(drop=True)
    return MetricResult(out, _provenance(store, ["production"], out["source"].unique()))


def stage_comparison(store: Store, mineral: str | None = None, *, year: int | None = None,
                     series: str = "default") -> MetricResult:
    """Mining versus processing concentration where both stages are reported."""
    res = concentration(store, mineral, year=year, series=series)
    frame = res.frame
    if series != "all":
        # one release per mineral-stage-year: the comparison may pair different releases
        frame = frame.drop(columns=["source"])
    out = conc_mod.stage_comparison(frame)
    return MetricResult(out, res.provenance)


# --- exposure ---------------------------------------------------------------------------

def resolve_unit(name: str) -> tuple[str, tuple[str, ...]]:
    """(label, members) for a bloc name, a country (ISO3 code or name) or a comma list.

    Raises
    ------
    UnknownBlocError
        Neither a bloc nor a country; lists the blocs and says an ISO3 code works too.
    """
    # by name: the package re-exports the function ``blocs``, which shadows the module
    from critmin.blocs import resolve

    members = resolve(name)
    label = members[0] if len(members) == 1 and "," not in name else name
    return label, tuple(members)


def flow_minerals(store: Store) -> list[str]:
    """Mineral ids with at least one row in the ``flows`` table."""
    return store.sql("SELECT DISTINCT mineral FROM flows ORDER BY 1")["mineral"].tolist()


def exposure(store: Store, unit: str, *, mineral: str | Sequence[str] | None = None,
             stage: str | None = None, year: int | None = None, against: str = "CHN",
             wgi_threshold: float = 0.0, measure: str = "value_usd", basis: str = "auto",
             max_baselines: int = 40, latest: bool = False,
             advance: Any = None) -> MetricResult:
    """Exposure of a country or bloc per mineral, stage and year, from the ``flows`` table.

    Import reliance uses the members' production from the default series, in tonnes, for
    the same mineral, stage and year.

    Where the release records the unit's imports only partly (e.g. USITC DataWeb holds
    India's imports only as US exports to India), ``basis="auto"`` recomputes the row on
    the completed baseline, or withholds the supplier shares when none can be built;
    ``basis="observed"`` keeps the partial matrix, flagged; ``basis="baseline"`` completes
    every row. Each row says which in ``flow_basis``, with ``coverage_share``,
    ``estimated_share``, ``share_measure`` and ``note`` (see
    :mod:`critmin.metrics.exposure_basis`). ``latest`` keeps one row per mineral-stage
    (the newest usable year); ``advance(label, done, total)`` reports progress.
    """
    from critmin.countries import country as to_iso3
    from critmin.metrics import basket as basket_mod
    from critmin.metrics import exposure_basis as basis_mod

    basis_mod.check_basis(basis)
    label, members = resolve_unit(unit)
    against_code = to_iso3(against)
    minerals = [mineral] if isinstance(mineral, str) else list(mineral or [])
    ids: list[str] = []
    for m in minerals:
        info = vocab_mineral(m)
        ids += [info.id, *group_members(info.id)] if info.is_group else [info.id]
    filters: dict[str, object] = {"mineral": ids or None}
    if stage is not None:
        filters["stage"] = vocab_stage(stage).value
    flows = store.table("flows", **filters)
    where = " WHERE mineral IN (" + ", ".join("?" * len(ids)) + ")" if ids else ""
    if flows.empty and ids and store.sql(
            "SELECT count(*) AS n FROM flows" + where, ids)["n"].iloc[0] == 0:
        have = store.sql("SELECT DISTINCT mineral FROM flows")["mineral"]
        raise NoMineralDataError(", ".join(minerals), have,
                                 "The store has no trade flows for it.")
    if stage is not None and flows.empty:
        have = store.sql("SELECT DISTINCT stage FROM flows" + where, ids or None)["stage"]
        raise NoStageDataError(stage, have, "The store has no trade flows at that stage"
                               + (f" for {', '.join(minerals)}." if minerals else "."))
    flows = _check_year(flows, year, "trade-flow")
    flows = exp_mod.choose_source(flows, members)
    prod = None
    if store.has_table("production"):
        p = store.table("production", mineral=ids or None)
        prod = select_series(p[[c for c in PRODUCTION_COLUMNS if c in p.columns]], "default")
    gov = governance_means(store)
    out = exp_mod.exposure(flows, members, production=prod, governance=gov,
                           against=against_code, wgi_threshold=wgi_threshold, measure=measure)
    out, base_prov = basis_mod.apply_basis(
        out, store, label, members, basis=basis, governance=gov, against=against_code,
        wgi_threshold=wgi_threshold, measure=measure, max_baselines=max_baselines,
        latest=latest, advance=advance)
    out, nir_prov = _import_reliance_sources(store, out, members)
    out = basket_mod.label_baskets(out, store, members)
    out.insert(0, "unit", label)
    if "year" in out.columns:  # newest year first, as every table critmin prints
        out = out.sort_values("year", ascending=False, kind="stable").reset_index(drop=True)
    prov = _provenance(store, ["flows"], flows["source"].unique() if "source" in flows else None)
    prov += nir_prov
    if prod is not None:
        prov += _provenance(store, ["production"], prod["source"].unique())
    if gov is not None:
        prov += _provenance(store, ["governance"])
    prov = list({tuple(sorted((k, str(v)) for k, v in p.items())): p
                 for p in prov + base_prov}.values())
    extra = {"unit": label, "members": list(members), "against": against_code,
             "measure": measure, "wgi_threshold": wgi_threshold, "basis": basis,
             "flow_basis": {b: int((out["flow_basis"] == b).sum())
                            for b in sorted(set(out["flow_basis"]))}}
    return MetricResult(out, prov, extra)


BACI_COVERAGE = ("complete", "truncated")
SERIES_COLUMNS = ["unit", "mineral", "stage", "year", "against", "against_share",
                  "top_source", "top_source_share", "source_hhi", "n_sources", "imports",
                  "coverage", "links_truncated", "shared_hs_code", "basket", "split_method",
                  "hs_codes",
                  "flow_source"]


def exposure_share_series(store: Store, unit: str, *, mineral: str | Sequence[str],
                          country: str = "CHN", stage: str | None = None,
                          measure: str = "value_usd") -> MetricResult:
    """A country's share of the unit's imports per mineral over time, from BACI.

    Uses only BACI rows that cover every country's imports: the complete matrices (2022,
    2024) and the 2002-2024 top links (``flows.coverage`` ``complete`` or ``truncated``),
    a complete matrix replacing the links of its year and code. Top links keep, for each
    country, its 6 largest suppliers and customers: a row resting on them has
    ``links_truncated`` true and its shares are of the imports the links record (about
    97-100 % of each code's value in 2024, less for a unit with many small suppliers).
    Rows on a basket code (811292) name it in ``basket``; the share is then the basket's,
    the same for every mineral it holds (a period-average split cannot make a series).

    Raises
    ------
    NoMineralDataError
        When the store holds no BACI matrices or top links for the mineral (build the
        store from a source directory with ``baci_v202601_cma``).
    """
    from critmin.countries import country as to_iso3
    from critmin.metrics import basket as basket_mod

    label, members = resolve_unit(unit)
    code = to_iso3(country)
    minerals = [mineral] if isinstance(mineral, str) else list(mineral)
    ids: list[str] = []
    for m in minerals:
        info = vocab_mineral(m)
        ids += [info.id, *group_members(info.id)] if info.is_group else [info.id]
    filters: dict[str, object] = {"mineral": ids}
    if stage is not None:
        filters["stage"] = vocab_stage(stage).value
    flows = store.table("flows", **filters)
    if "coverage" in flows.columns:
        flows = flows[flows["coverage"].isin(BACI_COVERAGE)]
    else:
        flows = flows.iloc[0:0]
    if flows.empty:
        have = store.sql("SELECT DISTINCT mineral FROM flows WHERE coverage IN "
                         "('complete', 'truncated')")["mineral"] \
            if "coverage" in store.table("flows", mineral=["__none__"]).columns else []
        raise NoMineralDataError(", ".join(minerals), have,
                                 "The store has no BACI matrices or top links for it; build "
                                 "it from a source directory holding baci_v202601_cma.")
    key = ["mineral", "stage", "year", "hs_code"]
    complete = flows["coverage"].eq("complete").groupby([flows[k] for k in key]) \
        .transform("any")
    flows = flows[~complete | flows["coverage"].eq("complete")]
    out = exp_mod.exposure(flows, members, against=code, measure=measure)
    if out.empty:
        return MetricResult(out.assign(unit=label), [], {"unit": label, "country": code})
    g = flows.groupby(["mineral", "stage", "year"])
    info = pd.DataFrame({
        "coverage": g["coverage"].agg(lambda c: "truncated" if c.eq("truncated").any()
                                      else "complete"),
        "hs_codes": g["hs_code"].agg(lambda c: ", ".join(sorted(set(map(str, c))))),
    }).reset_index()
    out = out.merge(info, on=["mineral", "stage", "year"], how="left")
    out["links_truncated"] = out["coverage"].eq("truncated")
    out = basket_mod.label_baskets(out, store, ("__series__",))
    out.insert(0, "unit", label)
    out = out.sort_values(["year", "mineral", "stage"], ascending=[False, True, True],
                          kind="stable").reset_index(drop=True)
    prov = _provenance(store, ["flows"], sorted(set(flows["source"])))
    extra = {"unit": label, "members": list(members), "country": code, "measure": measure,
             "truncated_years": sorted({int(y) for y in out.loc[out["links_truncated"], "year"]})}
    return MetricResult(out[[c for c in SERIES_COLUMNS if c in out.columns]], prov, extra)


def _import_reliance_sources(store: Store, out: pd.DataFrame, members: tuple[str, ...],
                             ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Name where each row's import reliance comes from; for the United States, take the
    USGS published value where trade cannot give it (see
    :func:`critmin.metrics.nir.attach_published_reliance`)."""
    from critmin.metrics import nir as nir_mod

    if members == ("USA",) and store.has_table("us_nir") and not out.empty:
        published = nir_mod.published_reliance(store.table("us_nir"))
        out = nir_mod.attach_published_reliance(out, published)
        used = sorted({str(s).split("; ")[-1].split(")")[0] for s in
                       out["import_reliance_source"].dropna() if str(s).startswith("USGS")})
        return out, _provenance(store, ["us_nir"], used) if used else []
    out = out.copy()
    out["import_reliance_flows_share"] = out["import_reliance_share"]
    src = out["flow_source"].fillna("flows").astype(str) if "flow_source" in out.columns \
        else "flows"
    basis = np.where(out.get("flow_basis", pd.Series("observed", index=out.index))
                     .eq("observed"), "", " (completed baseline, partly estimated)")
    out["import_reliance_source"] = np.where(
        out["import_reliance_share"].notna(),
        "recomputed from tonnes: " + src + " flows and USGS production" + basis, None)
    out["import_reliance_bound"] = None
    return out, []


# --- US net import reliance ----------------------------------------------------------

def nir_reproduction(store: Store, edition: int = 2025) -> MetricResult:
    """USGS net import reliance recomputed from the salient statistics of one MCS edition.

    One row per mineral, year and published NIR column (see :mod:`critmin.metrics.nir`),
    with the Fig. 2 value of the same edition (``fig2_share``, ``fig2_bound``) where USGS
    charts the mineral: Fig. 2 quotes the salient NIR of the form it names, so it is
    matched to the row of the latest year whose published value it equals.
    """
    from critmin.metrics import nir as nir_mod

    for table in ("us_salient", "us_nir"):
        if not store.has_table(table):
            store.table(table)          # StoreError naming the missing table
    sal = store.table("us_salient", edition=edition)
    if sal.empty:
        have = store.sql("SELECT DISTINCT edition FROM us_salient ORDER BY 1")["edition"]
        raise NoYearDataError(edition, [str(e) for e in have],
                              "No salient statistics for that MCS edition.")
    cells = pd.DataFrame({"mineral": sal["mineral"], "year": sal["year"],
                          "column": sal["column"],
                          "value": sal["value_text"].where(sal["value_text"].notna(),
                                                           sal["value"])})
    out = nir_mod.compare(nir_mod.components(cells))
    nir = store.table("us_nir", edition=edition)
    fig2 = nir[nir["statistic"].astype("string").str.startswith("Fig. 2")]
    out["fig2_share"] = pd.NA
    out["fig2_bound"] = pd.NA
    for r in fig2.itertuples():
        rows = out[(out["mineral"] == r.mineral) & (out["year"] == r.year)]
        if rows.empty:
            continue
        same = rows[(rows["nir_published"] - (r.nir_share if pd.notna(r.nir_share) else 0.0))
                    .abs() < 1e-9]
        idx = (same if not same.empty else rows).index[0]
        out.loc[idx, "fig2_share"] = r.nir_share
        out.loc[idx, "fig2_bound"] = r.bound
    sources = set(sal["source"]) | set(fig2["source"])
    prov = _provenance(store, ["us_salient", "us_nir"], sorted(sources))
    charted = out[out["fig2_share"].notna() | out["fig2_bound"].notna()]
    comparable = charted[charted["agrees"].notna()]
    ok = comparable["agrees"].astype(bool)
    fig2 = {"charted": int(len(charted)), "comparable": int(len(comparable)),
            "reproduced": int(ok.sum()),
            "not_reproduced": sorted(comparable.loc[~ok, "mineral"]),
            "not_computable": sorted(charted.loc[charted["agrees"].isna(), "mineral"]),
            "tolerance_share": nir_mod.TOLERANCE_SHARE}
    return MetricResult(out, prov, {"edition": edition, "fig2": fig2})


# --- supply risk ------------------------------------------------------------------------

EU2023_PERIOD = (2016, 2020)   # the 2023 assessment's reference period for supply shares
EU_STAGES = {"E": ("mine",), "P": ("refinery", "smelter", "metal", "chemical")}


def eu2023_china_shares(store: Store, series: str = "bgs") -> MetricResult:
    """China's 2016-2020 share of global supply from the store beside the EU 2023 figure.

    For each entry of ``china_global_supply`` in the parameter file (EU 2023 Final Report,
    Appendix 7), the same-stage share from ``series`` production (``E`` extraction -> mine;
    ``P`` processing -> the first of refinery, smelter, metal, chemical with data), summed
    over the reference period. ``gap`` is computed minus published, in share points.
    """
    params = risk_mod.parameters("eu2023")
    rows = []
    used: set[str] = set()
    for key, c in params.china_global_supply.items():
        mineral = key.split("_")[0]
        base = {"material": key, "eu_name": c.eu_name, "eu_stage": c.stage,
                "eu_china_share": c.share, "eu_t": c.t, "mineral": mineral}
        try:
            prod = load_production(store, mineral, None, series)
        except UnknownNameError:
            rows.append({**base, "status": f"no {series} production of {mineral} in the store"})
            continue
        found = False
        for st in EU_STAGES[c.stage]:
            part = prod[prod["stage"] == st]
            if part.empty:
                continue
            shares = conc_mod.period_share(part, "CHN", *EU2023_PERIOD, keys=keys_for(part))
            shares = shares[shares["share"].notna()]
            if shares.empty:
                continue
            best = shares.sort_values("world_t", ascending=False).iloc[0]
            used.add(str(best["source"]))
            rows.append({**base, "stage": st, "basis": best.get("basis"),
                         "source": best["source"], "n_years": int(best["n_years"]),
                         "china_share": float(best["share"]),
                         "gap": float(best["share"]) - c.share, "status": "compared"})
            found = True
            break
        if not found:
            rows.append({**base, "status": f"no {'/'.join(EU_STAGES[c.stage])} production "
                         f"for {EU2023_PERIOD[0]}-{EU2023_PERIOD[1]} in the {series} series"})
    frame = pd.DataFrame(rows)
    prov = params.provenance() + _provenance(store, ["production"], sorted(used))
    return MetricResult(frame, prov, {"period": list(EU2023_PERIOD), "series": series})


def _risk_from_study_inputs(store: Store, method: str) -> MetricResult:
    """Every EU 2023 material: published SR (``sr_published``) beside the SR recomputed
    from the study's inputs and critmin's supply data (``sr_computed``; see
    :func:`eu2023_reproduction`), with critmin's concentration of the mineral."""
    res = eu2023_reproduction(store)
    table = res.frame.rename(columns={"material": "eu_name"})
    crit = store.table("eu_criticality")[["material", "ei_published"]].rename(
        columns={"material": "eu_name"})
    table = table.merge(crit, on="eu_name", how="left")
    prov = list(res.provenance)
    if store.has_table("production"):
        conc = concentration(store, credible_only=True)
        c = conc.frame
        latest = c[c["year"] == c.groupby(["mineral", "stage"])["year"].transform("max")]
        top = latest.sort_values("hhi", ascending=False).drop_duplicates("mineral")
        top = top[["mineral", "year", "hhi_wgi", "top_country", "cr1_share"]].rename(
            columns={"year": "critmin_year", "hhi_wgi": "critmin_hhi_wgi",
                     "top_country": "critmin_top_country", "cr1_share": "critmin_cr1_share"})
        table = table.merge(top, on="mineral", how="left") if "mineral" in table else table
        prov += conc.provenance
    unique = {tuple(sorted((k, str(v)) for k, v in p.items())): p for p in prov}
    return MetricResult(table.reset_index(drop=True), list(unique.values()),
                        {"method": method, **res.extra})


def risk(store: Store | None = None, *, method: str = "eu2023") -> MetricResult:
    """Published EU 2023 supply risk beside what critmin can compute of it.

    With a store holding the study's inputs (``eu_criticality``, SOURCES.md §10), every
    material's SR is recomputed where its inputs are complete
    (:func:`eu2023_reproduction`). Otherwise, from the bundled parameter file:

    For each EU material: the published SR and EI, whether its inputs (import reliance,
    EoL-RIR, SI) are sourced, the computed SR where they are, and, from the store when
    given, critmin's global ``hhi_wgi`` and top producer for the mineral (latest year, the
    most concentrated stage) and China's 2016-2020 share of supply from BGS
    (``critmin_china_share_2016_2020``) beside the EU's published China share.
    """
    params = risk_mod.parameters(method)
    if store is not None and store.has_table("eu_criticality"):
        return _risk_from_study_inputs(store, method)
    table = risk_mod.eu2023_comparison(pd.DataFrame(), params)
    china = pd.DataFrame([{"mineral_key": k, "eu_china_share": v.share, "eu_stage": v.stage,
                           "eu_china_t": v.t} for k, v in params.china_global_supply.items()])
    prov = params.provenance()
    if store is not None and store.has_table("production"):
        res = concentration(store, credible_only=True)
        conc = res.frame
        latest = conc[conc["year"] == conc.groupby(["mineral", "stage"])["year"]
                      .transform("max")]
        top = latest.sort_values("hhi", ascending=False).drop_duplicates("mineral")
        top = top[["mineral", "stage", "year", "hhi", "hhi_wgi", "top_country", "cr1_share"]]
        top = top.rename(columns={"stage": "critmin_stage", "year": "critmin_year",
                                  "hhi": "critmin_hhi", "hhi_wgi": "critmin_hhi_wgi",
                                  "top_country": "critmin_top_country",
                                  "cr1_share": "critmin_cr1_share"})
        table = table.merge(top, on="mineral", how="left")
        prov += res.provenance
        china_bgs = eu2023_china_shares(store, "bgs")
        if "china_share" in china_bgs.frame:
            repro = china_bgs.frame.dropna(subset=["china_share"]).drop_duplicates("mineral")
            table = table.merge(
                repro[["mineral", "china_share"]].rename(
                    columns={"china_share": "critmin_china_share_2016_2020"}),
                on="mineral", how="left")
            prov += china_bgs.provenance
    if not china.empty:
        china["mineral"] = china["mineral_key"].str.split("_").str[0]
        china = china.drop_duplicates("mineral")[["mineral", "eu_stage", "eu_china_share"]]
        table = table.merge(china, on="mineral", how="left")
    unique = {tuple(sorted((k, str(v)) for k, v in p.items())): p for p in prov}
    return MetricResult(table, list(unique.values()), {"method": method})


# --- the EU 2023 supply risk recomputed -------------------------------------------------

EU_MATERIALS = "eu_crm2023_materials.yml"
EU_STAGE = {"Extraction": ("extraction", "primary"), "Processing": ("processing", "refined")}


def _eu_materials() -> dict[str, dict[str, Any]]:
    from critmin.config import DATA_DIR, read_yaml

    raw = read_yaml(DATA_DIR / "mappings" / EU_MATERIALS)
    return {str(k).lower(): v for k, v in (raw.get("materials") or {}).items()}


def _wgi_over(gov: pd.DataFrame | None, start: int, end: int) -> pd.DataFrame:
    """Mean WGI per country over ``start``-``end``; a country without a score in the span
    takes its latest earlier one."""
    if gov is None or gov.empty:
        return pd.DataFrame(columns=["country", "wgi_mean"])
    span = gov[(gov["year"] >= start) & (gov["year"] <= end)]
    out = span.groupby("country", as_index=False)["wgi_mean"].mean()
    before = gov[(gov["year"] < start) & ~gov["country"].isin(out["country"])]
    if not before.empty:
        last = before.sort_values("year").groupby("country", as_index=False).tail(1)
        out = pd.concat([out, last[["country", "wgi_mean"]]], ignore_index=True)
    return out


def _eu_sourcing(flows: pd.DataFrame, production: pd.DataFrame, hs6: list[str],
                 members: tuple[str, ...], mineral: str, stage: str, ir: float,
                 ) -> tuple[pd.DataFrame, str]:
    """EU27 sourcing shares: the study's import reliance ``ir`` splits supply between
    imports and the members' own production; extra-EU imports by partner (tonnes, summed
    over the complete BACI years) split the imports, the members' production of the same
    years (within two years) splits the rest. Domestic supply with no production row in
    the store is left unattributed (the HHI is then a lower bound, said in the text)."""
    if flows.empty or not hs6:
        return pd.DataFrame(), "no complete trade matrix covers the material's HS codes"
    if pd.isna(ir):
        return pd.DataFrame(), "no EU import reliance published for the stage"
    f = flows[flows["hs_code"].astype(str).isin(hs6) & (flows["mineral"] == mineral)]
    f = f[f["importer"].isin(members) & ~f["exporter"].isin(members)]
    if f["hs_shared"].fillna(False).astype(bool).any():
        return pd.DataFrame(), (f"HS {'/'.join(hs6)} is a basket shared with other minerals: "
                                "it cannot give the material's EU sourcing")
    qty = "quantity_t" if f["quantity_t"].notna().any() else "quantity_gross_t"
    f = f[f[qty].notna()]
    if f.empty:
        return pd.DataFrame(), "no EU27 imports with tonnes in the complete matrices"
    years = sorted({int(y) for y in f["year"]})
    imports = f.groupby("exporter", as_index=False)[qty].sum().rename(
        columns={"exporter": "country", qty: "quantity_t"})
    imports["share"] = float(ir) * imports["quantity_t"] / imports["quantity_t"].sum()
    p = production[(production["mineral"] == mineral) & (production["stage"] == stage)
                   & production["country"].isin(members)]
    p = p[(p["year"] >= years[0] - 2) & (p["year"] <= years[-1] + 2)]
    domestic = p.groupby("country", as_index=False)["quantity_t"].sum()
    domestic = domestic[domestic["quantity_t"] > 0]
    home = 1.0 - float(ir)
    if not domestic.empty:
        domestic["share"] = home * domestic["quantity_t"] / domestic["quantity_t"].sum()
    both = pd.concat([imports, domestic], ignore_index=True)
    both = both.groupby("country", as_index=False)[["quantity_t", "share"]].sum()
    both = both[both["share"] > 0]
    src = ", ".join(sorted(set(f["source"])))
    what = (f"EU27 sourcing {'+'.join(map(str, years))}: imports ({ir:.0%}, the study's IR) "
            f"split by partner from HS {'/'.join(hs6)} ({src}, "
            f"{'content' if qty == 'quantity_t' else 'gross'} tonnes); domestic supply "
            f"({home:.0%}) split by members' {mineral} {stage} production"
            + ("" if not domestic.empty or home == 0 else
               ": none in the store, left unattributed (HHI a lower bound)"))
    return both, what


def eu2023_reproduction(store: Store) -> MetricResult:
    """The EU 2023 supply risk recomputed per material, beside the published value.

    Inputs: the study's SI_SR, import reliance, EoL-RIR and trade variable t
    (``eu_criticality``, ``eu_trade_factors``; SOURCES.md §10); global supply shares from
    BGS production summed over the study's 2016-2020 reference period (USGS 2021-2022,
    the earliest the store holds, where BGS has no series: flagged in ``gs_source``);
    the mean WGI over the same years; EU27 sourcing from the complete BACI matrices
    (``flows`` rows with ``coverage`` complete) where they cover the material's HS codes.
    The material-to-production map is ``data/mappings/eu_crm2023_materials.yml``.
    ``status`` says why an SR is not computed.
    """
    from critmin.blocs import resolve

    for table in ("eu_criticality", "eu_trade_factors"):
        if not store.has_table(table):
            store.table(table)          # StoreError naming the missing table
    crit = store.table("eu_criticality")
    factors = store.table("eu_trade_factors")
    factors["key"] = factors["material"].str.lower()
    mapping = _eu_materials()
    gov = governance_means(store)
    start, end = EU2023_PERIOD
    wgi_gs = _wgi_over(gov, start, end)
    prod = store.table("production")
    prod = prod[[c for c in PRODUCTION_COLUMNS if c in prod.columns]]
    bgs = select_series(prod, "bgs")
    usgs = select_series(prod, "usgs")
    default = select_series(prod, "default")
    flows = pd.DataFrame()
    if store.has_table("flows") and "coverage" in store.table("flows", mineral=["__none__"]).columns:
        flows = store.sql("SELECT * FROM flows WHERE coverage = 'complete'")
    eu27 = tuple(resolve("EU27"))
    wgi_eu = wgi_gs          # one governance vintage per assessment, as the study
    rows, used = [], set()
    for r in crit.to_dict("records"):
        name = r["material"]
        stage_key, t_stage = EU_STAGE[r["eu_used_stage"]]
        scope = r["supply_primary"] if t_stage == "primary" else r["supply_refined"]
        ir = r[f"import_reliance_{t_stage}_share"]
        row = {"material": name, "eu_used_stage": r["eu_used_stage"], "supply_scope": scope,
               "sr_published": r["sr_published"],
               "sr_published_stage": r[f"sr_{t_stage}"], "si_sr": r["si_sr"],
               "import_reliance_share": ir, "eol_rir_share": r["eol_rir_share"],
               "hhi_wgi_gs": np.nan, "hhi_wgi_eu": np.nan, "sr_computed": np.nan}
        m = (mapping.get(name.lower()) or {}).get(stage_key)
        missing = [k for k, v in (("SI_SR", r["si_sr"]), ("EoL-RIR", r["eol_rir_share"]))
                   if pd.isna(v)]
        if scope is None:
            row["status"] = "no supply scope published for the stage"
        elif missing:
            row["status"] = f"not published: {', '.join(missing)}"
        elif m is None:
            row["status"] = f"no production series in critmin for the {stage_key} stage"
        else:
            row.update(mineral=m["mineral"], stage=m["stage"], proxy=m.get("proxy"))
            tf = factors[(factors["key"] == name.lower()) & (factors["stage"] == t_stage)]
            why = []
            if scope in ("GS+EU", "GSonly"):
                part = bgs[(bgs["mineral"] == m["mineral"]) & (bgs["stage"] == m["stage"])]
                shares = risk_mod.supply_shares(part, start, end)
                label = f"BGS {start}-{end}"
                if shares.empty:
                    part = usgs[(usgs["mineral"] == m["mineral"]) & (usgs["stage"] == m["stage"])]
                    yrs = sorted(part["year"].unique())[:2]
                    shares = risk_mod.supply_shares(part, *(yrs[0], yrs[-1])) if yrs \
                        else shares
                    label = f"USGS {yrs[0]}-{yrs[-1]}" if yrs else label
                    row["gs_note"] = (f"global supply from USGS {yrs[0]}-{yrs[-1]}, not the "
                                      f"study's {start}-{end}: BGS has no series") if yrs else None
                if shares.empty:
                    why.append(f"no {m['mineral']} {m['stage']} production in the store")
                else:
                    used |= set(part["source"])
                    hhi, cov = risk_mod.weighted_hhi(
                        shares, wgi_gs, tf[tf["scope"] == "world"][["country", "t"]])
                    row.update(hhi_wgi_gs=hhi, gs_source=label, gs_wgi_coverage_share=cov,
                               gs_top_country=shares["country"].iloc[0],
                               gs_top_share=float(shares["share"].iloc[0]))
            if scope in ("GS+EU", "EUonly"):
                eu, what = _eu_sourcing(flows, default, list(m.get("hs6") or []), eu27,
                                        m["mineral"], m["stage"], ir)
                if eu.empty:
                    why.append(what)
                else:
                    hhi, cov = risk_mod.weighted_hhi(
                        eu, wgi_eu, tf[tf["scope"] == "eu"][["country", "t"]])
                    row.update(hhi_wgi_eu=hhi, eu_source=what, eu_top_country=eu.sort_values(
                        "share").iloc[-1]["country"], eu_wgi_coverage_share=cov)
            row["sr_computed"] = risk_mod.eu2023_supply_risk(
                row["hhi_wgi_gs"], row["hhi_wgi_eu"], scope, ir, r["eol_rir_share"],
                r["si_sr"])
            row["status"] = "computed" if pd.notna(row["sr_computed"]) else \
                ("; ".join(why) or "an input is missing")
        rows.append(row)
    out = pd.DataFrame(rows)
    out["gap"] = out["sr_computed"] - out["sr_published"]
    within = (out["gap"].abs() <= risk_mod.SR_TOLERANCE + 1e-9).astype("boolean")
    out["within_tolerance"] = within.mask(out["gap"].isna(), pd.NA)
    prov = _provenance(store, ["eu_criticality", "eu_trade_factors"])
    prov += _provenance(store, ["production"], sorted(used))
    if gov is not None:
        prov += _provenance(store, ["governance"])
    if not flows.empty:
        prov += _provenance(store, ["flows"], sorted(set(flows["source"])))
    n = int(out["sr_computed"].notna().sum())
    k = int(out["within_tolerance"].fillna(False).astype(bool).sum())
    return MetricResult(out, prov, {"period": [start, end], "computed": n,
                                    "within_tolerance": k, "tolerance": risk_mod.SR_TOLERANCE})
