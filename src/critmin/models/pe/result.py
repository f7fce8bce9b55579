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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from critmin.models.base import Diagnostics, Result, Status

#: Components of ``net_welfare``: it is their sum with ``subsidy_cost`` subtracted.
WELFARE_COMPONENTS = ("producer_surplus", "consumer_surplus", "tariff_revenue", "levy_revenue",
                      "rents", "export_tax_revenue", "subsidy_cost")
#: Reported beside welfare, not part of it (the stock loses the value the sale brings in).
MEMO_COLUMNS = ("stockpile_sales",)


@dataclass(frozen=True, eq=False)
class _MarketTables:
    """What one scenario did to every market it touched.

    Attributes
    ----------
    flows : DataFrame
        ``mineral, stage, year, exporter, importer, flow_t_baseline, flow_t, change_share``,
        prices (``landed_price_usd_per_t``...), instruments, ``method``, ``source``.
    countries : DataFrame
        Per country and market: price changes, supply, demand, imports, exports, shortfall.
    welfare : DataFrame
        Per country and market: :data:`WELFARE_COMPONENTS` and ``net_welfare`` (changes
        against the baseline; ``subsidy_cost`` is a cost, subtracted).
    diagnostics : dict
        Solver diagnostics per market.
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
    priced_markets: tuple[tuple[str, str], ...] = ()
    blocs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def combine(cls, parts: Sequence[dict[str, Any]], *, scenario: Any, model: str, mode: str,
                baselines: Iterable[Any], elasticities: Any,
                blocs: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> _MarketTables:
        flows = pd.concat([p["flows"] for p in parts], ignore_index=True)
        countries = pd.concat([p["countries"] for p in parts], ignore_index=True)
        welfare = pd.concat([p["welfare"] for p in parts], ignore_index=True)
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
                   blocs=tuple(blocs), priced_markets=tuple((b.mineral, b.stage) for b in baselines if b.price_usd_per_t),
                   quantity_unit="t" if all(b.quantity_unit == "t" for b in baselines) else "usd")

    def to_result(self) -> Result:
        """The :class:`~critmin.models.base.Result` of the contract: every table with units in
        its column names. Money is in USD (NaN, with a warning, for a market without a base
        price); quantities in tonnes, or ``_usd`` for baselines given in USD at base prices."""
        import math

        def money(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
            out = frame.rename(columns={c: f"{c}_usd" for c in columns if c in frame.columns})
            return out

        q = self.quantity_unit

        def qty(frame: pd.DataFrame) -> pd.DataFrame:
            if q == "t":
                return frame
            ren = {}
            for c in frame.columns:
                for stem in ("_t_baseline", "_t"):
                    if c.endswith(stem) and frame[c].dtype.kind == "f":
                        ren[c] = c[: -len(stem)] + stem.replace("_t", "_usd", 1)
                        break
            return frame.rename(columns=ren)

        welfare_cols = [*WELFARE_COMPONENTS, *MEMO_COLUMNS, "net_welfare"]
        priced = set(self.priced_markets)
        welfare = self.welfare.copy()
        unpriced = ~welfare.set_index(["mineral", "stage"]).index.isin(list(priced))
        warnings = []
        if unpriced.any():
            welfare.loc[unpriced, welfare_cols] = math.nan
            names = sorted({f"{m} {st}" for m, st in welfare.loc[unpriced, ["mineral", "stage"]].itertuples(index=False)})
            warnings.append(f"no base price in USD/t for {', '.join(names)}: welfare in USD unknown; "
                            "set baseline.price_usd_per_t")
        flows = self.flows.rename(columns={"change_share": "flow_change_share"})
        by_country = welfare.groupby("country", as_index=False)[welfare_cols].sum(min_count=1)
        by_country = by_country.sort_values("net_welfare").reset_index(drop=True)
        tables = {
            "flows": qty(_int_year(flows)),
            "countries": qty(_int_year(self.countries)),
            "welfare": money(_int_year(welfare), welfare_cols),
            "welfare_by_country": money(by_country, welfare_cols),
            "welfare_by_bloc": money(self.welfare_by_bloc(dict(self.blocs)), welfare_cols),
            "markets": qty(money(_int_year(self.market_summary()),
                                 ["zone_net_welfare", "world_net_welfare", "levy_revenue", "subsidy_cost", "rents"])),
            "prices": self.prices(),
            "concentration": self.concentration(),
        }
        tables["welfare_by_bloc"]["n_members"] = tables["welfare_by_bloc"]["n_members"].astype("int64")
        tables["welfare_by_bloc"]["n_in_markets"] = tables["welfare_by_bloc"]["n_in_markets"].astype("int64")
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
        return Result(model="pe", scenario=self.scenario_name, tables=tables, diagnostics=diag,
                      provenance=self.provenance, headline=tuple(self.summary().splitlines()[1:]),
                      parameters={"model": self.model, "mode": self.mode, "elasticities": self.elasticities,
                                  "quantity_unit": "t" if q == "t" else "USD at base prices",
                                  "zone_members": list(self.members)})

    def __repr__(self) -> str:
        n_m = self.flows[["mineral", "stage"]].drop_duplicates().shape[0] if len(self.flows) else 0
        net = self.welfare["net_welfare"].sum()
        return (f"_MarketTables({self.scenario_name!r}, mode={self.mode}, {n_m} market(s), "
                f"{len(self.flows)} flows, world net welfare {net:,.0f} {self.welfare_unit})")

    # ------------------------------------------------------------ tables
    def tidy(self) -> pd.DataFrame:
        """One row per flow, long format (units in ``attrs``)."""
        out = self.flows.copy()
        out.attrs["unit"] = {"flow_t": "t", "landed_price_usd_per_t": "USD/t",
                             "rent_usd_per_t": "USD/t", "levy_usd_per_t": "USD/t"}
        return out

    def prices(self) -> pd.DataFrame:
        """World price change per exporter and market."""
        c = self.countries
        out = c[c["supply_t_baseline"] > 0][["mineral", "stage", "country", "world_price_change_share",
                                             "producer_price_change_share"]]
        return out.rename(columns={"country": "exporter"}).reset_index(drop=True)

    def welfare_by_country(self) -> pd.DataFrame:
        """Welfare components summed over markets, per country."""
        cols = [*WELFARE_COMPONENTS, *MEMO_COLUMNS, "net_welfare"]
        out = self.welfare.groupby("country", as_index=False)[cols].sum()
        out.attrs["unit"] = self.welfare_unit
        return out.sort_values("net_welfare").reset_index(drop=True)

    def welfare_by_bloc(self, blocs: dict[str, Iterable[str]] | None = None) -> pd.DataFrame:
        """Welfare summed over each bloc's members (the zone's members as ``zone``).

        ``blocs`` maps a name to members; bloc names are resolved with
        :func:`critmin.blocs.resolve` when the value is a string.
        """
        wanted: dict[str, Iterable[str]] = {}
        if self.members:
            wanted["zone"] = self.members
        for name, members in (blocs or {}).items():
            if isinstance(members, str):
                from critmin.blocs import resolve

                members = resolve(members)
            wanted[name] = members
        by = self.welfare_by_country().set_index("country")
        rows = []
        for name, members in wanted.items():
            members = list(members)
            mem = [m for m in members if m in by.index]
            row = by.loc[mem].sum(numeric_only=True).to_dict()
            rows.append({"bloc": name, "n_members": len(members), "n_in_markets": len(mem), **row})
        rows.append({"bloc": "world", "n_members": len(by), "n_in_markets": len(by),
                     **by.sum(numeric_only=True).to_dict()})
        return pd.DataFrame(rows)

    def concentration(self) -> pd.DataFrame:
        """Each importer's import-source HHI (0-10,000) before and after, domestic excluded.

        Uses :func:`critmin.metrics.concentration.concentration` with the exporter as the
        "producer" of each importer's imports.
        """
        from critmin.metrics.concentration import concentration

        f = self.flows[self.flows["exporter"] != self.flows["importer"]]
        keys = ["mineral", "stage", "importer"]
        cases = (("baseline", "flow_t_baseline"), ("scenario", "flow_t"))
        frame = pd.concat([pd.DataFrame({"mineral": f["mineral"], "stage": f["stage"], "importer": f["importer"],
                                         "case": case, "country": f["exporter"],
                                         "quantity_t": f[col].clip(lower=0.0)}) for case, col in cases],
                          ignore_index=True)
        frame = frame[frame["quantity_t"] > 0]
        if not len(frame):
            return pd.DataFrame(columns=[*keys, "hhi_baseline", "hhi_scenario"])
        # one call for both cases (the metrics' vectorised HHI), split after
        conc = concentration(frame, keys=(*keys, "case"))[[*keys, "case", "hhi", "top_country", "cr1_share"]]
        out = []
        for case, _ in cases:
            part = conc[conc["case"] == case].drop(columns="case")
            if len(part):
                out.append(part.rename(columns={"hhi": f"hhi_{case}", "top_country": f"top_exporter_{case}",
                                                "cr1_share": f"top_share_{case}"}))
        merged = out[0]
        for extra in out[1:]:
            merged = merged.merge(extra, on=keys, how="outer")
        return merged.reset_index(drop=True)

    def market_summary(self) -> pd.DataFrame:
        """One row per market: the headline numbers of the scenario.

        Columns: ``mineral, stage, year``; ``trade_t_baseline``/``trade_t`` (cross-border
        flows); ``top_exporter`` and its ``top_exporter_price_change_share``;
        ``zone_landed_price_change_share`` (quantity-weighted, members' purchases);
        ``max_shortfall_country``/``max_shortfall_share``; ``zone_net_welfare``,
        ``world_net_welfare``, ``levy_revenue``, ``subsidy_cost``, ``rents``.
        """
        rows = []
        members = set(self.members)
        for (m, st, yr), f in self.flows.groupby(["mineral", "stage", "year"], dropna=False):
            c = self.countries[(self.countries["mineral"] == m) & (self.countries["stage"] == st)]
            w = self.welfare[(self.welfare["mineral"] == m) & (self.welfare["stage"] == st)]
            cross = f[f["exporter"] != f["importer"]]
            exporters = c[c["exports_t_baseline"] > 0].sort_values("exports_t_baseline", ascending=False)
            top = exporters.iloc[0] if len(exporters) else None
            zone_f = f[f["importer"].isin(members)]
            zq = zone_f["flow_t"].sum()
            zone_price = (zone_f["landed_price_change_share"] * zone_f["flow_t"]).sum() / zq if zq > 0 else float("nan")
            short = c.sort_values("shortfall_share", ascending=False).iloc[0] if len(c) else None
            rows.append({
                "mineral": m, "stage": st, "year": yr,
                "trade_t_baseline": cross["flow_t_baseline"].sum(), "trade_t": cross["flow_t"].sum(),
                "top_exporter": None if top is None else top["country"],
                "top_exporter_price_change_share": None if top is None else top["world_price_change_share"],
                "zone_landed_price_change_share": zone_price,
                "max_shortfall_country": None if short is None or short["shortfall_t"] <= 0 else short["country"],
                "max_shortfall_share": 0.0 if short is None else short["shortfall_share"],
                "zone_net_welfare": w[w["country"].isin(members)]["net_welfare"].sum() if members else float("nan"),
                "world_net_welfare": w["net_welfare"].sum(),
                "levy_revenue": w["levy_revenue"].sum(), "subsidy_cost": w["subsidy_cost"].sum(),
                "rents": w["rents"].sum(),
            })
        out = pd.DataFrame(rows)
        out.attrs["unit"] = self.welfare_unit
        return out

    def converged(self) -> bool:
        return all(d.get("converged") for d in self.diagnostics.values())

    # ------------------------------------------------------------ text
    def summary(self, top: int = 5) -> str:
        """A few lines a minister's briefing can quote."""
        lines = [(f"Scenario {self.scenario_name!r} ({self.mode} mode), "
                  f"{len(self.diagnostics)} market(s); welfare in {self.welfare_unit}.")]
        pr = self.prices()
        for (m, st), g in pr.groupby(["mineral", "stage"]):
            big = g.reindex(g["world_price_change_share"].abs().sort_values(ascending=False).index).head(3)
            moves = ", ".join(f"{r.exporter} {r.world_price_change_share:+.1%}" for r in big.itertuples())
            lines.append(f"  {m} {st}: world prices {moves}")
        c = self.countries
        short = c[c["shortfall_t"] > 0].sort_values("shortfall_share", ascending=False).head(top)
        for r in short.itertuples():
            lines.append(f"  shortfall {r.country} {r.mineral} {r.stage}: {r.shortfall_t:,.4g} t "
                         f"({r.shortfall_share:.1%} of baseline demand)")
        w = self.welfare_by_country()
        for r in pd.concat([w.head(3), w.tail(3)]).drop_duplicates("country").itertuples():
            lines.append(f"  net welfare {r.country}: {r.net_welfare:+,.0f}")
        for market, d in self.diagnostics.items():
            for warning in d.get("warnings", []):
                lines.append(f"  WARNING {market}: {warning}")
        lines.append("  solver: " + ", ".join(f"{k} {d['iterations']} it, residual {d['residual']:.1e}"
                                              for k, d in self.diagnostics.items()))
        return "\n".join(lines)


def _int_year(frame: pd.DataFrame) -> pd.DataFrame:
    if "year" in frame.columns:
        frame = frame.assign(year=pd.array(frame["year"], dtype="Int64"))
    return frame
