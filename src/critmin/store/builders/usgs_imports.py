"""Builder of ``us_import_sources`` (USGS MCS 2026, US import sources 2021-24).

Load (the MCS 2026 Commodities Data file, with declared raw corrections applied) /
Process (country labels to ISO3 through :func:`critmin.countries.harmonise_countries`;
an unmapped label is an error) / Save (TableData with the MCS 2026 Origin).
"""

from __future__ import annotations

from pathlib import Path

from critmin.errors import SourceFormatError
from critmin.sources import usgs_imports
from critmin.store import corrections
from critmin.store.build import BuildContext, Builder
from critmin.store.catalog import TableData
from critmin.countries import harmonise_countries

KEY = ["mineral", "commodity", "form", "country"]


def build_us_import_sources(ctx: BuildContext) -> TableData:
    """``us_import_sources``: share of US imports by source country, per mineral and form."""
    clog = corrections.CorrectionLog()
    parsed = usgs_imports.parse_import_sources(Path(ctx.source_dir) / usgs_imports.MCS2026,
                                               corrections.raw_fixer(clog))
    frame = harmonise_countries(parsed.frame, "label", usgs_imports.MCS2026)
    dupes = frame[frame.duplicated(KEY, keep=False)]
    if not dupes.empty:
        # Two labels mapping to one country within a form: never sum silently.
        sample = dupes[[*KEY, "label", "share"]].head(10).to_string(index=False)
        raise SourceFormatError(f"{usgs_imports.MCS2026}: {len(dupes)} import-source rows share "
                                f"(mineral, commodity, form, country):\n{sample}")
    frame = corrections.apply_table("us_import_sources", frame, corrections.CorrectionLog())
    frame = frame.sort_values(["mineral", "commodity", "form", "share"],
                              ascending=[True, True, True, False], kind="stable")
    return TableData("us_import_sources", frame.reset_index(drop=True), parsed.origins)


BUILDERS = (Builder("us_import_sources", build_us_import_sources),)
