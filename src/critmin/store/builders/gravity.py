"""Builders of the GE baseline: a recent, aggregated world from ITPD-E R02 and DGD 2.1,
and the trade-cost function estimated on its panel by PPML.

Load inputs / Process / Save outputs:

1. **Sample.** A country enters the GE as itself when ITPD-E reports a positive domestic
   flow for at least :data:`MIN_DOMESTIC_SHARE` of the sector's industries in the GE year;
   every other country is summed into ``ROW`` (rest of the world), whose domestic flow is
   the sum of all flows among and within its members as reported. The **GE year** is the
   latest year in which the countries passing that test ship at least
   :data:`MIN_EXPORT_COVERAGE` of the sector's world exports (manufacturing: 2015; in 2016
   China's domestic coverage falls to 3 of 118 industries and the share to 48 %).
   ``ge_sample`` lists every country with its coverage, status and the reason.
2. **Panel.** The same sample (plus ``ROW``) every :data:`PANEL_STEP` years back from the GE
   year (Yotov et al. 2016 use intervals, not consecutive years, so that trade costs can
   adjust). Pairs ITPD-E does not report are zeros. A sample country's domestic flow in a
   year where its coverage is below the threshold is left out of the estimation (it is
   understated, not small). Gravity variables of pairs with ``ROW`` are the members'
   values weighted by that year's flows.
3. **PPML** (Yotov et al. 2016, ch. 1, "globalisation" specification): ``flow ~ rta +
   intl_<year> (every panel year but the GE year) | exporter^year + importer^year + pair``
   with directional pair effects, standard errors clustered by pair. The border dummies are
   0 in the GE year, so the GE cost of a pair is ``log T_ij = pair_ij + b_rta rta_ij``
   (``ge_coefficients.ge_variable`` names the ``ge_flows`` column each term multiplies, empty
   for the year dummies). Pair effects of pairs that never trade are predicted by a PPML of
   ``exp(pair_ij)`` on distance, contiguity, language and colony with exporter and importer
   effects (the book's application 2); a pair observed only in the GE year (pyfixest drops
   singletons) takes the effect that reproduces its flow.

The estimation runs the generic PPML estimator of the GE model (pyfixest), imported inside
the build function: the estimated coefficients are a stored table like any other, built
once from their inputs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources import dgd, itpde
from critmin.store.build import BuildContext, Builder
from critmin.store.catalog import TableData

#: The share of a sector's industries with a positive domestic flow a country needs in the
#: GE year to enter the model as itself.
MIN_DOMESTIC_SHARE = 0.5
#: The share of world exports the sample must ship for a year to serve as the GE year.
MIN_EXPORT_COVERAGE = 0.6
#: Years between panel observations (the book's ch. 1 uses 4; 3 gives six years 2000-2015).
PANEL_STEP = 3
#: Sectors built into the store. (Mining and energy: the countries with domestic coverage
#: ship at most a third of world exports in any year, too few for a GE.)
SECTORS = ("manufacturing",)
REST = "ROW"
#: The panel PPML, Yotov et al. (2016) ch. 1 "globalisation" specification: RTA plus one
#: international-border dummy per panel year but the last (``{borders}`` is filled in).
FORMULA = "flow_usd ~ rta{borders} | exporter^year + importer^year + pair"
FILL_FORMULA = "tij ~ ln_dist_km + contig + common_language + colony | exporter + importer"
GRAVITY = ("ln_dist_km", "contig", "common_language", "colony", "rta", "wto")


@dataclass(frozen=True)
class GravityBuild:
    """Everything the four GE tables are cut from (computed once per source directory)."""

    sample: pd.DataFrame
    flows: pd.DataFrame
    coefficients: pd.DataFrame
    covariance: pd.DataFrame
    origins: tuple
    panel: pd.DataFrame   # the estimation frame (not stored: tests cross-check the PPML on it)


def choose_year(coverage: pd.DataFrame, exports: pd.Series) -> tuple[int, pd.DataFrame]:
    """The GE year and the per-year figures it was chosen from.

    ``coverage``: country, year, domestic_industries_count, industries_count for one sector;
    ``exports``: international exports by (year, country).
    """
    share = (coverage["domestic_industries_count"] / coverage["industries_count"])
    ok = coverage.assign(share=share).set_index(["year", "country"])["share"] >= MIN_DOMESTIC_SHARE
    rows = []
    for year, e in exports.groupby(level="year"):
        e = e.droplevel("year")
        covered = ok.reindex(pd.MultiIndex.from_product([[year], e.index])).to_numpy() == True  # noqa: E712
        rows.append({"year": int(year), "countries_count": int(covered.sum()),
                     "exports_share": float(e[covered].sum() / e.sum())})
    table = pd.DataFrame(rows)
    good = table[table["exports_share"] >= MIN_EXPORT_COVERAGE]
    if good.empty:
        msg = (f"ITPD-E: in no year do countries with domestic flows for {MIN_DOMESTIC_SHARE:.0%} "
               f"of industries ship {MIN_EXPORT_COVERAGE:.0%} of world exports; no GE year.")
        raise SourceFormatError(msg)
    return int(good["year"].max()), table


def _weighted(frame: pd.DataFrame, keys: list[str], columns: tuple[str, ...]) -> pd.DataFrame:
    """Flow-weighted means of ``columns`` by ``keys`` (simple means where flows are all 0)."""
    w = frame["flow_usd"].to_numpy()
    parts = {}
    g = frame.assign(_w=w, _one=1.0)
    for col in columns:
        v = g[col].astype(float)
        has = v.notna()
        g[f"_wx_{col}"] = np.where(has, v.fillna(0) * g["_w"], 0.0)
        g[f"_w_{col}"] = np.where(has, g["_w"], 0.0)
        g[f"_x_{col}"] = v.fillna(0)
        g[f"_n_{col}"] = has.astype(float)
    sums = g.groupby(keys, sort=False)[[c for c in g.columns if c.startswith("_")]].sum()
    for col in columns:
        weighted = sums[f"_wx_{col}"] / sums[f"_w_{col}"].replace(0, np.nan)
        plain = sums[f"_x_{col}"] / sums[f"_n_{col}"].replace(0, np.nan)
        parts[col] = weighted.fillna(plain)
    return pd.DataFrame(parts).reset_index()


@functools.cache
def _build(source_dir: str, sector: str = "manufacturing") -> GravityBuild:
    from critmin.models.ge.ppml import estimate_ppml  # the GE model's estimator (see docstring)

    root = Path(source_dir)
    # --- Load inputs
    pairs_path, cov_path, dgd_path = (root / itpde.PAIRS_FILE, root / itpde.COVERAGE_FILE,
                                      root / dgd.FILE)
    pairs = itpde.parse_pairs(pairs_path)
    coverage = itpde.parse_coverage(cov_path)
    flows = pairs.frame[pairs.frame["sector"] == sector]
    cov = coverage.frame[coverage.frame["sector"] == sector]
    # --- Process: GE year and sample
    intl = flows[flows["exporter"] != flows["importer"]]
    exports = intl.groupby(["year", "exporter"])["flow_usd"].sum().rename_axis(["year", "country"])
    year, _ = choose_year(cov, exports)
    share = (cov["domestic_industries_count"] / cov["industries_count"]).rename("share")
    cov = cov.assign(domestic_coverage_share=share)
    cur_cov = cov[cov["year"] == year].set_index("country")
    dom = flows[(flows["year"] == year) & (flows["exporter"] == flows["importer"])]
    dom_flow = dom.set_index("exporter")["flow_usd"]
    countries = sorted(set(flows.loc[flows["year"] == year, "exporter"])
                       | set(flows.loc[flows["year"] == year, "importer"]))
    in_model = sorted(c for c in countries
                      if cur_cov["domestic_coverage_share"].get(c, 0.0) >= MIN_DOMESTIC_SHARE
                      and dom_flow.get(c, 0.0) > 0)
    ex_year = exports.loc[year]
    world = float(ex_year.sum())
    sample_rows = []
    for c in countries:
        n = int(cur_cov["domestic_industries_count"].get(c, 0))
        total = int(cur_cov["industries_count"].get(c, cov["industries_count"].max()))
        keep = c in in_model
        reason = (f"domestic flow for {n} of {total} industries (>= {MIN_DOMESTIC_SHARE:.0%})" if keep
                  else f"domestic flow for {n} of {total} industries (< {MIN_DOMESTIC_SHARE:.0%}); "
                       f"summed into {REST}")
        sample_rows.append({"sector": sector, "year": year, "country": c,
                            "status": "model" if keep else "rest_of_world",
                            "domestic_industries_count": n, "industries_count": total,
                            "domestic_coverage_share": n / total if total else 0.0,
                            "exports_usd": float(ex_year.get(c, 0.0)),
                            "exports_share": float(ex_year.get(c, 0.0)) / world,
                            "reason": reason, "source": itpde.SOURCE_ID})
    sample = pd.DataFrame(sample_rows)
    # --- Process: the aggregated panel
    years = tuple(sorted(y for y in range(year, 1999, -PANEL_STEP)))
    geo = dgd.parse_dgd(dgd_path, years=years)
    panel = flows[flows["year"].isin(years)].copy()
    keep = set(in_model)
    panel["ex"] = panel["exporter"].where(panel["exporter"].isin(keep), REST)
    panel["im"] = panel["importer"].where(panel["importer"].isin(keep), REST)
    panel = panel.merge(geo.frame.drop(columns=["source"]), how="left",
                        on=["year", "exporter", "importer"])
    own = panel["exporter"] == panel["importer"]
    panel.loc[own, ["rta", "wto", "contig", "colony"]] = 0
    panel.loc[own, "common_language"] = 1
    agg_flow = panel.groupby(["year", "ex", "im"], sort=False)["flow_usd"].sum().reset_index()
    agg_x = _weighted(panel, ["year", "ex", "im"], GRAVITY)
    agg = agg_flow.merge(agg_x, on=["year", "ex", "im"]).rename(columns={"ex": "exporter",
                                                                         "im": "importer"})
    names = sorted(keep) + [REST]
    full = pd.MultiIndex.from_product([years, names, names], names=["year", "exporter", "importer"])
    agg = agg.set_index(["year", "exporter", "importer"]).reindex(full)
    agg["observed"] = agg["flow_usd"].notna()
    agg["flow_usd"] = agg["flow_usd"].fillna(0.0)
    agg = agg.reset_index()
    # gravity variables of pairs with no flow in a year: the same pair's values from the
    # nearest year that has them, else the DGD's own row (sample pairs)
    agg[list(GRAVITY)] = agg.groupby(["exporter", "importer"])[list(GRAVITY)].transform(
        lambda s: s.ffill().bfill())
    missing = agg[list(GRAVITY)].isna().any(axis=1)
    if missing.any():
        lookup = geo.frame.set_index(["year", "exporter", "importer"])[list(GRAVITY)]
        idx = pd.MultiIndex.from_frame(agg.loc[missing, ["year", "exporter", "importer"]])
        agg.loc[missing, list(GRAVITY)] = lookup.reindex(idx).to_numpy()
    cov_by = cov.set_index(["year", "country"])["domestic_coverage_share"]
    own = agg["exporter"] == agg["importer"]
    dom_share = cov_by.reindex(pd.MultiIndex.from_frame(agg[["year", "exporter"]])).to_numpy()
    partial = own & (agg["exporter"] != REST) & ~(np.nan_to_num(dom_share) >= MIN_DOMESTIC_SHARE)
    agg["estimation"] = ~partial.to_numpy()
    agg["pair"] = agg["exporter"] + "-" + agg["importer"]
    # --- Process: PPML on the panel
    est = agg[agg["estimation"]].reset_index(drop=True)
    borders = [f"intl_{y}" for y in years[:-1]]
    for name, y in zip(borders, years[:-1]):
        est[name] = ((est["exporter"] != est["importer"]) & (est["year"] == y)).astype(float)
    formula = FORMULA.format(borders="".join(f" + {b}" for b in borders))
    fit = estimate_ppml(est, formula, vcov={"CRV1": "pair"})
    gamma = fit.fixef.get("pair")
    if gamma is None:
        raise SourceFormatError("PPML: pair fixed effects could not be recovered.")
    cur = agg[agg["year"] == year].copy()
    cur["pair_effect"] = cur["pair"].map(gamma)
    cur["pair_effect_method"] = np.where(cur["pair_effect"].notna(), "estimated", "predicted")
    # a pair seen in one panel year only (singleton: pyfixest drops it) takes the effect that
    # reproduces its GE-year flow given the exporter-year and importer-year effects
    label = cur["exporter"] + "/" + str(year), cur["importer"] + "/" + str(year)
    fe_e = label[0].map(fit.fixef.get("exporter__year", {}))
    fe_i = label[1].map(fit.fixef.get("importer__year", {}))
    single = cur["pair_effect"].isna() & (cur["flow_usd"] > 0) & fe_e.notna() & fe_i.notna()
    cur.loc[single, "pair_effect"] = (np.log(cur.loc[single, "flow_usd"]) - fe_e[single]
                                      - fe_i[single])
    cur.loc[single, "pair_effect_method"] = "single_year"
    lack = cur["pair_effect"].isna() & (cur["exporter"] != cur["importer"])
    if lack.any():
        second = cur[(cur["exporter"] != cur["importer"]) & cur["pair_effect"].notna()]
        fit2 = estimate_ppml(second.assign(tij=np.exp(second["pair_effect"])), FILL_FORMULA)
        miss = cur[lack]
        lin = miss[list(fit2.coef.index)].to_numpy(float) @ fit2.coef.to_numpy()
        for fe in ("exporter", "importer"):
            lin += miss[fe].map(fit2.fixef.get(fe, {})).fillna(0).to_numpy()
        cur.loc[lack, "pair_effect"] = lin
    if cur["pair_effect"].isna().any():
        bad = cur.loc[cur["pair_effect"].isna(), "pair"].tolist()
        raise SourceFormatError(f"PPML: no pair effect for {bad} (a country's own flow never "
                                "entered the estimation).")
    cur = cur.assign(sector=sector, source=itpde.SOURCE_ID)
    terms = list(fit.coef.index)
    se = fit.se
    coefficients = pd.DataFrame({
        "sector": sector, "year": year, "term": terms, "estimate": fit.coef.to_numpy(),
        "std_error": se.to_numpy(), "ge_variable": [t if t in cur.columns else "" for t in terms],
        "formula": formula, "vcov": fit.vcov_type,
        "observations_count": fit.nobs, "panel_years": ",".join(map(str, years)),
        "source": itpde.SOURCE_ID})
    covariance = pd.DataFrame([
        {"sector": sector, "year": year, "term": a, "term2": b,
         "covariance": float(fit.vcov.loc[a, b]), "source": itpde.SOURCE_ID}
        for a in terms for b in terms])
    origins = (itpde.origin(pairs_path), geo.origins[0])
    # the coverage file has its own checksum: record it beside the flows file
    cov_origin = itpde.origin(cov_path)
    return GravityBuild(sample, cur, coefficients, covariance,
                        (origins[0], origins[1], cov_origin), est)


def _origins(build: GravityBuild) -> tuple:
    """One Origin per source id (the store keys provenance by id): the flows file for
    ITPD-E, whose coverage companion is named in the flows origin's file field."""
    flows_o, dgd_o, cov_o = build.origins
    from dataclasses import replace

    merged = replace(flows_o, file=f"{flows_o.file} + {cov_o.file}",
                     sha256=_manifest(flows_o.sha256, cov_o.sha256))
    return merged, dgd_o


def _manifest(*digests: str) -> str:
    import hashlib

    return hashlib.sha256("".join(f"{d}\n" for d in digests).encode()).hexdigest()


def build_ge_sample(ctx: BuildContext) -> TableData:
    b = _build(str(ctx.source_dir))
    return TableData("ge_sample", b.sample, _origins(b)[:1])


def build_ge_flows(ctx: BuildContext) -> TableData:
    b = _build(str(ctx.source_dir))
    return TableData("ge_flows", b.flows, _origins(b))


def build_ge_coefficients(ctx: BuildContext) -> TableData:
    b = _build(str(ctx.source_dir))
    return TableData("ge_coefficients", b.coefficients, _origins(b))


def build_ge_covariance(ctx: BuildContext) -> TableData:
    b = _build(str(ctx.source_dir))
    return TableData("ge_covariance", b.covariance, _origins(b))


BUILDERS = (
    Builder("ge_sample", build_ge_sample),
    Builder("ge_flows", build_ge_flows),
    Builder("ge_coefficients", build_ge_coefficients),
    Builder("ge_covariance", build_ge_covariance),
)
