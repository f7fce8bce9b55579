"""Builders of ``eu_criticality`` and ``eu_trade_factors`` (EU CRM 2023, SOURCES.md §10).

Load (the two CritMAT transcriptions of the EU 2023 study) / Process (country labels to
ISO3 through :func:`critmin.countries.harmonise_countries`; an unmapped label is an error)
/ Save (TableData with the study's Origin).
"""

from __future__ import annotations

from pathlib import Path

from critmin.countries import harmonise_countries
from critmin.sources import eu_crm2023
from critmin.store.build import BuildContext, Builder
from critmin.store.catalog import TableData


def build_eu_criticality(ctx: BuildContext) -> TableData:
    """``eu_criticality``: per material SR, EI and the SR inputs of the EU 2023 study."""
    parsed = eu_crm2023.read_results(Path(ctx.source_dir) / eu_crm2023.RESULTS)
    frame = parsed.frame.sort_values("material", kind="stable").reset_index(drop=True)
    return TableData("eu_criticality", frame, parsed.origins)


def build_eu_trade_factors(ctx: BuildContext) -> TableData:
    """``eu_trade_factors``: the trade variable t per material, country, stage and scope."""
    parsed = eu_crm2023.read_trade_factors(Path(ctx.source_dir) / eu_crm2023.TRADE)
    frame = harmonise_countries(parsed.frame, "label", eu_crm2023.TRADE)
    frame = frame.sort_values(["material", "stage", "scope", "country"], kind="stable")
    return TableData("eu_trade_factors", frame.reset_index(drop=True), parsed.origins)


BUILDERS = (Builder("eu_criticality", build_eu_criticality),
            Builder("eu_trade_factors", build_eu_trade_factors))
