"""The sourcing optimiser: where else a country or bloc can buy, how much, at what cost.

For one market, choose purchases by supplier that meet the unit's demand at least cost,
subject to each supplier's exportable supply, a cap on any one supplier's share (and on
any origin one stage up), exclusions, a preferred bloc, a governance budget and an
optional HHI cap; unmet demand is a priced slack. The LP and its solver are in
:mod:`critmin.models.sourcing.lp` (HiGHS through ``highspy``; why there).

Costs: tonnes up to what the unit buys from a supplier today cost the delivered unit
cost; further tonnes (bid away from the supplier's other customers, at most
``flexibility_share`` of what they take, or new supply) cost ``new_supply_premium`` times
it (default 1.5: the IEA's "typically 50 % higher" capital cost of supply outside the
dominant producer, *Global Critical Minerals Outlook 2024*). The cost of de-risking is the
plan's cost against the cheapest plan without the buyer's limits (cap 1.0, no exclusions,
no risk or HHI bound), which is never negative; the cost against the unit's baseline
sourcing is reported beside it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from critmin.errors import InvalidParameterError
from critmin.models.base import Diagnostics, Result, Status, non_default_repr
from critmin.models.sourcing.lp import LPData, LPSolution, SourcingLP
from critmin.models.sourcing.problem import InfeasiblePlanError, SourcingProblem, SourcingScenario

UNKNOWN_RISK = 10.0   # a supplier without a WGI estimate counts as the worst governance
BINDING_TOL = 1e-7    # relative slack under which a constraint counts as binding


def money(usd: float) -> str:
    """``1.2 M USD``: a number of dollars in words a briefing can quote."""
    a = abs(usd)
    for div, word in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{usd / div:,.{1 if a < 100 * div else 0}f} {word} USD"
    return f"{usd:,.0f} USD"


@dataclass(frozen=True, slots=True)
class Sourcing:
    """The sourcing optimiser (``model: sourcing``).

    Parameters
    ----------
    flexibility_share : float
        Share (0-1) of what a supplier's other customers take that can be redirected to the
        unit within the year. Default 0.25: an assumption (a quarter of contracted volumes
        rolls over in a year), stated in every result; sweep it.
    new_supply_premium : float
        Cost multiple (>= 1) of tonnes beyond what the unit buys from a supplier today.
        Default 1.5 (IEA, *Global Critical Minerals Outlook 2024*: new supply outside the
        dominant producer "typically" costs 50 % more).
    value_of_lost_supply_usd_per_t : float, optional
        Price of one unmet tonne in the objective. Default: ``lost_supply_multiple`` times
        the highest delivered cost of the market (any available tonne is bought first).
    lost_supply_multiple : float
        See above (default 10).
    prefer_margin_share : float
        Cost advantage (0-1) given to preferred suppliers in the objective (default 0.10);
        reported costs stay actual.
    price_feedback_share : float
        When the plan moves more than this share (default 0.05) of the market's trade or of a
        supplier's output, the result says a fixed-price plan understates the cost.
    frontier : bool
        Also compute the de-risking frontier: cost against the cap from 1.0 to the
        tightest cap that keeps unmet tonnes where they are at 1.0 (``frontier_points``
        caps), and against the number of excluded suppliers (the largest first).
    frontier_points : int
        Caps on the frontier (default 21).
    exclusion_steps : int
        Largest suppliers excluded one after another on the exclusion frontier (default 5).

    Examples
    --------
    >>> Sourcing(flexibility_share=0.5)
    Sourcing(flexibility_share=0.5)
    """

    name = "sourcing"

    flexibility_share: float = 0.25
    new_supply_premium: float = 1.5
    value_of_lost_supply_usd_per_t: float | None = None
    lost_supply_multiple: float = 10.0
    prefer_margin_share: float = 0.10
    price_feedback_share: float = 0.05
    frontier: bool = False
    frontier_points: int = 21
    exclusion_steps: int = 5

    def __post_init__(self) -> None:
        checks = (("flexibility_share", 0.0 <= self.flexibility_share <= 1.0, "between 0 and 1"),
                  ("new_supply_premium", self.new_supply_premium >= 1.0, ">= 1"),
                  ("lost_supply_multiple", self.lost_supply_multiple >= 1.0, ">= 1"),
                  ("prefer_margin_share", 0.0 <= self.prefer_margin_share < 1.0, "in [0, 1)"),
                  ("price_feedback_share", 0.0 < self.price_feedback_share <= 1.0, "in (0, 1]"),
                  ("frontier_points", self.frontier_points >= 2, ">= 2"),
                  ("exclusion_steps", self.exclusion_steps >= 0, ">= 0"))
        for name, ok, what in checks:
            if not ok:
                raise InvalidParameterError(f"{name} of Sourcing must be {what}. "
                                            f"Got {getattr(self, name)!r}.")
        v = self.value_of_lost_supply_usd_per_t
        if v is not None and not (math.isfinite(v) and v > 0):
            raise InvalidParameterError(f"value_of_lost_supply_usd_per_t must be > 0. Got {v!r}.")

    def __repr__(self) -> str:
        return non_default_repr(self)

    def parameters(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # ------------------------------------------------------------------ building the LP

    def voll(self, problem: SourcingProblem) -> float:
        if self.value_of_lost_supply_usd_per_t is not None:
            return float(self.value_of_lost_supply_usd_per_t)
        top = max(problem.unit_cost_usd_per_t) * self.new_supply_premium
        return self.lost_supply_multiple * max(top, 1.0)

    def lp_data(self, problem: SourcingProblem, scenario: SourcingScenario, *,
                limits: bool = True) -> LPData:
        """The LP's arrays. ``limits=False``: the cheapest plan without the buyer's limits
        (no cap, exclusions, risk or HHI bound; preference kept out too)."""
        n = len(problem.suppliers)
        internal = np.array(problem.internal, dtype=bool)
        current = np.array(problem.current_t)
        extra = self.flexibility_share * np.array(problem.redirectable_t)
        excluded = np.array([s in scenario.exclude for s in problem.suppliers]) & limits
        weight = np.ones(n)
        if limits and scenario.prefer:
            pref = np.array([s in scenario.prefer for s in problem.suppliers])
            weight = np.where(pref, 1.0 - self.prefer_margin_share, 1.0)
        risk = np.array(problem.risk_index)
        risk = np.where(np.isnan(risk), UNKNOWN_RISK, risk)
        look = limits and scenario.look_through and len(problem.origins) > 0
        origin_share = np.array(problem.origin_share) if look else np.zeros((n, 0))
        members = set(problem.members)
        origin_capped = np.array([o not in members for o in problem.origins]) if look else np.zeros(0, bool)
        return LPData(
            demand_t=problem.demand_t, cost=np.array(problem.unit_cost_usd_per_t), weight=weight,
            premium=self.new_supply_premium, base_ub=np.where(excluded, 0.0, current),
            extra_ub=np.where(excluded, 0.0, extra), capped=~internal if limits else np.zeros(n, bool),
            origin_share=origin_share, origin_capped=origin_capped, risk=risk,
            max_risk=scenario.max_risk if limits else None,
            hhi_cap=scenario.hhi_cap if limits else None, voll=self.voll(problem),
            allow_unmet=not scenario.demand_must_be_met)

    # ------------------------------------------------------------------ solve

    def solve(self, baseline: SourcingProblem | Sequence[SourcingProblem],
              scenario: Any = None, on_step: Any = None) -> Result:
        """The least-cost plan for ``baseline`` (a :class:`SourcingProblem`, or several
        markets of one unit) under ``scenario``; a :class:`~critmin.models.base.Result`.

        ``scenario`` is a :class:`SourcingScenario`, or a scenario-language value whose
        ``settings.limits`` is one; None applies the defaults (cap 0.65). With several
        markets every table gains ``mineral``, ``stage`` and ``year`` columns.
        ``on_step(label, done, total)`` is called as frontier points are solved.

        Raises
        ------
        InfeasiblePlanError
            With ``demand_must_be_met``, when the hard constraints cannot hold together;
            the message names the ones that conflict.
        """
        sc = _limits(scenario)
        if isinstance(baseline, list | tuple):
            if not baseline:
                raise InvalidParameterError("Sourcing.solve got no markets to plan for.")
            parts = []
            for k, p in enumerate(baseline):
                parts.append(self._solve_one(p, sc, None))
                if on_step is not None:
                    on_step(p.label, k + 1, len(baseline))
            return combine(parts, list(baseline), sc.name)
        return self._solve_one(baseline, sc, on_step)

    def _solve_one(self, problem: SourcingProblem, sc: SourcingScenario, on_step: Any) -> Result:
        if not isinstance(problem, SourcingProblem):
            raise InvalidParameterError("Sourcing.solve needs a SourcingProblem (build one with "
                                        "critmin.sourcing_data.sourcing_problem or "
                                        f"problem_from_options). Got {type(problem).__name__}.")
        warnings = list(_exclusion_warnings(problem, sc))
        t0 = time.perf_counter()
        data = self.lp_data(problem, sc)
        lp = SourcingLP(data)
        lp.set_cap(sc.cap_share)
        sol = lp.solve()
        if sol.status == "infeasible":
            raise InfeasiblePlanError(self.explain_infeasible(problem, sc))
        if sol.status != "optimal":
            from critmin.errors import SolveError

            raise SolveError(f"HiGHS stopped with status {sol.status!r} on {problem.label}.",
                             {"status": sol.status})
        free = SourcingLP(self.lp_data(problem, sc, limits=False)).solve()
        iterations = sol.iterations + free.iterations
        parts: dict[str, dict[str, Any]] = {
            "plan": {"iterations": sol.iterations, "objective_usd": sol.objective,
                     "hhi_cut_rounds": sol.hhi_rounds},
            "cheapest": {"iterations": free.iterations, "objective_usd": free.objective}}
        tables: dict[str, Any] = {}
        tables["suppliers"] = self._supplier_table(problem, sc, data, sol)
        tables["plan"] = self._plan_table(problem, sol)
        if problem.origins:
            tables["origins"] = self._origin_table(problem, sol)
        reason = self._unmet_reason(problem, sc, data, sol) if sol.unmet_t > 1e-9 * problem.demand_t else ""
        tables["cost"] = self._cost_table(problem, sc, data, sol, free, reason)
        shadow = self._shadow_table(problem, sc, data, sol)
        tables["shadow_prices"] = shadow
        shift, moved = self._market_shift(problem, sol)
        tables["market_shift"] = shift
        warnings += moved
        if self.frontier:
            cap_frontier, excl_frontier, its = self._frontier(problem, sc, lp, sol, on_step)
            tables["frontier"] = cap_frontier
            tables["frontier_exclusions"] = excl_frontier
            iterations += its
            parts["frontier"] = {"iterations": its, "points": len(cap_frontier),
                                 "tightest_cap_share": float(cap_frontier["cap_share"].min())}
        flagged = [s for s, m in zip(problem.suppliers, problem.cost_method) if "flagged" in m]
        if flagged:
            warnings.append(f"no observed unit value for {len(flagged)} supplier(s) "
                            f"({', '.join(flagged[:8])}{' ...' if len(flagged) > 8 else ''}): "
                            "their cost is the market price (cost_method says so)")
        if sc.max_risk is not None and any(math.isnan(r) for r in problem.risk_index):
            unknown = [s for s, r in zip(problem.suppliers, problem.risk_index) if math.isnan(r)]
            warnings.append(f"no WGI estimate for {', '.join(unknown[:8])}: counted as risk "
                            f"{UNKNOWN_RISK:g} (the worst) by the governance budget")
        residual = abs(float(sol.quantity_t.sum()) + sol.unmet_t - problem.demand_t)
        diag = Diagnostics(status=Status.OPTIMAL, iterations=iterations, residual=residual,
                           objective=sol.objective, seconds=time.perf_counter() - t0,
                           parts=parts, warnings=tuple(warnings))
        return Result(model="sourcing", scenario=sc.name, tables=tables, diagnostics=diag,
                      provenance=self._provenance(problem),
                      headline=tuple(self._headline(problem, sc, tables, reason)),
                      parameters={**self.parameters(), "scenario": _scenario_dict(sc),
                                  "value_of_lost_supply_usd_per_t": data.voll})

    # ------------------------------------------------------------------ tables

    def _supplier_table(self, p: SourcingProblem, sc: SourcingScenario, d: LPData,
                        s: LPSolution) -> Any:
        import pandas as pd

        q = s.quantity_t
        D = p.demand_t
        cost = np.array(p.unit_cost_usd_per_t)
        paid = s.base_t * cost + s.extra_t * cost * d.premium
        cap_t = d.base_ub + d.extra_ub
        frame = pd.DataFrame({
            "supplier": list(p.suppliers), "internal": list(p.internal),
            "excluded": [x in sc.exclude for x in p.suppliers],
            "quantity_t": q, "quantity_t_baseline": np.array(p.baseline_t),
            "share": q / D, "share_baseline": np.array(p.baseline_t) / D,
            "new_supply_t": s.extra_t, "capacity_t": cap_t,
            "unit_cost_usd_per_t": np.where(q > 0, paid / np.where(q > 0, q, 1.0), cost),
            "delivered_cost_usd_per_t": cost,
            "fob_usd_per_t": np.array(p.fob_usd_per_t), "freight_usd_per_t": np.array(p.freight_usd_per_t),
            "tariff_usd_per_t": np.array(p.tariff_usd_per_t), "cost_method": list(p.cost_method),
            "risk_index": np.array(p.risk_index), "cost_usd": paid,
        })
        frame["at_capacity"] = (cap_t > 0) & (q >= cap_t * (1 - 1e-9) - 1e-9)
        frame["at_cap"] = ~frame["internal"] & (q >= sc.cap_share * D * (1 - 1e-7))
        frame = frame.sort_values(["quantity_t", "quantity_t_baseline"], ascending=False, kind="stable")
        return frame.reset_index(drop=True)

    def _plan_table(self, p: SourcingProblem, s: LPSolution) -> Any:
        """supplier x origin one stage up (the supplier itself without look-through data)."""
        import pandas as pd

        q = s.quantity_t
        D = p.demand_t
        cost = np.array(p.unit_cost_usd_per_t)
        unit_cost = np.where(q > 0, (s.base_t + s.extra_t * self.new_supply_premium) * cost
                             / np.where(q > 0, q, 1.0), cost)
        keep = (q > 0) | (np.array(p.baseline_t) > 0)
        rows = []
        for i in np.nonzero(keep)[0]:
            if p.origins:
                mix = [(o, a) for o, a in zip(p.origins, p.origin_share[i]) if a > 0]
            else:
                mix = [(p.suppliers[i], 1.0)]
            for o, a in mix:
                rows.append((p.suppliers[i], o, q[i] * a, q[i] * a / D, unit_cost[i],
                             p.baseline_t[i] * a))
        frame = pd.DataFrame(rows, columns=["supplier", "origin", "quantity_t", "share",
                                            "unit_cost_usd_per_t", "quantity_t_baseline"])
        return frame.sort_values("quantity_t", ascending=False, kind="stable").reset_index(drop=True)

    def _origin_table(self, p: SourcingProblem, s: LPSolution) -> Any:
        import pandas as pd

        a = np.array(p.origin_share)
        q = s.quantity_t @ a
        q0 = np.array(p.baseline_t) @ a
        frame = pd.DataFrame({"origin": list(p.origins), "quantity_t": q, "share": q / p.demand_t,
                              "quantity_t_baseline": q0, "share_baseline": q0 / p.demand_t})
        frame = frame[(frame["quantity_t"] > 0) | (frame["quantity_t_baseline"] > 0)]
        return frame.sort_values("quantity_t", ascending=False, kind="stable").reset_index(drop=True)

    def _cost_table(self, p: SourcingProblem, sc: SourcingScenario, d: LPData, s: LPSolution,
                    free: LPSolution, reason: str) -> Any:
        import pandas as pd

        cost = np.array(p.unit_cost_usd_per_t)
        plan = float((s.base_t * cost + s.extra_t * cost * d.premium).sum())
        cheapest = float((free.base_t * cost + free.extra_t * cost * d.premium).sum())
        base_t = np.array(p.baseline_t)
        base = float((base_t * cost).sum()) if base_t.sum() > 0 else np.nan
        lost = s.unmet_t * d.voll
        cheap_lost = free.unmet_t * d.voll
        increase = plan + lost - (cheapest + cheap_lost)
        return pd.DataFrame([{
            "unit": p.unit, "mineral": p.mineral, "stage": p.stage, "year": p.year,
            "demand_t": p.demand_t, "covered_t": float(s.quantity_t.sum()), "unmet_t": s.unmet_t,
            "unmet_t_baseline": free.unmet_t, "unmet_reason": reason,
            "plan_cost_usd": plan, "cheapest_cost_usd": cheapest, "baseline_cost_usd": base,
            "cost_increase_usd": increase,
            "cost_increase_share": increase / (cheapest + cheap_lost) if cheapest + cheap_lost > 0 else np.nan,
            "cost_vs_baseline_usd": plan - base,
            "cost_vs_baseline_share": (plan - base) / base if base > 0 else np.nan,
            "demand_share_baseline": float(base_t.sum()) / p.demand_t,
            "lost_supply_cost_usd": lost, "value_of_lost_supply_usd_per_t": d.voll,
            "cap_share": sc.cap_share,
            "internal_share": float(s.quantity_t[np.array(p.internal, dtype=bool)].sum()) / p.demand_t,
            "internal_share_baseline": float(np.array(p.baseline_t)[np.array(p.internal, dtype=bool)].sum())
            / p.demand_t,
            "internal_benchmark_share": np.nan if sc.internal_benchmark_share is None
            else float(sc.internal_benchmark_share),
        }])

    def _shadow_table(self, p: SourcingProblem, sc: SourcingScenario, d: LPData,
                      s: LPSolution) -> Any:
        """Binding constraints with their shadow prices and a line a briefing can quote.

        HiGHS reports ``d objective / d bound`` for each row and column; for the cap rows
        ``b_i + e_i - D t <= 0`` one point of cap (0.01) moves the bound by ``0.01 D`` t.
        """
        import pandas as pd

        D = p.demand_t
        rows: list[dict[str, Any]] = []
        tol = 1e-9 * max(d.voll, 1.0)
        # demand: the marginal tonne
        rows.append({"constraint": "demand", "kind": "demand", "country": p.unit,
                     "shadow_price_usd_per_t": s.demand_dual, "per_point_usd": np.nan,
                     "binding": True,
                     "plain": f"one more tonne of demand costs {money(s.demand_dual)}"})
        if abs(s.cap_reduced_cost) > tol:
            per_point = -s.cap_reduced_cost * 0.01
            rows.append({"constraint": f"cap {sc.cap_share:g}", "kind": "cap", "country": "all",
                         "shadow_price_usd_per_t": -s.cap_reduced_cost / D, "per_point_usd": per_point,
                         "binding": True,
                         "plain": f"lowering the cap by one point costs {money(per_point)} a year"})
        for i in np.nonzero(np.abs(s.cap_duals) > tol)[0]:
            sup = p.suppliers[i]
            per_point = -s.cap_duals[i] * D * 0.01
            rows.append({"constraint": f"cap on {sup}", "kind": "supplier_cap", "country": sup,
                         "shadow_price_usd_per_t": -s.cap_duals[i], "per_point_usd": per_point,
                         "binding": True,
                         "plain": f"lowering the cap on {sup} by one point costs {money(per_point)} a year"})
        for o in np.nonzero(np.abs(s.origin_duals) > tol)[0]:
            org = p.origins[o]
            per_point = -s.origin_duals[o] * D * 0.01
            rows.append({"constraint": f"cap on origin {org}", "kind": "origin_cap", "country": org,
                         "shadow_price_usd_per_t": -s.origin_duals[o], "per_point_usd": per_point,
                         "binding": True,
                         "plain": (f"lowering the cap on material from {org} ({p.upstream_stage} stage) "
                                   f"by one point costs {money(per_point)} a year")})
        q = s.quantity_t
        for i, sup in enumerate(p.suppliers):
            excluded = sup in sc.exclude
            cap_t = d.base_ub[i] + d.extra_ub[i]
            if excluded:
                rc = min(s.base_duals[i] if p.current_t[i] > 0 else 0.0,
                         s.extra_duals[i] if p.redirectable_t[i] > 0 else 0.0)
                if rc < -tol:
                    rows.append({"constraint": f"exclusion of {sup}", "kind": "exclusion", "country": sup,
                                 "shadow_price_usd_per_t": -rc, "per_point_usd": np.nan,
                                 "binding": True,
                                 "plain": f"allowing one tonne from {sup} again would save {money(-rc)}"})
            elif cap_t > 0 and q[i] >= cap_t * (1 - 1e-9):
                rc = s.extra_duals[i] if d.extra_ub[i] > 0 else s.base_duals[i]
                if rc < -tol:
                    rows.append({"constraint": f"supply of {sup}", "kind": "capacity", "country": sup,
                                 "shadow_price_usd_per_t": -rc, "per_point_usd": np.nan,
                                 "binding": True,
                                 "plain": f"one more tonne of exportable supply from {sup} would save {money(-rc)}"})
        if sc.max_risk is not None and abs(s.risk_dual) > tol:
            # d cost / d R = row_dual * sum(x): the risk row's coefficients hold R
            per_tenth = -s.risk_dual * float(q.sum()) * 0.1
            rows.append({"constraint": f"governance risk <= {sc.max_risk:g}", "kind": "risk",
                         "country": "all", "shadow_price_usd_per_t": -s.risk_dual,
                         "per_point_usd": per_tenth, "binding": True,
                         "plain": f"lowering the risk budget by 0.1 costs {money(per_tenth)} a year"})
        if sc.hhi_cap is not None and abs(s.hhi_dual) > tol:
            per_100 = -s.hhi_dual * 100 / 10_000.0
            rows.append({"constraint": f"HHI <= {sc.hhi_cap:g}", "kind": "hhi", "country": "all",
                         "shadow_price_usd_per_t": np.nan, "per_point_usd": per_100, "binding": True,
                         "plain": f"lowering the HHI cap by 100 points costs about {money(per_100)} a year"})
        frame = pd.DataFrame(rows, columns=["constraint", "kind", "country", "shadow_price_usd_per_t",
                                            "per_point_usd", "binding", "plain"])
        frame["shadow_price_usd_per_t"] = frame["shadow_price_usd_per_t"].astype(float)
        frame["per_point_usd"] = frame["per_point_usd"].astype(float)
        return frame

    def _market_shift(self, p: SourcingProblem, s: LPSolution) -> tuple[Any, list[str]]:
        """Tonnes the plan moves, against the market's trade and each supplier's output."""
        import pandas as pd

        change = s.quantity_t - np.array(p.baseline_t)
        ext = ~np.array(p.internal)
        moved = float(np.abs(change[ext]).sum()) / 2.0 + max(float(change[~ext].sum()), 0.0) / 2.0
        out = np.array(p.supplier_output_t)
        frame = pd.DataFrame({"supplier": list(p.suppliers), "change_t": change,
                              "output_t": out,
                              "change_share": np.where(out > 0, np.abs(change) / np.where(out > 0, out, 1), np.nan)})
        frame = frame[np.abs(frame["change_t"]) > 1e-9].sort_values("change_t", kind="stable")
        frame["large"] = frame["change_share"] > self.price_feedback_share
        warnings = []
        total = p.market_total_t
        if math.isfinite(total) and total > 0 and moved / total > self.price_feedback_share:
            warnings.append(f"the plan moves {moved:,.0f} t, {moved / total:.1%} of the world "
                            f"{p.mineral} {p.stage} market (more than {self.price_feedback_share:.0%}): "
                            "prices would respond; a fixed-price plan understates the cost "
                            "(--equilibrium re-prices it with the PE model)")
        big = frame[frame["large"]]
        if len(big):
            names = ", ".join(f"{r.supplier} {r.change_share:.0%}" for r in big.head(6).itertuples())
            warnings.append(f"the plan changes purchases by more than {self.price_feedback_share:.0%} "
                            f"of these suppliers' output: {names}")
        return frame.reset_index(drop=True), warnings

    # ------------------------------------------------------------------ frontier

    def _frontier(self, p: SourcingProblem, sc: SourcingScenario, lp: SourcingLP,
                  plan: LPSolution, on_step: Any) -> tuple[Any, Any, int]:
        import pandas as pd

        cost = np.array(p.unit_cost_usd_per_t)
        total_steps = self.frontier_points + 1 + self.exclusion_steps + 1
        done = 0
        iters = 0

        def point(s: LPSolution) -> dict[str, float]:
            q = s.quantity_t
            return {"cost_usd": float((s.base_t * cost + s.extra_t * cost * self.new_supply_premium).sum()),
                    "objective_usd": s.objective, "unmet_t": s.unmet_t,
                    "lost_supply_cost_usd": s.unmet_t * lp.d.voll,
                    "largest_share": float(q[~np.array(p.internal)].max() / p.demand_t)
                    if (~np.array(p.internal)).any() else 0.0}

        lp.set_cap(1.0)
        first = lp.solve()
        iters += first.iterations
        tight = lp.tightest_cap(first.unmet_t)
        done += 1
        if on_step:
            on_step("tightest cap", done, total_steps)
        rows = []

        def step(cap: float, k: int, n: int) -> None:
            if on_step:
                on_step(f"cap {cap:.3f}", done + k, total_steps)

        for s in lp.sweep(np.linspace(1.0, tight, self.frontier_points), step):
            iters += s.iterations
            if s.status != "optimal":  # only with hard demand, below the tightest cap
                break
            rows.append({"cap_share": s.cap_share, **point(s), "iterations": s.iterations,
                         "warm": "reused" if s.reused else "solved"})
        done += len(rows)
        cap_frame = pd.DataFrame(rows)
        base_cost = cap_frame["objective_usd"].iloc[0]
        cap_frame["cost_increase_usd"] = cap_frame["objective_usd"] - base_cost
        # exclusions: the scenario's, then the largest remaining suppliers one by one
        lp.set_cap(sc.cap_share)
        size = [(-p.baseline_t[i], -(p.current_t[i] + p.redirectable_t[i]), i) for i in range(len(p.suppliers))]
        order = [i for *_, i in sorted(size)
                 if not p.internal[i] and p.suppliers[i] not in sc.exclude]
        excluded = np.array([s in sc.exclude for s in p.suppliers])
        erows = []
        names: list[str] = list(sc.exclude)
        for k in range(0, min(self.exclusion_steps, len(order)) + 1):
            if k > 0:
                excluded[order[k - 1]] = True
                names.append(p.suppliers[order[k - 1]])
            lp.set_excluded(excluded)
            s = lp.solve()
            iters += s.iterations
            if s.status != "optimal":
                break
            erows.append({"excluded_count": len(names), "excluded": ",".join(names), **point(s),
                          "iterations": s.iterations})
            done += 1
            if on_step:
                on_step(f"{len(names)} excluded", done, total_steps)
        lp.set_excluded(np.array([s in sc.exclude for s in p.suppliers]))
        excl = pd.DataFrame(erows)
        if len(excl):
            excl["cost_increase_usd"] = excl["objective_usd"] - excl["objective_usd"].iloc[0]
        return cap_frame, excl, iters

    # ------------------------------------------------------------------ explanations

    def _groups(self, p: SourcingProblem, sc: SourcingScenario) -> list[str]:
        out = []
        if sc.exclude and any(s in p.suppliers for s in sc.exclude):
            out.append("exclusions")
        if sc.cap_share < 1.0 and not all(p.internal):
            out.append("cap")
        if sc.look_through and p.origins and sc.cap_share < 1.0:
            out.append("look_through")
        if sc.max_risk is not None:
            out.append("risk")
        if sc.hhi_cap is not None:
            out.append("hhi")
        return out

    def _relaxed(self, p: SourcingProblem, sc: SourcingScenario, drop: set[str]) -> SourcingScenario:
        return replace(sc, exclude=() if "exclusions" in drop else sc.exclude,
                       cap_share=1.0 if "cap" in drop else sc.cap_share,
                       look_through=sc.look_through and "look_through" not in drop,
                       max_risk=None if "risk" in drop else sc.max_risk,
                       hhi_cap=None if "hhi" in drop else sc.hhi_cap)

    def _solve_relaxed(self, p: SourcingProblem, sc: SourcingScenario, drop: set[str],
                       *, supply: bool = False) -> LPSolution:
        rsc = self._relaxed(p, sc, drop)
        data = self.lp_data(p, rsc)
        if supply:  # unlimited supply from every permitted supplier
            permitted = np.array([s not in rsc.exclude for s in p.suppliers])
            data = replace(data, extra_ub=np.where(permitted, 10.0 * p.demand_t, 0.0))
        lp = SourcingLP(data)
        lp.set_cap(rsc.cap_share)
        return lp.solve()

    def _phrase(self, g: str, p: SourcingProblem, sc: SourcingScenario) -> str:
        D = p.demand_t
        flex = self.flexibility_share
        if g == "demand":
            return f"demand of {D:,.0f} t met in full (demand_must_be_met)"
        if g == "supply":
            permitted = [i for i, s in enumerate(p.suppliers) if s not in sc.exclude]
            tot = sum(p.current_t[i] + flex * p.redirectable_t[i] for i in permitted)
            return (f"the exportable supply of the permitted suppliers, {tot:,.0f} t (what they ship "
                    f"the unit today plus {flex:.0%} of what their other customers take)")
        if g == "exclusions":
            held = sum(p.current_t[i] + flex * p.redirectable_t[i]
                       for i, s in enumerate(p.suppliers) if s in sc.exclude)
            return f"the exclusion of {', '.join(sc.exclude)} ({held:,.0f} t of exportable supply)"
        if g == "cap":
            n_ext = sum(1 for i, s in enumerate(p.suppliers)
                        if not p.internal[i] and s not in sc.exclude
                        and p.current_t[i] + flex * p.redirectable_t[i] > 0)
            return (f"the cap of {sc.cap_share:.0%} on any one supplier ({n_ext} permitted non-member "
                    f"supplier{'s' if n_ext != 1 else ''} with supply: at most {min(n_ext * sc.cap_share, 1.0):.0%} of demand "
                    "from outside the unit)")
        if g == "look_through":
            return f"the cap of {sc.cap_share:.0%} on each origin one stage up ({p.upstream_stage})"
        if g == "risk":
            return f"the governance budget (share-weighted WGI risk <= {sc.max_risk:g} on 0-10)"
        if g == "hhi":
            return f"the HHI cap of {sc.hhi_cap:,.0f}"
        return g

    def explain_infeasible(self, p: SourcingProblem, sc: SourcingScenario) -> str:
        """Which hard constraints cannot hold together: a deletion filter over the groups
        (drop a group; if the rest is still infeasible, it was not needed)."""
        groups = self._groups(p, sc)
        keep = list(groups)
        # the exclusions are tried last, so a conflict they take part in is named by them
        for g in reversed(groups):
            trial = set(groups) - set(keep) | {g}
            if self._solve_relaxed(p, sc, trial).status == "infeasible":
                keep.remove(g)
        dropped = set(groups) - set(keep)
        supply_needed = self._solve_relaxed(p, sc, dropped, supply=True).status == "infeasible"
        parts = ["demand"] + keep + ([] if supply_needed else ["supply"])
        names = "; ".join(self._phrase(g, p, sc) for g in parts)
        return (f"no sourcing plan for {p.label} satisfies these together: {names}. Relax one "
                "of them (e.g. a higher --cap, fewer --exclude, a higher --max-risk or --hhi-cap), "
                "or allow unmet demand (the default), which prices the shortfall instead.")

    def _unmet_reason(self, p: SourcingProblem, sc: SourcingScenario, d: LPData, s: LPSolution) -> str:
        """Why tonnes stay unmet: which limit, relaxed alone, would cover how many."""
        bits = []
        for g in self._groups(p, sc):
            r = self._solve_relaxed(p, sc, {g})
            if r.status == "optimal" and r.unmet_t < s.unmet_t - 1e-6 * p.demand_t:
                bits.append(f"{self._phrase(g, p, sc)} leaves {s.unmet_t - r.unmet_t:,.0f} t uncovered")
        r = self._solve_relaxed(p, sc, set(), supply=True)
        if r.status == "optimal" and r.unmet_t < s.unmet_t - 1e-6 * p.demand_t:
            permitted = float((d.base_ub + d.extra_ub).sum())
            verb = ("falls short of demand" if permitted < p.demand_t * (1 - 1e-9)
                    else "is not enough once the other limits hold")
            bits.insert(0, f"{self._phrase('supply', p, sc)} {verb}")
        return "; ".join(bits) if bits else "the limits together"

    # ------------------------------------------------------------------ words

    def _headline(self, p: SourcingProblem, sc: SourcingScenario, tables: dict[str, Any],
                  reason: str) -> list[str]:
        c = tables["cost"].iloc[0]
        lines = [f"{p.label}: demand {p.demand_t:,.0f} t ({p.basis or 't'}); the plan buys "
                 f"{c['covered_t']:,.0f} t for {money(c['plan_cost_usd'])}; the cheapest plan "
                 f"without limits buys {p.demand_t - c['unmet_t_baseline']:,.0f} t for "
                 f"{money(c['cheapest_cost_usd'])}"
                 + (f"; baseline sourcing costs {money(c['baseline_cost_usd'])}"
                    if math.isfinite(c["baseline_cost_usd"]) else "")]
        more_unmet = c["unmet_t"] - c["unmet_t_baseline"]
        lines.append(f"cost of de-risking {money(c['cost_increase_usd'])} ({c['cost_increase_share']:+.1%})"
                     + (f": purchases {money(c['plan_cost_usd'] - c['cheapest_cost_usd'])} and "
                        f"{more_unmet:,.0f} more unmet tonnes valued at "
                        f"{money(c['value_of_lost_supply_usd_per_t'])}/t (value of lost supply)"
                        if more_unmet > 1e-9 * p.demand_t else ""))
        if c["unmet_t"] > 0:
            lines.append(f"unmet {c['unmet_t']:,.0f} t ({c['unmet_t'] / p.demand_t:.1%} of demand): {reason}")
        if sc.internal_benchmark_share is not None:
            gap = sc.internal_benchmark_share - c["internal_share"]
            lines.append(f"members supply {c['internal_share']:.1%} of demand in the plan "
                         f"({c['internal_share_baseline']:.1%} in the baseline) against the "
                         f"{sc.internal_benchmark_share:.0%} benchmark"
                         + (f": {gap:.1%} short" if gap > 0 else ": met"))
        sup = tables["suppliers"]
        ext = sup[~sup["internal"]]
        if len(ext):
            top = ext.iloc[0]
            lines.append(f"largest supplier {top['supplier']} {top['share']:.1%} (baseline "
                         f"{top['share_baseline']:.1%}; cap {sc.cap_share:.0%})")
        sh = tables["shadow_prices"]
        for line in sh.loc[sh["kind"] != "demand"].sort_values("per_point_usd", ascending=False)["plain"].head(3):
            lines.append(line)
        return lines

    def _provenance(self, p: SourcingProblem) -> tuple[dict[str, Any], ...]:
        out = [dict(x) for x in p.provenance]
        out.append({"source": "critmin.models.sourcing", "used_for": "least-cost plan (HiGHS LP)",
                    "note": (f"flexibility {self.flexibility_share:g} of other customers' take "
                             "(assumption); new-supply premium "
                             f"{self.new_supply_premium:g}x (IEA Global Critical Minerals Outlook 2024)")})
        return tuple(out)


def _exclusion_warnings(p: SourcingProblem, sc: SourcingScenario) -> list[str]:
    import re

    out = []
    for s in sc.exclude:
        if s in p.suppliers:
            continue
        if not re.fullmatch(r"[A-Z]{3}", s):
            sc.check_against(p)  # raises with did-you-mean
        out.append(f"{s} does not supply {p.label}: nothing to exclude")
    return out


def _scenario_dict(sc: SourcingScenario) -> dict[str, Any]:
    return {"name": sc.name, "cap_share": sc.cap_share, "hhi_cap": sc.hhi_cap,
            "exclude": list(sc.exclude), "prefer": sc.prefer_name or list(sc.prefer),
            "max_risk": sc.max_risk, "look_through": sc.look_through,
            "demand_must_be_met": sc.demand_must_be_met,
            "internal_benchmark_share": sc.internal_benchmark_share}


def _limits(scenario: Any) -> SourcingScenario:
    if scenario is None:
        return SourcingScenario()
    if isinstance(scenario, SourcingScenario):
        return scenario
    limits = getattr(getattr(scenario, "settings", None), "limits", None)
    if isinstance(limits, SourcingScenario):
        name = getattr(scenario, "name", "") or limits.name
        return replace(limits, name=name)
    if getattr(scenario, "settings", None) is None and hasattr(scenario, "name"):
        return SourcingScenario(name=scenario.name)  # a scenario with no sourcing section
    msg = (f"Sourcing.solve needs a SourcingScenario (or a scenario with a sourcing section). "
           f"Got {type(scenario).__name__}.")
    raise InvalidParameterError(msg)


def combine(results: list[Result], problems: list[SourcingProblem], name: str) -> Result:
    """One result for several markets: tables stacked with mineral, stage and year."""
    import pandas as pd

    tables: dict[str, Any] = {}
    names = dict.fromkeys(n for r in results for n in r.tables)
    for n in names:
        frames = []
        for r, p in zip(results, problems):
            if n not in r.tables:
                continue
            f = r.table(n)
            for col, value in (("year", p.year), ("stage", p.stage), ("mineral", p.mineral)):
                if col not in f.columns:
                    f.insert(0, col, value)
            frames.append(f)
        tables[n] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    ds = [r.diagnostics for r in results]
    parts = {f"{p.mineral}/{p.stage}": {"iterations": d.iterations, "objective_usd": d.objective,
                                        "seconds": d.seconds, "status": str(d.status)}
             for p, d in zip(problems, ds)}
    diag = Diagnostics(status=Status.OPTIMAL, iterations=sum(d.iterations for d in ds),
                       residual=max(d.residual for d in ds), objective=sum(d.objective for d in ds),
                       seconds=sum(d.seconds for d in ds), parts=parts,
                       warnings=tuple(f"{p.mineral} {p.stage}: {w}" for p, d in zip(problems, ds)
                                      for w in d.warnings))
    seen, prov = set(), []
    for r in results:
        for x in r.provenance:
            key = (str(x.get("source")), str(x.get("used_for")), str(x.get("note", "")))
            if key not in seen:
                seen.add(key)
                prov.append(dict(x))
    return Result(model="sourcing", scenario=name, tables=tables, diagnostics=diag,
                  provenance=tuple(prov), headline=tuple(h for r in results for h in r.headline),
                  parameters=dict(results[0].parameters))
