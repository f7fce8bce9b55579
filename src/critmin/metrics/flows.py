"""The bilateral flows a user asks for: observed rows of the ``flows`` table, or the
completed baseline (observed + documented estimates). ``critmin flows`` and
``GET /api/flows/{mineral}`` both call :func:`flows_view`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from critmin import vocab
from critmin.errors import StoreError
from critmin.metrics.queries import MetricResult

if TYPE_CHECKING:
    from critmin.store import Store

COMPLETE_COLUMNS = ["mineral", "stage", "year", "exporter", "importer", "quantity_t",
                    "value_usd", "method", "domestic", "source", "note"]
OBSERVED_COLUMNS = ["mineral", "stage", "year", "exporter", "importer", "value_usd",
                    "quantity_t", "basis", "method", "hs_codes", "hs_shared", "source"]


def countries(text: str | None) -> tuple[str, ...] | None:
    """ISO3 codes of a country, a comma-separated list or a bloc (critmin.blocs), or None."""
    if text is None:
        return None
    from critmin.blocs import resolve

    return tuple(resolve(text))


def check_has_flows(store: Store, mineral_id: str, stage: str | None) -> None:
    """NoMineralDataError / NoStageDataError listing what the flows table holds."""
    from critmin.store.views import NoMineralDataError, NoStageDataError

    have = store.sql("SELECT DISTINCT mineral FROM flows ORDER BY 1")["mineral"].tolist()
    if mineral_id not in have:
        codes = ", ".join(s.value for s in vocab.hs_stages(mineral_id)) or "none"
        raise NoMineralDataError(mineral_id, have, f"The store has no {mineral_id} trade flows "
                                  f"(stages with HS codes: {codes}); import BACI or UN Comtrade "
                                  "files with `critmin data import`.")
    if stage is not None:
        stages = store.sql("SELECT DISTINCT stage FROM flows WHERE mineral = ? ORDER BY 1",
                           [mineral_id])["stage"].tolist()
        if stage not in stages:
            raise NoStageDataError(stage, stages, f"No {mineral_id} {stage} flows; stages "
                                    f"with flows: {', '.join(stages)}.")


def default_stage(store: Store, mineral_id: str) -> str:
    """The stage with the largest traded value."""
    stages = store.sql("SELECT stage, sum(value_usd) AS v FROM flows WHERE mineral = ? "
                       "GROUP BY stage ORDER BY v DESC NULLS LAST", [mineral_id])
    return str(stages["stage"].iloc[0])


def baseline_year(store: Store, mineral_id: str, stage: str,
                  production_stage: str | None) -> int:
    """The latest year with both flows and production (else the latest year with flows)."""
    if store.has_table("production"):
        pst = vocab.stage(production_stage).value if production_stage else stage
        both = store.sql("SELECT max(f.year) AS y FROM flows f WHERE f.mineral = ? AND "
                         "f.stage = ? AND NOT f.partial_year AND f.year IN (SELECT year FROM "
                         "production WHERE mineral = ? AND stage = ? AND quantity_t > 0)",
                         [mineral_id, stage, mineral_id, pst])["y"]
        if both.notna().iloc[0]:
            return int(both.iloc[0])
    return latest_year(store, mineral_id, stage)


def latest_year(store: Store, mineral_id: str, stage: str | None) -> int:
    """The latest full year with flows (else the latest partial year)."""
    q = "SELECT max(year) AS y FROM flows WHERE mineral = ? AND NOT partial_year"
    params: list[object] = [mineral_id]
    if stage:
        q += " AND stage = ?"
        params.append(stage)
    y = store.sql(q, params)["y"]
    if y.isna().iloc[0]:  # only partial-year rows
        y = store.sql(q.replace(" AND NOT partial_year", ""), params)["y"]
    return int(y.iloc[0])


def flows_view(store: Store, mineral: str, *, stage: str | None = None,
               year: int | None = None, exporter: str | None = None,
               importer: str | None = None, complete: bool = False,
               production_stage: str | None = None, advance: Any = None) -> MetricResult:
    """Bilateral flows of ``mineral``, each marked observed, mirror or estimated.

    Parameters
    ----------
    mineral : str
        Id, name or symbol.
    stage : str, optional
        Default: every stage (observed); the stage with most trade (complete).
    year : int, optional
        Default: the latest year with data (complete: with production too).
    exporter, importer : str, optional
        ISO3 code, country name, comma-separated list or bloc.
    complete : bool
        The completed matrix (:func:`critmin.baseline.build_baseline`) instead of the
        observed rows.

    Returns
    -------
    MetricResult
        ``extra`` carries mineral, stage, year, estimated_share (and for ``complete`` the
        basis, estimated_value_share and the baseline's diagnostics).
    """
    from critmin.store.views import NoYearDataError

    m = vocab.mineral(mineral)
    if not store.has_table("flows"):
        raise StoreError(f"The store at {store.path} has no flows table; rebuild it with "
                         "`critmin data build` or import trade files with `critmin data import`.")
    st = vocab.stage(stage).value if stage else None
    exps, imps = countries(exporter), countries(importer)
    check_has_flows(store, m.id, st)
    if complete:
        from critmin.baseline import build_baseline

        st = st or default_stage(store, m.id)
        year = year if year is not None else baseline_year(store, m.id, st, production_stage)
        if advance is not None:
            advance("baseline", 0, 1)
        base = build_baseline(store, m.id, st, int(year), production_stage=production_stage,
                              countries=tuple(exps or ()) + tuple(imps or ()))
        if advance is not None:
            advance("done", 1, 1)
        rows = base.tidy()
        if exps:
            rows = rows[rows["exporter"].isin(exps)]
        if imps:
            rows = rows[rows["importer"].isin(imps)]
        cols = [c for c in COMPLETE_COLUMNS if c in rows.columns]
        extra = {"mineral": m.id, "stage": st, "year": int(year), "basis": base.basis,
                 "estimated_share": base.estimated_share,
                 "estimated_value_share": base.estimated_value_share,
                 "diagnostics": base.diagnostics,
                 "title": f"{m.name} {st} flows {year} (complete; {base.basis})"}
        return MetricResult(rows[cols].reset_index(drop=True), list(base.provenance), extra)
    from critmin.baseline import observed_flows

    year = year if year is not None else latest_year(store, m.id, st)
    rows = observed_flows(store, m.id, st, int(year), exporters=exps, importers=imps,
                          partial_years=True)
    if rows.empty:
        have = store.sql("SELECT DISTINCT year FROM flows WHERE mineral = ? ORDER BY 1", [m.id])
        raise NoYearDataError(year, [str(y) for y in have["year"]],
                              f"No observed {m.id} flows match these filters in {year}.")
    prov = store.provenance_records(["flows"], sources=sorted(set(rows["source"])))
    extra = {"mineral": m.id, "stage": st, "year": int(year), "estimated_share": 0.0,
             "title": f"{m.name} observed flows {year}"}
    return MetricResult(rows[OBSERVED_COLUMNS].reset_index(drop=True), prov, extra)
