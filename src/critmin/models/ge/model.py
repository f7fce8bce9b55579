"""Structural-gravity general-equilibrium model (Yotov, Piermartini, Monteiro & Larch 2016,
*An Advanced Guide to Trade Policy Analysis*, ch. 2), solved by exact hat algebra.

Parameters in the constructor, data in the call (STYLE.md §2)::

    model = StructuralGravity(sigma=7, formula="trade ~ ln_DIST + CNTG + INTL_BRDR | exporter + importer")
    result = model.solve(baseline, scenario)   # a Result (PPML, costs, GE, bands)
    solution = model.solve_arrays(inputs)      # the GE alone: exporter, importer, trade, log_cost, log_cost_cfl

``log_cost`` is the estimated trade-cost term ``log t_ij^(1-sigma)`` (the linear predictor
of the PPML without fixed effects, e.g. ``b_dist*ln_DIST + b_brdr*INTL_BRDR``); ``log_cost_cfl``
is the same term after the counterfactual. Baseline flows are the PPML fitted values for
the GE year: the observed output and expenditure of every country, distributed by the
estimated costs (:func:`critmin.models.ge.solver.biproportional`).

Two methods:

``exact`` (default)
    The model's equations solved to ``tol`` (1e-10) by :func:`solve_full_endowment`.
``geppml-book``
    The book's iterative GE-PPML procedure with its stopping rule (sd and max of the price
    update below 0.01), reproducing its published tables to 1e-4 percentage points.

Normalisation: the reference importer's inward multilateral resistance is 1 before and
after (``P_ref = 1``), as in the book. Imbalances: ``E = phi Y`` with ``phi`` held fixed
(up to one world factor, see :func:`solve_full_endowment`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from critmin.errors import InputError, InvalidParameterError, UnknownCountryError
from critmin.models.base import Result, non_default_repr
from critmin.models.ge.solver import biproportional, geppml_book, solve_full_endowment
from critmin.scenario.ge import gravity_defaults

if TYPE_CHECKING:
    from critmin.baselines.ge import GEBaseline
    from critmin.scenario.values import Scenario

METHODS = ("exact", "geppml-book")
INPUT_COLUMNS = ("exporter", "importer", "trade", "log_cost", "log_cost_cfl")
#: Percent-change outcomes per country, in the order :meth:`StructuralGravity.outcomes` stacks them.
OUTCOMES = ("exports_change_pct", "exports_change_pct_conditional", "factory_price_change_pct",
            "imr_change_pct", "imr_change_pct_conditional", "omr_change_pct",
            "real_gdp_change_pct", "welfare_change_pct")
#: Per-country output columns (percent changes, new vs baseline).
COUNTRY_COLUMNS = ("country", "exports_change_pct", "exports_change_pct_conditional",
                   "factory_price_change_pct", "imr_change_pct", "omr_change_pct",
                   "real_gdp_change_pct", "welfare_change_pct", "output_baseline",
                   "exports_baseline", "exports_counterfactual")


@dataclass(frozen=True, slots=True)
class GravityArrays:
    """Dense matrices in one country order (rows exporters, columns importers)."""

    countries: tuple[str, ...]
    trade: np.ndarray          # observed flows in the GE year
    cost0: np.ndarray          # T = t^(1-sigma) = exp(log_cost)
    cost1: np.ndarray          # T' after the counterfactual

    @classmethod
    def from_frame(cls, inputs: pd.DataFrame) -> GravityArrays:
        """Validate a tidy input frame and pivot it to square matrices.

        Raises
        ------
        InputError
            Missing columns, duplicate or missing pairs, negative or missing trade, missing
            or zero intranational flows, countries that export or import nothing.
        """
        missing = [c for c in INPUT_COLUMNS if c not in inputs.columns]
        if missing:
            raise InputError(f"GE inputs lack column(s) {missing}; expected {list(INPUT_COLUMNS)}.")
        frame = inputs[list(INPUT_COLUMNS)]
        dup = frame.duplicated(["exporter", "importer"], keep=False)
        if dup.any():
            pairs = _pairs(frame[dup])
            raise InputError(f"GE inputs hold duplicate exporter-importer pairs: {pairs}. "
                             "Keep one row per pair for the GE year.")
        bad = frame["trade"].isna() | ~np.isfinite(frame["trade"].astype(float))
        if bad.any():
            raise InputError(f"trade is missing for {int(bad.sum())} pair(s): {_pairs(frame[bad])}. "
                             "Use 0 for no trade.")
        neg = frame["trade"] < 0
        if neg.any():
            raise InputError(f"trade is negative for {int(neg.sum())} pair(s): {_pairs(frame[neg])}. "
                             "Trade flows must be >= 0.")
        for col in ("log_cost", "log_cost_cfl"):
            nan = ~np.isfinite(frame[col].astype(float))
            if nan.any():
                raise InputError(f"{col} is missing or infinite for {int(nan.sum())} pair(s): "
                                 f"{_pairs(frame[nan])}. Every pair needs a trade cost.")
        countries = tuple(sorted(set(frame["exporter"]) | set(frame["importer"])))
        n = len(countries)
        pos = {c: k for k, c in enumerate(countries)}
        i = frame["exporter"].map(pos).to_numpy()
        j = frame["importer"].map(pos).to_numpy()
        have = np.zeros((n, n), dtype=bool)
        have[i, j] = True
        domestic = np.diag(have)
        if not domestic.all():
            lost = [countries[k] for k in np.flatnonzero(~domestic)]
            raise InputError(f"missing intranational flows (exporter = importer) for {len(lost)} "
                             f"country(ies): {', '.join(lost)}. Structural gravity needs each "
                             "country's sales to itself (output minus exports).")
        if not have.all():
            ii, jj = np.nonzero(~have)
            shown = ", ".join(f"{countries[a]}->{countries[b]}" for a, b in list(zip(ii, jj))[:10])
            raise InputError(f"{len(ii)} exporter-importer pair(s) are missing, e.g. {shown}. "
                             "GE needs every pair (use trade 0 where there is none).")
        trade = np.zeros((n, n))
        trade[i, j] = frame["trade"].to_numpy(float)
        zero_dom = np.diag(trade) <= 0
        if zero_dom.any():
            lost = [countries[k] for k in np.flatnonzero(zero_dom)]
            raise InputError(f"intranational flow is zero for {', '.join(lost)}; it cannot be: "
                             "every country buys some of its own output. Check the data or drop "
                             "the country.")
        c0 = np.zeros((n, n))
        c1 = np.zeros((n, n))
        c0[i, j] = np.exp(frame["log_cost"].to_numpy(float))
        c1[i, j] = np.exp(frame["log_cost_cfl"].to_numpy(float))
        return cls(countries, trade, c0, c1)


def _pairs(frame: pd.DataFrame, limit: int = 8) -> str:
    rows = [f"{e}->{m}" for e, m in zip(frame["exporter"], frame["importer"])]
    more = f" ... ({len(rows)} in all)" if len(rows) > limit else ""
    return ", ".join(rows[:limit]) + more


@dataclass(frozen=True)
class GravityResult:
    """Per-country and bilateral outcomes of one counterfactual, with diagnostics.

    ``countries``: one row per country, percent changes (COUNTRY_COLUMNS).
    ``bilateral``: exporter, importer, trade_baseline (fitted), trade_conditional,
    trade_counterfactual, change_pct.
    """

    countries: pd.DataFrame
    bilateral: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        d = self.diagnostics
        return (f"GravityResult({len(self.countries)} countries, method={d.get('method')}, "
                f"iterations={d.get('iterations')})")

    def tidy(self) -> pd.DataFrame:
        """Per-country table, percent changes; units in ``attrs``."""
        out = self.countries.copy()
        out.attrs["unit"] = {c: "percent" for c in out.columns if c.endswith("_pct")}
        return out

    def summary(self, top: int = 10) -> str:
        """A few lines: method, convergence, largest movers in real GDP."""
        d = self.diagnostics
        t = self.countries.sort_values("real_gdp_change_pct", key=np.abs, ascending=False).head(top)
        head = (f"Structural gravity GE ({d.get('method')}, sigma={d.get('sigma')}, "
                f"reference importer {d.get('reference_importer')}): "
                f"{d.get('iterations')} iterations, residual {d.get('residual')}")
        lines = [head]
        lines += [f"  {r.country}: real GDP {r.real_gdp_change_pct:+.3f}%, exports "
                  f"{r.exports_change_pct:+.2f}%" for r in t.itertuples()]
        return "\n".join(lines)

    def blocs(self, members: dict[str, tuple[str, ...]]) -> pd.DataFrame:
        """Aggregates for named country sets (ISO3 tuples): exports as the sum of members'
        exports (trade between members included), the output-weighted factory-gate price,
        and real GDP as the change in the sum of members' Y / P (baseline P = 1)."""
        rows = []
        c = self.countries.set_index("country")
        for name, iso in members.items():
            unknown = [m for m in iso if m not in c.index]
            if unknown:
                raise UnknownCountryError(unknown[0], c.index, f"(member of bloc {name!r})")
            sub = c.loc[list(iso)]
            y0 = sub["output_baseline"]
            y1 = y0 * (1 + sub["factory_price_change_pct"] / 100)
            real0 = y0
            real1 = y1 / (1 + sub["imr_change_pct"] / 100)
            rows.append({
                "bloc": name, "members": len(iso),
                "exports_change_pct": 100 * (sub["exports_counterfactual"].sum()
                                             / sub["exports_baseline"].sum() - 1),
                "factory_price_change_pct": 100 * (y1.sum() / y0.sum() - 1),
                "real_gdp_change_pct": 100 * (real1.sum() / real0.sum() - 1),
            })
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class StructuralGravity:
    """Structural gravity in conditional and full-endowment general equilibrium.

    Parameters
    ----------
    sigma : float
        Elasticity of substitution between origins (> 1); default from
        ``data/parameters/gravity.yml`` (7, the book's value).
    reference_importer : str
        ISO3 code of the country whose inward multilateral resistance is held at 1; default
        from ``data/parameters/gravity.yml`` (DEU, as the book).
    method : {"exact", "geppml-book"}
        Exact hat algebra, or the book's iterative GE-PPML procedure.
    tol : float
        Convergence tolerance: max |demand/supply - 1| for ``exact``; the book's rule
        (0.01) is used for ``geppml-book``.
    max_iter : int
        Iteration cap; beyond it :class:`~critmin.errors.SolveError` with diagnostics.
    formula : str
        The PPML of the trade-cost function, ``trade ~ ln_DIST + ... | exporter + importer``
        (fixed effects after ``|``); needed by :meth:`solve`.
    vcov : str or tuple of pairs
        ``hetero``, or ``(("CRV1", "pair"),)`` for clustered standard errors.
    fill_missing_pairs : str, optional
        Gravity variables predicting the pair effects of pairs that never trade (panels).
    blocs : tuple of (name, members)
        Aggregates reported in the ``blocs`` table.
    draws, seed : int
        Monte Carlo draws of the PPML coefficients (0: none) and their seed.
    """

    name: ClassVar[str] = "ge"

    sigma: float = field(default_factory=lambda: float(gravity_defaults()["sigma"]["value"]))
    reference_importer: str = field(default_factory=lambda: str(gravity_defaults()["reference_importer"]["value"]))
    method: Literal["exact", "geppml-book"] = "exact"
    tol: float = 1e-10
    max_iter: int = 5_000
    formula: str = ""
    vcov: str | tuple[tuple[str, str], ...] = "hetero"
    fill_missing_pairs: str | None = None
    blocs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    draws: int = 0
    seed: int = 20160101

    def __post_init__(self) -> None:
        if not (isinstance(self.sigma, int | float) and np.isfinite(self.sigma) and self.sigma > 1):
            raise InvalidParameterError(
                f"sigma of StructuralGravity must be a number > 1 (elasticity of substitution). "
                f"Got {self.sigma!r}.")
        if self.method not in METHODS:
            raise InvalidParameterError(f"method of StructuralGravity must be one of {METHODS}. "
                                        f"Got {self.method!r}.")
        if not self.tol > 0:
            raise InvalidParameterError(f"tol of StructuralGravity must be > 0. Got {self.tol!r}.")
        if not (isinstance(self.max_iter, int) and self.max_iter > 0):
            raise InvalidParameterError(f"max_iter of StructuralGravity must be a positive integer. "
                                        f"Got {self.max_iter!r}.")
        if not (isinstance(self.draws, int) and 0 <= self.draws <= 1_000_000):
            raise InvalidParameterError(f"draws of StructuralGravity must be an integer >= 0. Got {self.draws!r}.")

    def __repr__(self) -> str:
        return non_default_repr(self)

    def solve(self, baseline: GEBaseline, scenario: Scenario) -> Result:
        """Estimate the cost function on ``baseline``, apply ``scenario``'s shocks and solve
        the counterfactual in conditional and full-endowment GE: a :class:`Result`.

        Tables: ``countries`` (changes as shares, with ``_p05``/``_p95`` bands when
        ``draws`` > 0), ``blocs``, ``bilateral``, ``coefficients``.
        """
        from critmin.models.ge.run import solve_scenario

        return solve_scenario(self, baseline, scenario)

    def solve_arrays(self, inputs: pd.DataFrame | GravityArrays) -> GravityResult:
        """Conditional and full-endowment GE of the counterfactual in ``inputs``.

        Parameters
        ----------
        inputs : DataFrame or GravityArrays
            One row per exporter-importer pair of the GE year (intranational included):
            ``exporter``, ``importer``, ``trade`` (>= 0), ``log_cost``, ``log_cost_cfl``.

        Raises
        ------
        InputError
            Bad inputs (see :meth:`GravityArrays.from_frame`).
        UnknownCountryError
            The reference importer is not in the data.
        SolveError
            The solver did not converge; carries diagnostics.
        """
        arr = inputs if isinstance(inputs, GravityArrays) else GravityArrays.from_frame(inputs)
        core = self._core(arr)
        n = len(arr.countries)
        countries = pd.DataFrame({"country": arr.countries})
        for name, values in core.percent.items():
            countries[name] = values
        countries["output_baseline"] = core.base.sum(1)
        countries["exports_baseline"] = core.exports0
        countries["exports_counterfactual"] = core.exports1
        base, cond, flows, diag = core.base, core.cond, core.flows, core.diagnostics
        ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        bilateral = pd.DataFrame({
            "exporter": np.asarray(arr.countries)[ii.ravel()],
            "importer": np.asarray(arr.countries)[jj.ravel()],
            "trade_baseline": base.ravel(),
            "trade_conditional": cond.ravel(),
            "trade_counterfactual": flows.ravel(),
        })
        bilateral["change_pct"] = 100 * (bilateral["trade_counterfactual"] / bilateral["trade_baseline"] - 1)
        return GravityResult(countries, bilateral, diag)

    def outcomes(self, arr: GravityArrays) -> np.ndarray:
        """Percent changes only, shape (len(OUTCOMES), n): the lean path for Monte Carlo."""
        core = self._core(arr)
        return np.vstack([core.percent[k] for k in OUTCOMES])

    def _core(self, arr: GravityArrays) -> _Core:
        if self.reference_importer not in arr.countries:
            raise UnknownCountryError(self.reference_importer, arr.countries,
                                      "(reference_importer must be a country in the data)")
        ref = arr.countries.index(self.reference_importer)
        n = len(arr.countries)
        Yo, Eo = arr.trade.sum(1), arr.trade.sum(0)
        idle = np.flatnonzero((Yo <= 0) | (Eo <= 0))
        if idle.size:
            raise InputError("no output or no expenditure for "
                             + ", ".join(arr.countries[k] for k in idle))
        a0, b0, _ = biproportional(arr.cost0, Yo, Eo)
        base = a0[:, None] * arr.cost0 * b0[None, :]
        cost_hat = arr.cost1 / arr.cost0
        ac, bc, _ = biproportional(base * cost_hat, Yo, Eo)
        cond = ac[:, None] * base * cost_hat * bc[None, :]
        imr_cond = (bc[ref] / bc) ** (1.0 / (1.0 - self.sigma))
        diag: dict[str, Any] = {"method": self.method, "sigma": self.sigma,
                                "reference_importer": self.reference_importer, "countries": n}
        if np.array_equal(arr.cost0, arr.cost1):
            # nothing changes: the baseline is the solution, exactly (no solver round-off)
            off = ~np.eye(n, dtype=bool)
            ex0 = (base * off).sum(1)
            zero = np.zeros(n)
            diag.update(iterations=0, residual=0.0, world_scale=1.0, baseline=True)
            return _Core(base, base, base, ex0, ex0.copy(), {k: zero.copy() for k in OUTCOMES}, diag)
        if self.method == "exact":
            sol = solve_full_endowment(base, cost_hat, sigma=self.sigma, ref=ref, tol=self.tol,
                                       max_iter=self.max_iter, countries=arr.countries)
            price, imr, flows = sol.price_hat, sol.imr_hat, sol.flows
            # OMR as the book computes it (Y E_R / exp(pi) = Y_world Pi^(1-sigma)): p hat^sigma
            omr = price ** (self.sigma / (1.0 - self.sigma))
            scale = sol.world_scale
            diag.update(iterations=sol.iterations, residual=float(sol.residual),
                        world_scale=round(scale, 8))
        else:
            book = geppml_book(arr.trade, arr.cost0, arr.cost1, sigma=self.sigma, ref=ref,
                               max_iter=min(self.max_iter, 1_000))
            price, imr, omr, flows = book.price_hat, book.imr_hat, book.omr_hat, book.flows
            scale = 1.0
            # the book's stopping rule: sd and max of the price update below 0.01
            diag.update(iterations=book.iterations, residual=float(book.last_max),
                        update_sd=float(book.last_sd))
        off = ~np.eye(n, dtype=bool)
        ex0 = (base * off).sum(1)
        ex1 = (flows * off).sum(1)
        exc = (cond * off).sum(1)
        percent = {
            "exports_change_pct": 100 * (ex1 / ex0 - 1),
            "exports_change_pct_conditional": 100 * (exc / ex0 - 1),
            "factory_price_change_pct": 100 * (price - 1),
            "imr_change_pct": 100 * (imr - 1),
            "imr_change_pct_conditional": 100 * (imr_cond - 1),
            "omr_change_pct": 100 * (omr - 1),
            "real_gdp_change_pct": 100 * (price / imr - 1),
            "welfare_change_pct": 100 * (scale * price / imr - 1),
        }
        return _Core(base, cond, flows, ex0, ex1, percent, diag)


@dataclass(frozen=True, slots=True)
class _Core:
    base: np.ndarray
    cond: np.ndarray
    flows: np.ndarray
    exports0: np.ndarray
    exports1: np.ndarray
    percent: dict[str, np.ndarray]
    diagnostics: dict[str, Any]
