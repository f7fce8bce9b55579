"""GE baselines read from the store: the aggregated world of ITPD-E R02 and DGD 2.1 with the
trade-cost function estimated on its panel (tables ``ge_flows``, ``ge_coefficients``,
``ge_covariance``, ``ge_sample``; built by :mod:`critmin.store.builders.gravity`, bundled
in the snapshot).

A ``model: ge`` scenario names one with ``baseline: {source: itpd-e, year: 2015, sector:
manufacturing}``; :func:`load_ge_baseline` returns a frozen :class:`GEBaseline` the GE model
takes as plain values (the model reads no files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from critmin.errors import StoreError, UnknownNameError, UnknownYearError

if TYPE_CHECKING:
    import pandas as pd

    from critmin.store import Store

#: Baseline sources a scenario can name, and the store tables that hold them.
SOURCES = {"itpd-e": "ge_flows"}
SOURCE_ALIASES = {"itpde": "itpd-e", "itpd-e-r02": "itpd-e", "usitc-itpde-r02": "itpd-e"}


class UnknownBaselineError(UnknownNameError):
    kind = "GE baseline source"


class UnknownSectorError(UnknownNameError):
    kind = "sector"


@dataclass(frozen=True)
class GEBaseline:
    """One GE year of one sector: flows, gravity variables, pair effects and cost terms.

    ``flows``: exporter, importer, flow_usd, the gravity variables, ``pair_effect`` (log
    points). ``coefficients``: term, estimate, std_error, ge_variable. ``covariance``: the
    estimates' covariance (terms x terms). ``sample``: every country of the sector-year with
    its status (``model`` or ``rest_of_world``) and the reason.
    """

    source: str
    sector: str
    year: int
    flows: pd.DataFrame = field(repr=False)
    coefficients: pd.DataFrame = field(repr=False)
    covariance: pd.DataFrame = field(repr=False)
    sample: pd.DataFrame = field(repr=False)
    formula: str = ""
    provenance: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    #: tariffs in force the flows were observed under (the scenario's ``baseline.tariffs``)
    tariffs: tuple[Any, ...] = field(default=(), repr=False)

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.flows["exporter"])))

    def within(self, chosen: tuple[str, ...] | None, what: str) -> tuple[str, ...]:
        """``chosen`` (None: every country) checked against the baseline's countries."""
        from critmin.errors import UnknownCountryError

        countries = self.countries
        if chosen is None:
            return countries
        for c in chosen:
            if c not in countries:
                hint = f"({what}: not a country of this baseline; the rest of the world is ROW)"
                if c != "ROW" and "ROW" in countries and "sample" in self.__dataclass_fields__:
                    hint = (f"({what}: not a country of this baseline; it is part of ROW, the rest "
                            "of the world (see the store's ge_sample table))")
                raise UnknownCountryError(c, countries, hint)
        return chosen

    @property
    def cost_terms(self) -> tuple[str, ...]:
        """Terms whose ``ge_variable`` is a column of ``flows`` (the GE-year cost)."""
        c = self.coefficients
        return tuple(c.loc[c["ge_variable"] != "", "term"])


def load_ge_baseline(store: Store, source: str = "itpd-e", year: int | None = None,
                     sector: str = "manufacturing") -> GEBaseline:
    """The GE baseline ``source``/``sector``/``year`` from the store.

    Parameters
    ----------
    store : Store
    source : str
        ``itpd-e`` (USITC ITPD-E R02 flows with DGD 2.1 gravity variables).
    year : int, optional
        The GE year; the store holds the one chosen by the domestic-coverage rule
        (``critmin.store.builders.gravity``). None takes it.
    sector : str
        ITPD-E broad sector in critmin's words (``manufacturing``).

    Raises
    ------
    UnknownBaselineError, UnknownSectorError, UnknownYearError
        A name or year the store does not hold (the message lists those it does).
    StoreError
        The store has no GE tables (built before they existed): rebuild it.
    """
    import pandas as pd

    key = SOURCE_ALIASES.get(str(source).strip().lower(), str(source).strip().lower())
    if key not in SOURCES:
        raise UnknownBaselineError(source, SOURCES, "(baseline.source of a model: ge scenario)")
    missing = [t for t in ("ge_flows", "ge_coefficients", "ge_covariance", "ge_sample")
               if t not in store.tables()]
    if missing:
        raise StoreError(f"the store {store.path} has no GE baseline tables ({', '.join(missing)}); "
                         "rebuild it with `critmin data build` (snapshot) or `critmin data build "
                         "--source-dir ../shared/data`.")
    flows = store.table("ge_flows")
    sectors = sorted(set(flows["sector"]))
    if sector not in sectors:
        raise UnknownSectorError(sector, sectors, "(baseline.sector)")
    flows = flows[flows["sector"] == sector]
    years = sorted(int(y) for y in set(flows["year"]))
    chosen = years[-1] if year is None else year
    if chosen not in years:
        raise UnknownYearError(year, [str(y) for y in years],
                               f"(baseline.year: the store holds the {sector} GE year(s) chosen "
                               "by domestic-flow coverage; see the ge_sample table)")
    flows = flows[flows["year"] == chosen].reset_index(drop=True)

    def pick(name: str) -> pd.DataFrame:
        t = store.table(name)
        return t[(t["sector"] == sector) & (t["year"] == chosen)].reset_index(drop=True)

    coef = pick("ge_coefficients")
    cov_long = pick("ge_covariance")
    terms = list(coef["term"])
    cov = (cov_long.pivot(index="term", columns="term2", values="covariance")
           .reindex(index=terms, columns=terms))
    sample = pick("ge_sample")
    prov = store.provenance_records(["ge_flows", "ge_coefficients"])
    used = {"ge_flows": "GE baseline flows, gravity variables and pair effects",
            "ge_coefficients": "PPML trade-cost coefficients and covariance"}
    records = []
    for p in prov:
        rec = dict(p)
        rec.setdefault("used_for", used.get(str(rec.get("table")), "GE baseline"))
        records.append(rec)
    formula = str(coef["formula"].iloc[0]) if len(coef) else ""
    return GEBaseline("itpd-e", sector, chosen, flows, coef, cov, sample, formula, tuple(records))
