"""USGS Mineral Commodity Summaries 2026: US import sources, 2021-24.

The MCS 2026 Commodities Data (``MCS2026_Commodities_Data.csv``, Windows-1252) has an
"Import Sources" section: for each commodity and form (``Statistics_detail``, e.g.
"Metal", "Germanium dioxide (Ge content)", "Ores and concentrates"), the percentage of US
imports from each named country and from "Other countries", over 2021-24 (``Year`` holds
the literal "2021–24"). :func:`parse_import_sources` returns these rows as published, with
the commodity mapped to a mineral id, the form to a critmin stage where the wording says
which one it is, and percentages as 0-1 shares. Country labels stay as published
(``label``); the store builder maps them to ISO3 (``OTH`` for "Other countries").

Markers: "<1" and ">99" become 0.01 / 0.99 with ``bound`` '<' / '>'; any other non-numeric
cell is a :class:`~critmin.errors.SourceFormatError` (nothing is dropped silently).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmin import vocab
from critmin.errors import SourceFormatError, UnknownMineralError
from critmin.sources.origin import Origin, Parsed, sha256_file
from critmin.sources.usgs_salient import commodity_mineral
from critmin.sources.usgs_world import EDITIONS, PUBLISHER, Fix, read_mcs2026

MCS2026 = "usgs/mcs2026/MCS2026_Commodities_Data.csv"
SOURCE = "usgs-mcs2026-import-sources"
SECTION = "Import Sources"
COLUMNS = ["mineral", "stage", "form", "all_forms", "label", "share", "bound", "period",
           "commodity", "note", "source"]

# Form wording -> stage. A form naming products of two stages ("Rare-earth compounds and
# metals", "Metal, oxide, and salts") or scrap gets no stage: its shares mix stages.
_STAGE_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bores?\b|concentrates?|celestite|bauxite|monazite", "mine"),
    (r"\bferro|\bsilicomanganese|matte", "smelter"),
    (r"\bmetals?\b|unwrought|refined|primary|bullion|sponge|\balumina\b", "refinery"),
    ((r"oxides?\b|dioxide|pentoxide|compounds?|salts|chemicals?|perrhenate|carbonate|"
     r"hydroxide|sulfate|tungstates?"), "chemical"),
)

# US imports for consumption (USGS salient statistics, MCS 2026 wording) that measure the
# product of a (mineral, trade stage) on critmin.baseline's content basis: (statistic as
# stored in ``us_salient``, tonnes of content per published tonne, basis note). Only these
# pairs are used; for others the baseline takes US imports from its own absorption rule.
US_IMPORT_STATISTICS: dict[tuple[str, str], tuple[tuple[str, float, str], ...]] = {
    ("gallium", "refinery"): (("Import: Imports for consumption: Metal", 1.0, "Ga metal"),),
    ("germanium", "refinery"): (("Import: Imports for consumption: Germanium metal", 1.0,
                                 "Ge metal"),),
    ("germanium", "chemical"): (("Import: Imports for consumption: Germanium dioxide", 0.6942,
                                 "GeO2 gross weight x 72.63/104.63 (Ge content)"),),
    ("indium", "refinery"): (("Import: Imports for consumption", 1.0,
                              "In metal (the chapter's trade is unwrought indium and powder)"),),
    ("rare_earths", "chemical"): (("Import: Imports: Compounds", 1.0,
                                   "compounds counted as REO, as hs_codes.yml 2846"),),
    ("rare_earths", "metal"): (("Import: Imports: Metals: Rare-earth metals and alloys", 1.166,
                                "metal x 1.166 (REO equivalent, as hs_codes.yml 280530)"),),
    ("aluminum", "refinery"): (("Import: Imports for consumption", 1.0,
                                "alumina, calcined equivalent (USGS Alumina chapter)"),),
    ("cobalt", "refinery"): (("Import: Imports for consumption", 1.0, "Co content"),),
    ("antimony", "refinery"): (("Import: Imports for consumption: Unwrought, powder", 1.0,
                                "Sb metal"),),
    ("antimony", "chemical"): (("Import: Imports for consumption: Oxide", 0.8353,
                                "Sb2O3 gross weight x 0.8353 (Sb content, as hs_codes.yml)"),),
    ("bauxite", "mine"): (("Import: Imports for consumption", 1.0, "bauxite, dry weight"),),
    ("graphite", "mine"): (("Import: Imports for consumption", 1.0,
                            "natural graphite, gross weight"),),
}
MASS_UNITS = {"kilograms": 1e-3, "metric tons": 1.0, "thousand metric tons": 1e3,
              "thousand metric dry tons": 1e3, "million metric tons": 1e6}
_NO_STAGE = re.compile(r"(?i)scrap|waste|other forms|steel|total|\ball\b|combined")
_ALL_FORMS = re.compile(r"(?i)^(all\b.*|total|total imports|total sulfur imports|"
                        r"combined total.*)$")


def form_stage(mineral: str, form: str) -> str | None:
    """The critmin stage a published import-source form refers to, or None.

    "Metal" for a mineral whose traded metal is the ``metal`` stage (REE, titanium sponge)
    resolves to ``metal``; a form matching words of two stages, or scrap, gets None.
    """
    text = form.lower()
    if _NO_STAGE.search(text):
        return None
    found = {stage for pattern, stage in _STAGE_WORDS if re.search(pattern, text)}
    if len(found) != 1:
        return None
    stage = found.pop()
    have = {s.value for s in vocab.hs_stages(mineral)} if mineral in vocab.minerals() else set()
    if stage == "refinery" and "refinery" not in have and "metal" in have:
        return "metal"
    return stage


def _share(text: str, rec: dict, path: str) -> tuple[float, str | None]:
    cell = re.sub(r"\s+", "", str(text)).replace(",", "")
    m = re.fullmatch(r"(?P<bound>[<>]?)(?P<num>\d+(?:\.\d+)?)", cell)
    if not m:
        raise SourceFormatError(
            f"{path}: import share {text!r} for {rec['Commodity']!r} / {rec['Country']!r} "
            "is not a percentage; expected a number or a bound such as '<1' or '>99'.")
    value = float(m.group("num")) / 100.0
    if not 0.0 <= value <= 1.0:
        raise SourceFormatError(f"{path}: import share {text!r} for {rec['Commodity']!r} / "
                                f"{rec['Country']!r} is outside 0-100 %.")
    return value, (m.group("bound") or None)


def _clean(text: object) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ")).strip()


def parse_import_sources(path: Path, fix: Fix | None = None) -> Parsed:
    """US import sources 2021-24 from the MCS 2026 Commodities Data file.

    Parameters
    ----------
    path : Path
        ``MCS2026_Commodities_Data.csv`` as published.
    fix : callable, optional
        ``fix(frame, file)`` applying declared raw corrections first.

    Returns
    -------
    Parsed
        mineral, stage (None where the form mixes stages), form (``Statistics_detail``),
        all_forms (the form covers every form of the commodity), label (country as
        published), share (0-1), bound, period ("2021-24"), commodity, note, source.

    Raises
    ------
    SourceFormatError
        No "Import Sources" rows, a commodity the vocabulary does not resolve, or a share
        that is not a percentage.
    """
    frame = read_mcs2026(path)
    if fix is not None:
        frame = fix(frame, MCS2026)
    part = frame[frame["Section"].map(_clean) == SECTION]
    if part.empty:
        raise SourceFormatError(f"{path}: no rows in section {SECTION!r}; sections found: "
                                f"{sorted(frame['Section'].map(_clean).unique())[:12]}.")
    rows: list[dict] = []
    unknown: set[str] = set()
    forms = part.groupby(["Commodity", "Statistics_detail"]).ngroups
    single = part.groupby("Commodity")["Statistics_detail"].nunique()
    for rec in part.to_dict("records"):
        commodity = _clean(rec["Commodity"])
        try:
            mineral = commodity_mineral(commodity)
        except UnknownMineralError:
            unknown.add(commodity)
            continue
        if mineral is None:  # declared ignored in usgs_labels.yml
            continue
        form = _clean(rec["Statistics_detail"])
        share, bound = _share(rec["Value"], rec, MCS2026)
        period = _clean(rec["Year"]).replace("\u2013", "-").replace("\u2014", "-")
        if not re.fullmatch(r"\d{4}-\d{2}", period):
            raise SourceFormatError(f"{path}: import-source period {rec['Year']!r} for "
                                    f"{commodity!r}; expected a range such as '2021–24'.")
        notes = " -- ".join(x for x in (_clean(rec["Notes"]), _clean(rec["Other notes"])) if x)
        stage = form_stage(mineral, form)
        # A commodity's only form, if it names no stage and is not scrap, covers all forms
        # ("Ores, concentrates, and other forms", "Rare-earth compounds and metals").
        all_forms = bool(_ALL_FORMS.match(form)) or (
            single[rec["Commodity"]] == 1 and stage is None
            and not re.search(r"(?i)scrap|waste", form))
        rows.append({"mineral": mineral, "stage": stage, "form": form, "all_forms": all_forms,
                     "label": _clean(rec["Country"]), "share": share, "bound": bound,
                     "period": period, "commodity": commodity, "note": notes or None,
                     "source": SOURCE})
    if unknown:
        raise SourceFormatError(f"{path}: import-source commodities the vocabulary does not "
                                f"resolve: {sorted(unknown)}. Add them to salient_commodities "
                                "in critmin/data/mappings/usgs_labels.yml.")
    title, url = EDITIONS[2026]
    origin = Origin(SOURCE, PUBLISHER, title + " (Import Sources section, 2021-24)", "2026",
                    url, "public domain", sha256_file(Path(path)), MCS2026)
    out = pd.DataFrame(rows, columns=COLUMNS)
    if out.empty:
        raise SourceFormatError(f"{path}: {forms} import-source forms, none for a known mineral.")
    return Parsed(out, (origin,))


__all__ = ["COLUMNS", "MASS_UNITS", "MCS2026", "SOURCE", "US_IMPORT_STATISTICS", "form_stage",
           "parse_import_sources"]
