"""Declared corrections of upstream errors, applied during the build and logged.

Corrections live in ``critmin/data/corrections/*.yml`` (format in that folder's files and in
STYLE.md), each with a reason and a status. Two kinds:

- raw corrections (``file:``) fix a publisher's row before it is parsed; the build hands
  :func:`raw_fixer` to the source parser, which stays ignorant of corrections;
- table corrections (``table:``) fix stored rows after harmonisation (:func:`apply_table`).

Every application is logged (``critmin.corrections`` logger) and recorded in the
:class:`CorrectionLog`. A correction that matches no row, or whose ``expect`` no longer
holds, raises :class:`StoreError`: a stale fix must be reviewed, not silently skipped.
"""

from __future__ import annotations

import fnmatch
import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from critmin.config import DATA_DIR, read_yaml
from critmin.errors import SourceFormatError, StoreError

CORRECTIONS_DIR = DATA_DIR / "corrections"
log = logging.getLogger("critmin.corrections")


class Correction(BaseModel):
    """One declared correction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    file: str | None = None
    table: str | None = None
    match: dict[str, object] = {}
    expect: dict[str, object] = {}
    set: dict[str, object] = {}
    # Raw corrections only: the file's header as published (expect_columns) and as it
    # should read (columns), for files whose header is shifted against their values.
    expect_columns: list[str] | None = None
    columns: list[str] | None = None
    reason: str
    status: str

    @model_validator(mode="after")
    def _one_target(self) -> Correction:
        if (self.file is None) == (self.table is None):
            raise ValueError("give exactly one of `file` (raw correction) or `table`")
        if self.status not in ("published", "reported", "inferred"):
            raise ValueError(f"status {self.status!r}: accepted published, reported, inferred")
        if not self.reason.strip():
            raise ValueError("a correction needs a reason")
        if self.columns is not None:
            if self.file is None or self.expect_columns is None:
                raise ValueError("`columns` needs `file` and `expect_columns`")
            if len(self.columns) != len(self.expect_columns):
                raise ValueError("`columns` and `expect_columns` must have the same length")
        elif not self.match or not self.set:
            raise ValueError("give `match` and `set` (or `columns` for a header fix)")
        return self


@dataclass(slots=True)
class CorrectionLog:
    """What the build corrected: one record per applied correction."""

    applied: list[dict[str, object]] = field(default_factory=list)

    def add(self, c: Correction, target: str, rows: int, before: list[object]) -> None:
        change = dict(c.set) if c.set else {"columns": list(c.columns or [])}
        rec = {"id": c.id, "target": target, "rows": rows, "set": change,
               "before": before, "reason": c.reason, "status": c.status}
        self.applied.append(rec)
        log.info("correction %s applied to %d row(s) of %s: %s (was %s). %s",
                 c.id, rows, target, change, before, c.reason)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.applied, columns=["id", "target", "rows", "set", "before",
                                                   "reason", "status"])


def load(directory: Path = CORRECTIONS_DIR) -> tuple[Correction, ...]:
    """Every correction in ``directory``; SourceFormatError naming the file and entry if one
    does not validate."""
    out: list[Correction] = []
    seen: set[str] = set()
    for path in sorted(Path(directory).glob("*.yml")):
        entries = read_yaml(path) or []
        if not isinstance(entries, list):
            raise SourceFormatError(f"{path}: expected a list of corrections")
        for i, raw in enumerate(entries):
            try:
                c = Correction.model_validate(raw)
            except ValidationError as exc:
                raise SourceFormatError(f"{path}: correction #{i + 1} is invalid: {exc}") from exc
            if c.id in seen:
                raise SourceFormatError(f"{path}: duplicate correction id {c.id!r}")
            seen.add(c.id)
            out.append(c)
    return tuple(out)


@functools.cache
def declared() -> tuple[Correction, ...]:
    return load()


def _norm(value: object) -> str:
    return re.sub(r"\s+", " ", str(value).replace("\xa0", " ")).strip()


def _mask(frame: pd.DataFrame, match: dict[str, object], where: str, cid: str) -> pd.Series:
    missing = [k for k in match if k not in frame.columns]
    if missing:
        raise StoreError(f"correction {cid!r}: {where} has no column(s) {missing}; "
                         f"columns are {list(frame.columns)}")
    mask = pd.Series(True, index=frame.index)
    for col, want in match.items():
        mask &= frame[col].map(_norm) == _norm(want)
    return mask


def _apply(c: Correction, frame: pd.DataFrame, target: str, clog: CorrectionLog,
           require_match: bool = True) -> pd.DataFrame:
    if c.columns is not None:
        have = [str(x) for x in frame.columns]
        if have != list(c.expect_columns or []):
            raise StoreError(f"correction {c.id!r}: {target} header is {have}, expected "
                             f"{c.expect_columns}. Review the correction before rebuilding.")
        out = frame.copy()
        out.columns = list(c.columns)
        clog.add(c, target, len(out), [{"columns": have}])
        return out
    mask = _mask(frame, c.match, target, c.id)
    if not mask.any() and not require_match:
        return frame
    if not mask.any():
        raise StoreError(f"correction {c.id!r} matches no row of {target} ({c.match}). The "
                         "upstream file may have been fixed: review critmin/data/corrections.")
    for col, want in c.expect.items():
        have = frame.loc[mask, col].map(_norm)
        if (have != _norm(want)).any():
            raise StoreError(f"correction {c.id!r}: {target} {col} is {sorted(set(have))}, "
                             f"expected {want!r}. Review the correction before rebuilding.")
    out = frame.copy()
    before = out.loc[mask, list(c.set)].drop_duplicates().to_dict("records")
    for col, value in c.set.items():
        if col not in out.columns:
            raise StoreError(f"correction {c.id!r}: {target} has no column {col!r}")
        out.loc[mask, col] = value
    clog.add(c, target, int(mask.sum()), before)
    return out


def raw_fixer(clog: CorrectionLog, corrections: tuple[Correction, ...] | None = None):
    """A ``fix(frame, file)`` for source parsers: applies the raw corrections of ``file``.

    A correction's ``file`` may be a glob ("bgs/BGS_*_production.csv.gz"); then a file it
    does not match is passed through, and :func:`check_all_applied` catches a correction
    that matched nothing anywhere.
    """
    todo = [c for c in (declared() if corrections is None else corrections) if c.file]

    def fix(frame: pd.DataFrame, file: str) -> pd.DataFrame:
        for c in todo:
            if c.file == file:
                frame = _apply(c, frame, file, clog)
            elif any(ch in c.file for ch in "*?[") and fnmatch.fnmatch(file, c.file):
                frame = _apply(c, frame, file, clog, require_match=False)
        return frame

    return fix


def check_all_applied(clog: CorrectionLog, prefix: str,
                      corrections: tuple[Correction, ...] | None = None) -> None:
    """StoreError if a raw correction for files under ``prefix`` was never applied."""
    done = {r["id"] for r in clog.applied}
    stale = [c.id for c in (declared() if corrections is None else corrections)
             if c.file and c.file.startswith(prefix) and c.id not in done]
    if stale:
        raise StoreError(f"correction(s) {stale} matched no row of the files under {prefix!r}. "
                         "The upstream files may have been fixed: review critmin/data/corrections.")



def apply_table(table: str, frame: pd.DataFrame, clog: CorrectionLog,
                corrections: tuple[Correction, ...] | None = None) -> pd.DataFrame:
    """``frame`` with every table correction declared for ``table`` applied."""
    for c in declared() if corrections is None else corrections:
        if c.table == table:
            frame = _apply(c, frame, f"table {table}", clog)
    return frame
