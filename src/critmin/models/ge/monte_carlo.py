"""Monte Carlo over the PPML coefficients of a GE scenario: percentile bands per country.

Each draw takes the cost coefficients from N(b, V) (the PPML estimate and its robust or
clustered covariance), rebuilds baseline and counterfactual costs, re-fits the baseline
(:func:`~critmin.models.ge.solver.biproportional`, the GE-PPML step) and solves the
counterfactual. ``sigma`` and panel pair effects are held at their values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from critmin.errors import SolveError
from critmin.models.ge.model import OUTCOMES

BAND_COLUMNS = OUTCOMES


def monte_carlo(model: Any, design: Any, beta: np.ndarray, cov: np.ndarray, draws: int, *,
                seed: int = 20160101, quantiles: tuple[float, float] = (0.05, 0.95),
                progress: Any = None) -> tuple[pd.DataFrame, int]:
    """Percentile bands of the per-country outcomes over ``draws`` coefficient draws.

    Returns
    -------
    bands : DataFrame
        ``country`` and, for each outcome, ``<outcome>_p<low>`` and ``<outcome>_p<high>``.
    failed : int
        Draws whose GE did not converge (left out of the bands).

    Raises
    ------
    SolveError
        More than 1 % of the draws failed to converge.
    """
    lo, hi = quantiles
    if not (0 < lo < hi < 1):
        from critmin.errors import InvalidParameterError

        raise InvalidParameterError(f"quantiles must satisfy 0 < low < high < 1. Got {quantiles!r}.")
    rng = np.random.default_rng(seed)
    sample = rng.multivariate_normal(beta, cov, size=draws, method="eigh")
    n = len(design.countries)
    out = np.full((draws, len(BAND_COLUMNS), n), np.nan)
    failed = 0
    step = max(1, draws // 100)
    for d in range(draws):
        try:
            out[d] = model.outcomes(design.arrays(sample[d]))
        except SolveError:
            failed += 1
        if progress is not None and ((d + 1) % step == 0 or d + 1 == draws):
            progress("draws", d + 1, draws)
    if failed > max(1, draws // 100):
        raise SolveError("too many Monte Carlo draws did not converge",
                         {"failed": failed, "draws": draws})
    qs = np.nanquantile(out, [lo, hi], axis=0)
    bands = pd.DataFrame({"country": design.countries})
    tag_lo, tag_hi = f"p{round(lo * 100):02d}", f"p{round(hi * 100):02d}"
    for c, col in enumerate(BAND_COLUMNS):
        bands[f"{col}_{tag_lo}"] = qs[0, c]
        bands[f"{col}_{tag_hi}"] = qs[1, c]
    return bands, failed
