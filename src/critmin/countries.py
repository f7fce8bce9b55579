"""Countries: the ISO3 vocabulary and the mapping of provider labels to it.

Like :mod:`critmin.vocab`, this sits below every layer, so source parsers, the store,
models and the CLI share one mapping. Country labels go to ISO3 through country_converter, after an explicit overrides table
(``critmin/data/mappings/countries.yml``) for what it gets wrong. An unmapped label is an
error that lists every unmapped label with the file it came from; ``null`` in the
overrides drops an aggregate on purpose. Nothing is dropped silently.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable

import pandas as pd

from critmin.config import DATA_DIR, read_yaml
from critmin.errors import UnknownCountryError, UnmappedLabelError

PSEUDO_CODES = {"WLD": "World total", "OTH": "Other countries (unattributed remainder)"}
_FOOTNOTE = re.compile(r"^(?P<name>.*?[a-z\)])(?P<mark>[a-e]|\d+)$")
_NOT_FOUND = "\x00not found"


@functools.cache
def _overrides() -> tuple[dict[str, str | None], tuple[tuple[re.Pattern[str], str | None], ...]]:
    raw = read_yaml(DATA_DIR / "mappings" / "countries.yml")
    labels = {str(k).strip().lower(): v for k, v in (raw.get("labels") or {}).items()}
    patterns = tuple((re.compile(p, re.IGNORECASE), code) for p, code in raw.get("patterns") or ())
    return labels, patterns


@functools.cache
def _converter():  # type: ignore[no-untyped-def]
    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.CRITICAL)
    return coco.CountryConverter()


@functools.cache
def valid_iso3() -> frozenset[str]:
    """ISO3 codes that country_converter knows, plus Kosovo's XKX."""
    return frozenset(_converter().data["ISO3"].dropna()) | {"XKX"}


def _clean(label: str) -> str:
    return re.sub(r"\s+", " ", str(label).replace("\xa0", " ")).strip()


@functools.cache
def _map_one(label: str) -> str | None:
    """ISO3, a pseudo-code, None (dropped on purpose) or _NOT_FOUND."""
    text = _clean(label)
    labels, patterns = _overrides()
    candidates = [text]
    m = _FOOTNOTE.match(text)
    if m:  # USGS glues footnote letters/numbers on: "Japane", "World total (rounded) 10"
        candidates.append(m.group("name"))
    for cand in candidates:
        key = cand.lower()
        if key in labels:
            return labels[key]
        for pattern, code in patterns:
            if pattern.fullmatch(cand):
                return code
    for cand in candidates:
        if re.fullmatch(r"[A-Z]{3}", cand):
            if cand in valid_iso3():
                return cand
            continue
        # "United States (crude)": the qualifier describes the product, not the country
        base = re.sub(r"\s*\(.*\)\s*$", "", cand) or cand
        for attempt in dict.fromkeys((cand, base)):
            code = _converter().convert(attempt, to="ISO3", not_found=_NOT_FOUND)
            if isinstance(code, str) and code in valid_iso3():
                return code
    return _NOT_FOUND


def iso3_map(labels: Iterable[str], file: str) -> dict[str, str | None]:
    """Map each distinct label to ISO3 (or a pseudo-code, or None for a declared drop).

    Raises
    ------
    UnmappedLabelError
        Listing every label that maps to nothing, with ``file``.
    """
    out: dict[str, str | None] = {}
    missing: list[str] = []
    for label in dict.fromkeys(str(x) for x in labels if pd.notna(x)):
        code = _map_one(label)
        if code == _NOT_FOUND:
            missing.append(label)
        else:
            out[label] = code
    if missing:
        raise UnmappedLabelError({file: missing})
    return out


def harmonise_countries(frame: pd.DataFrame, column: str, file: str, *,
                        out: str = "country", keep_label: str | None = None) -> pd.DataFrame:
    """``frame`` with ``column`` mapped to ISO3 in ``out``; declared drops removed.

    ``keep_label`` names a column to keep the provider's label in, for traceability.
    """
    mapping = iso3_map(frame[column].dropna().unique(), file)
    result = frame.copy()
    if keep_label:
        result[keep_label] = result[column].map(_clean)
    result[out] = result[column].map(lambda x: mapping.get(str(x)) if pd.notna(x) else None)
    return result[result[out].notna()].reset_index(drop=True)


def country(code_or_name: str) -> str:
    """ISO3 for a user-typed country (code or name); UnknownCountryError otherwise."""
    text = _clean(code_or_name)
    if text.upper() in valid_iso3():
        return text.upper()
    code = _map_one(text)
    if code in (None, _NOT_FOUND) or code in PSEUDO_CODES:
        raise UnknownCountryError(code_or_name, sorted(valid_iso3()),
                                  "Use an ISO3 code such as 'COD' or a country name.")
    return code  # type: ignore[return-value]


@functools.cache
def country_name(iso3: str) -> str:
    """Short English name of an ISO3 code (or pseudo-code); memoised (country_converter
    takes about 20 ms a call, and a bloc or the country list names dozens)."""
    if iso3 in PSEUDO_CODES:
        return PSEUDO_CODES[iso3]
    name = _converter().convert(iso3, src="ISO3", to="name_short", not_found=iso3)
    return str(name)
