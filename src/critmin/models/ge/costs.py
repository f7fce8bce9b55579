"""Trade costs of a GE scenario: the PPML estimate and the cost arrays before and after.

The estimated cost term of a pair is ``log T_ij = x_ij'b`` (+ the pair effect in panels); a
shock sets or shifts covariates (``trade_cost_change``) or changes a tariff, and the term is
recomputed. Shocks never touch intranational pairs.

Tariffs. Flows are measured net of tariffs (at exporters' prices), so with CES demand an
ad-valorem tariff ``tau`` scales them by ``(1 + tau)^(-sigma)``: a change from the rate in
force (``baseline.tariffs``, 0 when none is given) to the shock's rate adds
``-sigma * log((1 + new) / (1 + old))`` to ``log T_ij``. Tariff revenue is not rebated: the
book's model has no tariff income (E = phi Y).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from critmin.errors import InputError, ScenarioError
from critmin.models.ge.model import GravityArrays
from critmin.models.ge.ppml import PPMLResult, estimate_ppml, split_formula

if TYPE_CHECKING:
    from critmin.baselines.ge import GEPanel
    from critmin.baselines.ge import GEBaseline
    from critmin.scenario.values import Scenario, Shock

@dataclass(frozen=True)
class CostDesign:
    """Covariates of the GE year as (n, n, k) arrays, plus fixed parts of log T."""

    countries: tuple[str, ...]
    covariates: tuple[str, ...]
    trade: np.ndarray               # (n, n) observed flows of the GE year
    x0: np.ndarray                  # (n, n, k) baseline covariates
    x1: np.ndarray                  # (n, n, k) counterfactual covariates
    fixed0: np.ndarray              # (n, n) pair effects (panels) or zeros
    tariff: np.ndarray              # (n, n) tariff term added to counterfactual log T
    filled_pairs: tuple[str, ...] = ()

    def arrays(self, beta: np.ndarray) -> GravityArrays:
        lc0 = self.fixed0 + self.x0 @ beta
        lc1 = self.fixed0 + self.x1 @ beta + self.tariff
        return GravityArrays(self.countries, self.trade, np.exp(lc0), np.exp(lc1))


def estimate(model: Any, baseline: GEPanel) -> PPMLResult:
    """The PPML of ``model.formula`` on the baseline panel."""
    frame = baseline.frame
    _, _, fes = split_formula(model.formula)
    if "pair" in fes and "pair" not in frame.columns:
        frame = frame.assign(pair=_pair_labels(frame))
    vcov = model.vcov if isinstance(model.vcov, str) else dict(model.vcov)
    return estimate_ppml(frame, model.formula, vcov=vcov)


def _pair_labels(frame: pd.DataFrame) -> np.ndarray:
    """Symmetric pair labels, as the book's ``pair_id``: one effect per unordered pair of
    countries, and one shared by all intranational pairs (domestic trade costs are the
    benchmark)."""
    e = frame["exporter"].astype(str).to_numpy()
    m = frame["importer"].astype(str).to_numpy()
    lo, hi = np.minimum(e, m), np.maximum(e, m)
    return np.where(e == m, "domestic", np.char.add(np.char.add(lo.astype(str), "-"), hi.astype(str)))


def _mask(baseline: GEPanel | GEBaseline, shock: Shock, pos: dict[str, int], where: str) -> np.ndarray:
    n = len(pos)
    ex = baseline.within(shock.exporters, f"{where}.exporters")
    im = baseline.within(shock.importers, f"{where}.importers")
    mask = np.zeros((n, n), dtype=bool)
    mask[np.ix_([pos[c] for c in ex], [pos[c] for c in im])] = True
    if shock.symmetric:
        mask |= mask.T
    return mask & ~np.eye(n, dtype=bool)


def apply_shocks(model: Any, baseline: GEPanel | GEBaseline, scenario: Scenario,
                 countries: tuple[str, ...], covars: list[str], x0: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Counterfactual covariates and the tariff term of ``log T`` (intranational pairs never
    change): ``trade_cost_change`` shocks set or shift covariates; ``tariff`` shocks move
    the rate from the one in force (``baseline.tariffs``, else 0)."""
    n = len(countries)
    pos = {c: i for i, c in enumerate(countries)}
    x1 = x0.copy()
    old = np.zeros((n, n))
    for m, shock in enumerate(baseline.tariffs):
        mask = _mask(baseline, shock, pos, f"baseline.tariffs[{m}]")
        old[mask] = shock.rate if shock.rate is not None else old[mask] + float(shock.change or 0.0)
    new = old.copy()
    for m, shock in enumerate(scenario.shocks):
        where = f"shocks[{m}]"
        mask = _mask(baseline, shock, pos, where)
        if shock.kind == "tariff":
            new[mask] = shock.rate if shock.rate is not None else new[mask] + float(shock.change or 0.0)
            continue
        if shock.kind != "trade_cost_change":
            raise ScenarioError(f"{where}: the GE model cannot express a {shock.kind!r} shock. "
                                "Model ge supports: tariff, trade_cost_change.")
        if shock.variable not in covars:
            raise ScenarioError(f"{where}.variable {shock.variable!r} is not a cost variable of the "
                                f"formula {model.formula or baseline.formula!r}; accepted: "
                                f"{', '.join(covars)}.")
        v = covars.index(shock.variable)
        if shock.value is not None:
            x1[..., v][mask] = shock.value
        else:
            x1[..., v][mask] += float(shock.change or 0.0)
    if (new < 0).any():
        raise ScenarioError("a tariff change takes a rate below 0.")
    return x1, -model.sigma * np.log((1 + new) / (1 + old))


def cost_design(model: Any, baseline: GEPanel, scenario: Scenario, fit: PPMLResult) -> CostDesign:
    """Covariate arrays for the GE year, the counterfactual, and panel pair effects."""
    _, covars, fes = split_formula(model.formula)
    data = baseline.frame
    if "pair" in fes and "pair" not in data.columns:
        data = data.assign(pair=_pair_labels(data))
    cur = data[data["year"] == baseline.year].copy()
    arr = GravityArrays.from_frame(cur.assign(log_cost=0.0, log_cost_cfl=0.0))
    countries = arr.countries
    n, k = len(countries), len(covars)
    pos = {c: i for i, c in enumerate(countries)}
    i = cur["exporter"].map(pos).to_numpy()
    j = cur["importer"].map(pos).to_numpy()
    x0 = np.zeros((n, n, k))
    x0[i, j, :] = cur[covars].to_numpy(float)
    x1, tariff = apply_shocks(model, baseline, scenario, countries, covars, x0)
    fixed0 = np.zeros((n, n))
    filled: tuple[str, ...] = ()
    if "pair" in fes:
        fixed0, filled = _pair_costs(model, cur, fit, pos)
    return CostDesign(countries, tuple(covars), arr.trade, x0, x1, fixed0, tariff, filled)


def store_design(model: Any, base: GEBaseline, scenario: Scenario) -> tuple[CostDesign, PPMLResult]:
    """The cost design of a store baseline (:class:`critmin.baselines.ge.GEBaseline`): GE-year
    flows, pair effects as the fixed part of ``log T``, the cost terms' covariates, and the
    stored PPML estimates as a :class:`PPMLResult` (for bands and reports)."""
    flows = base.flows
    arr = GravityArrays.from_frame(flows.rename(columns={"flow_usd": "trade"})
                                   .assign(log_cost=0.0, log_cost_cfl=0.0))
    countries = arr.countries
    n = len(countries)
    pos = {c: i for i, c in enumerate(countries)}
    i = flows["exporter"].map(pos).to_numpy()
    j = flows["importer"].map(pos).to_numpy()
    coef = base.coefficients.set_index("term")
    covars = list(base.cost_terms)
    cols = [str(coef.loc[t, "ge_variable"]) for t in covars]
    x0 = np.zeros((n, n, len(covars)))
    x0[i, j, :] = flows[cols].to_numpy(float)
    fixed0 = np.zeros((n, n))
    fixed0[i, j] = flows["pair_effect"].to_numpy(float)
    # shocks name the GE variables (rta, ...); the design's covariates are the terms
    names = [str(coef.loc[t, "ge_variable"]) for t in covars]
    x1, tariff = apply_shocks(model, base, scenario, countries, names, x0)
    terms = list(coef.index)
    fit = PPMLResult(formula=base.formula, coef=coef["estimate"].rename("estimate"),
                     vcov=base.covariance.loc[terms, terms],
                     nobs=int(coef["observations_count"].iloc[0]),
                     vcov_type=str(coef["vcov"].iloc[0]), fitted=np.array([]))
    predicted = flows.loc[flows["pair_effect_method"] == "predicted"]
    filled = tuple(f"{e}->{m}" for e, m in zip(predicted["exporter"], predicted["importer"], strict=True))
    return CostDesign(countries, tuple(covars), arr.trade, x0, x1, fixed0, tariff, filled), fit


def _pair_costs(model: Any, cur: pd.DataFrame, fit: PPMLResult, pos: dict[str, int]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Pair effects of the GE year, with the unidentified ones (pairs that never trade)
    predicted by a second PPML of exp(pair effect) on ``fill_missing_pairs`` with exporter
    and importer effects, as in the book's application 2."""
    n = len(pos)
    gamma = fit.fixef.get("pair")
    if gamma is None:
        raise InputError("the pair fixed effects could not be recovered from the PPML fit.")
    g = cur["pair"].map(gamma)
    g = g - gamma.get("domestic", 0.0)
    lack = g.isna().to_numpy()
    filled: tuple[str, ...] = ()
    if lack.any():
        rhs = model.fill_missing_pairs
        shown = _pairs_text(cur[lack])
        if not rhs:
            raise InputError(f"{int(lack.sum())} pair(s) never trade, so their pair effect cannot "
                             f"be identified: {shown}. Set ge.estimation.fill_missing_pairs to "
                             "gravity variables (e.g. ln_DIST + CNTG) to predict them.")
        second = cur[cur["exporter"] != cur["importer"]].assign(tij=np.exp(g))
        known = second[second["tij"].notna()]
        fit2 = estimate_ppml(known, f"tij ~ {rhs} | exporter + importer", vcov="hetero")
        b2 = fit2.coef
        fe = fit2.fixef
        miss = cur[lack]
        lin = miss[list(b2.index)].to_numpy(float) @ b2.to_numpy()
        lin += miss["exporter"].map(fe.get("exporter", {})).fillna(0).to_numpy()
        lin += miss["importer"].map(fe.get("importer", {})).fillna(0).to_numpy()
        g = g.copy()
        g[lack] = lin
        filled = tuple(f"{e}->{m}" for e, m in zip(miss["exporter"], miss["importer"]))
    out = np.zeros((n, n))
    out[cur["exporter"].map(pos).to_numpy(), cur["importer"].map(pos).to_numpy()] = g.to_numpy(float)
    return out, filled


def _pairs_text(frame: pd.DataFrame, limit: int = 8) -> str:
    rows = [f"{e}->{m}" for e, m in zip(frame["exporter"], frame["importer"])]
    return ", ".join(rows[:limit]) + (f" ... ({len(rows)} in all)" if len(rows) > limit else "")


