"""The network model: an export restriction at one stage, propagated mine to product.

``NetworkModel(...).solve(baseline, scenario) -> Result`` where ``baseline`` is a
:class:`~critmin.chain_baseline.ChainBaseline` (country shares and links, built from the
store by the baseline layer) and ``scenario`` a :class:`ChainScenario` of
:class:`Restriction` values. The model reads no files.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from critmin.errors import InvalidParameterError, ScenarioError
from critmin.models.base import Diagnostics, Result, Status, non_default_repr
from critmin.models.network.problem import Cut, Draw, Problem, Solution, build_problem, solve

PRICE_CAP_SHARE = 10.0  # input price rises are capped at +1,000 %


@dataclass(frozen=True, slots=True)
class Restriction:
    """An export restriction: ``exporter`` ships at most ``1 - share`` of its baseline
    exports of ``mineral`` (at ``stage`` only, or at every node of that mineral).

    Examples
    --------
    >>> Restriction.parse("CHN:gallium")
    Restriction(exporter='CHN', mineral='gallium', stage=None, share=1.0)
    >>> Restriction.parse("CHN:graphite:refine=0.5").share
    0.5
    """

    exporter: str
    mineral: str
    stage: str | None = None
    share: float = 1.0
    importers: tuple[str, ...] = ()   # empty: every other country

    def __post_init__(self) -> None:
        object.__setattr__(self, "exporter", str(self.exporter).strip().upper())
        object.__setattr__(self, "importers", tuple(str(c).upper() for c in self.importers))
        object.__setattr__(self, "share", float(self.share))
        if not 0.0 <= self.share <= 1.0:
            msg = f"restriction share must be in [0, 1] (0.5 removes half of the exports). Got {self.share}."
            raise InvalidParameterError(msg)

    @classmethod
    def parse(cls, text: str) -> Restriction:
        """``EXPORTER:MINERAL[:STAGE][=SHARE]`` (share 0-1, or a percentage like ``50%``)."""
        body, _, share_txt = str(text).partition("=")
        parts = [p.strip() for p in body.split(":")]
        if len(parts) not in (2, 3) or not all(parts):
            msg = (f"--restrict takes EXPORTER:MINERAL[:STAGE][=SHARE], e.g. CHN:gallium or "
                   f"CHN:graphite:refine=0.5. Got {text!r}.")
            raise InvalidParameterError(msg)
        share = 1.0
        if share_txt:
            try:
                share = float(share_txt.rstrip("%")) / (100.0 if share_txt.endswith("%") else 1.0)
            except ValueError:
                raise InvalidParameterError(f"restriction share {share_txt!r} is not a number (0-1 or NN%).") from None
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None, share)


@dataclass(frozen=True, slots=True)
class Zone:
    """A sourcing zone: ``members`` take at most ``1 - share`` of their baseline inputs
    from non-members at ``nodes`` (ids or stage words; empty: every stage)."""

    name: str
    members: tuple[str, ...]
    share: float = 1.0
    nodes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(str(c).upper() for c in self.members))
        object.__setattr__(self, "nodes", tuple(self.nodes))
        if not self.members:
            raise InvalidParameterError(f"zone {self.name!r} has no members.")
        if not 0.0 <= float(self.share) <= 1.0:
            raise InvalidParameterError(f"zone share must be in [0, 1]. Got {self.share}.")


@dataclass(frozen=True, slots=True)
class ChainScenario:
    """A named set of restrictions on one chain; ``priority`` countries are served first."""

    name: str
    restrictions: tuple[Restriction, ...] = ()
    priority: tuple[str, ...] = ()
    description: str = ""
    zones: tuple[Zone, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "restrictions", tuple(self.restrictions))
        object.__setattr__(self, "zones", tuple(self.zones))
        object.__setattr__(self, "priority", tuple(str(c).upper() for c in self.priority))


@dataclass(frozen=True)
class NetworkModel:
    """Stage-by-stage propagation of export restrictions through a supply chain.

    Parameters
    ----------
    reroute : bool
        Let remaining supply move along existing trade links and use spare capacity;
        False gives the Leontief limit (fixed trade patterns, no substitution), which
        bounds the loss from above.
    spare_share : float
        Spare capacity of every non-final node, as a share of its baseline output (0.1:
        10 % more). An assumption (range 0-0.2 in the closing note).
    demand_elasticity : float
        Price elasticity of demand for a restricted input, used only for the cost
        pass-through (input price change = (supply ratio) ** (-1 / elasticity) - 1).
    proportional : bool
        Ration shortages proportionally across countries (a second LP); ignored when the
        scenario gives a priority.
    """

    name: ClassVar[str] = "network"
    reroute: bool = True
    spare_share: float = 0.10
    demand_elasticity: float = 0.5
    proportional: bool = True
    draws: int = 0
    seed: int = 20260101
    scheduler: str | None = None
    n_workers: int = 2
    priority: tuple[str, ...] = ()
    values: Draw | None = field(default=None, repr=False, compare=False)
    ranges: tuple[tuple[tuple[float, float, float], ...], ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.draws < 0 or self.n_workers < 1:
            raise InvalidParameterError(
                f"NetworkModel needs draws >= 0 and n_workers >= 1. Got {self.draws}, {self.n_workers}.")
        if not 0.0 <= self.spare_share <= 1.0:
            raise InvalidParameterError(f"spare_share of NetworkModel must be in [0, 1]. Got {self.spare_share}.")
        if not self.demand_elasticity > 0:
            raise InvalidParameterError(
                f"demand_elasticity of NetworkModel must be > 0. Got {self.demand_elasticity}.")

    def __repr__(self) -> str:
        return non_default_repr(self)

    # --- building blocks shared by solve() and the draws -------------------------------

    def problem(self, baseline: Any) -> Problem:
        """The LP structure of ``baseline`` (built once per baseline object and kept on it:
        the draws of a sweep share it)."""
        cached = getattr(baseline, "_network_problem", None)
        if cached is not None:
            return cached
        from critmin.chain_baseline import fold_small

        spec = baseline.spec
        shares = {n.id: fold_small(baseline.node_shares(n.id)) for n in spec.nodes}
        problem = build_problem(spec, shares, baseline.links)
        try:
            object.__setattr__(baseline, "_network_problem", problem)
        except (AttributeError, TypeError):  # a baseline with slots: rebuild each time
            pass
        return problem

    def cuts(self, baseline: Any, scenario: ChainScenario) -> tuple[Cut, ...]:
        spec = baseline.spec
        out = []
        for r in scenario.restrictions:
            mineral = _mineral_id(r.mineral)
            nodes = spec.nodes_of(mineral, _stage_word(r.stage) if r.stage else None)
            if not nodes:
                have = sorted({f"{n.mineral}:{n.stage}" for n in spec.nodes if n.mineral})
                msg = (f"chain {spec.name} has no {mineral}{':' + r.stage if r.stage else ''} stage to "
                       f"restrict. Restrictable: {', '.join(have)}.")
                raise ScenarioError(msg)
            ids = [n.id for n in spec.nodes]
            out.append(Cut(r.exporter, tuple(ids.index(n.id) for n in nodes), r.share, r.importers))
        for z in scenario.zones:
            members = set(z.members)
            others = tuple(sorted({c for c in baseline.shares["country"].unique() if c not in members}))
            nodes = tuple(range(len(spec.nodes))) if not z.nodes else tuple(
                k for k, n in enumerate(spec.nodes) if n.id in z.nodes or n.stage in z.nodes)
            out.append(Cut("", nodes, z.share, tuple(sorted(members)), others))
        return tuple(out)

    def central_draw(self, baseline: Any) -> Draw:
        spec = baseline.spec
        return Draw(coefficient=np.array([e.coefficient.central for e in spec.edges]),
                    volume=np.array([n.volume.central for n in spec.products]),
                    price=np.array([n.price_usd_per_unit.central if n.price_usd_per_unit else 0.0
                                    for n in spec.nodes]))

    # --- the contract ------------------------------------------------------------------

    def for_sweep(self, baseline: Any) -> NetworkModel:
        """This model carrying the chain's ranges, ready for :func:`draw`."""
        spec = baseline.spec

        def trip(r: Any) -> tuple[float, float, float]:
            return (0.0, 0.0, 0.0) if r is None else (r.low, r.central, r.high)

        return replace(self, ranges=(tuple(trip(e.coefficient) for e in spec.edges),
                                     tuple(trip(n.volume) for n in spec.products),
                                     tuple(trip(n.price_usd_per_unit) for n in spec.nodes)))

    def solve(self, baseline: Any, scenario: Any, *, progress: Any = None) -> Result:
        """Losses by node, country, product and stage for ``scenario`` on ``baseline``.

        ``scenario``: a :class:`ChainScenario`, or a scenario of the scenario language
        (``model: network``; its ban, licensing, export_quota and preferential_zone shocks
        become restrictions and zones)."""
        if not isinstance(scenario, ChainScenario):
            scenario = chain_scenario(scenario)
        if self.priority and not scenario.priority:
            scenario = replace(scenario, priority=tuple(self.priority))
        if self.draws and self.values is None:
            central, bands = with_bands(replace(self, draws=0), baseline, scenario, self.draws, seed=self.seed,
                                        scheduler=self.scheduler, n_workers=self.n_workers, progress=progress)
            assert bands is not None
            tables = dict(central.tables)
            tables.update({f"{k}_bands": v for k, v in bands.tables.items()})
            d = central.diagnostics
            diag = replace(d, parts={**{k: dict(v) for k, v in d.parts.items()},
                                     **{k: dict(v) for k, v in bands.diagnostics.parts.items()}},
                           warnings=(*d.warnings, *bands.diagnostics.warnings))
            return replace(central, tables=tables, diagnostics=diag, provenance=bands.provenance,
                           headline=bands.headline, parameters={**dict(central.parameters), "draws": self.draws,
                                                                "seed": self.seed})
        t0 = time.perf_counter()
        p = self.problem(baseline)
        cuts = self.cuts(baseline, scenario)
        d = self.values if self.values is not None else self.central_draw(baseline)
        if (len(d.coefficient), len(d.volume), len(d.price)) != (
                len(baseline.spec.edges), len(baseline.spec.products), len(baseline.spec.nodes)):
            raise InvalidParameterError(f"NetworkModel values do not fit chain {baseline.spec.name}.")
        sol = solve(p, d, cuts, reroute=self.reroute, spare_share=self.spare_share,
                    priority=scenario.priority, proportional=self.proportional)
        if sol.status != "optimal":
            from critmin.errors import SolveError

            raise SolveError(f"network LP for {scenario.name!r} ended {sol.status}", {"status": sol.status})
        tables = result_tables(baseline.spec, p, d, sol, self.demand_elasticity, cuts, self.reroute,
                               bands_only=self.values is not None)
        if self.values is not None:
            tables["total"] = pd.DataFrame({"chain": [baseline.spec.name],
                                            "lost_usd": [float(tables["by_product"]["lost_usd"].sum())]})
        if self.values is None:  # a drawn model (a sweep) leaves out the constant tables
            tables.update(_assumption_tables(baseline))
        status = Status.BASELINE if not cuts else Status.OPTIMAL
        warnings = list(baseline.run_time_sources)
        return Result(model=self.name, scenario=scenario.name, tables=tables,
                      diagnostics=Diagnostics(status=status, iterations=sol.iterations, residual=sol.residual,
                                              objective=sol.objective, seconds=time.perf_counter() - t0,
                                              parts={"solve": {"method": sol.method, "lp_solves": sol.lp_solves}},
                                              warnings=tuple(warnings)),
                      provenance=tuple(baseline.provenance),
                      headline=headline(baseline.spec, tables, self.reroute),
                      parameters={"reroute": self.reroute, "spare_share": self.spare_share,
                                  "demand_elasticity": self.demand_elasticity, "proportional": self.proportional,
                                  "chain": baseline.spec.name, "year": baseline.year,
                                  "restrictions": [f"{r.exporter}:{r.mineral}{':' + r.stage if r.stage else ''}"
                                                   f"={r.share:g}" for r in scenario.restrictions],
                                  "priority": list(scenario.priority)})

    def with_draws(self, **changes: Any) -> NetworkModel:
        return replace(self, **changes)

    def solve_many(self, models: Any, baseline: Any, scenario: Any, first: int
                   ) -> tuple[dict[str, pd.DataFrame], list[tuple[int, str]]]:
        """A batch of drawn models (the sweep's :func:`critmin.sweep.solve_batch` hook).

        Returns what solving each drawn model and stacking its band tables with a ``draw``
        column would (same LPs, same tables, same row order; equal up to solver round-off,
        as each draw's first LP starts from the previous draw's basis), without a Result
        and its DataFrames per draw: the LPs run back to back on this thread's HiGHS
        instances (a warm one for the first LP, a cold one for the rationing LP) and the
        band tables are built from arrays once per batch. Models without drawn ``values``
        (a central solve) go through :meth:`solve`."""
        from critmin.errors import CritminError, SolveError
        from critmin.models.base import measure_columns

        models = list(models)
        failed: list[tuple[int, str]] = []
        if any(m.values is None for m in models):  # not drawn: one Result each
            parts: dict[str, list[pd.DataFrame]] = {}
            for k, m in enumerate(models):
                try:
                    result = m.solve(baseline, scenario)
                except CritminError as exc:
                    failed.append((first + k, f"{type(exc).__name__}: {exc}"))
                    continue
                for name, frame in result.tables.items():
                    if measure_columns(frame) and len(frame):
                        parts.setdefault(name, []).append(frame.assign(draw=first + k))
            return {name: pd.concat(f, ignore_index=True) for name, f in parts.items()}, failed
        if not isinstance(scenario, ChainScenario):
            scenario = chain_scenario(scenario)
        spec = baseline.spec
        p = self.problem(baseline)
        cuts = self.cuts(baseline, scenario)
        sizes = (len(spec.edges), len(spec.products), len(spec.nodes))
        acc = _BandAccumulator(spec, p)
        warm: dict[str, Any] = {}  # the first LP starts from the previous draw's basis
        for k, m in enumerate(models):
            scen = scenario
            if m.priority and not scen.priority:
                scen = replace(scen, priority=tuple(m.priority))
            d = m.values
            try:
                if (len(d.coefficient), len(d.volume), len(d.price)) != sizes:
                    raise InvalidParameterError(f"NetworkModel values do not fit chain {spec.name}.")
                sol = solve(p, d, cuts, reroute=m.reroute, spare_share=m.spare_share, priority=scen.priority,
                            proportional=m.proportional, warm=warm)
                if sol.status != "optimal":
                    raise SolveError(f"network LP for {scen.name!r} ended {sol.status}", {"status": sol.status})
            except CritminError as exc:
                failed.append((first + k, f"{type(exc).__name__}: {exc}"))
                continue
            acc.add(first + k, d, sol)
        return acc.tables(), failed


def draw(model: NetworkModel, rng: np.random.Generator) -> NetworkModel:
    """``model`` with every coefficient, product volume and price drawn from its triangular
    (low, central, high) range: the draw function of :func:`critmin.sweep.run_sweep`."""
    if not model.ranges:
        raise InvalidParameterError("draw() needs a model from NetworkModel.for_sweep(baseline).")

    def tri(triples: tuple[tuple[float, float, float], ...]) -> np.ndarray:
        out = np.empty(len(triples))
        for k, (lo, mid, hi) in enumerate(triples):
            out[k] = rng.triangular(lo, min(max(mid, lo), hi), hi) if hi > lo else mid
        return out

    coef, vol, price = model.ranges
    return replace(model, values=Draw(tri(coef), tri(vol), tri(price)))


class _BandAccumulator:
    """The band tables of many drawn solves, stacked with a ``draw`` column: the same
    columns, values and row order as :func:`result_tables` (``bands_only``) per draw, with
    the arithmetic on arrays and one DataFrame per table per batch."""

    def __init__(self, spec: Any, p: Problem) -> None:
        self.spec, self.p = spec, p
        assumed = _assumed_nodes(spec)
        self.assumed = np.array([assumed[n] for n in p.nodes], dtype=bool)
        self.units = np.array([spec.node(n).unit for n in p.nodes], dtype=object)
        order = ("mine", "refine", "intermediate", "component", "product")
        self.stages = [s for s in order if s in p.stages]
        st_y = np.array(p.stages)[p.y_node]
        self.stage_masks = [st_y == s for s in self.stages]
        self.is_prod_y = p.is_product[p.y_node]
        self.names, self.country_inv = np.unique(np.array(p.y_country)[self.is_prod_y], return_inverse=True)
        self.rows: dict[str, list[np.ndarray]] = {k: [] for k in ("draw", "xb", "xs", "lost", "share", "usd",
                                                                   "st_base", "st_lost", "c_order", "c_lost",
                                                                   "c_base", "total")}

    def add(self, draw_id: int, d: Draw, sol: Solution) -> None:
        p, r = self.p, self.rows
        n_nodes = len(p.nodes)
        xb = np.bincount(p.y_node, weights=sol.x, minlength=n_nodes)
        xs = np.bincount(p.y_node, weights=sol.delivered, minlength=n_nodes)
        lost_n = np.clip(xb - xs, 0.0, None)
        lost_usd = lost_n * d.price
        r["draw"].append(draw_id)
        r["xb"].append(xb)
        r["xs"].append(xs)
        r["lost"].append(lost_n)
        r["share"].append(np.where(xb > 0, lost_n / np.where(xb > 0, xb, 1.0), 0.0))
        r["usd"].append(lost_usd)
        r["total"].append(float(np.sum(lost_usd[p.is_product])))
        price_y = d.price[p.y_node]
        base_usd = sol.x * price_y
        net = (sol.x - sol.delivered) * price_y
        r["st_base"].append(np.array([base_usd[m].sum() for m in self.stage_masks]))
        r["st_lost"].append(np.clip(np.array([net[m].sum() for m in self.stage_masks]), 0.0, None))
        diff = sol.x - sol.delivered
        diff = np.where(np.abs(diff) <= 1e-6 * np.maximum(sol.x, 1e-12), 0.0, diff)  # as node_frame
        lost_y_usd = np.maximum(diff, 0.0) * price_y
        c_lost = np.bincount(self.country_inv, weights=lost_y_usd[self.is_prod_y], minlength=len(self.names))
        c_base = np.bincount(self.country_inv, weights=base_usd[self.is_prod_y], minlength=len(self.names))
        order = np.argsort(-c_lost, kind="stable")  # as sort_values(ascending=False, kind="stable")
        r["c_order"].append(order)
        r["c_lost"].append(c_lost[order])
        r["c_base"].append(c_base[order])

    def tables(self) -> dict[str, pd.DataFrame]:
        r, p = self.rows, self.p
        n = len(r["draw"])
        if not n:
            return {}
        draw_ids = np.array(r["draw"], dtype=np.int64)
        n_nodes = len(p.nodes)

        def stack(key: str) -> np.ndarray:
            return np.concatenate(r[key])

        xb, xs, lost, usd = stack("xb"), stack("xs"), stack("lost"), stack("usd")
        share = stack("share")
        by_node = pd.DataFrame({"node": np.tile(np.array(p.nodes, dtype=object), n),
                                "stage": np.tile(np.array(p.stages, dtype=object), n),
                                "unit": np.tile(self.units, n), "output_quantity_baseline": xb,
                                "output_quantity_scenario": xs, "lost_quantity": lost, "lost_share": share,
                                "lost_usd": usd, "assumed": np.tile(self.assumed, n),
                                "draw": np.repeat(draw_ids, n_nodes)})
        prod = np.tile(p.is_product, n)
        by_product = by_node[prod].rename(columns={"node": "product"}).drop(columns="stage").reset_index(drop=True)
        st_base, st_lost = stack("st_base"), stack("st_lost")
        n_st = len(self.stages)
        by_stage = pd.DataFrame({"stage": np.tile(np.array(self.stages, dtype=object), n),
                                 "output_usd_baseline": st_base, "lost_usd": st_lost,
                                 "lost_share": np.where(st_base > 0, st_lost / np.where(st_base > 0, st_base, 1.0),
                                                        0.0),
                                 "draw": np.repeat(draw_ids, n_st)})
        c_lost, c_base = stack("c_lost"), stack("c_base")
        names = np.array(self.names, dtype=object)
        by_country = pd.DataFrame({"country": names[stack("c_order")], "lost_usd": c_lost,
                                   "output_usd_baseline": c_base,
                                   "lost_share": np.where(c_base > 0, c_lost / np.where(c_base > 0, c_base, 1.0), 0.0),
                                   "draw": np.repeat(draw_ids, len(names))})
        total = pd.DataFrame({"chain": [self.spec.name] * n, "lost_usd": np.array(r["total"], dtype=float),
                              "draw": draw_ids})
        out = {"by_node": by_node, "by_product": by_product, "by_stage": by_stage, "by_country": by_country,
               "total": total}
        return {k: v for k, v in out.items() if len(v)}


#: Tables of a drawn solve that the sweep turns into bands (the rest stay central-only).
BAND_TABLES = ("total", "by_product", "by_stage", "by_country", "by_node")


def chain_scenario(scenario: Any) -> ChainScenario:
    """A :class:`ChainScenario` from a scenario of the scenario language (``model: network``).

    ``ban``: restriction share 1; ``licensing`` / ``export_quota`` with ``share`` (the share
    of baseline flows let through): restriction ``1 - share``; ``tonnes: 0``: a ban;
    ``preferential_zone``: members buy only from members. Exporters must be named;
    importers default to every other country.
    """
    restrictions: list[Restriction] = []
    zones: list[Zone] = []
    for k, sh in enumerate(getattr(scenario, "shocks", ())):
        kind = sh.kind
        where = f"shock {k + 1} ({kind}{': ' + sh.label if sh.label else ''})"
        if kind == "preferential_zone":
            zones.append(Zone(sh.label or f"zone {k + 1}", tuple(sh.members)))
            continue
        if kind == "ban":
            cut = 1.0
        elif kind in ("licensing", "export_quota"):
            if sh.share is not None:
                cut = 1.0 - float(sh.share)
            elif sh.tonnes == 0:
                cut = 1.0
            else:
                raise ScenarioError(f"{where}: the network model takes quotas as a share of baseline "
                                    f"exports (share: 0.8 lets 80 % through) or tonnes: 0. Got tonnes={sh.tonnes}.")
        else:
            raise ScenarioError(f"{where}: model network supports ban, licensing, export_quota and "
                                "preferential_zone shocks.")
        if not sh.exporters or not sh.minerals:
            raise ScenarioError(f"{where}: name the exporter(s) and mineral(s) to restrict.")
        for exporter in sh.exporters:
            for mineral in sh.minerals:
                restrictions.append(Restriction(exporter, mineral, None, min(max(cut, 0.0), 1.0),
                                                tuple(sh.importers or ())))
    return ChainScenario(name=getattr(scenario, "name", "scenario"), restrictions=tuple(restrictions),
                         zones=tuple(zones), description=getattr(scenario, "description", ""))


def with_bands(model: NetworkModel, baseline: Any, scenario: ChainScenario, draws: int, *, seed: int = 20260101,
               scheduler: str | None = None, n_workers: int = 2, progress: Any = None) -> tuple[Result, Result | None]:
    """The central result and, with ``draws``, the bands from the shared sweep path.

    Every coefficient, product volume and price is drawn from its triangular range
    (:func:`draw`); :func:`critmin.sweep.run_sweep` solves the draws (a Dask LocalCluster,
    a running scheduler, or ``scheduler="serial"``) and returns 5th/50th/95th percentiles.
    """
    model = replace(model, draws=0)
    central = model.solve(baseline, scenario)
    if not draws:
        return central, None
    from critmin.sweep import SweepSettings, run_sweep

    settings = SweepSettings(draws=draws, seed=seed, scheduler=scheduler, n_workers=n_workers)
    swept = run_sweep(model.for_sweep(baseline), baseline, scenario, draw, settings, progress=progress,
                      central=central)
    keep = {k: v for k, v in swept.tables.items() if k in BAND_TABLES}
    return central, replace(swept, tables=keep)


def _mineral_id(name: str) -> str:
    from critmin import vocab

    return vocab.mineral(name).id


def _stage_word(stage: str) -> str:
    s = stage.strip().lower()
    return {"refinery": "refine", "refining": "refine", "mining": "mine", "products": "product"}.get(s, s)


# --- result tables ----------------------------------------------------------------------

def node_frame(spec: Any, p: Problem, d: Draw, sol: Solution) -> pd.DataFrame:
    """One row per node and country: baseline and scenario throughput and their value."""
    nodes = [spec.node(n) for n in p.nodes]
    frame = pd.DataFrame({
        "node": [p.nodes[i] for i in p.y_node],
        "stage": [p.stages[i] for i in p.y_node],
        "country": list(p.y_country),
        "unit": [nodes[i].unit for i in p.y_node],
        "output_quantity_baseline": sol.x,
        "output_quantity_scenario": sol.delivered,
    })
    diff = sol.x - sol.delivered
    diff = np.where(np.abs(diff) <= 1e-6 * np.maximum(sol.x, 1e-12), 0.0, diff)  # solver round-off
    frame["lost_quantity"] = np.maximum(diff, 0.0)
    frame["gained_quantity"] = np.maximum(-diff, 0.0)
    price = d.price[p.y_node]
    frame["lost_usd"] = frame["lost_quantity"] * price
    frame["net_lost_usd"] = (frame["output_quantity_baseline"] - frame["output_quantity_scenario"]) * price
    return frame


def result_tables(spec: Any, p: Problem, d: Draw, sol: Solution, elasticity: float,
                  cuts: tuple[Cut, ...], reroute: bool = True, bands_only: bool = False) -> dict[str, pd.DataFrame]:
    frame = node_frame(spec, p, d, sol)
    assumed = _assumed_nodes(spec)
    price_y = d.price[p.y_node]
    frame["assumed"] = [assumed[n] for n in frame["node"]]
    base_usd = sol.x * price_y
    # by node (world), in node order
    n_nodes = len(p.nodes)
    xb = np.bincount(p.y_node, weights=sol.x, minlength=n_nodes)
    xs = np.bincount(p.y_node, weights=sol.delivered, minlength=n_nodes)
    lost_n = np.clip(xb - xs, 0.0, None)
    units = [spec.node(n).unit for n in p.nodes]
    by_node = pd.DataFrame({"node": list(p.nodes), "stage": list(p.stages), "unit": units,
                            "output_quantity_baseline": xb, "output_quantity_scenario": xs,
                            "lost_quantity": lost_n,
                            "lost_share": np.where(xb > 0, lost_n / np.where(xb > 0, xb, 1.0), 0.0),
                            "lost_usd": lost_n * d.price, "assumed": [assumed[n] for n in p.nodes]})
    products = by_node[p.is_product].rename(columns={"node": "product"}).drop(columns="stage").reset_index(drop=True)
    order = ("mine", "refine", "intermediate", "component", "product")
    stages = [s for s in order if s in p.stages]
    st_y = np.array(p.stages)[p.y_node]
    net = (sol.x - sol.delivered) * price_y
    st_base = np.array([base_usd[st_y == s].sum() for s in stages])
    st_lost = np.clip(np.array([net[st_y == s].sum() for s in stages]), 0.0, None)
    by_stage = pd.DataFrame({"stage": stages, "output_usd_baseline": st_base, "lost_usd": st_lost,
                             "lost_share": np.where(st_base > 0, st_lost / np.where(st_base > 0, st_base, 1.0), 0.0)})
    is_prod_y = p.is_product[p.y_node]
    countries = np.array(p.y_country)[is_prod_y]
    names, inv = np.unique(countries, return_inverse=True)
    c_lost = np.bincount(inv, weights=frame["lost_usd"].to_numpy()[is_prod_y], minlength=len(names))
    c_base = np.bincount(inv, weights=base_usd[is_prod_y], minlength=len(names))
    by_country = pd.DataFrame({"country": names, "lost_usd": c_lost, "output_usd_baseline": c_base,
                               "lost_share": np.where(c_base > 0, c_lost / np.where(c_base > 0, c_base, 1.0), 0.0)})
    by_country = by_country.sort_values("lost_usd", ascending=False, kind="stable").reset_index(drop=True)
    if bands_only:  # a drawn model: only the tables the sweep turns into bands
        return {"by_node": by_node, "by_product": products, "by_stage": by_stage, "by_country": by_country}
    bottlenecks = _bottlenecks(frame, sol, cuts, p, reroute, price_y)
    pass_through = _pass_through(spec, p, d, by_node, elasticity, cuts)
    rank = {s: k for k, s in enumerate(order)}
    lost = frame.drop(columns=["net_lost_usd"])
    lost = lost.assign(_o=lost["stage"].map(rank)).sort_values(["_o", "lost_usd"], ascending=[True, False],
                                                               kind="stable").drop(columns="_o")
    return {"lost_output": lost.reset_index(drop=True), "by_node": by_node, "by_product": products,
            "by_stage": by_stage, "by_country": by_country, "bottlenecks": bottlenecks, "pass_through": pass_through}


#: Tolerance, relative to a node-country's baseline output, below which a difference in
#: tonnes (spare capacity used, capacity left) is solver round-off.
SPARE_TOL = 1e-6
#: A capacity limits delivery when one more unit of it is worth more than this share of the
#: node's price in final output (the LP's reduced cost). The link tie-break alone is worth
#: ``problem.EPS`` (1e-6) of the price per unit: 1,000 times that is still far below what a
#: unit that limits final output is worth (tens of times its price on the shipped chains).
BINDING_MARGINAL_SHARE = 1e-3


def _bottlenecks(frame: pd.DataFrame, sol: Solution, cuts: tuple[Cut, ...], p: Problem, reroute: bool,
                 price: np.ndarray) -> pd.DataFrame:
    """The constraints that bind, upstream first: export restrictions that cut exports,
    then node-countries whose spare capacity is used up while output downstream is lost.
    The first row is the binding bottleneck.

    A node-country counts as a capacity bottleneck only when (1) it delivered more than its
    baseline output (``spare_used_quantity`` > 0 beyond :data:`SPARE_TOL` of its output),
    (2) it has no spare capacity left (within the same tolerance) and (3) that capacity
    limits delivery: one more unit of it would raise the value of final output (its
    reduced cost in the LP exceeds :data:`BINDING_MARGINAL_SHARE` of its price). Output the
    LP set at its upper bound without shipping it (a free variable at an arbitrary bound)
    and capacity that only the link tie-break values are not bottlenecks. ``price``: per
    node-country (USD per node unit)."""
    order = {s: k for k, s in enumerate(("mine", "refine", "intermediate", "component", "product"))}
    restricted = {(p.nodes[n], e) for c in cuts for n in c.nodes for e in c.exporter_set()}
    cap = sol.cap if sol.cap is not None else sol.x
    tol = SPARE_TOL * np.maximum(sol.x, 1e-12)
    used = sol.delivered - sol.x
    used = np.where(used > tol, used, 0.0)
    used_up = (used > 0) & (cap - sol.delivered <= tol)
    ref_price = np.where(price > 0, price, float(price.max()) if len(price) else 0.0)
    limits = sol.marginal > BINDING_MARGINAL_SHARE * ref_price
    any_loss = float(frame.loc[frame["stage"] == "product", "lost_quantity"].sum()) > 0
    is_product = p.is_product[p.y_node]
    binding_cap = used_up & limits & ~is_product & any_loss & reroute
    b = frame[["node", "stage", "country", "unit", "lost_quantity", "lost_usd"]].copy()
    b["spare_used_quantity"] = used
    b["constraint"] = ""
    is_cut = np.array([(n, c) in restricted for n, c in zip(b["node"], b["country"])], dtype=bool)
    b.loc[is_cut & (b["lost_quantity"].to_numpy() > 0), "constraint"] = "export restriction"
    b.loc[binding_cap & (b["constraint"] == "").to_numpy(), "constraint"] = "capacity (spare used up)"
    b["_v"] = used * price
    b = b[b["constraint"] != ""].copy()
    b["constraint"] = b["constraint"].astype(object)
    b["_o"] = b["stage"].map(order)
    b = b.sort_values(["_o", "lost_usd", "_v"], ascending=[True, False, False], kind="stable")
    return b.drop(columns=["_o", "_v"]).head(20).reset_index(drop=True)


def _pass_through(spec: Any, p: Problem, d: Draw, by_node: pd.DataFrame, elasticity: float,
                  cuts: tuple[Cut, ...]) -> pd.DataFrame:
    """Product price change via cost shares: restricted inputs rise with their scarcity."""
    idx = {n: k for k, n in enumerate(p.nodes)}
    ratio = {r.node: (r.output_quantity_scenario / r.output_quantity_baseline if r.output_quantity_baseline > 0 else 1.0)
             for r in by_node.itertuples()}
    restricted = {p.nodes[n] for c in cuts for n in c.nodes}
    change: dict[str, float] = {}
    top: dict[str, tuple[str, float]] = {}
    for n in p.nodes:  # topological order: inputs first
        push = 0.0
        best = ("", 0.0)
        for e_k, e in enumerate(spec.edges):
            if e.target != n:
                continue
            price_v = d.price[idx[n]]
            share = d.coefficient[e_k] * d.price[idx[e.source]] / price_v if price_v > 0 else 0.0
            contrib = share * change.get(e.source, 0.0)
            push += contrib
            if contrib > best[1]:
                best = (e.source, contrib)
        own = 0.0
        if n in restricted:
            r = max(ratio.get(n, 1.0), 1e-9)
            own = min(r ** (-1.0 / elasticity) - 1.0, PRICE_CAP_SHARE) if r < 1 else 0.0
        change[n] = push + own
        top[n] = best if push >= own else (n, own)
    rows = []
    for n in spec.products:
        share_rows = [(e.source, d.coefficient[k] * d.price[idx[e.source]] / d.price[idx[n.id]])
                      for k, e in enumerate(spec.edges) if e.target == n.id and d.price[idx[n.id]] > 0]
        rows.append({"product": n.id, "direct_input_cost_share": float(sum(s for _, s in share_rows)),
                     "price_change_share": float(change[n.id]), "main_driver": top[n.id][0] or "",
                     "assumed": True})
    return pd.DataFrame(rows)


def _assumed_nodes(spec: Any) -> dict[str, bool]:
    """A node is touched by an assumption if it, or anything upstream, rests on one."""
    own = {}
    for n in spec.nodes:
        a = any(s.assumption for s in n.shares[:1]) or bool(n.volume and n.volume.assumption) \
            or bool(n.price_usd_per_unit and n.price_usd_per_unit.assumption)
        a = a or any(e.coefficient.assumption for e in spec.inputs(n.id))
        own[n.id] = a
    return {n.id: own[n.id] or any(own[u] for u in spec.upstream_of(n.id)) for n in spec.nodes}


def _assumption_tables(baseline: Any) -> dict[str, pd.DataFrame]:
    spec = baseline.spec
    rows = []
    for e in spec.edges:
        c = e.coefficient
        rows.append({"item": f"{e.source} -> {e.target}", "kind": "coefficient", "unit": e.unit,
                     "central_value": c.central, "low_value": c.low, "high_value": c.high,
                     "assumption": c.assumption, "source": c.source, "reason": c.reason})
    for n in spec.nodes:
        for kind, r in (("volume", n.volume), ("price", n.price_usd_per_unit)):
            if r is not None:
                rows.append({"item": n.id, "kind": kind, "unit": n.unit if kind == "volume" else f"USD per {n.unit}",
                             "central_value": r.central, "low_value": r.low, "high_value": r.high,
                             "assumption": r.assumption, "source": r.source, "reason": r.reason})
    used = baseline.shares.groupby("node", sort=False).agg(method=("method", "first"), source=("source", "first"),
                                                          year=("year", "first"))
    for node, r in used.iterrows():
        rows.append({"item": node, "kind": "country shares", "unit": "share", "central_value": math.nan,
                     "low_value": math.nan, "high_value": math.nan, "assumption": r["method"] == "assumption",
                     "source": f"{r['source']} ({r['year']})", "reason": r["method"]})
    frame = pd.DataFrame(rows)
    frame = frame.rename(columns={"central_value": "central_quantity", "low_value": "low_quantity",
                                  "high_value": "high_quantity"})
    return {"coefficients": frame}


def headline(spec: Any, tables: dict[str, pd.DataFrame], reroute: bool) -> tuple[str, ...]:
    prod = tables["by_product"]
    lines = []
    total = float(prod["lost_usd"].sum())
    mode = "with rerouting" if reroute else "Leontief limit (no rerouting)"
    lines.append(f"{spec.name}: final output lost {total / 1e9:,.2f} bn USD ({mode})")
    for r in prod.sort_values("lost_usd", ascending=False).head(4).itertuples():
        lines.append(f"{r.product}: {r.lost_share:.1%} lost ({r.lost_quantity:,.3g} {r.unit})")
    bn = tables.get("bottlenecks", pd.DataFrame())
    if len(bn):
        first = bn.iloc[0]
        caps = bn[bn["constraint"] != "export restriction"]
        extra = (f"; spare capacity used up at {', '.join(f'{n} in {c}' for n, c in zip(caps['node'].head(3), caps['country'].head(3)))}"
                 if len(caps) else "")
        lines.append(f"binding bottleneck: {first['node']} in {first['country']} ({first['constraint']}){extra}")
    elif total > 0:
        lines.append("binding bottleneck: none at full capacity; the losses come from the restricted links")
    n_assumed = int(sum(1 for e in spec.edges if e.coefficient.assumption))
    lines.append(f"{n_assumed} of {len(spec.edges)} coefficients are assumptions (see the coefficients table)")
    return tuple(lines)


def restrictions_from(texts: Iterable[str]) -> tuple[Restriction, ...]:
    return tuple(Restriction.parse(t) for t in texts)


__all__ = ["ChainScenario", "NetworkModel", "Restriction", "Zone", "chain_scenario", "draw", "restrictions_from",
           "with_bands"]
