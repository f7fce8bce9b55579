"""Complete bilateral matrices per mineral, stage and year: observed cells plus estimates.

:func:`observed_flows` selects the observed flows of the store, one source per cell by a
fixed precedence (a full BACI year first, so it wins automatically once loaded).
:func:`build_baseline` completes them into an exporter x importer matrix in tonnes of
contained content, consistent with USGS production and with every observed flow:

1. Row targets (supply): each producer's production (net stock change assumed 0); a
   country whose observed exports exceed its production (a re-exporter or hub) gets its
   observed exports as supply.
2. Column targets (absorption): each country's observed imports plus a share of the
   unallocated world supply: a home share ``h`` in proportion to production, the rest in
   proportion to GDP; ``h`` is calibrated on USGS US imports where the store has them.
   Where USGS publishes the US import sources, the USA's import cells are set from US
   imports x the published shares and held fixed (``note`` says so).
3. Prior: doubly-constrained gravity (Wilson 1967), ``dist_km ** -theta`` with a
   home-bias factor on the diagonal; masses enter through the targets.
4. Iterative proportional fitting (RAS) of the free cells to the residual targets,
   observed cells held fixed (:func:`complete_matrix`).

Observed cells are returned unchanged; every other cell is ``method = "estimated"``.
``docs/baseline.md`` states the method and its limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from critmin import vocab
from critmin.baseline_basket import (SPLIT_NOTE, basket_code, basket_entries, basket_split,
                                     basket_summary)
from critmin.baseline_fit import complete_matrix, production_constrained
from critmin.errors import InvalidParameterError, SolveError, UnknownYearError
from critmin.sources.usgs_imports import MASS_UNITS, US_IMPORT_STATISTICS
from critmin.store.catalog import Store

# Lower rank wins a cell. BACI is reconciled by CEPII; importer reports (observed) beat
# exporter reports (mirror); six-digit codes beat four-digit headings within a source.
SOURCE_RANK = (("baci-", 0), ("comtrade-", 2), ("atlas-", 3), ("usitc-", 4))


def _rank(source: pd.Series, method: pd.Series, hs_code: pd.Series,
          coverage: pd.Series | None = None) -> pd.Series:
    base = pd.Series(9, index=source.index)
    for prefix, r in reversed(SOURCE_RANK):
        base = base.where(~source.str.startswith(prefix), r)
    extract = source.str.endswith("-extract")  # a full BACI year beats an extract
    # ... and BACI's truncated top links sit between the two (observed, but incomplete)
    truncated = (coverage == "truncated") if coverage is not None else extract & False
    return (base * 100 + extract * 10 + truncated * 7 + (method == "mirror") * 5
            + (hs_code.str.len() == 4))


def observed_flows(store: Store, mineral: str, stage: str | None = None,
                   year: int | None = None, *, exporters: tuple[str, ...] | None = None,
                   importers: tuple[str, ...] | None = None,
                   partial_years: bool = False) -> pd.DataFrame:
    """Observed flows of a mineral, one source per (stage, exporter, importer, year) cell.

    Returns
    -------
    DataFrame
        mineral, stage, exporter, importer, year, value_usd, quantity_t, basis, method
        (observed or mirror), source, hs_codes, hs_shared, quantity_from_value (tonnes from
        a unit value, ``flows.quantity_method``); largest value first.
    """
    m = vocab.mineral(mineral)
    st = vocab.stage(stage).value if stage is not None else None
    rows = store.table("flows", mineral=m.id, stage=st, year=year, exporter=exporters,
                       importer=importers)
    if not partial_years:
        rows = rows[~rows["partial_year"].astype(bool)]
    cols = ["mineral", "stage", "exporter", "importer", "year", "value_usd", "quantity_t",
            "basis", "method", "source", "hs_codes", "hs_shared"]
    if rows.empty:
        return pd.DataFrame(columns=[*cols, "quantity_from_value"])
    rows = rows.assign(_rank=_rank(rows["source"], rows["method"], rows["hs_code"],
                                   rows["coverage"] if "coverage" in rows else None))
    cell = ["mineral", "stage", "exporter", "importer", "year"]
    best = rows.groupby(cell)["_rank"].transform("min")
    rows = rows[rows["_rank"] == best]
    qm = rows["quantity_method"] if "quantity_method" in rows else pd.Series("", index=rows.index)
    rows = rows.assign(_q_from_value=qm.fillna("").str.contains("unit value"))
    out = rows.groupby(cell + ["source", "method", "basis"], as_index=False).agg(
        value_usd=("value_usd", "sum"), quantity_t=("quantity_t", lambda s: s.sum(min_count=1)),
        hs_codes=("hs_code", lambda s: ",".join(sorted(set(s)))),
        hs_shared=("hs_shared", "any"), quantity_from_value=("_q_from_value", "any"))
    out = out.sort_values(["year", "value_usd"], ascending=[True, False], kind="stable")
    return out[cols + ["quantity_from_value"]].reset_index(drop=True)


@dataclass(frozen=True)
class Baseline:
    """A complete exporter x importer matrix of one mineral, stage and year.

    ``flows`` is tidy: exporter, importer, quantity_t (contained content on ``basis``),
    value_usd, method (observed, mirror, estimated), source, domestic (exporter ==
    importer: domestic supply), note (how an estimated cell was set, e.g. "USGS
    import-source shares 2021–24 x US imports ..."; empty otherwise). ``estimated_share`` is the share of total quantity in
    estimated cells (domestic supply included).
    """

    mineral: str
    stage: str
    year: int
    basis: str
    flows: pd.DataFrame = field(repr=False)
    row_targets: pd.Series = field(repr=False)
    col_targets: pd.Series = field(repr=False)
    estimated_share: float = 0.0
    estimated_value_share: float = 0.0
    provenance: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    diagnostics: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (f"Baseline({self.mineral}, {self.stage}, {self.year}: {len(self.row_targets)} "
                f"countries, {self.total_t:,.0f} t, estimated_share={self.estimated_share:.3f})")

    @property
    def total_t(self) -> float:
        return float(self.flows["quantity_t"].sum())

    @property
    def cross_border_t(self) -> float:
        """Tonnes in exporter != importer cells."""
        f = self.flows
        return float(f.loc[~f["domestic"].astype(bool), "quantity_t"].sum())

    @property
    def estimated_cross_border_share(self) -> float:
        """Share of cross-border tonnes in estimated cells (0 when there is no trade)."""
        f = self.flows[~self.flows["domestic"].astype(bool)]
        total = float(f["quantity_t"].sum())
        est = float(f.loc[f["method"] == "estimated", "quantity_t"].sum())
        return est / total if total > 0 else 0.0

    def estimated_parts(self) -> dict[str, float]:
        """Estimated tonnes by reason, as shares of all tonnes: ``home absorption``
        (domestic cells), ``USGS import sources`` (the USA column, §4.2 of
        docs/baseline.md), ``basket split`` (the mineral's tonnes in an observed basket
        cell, e.g. 811292, split by :mod:`critmin.baseline_basket`), ``cross-border,
        unobserved`` (codes or exporters no complete
        source lists); plus ``observed, tonnes from value`` (observed cells whose tonnes
        come from a unit value)."""
        f = self.flows
        total = float(f["quantity_t"].sum())
        if total <= 0:
            return {}
        est = f["method"] == "estimated"
        dom = f["domestic"].astype(bool)
        note = f["note"].fillna("").astype(str)
        basket = est & ~dom & note.str.startswith(SPLIT_NOTE)
        usgs = est & ~dom & f["note"].notna() & ~basket
        return {"home absorption": float(f.loc[est & dom, "quantity_t"].sum()) / total,
                "USGS import sources": float(f.loc[usgs, "quantity_t"].sum()) / total,
                "basket split": float(f.loc[basket, "quantity_t"].sum()) / total,
                "cross-border, unobserved": float(
                    f.loc[est & ~dom & ~usgs & ~basket, "quantity_t"].sum()) / total,
                "observed, tonnes from value": float(
                    f.loc[~est & f["quantity_from_value"].astype(bool), "quantity_t"].sum()) / total}

    def matrix(self, value: str = "quantity_t") -> pd.DataFrame:
        """Exporters (rows) x importers (columns) of ``quantity_t`` or ``value_usd``."""
        if value not in ("quantity_t", "value_usd"):
            raise InvalidParameterError(f"value must be 'quantity_t' or 'value_usd'. Got {value!r}.")
        idx = list(self.row_targets.index)
        m = self.flows.pivot_table(index="exporter", columns="importer", values=value,
                                   aggfunc="sum", fill_value=0.0)
        m = m.reindex(index=idx, columns=idx, fill_value=0.0)
        m.index.name, m.columns.name = "exporter", "importer"
        return m

    def tidy(self) -> pd.DataFrame:
        return self.flows.assign(mineral=self.mineral, stage=self.stage, year=self.year)


def _production(store: Store, mineral: str, stage: str, year: int) -> tuple[pd.Series, str, list[str]]:
    from critmin.store.views import production_view

    rows = production_view(store, mineral, stage=stage, year=year)
    rows = rows[rows["country"] != "WLD"]
    basis = rows.groupby("basis")["quantity_t"].count().idxmax()
    rows = rows[(rows["basis"] == basis) & rows["quantity_t"].notna()]
    prod = rows.groupby("country")["quantity_t"].sum()
    return prod[prod > 0], str(basis), sorted(set(rows["source"]))


def complete_codes(store: Store, year: int) -> set[tuple[str, str]]:
    """(nomenclature, hs_code) pairs that a source lists completely in ``year`` (every
    exporter x importer pair: a full BACI year, or the atlas's 30-code matrices)."""
    cols = set(store.sql("SELECT column_name FROM information_schema.columns WHERE "
                         "table_name = 'flows'")["column_name"])
    if "coverage" in cols:
        frame = store.sql("SELECT DISTINCT nomenclature, hs_code FROM flows WHERE year = ? AND "
                          "coverage = 'complete'", [int(year)])
    else:  # a store built before the coverage column: a full BACI year file
        frame = store.sql("SELECT DISTINCT nomenclature, hs_code FROM flows WHERE year = ? AND "
                          "source LIKE 'baci-%' AND source NOT LIKE '%-extract'", [int(year)])
    return set(map(tuple, frame.itertuples(index=False)))


def market_codes(mineral: str, stage: str) -> tuple[vocab.HSCode, ...]:
    """The six-digit HS entries of a (mineral, stage) market (hs_codes.yml)."""
    return tuple(e for e in vocab.hs_mapping()
                 if e.mineral == mineral and e.stage.value == stage and e.level == "hs6")


def market_complete(store: Store, mineral: str, stage: str, year: int, *,
                    include_shared: bool = False,
                    complete: set[tuple[str, str]] | None = None) -> bool:
    """Whether every six-digit code of the market is listed completely in ``year``
    (and, unless ``include_shared``, none is a code shared with other minerals, whose
    cells the baseline leaves out)."""
    entries = market_codes(mineral, stage)
    if not entries:
        return False
    done = complete_codes(store, year) if complete is None else complete
    for e in entries:
        if e.shared_with and not include_shared:
            return False
        if not any((nom, e.code_in(nom)) in done for nom in vocab.NOMENCLATURES) \
                and ("HS", e.code) not in done:
            return False
    return True


def _baci_exporters(store: Store, mineral: str, stage: str, year: int,
                    include_shared: bool = False) -> set[str]:
    """Exporters whose every flow of the market in ``year`` is in a BACI file of the store
    ("*": all, when every code of the market is listed completely)."""
    if market_complete(store, mineral, stage, year, include_shared=include_shared):
        return {"*"}
    frame = store.sql("SELECT DISTINCT exporter FROM flows WHERE year = ? AND "
                      "source LIKE 'baci-%-extract'", [int(year)])
    return set(frame["exporter"])


def _largest(store: Store, year: int, n: int, have: set[str]) -> list[str]:
    if n <= 0 or "gdp" not in have:
        return []
    frame = store.sql("SELECT country, gdp_usd FROM gdp WHERE year = (SELECT max(year) FROM "
                      "gdp WHERE year <= ?) AND gdp_usd IS NOT NULL ORDER BY gdp_usd DESC "
                      "LIMIT ?", [int(year), int(n)])
    return frame["country"].tolist()


def _absorption(store: Store, countries: list[str], year: int,
                have: set[str]) -> tuple[np.ndarray, list[str]]:
    """GDP of each country (latest year <= ``year``), floored at the smallest known GDP."""
    if "gdp" not in have:
        return np.ones(len(countries)), []
    gdp = store.sql('SELECT country, year, gdp_usd, source FROM gdp WHERE year <= ? '
                    'AND gdp_usd IS NOT NULL', [int(year)])
    if gdp.empty:
        return np.ones(len(countries)), []
    latest = gdp.sort_values("year").groupby("country").last()
    vals = latest["gdp_usd"].reindex(countries)
    floor = float(latest["gdp_usd"].min())
    # OTH (unattributed) and countries without GDP get the smallest known GDP.
    return vals.fillna(floor).to_numpy(dtype="float64"), sorted(set(latest["source"]))


def _distances(store: Store, countries: list[str],
               have: set[str]) -> tuple[np.ndarray, list[str]]:
    n = len(countries)
    if "distances" not in have:
        d = np.full((n, n), 5000.0)
        np.fill_diagonal(d, 500.0)
        return d, []
    dist = store.sql("SELECT exporter, importer, dist_km, source FROM distances")
    pivot = dist.pivot_table(index="exporter", columns="importer", values="dist_km")
    pivot = pivot.reindex(index=countries, columns=countries)
    d = pivot.to_numpy(dtype="float64")
    median = float(np.nanmedian(dist["dist_km"])) if len(dist) else 5000.0
    d = np.where(np.isnan(d) | (d <= 0), median, d)
    return d, sorted(set(dist["source"]))


# Share of the world's free supply of a processed product (refinery, smelter, metal,
# chemical stage) absorbed where it is produced when nothing in the store calibrates it: an
# assumption inside the range calibrated on USGS US imports (0.61-0.97, docs/baseline.md
# §4.1), reported as such. Ores (mine stage) keep the GDP proxy (0): they are shipped to
# smelters abroad, not consumed where mined.
DEFAULT_HOME_SHARE = 0.75
USGS_NOTE = "USGS import-source shares 2021–24"


def us_import_sources(store: Store, mineral: str, stage: str) -> pd.DataFrame:
    """USGS MCS 2026 shares of US imports by source country for ``mineral`` at ``stage``.

    The form whose stage is ``stage``, else the single form covering all forms of the
    mineral; empty when the store has no ``us_import_sources`` table, no such form, or
    several candidate forms (ambiguous). Shares are renormalised to sum to 1 (the published
    percentages are rounded and "<1" is a bound).
    """
    if "us_import_sources" not in set(store.tables()):
        return pd.DataFrame(columns=["country", "share", "form", "source"])
    rows = store.table("us_import_sources", mineral=mineral)
    for pick in (rows[rows["stage"] == stage], rows[rows["all_forms"].astype(bool)]):
        forms = pick.drop_duplicates(["commodity", "form"])
        if len(forms) == 1:
            out = pick[["country", "share", "form", "period", "source"]].copy()
            out["share"] = out["share"] / out["share"].sum()
            return out.reset_index(drop=True)
        if len(forms) > 1:
            break
    return pd.DataFrame(columns=["country", "share", "form", "source"])


def us_imports_t(store: Store, mineral: str, stage: str,
                 year: int) -> tuple[float | None, str, set[str]]:
    """US imports for consumption of ``year`` in tonnes of content (USGS salient), or None.

    The newest MCS edition reporting the year under the declared statistic is used
    (:data:`critmin.sources.usgs_imports.US_IMPORT_STATISTICS`); returns (tonnes,
    description, the salient sources used).
    """
    stats = US_IMPORT_STATISTICS.get((mineral, stage))
    if not stats or "us_salient" not in set(store.tables()):
        return None, "", set()
    rows = store.table("us_salient", mineral=mineral, year=int(year))
    total, parts, used = 0.0, [], set()
    for statistic, factor, basis in stats:
        hit = rows[(rows["statistic"] == statistic) & rows["value"].notna()
                   & rows["unit"].isin(list(MASS_UNITS))]
        if hit.empty:
            return None, "", set()
        hit = hit.sort_values("edition").iloc[-1]
        used.add(str(hit["source"]))
        total += float(hit["value"]) * MASS_UNITS[str(hit["unit"])] * factor
        parts.append(f"{statistic} {hit['value']:,.0f} {hit['unit']} ({basis}; {hit['source']})")
    return total, "; ".join(parts), used


def _home_share(home_share: float | None, us_absorption: float | None, k_us: int | None,
                p: np.ndarray, g: np.ndarray, free_total: float,
                stage: str) -> tuple[float, str]:
    """The share of free supply absorbed where produced, and where it comes from.

    Calibrated when USGS gives US absorption, so that the rule's US absorption
    ``h p_US + (1 - h) g_US`` (shares of the free supply) matches it; else 0 for ores (the
    GDP proxy) and :data:`DEFAULT_HOME_SHARE` for processed stages.
    """
    if home_share is not None:
        return float(home_share), "user"
    if us_absorption is not None and k_us is not None and free_total > 0:
        t = us_absorption / free_total
        den = g[k_us] - p[k_us]
        if den > 1e-9:  # t above the GDP share clips to 0: the pure GDP proxy
            return float(np.clip((g[k_us] - t) / den, 0.0, 1.0)), \
                "calibrated to USGS US imports for consumption"
    if stage == "mine":  # ores are mostly shipped to smelters abroad
        return 0.0, "GDP proxy for ores (no calibration data)"
    return DEFAULT_HOME_SHARE, "default assumption (no calibration data)"


def _basket_split(store: Store, mineral: str, stage: str, year: int) -> pd.DataFrame | None:
    """The market's basket cells split to the mineral (None: the market has no basket)."""
    if not basket_entries(mineral, stage):
        return None
    return basket_split(store, mineral, stage, year)


def build_baseline(store: Store, mineral: str, stage: str, year: int, *,
                   production_stage: str | None = None, distance_elasticity: float = 1.0,
                   home_bias: float = 5.0, include_shared: bool = False,
                   home_share: float | None = None, us_import_shares: bool = True,
                   countries: tuple[str, ...] = (), top_absorbers: int = 30,
                   absorption: pd.Series | dict[str, float] | None = None,
                   tol: float = 1e-10, max_iter: int = 2_000) -> Baseline:
    """A complete bilateral matrix for ``mineral``, ``stage`` and ``year``.

    Parameters
    ----------
    store : Store
    mineral, stage : str
        Vocabulary names; ``stage`` is the trade stage (see ``hs_codes.yml``).
    year : int
    production_stage : str, optional
        The USGS production stage that bounds supply; ``stage`` by default (e.g. platinum
        refined-metal trade with ``production_stage="mine"``).
    distance_elasticity : float
        theta in the gravity prior ``dist_km ** -theta`` (> 0; 1 is the literature's
        central estimate, Head and Mayer 2014).
    home_bias : float
        Multiplier of the prior on domestic supply (>= 1).
    countries : tuple of str
        ISO3 codes to include as absorbers even without production or observed flows.
    top_absorbers : int
        The largest economies by GDP (``gdp`` table) included as absorbers; the matrix
        covers producers, observed traders, these and ``countries``.
    absorption : Series or dict, optional
        Absorption weights by ISO3 (e.g. consumption in tonnes from a market study) that
        replace the GDP proxy; countries not listed get weight 0 unless they have observed
        imports. GDP (``gdp`` table) by default.
    home_share : float, optional
        Share (0-1) of the world's free supply absorbed where it is produced; the rest is
        spread by GDP. None: calibrated so that the USA's absorption matches USGS US
        imports for consumption where the store has them, else ``DEFAULT_HOME_SHARE``
        (``diagnostics["home_share_source"]`` says which). 0 is the pure GDP proxy.
    us_import_shares : bool
        Set the USA's import cells from USGS US imports x the MCS 2026 import-source
        shares where published (held fixed, ``method = "estimated"``, ``note`` says so).
    include_shared : bool
        Whether flows of shared HS codes (e.g. 811292: Ga, Ge, In, Nb, ...) count as
        observed cells. Off by default: a shared code's value is an upper bound for each
        of its minerals and would inflate supply.

    Raises
    ------
    UnknownMineralError, UnknownStageError, UnknownYearError
        No production data for the mineral, stage or year (the message lists what exists).
    InvalidParameterError
        Bad parameters, or observed flows with neither quantity nor a unit value.
    SolveError
        When observed flows leave no feasible completion.
    """
    if not distance_elasticity > 0:
        raise InvalidParameterError(
            f"distance_elasticity must be > 0. Got {distance_elasticity!r}.")
    if not home_bias >= 1:
        raise InvalidParameterError(f"home_bias must be >= 1. Got {home_bias!r}.")
    if home_share is not None and not 0.0 <= home_share <= 1.0:
        raise InvalidParameterError(f"home_share must be between 0 and 1. Got {home_share!r}.")
    m = vocab.mineral(mineral)
    st = vocab.stage(stage).value
    pst = vocab.stage(production_stage).value if production_stage else st
    if st not in {s.value for s in vocab.hs_stages(m.id)}:
        from critmin.errors import UnknownStageError

        have = [s.value for s in vocab.hs_stages(m.id)]
        raise UnknownStageError(stage, have, f"{m.id} has trade codes for stages: "
                                f"{', '.join(have) or 'none'} (data/mappings/hs_codes.yml).")
    have = set(store.tables())
    prod, basis, prod_sources = _production(store, m.id, pst, int(year))
    if prod.empty:
        raise UnknownYearError(year, [], f"USGS reports no {m.id} {pst} quantities for {year} "
                               "(all withheld); no baseline can be built.")
    obs = observed_flows(store, m.id, st, int(year))
    if not include_shared:
        obs = obs[~obs["hs_shared"].astype(bool)]
    obs = obs[obs["exporter"] != obs["importer"]]
    # For exporters a BACI file covers completely, BACI is the record: other sources'
    # cells that BACI does not list are dropped rather than mixed in.
    covered = _baci_exporters(store, m.id, st, int(year), include_shared)
    # (In a complete market OTH's cells too: other sources would make the figures depend on
    # what else the store holds, e.g. Comtrade rows that the bundled snapshot leaves out.)
    in_baci = (pd.Series(True, index=obs.index) if "*" in covered
               else obs["exporter"].isin(covered))
    obs = obs[~in_baci | obs["source"].str.startswith("baci-")].reset_index(drop=True)
    # Observed cells need a quantity: where only a value is published, divide by the
    # exporter's (else the world's) observed unit value; flagged quantity_from_value.
    priced = obs[(obs["quantity_t"] > 0) & (obs["value_usd"] > 0)]
    world_uv = float(priced["value_usd"].sum() / priced["quantity_t"].sum()) if len(priced) else np.nan
    # An exporter's own unit value only where it ships >= 1 % of the observed tonnage;
    # small or unattributed (OTH) shipments give erratic unit values.
    by_exp = priced[priced["exporter"] != "OTH"].groupby("exporter")[["value_usd", "quantity_t"]].sum()
    by_exp = by_exp[by_exp["quantity_t"] >= 0.01 * priced["quantity_t"].sum()]
    uv_by = by_exp["value_usd"] / by_exp["quantity_t"]
    uv = obs["exporter"].map(uv_by).fillna(world_uv)
    no_q = obs["quantity_t"].isna() | (obs["quantity_t"] <= 0)
    if no_q.any() and np.isnan(world_uv):
        msg = (f"the observed {m.id} {st} flows of {year} have values but no quantities, so they "
               "cannot be set against production in tonnes; load a source with quantities "
               "(BACI, UN Comtrade).")
        raise InvalidParameterError(msg)
    # tonnes from a unit value at build time (a value-only BACI year) or here
    obs["quantity_from_value"] = no_q | obs["quantity_from_value"].astype(bool)
    obs.loc[no_q, "quantity_t"] = obs.loc[no_q, "value_usd"] / uv[no_q]
    obs = obs[obs["quantity_t"] > 0]

    weights = None
    if absorption is not None:
        weights = pd.Series(absorption, dtype="float64")
        bad = weights[(weights < 0) | weights.isna()]
        if len(bad) or weights.sum() <= 0:
            raise InvalidParameterError("absorption weights must be >= 0 with a positive sum; "
                                        f"got {weights.to_dict()}.")
    # A complete market (every code listed for every exporter) needs no USGS import mix:
    # the USA's import cells are observed.
    shares = (us_import_sources(store, m.id, st) if us_import_shares and "*" not in covered
              else pd.DataFrame(columns=["country", "share", "form", "source"]))
    us_extra = {"USA", *(c for c in shares["country"] if c != "OTH")} if len(shares) else set()
    # Observed basket cells (e.g. 811292, listed completely by BACI) split to this mineral
    # where the evidence allows: the USA column by USGS import sources (set below, §4.2),
    # sole producers of the mineral here; estimated cells, held fixed (docs/baseline.md §4.5).
    basket = _basket_split(store, m.id, st, int(year)) if not include_shared else None
    split = (basket[basket["split_method"] == "sole-producer"] if basket is not None
             else pd.DataFrame(columns=["exporter", "importer", "quantity_t", "note", "source"]))
    split = split[split["quantity_t"].notna() & (split["quantity_t"] >= 0)]
    us_extra |= set(split["exporter"]) | set(split["importer"])
    countries = sorted(set(prod.index) | set(obs["exporter"]) | set(obs["importer"])
                       | set(countries) | set(weights.index if weights is not None else ())
                       | set(_largest(store, int(year), top_absorbers, have)) | us_extra)
    pos = {c: i for i, c in enumerate(countries)}
    n = len(countries)
    fixed = np.full((n, n), np.nan)
    for e, i, q in obs[["exporter", "importer", "quantity_t"]].itertuples(index=False):
        fixed[pos[e], pos[i]] = q
    production = prod.reindex(countries).fillna(0.0).to_numpy()
    if weights is not None:
        absorb = weights.reindex(countries).fillna(0.0).to_numpy()
        gdp_sources: list[str] = []
    else:
        absorb, gdp_sources = _absorption(store, countries, int(year), have)
    covered_set = set(countries) - {"OTH"} if "*" in covered else set(countries) & covered
    obs_cols = np.nansum(fixed, axis=0)
    free0 = np.maximum(production, np.nansum(fixed, axis=1)).sum() - obs_cols.sum()
    p_share = production / production.sum()
    g_share = absorb / absorb.sum()
    k_us = pos.get("USA")
    # USGS US imports calibrate the home share even where no import sources are published.
    us_t, us_desc, salient_sources = (us_imports_t(store, m.id, st, int(year))
                                      if k_us is not None
                                      else (None, "", set()))
    if weights is not None:  # user weights replace the whole absorption rule
        h, h_source = 0.0, "user absorption weights"
    else:
        us_abs = None if us_t is None or k_us is None else us_t + production[k_us]
        h, h_source = _home_share(home_share, None if us_abs is None else
                                  max(us_abs - obs_cols[k_us], 0.0), k_us, p_share, g_share,
                                  free0, st)
    w = h * p_share + (1.0 - h) * g_share
    # USGS import sources: the USA's import cells from the published shares (held fixed).
    usgs_cells: dict[tuple[str, str], str] = {}
    remainder = 0.0
    if len(shares) and k_us is not None:
        published = us_t is not None
        if not published:
            us_t = max(free0 * w[k_us] + obs_cols[k_us] - production[k_us], 0.0)
            us_desc = "US imports from the baseline's absorption rule (no USGS statistic " \
                      "on this stage's content basis)"
        note = f"{USGS_NOTE} x US imports {year}: {us_desc}"
        spare = np.clip(production - np.nansum(fixed, axis=1), 0.0, None)
        # A complete basket listing (811292) bounds every USA cell from above: no more of
        # the mineral than the whole observed basket cell (zero where BACI lists none).
        cap = (basket[basket["importer"] == "USA"].groupby("exporter")["basket_t"].sum()
               if basket is not None and len(basket) else None)
        for c, sh in shares[["country", "share"]].itertuples(index=False):
            q = us_t * float(sh)
            k = pos.get(c)
            if c == "USA":
                continue
            if k is None or (c in covered_set and np.isnan(fixed[k, k_us])):
                remainder += q  # "Other countries", or an exporter BACI records in full
            elif np.isnan(fixed[k, k_us]):  # an observed (mineral-specific) cell stands
                # Published US imports make a named source without enough output a hub
                # (it shipped them); an estimated total must not create supply: capped.
                cell = q if published else min(q, spare[k])
                cell_note = note
                if cap is not None and cell > float(cap.get(c, 0.0)):
                    cell = float(cap.get(c, 0.0))
                    cell_note = (f"{note}; capped at the observed basket cell "
                                 f"({basket_code(m.id, st)}: {cell:,.3g} t of all its metals)")
                remainder += q - cell
                if cell > 0:
                    fixed[k, k_us] = cell
                    usgs_cells[(c, "USA")] = cell_note
                elif cap is not None:  # no basket cell: the complete listing says zero
                    fixed[k, k_us] = 0.0
    basket_cells: dict[tuple[str, str], str] = {}
    for e, i, q, note in split[["exporter", "importer", "quantity_t", "note"]].itertuples(
            index=False):
        if np.isnan(fixed[pos[e], pos[i]]):
            fixed[pos[e], pos[i]] = float(q)
            basket_cells[(e, i)] = str(note)
    obs_rows = np.nansum(fixed, axis=1)
    obs_cols = np.nansum(fixed, axis=0)
    rows = np.maximum(production, obs_rows)
    total = rows.sum()
    if usgs_cells or remainder > 0:
        cols = np.zeros(n)
        cols[k_us] = obs_cols[k_us] + remainder + h * max(rows[k_us] - obs_rows[k_us], 0.0)
        others = np.arange(n) != k_us
        free_other = max(total - cols[k_us] - obs_cols[others].sum(), 0.0)
        wo = w[others]
        cols[others] = obs_cols[others] + free_other * wo / max(wo.sum(), 1e-300)
    else:
        free_total = total - obs_cols.sum()
        cols = obs_cols + free_total * w
    dist, dist_sources = _distances(store, countries, have)
    prior = dist ** -distance_elasticity
    prior[np.diag_indices(n)] *= home_bias
    # BACI lists every non-zero flow of the exporters it covers (all of them in a full
    # year, the named ones in an extract): their unobserved export cells are zero, not
    # unknown, so their residual supply can only be used (or stocked) at home.
    complete = sorted(covered_set)
    for c in complete:
        k = pos[c]
        prior[k, :] = np.where(np.arange(n) == k, prior[k, :], 0.0)
    if "*" in covered:
        # Every cross-border cell of the market is observed (zero where BACI lists none):
        # what remains of each country's supply (``OTH``'s included) is absorbed at home.
        matrix = np.nan_to_num(fixed, nan=0.0)
        matrix[np.diag_indices(n)] += np.maximum(rows - matrix.sum(axis=1), 0.0)
        cols = matrix.sum(axis=0)
        diag = {"iterations": 0, "max_margin_error": 0.0,
                "constraint": "complete market: observed cross-border cells, residual supply "
                              "absorbed at home"}
    else:
        matrix, diag = None, {}
    try:
        if matrix is None:
            matrix, diag = complete_matrix(prior, rows, cols, fixed, tol=tol, max_iter=max_iter)
            diag["constraint"] = "doubly constrained (production and absorption)"
    except SolveError as exc:
        # The observed pattern can make the GDP-share absorption targets infeasible (a
        # large economy whose every supplier with spare supply is already observed). Fall
        # back to the production-constrained gravity model: rows still match production
        # exactly; absorption is what the prior allocates (col_targets then report it).
        floor = 1e-9 * w.max()  # every country keeps a sliver of prior weight
        matrix = production_constrained(prior * np.maximum(w, floor)[None, :], rows, fixed)
        cols = matrix.sum(axis=0)
        diag = {"iterations": 1, "max_margin_error": 0.0,
                "constraint": "production constrained (absorption targets infeasible: "
                              f"{exc})"}

    exp_idx, imp_idx = np.nonzero(matrix > 0)
    tidy = pd.DataFrame({"exporter": [countries[k] for k in exp_idx],
                         "importer": [countries[k] for k in imp_idx],
                         "quantity_t": matrix[exp_idx, imp_idx]})
    tidy = tidy.merge(obs[["exporter", "importer", "value_usd", "method", "source",
                           "quantity_from_value", "hs_shared"]],
                      on=["exporter", "importer"], how="left")
    est = tidy["method"].isna()
    tidy["method"] = tidy["method"].fillna("estimated")
    cell_note = pd.Series([usgs_cells.get((e, i)) for e, i in
                           zip(tidy["exporter"], tidy["importer"])], index=tidy.index,
                          dtype="object")
    usgs_source = shares["source"].iloc[0] if len(shares) else None
    tidy.loc[cell_note.notna() & est, "source"] = usgs_source
    if basket_cells:  # the observed basket row the mineral's tonnes were split from
        bnote = pd.Series([basket_cells.get((e, i)) for e, i in
                           zip(tidy["exporter"], tidy["importer"])], index=tidy.index,
                          dtype="object")
        bsource = split.set_index(["exporter", "importer"])["source"]
        keys = list(zip(tidy["exporter"], tidy["importer"]))
        hit = bnote.notna() & est
        tidy.loc[hit, "source"] = [bsource.get(k) for k, h in zip(keys, hit) if h]
        tidy.loc[hit, "hs_shared"] = True
        cell_note = cell_note.where(bnote.isna(), bnote)
    tidy["source"] = tidy["source"].fillna("critmin-baseline")
    tidy["note"] = cell_note
    tidy["quantity_from_value"] = tidy["quantity_from_value"].astype("boolean").fillna(False).astype(bool)
    tidy["hs_shared"] = tidy["hs_shared"].astype("boolean").fillna(False).astype(bool)
    tidy["domestic"] = tidy["exporter"] == tidy["importer"]
    est_uv = tidy["exporter"].map(uv_by).fillna(world_uv)
    tidy.loc[est, "value_usd"] = tidy.loc[est, "quantity_t"] * est_uv[est]
    tidy = tidy.sort_values("quantity_t", ascending=False, kind="stable").reset_index(drop=True)
    q_total = float(tidy["quantity_t"].sum())
    est_share = float(tidy.loc[tidy["method"] == "estimated", "quantity_t"].sum() / q_total) \
        if q_total > 0 else 0.0
    v_total = float(tidy["value_usd"].sum(min_count=1)) if tidy["value_usd"].notna().any() else 0.0
    est_v = float(tidy.loc[tidy["method"] == "estimated", "value_usd"].sum())
    if basket is not None and len(basket_entries(m.id, st)):
        diag["basket"] = basket_summary(basket, m.id, st)
        diag["basket"]["cells_fixed"] = len(basket_cells)
        if len(basket):  # the mineral's tonnes the baseline holds in split basket cells
            split_pairs = set(zip(basket.loc[basket["split_method"] != "none", "exporter"],
                                  basket.loc[basket["split_method"] != "none", "importer"]))
            held = {**{p: fixed[pos[p[0]], pos[p[1]]] for p in usgs_cells if p in split_pairs},
                    **{p: fixed[pos[p[0]], pos[p[1]]] for p in basket_cells}}
            diag["basket"]["basket_mineral_t"] = float(sum(held.values()))
    diag.update({"countries": n, "observed_cells": len(obs), "complete_exporters": complete,
                 "complete_market": "*" in covered,
                 "reexport_rows": [countries[k] for k in np.nonzero(obs_rows > production)[0]],
                 "world_unit_value_usd_per_t": None if np.isnan(world_uv) else world_uv,
                 "production_stage": pst, "distance_elasticity": distance_elasticity,
                 "home_bias": home_bias, "absorption_proxy": ("user weights" if weights is not None
                                      else "gdp" if gdp_sources else "uniform"),
                 "home_share": h, "home_share_source": h_source,
                 "us_import_sources": ({"form": str(shares["form"].iloc[0]),
                                        "us_imports_t": us_t, "basis": us_desc,
                                        "cells_fixed": len(usgs_cells),
                                        "other_countries_t": remainder}
                                       if len(shares) and k_us is not None else None),
                 "distance_source": "distances" if dist_sources else "constant (no distances table)"})
    sources = set(obs["source"]) | set(prod_sources) | set(gdp_sources) | set(dist_sources)
    tables = ["flows", "production", "gdp", "distances"]
    if len(shares) and k_us is not None:
        sources |= set(shares["source"])
        tables.append("us_import_sources")
    if salient_sources and (len(shares) or h_source.startswith("calibrated")):
        sources |= salient_sources
        tables.append("us_salient")
    if basket is not None and len(basket):  # what the basket split read (§4.5)
        inputs = basket.attrs.get("inputs", {})
        sources |= set(inputs.get("sources", ()))
        tables += [t for t in inputs.get("tables", ()) if t not in tables]
    provenance = tuple(store.provenance_records(tables, sources=sorted(sources)))
    return Baseline(mineral=m.id, stage=st, year=int(year), basis=basis, flows=tidy,
                    row_targets=pd.Series(rows, index=pd.Index(countries, name="exporter")),
                    col_targets=pd.Series(cols, index=pd.Index(countries, name="importer")),
                    estimated_share=min(max(est_share, 0.0), 1.0),
                    estimated_value_share=(est_v / v_total) if v_total > 0 else 0.0,
                    provenance=provenance, diagnostics=diag)


__all__ = ["DEFAULT_HOME_SHARE", "Baseline", "build_baseline",
           "complete_matrix", "observed_flows", "production_constrained", "us_import_sources",
           "us_imports_t"]
