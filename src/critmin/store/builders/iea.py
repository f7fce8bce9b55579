"""Table ``iea_refining`` (IEA refining output by country) and the IEA rows added to
``production`` where USGS and BGS have none.

Load inputs: ``chains/iea-critical-minerals-{2024ed,2025ed}/iea_supply_by_country_long.csv``
(:mod:`critmin.sources.iea`); a missing folder is skipped.

Process: keep the refining and chemical stages (``iea_refining``: base years and
projections). For ``production``: the base-year rows of every IEA (mineral, stage, year)
for which the USGS/BGS production table has no number at all, e.g. lithium chemicals,
battery-grade graphite and separated magnet rare earths (no USGS series), and refined
cobalt and nickel in 2024 (BGS ends in 2023). They carry the IEA source id, edition and
basis, ``estimated`` True (the IEA calls its base year an estimate) and a note.

Save: ``iea_refining``; :func:`iea_production_rows` for the production builder.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from critmin.sources.origin import Origin
from critmin.store.build import BuildContext, Builder
from critmin.store.catalog import TableData

IEA_COLUMNS = ["mineral", "stage", "iea_mineral", "iea_stage", "country", "year", "quantity_t",
               "basis", "projection", "edition", "source"]
PRODUCTION_NOTE = ("IEA Critical Minerals Dataset, base-year estimate; added where USGS and BGS "
                   "report no output for this mineral, stage and year")


@functools.cache
def _parse(source_dir: Path) -> tuple[pd.DataFrame, tuple[Origin, ...]]:
    from critmin.sources.iea import FILE, FOLDERS, read_iea_supply

    frames, origins = [], []
    for _, folder in sorted(FOLDERS.items()):
        path = source_dir / folder / FILE
        if path.is_file():
            parsed = read_iea_supply(path)
            frames.append(parsed.frame)
            origins.extend(parsed.origins)
    if not frames:
        return pd.DataFrame(columns=IEA_COLUMNS), ()
    return pd.concat(frames, ignore_index=True)[IEA_COLUMNS], tuple(origins)


def build_iea_refining(ctx: BuildContext) -> TableData:
    frame, origins = _parse(Path(ctx.source_dir).resolve())
    frame = frame[frame["stage"] != "mine"].reset_index(drop=True)
    used = set(frame["source"])
    return TableData("iea_refining", frame, tuple(o for o in origins if o.source in used))


def iea_production_rows(source_dir: Path, production: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                               tuple[Origin, ...]]:
    """IEA base-year rows (every stage) in the ``production`` layout, for the (mineral,
    stage, year) keys where ``production`` has no number; newest edition per year."""
    frame, origins = _parse(Path(source_dir).resolve())
    base = frame[~frame["projection"].astype(bool)]
    if base.empty:
        return base.iloc[:0], ()
    have = production.loc[production["quantity_t"].notna(), ["mineral", "stage", "year"]]
    have = set(map(tuple, have.drop_duplicates().itertuples(index=False)))
    keep = [(m, s, int(y)) not in have for m, s, y in
            base[["mineral", "stage", "year"]].itertuples(index=False)]
    base = base[keep]
    base = base[base["edition"] == base.groupby(["mineral", "stage", "year"])["edition"]
                .transform("max")]
    rows = pd.DataFrame({
        "mineral": base["mineral"], "stage": base["stage"], "country": base["country"],
        "year": base["year"], "quantity_t": base["quantity_t"], "basis": base["basis"],
        "estimated": True, "flag": "e", "edition": base["edition"], "source": base["source"],
        "label": base["iea_mineral"] + " / " + base["iea_stage"], "note": PRODUCTION_NOTE})
    used = set(rows["source"])
    return rows.reset_index(drop=True), tuple(o for o in origins if o.source in used)


BUILDERS = (Builder("iea_refining", build_iea_refining),)
