"""EU 2023 criticality assessment: per-material inputs and results (SOURCES.md §10).

The European Commission's *Study on the Critical Raw Materials for the EU 2023 - Final
Report* (Grohol & Veeh 2023, doi:10.2873/725585) as transcribed in the GitHub repository
``meyerdata/CritMAT`` (MIT; path ``input_data/seeds/``, commit
0bd897788ddd82bc58752e5460c53b924cbc63bc). Two files:

``eureport_results.csv``
    per material: SR and EI, the stage the assessment used (``eu_used_stage``:
    Extraction/Processing), which supply the SR used at each stage (``GS+EU``, ``GSonly``,
    ``EUonly``), SR per stage, the substitution indices SI_EI and SI_SR, import reliance
    per stage and the end-of-life recycling input rate (percent). :func:`read_results`.
``eureport_tradeparameters.csv``
    the trade-related variable t per material, country, stage (``primary``/``refined``) and
    scope (``world`` global supply, ``eu`` EU sourcing). :func:`read_trade_factors`.

Quirks handled here, each reported in ``note`` (nothing dropped silently):

* ``LREE`` has ``281%`` as its extraction SR: a transcription error; set to null.
* ``Tungsten`` appears twice with identical rows: kept once.
* Five rows (``Coking coal``, ``Diatomite``, ``Magnesite``, ``Natural cork``,
  ``Strontium``) are shifted one column left from ``supply_risk_primary``: the extraction
  SR sits in ``eu_used_supply_refined``. Read back into place.
* ``EU`` in a supply column means ``EUonly`` (Molybdenum).

Percentages become 0-1 shares (``_share``). The values are the Commission's; Commission
documents may be reused with acknowledgement (Decision 2011/833/EU), and the transcription
is MIT, so the rows are redistributable with credit to both.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file

FOLDER = "eu_crm2023"
RESULTS = f"{FOLDER}/eureport_results.csv"
TRADE = f"{FOLDER}/eureport_tradeparameters.csv"
REPO = "meyerdata/CritMAT"
COMMIT = "0bd897788ddd82bc58752e5460c53b924cbc63bc"
SOURCE_RESULTS = "eu-crm2023-results"
SOURCE_TRADE = "eu-crm2023-trade-factors"
SUPPLY = {"GS+EU": "GS+EU", "GSonly": "GSonly", "EUonly": "EUonly", "EU": "EUonly"}
RESULT_COLUMNS = ["material_name", "supply_risk", "economic_importance", "eu_used_stage",
                  "eu_stages", "eu_used_supply_primary", "supply_risk_primary",
                  "eu_used_supply_refined", "supply_risk_refined", "si_ei", "si_sr",
                  "import_reliance_primary", "import_reliance_refined", "end_of_life"]
TRADE_COLUMNS = ["material_name", "country_name", "parameter", "category", "scope"]


def _origin(path: Path, source: str, title: str) -> Origin:
    return Origin(
        source=source, publisher="European Commission, DG GROW (transcribed by meyerdata/CritMAT)",
        title=(f"{title}, Study on the Critical Raw Materials for the EU 2023 - Final Report "
               f"(Grohol & Veeh 2023, doi:10.2873/725585); transcription github.com/{REPO} "
               f"input_data/seeds at {COMMIT[:12]}"),
        vintage="2023", url=f"https://github.com/{REPO}/tree/{COMMIT}/input_data/seeds",
        licence="CC BY 4.0", sha256=sha256_file(path), file=path.name, redistributable=True)


def _num(value: object) -> float:
    text = str(value).strip()
    if text in ("", "nan", "None"):
        return np.nan
    try:
        return float(text)
    except ValueError:
        return np.nan


def read_results(path: Path) -> Parsed:
    """Per-material EU 2023 results and SR inputs (see the module docstring).

    Returns
    -------
    Parsed
        ``material, sr_published, ei_published, eu_used_stage, eu_stages, supply_primary,
        sr_primary, supply_refined, sr_refined, si_ei, si_sr,
        import_reliance_primary_share, import_reliance_refined_share, eol_rir_share, note,
        source``.
    """
    path = require_file(Path(path), "EU CRM 2023 results")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    require_columns(raw, RESULT_COLUMNS, "EU CRM 2023 results", path)
    raw = raw.drop_duplicates(subset=RESULT_COLUMNS)
    rows = []
    for r in raw.to_dict("records"):
        notes = []
        sr_p, sup_r = r["supply_risk_primary"], r["eu_used_supply_refined"]
        if sr_p.strip() == "" and re.fullmatch(r"\d+(\.\d+)?", sup_r.strip()):
            notes.append(f"columns shifted in the transcription: extraction SR {sup_r} read "
                         "from eu_used_supply_refined")
            sr_p, sup_r = sup_r, ""
        if sr_p.strip().endswith("%"):
            notes.append(f"extraction SR {sr_p!r} is a transcription error; set to null")
            sr_p = ""
        for col, val in (("eu_used_supply_primary", r["eu_used_supply_primary"]),
                         ("eu_used_supply_refined", sup_r)):
            if val.strip() and val.strip() not in SUPPLY:
                raise SourceFormatError(f"{path}: {col} {val!r} for {r['material_name']!r} is "
                                        f"not one of {sorted(SUPPLY)}.")
        stage = r["eu_used_stage"].strip()
        if stage not in ("Extraction", "Processing"):
            raise SourceFormatError(f"{path}: eu_used_stage {stage!r} for "
                                    f"{r['material_name']!r}; expected Extraction or Processing.")
        rows.append({
            "material": r["material_name"].strip(),
            "sr_published": _num(r["supply_risk"]),
            "ei_published": _num(r["economic_importance"]),
            "eu_used_stage": stage,
            "eu_stages": r["eu_stages"].strip(),
            "supply_primary": SUPPLY.get(r["eu_used_supply_primary"].strip()),
            "sr_primary": _num(sr_p),
            "supply_refined": SUPPLY.get(sup_r.strip()),
            "sr_refined": _num(r["supply_risk_refined"]),
            "si_ei": _num(r["si_ei"]),
            "si_sr": _num(r["si_sr"]),
            "import_reliance_primary_share": _num(r["import_reliance_primary"]) / 100.0,
            "import_reliance_refined_share": _num(r["import_reliance_refined"]) / 100.0,
            "eol_rir_share": _num(r["end_of_life"]) / 100.0,
            "note": "; ".join(notes) or None,
            "source": SOURCE_RESULTS,
        })
    frame = pd.DataFrame(rows)
    dupes = frame[frame["material"].duplicated(keep=False)]
    if not dupes.empty:
        raise SourceFormatError(f"{path}: materials with differing rows: "
                                f"{sorted(set(dupes['material']))}.")
    return Parsed(frame, (_origin(path, SOURCE_RESULTS, "Criticality results and supply-risk "
                                  "inputs per material"),))


def read_trade_factors(path: Path) -> Parsed:
    """The trade-related variable t per material, country, stage and scope.

    Returns
    -------
    Parsed
        ``material, label, t, stage (primary/refined), scope (world/eu), source``; country
        labels as published (the store builder maps them to ISO3).
    """
    path = require_file(Path(path), "EU CRM 2023 trade parameters")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    require_columns(raw, TRADE_COLUMNS, "EU CRM 2023 trade parameters", path)
    t = raw["parameter"].map(_num)
    bad = raw[t.isna() | (t < 0.5) | (t > 2)]
    if not bad.empty:
        raise SourceFormatError(f"{path}: trade variable t outside 0.5-2 or not a number: "
                                f"{bad[TRADE_COLUMNS].head().to_dict('records')}")
    frame = pd.DataFrame({
        "material": raw["material_name"].str.strip(),
        "label": raw["country_name"].str.strip(),
        "t": t.astype(float),
        "stage": raw["category"].str.strip().str.lower(),
        "scope": raw["scope"].str.strip().str.lower(),
        "source": SOURCE_TRADE,
    }).drop_duplicates()
    for col, allowed in (("stage", {"primary", "refined"}), ("scope", {"world", "eu"})):
        odd = set(frame[col]) - allowed
        if odd:
            raise SourceFormatError(f"{path}: {col} values {sorted(odd)}; expected {sorted(allowed)}.")
    return Parsed(frame.reset_index(drop=True),
                  (_origin(path, SOURCE_TRADE, "Trade-related variable t per material and "
                           "country"),))
