"""``critmin concentration``, ``critmin exposure`` and ``critmin risk``.

Thin: parse options, call :mod:`critmin.metrics.queries`, print. No arithmetic here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from critmin.cli._common import (
    SERIES_HELP,
    Format,
    FormatOpt,
    StoreOpt,
    emit,
    open_store,
    progress,
)
from critmin.cli.app import app
from critmin.vocab import Basis, Measure, Series


class Method(StrEnum):
    eu2023 = "eu2023"


CONCENTRATION_TABLE = ["mineral", "stage", "year", "top_country", "cr1_share", "cr3_share",
                       "hhi", "n_producers", "hhi_wgi", "cr1_flag", "hhi_flag"]
RISK_TABLE = ["eu_name", "eu_used_stage", "supply_scope", "sr_published", "ei_published",
              "sr_computed", "gap", "hhi_wgi_gs", "hhi_wgi_eu", "gs_source",
              "eu_china_share", "critmin_china_share_2016_2020", "status"]


def _cols(frame, wanted):  # type: ignore[no-untyped-def]
    return frame[[c for c in wanted if c in frame.columns]]


@app.command("concentration")
def concentration(
    mineral: Annotated[str | None, typer.Argument(
        help="Mineral id, name or symbol (e.g. gallium, Ga); omit for every mineral.")] = None,
    stage: Annotated[str | None, typer.Option(
        help="mine, refinery, smelter, metal or chemical; default every stage.")] = None,
    year: Annotated[int | None, typer.Option(help="Year; default every year.")] = None,
    series: Annotated[Series, typer.Option(help=SERIES_HELP)] = Series.default,
    latest: Annotated[bool | None, typer.Option(
        "--latest/--all-years", help="Only the latest year of each mineral-stage (the "
        "default with no MINERAL and no --year, leaving out series that ended 5 or more "
        "years before the newest data), or every year.", show_default=False)] = None,
    share_of: Annotated[str | None, typer.Option(
        "--share-of", help="Instead: this country's share over time (needs MINERAL and "
        "--stage), e.g. CHN.")] = None,
    compare_stages: Annotated[bool, typer.Option(
        "--compare-stages", help="Instead: mining versus processing where both are reported.")]
        = False,
    all_groups: Annotated[bool, typer.Option(
        "--all-groups", help="Also list groups that are not credible (a lone producer "
        "and no world total, e.g. a country reporting in its own basis).")] = False,
    cr1_threshold: Annotated[float, typer.Option(
        help="cr1_flag when the top share exceeds this (EU CRMA: 0.65).")] = 0.65,
    hhi_threshold: Annotated[float, typer.Option(
        help="hhi_flag when HHI >= this (2023 US Merger Guidelines: 1800).")] = 1800.0,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Supply concentration per mineral, stage and year: HHI, CR1, CR3, N-1 cover, HHI_WGI.

    Shares are of the world total; "Other countries" counts in the total but is never a
    producer, so HHI and CR are lower bounds. Sorted by HHI, highest first.
    """
    from critmin.reports.metrics import concentration_view

    s = open_store(store)
    with progress("concentration") as advance:
        advance("reading production", 0, 2)
        res = concentration_view(s, mineral, stage=stage, year=year, series=series.value,
                                 latest=latest, share_of=share_of, compare_stages=compare_stages,
                                 all_groups=all_groups, cr1_threshold=cr1_threshold,
                                 hhi_threshold=hhi_threshold)
        advance("done", 2, 2)
    title = res.extra.pop("title")
    plain = share_of is None and not compare_stages
    table = _cols(res.frame, CONCENTRATION_TABLE) if plain else res.frame
    out = res.frame if fmt is not Format.table else table
    emit(out, fmt, title=title, provenance=res.provenance, extra=res.extra,
         footer="HHI 0-10,000 (lower bound: OTH is an unattributed remainder); shares 0-1; "
                "hhi_wgi on the EU 0-10 scale." if fmt is Format.table and share_of is None
         and not compare_stages else "")


@app.command("exposure")
def exposure(
    unit: Annotated[str, typer.Argument(
        help="Importer (ISO3 code or name, e.g. USA) or bloc (e.g. ministerial-2026).")],
    mineral: Annotated[list[str] | None, typer.Option(
        "--mineral", "-m", help="Mineral(s); repeat for several. Default every mineral.")]
        = None,
    stage: Annotated[str | None, typer.Option(help="Stage; default every stage.")] = None,
    year: Annotated[int | None, typer.Option(help="Year; default every year.")] = None,
    against: Annotated[str, typer.Option(
        help="ISO3 code whose share of imports is reported.")] = "CHN",
    wgi_threshold: Annotated[float, typer.Option(
        help="Suppliers with mean WGI below this count as low-governance (WGI units).")] = 0.0,
    measure: Annotated[Measure, typer.Option(help="Shares on value or on tonnes (observed "
        "rows; completed-baseline rows are in tonnes).")] = Measure.value_usd,
    basis: Annotated[Basis, typer.Option(
        help="auto: observed flows where the release records the unit's own imports, the "
        "completed baseline (observed + estimated cells) where it records them only partly "
        "(e.g. India seen only through US exports), shares withheld where no baseline can be "
        "built; observed: the release as it is, partial rows flagged; baseline: every row "
        "on the completed baseline.")] = Basis.auto,
    observed: Annotated[bool, typer.Option(
        "--observed", help="Shorthand for --basis observed.")] = False,
    max_baselines: Annotated[int, typer.Option(
        help="At most this many baselines per query (about 0.5 s each; newest year of each "
        "mineral-stage first); other partial rows are withheld.")] = 40,
    latest: Annotated[bool, typer.Option(
        "--latest", help="One row per mineral-stage: the newest year with usable figures.")]
        = False,
    share_of: Annotated[str | None, typer.Option(
        "--share-of", help="Instead: this country's share of the unit's imports over time "
        "(2002-2024, BACI complete matrices and top links; needs --mineral), e.g. CHN. Rows "
        "on truncated top links are flagged.")] = None,
    series: Annotated[bool, typer.Option(
        "--series", help="Instead: the --against country's share of the unit's imports over "
        "time, 2002-2024 (--share-of AGAINST; needs --mineral).")] = False,
    usgs_nir: Annotated[bool, typer.Option(
        "--usgs-nir", help="Instead (USA only): recompute the USGS net import reliance from "
        "the MCS salient statistics and compare it with the published values.")] = False,
    edition: Annotated[int, typer.Option(help="MCS edition for --usgs-nir.")] = 2025,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Exposure of an importer or bloc: import reliance, source shares and source HHI.

    For a bloc, trade among its members is netted out. Each row says what it rests on
    (flow_basis): the observed release, or the completed baseline where the release records
    the unit's imports only partly; coverage_share and estimated_share give the limits.
    """
    from critmin.metrics import queries

    s = open_store(store)
    if usgs_nir:
        _, members = queries.resolve_unit(unit)
        if members != ("USA",):
            from critmin.errors import InvalidParameterError

            raise InvalidParameterError(
                f"--usgs-nir is the USGS net import reliance of the United States; got "
                f"{unit!r}. Use `critmin exposure USA --usgs-nir`.")
        with progress("USGS net import reliance") as advance:
            advance("recomputing", 0, 1)
            res = queries.nir_reproduction(s, edition=edition)
            advance("done", 1, 1)
        frame = res.frame
        if mineral:
            from critmin.vocab import mineral as vocab_mineral

            frame = frame[frame["mineral"].isin([vocab_mineral(m).id for m in mineral])]
        if year is not None:
            frame = frame[frame["year"] == year]
        cols = ["mineral", "year", "nir_column", "nir_kind", "nir_published", "nir_computed",
                "nir_method", "difference", "agrees", "fig2_share"]
        emit(frame if fmt is not Format.table else _cols(frame, cols), fmt,
             title=f"USGS MCS {edition} net import reliance, published vs recomputed",
             provenance=res.provenance, extra=res.extra)
        return
    if series and share_of is None:
        share_of = against
    if share_of is not None:
        if not mineral:
            from critmin.errors import InvalidParameterError

            flag = "--series" if series and share_of == against else f"--share-of {share_of}"
            raise InvalidParameterError(
                f"{flag} needs --mineral, e.g. `critmin exposure {unit} --mineral gallium {flag}`.")
        with progress("share of imports over time") as advance:
            advance("reading BACI flows", 0, 1)
            res = queries.exposure_share_series(s, unit, mineral=mineral, country=share_of,
                                                stage=stage, measure=measure.value)
            advance("done", 1, 1)
        frame = res.frame if year is None else res.frame[res.frame["year"] == year]
        cols = ["unit", "mineral", "stage", "year", "against_share", "top_source",
                "top_source_share", "source_hhi", "n_sources", "coverage", "basket"]
        emit(frame if fmt is not Format.table else _cols(frame, cols), fmt,
             title=f"{res.extra['country']} share of {res.extra['unit']} imports "
             f"({measure.value})", provenance=res.provenance, extra=res.extra,
             footer="coverage truncated: BACI top links (each country's 6 largest suppliers "
             "and customers); complete: the full BACI matrix." if fmt is Format.table else "")
        return
    from critmin.reports.metrics import exposure_view

    with progress("exposure") as advance:
        advance("reading flows", 0, 1)
        res = queries.exposure(s, unit, mineral=mineral or None, stage=stage, year=year,
                               against=against, wgi_threshold=wgi_threshold,
                               measure=measure.value,
                               basis=Basis.observed.value if observed else basis.value,
                               max_baselines=max_baselines, latest=latest, advance=advance)
        advance("done", 1, 1)
    if fmt is not Format.table:
        emit(res.frame, fmt, title="", provenance=res.provenance, extra=res.extra)
        return
    table, legend = exposure_view(res.frame, res.extra["against"])
    emit(table, fmt, title=f"Exposure of {res.extra['unit']}", provenance=res.provenance,
         extra=res.extra, footer=f"Members: {', '.join(res.extra['members'])}. "
         f"Observed rows: shares of {res.extra['measure']}. [dim]{legend}[/dim]")


@app.command("risk")
def risk(
    method: Annotated[Method, typer.Option(help="Supply-risk method.")] = Method.eu2023,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """EU 2023 supply risk: the published SR beside what critmin computes of it.

    SR is recomputed by the study's formula from its published inputs (substitution
    index, import reliance, EoL-RIR and trade variable t; table eu_criticality), global
    supply from BGS production 2016-2020 (USGS 2021-2022 where BGS has none, flagged) and
    EU27 sourcing from the complete BACI matrices where they cover the material; status
    says why a material is not computed.
    """
    from critmin.metrics import queries

    s = open_store(store) if store is not None or _default_store_exists() else None
    with progress("risk") as advance:
        advance("computing", 0, 1)
        res = queries.risk(s, method=method.value)
        advance("done", 1, 1)
    table = res.frame if fmt is not Format.table else _cols(res.frame, RISK_TABLE)
    emit(table, fmt, title=f"Supply risk ({method.value})", provenance=res.provenance,
         extra=res.extra)


def _default_store_exists() -> bool:
    from critmin.cli._common import store_path

    return store_path(None).exists()
