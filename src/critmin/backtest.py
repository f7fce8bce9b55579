"""Backtest (an analysis over the PE model; it reads the store and observed exports, so it
lives outside ``models/``): China's gallium/germanium export licensing (from 1 August 2023) against
China's observed monthly exports.

Observed: China's monthly exports of HS 811292 by destination (UN Comtrade, aggregated by
qennis/ChinaCriticalMineralComtrade; store table ``china_exports_monthly`` or the CSV in
``comtrade/china_exports_monthly_qennis``), twelve months before (2022-08..2023-07)
against twelve months after (2023-08..2024-07). HS 811292 also holds indium, niobium,
vanadium, hafnium and rhenium: it is an upper bound of Ga/Ge trade and its composition can
move on its own.

Predicted: the PE model on the store's 2022 gallium (refinery) baseline with licensing of
China's exports at assumed shares of baseline (no licence statistics are public). The
shares are *not* fitted to the observations; the result reports, for each, the predicted
change of China's exports, of their unit value (FOB price including the licence rent),
and of each destination's imports from China, beside the observed changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError

EVENT = "2023-08"
BEFORE = ("2022-08", "2023-07")
AFTER = ("2023-08", "2024-07")
CSV = "comtrade/china_exports_monthly_qennis/deep_dive_hs6_monthly.csv"


def china_monthly(store: Any = None, source_dir: Path | None = None) -> pd.DataFrame:
    """China's monthly Ga/Ge (HS 811292) exports: ``period, importer, value_usd, quantity_t``."""
    if store is not None:
        try:
            t = store.table("china_exports_monthly")
        except Exception:  # noqa: BLE001  (table absent: fall back to the CSV)
            t = None
        if t is not None and len(t):
            t = t[t["product_group"] == "gallium_germanium"]
            return t[["period", "importer", "value_usd", "quantity_t", "source"]].reset_index(drop=True)
    if source_dir is None:
        raise SourceFormatError("china_exports_monthly is not in the store; pass the shared data "
                                "folder (source_dir) to read the CSV.")
    from critmin.countries import harmonise_countries

    path = Path(source_dir) / CSV
    raw = pd.read_csv(path)
    raw = raw[raw["hs6"].astype(str) == "811292"]
    raw = harmonise_countries(raw, "partner_name", str(path), out="importer")
    return pd.DataFrame({"period": raw["period_dt"].str[:7], "importer": raw["importer"],
                         "value_usd": raw["val"], "quantity_t": raw["qty"] / 1000.0,
                         "source": "comtrade-china-monthly-qennis"})


def observed_changes(monthly: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per destination and in total: quantity and unit value before and after the event."""
    def window(lo: str, hi: str) -> pd.DataFrame:
        w = monthly[(monthly["period"] >= lo) & (monthly["period"] <= hi)]
        return w.groupby("importer")[["value_usd", "quantity_t"]].sum()

    b, a = window(*BEFORE), window(*AFTER)
    out = b.join(a, lsuffix="_before", rsuffix="_after", how="outer").fillna(0.0)
    out["observed_change_share"] = np.where(out["quantity_t_before"] > 0,
                                            out["quantity_t_after"] / out["quantity_t_before"].where(
                                                out["quantity_t_before"] > 0) - 1, np.nan)
    tot = out.sum()
    uv_b = tot["value_usd_before"] / tot["quantity_t_before"]
    uv_a = tot["value_usd_after"] / tot["quantity_t_after"]
    m = monthly.groupby("period")["quantity_t"].sum()
    first2 = m.reindex(["2023-08", "2023-09"]).sum() / m.reindex(["2022-08", "2022-09"]).sum() - 1
    pre = m.reindex(["2023-06", "2023-07"]).sum() / m.reindex(["2022-06", "2022-07"]).sum() - 1
    summary = {"quantity_t_before": float(tot["quantity_t_before"]), "quantity_t_after": float(tot["quantity_t_after"]),
               "quantity_change_share": float(tot["quantity_t_after"] / tot["quantity_t_before"] - 1),
               "unit_value_usd_per_t_before": float(uv_b), "unit_value_usd_per_t_after": float(uv_a),
               "unit_value_change_share": float(uv_a / uv_b - 1),
               "first_two_months_yoy_change_share": float(first2),
               "announcement_months_yoy_change_share": float(pre)}
    return out.reset_index(), summary


@dataclass(frozen=True, eq=False)
class Backtest:
    """Observed against predicted changes; ``markdown()`` writes the doc's tables.

    An analysis that sets model runs beside observations, not a model result: the runs
    themselves are :class:`critmin.models.base.Result` values of the PE model.
    """

    observed: pd.DataFrame
    observed_summary: dict[str, float]
    predicted: pd.DataFrame          # per share and destination
    predicted_summary: pd.DataFrame  # per share: China's exports and FOB price
    baseline_note: str

    def gaps(self) -> pd.DataFrame:
        """Per share: predicted minus observed change of China's exports and unit value, and
        the mean absolute gap over destinations (shares of baseline)."""
        rows = []
        obs = self.observed.set_index("importer")
        for share, g in self.predicted.groupby("licensing_share"):
            s = self.predicted_summary.set_index("licensing_share").loc[share]
            j = g.set_index("importer").join(obs[["observed_change_share"]], how="inner").dropna()
            rows.append({
                "licensing_share": share,
                "exports_gap_share": s["exports_change_share"] - self.observed_summary["quantity_change_share"],
                "unit_value_gap_share": s["fob_price_change_share"] - self.observed_summary["unit_value_change_share"],
                "destinations_compared": len(j),
                "mean_abs_destination_gap_share": float((j["predicted_change_share"] - j["observed_change_share"]).abs().mean())
                if len(j) else np.nan,
            })
        return pd.DataFrame(rows)

    def markdown(self) -> str:
        o = self.observed_summary
        lines = ["| measure | observed |", "|---|---|",
                 f"| China's HS 811292 exports, 12 months before (t) | {o['quantity_t_before']:,.1f} |",
                 f"| ... 12 months after (t) | {o['quantity_t_after']:,.1f} |",
                 f"| change in quantity | {o['quantity_change_share']:+.1%} |",
                 (f"| change in unit value (USD/t) | {o['unit_value_change_share']:+.1%} "
                  f"({o['unit_value_usd_per_t_before']:,.0f} -> {o['unit_value_usd_per_t_after']:,.0f}) |"),
                 f"| Aug-Sep 2023 vs Aug-Sep 2022 | {o['first_two_months_yoy_change_share']:+.1%} |",
                 f"| Jun-Jul 2023 (announced 3 July) vs Jun-Jul 2022 | {o['announcement_months_yoy_change_share']:+.1%} |",
                 "", ("| assumed licensing share | predicted China exports | predicted FOB price (incl. rent) "
                      "| gap exports (pred - obs) | gap unit value | mean abs. gap, destinations |"),
                 "|---|---|---|---|---|---|"]
        gaps = self.gaps().set_index("licensing_share")
        for r in self.predicted_summary.itertuples():
            g = gaps.loc[r.licensing_share]
            lines.append(f"| {r.licensing_share:.2f} | {r.exports_change_share:+.1%} | {r.fob_price_change_share:+.1%} "
                         f"| {g.exports_gap_share:+.1%} | {g.unit_value_gap_share:+.1%} "
                         f"| {g.mean_abs_destination_gap_share:.1%} ({int(g.destinations_compared)} destinations) |")
        return "\n".join(lines)


def run_backtest(store: Any, source_dir: Path | None = None, shares: tuple[float, ...] = (0.5, 0.8),
                 year: int = 2022, mode: str = "exact") -> Backtest:
    """Run the backtest on the store's gallium baseline of ``year``."""
    from critmin.baseline import build_baseline
    from critmin.models.pe import PartialEquilibrium
    from critmin.models.pe.data import MarketBaseline
    from critmin.scenario.values import Scenario, Shock
    from critmin.scenario.pe import Elasticities

    observed, summary = observed_changes(china_monthly(store, source_dir))
    built = build_baseline(store, "gallium", "refinery", year)
    flows = built.flows.rename(columns={"quantity_t": "flow_t"})
    flows = flows[flows["flow_t"] > 0]
    base = MarketBaseline("gallium", "refinery", year, flows[["exporter", "importer", "flow_t", "method", "source"]],
                          price_usd_per_t=summary["unit_value_usd_per_t_before"],
                          price_source="unit value of China's HS 811292 exports, 2022-08..2023-07")
    # the package defaults with their per-mineral entries (gallium substitution 2.0)
    el = Elasticities()
    pred_rows, sum_rows = [], []
    for share in shares:
        sc = Scenario(f"ga-licensing-{share}", shocks=(
            Shock("licensing", exporters=("CHN",), importers=None, share=share),))
        res = PartialEquilibrium(mode=mode, elasticities=el).solve(base, sc)
        flows = res.tables["flows"]
        f = flows[(flows["exporter"] == "CHN") & (flows["importer"] != "CHN")]
        x0, x1 = f["flow_t_baseline"].sum(), f["flow_t"].sum()
        w = res.tables["countries"].set_index("country").loc["CHN", "world_price_change_share"]
        fob = ((1 + w) * base.price_usd_per_t * f["flow_t"] + f["rent_usd_per_t"] * f["flow_t"]).sum() / x1
        sum_rows.append({"licensing_share": share, "exports_change_share": x1 / x0 - 1,
                         "world_price_change_share": w,
                         "fob_price_change_share": fob / base.price_usd_per_t - 1})
        pred_rows.append(pd.DataFrame({"licensing_share": share, "importer": f["importer"],
                                       "predicted_change_share": f["flow_change_share"]}))
    note = (f"{built!r}; cells observed/mirror/estimated: "
            f"{built.flows['method'].value_counts().to_dict()}")
    return Backtest(observed, summary, pd.concat(pred_rows, ignore_index=True), pd.DataFrame(sum_rows), note)
