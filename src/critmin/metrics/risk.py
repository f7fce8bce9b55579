"""Supply risk by the EU 2023 criticality methodology, and its published inputs.

Pure functions; the published parameters live in ``critmin/data/parameters/eu2023.yml``,
every value with its source, and what could not be sourced recorded as missing.

Method (Blengini et al. 2017, *Methodology for establishing the EU list of critical raw
materials: guidelines*, doi:10.2873/769526, applied in the 2023 assessment, Grohol & Veeh
2023, doi:10.2873/725585)::

    SR = [HHI_WGI,t(GS) * IR/2 + HHI_WGI,t(EU) * (1 - IR/2)] * (1 - EoL_RIR) * SI_SR
    HHI_WGI,t = sum_c share_c**2 * WGI_scaled_c * t_c

with shares as fractions of global supply (GS) or of EU sourcing (EU: domestic production
plus imports), ``WGI_scaled = 2 * (2.5 - mean WGI)`` on 0-10, ``t`` the trade-related factor
(1 without export restrictions, up to 2), ``IR`` the EU import reliance (0-1),
``EoL_RIR`` the end-of-life recycling input rate (0-1) and ``SI_SR`` the substitution index
for supply risk (0-1). SR is published rounded to one decimal.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from critmin.config import DATA_DIR, read_yaml
from critmin.errors import InvalidParameterError, SourceFormatError, UnknownNameError
from critmin.metrics.concentration import attach_wgi, wgi_scaled

PARAMETERS_DIR = DATA_DIR / "parameters"
METHODS = ("eu2023",)
INPUTS = ("import_reliance_share", "eol_rir_share", "si_sr")
SR_ROUNDING = 0.05   # published SR carries one decimal: half a unit of the last digit
SHORT_NAMES = {"import_reliance_share": "IR", "eol_rir_share": "EoL-RIR", "si_sr": "SI"}


class UnknownMethodError(UnknownNameError):
    kind = "supply-risk method"


class Sourced(BaseModel):
    """A published value and the source it comes from, or a recorded gap."""

    model_config = ConfigDict(extra="forbid")
    value: float | None = None
    source: str | None = None
    missing: str | None = None

    @model_validator(mode="after")
    def _sourced(self) -> Sourced:
        if self.value is not None and not self.source:
            raise ValueError(f"value {self.value} has no source")
        if self.value is None and not self.missing:
            raise ValueError("a null value must say why it is missing (missing: ...)")
        return self


class Material(BaseModel):
    model_config = ConfigDict(extra="forbid")
    eu_name: str
    mineral: str | None = None
    sr_published: Sourced
    ei_published: Sourced
    import_reliance_share: Sourced
    eol_rir_share: Sourced
    si_sr: Sourced


class ChinaSupply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    eu_name: str
    stage: str = Field(pattern="^[EP]$")
    share: float = Field(ge=0, le=1)
    t: float = Field(ge=1, le=2)
    source: str


class SourceRecord(BaseModel):
    model_config = ConfigDict(extra="allow")
    publisher: str
    title: str
    vintage: str
    url: str
    licence: str


class Parameters(BaseModel):
    """The published inputs of one supply-risk method."""

    model_config = ConfigDict(extra="forbid")
    method: str
    sources: dict[str, SourceRecord]
    china_global_supply: dict[str, ChinaSupply] = Field(default_factory=dict)
    materials: dict[str, Material]

    @model_validator(mode="after")
    def _known_sources(self) -> Parameters:
        used = {s.source for m in self.materials.values()
                for s in (m.sr_published, m.ei_published, m.import_reliance_share,
                          m.eol_rir_share, m.si_sr) if s.source}
        used |= {c.source for c in self.china_global_supply.values()}
        unknown = used - set(self.sources)
        if unknown:
            raise ValueError(f"values cite unknown source(s) {sorted(unknown)}")
        return self

    def provenance(self) -> list[dict[str, Any]]:
        return [{"table": f"parameters/{self.method}", "source": key, **rec.model_dump()}
                for key, rec in sorted(self.sources.items())]


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise UnknownMethodError(method, METHODS)
    return method


@functools.cache
def _load(path: Path) -> Parameters:
    try:
        raw = read_yaml(path)
        return Parameters.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise SourceFormatError(f"{path}: not a valid supply-risk parameter file: {exc}") from exc


def parameters(method: str = "eu2023", path: Path | None = None) -> Parameters:
    """The published parameters of ``method`` (default the bundled EU 2023 file)."""
    _check_method(method)
    return _load(Path(path) if path is not None else PARAMETERS_DIR / f"{method}.yml")


def parameter_table(params: Parameters) -> pd.DataFrame:
    """One row per material: published SR and EI, the three inputs, what is missing."""
    rows = []
    for key, m in params.materials.items():
        missing = [name for name in INPUTS if getattr(m, name).value is None]
        rows.append({
            "material": key, "eu_name": m.eu_name, "mineral": m.mineral,
            "sr_published": m.sr_published.value, "ei_published": m.ei_published.value,
            **{name: getattr(m, name).value for name in INPUTS},
            "inputs_complete": not missing, "missing_inputs": ", ".join(missing),
        })
    return pd.DataFrame(rows)


def hhi_wgi_t(shares: pd.DataFrame, governance: pd.DataFrame | None = None, *,
              keys: tuple[str, ...] = ()) -> pd.Series | float:
    """Governance- and trade-weighted HHI, ``sum share**2 * WGI_scaled * t``, on 0-10.

    Parameters
    ----------
    shares : DataFrame
        ``country``, ``share`` (fractions), optionally ``t`` (default 1) and either
        ``wgi_scaled`` or ``wgi_mean`` (or ``year`` plus ``governance`` to look it up).
    governance : DataFrame, optional
        ``country, year, wgi_mean``, used when ``shares`` carries no WGI column.
    keys : tuple of str
        Group columns; empty for a single total.
    """
    frame = shares
    if "wgi_scaled" not in frame.columns:
        if "wgi_mean" not in frame.columns:
            if governance is None or "year" not in frame.columns:
                raise SourceFormatError(
                    "hhi_wgi_t() needs wgi_scaled or wgi_mean, or year plus governance.")
            frame = attach_wgi(frame, governance)
        frame = frame.assign(wgi_scaled=wgi_scaled(frame["wgi_mean"]))
    t = frame["t"] if "t" in frame.columns else 1.0
    t_arr = np.atleast_1d(np.asarray(t, dtype=float))
    if np.any(t_arr < 1) or np.any(t_arr > 2):
        bad = t_arr[(t_arr < 1) | (t_arr > 2)][0]
        raise InvalidParameterError(
            f"trade factor t must lie in [1, 2] (EU 2023 method). Got {bad:g}.")
    term = frame["share"] ** 2 * frame["wgi_scaled"] * t
    if keys:
        return term.groupby([frame[k] for k in keys]).sum(min_count=1)
    return float(term.sum())


def supply_risk(hhi_wgi_global: Any, hhi_wgi_eu: Any, import_reliance_share: Any,
                eol_rir_share: Any, si_sr: Any) -> Any:
    """EU 2023 supply risk from its five inputs (scalars or aligned arrays/Series).

    Raises
    ------
    InvalidParameterError
        When a share lies outside [0, 1] or an HHI_WGI,t outside [0, 20].
    """
    ir = np.asarray(import_reliance_share, dtype=float)
    eol = np.asarray(eol_rir_share, dtype=float)
    si = np.asarray(si_sr, dtype=float)
    for name, arr in (("import_reliance_share", ir), ("eol_rir_share", eol), ("si_sr", si)):
        bad = arr[~np.isnan(arr) & ((arr < 0) | (arr > 1))]
        if bad.size:
            raise InvalidParameterError(f"{name} must be a share in [0, 1]. Got {bad[0]:g}.")
    for name, val in (("hhi_wgi_global", hhi_wgi_global), ("hhi_wgi_eu", hhi_wgi_eu)):
        arr = np.asarray(val, dtype=float)
        bad = arr[~np.isnan(arr) & ((arr < 0) | (arr > 20))]
        if bad.size:
            raise InvalidParameterError(
                f"{name} must lie in [0, 20] (0-10 WGI scale times t <= 2). Got {bad[0]:g}.")
    gs = hhi_wgi_global * (ir / 2)
    eu = hhi_wgi_eu * (1 - ir / 2)
    out = (gs + eu) * (1 - eol) * si
    if isinstance(hhi_wgi_global, pd.Series):
        return pd.Series(np.asarray(out, dtype=float), index=hhi_wgi_global.index, name="sr")
    return float(out) if np.ndim(out) == 0 else out


def eu2023_comparison(hhi: pd.DataFrame, params: Parameters | None = None) -> pd.DataFrame:
    """Computed against published EU 2023 SR for every material whose inputs are complete.

    Parameters
    ----------
    hhi : DataFrame
        ``material`` (a key of the parameter file), ``hhi_wgi_global`` and ``hhi_wgi_eu``
        (HHI_WGI,t on 0-10) computed from supply data.
    params : Parameters, optional
        Default: the bundled EU 2023 file.

    Returns
    -------
    DataFrame
        Every material of the parameter file with ``sr_published``, ``sr_computed`` (null
        unless every input is present), ``gap`` (computed minus published),
        ``within_rounding`` (|gap| <= 0.05, the publication's rounding) and ``status``
        naming what is missing.
    """
    params = params or parameters("eu2023")
    table = parameter_table(params)
    if not hhi.empty:
        table = table.merge(hhi[["material", "hhi_wgi_global", "hhi_wgi_eu"]],
                            on="material", how="left")
    else:
        table["hhi_wgi_global"] = np.nan
        table["hhi_wgi_eu"] = np.nan
    have_hhi = table["hhi_wgi_global"].notna() & table["hhi_wgi_eu"].notna()
    ok = table["inputs_complete"] & have_hhi
    sr = pd.Series(np.nan, index=table.index)
    if ok.any():
        sub = table[ok]
        sr[ok] = supply_risk(sub["hhi_wgi_global"], sub["hhi_wgi_eu"],
                             sub["import_reliance_share"], sub["eol_rir_share"], sub["si_sr"])
    table["sr_computed"] = sr
    table["gap"] = table["sr_computed"] - table["sr_published"]
    within = (table["gap"].abs() <= SR_ROUNDING + 1e-9).astype("boolean")
    table["within_rounding"] = within.mask(table["gap"].isna(), pd.NA)
    short = table["missing_inputs"].replace(SHORT_NAMES, regex=True)
    table["status"] = np.where(
        ok, "compared",
        np.where(~table["inputs_complete"], "not sourced: " + short,
                 "no HHI_WGI,t for global supply and EU sourcing"))
    return table


# --- the EU 2023 supply risk recomputed from supply data ----------------------------------

SUPPLY_SCOPES = ("GS+EU", "GSonly", "EUonly")
SR_TOLERANCE = 0.2     # issue 10: within 0.2 of the published SR (published to one decimal)
PSEUDO_COUNTRIES = ("WLD", "OTH")


def supply_shares(production: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """Each country's share of supply summed over ``start``-``end`` (one release).

    ``production`` has ``country, year, quantity_t``. The denominator is the world total
    (``WLD`` rows) where every year has one, else the sum of every row including the
    unattributed remainder (``OTH``); ``OTH`` is never a country, so its share is left out
    of any HHI (a lower bound).

    Returns
    -------
    DataFrame
        ``country, quantity_t, share, n_years`` for the named countries.
    """
    need = ["country", "year", "quantity_t"]
    missing = [c for c in need if c not in production.columns]
    if missing:
        raise SourceFormatError(f"supply_shares() needs column(s) {missing}.")
    span = production[(production["year"] >= start) & (production["year"] <= end)]
    span = span[span["quantity_t"].notna()]
    if span.empty:
        return pd.DataFrame(columns=["country", "quantity_t", "share", "n_years"])
    years = span["year"].nunique()
    world = span[span["country"] == "WLD"]
    named = span[~span["country"].isin(PSEUDO_COUNTRIES)]
    if world["year"].nunique() == years:
        total = float(world["quantity_t"].sum())
    else:
        total = float(span.loc[span["country"] != "WLD", "quantity_t"].sum())
    by = named.groupby("country", as_index=False)["quantity_t"].sum()
    by["share"] = by["quantity_t"] / total if total > 0 else np.nan
    by["n_years"] = years
    return by[by["quantity_t"] > 0].sort_values("share", ascending=False).reset_index(drop=True)


def weighted_hhi(shares: pd.DataFrame, wgi: pd.DataFrame, factors: pd.DataFrame | None = None,
                 ) -> tuple[float, float]:
    """HHI_WGI,t of ``shares`` (``country, share``) with ``wgi`` (``country, wgi_mean``)
    and optional trade factors (``country, t``; 1 where a country is not listed).

    Returns
    -------
    (hhi_wgi_t, wgi_coverage_share)
        The index on 0-10 (x t) and the share of supply whose country has a WGI score
        (a country without one adds nothing: the index is then a lower bound).
    """
    if shares.empty:
        return np.nan, np.nan
    frame = shares[["country", "share"]].merge(wgi[["country", "wgi_mean"]], on="country",
                                               how="left")
    t = frame["country"].map(factors.set_index("country")["t"]) if factors is not None \
        and not factors.empty else pd.Series(1.0, index=frame.index)
    frame["t"] = t.fillna(1.0).clip(lower=0.0)
    covered = frame["wgi_mean"].notna()
    frame = frame[covered].assign(wgi_scaled=lambda f: wgi_scaled(f["wgi_mean"]))
    value = float((frame["share"] ** 2 * frame["wgi_scaled"] * frame["t"]).sum())
    return value, float(shares.loc[covered.to_numpy(), "share"].sum())


def eu2023_supply_risk(hhi_gs: float, hhi_eu: float, scope: str, ir: float, eol: float,
                       si: float) -> float:
    """SR of the EU 2023 method for one material and stage.

    ``GS+EU``: ``[HHI_GS * IR/2 + HHI_EU * (1 - IR/2)] * (1 - EoL_RIR) * SI_SR``;
    ``GSonly``: ``HHI_GS * (1 - EoL_RIR) * SI_SR``; ``EUonly``: ``HHI_EU * (1 - EoL_RIR) *
    SI_SR``. Null when an input the scope needs is missing.
    """
    if scope not in SUPPLY_SCOPES:
        raise InvalidParameterError(f"scope must be one of {list(SUPPLY_SCOPES)}. Got {scope!r}.")
    if pd.isna(eol) or pd.isna(si):
        return np.nan
    if scope == "GSonly":
        core = hhi_gs
    elif scope == "EUonly":
        core = hhi_eu
    else:
        if pd.isna(ir):
            return np.nan
        core = hhi_gs * ir / 2 + hhi_eu * (1 - ir / 2)
    return float(core * (1 - eol) * si) if pd.notna(core) else np.nan
