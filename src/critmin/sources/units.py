"""Published units and values of USGS tables: text cells to numbers, units to tonnes.

USGS writes numbers as text ("226,000", ">50", "50–300", "W") and states units per row or
per column ("thousand metric tons", ``Prod_kt_2022``). This module turns one cell into a
number plus a flag, and one unit into its factor to metric tonnes. The unit table lives in
``critmin/data/mappings/usgs_labels.yml`` (``units``), reviewed like code.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass


from critmin.config import DATA_DIR, read_yaml
from critmin.errors import SourceFormatError

LABELS_PATH = DATA_DIR / "mappings" / "usgs_labels.yml"

# Markers that stand for "no number": withheld, not available, not applicable, qualitative.
NO_NUMBER = {
    "W": "W",            # withheld to avoid disclosing company proprietary data
    "NA": "NA", "na": "NA", "N/A": "NA",
    "XX": "XX",          # not applicable
    "E": "E",            # net exporter (salient net import reliance)
    "s": "s",            # USGS 'small' marker in MCS 2026 (less than half a unit)
    "Large": "Large", "Small": "Small", "Moderate": "Moderate", "Very small": "Very small",
    "Moderate to large": "Moderate to large",
    "Less than ½ unit.": "s", "Less than ½ unit": "s",
    'Categorized as "large"': "Large", 'Categorized as "Large"': "Large",
}
# Cells that say the quantity is counted in another row: no number of their own.
_INCLUDED = re.compile(r"^included (in|with)\b", re.IGNORECASE)
_HALF_UNIT = re.compile(r"^less than (a |one-)?(half|½|1/2|one-half)( a)? unit\.?$", re.IGNORECASE)
_FOOTNOTE_E = re.compile(r"^e\s*(?P<num>[\d,.]+)$")  # MCS 2024 'e5,000': estimated
ZERO_MARKS = {"—", "–", "-", "--"}  # MCS tables print an em dash for zero
_RANGE = re.compile(r"^(?P<lo>[\d.]+)\s*[–\-]\s*(?P<hi>[\d.]+)$")
_BOUND = re.compile(r"^(?P<op>[<>]=?)\s*(?P<num>[\d.]+)$")


@dataclass(frozen=True, slots=True)
class Cell:
    """A parsed cell: ``value`` (None when there is no number) and the publisher's ``flag``.

    flag is None for a plain number; '>' or '<' for a bound (value is the bound); 'range'
    for 'a–b' (value is the midpoint, so estimated); 'e' for a number the publisher marks
    estimated with a glued footnote ('e5,000'); 'included' for a cell counted in another
    row ('Included in World total.'); or a marker from ``NO_NUMBER``.
    """

    value: float | None
    flag: str | None = None

    @property
    def estimated(self) -> bool:
        return self.flag in (">", "<", ">=", "<=", "range", "e")


def parse_cell(text: object, *, allow_text: bool = False) -> Cell | None:
    """Parse one published cell; None for an empty cell.

    ``allow_text`` accepts prose cells of the salient tables ("Variable, depending on type
    of product", "Less than 50,000 tons") as flag 'text' with no value; elsewhere prose is
    an error.

    Raises
    ------
    SourceFormatError
        For text that is neither a number, a bound, a range nor a known marker.

    Examples
    --------
    >>> parse_cell("226,000")
    Cell(value=226000.0, flag=None)
    >>> parse_cell(">50")
    Cell(value=50.0, flag='>')
    >>> parse_cell("50–300")
    Cell(value=175.0, flag='range')
    >>> parse_cell("W")
    Cell(value=None, flag='W')
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    raw = str(text).replace("\xa0", " ").strip()
    if not raw:
        return None
    if raw in ZERO_MARKS:
        return Cell(0.0)
    if raw in NO_NUMBER:
        return Cell(None, NO_NUMBER[raw])
    if _HALF_UNIT.match(raw):
        return Cell(None, "s")
    raw = raw.replace("\u2212", "-")  # Unicode minus sign in negative salient values
    if _INCLUDED.match(raw):
        return Cell(None, "included")
    m = _FOOTNOTE_E.match(raw)
    if m:
        return Cell(float(m["num"].replace(",", "")), "e")
    compact = raw.replace(",", "").replace(" ", "")
    try:
        return Cell(float(compact))
    except ValueError:
        pass
    m = _BOUND.match(compact)
    if m:
        return Cell(float(m["num"]), m["op"])
    m = _RANGE.match(compact)
    if m:
        lo, hi = float(m["lo"]), float(m["hi"])
        return Cell((lo + hi) / 2, "range")
    if allow_text and re.match(r"^[A-Za-z]", raw):
        return Cell(None, "text")
    raise SourceFormatError(f"cannot read {raw!r} as a number. Accepted: plain numbers "
                            "('226,000'), bounds ('>50', '<1,000'), ranges ('50–300'), "
                            f"zero ('—') or markers {sorted(set(NO_NUMBER.values()))}.")


@functools.cache
def _labels_yaml() -> dict:
    return read_yaml(LABELS_PATH)


def unit_factors() -> dict[str, float | None]:
    """Published unit -> metric tonnes per unit (None for a non-mass unit)."""
    return {str(k).strip().lower(): (None if v is None else float(v))
            for k, v in _labels_yaml()["units"].items()}


def tonnes_per(unit: str) -> float | None:
    """Metric tonnes in one ``unit`` (None for a volume such as million cubic meters).

    Raises
    ------
    SourceFormatError
        For a unit not declared in ``usgs_labels.yml``.
    """
    key = re.sub(r"\s+", " ", str(unit)).strip().lower()
    table = unit_factors()
    if key not in table:
        raise SourceFormatError(f"unknown unit {unit!r}. Declared units: {sorted(table)}. "
                                f"Add it to {LABELS_PATH.name} (units).")
    return table[key]


def scale(value: float, factor: float) -> float:
    """``value * factor``, dividing by the inverse for factors below one so that published
    decimals stay clean (18,400 kg -> 18.4 t, not 18.400000000000002)."""
    if 0 < factor < 1:
        inverse = 1 / factor
        if abs(inverse - round(inverse)) < 1e-9:
            return value / round(inverse)
    return value * factor


def to_tonnes(value: float, unit: str) -> float:
    """``value`` in ``unit`` as metric tonnes; SourceFormatError for a non-mass unit."""
    factor = tonnes_per(unit)
    if factor is None:
        raise SourceFormatError(f"{unit!r} is not a unit of mass; it cannot be converted to tonnes.")
    return scale(value, factor)


def from_tonnes(tonnes: float, unit: str) -> float:
    """Inverse of :func:`to_tonnes`."""
    factor = tonnes_per(unit)
    if factor is None:
        raise SourceFormatError(f"{unit!r} is not a unit of mass; it cannot be converted to tonnes.")
    return tonnes / factor


def unit_from_token(token: str) -> str:
    """The unit named by a column-name token of MCS 2023/2024 ('kt' -> 'thousand metric tons')."""
    tokens = _labels_yaml()["unit_tokens"]
    if token not in tokens:
        raise SourceFormatError(f"unknown unit token {token!r} in a column name. "
                                f"Declared tokens: {sorted(tokens)}.")
    return str(tokens[token])
