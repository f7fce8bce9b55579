"""Tables ``flows``, ``unmapped_hs`` and ``china_exports_monthly`` from the trade sources.

Load inputs: BACI year files and extracts (``baci_extracts/BACI_*.csv*``, country table in
``baci_codes/``), UN Comtrade CSVs (``comtrade/*.csv*``, mirror-reconciled), the Harvard
Atlas file (``atlas_harvard/``), USITC DataWeb (``usitc_dataweb/``) and China's monthly
exports (``comtrade/china_exports_monthly_qennis/``). A missing source folder is skipped.

Process: tag every row with its (mineral, stage) from ``data/mappings/hs_codes.yml``
(:func:`tag_flows`); convert gross tonnes to tonnes of contained content with the declared
factor; list every code that maps to no mineral in ``unmapped_hs`` (nothing is dropped
silently). Comtrade and Atlas origins are not redistributable, so ``export_snapshot``
leaves their rows out of the bundled snapshot.

Save: one ``TableData`` per table.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed
from critmin.store.build import BuildContext, Builder
from critmin.store.catalog import TableData
from critmin.vocab import HSCode, hs_mapping, hs_unmapped_reasons

FLOW_COLUMNS = ("mineral", "stage", "exporter", "importer", "year", "hs_code", "nomenclature",
                "value_usd", "quantity_gross_t", "quantity_t", "content_factor", "basis",
                "factor_assumed", "hs_shared", "method", "partial_year", "coverage",
                "quantity_method", "source")
# coverage: how much of the code's trade in the year the source lists.
COVERAGE = {
    "complete": "every exporter x importer pair of the code in the year (a full BACI matrix)",
    "exporters": "every flow of the exporters the file names (a BACI extract)",
    "truncated": "each country's top suppliers and customers only (BACI top links)",
    "reported": "what reporting countries declared (UN Comtrade, USITC, Atlas)",
}
UNMAPPED_COLUMNS = ("hs_code", "nomenclature", "source", "rows", "value_usd", "reason")


@functools.cache
def _lookup() -> dict[tuple[str, str], tuple[HSCode, ...]]:
    """(nomenclature, code) -> entries. Comtrade/USITC codes ("HS") match any revision."""
    table: dict[tuple[str, str], list[HSCode]] = {}
    for e in hs_mapping():
        if e.level == "hs4":
            keys = {("HS", e.code)}
        else:
            keys = {(nom, c) for nom in ("HS92", "HS17", "HS22") if (c := e.code_in(nom))}
            keys |= {("HS", e.code), ("HS", e.hs22)}
        for key in keys:
            bucket = table.setdefault(key, [])
            if all((b.mineral, b.stage) != (e.mineral, e.stage) for b in bucket):
                bucket.append(e)
    return {k: tuple(v) for k, v in table.items()}


def tag_flows(frame: pd.DataFrame, *, code_col: str = "hs",
              nomenclature: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tag trade rows with (mineral, stage) and contained content.

    Parameters
    ----------
    frame : DataFrame
        year, exporter, importer, ``code_col``, value_usd, quantity_gross_t, method, source,
        optionally nomenclature and partial_year.
    nomenclature : str, optional
        HS revision of every row ("HS92", "HS17", "HS22"; "HS" = as reported, any revision);
        by default the frame's ``nomenclature`` column, else "HS".

    Returns
    -------
    flows, unmapped : DataFrame, DataFrame
        ``flows`` in the ``flows`` schema (a row per matching mineral-stage; shared codes
        appear under each mineral with ``hs_shared``), ``unmapped`` in the ``unmapped_hs``
        schema.
    """
    work = frame.copy()
    if "nomenclature" not in work.columns:
        work["nomenclature"] = nomenclature or "HS"
    if "partial_year" not in work.columns:
        work["partial_year"] = False
    if "coverage" not in work.columns:
        work["coverage"] = "reported"
    if "quantity_method" not in work.columns:
        work["quantity_method"] = np.where(work["quantity_gross_t"].notna(), "reported", "")
    work["hs_code"] = work[code_col].astype(str)
    lookup = _lookup()
    parts = []
    keys = work[["nomenclature", "hs_code"]].drop_duplicates()
    mapped_keys = []
    for nom, code in keys.itertuples(index=False):
        entries = lookup.get((nom, code), ())
        if entries:
            mapped_keys.append((nom, code))
        n_minerals = len({e.mineral for e in entries})
        for e in entries:
            # Shared: the code maps to several minerals here, or the entry declares others
            # in its HS 2017 code and this is that code (HS92 811230 is germanium alone).
            shared = n_minerals > 1 or (bool(e.shared_with) and code in (e.code, e.hs22))
            parts.append({"nomenclature": nom, "hs_code": code, "mineral": e.mineral,
                          "stage": e.stage.value, "content_factor": e.factor, "basis": e.basis,
                          "factor_assumed": e.assumption, "hs_shared": shared})
    tags = pd.DataFrame(parts, columns=["nomenclature", "hs_code", "mineral", "stage",
                                        "content_factor", "basis", "factor_assumed",
                                        "hs_shared"])
    flows = work.merge(tags, on=["nomenclature", "hs_code"], how="inner")
    flows["content_factor"] = flows["content_factor"].astype("float64")
    flows["quantity_t"] = flows["quantity_gross_t"] * flows["content_factor"]
    flows = flows[list(FLOW_COLUMNS)].reset_index(drop=True)
    mk = pd.MultiIndex.from_tuples(mapped_keys, names=["nomenclature", "hs_code"]) \
        if mapped_keys else None
    is_mapped = (work.set_index(["nomenclature", "hs_code"]).index.isin(mk)
                 if mk is not None else np.zeros(len(work), dtype=bool))
    rest = work[~is_mapped]
    unmapped = (rest.groupby(["hs_code", "nomenclature", "source"], as_index=False)
                .agg(rows=("value_usd", "size"), value_usd=("value_usd", "sum")))
    reasons = hs_unmapped_reasons()
    unmapped["reason"] = unmapped["hs_code"].map(
        lambda c: reasons.get(c) or reasons.get(c[:4]) or "not in hs_codes.yml")
    return flows, unmapped[list(UNMAPPED_COLUMNS)]


# --- per-source adapters -------------------------------------------------------------------

def baci_flows(parsed: Parsed) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = parsed.frame.rename(columns={"hs6": "hs"}).assign(method="observed")
    if "coverage" not in frame.columns:  # a BACI year file is complete; an extract per exporter
        frame["coverage"] = np.where(frame["source"].str.endswith("-extract"), "exporters",
                                     "complete")
    return tag_flows(frame)


def cma_flows(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flows of the atlas BACI files (complete matrices and top links, quantities filled
    by :func:`fill_quantities`). HS02 top links (2002-2016) are tagged through their HS
    2017 code: the atlas kept only codes that exist in both (252800 is HS02
    252810 + 252890, the same product scope)."""
    work = frame.rename(columns={"hs6": "hs"}).assign(method="observed")
    flows, unmapped = [], []
    for nom, group in work.groupby("nomenclature", sort=True):
        f, u = tag_flows(group.assign(nomenclature="HS17"))
        flows.append(f.assign(nomenclature=nom))
        unmapped.append(u.assign(nomenclature=nom))
    if not flows:
        return tag_flows(work.assign(nomenclature="HS17"))
    return pd.concat(flows, ignore_index=True), pd.concat(unmapped, ignore_index=True)


def fill_quantities(frame: pd.DataFrame) -> pd.DataFrame:
    """Tonnes for the value-only rows of BACI atlas files, from unit values (USD/t) of the
    nearest year with tonnes, in this order: the same exporter-importer pair and code; the
    exporter's code total; the code's world total. ``quantity_method`` names the unit value
    and its year (e.g. "unit value of the pair in 2024"); reported tonnes say "reported".

    Parameters
    ----------
    frame : DataFrame
        year, exporter, importer, hs6, value_usd, quantity_gross_t, coverage, source (the
        rows of :mod:`critmin.sources.baci_cma`).
    """
    out = frame.copy()
    has_q = out["quantity_gross_t"].notna() & (out["quantity_gross_t"] > 0)
    out["quantity_method"] = np.where(has_q, "reported", "")
    ref = out[has_q & (out["value_usd"] > 0) & out["exporter"].ne("OTH")]
    need = ~has_q & (out["value_usd"] > 0)
    if ref.empty or not need.any():
        return out
    # complete matrices give the unit values where a year has both kinds of rows
    ref = ref.sort_values("coverage").drop_duplicates(["year", "exporter", "importer", "hs6"])
    ref_years = np.array(sorted(ref["year"].unique()))
    todo = out.loc[need, ["year", "exporter", "importer", "hs6", "value_usd"]].copy()
    years = todo["year"].to_numpy()
    todo["near"] = ref_years[np.abs(years[:, None] - ref_years[None, :]).argmin(axis=1)]
    vq = ["value_usd", "quantity_gross_t"]
    levels = (("pair", ["exporter", "importer", "hs6"], "unit value of the pair in {}"),
              ("exporter", ["exporter", "hs6"], "unit value of the exporter in {}"),
              ("world", ["hs6"], "world unit value of the code in {}"))
    uv = pd.Series(np.nan, index=todo.index)
    how = pd.Series("", index=todo.index, dtype="object")
    for name, keys, label in levels:
        g = ref.groupby(["year", *keys], as_index=False)[vq].sum()
        g[f"uv_{name}"] = g["value_usd"] / g["quantity_gross_t"]
        g = g.rename(columns={"year": "near"})[["near", *keys, f"uv_{name}"]]
        hit = todo[["near", *keys]].reset_index().merge(g, on=["near", *keys],
                                                      how="left").set_index("index")[f"uv_{name}"]
        fill = uv.isna() & hit.notna()
        uv[fill] = hit[fill]
        how[fill] = [label.format(n) for n in todo.loc[fill, "near"]]
    out.loc[todo.index, "quantity_gross_t"] = todo["value_usd"] / uv
    out.loc[todo.index, "quantity_method"] = how
    return out


def comtrade_flows(parsed: Parsed) -> tuple[pd.DataFrame, pd.DataFrame]:
    from critmin.sources.comtrade import reconcile_mirror

    frame = reconcile_mirror(parsed.frame)
    frame["quantity_method"] = np.where(
        frame["quantity_from_mirror"], "exporter's report (mirror)",
        np.where(frame["quantity_gross_t"].notna(), "reported", ""))
    if "coverage" in parsed.frame.columns:
        frame["coverage"] = "reported"
    return tag_flows(frame, nomenclature="HS")


def atlas_flows(parsed: Parsed) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = parsed.frame.assign(method="observed", quantity_gross_t=np.nan)
    return tag_flows(frame, nomenclature="HS92")


def usitc_flows(parsed: Parsed) -> tuple[pd.DataFrame, pd.DataFrame]:
    return tag_flows(parsed.frame, nomenclature="HS")


def _files(folder: Path, patterns: Iterable[str]) -> list[Path]:
    if not folder.is_dir():
        return []
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in folder.glob(pattern) if p.is_file())
    return sorted(found)


@functools.cache
def _parse_sources(source_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, tuple[Origin, ...]]:
    """Every trade source under ``source_dir``: (flows, unmapped, origins)."""
    from critmin.sources.baci import read_baci, read_country_codes
    from critmin.sources.baci_cma import read_cma_comtrade
    from critmin.sources.comtrade import read_atlas, read_comtrade
    from critmin.sources.usitc import read_usitc

    flows, unmapped, origins = [], [], []

    def add(parsed: Parsed, adapter) -> None:  # type: ignore[no-untyped-def]
        f, u = adapter(parsed)
        flows.append(f)
        unmapped.append(u)
        origins.extend(parsed.origins)

    codes_dir = source_dir / "baci_codes"
    tables = _files(codes_dir, ["country_codes_V*.csv"])
    country_codes = read_country_codes(tables[-1]) if tables else None
    for path in _files(source_dir / "baci_extracts", ["BACI_*.csv", "BACI_*.csv.gz"]):
        add(read_baci(path, country_codes=country_codes), baci_flows)
    for path in _files(source_dir / "comtrade", ["*.csv", "*.csv.gz"]):
        add(read_comtrade(path), comtrade_flows)
    cma = source_dir / "baci_v202601_cma"
    if cma.is_dir():
        frame, cma_origins = _parse_cma(cma)
        f, u = cma_flows(frame)
        flows.append(f)
        unmapped.append(u)
        origins.extend(cma_origins)
        for path in _files(cma / "comtrade_raw", ["comtrade_*.csv.gz", "comtrade_*.csv"]):
            add(read_cma_comtrade(path), comtrade_flows)
    for path in _files(source_dir / "atlas_harvard", ["*.csv", "*.csv.gz"]):
        add(read_atlas(path), atlas_flows)
    for path in _files(source_dir / "usitc_dataweb", ["*tidy*.csv", "*tidy*.csv.gz"]):
        add(read_usitc(path), usitc_flows)
    flow_frame = (pd.concat(flows, ignore_index=True) if flows
                  else pd.DataFrame(columns=list(FLOW_COLUMNS)))
    unmapped_frame = (pd.concat(unmapped, ignore_index=True) if unmapped
                      else pd.DataFrame(columns=list(UNMAPPED_COLUMNS)))
    return flow_frame, unmapped_frame, tuple(origins)


def _parse_cma(folder: Path) -> tuple[pd.DataFrame, tuple[Origin, ...]]:
    """The atlas BACI files: complete matrices, then the top links of (year, code) cells
    no complete matrix covers; value-only rows get tonnes by :func:`fill_quantities`."""
    from critmin.sources.baci_cma import read_cma_matrix, read_cma_top_links

    parts, origins = [], []
    for path in _files(folder, ["baci_*_30codes.parquet", "baci_*_30codes.csv.gz",
                                "baci_*_30codes.csv"]):
        parsed = read_cma_matrix(path)
        parts.append(parsed.frame)
        origins.extend(parsed.origins)
    complete = {(int(y), c) for f in parts for y, c in
                f[["year", "hs6"]].drop_duplicates().itertuples(index=False)}
    for path in _files(folder / "annual_top_links", ["flows_*.json.gz"]):
        parsed = read_cma_top_links(path)
        f = parsed.frame
        keep = [(int(y), c) not in complete for y, c in zip(f["year"], f["hs6"], strict=True)]
        f = f[keep]
        if len(f):
            parts.append(f)
            origins.extend(parsed.origins)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["year", "exporter", "importer", "hs6", "nomenclature", "value_usd",
                 "quantity_gross_t", "coverage", "source"])
    return fill_quantities(frame), tuple(origins)


def flows_table(frame: pd.DataFrame, origins: Iterable[Origin]) -> TableData:
    """The ``flows`` TableData, keeping only origins that rows name."""
    used = set(frame["source"].unique())
    return TableData("flows", frame, tuple(o for o in dict.fromkeys(origins) if o.source in used))


def build_flows(ctx: BuildContext) -> TableData:
    flows, _, origins = _parse_sources(Path(ctx.source_dir).resolve())
    return flows_table(flows, origins)


def build_unmapped(ctx: BuildContext) -> TableData:
    _, unmapped, origins = _parse_sources(Path(ctx.source_dir).resolve())
    used = set(unmapped["source"].unique())
    return TableData("unmapped_hs", unmapped, tuple(o for o in origins if o.source in used))


def build_china_monthly(ctx: BuildContext) -> TableData:
    from critmin.sources.comtrade import read_china_monthly

    folder = ctx.path("comtrade/china_exports_monthly_qennis")
    if not folder.is_dir():
        return TableData("china_exports_monthly", pd.DataFrame(
            columns=["period", "year", "month", "exporter", "importer", "hs6", "product_group",
                     "value_usd", "quantity_t", "unit_value_usd_per_t", "source"]))
    parsed = read_china_monthly(folder)
    return TableData("china_exports_monthly", parsed.frame, parsed.origins)


def check_flow_frame(frame: pd.DataFrame, what: str) -> None:
    """SourceFormatError when a parsed file yields no mineral flows at all."""
    if frame.empty:
        msg = (f"{what}: no row has an HS code of the mineral vocabulary "
               "(src/critmin/data/mappings/hs_codes.yml); nothing to import.")
        raise SourceFormatError(msg)


BUILDERS = (
    Builder("flows", build_flows),
    Builder("unmapped_hs", build_unmapped, requires=("flows",)),
    Builder("china_exports_monthly", build_china_monthly),
)
