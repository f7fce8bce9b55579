"""Settings: where the store lives, where raw releases are cached, where shared data sits.

Read from the environment (``CRITMIN_STORE``, ``CRITMIN_CACHE_DIR``, ``CRITMIN_SOURCE_DIR``,
``CRITMIN_READ_CACHE_MB``); command-line options override them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import platformdirs

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"          # reviewed YAML: vocabulary, mappings, corrections, blocs
SNAPSHOT_DIR = PACKAGE_DIR / "snapshot"  # bundled derived Parquet snapshot


def _default_store() -> Path:
    return platformdirs.user_data_path("critmin") / "critmin.duckdb"


def _default_cache() -> Path:
    return platformdirs.user_cache_path("critmin")


@functools.cache
def _settings_class() -> Any:
    # pydantic-settings is imported on first use, not at import: the vocabulary (and so
    # `critmin --help`) imports this module, and pydantic costs ~90 ms of start-up.
    from pydantic import Field
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Settings(BaseSettings):
        """critmin settings; every field can be set as ``CRITMIN_<FIELD>``."""

        model_config = SettingsConfigDict(env_prefix="CRITMIN_")

        store: Path = Field(default_factory=_default_store, description="DuckDB store file")
        cache_dir: Path = Field(default_factory=_default_cache, description="Downloaded releases")
        source_dir: Path | None = Field(default=None, description="Directory of raw release files")
        # Text, checked by read_cache_mb() when `critmin serve` starts: a bad value is that
        # command's clear error, not a validation error in every other command.
        read_cache_mb: str | None = Field(
            default=None, description="MB of store query results `critmin serve` keeps (default 256)")

    return Settings


def settings() -> Any:
    """Fresh settings from the current environment (a pydantic-settings ``Settings``:
    ``store``, ``cache_dir``, ``source_dir``, ``read_cache_mb``)."""
    return _settings_class()()


#: Megabytes of store query results the API keeps (``critmin serve --read-cache-mb``).
READ_CACHE_MB = 256.0


#: Upper bound of ``--read-cache-mb`` (1 TiB): a larger figure is a typo, not a machine.
READ_CACHE_MAX_MB = 1024 * 1024


def read_cache_mb(value: str | float | None = None) -> float:
    """The API's read-cache bound in MB: ``value`` (``--read-cache-mb``), else
    ``CRITMIN_READ_CACHE_MB``, else :data:`READ_CACHE_MB`.

    Raises
    ------
    InvalidParameterError
        Not a number, under one byte, or above :data:`READ_CACHE_MAX_MB` (more than any
        machine holds: a typo). An empty environment variable counts as unset.
    """
    import math

    from critmin.errors import InvalidParameterError

    where = "--read-cache-mb"
    if value is None:
        value, where = settings().read_cache_mb, "CRITMIN_READ_CACHE_MB"
        if value is not None and not str(value).strip():
            value = None
    if value is None:
        return READ_CACHE_MB
    try:
        mb = float(str(value).strip())
    except ValueError:
        mb = math.nan
    if not math.isfinite(mb) or mb * 1024 * 1024 < 1 or mb > READ_CACHE_MAX_MB:
        raise InvalidParameterError(
            f"{where} takes the megabytes of store query results the server keeps, a number "
            f"above 0 and at most {READ_CACHE_MAX_MB:,} (default {READ_CACHE_MB:g}). Got {value!r}.")
    return mb


def default_source_dir() -> Path | None:
    """``CRITMIN_SOURCE_DIR`` or the ``shared/data`` folder beside the checkout, if present."""
    configured = settings().source_dir
    if configured is not None:
        return configured
    for parent in PACKAGE_DIR.parents:
        candidate = parent / "shared" / "data"
        if (candidate / "SOURCES.md").exists():
            return candidate
    return None


def read_yaml(path: Path) -> object:
    """Parse a YAML file with libyaml's C loader where available (several times faster
    than the pure-Python one on the mapping files), else the safe Python loader."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
