"""The numbers behind the dashboard's and the HTML report's figures.

Each function takes a :class:`~critmin.store.Store`, selects inputs with
:mod:`critmin.metrics.queries` and :mod:`critmin.baseline`, computes with the pure metric
functions, and returns a :class:`~critmin.metrics.queries.MetricResult`: the rows a figure
draws, the provenance of every input, and in ``extra`` what the figure must say about them
(years available, estimated values, coverage). :mod:`critmin.reports.figures` only draws
these rows; the web layer only serialises them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from critmin.metrics import concentration as conc_mod
from critmin.metrics import exposure as exp_mod
from critmin.metrics import queries
from critmin.metrics.queries import MetricResult
from critmin.store import Store
from critmin.vocab import mineral as vocab_mineral
from critmin.vocab import stage as vocab_stage

OTHER = "Other"
SHARE_COLUMNS = ["mineral", "stage", "year", "country", "quantity_t", "world_t", "share",
                 "estimated", "basis", "source"]
SUPPLIER_COLUMNS = ["mineral", "stage", "year", "exporter", "value_usd", "share",
                    "estimated", "source"]
LINK_COLUMNS = ["leg", "source_node", "target_node", "method", "quantity_t"]


def production_stages(store: Store) -> pd.DataFrame:
    """Mineral-stages with production rows: ``mineral, stage, first_year, last_year``."""
    return store.sql("SELECT mineral, stage, min(year) AS first_year, max(year) AS last_year "
                     "FROM production WHERE quantity_t > 0 AND country NOT IN ('WLD', 'OTH') "
                     "GROUP BY 1, 2 ORDER BY 1, 2")


def flow_stages(store: Store) -> pd.DataFrame:
    """Mineral-stages with trade flows: ``mineral, stage, first_year, last_year``."""
    if not store.has_table("flows"):
        return pd.DataFrame(columns=["mineral", "stage", "first_year", "last_year"])
    return store.sql("SELECT mineral, stage, min(year) AS first_year, max(year) AS last_year "
                     "FROM flows WHERE NOT partial_year GROUP BY 1, 2 ORDER BY 1, 2")


def production_shares(store: Store, mineral: str, stage: str, *,
                      series: str = "default") -> MetricResult:
    """Each producer's share of world production of ``mineral`` at ``stage``, every year.

    World totals and shares are those of :func:`critmin.metrics.concentration.shares`
    (published total or the sum of its parts, whichever is larger). Where a year's release
    reports several bases (e.g. boron forms), the basis most countries report is kept.

    Returns
    -------
    MetricResult
        Rows ``mineral, stage, year, country, quantity_t, world_t, share, estimated, basis,
        source``, newest year first; ``extra["years"]`` lists the years (ascending) and
        ``extra["estimated_rows"]`` counts rows the publisher marks as estimated.
    """
    st = vocab_stage(stage).value
    queries._check_stage(store, mineral, st)
    prod = queries.load_production(store, mineral, st, series)
    if prod.empty:
        raise queries.NoStageDataError(st, [], f"No {mineral} {st} production in the store.")
    if "basis" in prod.columns:
        # one basis per year: the one with the most reporting countries
        counts = prod.groupby(["year", "basis"], dropna=False).size().rename("n").reset_index()
        counts = counts.sort_values(["year", "n", "basis"], ascending=[True, False, True])
        keep = counts.drop_duplicates("year")[["year", "basis"]]
        prod = prod.merge(keep, on=["year", "basis"], how="inner")
    keys = queries.keys_for(prod)
    out = conc_mod.shares(prod, keys=keys)
    est = prod[["year", "country", "source", "estimated"]].drop_duplicates(
        ["year", "country", "source"])
    out = out.merge(est, on=["year", "country", "source"], how="left")
    out["estimated"] = out["estimated"].fillna(False).astype(bool)
    out["stage"] = st
    out = out.reindex(columns=SHARE_COLUMNS)
    out = out.sort_values(["year", "share"], ascending=[False, False]).reset_index(drop=True)
    prov = queries._provenance(store, ["production"], out["source"].unique())
    return MetricResult(out, prov, {
        "mineral": vocab_mineral(mineral).id, "stage": st,
        "years": sorted(int(y) for y in out["year"].unique()),
        "estimated_rows": int(out["estimated"].sum()), "series": series})


def import_sources(store: Store, unit: str, mineral: str, stage: str | None = None, *,
                   measure: str = "value_usd") -> MetricResult:
    """Where a country or bloc buys ``mineral``: each outside supplier's share of its
    imports, every year with observed flows, and its import reliance in the latest year.

    The supplier shares come from one release per year (:func:`choose_source`); where that
    release records the unit's imports only partly, ``extra["coverage_note"]`` says so
    (from :func:`critmin.metrics.queries.exposure`, which also gives
    ``extra["import_reliance_share"]``, ``extra["flow_basis"]`` and ``extra["year"]`` of
    its latest row).
    """
    label, members = queries.resolve_unit(unit)
    m = vocab_mineral(mineral)
    st = vocab_stage(stage).value if stage else _main_flow_stage(store, m.id)
    flows = store.table("flows", mineral=m.id, stage=st)
    if flows.empty:
        have = flow_stages(store)
        raise queries.NoMineralDataError(m.id, have["mineral"].unique(),
                                         f"The store has no {m.id} {st} trade flows.")
    flows = exp_mod.choose_source(flows, members)
    shares = exp_mod.source_shares(flows, members, measure=measure)
    est = flows.assign(estimated=flows["method"].astype(str) == "estimated") \
        if "method" in flows.columns else flows.assign(estimated=False)
    est = est.groupby(["year", "exporter"], as_index=False).agg(
        estimated=("estimated", "any"), source=("source", "first"))
    shares = shares.merge(est, on=["year", "exporter"], how="left")
    shares = shares.rename(columns={measure: "value_usd"}) if measure != "value_usd" else shares
    shares = shares.reindex(columns=SUPPLIER_COLUMNS)
    shares = shares.sort_values(["year", "share"], ascending=[False, False]).reset_index(drop=True)
    extra: dict[str, Any] = {"unit": label, "members": list(members), "mineral": m.id,
                             "stage": st, "measure": measure,
                             "years": sorted(int(y) for y in shares["year"].unique())}
    prov = queries._provenance(store, ["flows"], flows["source"].unique())
    try:
        exp = queries.exposure(store, unit, mineral=m.id, stage=st, latest=True)
    except queries.NoYearDataError:
        exp = None
    if exp is not None and not exp.frame.empty:
        row = exp.frame.sort_values("year").iloc[-1]
        extra.update({
            "year": int(row["year"]),
            "import_reliance_share": _float(row.get("import_reliance_share")),
            "flow_basis": row.get("flow_basis"), "coverage_note": row.get("note") or "",
            "coverage_share": _float(row.get("coverage_share")),
            "estimated_share": _float(row.get("estimated_share"))})
        prov += [p for p in exp.provenance if p not in prov]
    return MetricResult(shares, prov, extra)


def supply_chain_links(store: Store, mineral: str, year: int | None = None, *,
                       stages: tuple[str, ...] | None = None, top: int = 8) -> MetricResult:
    """Links of a mine -> refinery -> buyers diagram for ``mineral`` in one year.

    For each consecutive pair of stages, the complete bilateral matrix of the upstream
    stage (:func:`critmin.baseline.build_baseline`: observed and mirror cells kept,
    the rest estimated) gives the tonnes each producing country sends to each country of
    the next stage (domestic supply included). The last stage's matrix gives the buyers.
    Countries beyond the ``top`` largest of each column are grouped as ``Other``.

    Returns
    -------
    MetricResult
        Rows ``leg, source_node, target_node, method, quantity_t`` (``method``:
        ``observed`` (observed and mirror cells) or ``estimated``), largest first. Nodes
        read ``"<stage>: <ISO3>"``. ``extra`` gives the ``year``, the ``stages``, each
        stage's ``estimated_share`` (of tonnes) and its ``basis`` (tonnes of what).
    """
    from critmin.baseline import build_baseline

    m = vocab_mineral(mineral)
    chosen = list(stages) if stages else _chain_stages(store, m.id)
    if not chosen:
        raise queries.NoMineralDataError(m.id, flow_stages(store)["mineral"].unique(),
                                         "The store has no stage of it with both production "
                                         "and trade flows.")
    yr = int(year) if year is not None else _chain_year(store, m.id, chosen)
    est: dict[str, float] = {}
    basis: dict[str, str] = {}
    prov: list[dict[str, Any]] = []
    matrices = []
    for st in chosen:
        base = build_baseline(store, m.id, st, yr)
        matrices.append(base.flows)
        est[st] = float(base.estimated_share)
        basis[st] = base.basis
        prov += [p for p in base.provenance if p not in prov]
    # one set of countries per column: a middle column's countries are the largest by what
    # they receive from upstream or send downstream, the same on both sides of it
    columns = [*chosen, "buyers"]
    size: list[pd.Series] = []
    for k in range(len(columns)):
        parts = []
        if k < len(matrices):
            parts.append(matrices[k].groupby("exporter")["quantity_t"].sum())
        if k > 0:
            parts.append(matrices[k - 1].groupby("importer")["quantity_t"].sum())
        size.append(pd.concat(parts, axis=1).max(axis=1))
    keep = [set(s.sort_values(ascending=False).head(top).index) for s in size]
    rows: list[pd.DataFrame] = []
    for k, f in enumerate(matrices):
        st, nxt = columns[k], columns[k + 1]
        frame = pd.DataFrame({
            "leg": f"{st} -> {nxt}",
            "source_node": [f"{st}: {c if c in keep[k] else OTHER}" for c in f["exporter"]],
            "target_node": [f"{nxt}: {c if c in keep[k + 1] else OTHER}" for c in f["importer"]],
            "method": ["estimated" if x == "estimated" else "observed" for x in f["method"]],
            "quantity_t": f["quantity_t"].astype(float),
        })
        frame = frame.groupby(["leg", "source_node", "target_node", "method"], as_index=False,
                              sort=False)["quantity_t"].sum()
        rows.append(frame[frame["quantity_t"] > 0])
    out = pd.concat(rows, ignore_index=True).sort_values(
        ["leg", "quantity_t"], ascending=[True, False]).reset_index(drop=True)
    return MetricResult(out[LINK_COLUMNS], prov, {
        "mineral": m.id, "year": yr, "stages": chosen, "estimated_share": est,
        "basis": basis, "top": top})


def concentration_series(store: Store, mineral: str, *, series: str = "default") -> MetricResult:
    """HHI and the top country's share per stage and year (all years the store has).

    The rows of :func:`critmin.metrics.queries.concentration`, oldest year first, with
    ``estimated_share`` (share of world output the publisher marks as estimated).
    """
    res = queries.concentration(store, mineral, series=series)
    cols = ["mineral", "stage", "year", "source", "hhi", "cr1_share", "top_country",
            "n_producers", "estimated_share", "unattributed_share", "credible"]
    frame = res.frame[[c for c in cols if c in res.frame.columns]]
    frame = frame.sort_values(["stage", "year"]).reset_index(drop=True)
    return MetricResult(frame, res.provenance, {"mineral": vocab_mineral(mineral).id,
                                                "series": series, **res.extra})


# --- helpers ------------------------------------------------------------------------------

def _float(value: object) -> float | None:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _main_flow_stage(store: Store, mineral_id: str) -> str:
    """The stage of ``mineral_id`` with the largest traded value."""
    st = store.sql("SELECT stage, sum(value_usd) AS v FROM flows WHERE mineral = ? "
                   "GROUP BY stage ORDER BY v DESC NULLS LAST", [mineral_id])
    if st.empty:
        have = flow_stages(store)
        raise queries.NoMineralDataError(mineral_id, have["mineral"].unique(),
                                         "The store has no trade flows for it.")
    return str(st["stage"].iloc[0])


_ORDER = ("mine", "smelter", "refinery", "chemical", "metal")


def _chain_stages(store: Store, mineral_id: str) -> list[str]:
    """Stages with both production and trade flows, upstream first."""
    prod = set(production_stages(store).query("mineral == @mineral_id")["stage"])
    trade = set(flow_stages(store).query("mineral == @mineral_id")["stage"])
    both = prod & trade
    return [s for s in _ORDER if s in both]


def _chain_year(store: Store, mineral_id: str, stages: list[str]) -> int:
    """The latest year with production at every stage and flows at the first stage."""
    years: set[int] | None = None
    for st in stages:
        y = store.sql("SELECT DISTINCT year FROM production WHERE mineral = ? AND stage = ? "
                      "AND quantity_t > 0", [mineral_id, st])["year"]
        years = set(int(v) for v in y) if years is None else years & {int(v) for v in y}
    fy = store.sql("SELECT DISTINCT year FROM flows WHERE mineral = ? AND stage = ?",
                   [mineral_id, stages[0]])["year"]
    both = (years or set()) & {int(v) for v in fy}
    if not both:
        raise queries.NoYearDataError("latest", sorted(years or []),
                                      f"No year with {mineral_id} production at "
                                      f"{', '.join(stages)} and trade flows.")
    return max(both)


# --- scenario results -----------------------------------------------------------------------

def _rows(value: Any) -> pd.DataFrame:
    """A frame from a DataFrame, a list of records, or a ``{"rows": [...]}`` document."""
    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, dict) and "rows" in value:
        return pd.DataFrame(value["rows"])
    return pd.DataFrame(list(value or []))


def scenario_view(doc: Any, top: int = 10) -> dict[str, Any]:
    """What the scenario figures draw, from a partial-equilibrium result: a
    :class:`~critmin.models.base.Result`, its JSON document
    (:func:`critmin.reports.result.result_document`, what ``critmin run --format json`` and
    ``POST /api/scenarios/run`` return), or a dict of frames in the same layout.

    Returns
    -------
    dict
        ``scenario``, ``welfare_unit``, ``markets`` (``"<mineral> <stage>"``), and frames:
        ``prices`` (the ``top`` exporters per market by absolute world-price change),
        ``imports`` (the ``top`` importers per market by baseline imports, before and
        after), ``shortfalls`` (countries whose demand falls short, largest share first),
        ``welfare`` (the ``top`` countries by absolute net welfare change, USD);
        ``estimated_share`` per market (share of baseline tonnes in estimated cells) and
        the ``provenance`` of the document.

    Raises
    ------
    ScenarioError
        When the result is not a partial-equilibrium one (no flows and countries tables).
    """
    from critmin.errors import ScenarioError

    if hasattr(doc, "tables") and hasattr(doc, "provenance"):       # a Result
        doc = {"model": doc.model, "scenario": doc.scenario, "tables": dict(doc.tables),
               "provenance": [dict(p) for p in doc.provenance]}
    tables = doc.get("tables") if isinstance(doc.get("tables"), dict) else doc
    if tables.get("flows") is None or tables.get("countries") is None:
        raise ScenarioError("The figures draw partial-equilibrium results (model: pe); "
                            f"this is a {doc.get('model', 'different')!r} result.")
    usd = "welfare_by_country" in tables
    welfare = _rows(tables.get("welfare_by_country") if usd else tables.get("welfare"))
    if usd:   # the Result contract names money columns *_usd
        welfare = welfare.rename(columns={c: c[:-4] for c in welfare.columns
                                          if c.endswith("_usd")})
    doc = {"scenario": doc.get("scenario", "scenario"),
           "welfare_unit": "USD" if usd else doc.get("welfare_unit", "USD"),
           "prices": tables.get("prices"), "countries": tables.get("countries"),
           "flows": tables.get("flows"), "welfare": welfare,
           "provenance": doc.get("provenance")}
    prices = _rows(doc.get("prices"))
    countries = _rows(doc.get("countries"))
    flows = _rows(doc.get("flows"))
    welfare = _rows(doc.get("welfare"))
    for f in (prices, countries, flows):
        if len(f) and {"mineral", "stage"} <= set(f.columns):
            f["market"] = f["mineral"].astype(str) + " " + f["stage"].astype(str)
    markets = list(dict.fromkeys(flows["market"])) if "market" in flows else []

    def top_by(frame: pd.DataFrame, key: pd.Series, n: int) -> pd.DataFrame:
        if frame.empty:
            return frame
        ranked = frame.assign(_k=key).sort_values("_k", ascending=False)
        return ranked.groupby("market", sort=False).head(n).drop(columns="_k")

    price_rows = top_by(prices, prices["world_price_change_share"].abs(), top) \
        if len(prices) else prices
    imp = countries[countries["imports_t_baseline"] > 0] if len(countries) else countries
    import_rows = top_by(imp, imp["imports_t_baseline"], top) if len(imp) else imp
    short = countries[countries["shortfall_t"] > 0] if len(countries) else countries
    short = short.sort_values("shortfall_share", ascending=False).head(15) if len(short) else short
    if len(welfare):
        welfare = welfare.reindex(welfare["net_welfare"].abs().sort_values(
            ascending=False).index).head(top + 5)
    est: dict[str, float] = {}
    base_col = "flow_t_baseline" if "flow_t_baseline" in flows.columns else "baseline"
    if len(flows) and "method" in flows.columns:
        for mk, g in flows.groupby("market", sort=False):
            total = g[base_col].sum()
            est[str(mk)] = float(g.loc[g["method"] == "estimated", base_col].sum() / total) \
                if total > 0 else 0.0
    return {"scenario": doc.get("scenario", "scenario"),
            "welfare_unit": doc.get("welfare_unit", "USD"), "markets": markets,
            "prices": price_rows.reset_index(drop=True),
            "imports": import_rows.reset_index(drop=True),
            "shortfalls": short.reset_index(drop=True),
            "welfare": welfare.reset_index(drop=True), "estimated_share": est,
            "provenance": list(doc.get("provenance") or [])}


# --- sourcing routes and supply chains --------------------------------------------------------

def _weighted(share: pd.Series, value: pd.Series) -> float | None:
    """Share-weighted mean of ``value`` over the rows with a value (None without any)."""
    ok = value.notna() & (share > 0)
    total = float(share[ok].sum())
    return float((share[ok] * value[ok]).sum() / total) if total > 0 else None


def routes_view(doc: Any) -> dict[str, Any]:
    """What the Routes figures draw, from a sourcing result document
    (:func:`critmin.reports.sourcing.result_document`, what ``critmin routes --format json``
    and ``GET /api/routes/{unit}`` return).

    Returns
    -------
    dict
        ``label``; ``frontier`` (cap_share, largest_share, cost_usd, cost_increase_usd,
        unmet_t, one row per cap; empty without ``--frontier``); ``exclusions`` (the
        largest suppliers excluded one after another: excluded, cost_usd, unmet_t and
        ``lost_supply_cost_usd``, the unmet tonnes at the value of lost supply that the
        optimiser's objective adds); ``plan`` and ``today``
        points (``largest_share``, ``cost_usd``, ``unmet_t``, ``risk_index``: the
        share-weighted governance risk of the purchases, suppliers without a WGI estimate
        left out); ``suppliers`` (suppliers with purchases now or in the plan, with
        ``estimated_cost``: the unit cost is the market price, not an observed unit
        value); ``cost`` (the one cost row); ``binding`` (binding limits but demand, with
        their plain words); ``headline``, ``warnings``, ``notes`` (the inputs' own notes:
        estimated baseline cells, cost assumptions) and ``provenance``.
    """
    from critmin.errors import ScenarioError

    tables = doc.get("tables") or {}
    if tables.get("suppliers") is None or tables.get("cost") is None:
        raise ScenarioError("The routes figures draw sourcing results (critmin routes); this is "
                            f"a {doc.get('model', 'different')!r} result.")
    sup = _rows(tables["suppliers"])
    cost = _rows(tables["cost"]).iloc[0].to_dict()
    sup = sup[(sup["quantity_t"] > 0) | (sup["quantity_t_baseline"] > 0)].copy()
    sup["estimated_cost"] = ~sup["cost_method"].astype(str).str.startswith("observed")
    ext = sup[~sup["internal"].astype(bool)]
    label = f"{cost['unit']} {cost['mineral']} {cost['stage']} {cost['year']}"
    front = _rows(tables.get("frontier"))
    keep = ["cap_share", "largest_share", "cost_usd", "cost_increase_usd", "unmet_t"]
    front = front[[c for c in keep if c in front.columns]] if len(front) else pd.DataFrame(columns=keep)
    plan = {"cap_share": float(cost["cap_share"]),
            "largest_share": float(ext["share"].max()) if len(ext) else 0.0,
            "cost_usd": float(cost["plan_cost_usd"]), "unmet_t": float(cost["unmet_t"]),
            "risk_index": _weighted(sup["share"], sup["risk_index"]),
            "covered_share": float(cost["covered_t"]) / float(cost["demand_t"])}
    base_cost = cost.get("baseline_cost_usd")
    today = {"largest_share": float(ext["share_baseline"].max()) if len(ext) else 0.0,
             "cost_usd": float(base_cost) if base_cost is not None else None,
             "risk_index": _weighted(sup["share_baseline"], sup["risk_index"]),
             "covered_share": float(cost["demand_share_baseline"]),
             "top_supplier": str(ext.sort_values("share_baseline", ascending=False)["supplier"].iloc[0])
             if len(ext) else ""}
    excl = _rows(tables.get("frontier_exclusions"))
    if len(excl):
        excl = excl.assign(excluded=excl["excluded"].fillna("").astype(str))
        if "lost_supply_cost_usd" not in excl.columns:  # a document from before the model said it
            excl["lost_supply_cost_usd"] = excl["unmet_t"] * float(cost["value_of_lost_supply_usd_per_t"])
    shadow = _rows(tables.get("shadow_prices"))
    binding = shadow[shadow["kind"] != "demand"] if len(shadow) else shadow
    provenance = list(doc.get("provenance") or [])
    notes = [f"{p['source']}: {p['note']}" for p in provenance if p.get("note")]
    diag = doc.get("diagnostics") or {}
    return {"label": label, "unit": cost["unit"], "mineral": cost["mineral"],
            "stage": cost["stage"], "year": cost["year"], "frontier": front.reset_index(drop=True),
            "exclusions": excl.reset_index(drop=True),
            "plan": plan, "today": today, "cost": cost,
            "suppliers": sup.sort_values(["share", "share_baseline"], ascending=False).reset_index(drop=True),
            "binding": binding.reset_index(drop=True), "headline": list(doc.get("headline") or []),
            "warnings": list(diag.get("warnings") or []), "notes": notes,
            "provenance": provenance}


def chain_edges(chain_name: str) -> pd.DataFrame:
    """The links of a supply chain's stage graph: ``source, target, coefficient, unit,
    assumption, coefficient_source`` (from ``critmin/data/chains``)."""
    from critmin.chain_graph import chain

    spec = chain(chain_name)
    return pd.DataFrame([{"source": e.source, "target": e.target, "coefficient": e.coefficient.central,
                          "unit": e.unit, "assumption": e.coefficient.assumption,
                          "coefficient_source": e.coefficient.source} for e in spec.edges],
                        columns=["source", "target", "coefficient", "unit", "assumption",
                                 "coefficient_source"])


def chain_view(show: Any, result: Any = None, top: int = 12, store: Store | None = None) -> dict[str, Any]:
    """What the Chains figures draw: the stage graph of ``critmin chain show`` (``show``:
    its JSON document, ``GET /api/chains/{chain}``) and, with a network result document
    (``result``: ``POST /api/scenarios/run`` of a ``model: network`` scenario, or
    ``critmin chain shock --format json``), the losses stage by stage.

    Returns
    -------
    dict
        ``chain``, ``title``, ``year``, ``stages`` (upstream first), ``nodes`` (one row per
        node with its column, top country, CR1, single point of failure, ``assumed``
        country shares, and with a result ``lost_share``/``lost_usd``), ``edges``
        (:func:`chain_edges`, with ``assumption`` flags); with a result also ``scenario``,
        ``by_stage``, ``by_node``, ``by_product``, ``by_country`` (the ``top`` countries
        losing most), ``bottlenecks`` (restrictions that cut output and capacities
        whose spare was used up while output was lost), ``assumed_coefficients`` and ``summary``; ``provenance`` of both (with
        ``store``, each store input's publisher, title and release: :func:`with_origins`).
    """
    from critmin.chain_graph import CHAIN_STAGES

    nodes = _rows(show.get("rows") if "rows" in show else show.get("stages")).copy()
    stages = [s for s in CHAIN_STAGES if s in set(nodes["stage"])]
    nodes["column"] = nodes["stage"].map({s: k for k, s in enumerate(stages)})
    nodes["assumed"] = nodes["method"].astype(str).eq("assumption") if "method" in nodes else False
    out: dict[str, Any] = {"chain": show.get("chain"), "title": show.get("title"), "year": show.get("year"),
                           "stages": stages, "edges": chain_edges(str(show.get("chain"))),
                           "run_time_sources": list(show.get("run_time_sources") or []),
                           "provenance": list(show.get("provenance") or [])}
    if result is None:
        out["nodes"] = nodes
        if store is not None:
            out["provenance"] = with_origins(out["provenance"], store)
        return out
    tables = result.get("tables") or {}
    by_node = _rows(tables.get("by_node"))
    if by_node.empty or tables.get("by_stage") is None:
        from critmin.errors import ScenarioError

        raise ScenarioError("The chain figures draw network results (model: network); this is "
                            f"a {result.get('model', 'different')!r} result.")
    nodes = nodes.merge(by_node[["node", "lost_share", "lost_usd", "lost_quantity",
                                 "output_quantity_baseline"]], on="node", how="left")
    rank = {s: k for k, s in enumerate(stages)}
    by_stage = _rows(tables["by_stage"])
    by_stage = by_stage.assign(_o=by_stage["stage"].map(rank)).sort_values("_o").drop(columns="_o")
    by_node = by_node.merge(nodes[["node", "label"]], on="node", how="left")
    by_node = by_node.assign(_o=by_node["stage"].map(rank)).sort_values("_o", kind="stable").drop(columns="_o")
    by_country = _rows(tables.get("by_country"))
    if len(by_country):
        by_country = by_country[by_country["lost_usd"] > 0].sort_values("lost_usd", ascending=False).head(top)
    bottlenecks = _rows(tables.get("bottlenecks"))
    if len(bottlenecks):
        keep = (bottlenecks["lost_usd"] > 0) | (bottlenecks["constraint"] == "export restriction")
        if "spare_used_quantity" in bottlenecks:  # capacities that used their spare and limit output
            keep |= bottlenecks["spare_used_quantity"] > 0
        bottlenecks = bottlenecks[keep]
    coef = _rows(tables.get("coefficients"))
    assumed = coef[coef["assumption"].astype(bool)] if len(coef) and "assumption" in coef else coef
    seen = {(str(p.get("source")), str(p.get("used_for"))) for p in out["provenance"]}
    prov = out["provenance"] + [p for p in result.get("provenance") or []
                                if (str(p.get("source")), str(p.get("used_for"))) not in seen]
    out.update({"nodes": nodes, "scenario": result.get("scenario"), "by_stage": by_stage.reset_index(drop=True),
                "by_node": by_node.reset_index(drop=True), "by_product": _rows(tables.get("by_product")),
                "by_country": by_country.reset_index(drop=True),
                "bottlenecks": bottlenecks.reset_index(drop=True), "assumed_coefficients": len(assumed),
                "coefficients": len(coef), "summary": result.get("summary") or "",
                "parameters": dict(result.get("parameters") or {}),
                "provenance": with_origins(prov, store) if store is not None else prov})
    return out


def with_origins(provenance: list[dict[str, Any]], store: Store) -> list[dict[str, Any]]:
    """``provenance`` with each store input's publisher, title and release filled in from
    the store's provenance table (records that name a ``table`` and ``source`` but no
    title: what the chain views carry), and stated assumptions labelled by what they are
    used for."""
    out = []
    for p in provenance:
        p = dict(p)
        if not p.get("title") and p.get("table") and p.get("source"):
            found = store.provenance_records([str(p["table"])], [str(p["source"])])
            if found:
                origin = found[0]
                p.update({k: origin[k] for k in ("publisher", "title", "url", "licence") if origin.get(k)})
                if origin.get("vintage"):
                    p["vintage"] = f"{origin['vintage']}; data year {p['vintage']}" if p.get("vintage") \
                        else origin["vintage"]
        elif p.get("source") == "assumption" and not p.get("title") and p.get("used_for"):
            p["title"] = f"assumption: {p['used_for']}"
        out.append(p)
    return out
