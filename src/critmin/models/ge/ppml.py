"""Poisson pseudo-maximum-likelihood (PPML) gravity estimation through pyfixest ``fepois``.

Cross sections use exporter and importer fixed effects (``trade ~ ln_DIST + CNTG |
exporter + importer``); panels use pair fixed effects with exporter-year and importer-year
fixed effects (``trade ~ RTA | pair + exporter^year + importer^year``). A fixed offset
(``offset=``) supports the constrained GE-PPML steps of Yotov et al. (2016, ch. 2).

Standard errors are heteroskedasticity-robust without a small-sample factor by default,
which is what Stata's ``ppml`` reports as "semirobust" (the book's logs), or clustered.

Inputs are checked before pyfixest sees them, so a bad file gets a message naming rows or
countries: missing or negative trade, fixed-effect groups with no positive flow (their
effect is minus infinity: not identified), and regressors that the fixed effects absorb.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import InputError, SolveError
from critmin.scenario.ge import split_formula

#: Fixed-effect variables whose all-zero groups may be dropped (standard for pair effects
#: in panels: a pair that never trades carries no information on the coefficients).
DROPPABLE_FE = ("pair",)


@dataclass(frozen=True)
class PPMLResult:
    """Coefficients and covariance of one PPML fit (a value: nothing is refitted).

    ``fitted`` holds the predicted flow for every row of the data handed in (NaN for rows
    pyfixest dropped); ``fixef`` maps each fixed-effect variable to its estimated effects;
    ``dropped`` lists the fixed-effect groups removed because all their flows are zero.
    """

    formula: str
    coef: pd.Series
    vcov: pd.DataFrame
    nobs: int
    vcov_type: str
    fitted: np.ndarray = field(repr=False)
    fixef: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    dropped: tuple[str, ...] = ()

    def __repr__(self) -> str:
        terms = ", ".join(f"{k}={v:.4f}" for k, v in self.coef.items())
        return f"PPMLResult({self.formula!r}, n={self.nobs}, {terms})"

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.coef.index, name="se")

    def tidy(self) -> pd.DataFrame:
        """term, estimate, std_error, z, p_value."""
        from scipy.stats import norm

        se = self.se.to_numpy()
        z = self.coef.to_numpy() / se
        return pd.DataFrame({"term": self.coef.index, "estimate": self.coef.to_numpy(),
                             "std_error": se, "z": z, "p_value": 2 * norm.sf(np.abs(z))})

    def draws(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` coefficient vectors from N(coef, vcov), shape (n, k)."""
        rng = np.random.default_rng(seed)
        return rng.multivariate_normal(self.coef.to_numpy(), self.vcov.to_numpy(), size=n,
                                       method="eigh")


def _fe_columns(fe: str) -> list[str]:
    return [c.strip() for c in fe.split("^")]


def _label(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = frame[cols[0]].astype(str)
    for c in cols[1:]:
        out = out + "/" + frame[c].astype(str)
    return out


def check_trade(frame: pd.DataFrame, dependent: str, fes: list[str]) -> list[str]:
    """Validate the dependent variable and fixed effects; returns droppable empty groups.

    Raises
    ------
    InputError
        Missing columns, missing or negative trade (naming rows), or a non-droppable
        fixed-effect group whose flows are all zero (not identified), naming the group.
    """
    need = [dependent] + [c for fe in fes for c in _fe_columns(fe)]
    missing = [c for c in dict.fromkeys(need) if c not in frame.columns]
    if missing:
        raise InputError(f"data lack column(s) {missing} named in the formula; columns are "
                         f"{list(frame.columns)}.")
    y = pd.to_numeric(frame[dependent], errors="coerce")
    where = _label(frame, [c for c in ("exporter", "importer", "year") if c in frame.columns])
    nan = y.isna()
    if nan.any():
        raise InputError(f"{dependent} is missing or not a number in {int(nan.sum())} row(s): "
                         f"{', '.join(where[nan].head(8))}. Use 0 for no trade.")
    neg = y < 0
    if neg.any():
        raise InputError(f"{dependent} is negative in {int(neg.sum())} row(s): "
                         f"{', '.join(where[neg].head(8))}. Trade flows must be >= 0.")
    droppable: list[str] = []
    for fe in fes:
        groups = _label(frame, _fe_columns(fe))
        total = y.groupby(groups.to_numpy()).sum()
        empty = total.index[total <= 0].tolist()
        if not empty:
            continue
        if fe in DROPPABLE_FE:
            droppable.extend(f"{fe}={g}" for g in empty)
            continue
        shown = ", ".join(map(str, empty[:10])) + (f" ... ({len(empty)} in all)" if len(empty) > 10 else "")
        raise InputError(f"fixed effect {fe!r} cannot be identified for {shown}: all their "
                         f"{dependent} values are zero. Drop these countries, or check that "
                         "the data hold their flows.")
    return droppable


def estimate_ppml(data: pd.DataFrame, formula: str, *, vcov: str | dict[str, str] = "hetero",
                  offset: str | None = None, small_sample: bool = False) -> PPMLResult:
    """Fit a PPML gravity equation with pyfixest ``fepois``.

    Parameters
    ----------
    data : DataFrame
        One row per exporter-importer(-year); columns named in the formula.
    formula : str
        pyfixest syntax, e.g. ``"trade ~ ln_DIST + CNTG + INTL_BRDR | exporter + importer"``.
    vcov : str or dict
        ``"hetero"`` (default) or e.g. ``{"CRV1": "pair"}``.
    offset : str, optional
        Column entering the linear predictor with coefficient 1.
    small_sample : bool
        Apply pyfixest's small-sample factors (off by default, like Stata's ``ppml``).

    Raises
    ------
    InputError
        Bad trade values or unidentified fixed effects (see :func:`check_trade`), or a
        regressor absorbed by the fixed effects (collinear).
    SolveError
        pyfixest did not converge.
    """
    import pyfixest as pf

    dependent, covars, fes = split_formula(formula)
    missing = [c for c in covars + ([offset] if offset else []) if c not in data.columns]
    if missing:
        raise InputError(f"data lack column(s) {missing} named in the formula; columns are "
                         f"{list(data.columns)}.")
    droppable = check_trade(data, dependent, fes)
    frame = data.reset_index(drop=True)
    # pyfixest recovers fixed effects only for plain columns, so spell out a^b interactions
    fit_formula = formula
    for fe in fes:
        if "^" in fe:
            name = "__".join(_fe_columns(fe))
            frame[name] = _label(frame, _fe_columns(fe)).to_numpy()
            fit_formula = fit_formula.replace(fe, name)
    ssc = pf.ssc(k_adj=small_sample, G_adj=small_sample)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = pf.fepois(fit_formula, data=frame, vcov=vcov, ssc=ssc, offset=offset,
                            iwls_tol=1e-10, iwls_maxiter=100)
        except Exception as exc:  # pyfixest raises bare ValueError/RuntimeError
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if "converge" in text.lower():
                raise SolveError(f"PPML did not converge for {formula!r}: {text}") from exc
            raise InputError(f"PPML cannot be estimated for {formula!r}: {text}") from exc
    with warnings.catch_warnings():   # pyfixest warns on a model with fixed effects only
        warnings.filterwarnings("ignore", message="Empty variance-covariance matrix")
        coef = fit.coef()
    absorbed = [v for v in covars if v not in coef.index]
    if absorbed:
        raise InputError(f"regressor(s) {absorbed} cannot be identified: they are collinear with "
                         f"the fixed effects ({' + '.join(fes) or 'none'}) or with each other. "
                         "Drop them from the formula.")
    for w in caught:
        if "converge" in str(w.message).lower():
            raise SolveError(f"PPML did not converge for {formula!r}: {str(w.message).strip()}")
    k = len(coef)
    cov = pd.DataFrame(np.asarray(fit._vcov, dtype=float).reshape(k, k) if k else np.zeros((0, 0)),
                       index=coef.index, columns=coef.index)
    # in-sample predictions (offset included) aligned to the rows pyfixest kept; rows of
    # dropped (all-zero) groups stay NaN
    fitted = np.full(len(frame), np.nan)
    fitted[np.asarray(fit._data.index, dtype=int)] = np.asarray(fit.predict(type="response"), dtype=float)
    fixef: dict[str, pd.Series] = {}
    if fes:
        try:
            raw = fit.fixef()
        except (NotImplementedError, ValueError):  # layouts pyfixest cannot recover
            raw = {}
        for key, values in raw.items():
            name = re.sub(r"^C\((.*)\)$", r"\1", key)
            fixef[name] = pd.Series(values, dtype=float)
    kind = vcov if isinstance(vcov, str) else ",".join(f"{k}:{v}" for k, v in vcov.items())
    return PPMLResult(formula=formula, coef=coef.rename("estimate"), vcov=cov, nobs=int(fit._N),
                      vcov_type=kind, fitted=fitted, fixef=fixef, dropped=tuple(droppable))
