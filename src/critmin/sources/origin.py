"""Origin records and the parse result every source module returns."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from critmin.errors import SourceFormatError

OPEN_LICENCES = ("public domain", "CC BY 4.0", "Etalab 2.0", "BGS attribution", "CC0")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a table's rows came from.

    ``source`` is a short stable id (``"usgs-mcs2025-world"``) that every stored row carries
    in its ``source`` column, so each number traces back to its file and vintage.
    """

    source: str
    publisher: str
    title: str
    vintage: str
    url: str
    licence: str
    sha256: str
    file: str
    redistributable: bool = True

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Parsed:
    """Tidy rows from one or more published files, with the origin of each."""

    frame: pd.DataFrame
    origins: tuple[Origin, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        return f"Parsed({len(self.frame)} rows from {', '.join(o.source for o in self.origins)})"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_manifest(paths: list[Path]) -> str:
    """Checksum of a release published as many files: the sha256 of the manifest
    ``"<name> <sha256>\n"`` per file, in the order given (sort it for a stable result)."""
    lines = "".join(f"{Path(p).name} {sha256_file(Path(p))}\n" for p in paths)
    return hashlib.sha256(lines.encode()).hexdigest()


def require_file(path: Path, what: str) -> Path:
    """``path`` if it is a readable non-empty file, else a SourceFormatError naming it."""
    path = Path(path)
    if not path.is_file():
        # The same parsers serve `data build --source-dir` and `data import PATH`.
        msg = (f"{what}: file not found: {path}. Check the path (`critmin data import`), or "
               "pass --source-dir pointing at the release files (`critmin data build`).")
        raise SourceFormatError(msg)
    if path.stat().st_size == 0:
        raise SourceFormatError(f"{what}: file is empty: {path}")
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        except (OSError, EOFError) as exc:
            raise SourceFormatError(f"{what}: {path} is truncated or not gzip ({exc}).") from exc
    return path


def require_columns(frame: pd.DataFrame, columns: list[str] | tuple[str, ...], what: str,
                    path: Path | str) -> None:
    """Raise SourceFormatError naming missing columns and the ones found."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = (f"{what}: {path} lacks column(s) {missing}. Expected {list(columns)}; "
               f"found {list(frame.columns)}.")
        raise SourceFormatError(msg)
