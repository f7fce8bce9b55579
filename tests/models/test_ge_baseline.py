"""The GE baseline from the store (ITPD-E R02 + DGD 2.1, PPML on the panel): sample choice,
stored estimates checked against an independent Poisson MLE, and the US-India scenario on a
store built from the snapshot alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.errors import UnknownNameError, UnknownYearError
from critmin.baselines.ge import load_ge_baseline
from critmin import run
from critmin.models.ge.ppml import estimate_ppml
from critmin.scenario import load_scenario
from critmin.scenario.registry import plugin
from critmin.store.builders import gravity as gb

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
US_INDIA = SCENARIOS / "us-india-2026-ge.yaml"


# ---------------------------------------------------------------- an independent PPML

def poisson_irls(y: np.ndarray, x: np.ndarray, tol: float = 1e-12, max_iter: int = 200
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Poisson MLE by iteratively reweighted least squares on a full dummy design (numpy
    lstsq, min-norm where the dummies are collinear), and the heteroskedasticity-robust
    covariance (X'WX)^+ X' diag(e^2) X (X'WX)^+. Independent of pyfixest's demeaning."""
    mu = np.where(y > 0, y, y.mean()) + 0.1
    eta = np.log(mu)
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        z = eta + (y - mu) / mu
        w = np.sqrt(mu)
        new, *_ = np.linalg.lstsq(x * w[:, None], z * w, rcond=None)
        eta = x @ new
        mu = np.exp(eta)
        if np.max(np.abs(new - beta)) < tol:
            beta = new
            break
        beta = new
    bread = np.linalg.pinv(x.T @ (x * mu[:, None]))
    meat = x.T @ (x * ((y - mu) ** 2)[:, None])
    return beta, bread @ meat @ bread


def _dummies(frame: pd.DataFrame, cols: list[str], covars: list[str]) -> np.ndarray:
    parts = [frame[covars].to_numpy(float)]
    for c in cols:
        parts.append(pd.get_dummies(frame[c]).to_numpy(float))
    return np.hstack(parts)


def _synthetic_panel(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    countries = ["A", "B", "C", "D", "E"]
    rows = []
    pair = {(e, m): rng.normal(0, 1) for e in countries for m in countries}
    for year in (2009, 2012, 2015):
        for e in countries:
            for m in countries:
                rta = float(e != m and rng.random() < 0.3 + 0.1 * (year - 2009) / 3)
                mu = np.exp(3 + pair[(e, m)] + 0.4 * rta + 0.1 * (year - 2009) / 3 + 2 * (e == m))
                rows.append({"exporter": e, "importer": m, "year": year, "rta": rta,
                             "flow_usd": float(rng.poisson(mu))})
    f = pd.DataFrame(rows)
    f["pair"] = f["exporter"] + "-" + f["importer"]
    f["exporter__year"] = f["exporter"] + "/" + f["year"].astype(str)
    f["importer__year"] = f["importer"] + "/" + f["year"].astype(str)
    return f


def test_pyfixest_ppml_matches_an_independent_poisson_mle_on_a_synthetic_panel():
    """pyfixest fepois vs IRLS on the full dummy design: coefficient to 1e-6, robust s.e.
    to 1e-4 (relative)."""
    f = _synthetic_panel()
    fit = estimate_ppml(f, "flow_usd ~ rta | exporter^year + importer^year + pair", vcov="hetero")
    beta, cov = poisson_irls(f["flow_usd"].to_numpy(), _dummies(
        f, ["exporter__year", "importer__year", "pair"], ["rta"]))
    assert fit.coef["rta"] == pytest.approx(beta[0], abs=1e-6)
    assert fit.se["rta"] == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-4)


# ---------------------------------------------------------------- the build (raw files)

@pytest.fixture(scope="module")
def built(shared_data):
    return gb._build(str(shared_data))


def test_ge_year_is_2015_and_the_sample_keeps_usa_india_china_germany(built):
    s = built.sample
    assert set(s["year"]) == {2015}
    model = set(s.loc[s["status"] == "model", "country"])
    assert {"USA", "IND", "CHN", "DEU", "KOR"} <= model
    # Japan has a domestic flow for 2 of 118 manufacturing industries in 2015: in ROW
    jpn = s.set_index("country").loc["JPN"]
    assert jpn["status"] == "rest_of_world" and "2 of 118" in jpn["reason"]
    assert s.loc[s["status"] == "model", "exports_share"].sum() >= gb.MIN_EXPORT_COVERAGE


def test_aggregation_into_the_rest_of_the_world_keeps_world_trade(built, shared_data):
    from critmin.sources import itpde

    raw = itpde.parse_pairs(shared_data / itpde.PAIRS_FILE).frame
    raw = raw[(raw["sector"] == "manufacturing") & (raw["year"] == 2015)]
    assert built.flows["flow_usd"].sum() == pytest.approx(raw["flow_usd"].sum(), rel=1e-12)
    ind_usa = raw.query("exporter == 'IND' and importer == 'USA'")["flow_usd"].item()
    got = built.flows.query("exporter == 'IND' and importer == 'USA'")["flow_usd"].item()
    assert got == ind_usa


def test_stored_ppml_matches_an_independent_poisson_mle_on_a_subsample(built):
    """The panel's USA-IND-CHN-DEU-ROW block, 2000-2015: pyfixest vs IRLS, rta coefficient
    to 1e-6 and robust s.e. to 1e-4 (relative)."""
    p = built.panel
    sub = p[p["exporter"].isin(["USA", "IND", "CHN", "DEU", "ROW"])
            & p["importer"].isin(["USA", "IND", "CHN", "DEU", "ROW"])].reset_index(drop=True)
    sub = sub.assign(flow_usd=sub["flow_usd"] / 1e9,
                     exporter__year=sub["exporter"] + "/" + sub["year"].astype(str),
                     importer__year=sub["importer"] + "/" + sub["year"].astype(str))
    fit = estimate_ppml(sub, "flow_usd ~ rta | exporter^year + importer^year + pair", vcov="hetero")
    beta, cov = poisson_irls(sub["flow_usd"].to_numpy(), _dummies(
        sub, ["exporter__year", "importer__year", "pair"], ["rta"]))
    assert fit.coef["rta"] == pytest.approx(beta[0], abs=1e-6)
    assert fit.se["rta"] == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-4)


# ---------------------------------------------------------------- the snapshot store

def test_snapshot_holds_the_ge_baseline_with_estimates_and_provenance(snapshot_store):
    base = load_ge_baseline(snapshot_store)
    assert (base.source, base.sector, base.year) == ("itpd-e", "manufacturing", 2015)
    assert "ROW" in base.countries and {"USA", "IND"} <= set(base.countries)
    assert len(base.flows) == len(base.countries) ** 2
    coef = base.coefficients.set_index("term")
    assert (coef["std_error"] > 0).all() and base.cost_terms == ("rta",)
    assert np.allclose(np.diag(base.covariance.to_numpy()), coef["std_error"] ** 2)
    assert {p["source"] for p in base.provenance} == {"usitc-itpde-r02", "usitc-dgd-2.1"}


@pytest.mark.parametrize("kwargs, error", [
    ({"sector": "services"}, UnknownNameError),
    ({"source": "baci"}, UnknownNameError),
    ({"year": 2019}, UnknownYearError),
])
def test_a_baseline_the_store_does_not_hold_is_a_clear_error(snapshot_store, kwargs, error):
    with pytest.raises(error, match="(?i)accepted|did you mean|choose|known|available|holds"):
        load_ge_baseline(snapshot_store, **kwargs)


def test_us_india_tariff_cut_raises_both_countries_exports_and_real_gdp(snapshot_store):
    from dataclasses import replace

    scenario = load_scenario(US_INDIA)
    ge = plugin("ge")
    base = ge.load_baseline(scenario, snapshot_store)
    res = replace(ge.make_model(scenario), draws=20).solve(base, scenario)
    c = res.table("countries").set_index("country")
    assert c.loc["IND", "exports_change_share"] > 0.10 and c.loc["USA", "exports_change_share"] > 0
    assert c.loc["IND", "real_gdp_change_share"] > 0 and c.loc["USA", "real_gdp_change_share"] > 0
    assert c.loc["IND", "real_gdp_change_share_p05"] <= c.loc["IND", "real_gdp_change_share_p95"]
    assert {"usitc-itpde-r02", "usitc-dgd-2.1"} <= {p["source"] for p in res.provenance}


def test_us_india_runs_from_the_snapshot_with_an_empty_source_dir(snapshot_store, tmp_path,
                                                                  monkeypatch):
    from critmin.cli import app

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("CRITMIN_SOURCE_DIR", str(empty))
    res = CliRunner().invoke(app, ["run", str(US_INDIA), "--format", "json",
                                   "--store", str(snapshot_store.path)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    rows = {r["country"]: r for r in doc["tables"]["countries"]}
    for iso in ("IND", "USA"):
        assert rows[iso]["exports_change_share"] > 0 and rows[iso]["real_gdp_change_share"] > 0
    notes = [p.get("note", "") for p in doc["provenance"] if p["source"] == "scenario assumption"]
    assert any("50 %" in n for n in notes)      # the tariffs in force are stated as assumptions


def test_a_scenario_with_both_a_store_baseline_and_data_is_refused_with_its_line(tmp_path):
    from critmin.errors import ScenarioError

    text = US_INDIA.read_text().replace("  source: itpd-e\n", "  source: itpd-e\n  data: {file: x.csv}\n")
    path = tmp_path / "both.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=r"both.yaml:\d+: baseline: .*either source:"):
        load_scenario(path)
