"""Backtest of China's August 2023 Ga/Ge licensing (docs/pe-backtest.md).

Source: China's monthly HS 811292 exports by destination (UN Comtrade via
qennis/ChinaCriticalMineralComtrade, in ../shared/data). The test checks that the backtest
runs and reports, and records the gaps; it does NOT require them to be small (the
documented result is that the model gets the sign of the quantity change wrong). Tolerances
below only pin the observed figures (1e-6 relative, they are data) and the mechanics of the
prediction (a binding licence at share s cuts China's exports by 1 - s, to 1e-9).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def backtest(source_store, shared_data):
    from critmin.backtest import run_backtest

    return run_backtest(source_store, shared_data, shares=(0.5, 0.8, 0.95))


def test_observed_changes_match_the_monthly_data(backtest) -> None:
    o = backtest.observed_summary
    assert o["quantity_t_before"] == pytest.approx(1148.94, rel=1e-5)
    assert o["quantity_change_share"] == pytest.approx(0.409, abs=1e-3)
    assert o["unit_value_change_share"] == pytest.approx(0.200, abs=1e-3)


def test_prediction_runs_and_the_gaps_are_recorded(backtest) -> None:
    s = backtest.predicted_summary.set_index("licensing_share")
    for share in (0.5, 0.8, 0.95):
        assert s.loc[share, "exports_change_share"] == pytest.approx(share - 1, abs=1e-9)
        assert s.loc[share, "fob_price_change_share"] > 0
    gaps = backtest.gaps()
    assert len(gaps) == 3 and gaps["destinations_compared"].min() >= 10
    table = backtest.markdown()
    assert "gap exports" in table and "+40.9%" in table
    print("\n" + table)  # recorded in the test log
