"""The PE model against closed forms and the published GSIM linear system.

Sources
-------
- Closed forms: single-source Armington markets with iso-elastic supply and demand solve
  by hand (derivations in docs/pe-model.md, section "Closed forms"). Tolerance 1e-9
  relative (solver tolerance 1e-10 on residuals scaled by baseline quantities).
- GSIM: Francois & Hall (2003), "Global Simulation Analysis of Industry-Level Trade
  Policy", equations for the own-price demand elasticity ``N_ii = theta_i E_m -
  (1 - theta_i) E_s`` and cross-price elasticity ``N_ik = theta_k (E_m + E_s)``, with
  export supply ``X^ = E_x P*^``. The test builds that linear system independently of
  critmin and compares; tolerance 1e-9 (both are exact linear solves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.models.pe import PartialEquilibrium
from critmin.models.pe.data import MarketBaseline, toy_baseline
from critmin.scenario import ReferencePrice, Scenario, Shock
from critmin.scenario.pe import Elasticities

EPS, EM, SIG = 0.5, -0.5, 3.0


def _el(eps: float = EPS, em: float = EM, sig: float = SIG) -> Elasticities:
    return Elasticities(import_demand=em, export_supply=eps, substitution=sig, by_mineral=())


def _one_pair(q: float = 100.0, price: float | None = 1000.0) -> MarketBaseline:
    """One exporter (AUS) selling only to one importer (JPN), which has no other source."""
    return MarketBaseline("cobalt", "refinery", 2023,
                          pd.DataFrame({"exporter": ["AUS"], "importer": ["JPN"], "flow_t": [q]}),
                          price_usd_per_t=price)


def _pair(result, ex: str, im: str, col: str) -> float:
    f = result.tables["flows"]
    return float(f[(f.exporter == ex) & (f.importer == im)][col].iloc[0])


def _country(result, c: str, col: str) -> float:
    t = result.tables["countries"]
    return float(t[t.country == c][col].iloc[0])


@pytest.mark.parametrize("rate", [0.05, 0.25, 1.0])
def test_tariff_on_single_source_matches_closed_form(rate: float) -> None:
    # X = w^eps, M = (T w)^E  =>  w = T^(E / (eps - E)), M = w^eps
    sc = Scenario("t", shocks=(Shock("tariff", importers=("JPN",), exporters=("AUS",), rate=rate),))
    res = PartialEquilibrium(mode="exact", elasticities=_el()).solve(_one_pair(), sc)
    w = (1 + rate) ** (EM / (EPS - EM))
    assert _country(res, "AUS", "world_price_change_share") == pytest.approx(w - 1, rel=1e-9, abs=1e-12)
    assert _pair(res, "AUS", "JPN", "flow_t") == pytest.approx(100 * w ** EPS, rel=1e-9)


@pytest.mark.parametrize("rate", [0.05, 0.25])
def test_gsim_tariff_on_single_source_is_the_linear_formula(rate: float) -> None:
    # linear: eps w^ = E (T^ + w^)  =>  w^ = E T^ / (eps - E)
    sc = Scenario("t", shocks=(Shock("tariff", importers=("JPN",), exporters=("AUS",), rate=rate),))
    res = PartialEquilibrium(mode="gsim", elasticities=_el()).solve(_one_pair(), sc)
    w_hat = EM * rate / (EPS - EM)
    assert _country(res, "AUS", "world_price_change_share") == pytest.approx(w_hat, rel=1e-9)
    assert _pair(res, "AUS", "JPN", "flow_t") == pytest.approx(100 * (1 + EPS * w_hat), rel=1e-9)


def test_binding_quota_sets_flow_price_and_rent_by_hand() -> None:
    # quota Q < q0: M = Q; landed price p = (Q/q0)^(1/E); producer price w = (Q/q0)^(1/eps);
    # rent = p - w (no tariff)
    share = 0.6
    sc = Scenario("q", shocks=(Shock("export_quota", exporters=("AUS",), importers=None, share=share),))
    res = PartialEquilibrium(mode="exact", elasticities=_el()).solve(_one_pair(), sc)
    p, w = share ** (1 / EM), share ** (1 / EPS)
    assert _pair(res, "AUS", "JPN", "flow_t") == pytest.approx(100 * share, rel=1e-9)
    assert _pair(res, "AUS", "JPN", "landed_price_usd_per_t") == pytest.approx(1000 * p, rel=1e-9)
    assert _pair(res, "AUS", "JPN", "rent_usd_per_t") == pytest.approx(1000 * (p - w), rel=1e-8)
    # rents to the exporter: (p - w) * Q
    wel = res.tables["welfare_by_country"].set_index("country")
    assert wel.loc["AUS", "rents_usd"] == pytest.approx(1000 * (p - w) * 100 * share, rel=1e-8)


def test_slack_quota_has_zero_rent() -> None:
    sc = Scenario("q", shocks=(Shock("export_quota", exporters=("AUS",), importers=None, tonnes=150.0),))
    res = PartialEquilibrium(mode="exact", elasticities=_el()).solve(_one_pair(), sc)
    assert _pair(res, "AUS", "JPN", "flow_t") == pytest.approx(100.0, rel=1e-12)
    assert _pair(res, "AUS", "JPN", "rent_usd_per_t") == pytest.approx(0.0, abs=1e-9)


def test_adjustable_tariff_levy_brings_landed_price_to_reference() -> None:
    # non-member AUS sells to member JPN; floor 1.3 x base: landed = 1.3, M = 1.3^E,
    # w = M^(1/eps), levy = 1.3 - w
    ref = 1.3
    sc = Scenario("z", shocks=(Shock("preferential_zone", members=("JPN",), internal_tariff=0.0,
                                     enforcement="adjustable_tariff",
                                     reference_prices=(ReferencePrice("cobalt", "refinery", 1000 * ref),)),))
    res = PartialEquilibrium(mode="exact", elasticities=_el()).solve(_one_pair(), sc)
    m = ref ** EM
    w = m ** (1 / EPS)
    assert _pair(res, "AUS", "JPN", "landed_price_usd_per_t") == pytest.approx(1000 * ref, rel=1e-9)
    assert _pair(res, "AUS", "JPN", "flow_t") == pytest.approx(100 * m, rel=1e-9)
    assert _pair(res, "AUS", "JPN", "levy_usd_per_t") == pytest.approx(1000 * (ref - w), rel=1e-8)


def test_price_gap_subsidy_pays_the_gap_to_member_producers() -> None:
    # member AUS sells only at home (AUS -> AUS); floor 1.2: producers get v = 1.2,
    # supply 1.2^eps clears at market price w with w^E = 1.2^eps
    base = MarketBaseline("cobalt", "refinery", 2023,
                          pd.DataFrame({"exporter": ["AUS"], "importer": ["AUS"], "flow_t": [50.0]}),
                          price_usd_per_t=1000.0)
    ref = 1.2
    sc = Scenario("s", shocks=(Shock("preferential_zone", members=("AUS",), enforcement="price_gap_subsidy",
                                     reference_prices=(ReferencePrice("cobalt", "refinery", 1000 * ref),)),))
    res = PartialEquilibrium(mode="exact", elasticities=_el()).solve(base, sc)
    w = ref ** (EPS / EM)
    assert _country(res, "AUS", "world_price_change_share") == pytest.approx(w - 1, rel=1e-9)
    assert _country(res, "AUS", "producer_price_change_share") == pytest.approx(ref - 1, rel=1e-9)
    wel = res.tables["welfare_by_country"].set_index("country")
    assert wel.loc["AUS", "subsidy_cost_usd"] == pytest.approx(1000 * (ref - w) * 50 * ref ** EPS, rel=1e-8)


def test_consumer_surplus_is_the_area_under_iso_elastic_demand() -> None:
    rate = 0.2
    sc = Scenario("t", shocks=(Shock("tariff", importers=("JPN",), exporters=("AUS",), rate=rate),))
    res = PartialEquilibrium(mode="exact", elasticities=_el()).solve(_one_pair(), sc)
    w = (1 + rate) ** (EM / (EPS - EM))
    pi = (1 + rate) * w
    cs = -100 * 1000 * (pi ** (1 + EM) - 1) / (1 + EM)
    wel = res.tables["welfare_by_country"].set_index("country")
    assert wel.loc["JPN", "consumer_surplus_usd"] == pytest.approx(cs, rel=1e-9)
    assert wel.loc["JPN", "tariff_revenue_usd"] == pytest.approx(1000 * rate * w * 100 * w ** EPS, rel=1e-9)
    assert wel.loc["AUS", "producer_surplus_usd"] == pytest.approx(1000 * 100 * (w ** (1 + EPS) - 1) / (1 + EPS),
                                                                rel=1e-9)


def _gsim_reference(base: MarketBaseline, el: Elasticities, t_hat: np.ndarray) -> np.ndarray:
    """Francois & Hall's linear system, written out independently: world price changes."""
    countries = base.countries
    n = len(countries)
    idx = {c: k for k, c in enumerate(countries)}
    q = np.zeros((n, n))
    for r in base.flows.itertuples():
        q[idx[r.exporter], idx[r.importer]] = r.flow_t
    theta = q / q.sum(axis=0)
    X0 = q.sum(axis=1)
    em, es, ex = el.import_demand, el.substitution, el.export_supply
    # X^_i = ex P*_i ; sum_j (q_ij / X0_i) M^_ij ; M^_ij = sum_k N_(ij),(kj) (t^_kj + P*_k)
    A = np.zeros((n, n))
    b = np.zeros(n)
    for i in range(n):
        A[i, i] += ex
        for j in range(n):
            if q[i, j] == 0:
                continue
            wgt = q[i, j] / X0[i]
            for k in range(n):
                if q[k, j] == 0:
                    continue
                N = theta[i, j] * em - (1 - theta[i, j]) * es if k == i else theta[k, j] * (em + es)
                A[i, k] -= wgt * N
                b[i] += wgt * N * t_hat[k, j]
    return np.linalg.solve(A, b)


@pytest.mark.parametrize("rate", [0.01, 0.3])
def test_gsim_mode_reproduces_francois_hall_linear_system(rate: float) -> None:
    base = toy_baseline()
    el = _el()
    sc = Scenario("t", shocks=(Shock("tariff", importers=("USA", "JPN"), exporters=("CHN",), rate=rate),))
    res = PartialEquilibrium(mode="gsim", elasticities=_el()).solve(base, sc)
    countries = base.countries
    t_hat = np.zeros((4, 4))
    for im in ("USA", "JPN"):
        t_hat[countries.index("CHN"), countries.index(im)] = rate
    expected = _gsim_reference(base, el, t_hat)
    got = res.tables["countries"].set_index("country").loc[countries, "world_price_change_share"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_exact_converges_to_gsim_as_the_shock_shrinks() -> None:
    # the gap between the two modes is second order: it shrinks ~100x per 10x smaller shock
    base = toy_baseline()
    gaps = []
    for rate in (1e-1, 1e-2, 1e-3):
        sc = Scenario("t", shocks=(Shock("tariff", importers=("USA",), exporters=("CHN",), rate=rate),))
        e = PartialEquilibrium(mode="exact", elasticities=_el()).solve(base, sc).tables["countries"]["world_price_change_share"].to_numpy()
        g = PartialEquilibrium(mode="gsim", elasticities=_el()).solve(base, sc).tables["countries"]["world_price_change_share"].to_numpy()
        gaps.append(np.max(np.abs(e - g)) / rate)
    assert gaps[1] < gaps[0] / 5 and gaps[2] < gaps[1] / 5
    assert gaps[2] < 1e-2
