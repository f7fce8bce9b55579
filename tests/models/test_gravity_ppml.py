"""PPML estimation (critmin.models.ge.ppml) on data built in the test.

Reference: with flows exactly equal to exp(fixed effects + x'b), PPML recovers b to 1e-6 and the flows to 1e-4;
standard errors are pyfixest's heteroskedasticity-robust ones without small-sample factor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.errors import InputError
from critmin.models.ge.ppml import estimate_ppml, split_formula

ISO = ("BRA", "CHN", "DEU", "IND", "JPN", "USA")


def _flows(noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(ISO)
    xy = rng.uniform(0, 10, size=(n, 2))
    rows = []
    for i, e in enumerate(ISO):
        for j, m in enumerate(ISO):
            dist = float(np.hypot(*(xy[i] - xy[j]))) + 1.0
            brdr = float(i != j)
            lin = 5 + 0.3 * i - 0.2 * j - 0.8 * np.log(dist) - 2.0 * brdr
            rows.append({"exporter": e, "importer": m, "year": 2006, "ln_DIST": np.log(dist),
                         "INTL_BRDR": brdr, "trade": np.exp(lin) * np.exp(noise * rng.normal())})
    return pd.DataFrame(rows)


FORMULA = "trade ~ ln_DIST + INTL_BRDR | exporter + importer"


def test_ppml_recovers_the_coefficients_of_exact_gravity_data():
    fit = estimate_ppml(_flows(), FORMULA)
    assert fit.coef["ln_DIST"] == pytest.approx(-0.8, abs=1e-6)
    assert fit.coef["INTL_BRDR"] == pytest.approx(-2.0, abs=1e-6)
    assert fit.nobs == 36
    assert np.allclose(fit.fitted, _flows()["trade"], rtol=1e-4)   # pyfixest fixef tolerance


def test_covariance_is_symmetric_and_draws_centre_on_the_estimate():
    fit = estimate_ppml(_flows(noise=0.3), FORMULA)
    v = fit.vcov.to_numpy()
    assert np.allclose(v, v.T) and (np.diag(v) > 0).all()
    draws = fit.draws(4000, seed=1)
    assert draws.shape == (4000, 2)
    assert np.allclose(draws.mean(0), fit.coef.to_numpy(), atol=4 * fit.se.max() / np.sqrt(4000) * 3)
    tidy = fit.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "z", "p_value"]


def test_negative_trade_names_the_rows():
    f = _flows()
    f.loc[(f.exporter == "IND") & (f.importer == "USA"), "trade"] = -5
    with pytest.raises(InputError, match="negative.*IND/USA/2006"):
        estimate_ppml(f, FORMULA)


def test_missing_trade_names_the_rows():
    f = _flows()
    f.loc[(f.exporter == "CHN") & (f.importer == "JPN"), "trade"] = np.nan
    with pytest.raises(InputError, match="missing.*CHN/JPN/2006"):
        estimate_ppml(f, FORMULA)


def test_exporter_with_no_trade_cannot_be_identified():
    f = _flows()
    f.loc[f.exporter == "BRA", "trade"] = 0.0
    with pytest.raises(InputError, match="'exporter' cannot be identified for BRA"):
        estimate_ppml(f, FORMULA)


def test_regressor_absorbed_by_fixed_effects_is_named():
    f = _flows().assign(exporter_size=lambda d: d["exporter"].map({c: k for k, c in enumerate(ISO)}))
    with pytest.raises(InputError, match=r"\['exporter_size'\] cannot be identified"):
        estimate_ppml(f, "trade ~ ln_DIST + exporter_size | exporter + importer")


@pytest.mark.parametrize("formula, message", [
    ("trade ln_DIST", "no '~'"),
    ("trade ~ log(DIST) | exporter", "not a column name"),
])
def test_malformed_formulas_are_explained(formula, message):
    with pytest.raises(InputError, match=message):
        split_formula(formula)


def test_unknown_column_in_formula_lists_the_columns():
    with pytest.raises(InputError, match="lack column.*'LANG'"):
        estimate_ppml(_flows(), "trade ~ LANG | exporter + importer")
