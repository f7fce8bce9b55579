"""Scenario data references, resolved only inside the configured source directory.

A scenario document that arrives over HTTP may name a data file (a PE ``flows_csv`` or
``tariffs_csv``, a GE ``data.file``). It resolves relative to the server's source directory
and must stay inside it: absolute paths, ``..``, percent-encoded or backslash spellings,
``~`` and ``$`` expansions, and symlinks that lead out are refused with a clear message.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from critmin.errors import ScenarioError

SOURCE_VARS = ("${CRITMIN_SOURCE_DIR}", "$CRITMIN_SOURCE_DIR")


class DataPathError(ScenarioError):
    """A data reference that would leave the source directory, or names no file in it."""


def safe_data_path(text: str, root: Path | None, what: str = "data file") -> Path:
    """The file ``text`` names inside ``root``.

    ``text`` is relative to ``root``; a leading ``${CRITMIN_SOURCE_DIR}/`` means ``root``.

    Raises
    ------
    DataPathError
        No source directory configured; an absolute, parent-relative, encoded or expanded
        path; a symlink out of ``root``; or no such file.
    """
    if root is None:
        raise DataPathError(f"{what} {text!r}: this server has no source directory, so "
                            "scenario documents cannot name data files. Start it with "
                            "`critmin serve --source-dir DIR` (or set CRITMIN_SOURCE_DIR).")
    raw = str(text)
    for var in SOURCE_VARS:
        if raw.startswith(var):
            raw = raw[len(var):].lstrip("/")
            break
    refuse = (f"{what} {text!r} is refused: data files are named relative to the server's "
              "source directory, without")
    if not raw or any(c in raw for c in ("\x00", "\\", "%", "$")) or raw.startswith("~"):
        raise DataPathError(f"{refuse} '%', '\\', '$', '~' or NUL characters.")
    rel = PurePosixPath(raw)
    if rel.is_absolute() or Path(raw).is_absolute():
        raise DataPathError(f"{refuse} an absolute path.")
    if ".." in rel.parts:
        raise DataPathError(f"{refuse} '..'.")
    base = root.resolve(strict=True)
    full = (base / rel).resolve()  # follows symlinks
    if not full.is_relative_to(base):
        raise DataPathError(f"{refuse} links that lead out of it.")
    if not full.is_file():
        raise DataPathError(f"{what} {raw!r}: no such file in the server's source directory.")
    return full
