"""How far to trust estimated baseline cells: the completion measured against observed truth.

For every market whose HS codes are all listed completely by BACI in a year (the atlas's
30-code matrices, 2022 and 2024), the observed cells of those codes are hidden (every
source's rows of the codes and their headings in that year: BACI, Comtrade, USITC), the
matrix is completed by :func:`critmin.baseline.build_baseline` from production, GDP,
distances and the USGS inputs alone, and its cross-border cells are compared with BACI:

- ``wae``: weighted absolute error of importer shares, sum over importers j of
  (j's true imports / world imports) x 1/2 sum_i |est share_ij - true share_ij| (0 = the
  right supplier mix everywhere, 1 = entirely wrong);
- ``rank_corr``: Spearman rank correlation of exporters' cross-border tonnes, estimated vs
  true, over the true top 10 exporters;
- ``top_right``: whether the largest exporter is the true one.

Baseline (measured in the same run): the **naive prior**, every importer buying from
every other producer in proportion to its production (no gravity, no RAS), with the true
import totals. The estimator's two free parameters (distance elasticity, home bias) are
tuned on 2022 only (grid below; 2022 tonnes come from 2024 unit values, flagged so in
the store) and the tuned and default estimators are reported on 2024.

Run: ``CRITMIN_STORE=out/src.duckdb python benchmarks/bench_baseline_estimator.py`` (a store
built from ../shared/data; the snapshot store works too). ``--quick`` tunes on a 2 x 2 grid.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from critmin.baseline import build_baseline, complete_codes, market_complete
from critmin.baseline_store import markets
from critmin.errors import CritminError
from critmin.store import Store
from critmin.store.views import production_view

GRID = {"distance_elasticity": (0.5, 1.0, 1.5, 2.0), "home_bias": (1.0, 5.0, 20.0)}
QUICK_GRID = {"distance_elasticity": (1.0, 2.0), "home_bias": (1.0, 5.0)}
DEFAULT = {"distance_elasticity": 1.0, "home_bias": 5.0}


def complete_markets(store: Store, year: int) -> list[tuple[str, str]]:
    done = complete_codes(store, year)
    return [(m, s) for m, s in markets() if market_complete(store, m, s, year, complete=done)]


def truth(store: Store, mineral: str, stage: str, year: int) -> pd.Series:
    """Observed cross-border tonnes by (exporter, importer): the complete BACI cells."""
    b = build_baseline(store, mineral, stage, year)
    f = b.flows[~b.flows["domestic"] & (b.flows["method"] != "estimated")]
    f = f[(f["exporter"] != "OTH") & (f["importer"] != "OTH")]
    return f.set_index(["exporter", "importer"])["quantity_t"]


def hidden_store(src: Path, year: int, codes: set[str], tmp: Path) -> Store:
    """A copy of the store without any flow row of ``codes`` (or their headings) in ``year``."""
    path = tmp / f"hidden_{year}.duckdb"
    shutil.copyfile(src, path)
    con = duckdb.connect(str(path))
    headings = {c[:4] for c in codes}
    con.execute("DELETE FROM flows WHERE year = ? AND (hs_code IN (SELECT unnest(?)) OR "
                "hs_code IN (SELECT unnest(?)))", [year, sorted(codes), sorted(headings)])
    for t in ("baselines", "baseline_markets"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    con.close()
    return Store.open(path)


def scores(est: pd.Series, true: pd.Series) -> dict[str, float]:
    """wae, rank_corr, top_right of an estimated cross-border matrix against the truth."""
    true = true[true > 0]
    imports = true.groupby(level="importer").sum()
    world = float(imports.sum())
    est = est.reindex(est.index.union(true.index), fill_value=0.0)
    wae = 0.0
    for j, m_j in imports.items():
        t = true.xs(j, level="importer")
        e = est.xs(j, level="importer") if j in est.index.get_level_values("importer") else t * 0
        e = e[e.index != j]
        idx = t.index.union(e.index)
        ts = t.reindex(idx, fill_value=0.0) / t.sum()
        es = e.reindex(idx, fill_value=0.0)
        es = es / es.sum() if es.sum() > 0 else es
        wae += (m_j / world) * 0.5 * float((es - ts).abs().sum())
    exp_true = true.groupby(level="exporter").sum().sort_values(ascending=False)
    exp_est = est.groupby(level="exporter").sum()
    top = exp_true.index[:10]
    rho = stats.spearmanr(exp_true[top], exp_est.reindex(top, fill_value=0.0)).statistic \
        if len(top) > 2 else np.nan
    return {"wae": wae, "rank_corr": float(rho) if rho == rho else np.nan,
            "top_right": float(exp_est.idxmax() == exp_true.index[0]) if len(exp_est) else 0.0}


def estimator(hidden: Store, mineral: str, stage: str, year: int, **kw: float) -> pd.Series:
    b = build_baseline(hidden, mineral, stage, year, **kw)
    f = b.flows[~b.flows["domestic"] & (b.flows["exporter"] != "OTH") & (b.flows["importer"] != "OTH")]
    return f.set_index(["exporter", "importer"])["quantity_t"]


def naive(store: Store, mineral: str, stage: str, year: int, true: pd.Series,
          production_stage: str) -> pd.Series:
    """Production shares, no gravity, no RAS: importer j's true imports split over every
    other producer by production."""
    p = production_view(store, mineral, stage=production_stage, year=year)
    p = p[~p["country"].isin(["WLD", "OTH"]) & p["quantity_t"].notna()]
    p = p[p["basis"] == p["basis"].mode().iloc[0]].groupby("country")["quantity_t"].sum()
    p = p[p > 0]
    imports = true.groupby(level="importer").sum()
    rows = []
    for j, m_j in imports.items():
        q = p[p.index != j]
        rows.extend((i, j, m_j * v / q.sum()) for i, v in q.items())
    out = pd.DataFrame(rows, columns=["exporter", "importer", "quantity_t"])
    return out.set_index(["exporter", "importer"])["quantity_t"]


def evaluate(src: Path, year: int, params: list[dict[str, float]],
             tmp: Path) -> tuple[pd.DataFrame, dict[str, float]]:
    store = Store.open(src)
    mk = complete_markets(store, year)
    truths, pst = {}, {}
    for m, s in mk:
        try:
            truths[(m, s)] = truth(store, m, s, year)
            pst[(m, s)] = s
        except CritminError:
            try:
                build_baseline(store, m, s, year, production_stage="mine")
                truths[(m, s)] = truth_mine(store, m, s, year)
                pst[(m, s)] = "mine"
            except CritminError:
                continue
    codes = {c for m, s in truths for c in _codes(m, s)}
    hidden = hidden_store(src, year, codes, tmp)
    rows = []
    for (m, s), true in truths.items():
        if true.sum() <= 0:
            continue
        nv = scores(naive(store, m, s, year, true, pst[(m, s)]), true)
        rows.append({"mineral": m, "stage": s, "year": year, "estimator": "naive prior",
                     "cross_border_t": float(true.sum()), **nv})
        for kw in params:
            try:
                est = estimator(hidden, m, s, year, production_stage=pst[(m, s)], **kw)
            except CritminError as exc:
                print(f"    {m} {s} {year} {kw}: no estimate ({str(exc)[:80]})")
                continue
            rows.append({"mineral": m, "stage": s, "year": year,
                         "estimator": f"critmin theta={kw['distance_elasticity']} "
                                      f"home_bias={kw['home_bias']}",
                         "cross_border_t": float(true.sum()), **scores(est, true), **kw})
    frame = pd.DataFrame(rows)
    best = DEFAULT
    if len(params) > 1 and len(frame):
        crit = frame[frame["estimator"] != "naive prior"].groupby(
            ["distance_elasticity", "home_bias"])["wae"].mean()
        d, h = crit.idxmin()
        best = {"distance_elasticity": float(d), "home_bias": float(h)}
    return frame, best


def truth_mine(store: Store, mineral: str, stage: str, year: int) -> pd.Series:
    b = build_baseline(store, mineral, stage, year, production_stage="mine")
    f = b.flows[~b.flows["domestic"] & (b.flows["method"] != "estimated")]
    f = f[(f["exporter"] != "OTH") & (f["importer"] != "OTH")]
    return f.set_index(["exporter", "importer"])["quantity_t"]


def _codes(mineral: str, stage: str) -> list[str]:
    from critmin.baseline import market_codes

    return [e.code for e in market_codes(mineral, stage)]


def summary(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    return frame.groupby("estimator").agg(markets=("wae", "size"), wae_mean=("wae", "mean"),
                                          wae_median=("wae", "median"),
                                          rank_corr_mean=("rank_corr", "mean"),
                                          top_right_share=("top_right", "mean")).assign(set=label)


def main(quick: bool) -> None:
    src = Path(os.environ.get("CRITMIN_STORE", "out/src.duckdb"))
    if not src.exists():
        print(f"No store at {src}: build one (critmin data build --source-dir ../shared/data) and "
              "set CRITMIN_STORE.")
        sys.exit(1)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        grid = QUICK_GRID if quick else GRID
        tune, best = evaluate(src, 2022, [{"distance_elasticity": d, "home_bias": h}
                                          for d in grid["distance_elasticity"]
                                          for h in grid["home_bias"]], Path(tmp))
        print("Tuning on 2022 (hidden complete cells; mean over markets):")
        print(summary(tune, "2022").sort_values("wae_mean").to_string(float_format="%.3f"))
        print(f"-> chosen on 2022: {best}")
        test, _ = evaluate(src, 2024, [DEFAULT] if best == DEFAULT else [DEFAULT, best],
                           Path(tmp))
    print("\nReported on 2024 (held out; not used for tuning), per market:")
    cols = ["mineral", "stage", "estimator", "cross_border_t", "wae", "rank_corr", "top_right"]
    print(test[cols].sort_values(["mineral", "stage", "estimator"]).to_string(
        index=False, float_format="%.3f"))
    s = summary(test, "2024")
    print("\n2024 summary (mean over markets):")
    print(s.to_string(float_format="%.3f"))
    naive_wae = float(s.loc["naive prior", "wae_mean"])
    for name, r in s.iterrows():
        if name != "naive prior":
            print(f"ratio wae {name} / naive prior = {r['wae_mean'] / naive_wae:.2f}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    from _machine import machine_report

    with machine_report("bench_baseline_estimator"):
        main("--quick" in sys.argv)
