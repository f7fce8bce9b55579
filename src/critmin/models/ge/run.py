"""One GE scenario end to end: PPML, costs, GE, Monte Carlo bands -> :class:`Result`.

:meth:`StructuralGravity.solve` calls :func:`solve_scenario`. Changes are reported as
shares (0.01 is +1 %), like every critmin result; the engine
(:meth:`StructuralGravity.solve_arrays`) keeps the book's percent for its published tables.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from critmin.errors import InvalidParameterError
from critmin.models.base import Diagnostics, Result, Status

if TYPE_CHECKING:
    from critmin.baselines.ge import GEPanel
    from critmin.baselines.ge import GEBaseline
    from critmin.models.ge.model import StructuralGravity
    from critmin.scenario.values import Scenario


def share_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``x_change_pct[_q]`` (percent) -> ``x_change_share[_q]`` (0-1); ``x_change_pct_conditional``
    -> ``x_conditional_change_share``."""
    out = frame.copy()
    ren = {}
    for c in out.columns:
        if "_pct" in c:
            new = c.replace("_pct", "_share")
            # conditional GE is a variant of the measure, not a qualifier: name it first
            new = new.replace("_change_share_conditional", "_conditional_change_share")
            ren[c] = new
            out[c] = out[c] / 100.0
    return out.rename(columns=ren)


def solve_scenario(model: StructuralGravity, baseline: GEPanel | GEBaseline, scenario: Scenario,
                   progress: Any = None) -> Result:
    from critmin.models.ge.costs import cost_design, estimate, store_design
    from critmin.models.ge.monte_carlo import monte_carlo

    start = time.perf_counter()
    if hasattr(baseline, "coefficients"):  # a store baseline: the cost function was estimated at build
        design, fit = store_design(model, baseline, scenario)
    else:
        if not model.formula:
            raise InvalidParameterError(
                "StructuralGravity needs formula (ge.estimation.formula in a scenario file) to "
                "estimate trade costs on a data file, e.g. 'trade ~ ln_DIST + CNTG | exporter + importer'.")
        fit = estimate(model, baseline)
        design = cost_design(model, baseline, scenario, fit)
    beta = fit.coef[list(design.covariates)].to_numpy()
    if model.coefficients:  # a sweep draw: coefficients given, not estimated
        given = dict(model.coefficients)
        unknown = sorted(set(given) - set(design.covariates))
        if unknown:
            raise InvalidParameterError(f"coefficients of StructuralGravity name {unknown}, which are "
                                        f"not cost terms; accepted: {list(design.covariates)}.")
        beta = np.array([given.get(t, b) for t, b in zip(design.covariates, beta)])
    solution = model.solve_arrays(design.arrays(beta))
    countries = solution.countries.copy()
    warnings: list[str] = []
    parts: dict[str, dict[str, Any]] = {"ppml": {"observations": int(fit.nobs),
                                                  "fixed_effects_dropped": len(fit.dropped)}}
    if design.filled_pairs:
        parts["ppml"]["pairs_predicted"] = len(design.filled_pairs)
    if model.draws:
        cov = fit.vcov.loc[list(design.covariates), list(design.covariates)].to_numpy()
        bands, failed = monte_carlo(model, design, beta, cov, model.draws, seed=model.seed,
                                    progress=progress)
        countries = countries.merge(bands, on="country", how="left")
        parts["draws"] = {"draws": model.draws, "failed": failed, "seed": model.seed}
    world_y = countries["output_baseline"].sum()
    world_x = countries["exports_baseline"].sum()
    countries["output_share_baseline"] = countries["output_baseline"] / world_y
    countries["exports_share_baseline"] = countries["exports_baseline"] / world_x
    countries = countries.drop(columns=["output_baseline", "exports_baseline", "exports_counterfactual"])
    tables: dict[str, pd.DataFrame] = {"countries": share_columns(countries)}
    blocs = dict(model.blocs)
    if blocs:
        members = {name: baseline.within(m, f"ge.blocs.{name}") for name, m in blocs.items()}
        b = solution.blocs(members)
        b["members"] = b["members"].astype("int64")
        tables["blocs"] = share_columns(b)
    bil = solution.bilateral
    total = bil["trade_baseline"].sum()
    tables["bilateral"] = pd.DataFrame({
        "exporter": bil["exporter"], "importer": bil["importer"],
        "flow_share_baseline": bil["trade_baseline"] / total,
        "flow_conditional_change_share": bil["trade_conditional"] / bil["trade_baseline"] - 1.0,
        "flow_change_share": bil["trade_counterfactual"] / bil["trade_baseline"] - 1.0,
    })
    coef = fit.tidy()
    if model.coefficients:  # report the coefficients this solve used (a sweep's draw)
        coef["estimate"] = [dict(model.coefficients).get(t, e) for t, e in zip(coef["term"], coef["estimate"])]
    tables["coefficients"] = pd.DataFrame({"term": coef["term"], "estimate_coef": coef["estimate"],
                                           "std_error_coef": coef["std_error"],
                                           "p_value_share": coef["p_value"]})
    d = solution.diagnostics
    parts["ge"] = {k: v for k, v in d.items() if isinstance(v, int | float | str)}
    if model.method == "geppml-book":
        warnings.append("geppml-book stops by the book's rule (sd and max of the price update "
                        "below 0.01); residual is the last max update, not a market-clearing error")
    status = Status.BASELINE if d.get("baseline") else Status.CONVERGED
    diag = Diagnostics(status=status, iterations=int(d.get("iterations", 0)),
                       residual=float(d.get("residual", np.nan)), seconds=time.perf_counter() - start,
                       parts=parts, warnings=tuple(warnings))
    prov = [{**p, "estimated": True} for p in baseline.provenance]
    prov.append({"source": "critmin.models.ge", "used_for": "trade-cost coefficients",
                 "method": f"PPML ({fit.formula}), {fit.vcov_type} standard errors", "estimated": True})
    if design.filled_pairs:
        prov.append({"source": "critmin.models.ge", "used_for": "pair effects of pairs that never trade",
                     "method": f"predicted from gravity variables ({len(design.filled_pairs)} pairs)",
                     "estimated": True})
    for t in baseline.tariffs:
        prov.append({"source": "scenario", "used_for": "tariff in force in the baseline (assumption)",
                     "note": f"{t.exporters or 'all'} -> {t.importers or 'all'}: rate {t.rate}"})
    if scenario.path:
        prov.append({"source": "scenario file", "file": scenario.path, "used_for": "shocks"})
    top = tables["countries"].reindex(tables["countries"]["real_gdp_change_share"].abs()
                                      .sort_values(ascending=False).index).head(5)
    headline = [f"GE year {baseline.year}, {len(design.countries)} countries, sigma {model.sigma}, "
                f"{model.method} solution"]
    if "ROW" in design.countries:
        headline.append("ROW is the rest of the world, aggregated")
    headline += [f"{r.country}: real GDP {r.real_gdp_change_share:+.3%}, exports {r.exports_change_share:+.2%}"
                 for r in top.itertuples()]
    return Result(model="ge", scenario=scenario.name, tables=tables, diagnostics=diag,
                  provenance=tuple(prov), headline=tuple(headline),
                  parameters={"model": repr(model), "sigma": model.sigma,
                              "reference_importer": model.reference_importer,
                              "method": model.method, "formula": fit.formula,
                              "ge_year": baseline.year, "draws": model.draws})
