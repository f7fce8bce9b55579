"""Builders of the reference tables: governance, distances, geography, trade
elasticities, prices and GDP. Each reads one publisher's file(s) from the source
directory, as named in ``../shared/data/SOURCES.md``."""

from __future__ import annotations

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources import cepii, prices, wgi, worldbank
from critmin.sources.origin import Parsed
from critmin.store.build import BuildContext, Builder
from critmin.store.catalog import TableData


def _table(name: str, parsed: Parsed) -> TableData:
    return TableData(name, parsed.frame, parsed.origins)


def build_governance(ctx: BuildContext) -> TableData:
    return _table("governance", wgi.parse_wgi(ctx.path(wgi.FILE)))


def build_distances(ctx: BuildContext) -> TableData:
    return _table("distances", cepii.parse_distances(ctx.path(cepii.DIST_FILE)))


def build_geography(ctx: BuildContext) -> TableData:
    return _table("geography", cepii.parse_geography(ctx.path(cepii.GEO_FILE)))


def build_trade_elasticities(ctx: BuildContext) -> TableData:
    return _table("trade_elasticities", cepii.parse_protee(ctx.path(cepii.PROTEE_FILE)))


def build_gdp(ctx: BuildContext) -> TableData:
    return _table("gdp", worldbank.parse_gdp(ctx.path(worldbank.FILE)))


def build_prices(ctx: BuildContext) -> TableData:
    """Pink Sheet monthly prices, cross-checked against the derived CSV when it is there,
    plus the USGS annual prices of the ``us_salient`` table (MCS 2023-2026), whose
    release records (source ids, checksums) they share."""
    pink = prices.parse_pink_sheet(ctx.path(prices.PINK_FILE))
    csv_path = ctx.path(prices.PINK_CSV)
    if csv_path.exists():
        mismatch = prices.cross_check_pink_csv(pink.frame, csv_path)
        if not mismatch.empty:
            msg = (f"Pink Sheet: the workbook {prices.PINK_FILE} and the derived CSV "
                   f"{prices.PINK_CSV} disagree on {len(mismatch)} month(s), e.g. "
                   f"{mismatch.head(3).to_dict('records')}. One of them was altered.")
            raise SourceFormatError(msg)
    salient = ctx.tables["us_salient"]
    usgs = prices.usgs_prices(salient.frame)
    used = set(usgs["source"])
    origins = pink.origins + tuple(o for o in salient.origins if o.source in used)
    return TableData("prices", pd.concat([pink.frame, usgs], ignore_index=True), origins)


BUILDERS = (
    Builder("governance", build_governance),
    Builder("distances", build_distances),
    Builder("geography", build_geography),
    Builder("trade_elasticities", build_trade_elasticities),
    Builder("prices", build_prices, requires=("us_salient",)),
    Builder("gdp", build_gdp),
)
