"""Tables for people from structural-gravity results (``model: ge``): formats, never computes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from critmin.models.base import Result

#: Columns of the country view, in order (bands follow their measure when drawn).
COUNTRY_COLUMNS = ("country", "exports_change_share", "exports_conditional_change_share",
                   "factory_price_change_share", "imr_change_share", "omr_change_share",
                   "real_gdp_change_share")


def country_table(result: Result) -> pd.DataFrame:
    """Per-country changes (shares), largest real-GDP movers first, with any bands."""
    c = result.table("countries")
    cols = [x for x in COUNTRY_COLUMNS if x in c.columns]
    cols += [x for x in c.columns if x.startswith("real_gdp_change_share_p")]
    c = c[cols]
    return c.reindex(c["real_gdp_change_share"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def views(result: Result) -> list[tuple[str, pd.DataFrame]]:
    """What `critmin run` prints for a ``model: ge`` result, titled."""
    out = [(f"{result.scenario}: changes by country (shares; 0.01 is +1 %)", country_table(result))]
    if "blocs" in result.tables:
        out.append((f"{result.scenario}: blocs", result.table("blocs")))
    return out
