"""critmin's structural-gravity GE against USITC's gegravity 0.3, in one process.

Two experiments, same inputs for both packages:

1. gegravity's own example: its sample data (30 countries, 2006; ../shared/data/gegravity/
   sample_data_set.dlm), a Canada-Japan PTA, sigma = 5, reference importer DEU and the
   cost coefficients printed in its documentation.
2. "Trade without borders" (Yotov et al. 2016, ch. 2, app. 1): 69 countries, sigma = 7,
   PPML coefficients from critmin.models.ge.ppml (= the book's Stata log), compared also with
   the book's published table.

For each it prints the wall time of both (model set-up + baseline + counterfactual), the
ratio, the largest differences in per-country results, and how far each solution is from
satisfying the full-endowment equations with output and expenditure updated (the
market-clearing residual, max |demand/supply - 1|).

Run: .venv/bin/python benchmarks/ge_vs_gegravity.py   (needs the `bench` extra)
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.config import default_source_dir
from critmin.models.ge.model import GravityArrays, StructuralGravity
from critmin.models.ge.solver import biproportional

GEGRAVITY_EXAMPLE = {"lndist": -0.3898623, "contiguity": 0.891577, "common_language": 0.0326249,
                     "pta": 0.4711383, "international": -3.412584, "constant": 16.32434}
GEGRAVITY_SE = {"lndist": 0.0729915, "contiguity": 0.1327354, "common_language": 0.0840702,
                "pta": 0.1076578, "international": 0.2151235, "constant": 0.4844137}


def run_gegravity(data: pd.DataFrame, cfl: pd.DataFrame, coefs: dict[str, float], sigma: float,
                  ref: str) -> tuple[pd.DataFrame, float]:
    import gegravity as ge

    ests = pd.DataFrame({"var": list(coefs), "beta": list(coefs.values()),
                         "stderr": [GEGRAVITY_SE.get(k, 0.1) for k in coefs]})
    # gegravity's docs: try OMR rescale factors until the baseline MRs solve; only the
    # successful attempt is timed (a conservative ratio for critmin)
    for rescale in (1, 10, 100, 1000, 0.1, 0.01, 1e4, 1e5, 1e-3):
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            baseline = ge.BaselineData(data, imp_var_name="importer", exp_var_name="exporter",
                                       year_var_name="year", trade_var_name="trade",
                                       expend_var_name="E", output_var_name="Y")
            params = ge.CostCoeffs(estimates=ests, identifier_col="var", coeff_col="beta",
                                   stderr_col="stderr")
            model = ge.OneSectorGE(baseline=baseline, cost_coeff_values=params,
                                   cost_variables=list(coefs), year="2006",
                                   reference_importer=ref, sigma=sigma, quiet=True)
            try:
                model.build_baseline(omr_rescale=rescale)
            except ValueError:
                continue
            model.define_experiment(cfl)
            model.simulate()
        elapsed = time.perf_counter() - t
        print(f"  gegravity: omr_rescale={rescale} solved; full GE converged: "
              f"{model.solver_diagnostics['full_GE'].success}")
        break
    else:
        raise SystemExit("gegravity: no omr_rescale factor solved the baseline")
    r = model.country_results
    out = pd.DataFrame({
        "factory_price_change_pct": r["factory gate price change (percent)"],
        "imr_change_pct": r["imr change (percent)"],
        "real_gdp_change_pct": r["GDP change (percent)"],
        "exports_change_pct": r["foreign exports change (percent)"],
    })
    out.index.name = "country"
    return out, elapsed


def run_critmin(data: pd.DataFrame, cfl: pd.DataFrame, coefs: dict[str, float], sigma: float,
                ref: str, repeat: int = 20) -> tuple[pd.DataFrame, float, object]:
    names = [k for k in coefs if k != "constant"]     # a constant cancels in GE
    beta = np.array([coefs[k] for k in names])
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        frame = pd.DataFrame({"exporter": data["exporter"], "importer": data["importer"],
                              "trade": data["trade"],
                              "log_cost": data[names].to_numpy(float) @ beta,
                              "log_cost_cfl": cfl[names].to_numpy(float) @ beta})
        res = StructuralGravity(sigma=sigma, reference_importer=ref).solve_arrays(frame)
        times.append(time.perf_counter() - t)
    c = res.countries.set_index("country")
    return c, float(np.median(times)), res


def market_clearing_residual(data: pd.DataFrame, cfl: pd.DataFrame, coefs: dict[str, float],
                             sigma: float, price_pct: pd.Series) -> float:
    """max |demand / supply - 1| of a price vector in the full-endowment equations with
    Y' = p Y and E' = phi Y' (scaled so world spending = world output), baseline = the
    fitted flows; the reference normalisation does not affect the ratio."""
    names = [k for k in coefs if k != "constant"]
    beta = np.array([coefs[k] for k in names])
    arr = GravityArrays.from_frame(pd.DataFrame({
        "exporter": data["exporter"], "importer": data["importer"], "trade": data["trade"],
        "log_cost": data[names].to_numpy(float) @ beta,
        "log_cost_cfl": cfl[names].to_numpy(float) @ beta}))
    a, b, _ = biproportional(arr.cost0, arr.trade.sum(1), arr.trade.sum(0))
    X = a[:, None] * arr.cost0 * b[None, :]
    Y, E = X.sum(1), X.sum(0)
    p = 1 + price_pct.reindex(arr.countries).to_numpy() / 100
    A = X / E[None, :] * (arr.cost1 / arr.cost0) * p[:, None] ** (1 - sigma)
    spend = E / Y * p * Y
    spend *= (p * Y).sum() / spend.sum()
    demand = (A / A.sum(0)[None, :]) @ spend
    return float(np.max(np.abs(demand / (p * Y) - 1)))


def compare(title: str, data, cfl, coefs, sigma, ref, published: pd.DataFrame | None = None) -> None:
    g, t_g = run_gegravity(data, cfl, coefs, sigma, ref)
    c, t_c, _ = run_critmin(data, cfl, coefs, sigma, ref)
    print(f"\n== {title}: {len(c)} countries, sigma = {sigma}, reference importer {ref}")
    print(f"time   gegravity 0.3 {t_g * 1000:9.1f} ms   critmin {t_c * 1000:7.2f} ms   "
          f"ratio {t_g / t_c:7.0f}x  (goal >= 100x)")
    print("largest |critmin - gegravity| (percentage points):")
    for col in g.columns:
        d = (c[col] - g[col]).abs()
        print(f"  {col:28s} {d.max():9.4f}  ({d.idxmax()}: critmin {c.loc[d.idxmax(), col]:+.4f}, "
              f"gegravity {g.loc[d.idxmax(), col]:+.4f})")
    rc = market_clearing_residual(data, cfl, coefs, sigma, c["factory_price_change_pct"])
    rg = market_clearing_residual(data, cfl, coefs, sigma, g["factory_price_change_pct"])
    print(f"market-clearing residual of the full-endowment model: critmin {rc:.1e}, gegravity {rg:.1e}")
    if published is not None:
        names = {"change_price_FULL": "factory_price_change_pct", "change_IMR_FULL": "imr_change_pct",
                 "change_rGDP_FULL": "real_gdp_change_pct", "change_Xi_FULL": "exports_change_pct"}
        print("largest |result - published Stata table| (percentage points):")
        book = StructuralGravity(sigma=sigma, reference_importer=ref, method="geppml-book")
        b = book.solve_arrays(GravityArrays.from_frame(res_frame(data, cfl, coefs))).countries.set_index("country")
        for pub_col, col in names.items():
            p = published[pub_col]
            dc, dg, db = ((x[col] - p).abs() for x in (c, g, b))
            print(f"  {col:28s} critmin exact {dc.max():8.3f} ({dc.idxmax()})  gegravity "
                  f"{dg.max():8.3f} ({dg.idxmax()})  critmin geppml-book {db.max():.5f}")


def res_frame(data, cfl, coefs) -> pd.DataFrame:
    names = [k for k in coefs if k != "constant"]
    beta = np.array([coefs[k] for k in names])
    return pd.DataFrame({"exporter": data["exporter"], "importer": data["importer"],
                         "trade": data["trade"], "log_cost": data[names].to_numpy(float) @ beta,
                         "log_cost_cfl": cfl[names].to_numpy(float) @ beta})


def main() -> None:
    root = default_source_dir()
    if root is None:
        raise SystemExit("../shared/data is absent: set CRITMIN_SOURCE_DIR.")
    # 1. gegravity's own example
    sample = pd.read_csv(Path(root) / "gegravity" / "sample_data_set.dlm")
    sample["constant"] = 1
    sample["year"] = sample["year"].astype(str)
    cfl = sample.copy()
    pair = ((cfl.exporter == "CAN") & (cfl.importer == "JPN")) | ((cfl.exporter == "JPN") & (cfl.importer == "CAN"))
    cfl.loc[pair, "pta"] = 1
    compare("gegravity example: Canada-Japan PTA", sample, cfl, GEGRAVITY_EXAMPLE, 5.0, "DEU")
    print("  note: gegravity takes output and expenditure from the Y and E columns (totals over "
          "all partners); critmin from the 30 x 30 flows, so baselines differ slightly.")

    # 2. trade without borders
    from critmin.models.ge.ppml import estimate_ppml

    d = pd.read_csv(Path(root) / "yotov2016" / "ch2_app1_trade_without_border_2006.csv.gz")
    for col in ("exporter", "importer"):
        d[col] = d[col].replace({"ZZZ": "DEU"})
    fit = estimate_ppml(d, "trade ~ ln_DIST + CNTG + INTL_BRDR | exporter + importer")
    coefs = {k: float(v) for k, v in fit.coef.items()}
    d["year"] = d["year"].astype(int).astype(str)
    cfl = d.copy()
    cfl["INTL_BRDR"] = 0.0
    pub = pd.read_csv(Path(root) / "yotov2016" / "results" / "ch2_app1_trade_without_border_FULL.csv")
    compare("Yotov et al. (2016) ch. 2: trade without borders", d, cfl, coefs, 7.0, "DEU",
            published=pub.set_index("country"))


if __name__ == "__main__":
    from _machine import machine_report

    with machine_report("ge_vs_gegravity"):
        main()
