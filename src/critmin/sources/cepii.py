"""CEPII GeoDist (Mayer and Zignago 2011) and ProTEE 0.1 trade elasticities.

GeoDist ``dist_cepii`` gives, for 224 x 224 country pairs, great-circle distances between
most populated cities (``dist``), capitals (``distcap``) and population-weighted
(``distw``, ``distwces``), in km, and gravity dummies. ``geo_cepii`` gives each country's
geography. Both use country codes of about 2005, handled explicitly:

- ROM (Romania), ZAR (DR Congo), TMP (Timor-Leste), PAL (Palestine) map to ROU, COD, TLS,
  PSE through the shared overrides in ``critmin/data/mappings/countries.yml``;
  ANT (Netherlands Antilles) is declared dropped there.
- YUG is *Serbia and Montenegro* in GeoDist (there are no separate SRB or MNE rows). It is
  stored as SRB, whose capital and main city (Belgrade) it uses, and every pair involving
  it is flagged ``estimated``. Montenegro gets no rows rather than invented ones.
- ``.`` marks a missing weighted distance (CCK, CXR, MAC, MSR, PCN have no city data).

ProTEE 0.1 (Fontagné, Guimbard and Orefice 2022, *J. Int. Econ.* 137) gives, per HS2007
six-digit product, ``sigma``: the **tariff elasticity of imports** (negative), and flags
``zero`` (own estimate not significant at 1 %) and ``positive`` (own estimate positive
and significant). Where either flag is set yet ``sigma`` holds a value, the value is
shared across a wider product group (e.g. every 8112xx line is -35.64), so it looks
imputed; critmin marks those rows ``imputed`` instead of pretending they are own estimates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError
from critmin.sources.origin import Origin, Parsed, require_columns, require_file, sha256_file
from critmin.countries import iso3_map

DIST_SOURCE = "cepii-geodist-dist"
GEO_SOURCE = "cepii-geodist-geo"
PROTEE_SOURCE = "cepii-protee-0.1"
DIST_FILE = "cepii/geodist_dist_cepii.csv.gz"
GEO_FILE = "cepii/geodist_geo_cepii.csv"
PROTEE_FILE = "cepii/ProTEE_0_1_trade_elasticities_HS07.csv"

# GeoDist-only codes, kept out of the shared overrides because elsewhere (BGS history)
# YUG means the former SFR Yugoslavia, not Serbia and Montenegro.
GEODIST_CODES: dict[str, str | None] = {"YUG": "SRB"}
PROXY_CODES = frozenset(GEODIST_CODES)

DIST_COLUMNS = ("iso_o", "iso_d", "contig", "comlang_off", "comlang_ethno", "colony", "comcol",
                "curcol", "col45", "smctry", "dist", "distcap", "distw", "distwces")
DUMMIES = ("contig", "comlang_off", "comlang_ethno", "colony", "comcol", "curcol", "col45",
           "smctry")
GEODIST_URL = "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=6"


def _geodist_origin(path: Path, source: str, table: str) -> Origin:
    return Origin(
        source=source, publisher="CEPII",
        title=f"GeoDist {table} (Mayer and Zignago 2011), via the CRAN package cepiigeodist 0.1",
        vintage="GeoDist 2011 (country codes of about 2005)", url=GEODIST_URL,
        licence="Etalab 2.0", sha256=sha256_file(path), file=Path(path).name)


def _read(path: Path, what: str, **kw: object) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, **kw)  # type: ignore[arg-type]
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise SourceFormatError(f"{what}: {path} is not a readable CSV ({exc}).") from exc


def _codes(labels: pd.Series, file: str) -> dict[str, str | None]:
    rest = [c for c in labels.unique() if c not in GEODIST_CODES]
    return {**iso3_map(rest, file), **{c: GEODIST_CODES[c] for c in labels.unique()
                                      if c in GEODIST_CODES}}


def _numeric(frame: pd.DataFrame, columns: tuple[str, ...], what: str, path: Path,
             missing: tuple[str, ...] = (".", "")) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        text = out[col].str.strip()
        values = pd.to_numeric(text.mask(text.isin(missing)), errors="coerce")
        bad = text[values.isna() & ~text.isin(missing)]
        if not bad.empty:
            msg = (f"{what}: {path} column {col!r} holds non-numeric value(s) "
                   f"{sorted(bad.unique())[:5]}; expected numbers or '.' for missing.")
            raise SourceFormatError(msg)
        out[col] = values
    return out


def parse_distances(path: Path) -> Parsed:
    """Bilateral distances (km) and gravity dummies from GeoDist ``dist_cepii``.

    Returns
    -------
    Parsed
        ``exporter, importer, dist_km, distcap_km, distw_km, distwces_km, contig,
        comlang_off, comlang_ethno, colony, comcol, curcol, col45, smctry, estimated,
        source``. The measure is symmetric, so ``exporter``/``importer`` are simply the
        two ends of the pair (GeoDist's ``iso_o``/``iso_d``).
    """
    path = require_file(Path(path), "CEPII GeoDist dist_cepii")
    raw = _read(path, "CEPII GeoDist dist_cepii")
    require_columns(raw, DIST_COLUMNS, "CEPII GeoDist dist_cepii", path)
    frame = _numeric(raw, (*DUMMIES, "dist", "distcap", "distw", "distwces"),
                     "CEPII GeoDist dist_cepii", path)
    for col in DUMMIES:
        bad = frame.loc[~frame[col].isin([0, 1]), col]
        if not bad.empty:
            raise SourceFormatError(f"CEPII GeoDist dist_cepii: {path} dummy {col!r} holds "
                                    f"{sorted(bad.unique())[:5]}; expected 0 or 1.")
        frame[col] = frame[col].astype("int64")
    codes = _codes(pd.concat([frame["iso_o"], frame["iso_d"]]), path.name)
    frame["exporter"] = frame["iso_o"].map(codes)
    frame["importer"] = frame["iso_d"].map(codes)
    frame["estimated"] = frame["iso_o"].isin(PROXY_CODES) | frame["iso_d"].isin(PROXY_CODES)
    frame = frame[frame["exporter"].notna() & frame["importer"].notna()]
    frame = frame.rename(columns={"dist": "dist_km", "distcap": "distcap_km",
                                  "distw": "distw_km", "distwces": "distwces_km"})
    frame["source"] = DIST_SOURCE
    dup = frame.duplicated(["exporter", "importer"])
    if dup.any():
        pairs = frame.loc[dup, ["exporter", "importer"]].head(5).values.tolist()
        raise SourceFormatError(f"CEPII GeoDist dist_cepii: {path} maps two codes onto the "
                                f"same pair(s) {pairs}.")
    frame = frame.sort_values(["exporter", "importer"], ignore_index=True)
    return Parsed(frame, (_geodist_origin(path, DIST_SOURCE, "dist_cepii"),))


GEO_COLUMNS = ("iso3", "country", "area", "landlocked", "continent", "city_en", "lat", "lon",
               "cap", "langoff_1")


def parse_geography(path: Path) -> Parsed:
    """Country geography from GeoDist ``geo_cepii`` (one row per country).

    ``geo_cepii`` lists several cities for a few countries; the row flagged ``cap == 1``
    (the capital) is kept, else the first. ``area_km2`` is the country's area.
    """
    path = require_file(Path(path), "CEPII GeoDist geo_cepii")
    raw = _read(path, "CEPII GeoDist geo_cepii", encoding="utf-8-sig")
    require_columns(raw, GEO_COLUMNS, "CEPII GeoDist geo_cepii", path)
    frame = _numeric(raw, ("area", "landlocked", "lat", "lon", "cap"), "CEPII GeoDist geo_cepii",
                     path)
    codes = _codes(frame["iso3"], path.name)
    frame["country"] = frame["iso3"].map(codes)
    frame["estimated"] = frame["iso3"].isin(PROXY_CODES)
    frame = frame[frame["country"].notna()]
    frame = (frame.assign(_cap=frame["cap"].fillna(0))
             .sort_values(["country", "_cap"], ascending=[True, False], kind="stable")
             .drop_duplicates("country"))
    out = pd.DataFrame({
        "country": frame["country"],
        "name": raw.loc[frame.index, "country"],
        "continent": frame["continent"],
        "landlocked": frame["landlocked"].fillna(0).astype(bool),
        "area_km2": frame["area"],
        "capital": frame["city_en"],
        "lat": frame["lat"], "lon": frame["lon"],
        "language": frame["langoff_1"].replace(".", None),
        "estimated": frame["estimated"],
        "source": GEO_SOURCE,
    }).reset_index(drop=True)
    return Parsed(out, (_geodist_origin(path, GEO_SOURCE, "geo_cepii"),))


def parse_protee(path: Path) -> Parsed:
    """Product-level tariff elasticities of imports, ProTEE 0.1 (HS2007).

    Returns
    -------
    Parsed
        ``hs6, hs_revision, sigma, zero, positive, imputed, source``. ``sigma`` is the
        elasticity of imports to the tariff factor (negative; null where ProTEE has none).
    """
    path = require_file(Path(path), "CEPII ProTEE")
    raw = _read(path, "CEPII ProTEE", encoding="utf-8-sig")
    require_columns(raw, ("HS6", "zero", "positive", "sigma"), "CEPII ProTEE", path)
    hs6 = raw["HS6"].str.strip().str.zfill(6)
    bad = hs6[~hs6.str.fullmatch(r"\d{6}")]
    if not bad.empty:
        raise SourceFormatError(f"CEPII ProTEE: {path} has HS6 code(s) {bad.head(5).tolist()}; "
                                "expected six digits.")
    frame = _numeric(raw, ("zero", "positive", "sigma"), "CEPII ProTEE", path, missing=("", "NA"))
    for col in ("zero", "positive"):
        bad_flag = frame.loc[~frame[col].isin([0, 1]), col]
        if not bad_flag.empty:
            raise SourceFormatError(f"CEPII ProTEE: {path} flag {col!r} holds "
                                    f"{sorted(bad_flag.unique())[:5]}; expected 0 or 1.")
    zero = frame["zero"].astype(bool)
    positive = frame["positive"].astype(bool)
    out = pd.DataFrame({
        "hs6": hs6, "hs_revision": "HS2007", "sigma": frame["sigma"],
        "zero": zero, "positive": positive,
        "imputed": frame["sigma"].notna() & (zero | positive),
        "source": PROTEE_SOURCE,
    })
    if out["hs6"].duplicated().any():
        dups = out.loc[out["hs6"].duplicated(), "hs6"].head(5).tolist()
        raise SourceFormatError(f"CEPII ProTEE: {path} repeats HS6 code(s) {dups}.")
    origin = Origin(
        source=PROTEE_SOURCE, publisher="CEPII",
        title="ProTEE 0.1: Product-level Trade Elasticities (Fontagné, Guimbard and Orefice "
              "2022, J. Int. Econ. 137), HS2007",
        vintage="0.1 (2022)",
        url="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=35",
        licence="Etalab 2.0", sha256=sha256_file(path), file=path.name)
    return Parsed(out.sort_values("hs6", ignore_index=True), (origin,))
