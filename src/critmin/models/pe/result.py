"""The per-market tables of the partial-equilibrium model, before they become the
:class:`~critmin.models.base.Result` every model returns (:meth:`_MarketTables.to_result`).

:class:`_MarketTables` is private to ``PartialEquilibrium.solve``, not a second result type:
``solve`` returns the :class:`~critmin.models.base.Result`, and JSON, CSV and Markdown come
from :mod:`critmin.reports` on it. It holds, for every market solved: flows before and after the shock,
prices (world price per exporter, landed price per market), quantities supplied and
demanded, the shortfall against baseline demand, the welfare components per country, the
solver's diagnostics and the provenance of every input. Monetary values are in USD when
the baseline carries a base price in USD/t (``welfare_unit`` says which).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from critmin.models.base import Diagnostics, Result, Status

#: Components of ``net_welfare``: it is their sum with ``subsidy_cost`` subtracted.
WELFARE_COMPONENTS = ("producer_surplus", "consumer_surplus", "tariff_revenue", "levy_revenue",
                      "rents", "export_tax_revenue", "subsidy_cost")
#: Reported beside welfare, not part of it (the stock loses the value the sale brings in).
MEMO_COLUMNS = ("stockpile_sales",)
#: The ``markets`` table (one row per market), before money columns take ``_usd``.
MARKET_COLUMNS = ("mineral", "stage", "year", "trade_t_baseline", "trade_t", "top_exporter",
                  "top_exporter_price_change_share", "zone_landed_price_change_share",
                  "max_shortfall_country", "max_shortfall_share", "zone_net_welfare",
                  "world_net_welfare", "levy_revenue", "subsidy_cost", "rents")


@dataclass(frozen=True, eq=False)
class _MarketTables:
    """What one scenario did to every market it touched.

    Attributes
    ----------
    flows : DataFrame
        ``mineral, stage, year, exporter, importer, flow_t_baseline, flow_t,
        flow_change_share``, prices (``landed_price_usd_per_t``...), instruments, ``method``,
        ``source``.
    countries : DataFrame
        Per country and market: price changes, supply, demand, imports, exports, shortfall.
    welfare : DataFrame
        Per country and market: :data:`WELFARE_COMPONENTS` and ``net_welfare`` (changes
        against the baseline; ``subsidy_cost`` is a cost, subtracted).
    diagnostics : dict
        Solver diagnostics per market.
    markets : tuple
        ``(mineral, stage, year)`` of every market solved, in the order solved.
    priced_markets : tuple
        The markets (same keys) whose baseline has a base price in USD/t.
    import_concentration : DataFrame
        Each importer's import-source HHI before and after (``market_tables``).
    briefs : tuple of dict
        Per market, the arrays the ``markets`` table and the headline are built from
        (``market_tables``), so that neither is computed again from the long tables.
    """

    scenario_name: str
    mode: str
    model: str
    flows: pd.DataFrame
    countries: pd.DataFrame
    welfare: pd.DataFrame
    diagnostics: dict[str, Any]
    provenance: tuple[dict[str, Any], ...] = ()
    members: tuple[str, ...] = ()
    welfare_unit: str = "USD"
    elasticities: dict[str, Any] = field(default_factory=dict)
    quantity_unit: str = "t"
    priced_markets: tuple[tuple[str, str, int | None], ...] = ()
    blocs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    markets: tuple[tuple[str, str, int | None], ...] = ()
    import_concentration: pd.DataFrame = field(default_factory=pd.DataFrame)
    briefs: tuple[dict[str, Any], ...] = ()   # each market's summary numbers, as arrays

    @classmethod
    def combine(cls, parts: Sequence[dict[str, Any]], *, scenario: Any, model: str, mode: str,
                baselines: Iterable[Any], elasticities: Any,
                blocs: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> _MarketTables:
        def stack(name: str) -> pd.DataFrame:
            return parts[0][name] if len(parts) == 1 else pd.concat([p[name] for p in parts], ignore_index=True)

        flows, countries, welfare, conc = (stack(name) for name in ("flows", "countries", "welfare", "concentration"))
        if len(parts) > 1:
            conc = conc.sort_values(["mineral", "stage", "year", "importer"], kind="stable").reset_index(drop=True)
        for frame, unit in ((flows, "t"), (countries, "t"), (welfare, parts[0]["welfare_unit"])):
            frame.attrs["unit"] = unit
        diags: dict[str, Any] = {}
        for p in parts:
            diags.update(p["diagnostics"])
        prov: list[dict[str, Any]] = []
        for b in baselines:
            for rec in b.provenance:
                prov.append({**rec, "used_for": f"baseline {b.mineral} {b.stage} {b.year}"})
            prov.append({"source": b.price_source or "none",
                         "used_for": f"base price {b.mineral}: "
                                     + (f"{b.price_usd_per_t:,.2f} USD/t" if b.price_usd_per_t else "unknown")})
        for name, src in elasticities.sources():
            short = "scenario" if src == "scenario" else "critmin data/parameters/elasticities.yml"
            prov.append({"source": short, "used_for": f"elasticity {name}", "note": src})
        if scenario.path:
            prov.append({"source": "scenario file", "file": scenario.path, "used_for": "shocks"})
        members = tuple(sorted({m for p in parts for m in p["members"]}))
        units = {p["welfare_unit"] for p in parts}
        el = elasticities
        return cls(scenario_name=scenario.name, mode=mode, model=model, flows=flows,
                   countries=countries, welfare=welfare, diagnostics=diags, provenance=tuple(prov),
                   members=members, welfare_unit=" / ".join(sorted(units)),
                   elasticities=el.as_dict(),
                   blocs=tuple(blocs), import_concentration=conc, briefs=tuple(p["brief"] for p in parts),
                   markets=tuple(p["brief"]["key"] for p in parts),
                   priced_markets=tuple(p["brief"]["key"] for p, b in zip(parts, baselines) if b.price_usd_per_t),
                   quantity_unit="t" if all(b.quantity_unit == "t" for b in baselines) else "usd")

    def to_result(self) -> Result:
        """The :class:`~critmin.models.base.Result` of the contract: every table with units in
        its column names. Money is in USD (NaN, with a warning, for a market without a base
        price); quantities in tonnes, or ``_usd`` for baselines given in USD at base prices.

        Each derived table is built once, vectorised over markets (a store-wide run solves
        dozens of markets one call each, so this per-call cost matters; bench_pe [2])."""
        q = self.quantity_unit

        def money(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
            return frame.rename(columns={c: f"{c}_usd" for c in columns if c in frame.columns}, copy=False)

        def qty(frame: pd.DataFrame) -> pd.DataFrame:
            if q == "t":
                return frame
            ren = {}
            for c, dtype in frame.dtypes.items():
                for stem in ("_t_baseline", "_t"):
                    if c.endswith(stem) and dtype.kind == "f":
                        ren[c] = c[: -len(stem)] + stem.replace("_t", "_usd", 1)
                        break
            return frame.rename(columns=ren, copy=False)

        welfare_cols = [*WELFARE_COMPONENTS, *MEMO_COLUMNS, "net_welfare"]
        priced = set(self.priced_markets)
        unpriced = [key for key in self.markets if key not in priced]
        welfare, warnings = self.welfare, []
        if unpriced:
            values = welfare[welfare_cols].to_numpy(dtype=float, copy=True)
            # welfare rows come market by market, one per country, in the order solved
            values[np.repeat([b["key"] not in priced for b in self.briefs],
                             [len(b["countries"]) for b in self.briefs])] = math.nan
            welfare = pd.concat([welfare.drop(columns=welfare_cols),
                                 pd.DataFrame(values, columns=welfare_cols, index=welfare.index)], axis=1)
            welfare.attrs = dict(self.welfare.attrs)
            names = ", ".join(_market_name(key) for key in sorted(unpriced, key=_order))
            warnings.append(f"no base price in USD/t for {names}: welfare in USD unknown; "
                            "set baseline.price_usd_per_t")
        by_country = _sum_by_country(welfare, welfare_cols)
        # the headline quotes welfare in the runs' own units (base-price units where no USD)
        headline_by_country = _sum_by_country(self.welfare, welfare_cols) if unpriced else by_country
        bloc = _bloc_rows(by_country, self._wanted_blocs(), welfare_cols)
        by_country.attrs["unit"] = self.welfare_unit
        markets = self.market_summary(unpriced)
        markets["year"] = pd.array(markets["year"], dtype="Int64")
        tables = {
            "flows": qty(self.flows),
            "countries": qty(self.countries),
            "welfare": money(welfare, welfare_cols),
            "welfare_by_country": money(by_country, welfare_cols),
            "welfare_by_bloc": money(bloc, welfare_cols),
            "markets": qty(money(markets, ["zone_net_welfare", "world_net_welfare", "levy_revenue",
                                           "subsidy_cost", "rents"])),
            "prices": self.prices(),
            "concentration": self.import_concentration,
        }
        parts = {}
        iters, resid, secs = 0, 0.0, 0.0
        converged = True
        for market, d in self.diagnostics.items():
            parts[market] = {k: v for k, v in d.items() if isinstance(v, int | float | bool | str)}
            iters = max(iters, int(d.get("iterations", 0)))
            resid = max(resid, float(d.get("residual", 0.0)))
            secs += float(d.get("seconds", 0.0))
            converged &= bool(d.get("converged", True))
            warnings.extend(f"{market}: {w}" for w in d.get("warnings", []))
        diag = Diagnostics(status=Status.CONVERGED if converged else Status.NOT_CONVERGED,
                           iterations=iters, residual=resid, seconds=secs, parts=parts,
                           warnings=tuple(warnings))
        headline = self._headline(headline_by_country)
        return Result(model="pe", scenario=self.scenario_name, tables=tables, diagnostics=diag,
                      provenance=self.provenance, headline=tuple(headline),
                      parameters={"model": self.model, "mode": self.mode, "elasticities": self.elasticities,
                                  "quantity_unit": "t" if q == "t" else "USD at base prices",
                                  "zone_members": list(self.members)})

    # ------------------------------------------------------------ tables
    def prices(self) -> pd.DataFrame:
        """World price change per exporter and market."""
        c = self.countries
        out = c.loc[c["supply_t_baseline"].to_numpy() > 0,
                    ["mineral", "stage", "country", "world_price_change_share", "producer_price_change_share"]]
        return out.rename(columns={"country": "exporter"}).reset_index(drop=True)

    def _wanted_blocs(self) -> dict[str, Iterable[str]]:
        """The zone's members as ``zone``, then each named bloc (a string names a bloc of
        :func:`critmin.blocs.resolve`)."""
        wanted: dict[str, Iterable[str]] = {}
        if self.members:
            wanted["zone"] = self.members
        for name, members in self.blocs:
            if isinstance(members, str):
                from critmin.blocs import resolve

                members = resolve(members)
            wanted[name] = members
        return wanted

    def market_summary(self, unpriced: Iterable[tuple[str, str, int | None]] = ()) -> pd.DataFrame:
        """One row per market: the headline numbers of the scenario.

        Columns: ``mineral, stage, year``; ``trade_t_baseline``/``trade_t`` (cross-border
        flows); ``top_exporter`` (largest baseline exports) and its
        ``top_exporter_price_change_share``; ``zone_landed_price_change_share``
        (quantity-weighted, members' purchases); ``max_shortfall_country``/
        ``max_shortfall_share`` (ties, here and for the top exporter, go to the first
        country in alphabetical order); ``zone_net_welfare`` (0 in a market without a
        member; NaN without a zone), ``world_net_welfare``, ``levy_revenue``,
        ``subsidy_cost``, ``rents``. Money is NaN for the ``unpriced`` markets
        (mineral, stage, year), whose welfare has no USD value.
        """
        members = np.array(sorted(self.members), dtype=object)
        unpriced = set(unpriced)
        rows = []
        for brief in sorted(self.briefs, key=lambda b: _order(b["key"])):
            m, st, yr = brief["key"]
            is_member = np.isin(brief["countries"], members)
            zone_flow = is_member[brief["importer"]]
            zq = brief["flow_t"][zone_flow].sum()
            w = brief["welfare"]
            known = brief["key"] not in unpriced
            rows.append({
                "mineral": m, "stage": st, "year": yr,
                "trade_t_baseline": brief["trade_t_baseline"], "trade_t": brief["trade_t"],
                "top_exporter": brief["top_exporter"],
                "top_exporter_price_change_share": brief["top_exporter_price_change_share"],
                "zone_landed_price_change_share":
                    float((brief["landed_price_change_share"] * brief["flow_t"])[zone_flow].sum() / zq)
                    if zq > 0 else np.nan,
                "max_shortfall_country": brief["max_shortfall_country"],
                "max_shortfall_share": brief["max_shortfall_share"],
                "zone_net_welfare": (float(w["net_welfare"][is_member].sum()) if known else np.nan)
                if len(members) else np.nan,
                **{name: float(w[col].sum()) if known else np.nan
                   for name, col in (("world_net_welfare", "net_welfare"), ("levy_revenue", "levy_revenue"),
                                     ("subsidy_cost", "subsidy_cost"), ("rents", "rents"))},
            })
        out = pd.DataFrame(rows, columns=list(MARKET_COLUMNS))
        out.attrs["unit"] = self.welfare_unit
        return out

    # ------------------------------------------------------------ text
    def _headline(self, by_country: pd.DataFrame, top: int = 5) -> list[str]:
        """A few lines a minister's briefing can quote (after the title line)."""
        lines = []
        years = {}
        for m, st, yr in self.markets:
            years.setdefault((m, st), set()).add(yr)
        for brief in sorted(self.briefs, key=lambda b: _order(b["key"])):
            m, st, yr = brief["key"]
            # the year is named when the run holds several years of one market
            label = _market_name(brief["key"]) if len(years[(m, st)]) > 1 else f"{m} {st}"
            change = brief["world_price_change_share"][brief["exporters"]]
            names = brief["countries"][brief["exporters"]]
            big = np.argsort(-np.abs(change), kind="stable")[:3]
            if len(big):
                moves = ", ".join(f"{names[k]} {change[k]:+.1%}" for k in big)
                lines.append(f"  {label}: world prices {moves}")
        c = self.countries
        hit = np.flatnonzero(c["shortfall_t"].to_numpy() > 0)
        # largest share first; ties in market order (as the price lines), then country order
        order = np.lexsort((c["country"].to_numpy(dtype=str)[hit], c["year"].fillna(-1).to_numpy(dtype=np.int64)[hit],
                            c["stage"].to_numpy(dtype=str)[hit], c["mineral"].to_numpy(dtype=str)[hit],
                            -c["shortfall_share"].to_numpy()[hit]))
        for k in hit[order[:top]]:
            row = c.iloc[k]
            lines.append(f"  shortfall {row['country']} {row['mineral']} {row['stage']}: {row['shortfall_t']:,.4g} t "
                         f"({row['shortfall_share']:.1%} of baseline demand)")
        names, net = by_country["country"].to_numpy(), by_country["net_welfare"].to_numpy()
        ends = range(len(names)) if len(names) <= 6 else [0, 1, 2, len(names) - 3, len(names) - 2, len(names) - 1]
        for k in ends:
            lines.append(f"  net welfare {names[k]}: {net[k]:+,.0f}")
        for market, d in self.diagnostics.items():
            for warning in d.get("warnings", []):
                lines.append(f"  WARNING {market}: {warning}")
        lines.append("  solver: " + ", ".join(f"{k} {d['iterations']} it, residual {d['residual']:.1e}"
                                              for k, d in self.diagnostics.items()))
        return lines


def _order(key: tuple[str, str, int | None]) -> tuple[str, str, int]:
    """Sort key of a market: mineral, stage, then year (a market without a year first)."""
    return key[0], key[1], -1 if key[2] is None else key[2]


def _market_name(key: tuple[str, str, int | None]) -> str:
    m, st, yr = key
    return f"{m} {st}" if yr is None else f"{m} {st} {yr}"


def _sum_by_country(welfare: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Welfare summed over markets per country, lowest net welfare first. Markets without a
    value (NaN: no base price) are left out of the sum; NaN only where every market is."""
    if welfare["country"].is_unique:  # one market: nothing to sum
        out = welfare[["country", *columns]]
    else:
        out = welfare.groupby("country", as_index=False, sort=True)[columns].sum(min_count=1)
    # lowest net welfare first, equal ones (and NaN, last) in country order
    order = np.lexsort((out["country"].to_numpy(dtype=str), out["net_welfare"].to_numpy()))
    return out.take(order).reset_index(drop=True)


def _bloc_rows(by_country: pd.DataFrame, wanted: dict[str, Iterable[str]], columns: list[str]) -> pd.DataFrame:
    """Welfare summed over each bloc's members, then the world; a bloc with no member in the
    markets sums to 0 (it is not affected), one whose members' welfare is unknown to NaN."""
    countries = by_country["country"].to_numpy()
    values = by_country[columns].to_numpy(dtype=float)
    names, n_members, n_in, sums = [], [], [], []
    everyone = np.ones(len(countries), dtype=bool)
    for name, rows, size in [*((name, np.isin(countries, list(m)), len(list(m))) for name, m in wanted.items()),
                             ("world", everyone, len(countries))]:
        v = values[rows]
        sums.append(np.where(len(v) and np.isnan(v).all(axis=0), np.nan, np.nansum(v, axis=0)))
        names.append(name)
        n_members.append(size)
        n_in.append(int(rows.sum()))
    table = np.vstack(sums) if sums else np.empty((0, len(columns)))
    return pd.DataFrame({"bloc": names, "n_members": np.array(n_members, dtype=np.int64),
                         "n_in_markets": np.array(n_in, dtype=np.int64),
                         **{col: table[:, k] for k, col in enumerate(columns)}})
