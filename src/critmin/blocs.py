"""Named country sets ("blocs"): G7, EU27, BRICS, the 2026 Critical Minerals Ministerial...

Blocs are YAML files reviewed like code: the packaged ones in ``critmin/data/blocs/`` and
the user's own in ``$CRITMIN_BLOCS_DIR`` or ``~/.config/critmin/blocs/`` (platformdirs'
user config directory). Each file holds ``blocs:``, a list of entries::

    blocs:
      - name: LithiumTriangle
        title: Argentina, Bolivia and Chile
        members: [ARG, BOL, CHL]
        source: my own grouping
        note: optional
        as_of: "2026-02"          # optional
        uncertainty: low          # low | medium | high (optional)

Members are validated as ISO3 codes (a country name is accepted and converted). A user
bloc with the name of a packaged one replaces it, and says so in its ``origin``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from critmin.config import DATA_DIR, read_yaml
from critmin.errors import InputError, UnknownBlocError, UnknownCountryError
from critmin.countries import country as country_code

PACKAGE_BLOCS = DATA_DIR / "blocs"


class BlocFileError(InputError):
    """A bloc YAML file that does not validate."""


@dataclass(frozen=True, slots=True)
class Bloc:
    """A named set of countries.

    Parameters
    ----------
    name : str
        Short name used on the command line (``EU27``, ``CMM2026``).
    members : tuple of str
        ISO3 codes, in the order the source lists them.
    source : str
        Where the membership list comes from.
    note : str
        Caveats: what the list does and does not include.
    """

    name: str
    members: tuple[str, ...]
    source: str
    note: str = ""
    title: str = ""
    as_of: str = ""
    uncertainty: str = "low"
    origin: str = ""  # the YAML file it was read from
    aliases: tuple[str, ...] = ()  # other names accepted on the command line

    def __repr__(self) -> str:
        return f"Bloc({self.name!r}, {len(self.members)} members)"

    def __contains__(self, iso3: object) -> bool:
        return iso3 in self.members

    def __len__(self) -> int:
        return len(self.members)


class _BlocIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    title: str = ""
    members: list[str] = Field(min_length=1)
    source: str = Field(min_length=1)
    note: str = ""
    as_of: str = ""
    uncertainty: Literal["low", "medium", "high"] = "low"
    aliases: list[str] = Field(default_factory=list)

    @field_validator("members")
    @classmethod
    def _iso3(cls, members: list[str]) -> list[str]:
        out: list[str] = []
        for m in members:
            try:
                code = country_code(str(m))
            except UnknownCountryError as exc:
                raise ValueError(str(exc)) from None
            if code in out:
                raise ValueError(f"member {m!r} ({code}) is listed twice")
            out.append(code)
        return out


class _FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    blocs: list[_BlocIn]


def user_blocs_dir() -> Path:
    """``$CRITMIN_BLOCS_DIR`` or the user config directory's ``blocs`` folder."""
    env = os.environ.get("CRITMIN_BLOCS_DIR")
    return Path(env) if env else platformdirs.user_config_path("critmin") / "blocs"


def read_bloc_file(path: Path) -> list[Bloc]:
    """The blocs of one YAML file; BlocFileError naming the file and the problem."""
    try:
        raw = read_yaml(Path(path))
    except (OSError, yaml.YAMLError) as exc:
        raise BlocFileError(f"Bloc file {path} cannot be read: {exc}") from exc
    try:
        parsed = _FileIn.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise BlocFileError(f"Bloc file {path} does not validate: {problems}. Each entry needs "
                            "name, members (ISO3 codes or country names) and source.") from exc
    names = [b.name.lower() for b in parsed.blocs]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise BlocFileError(f"Bloc file {path} defines {dups} more than once.")
    return [Bloc(name=b.name, members=tuple(b.members), source=b.source, note=b.note,
                 title=b.title, as_of=b.as_of, uncertainty=b.uncertainty, origin=str(path),
                 aliases=tuple(b.aliases))
            for b in parsed.blocs]


@functools.cache
def _load(user_dir: str) -> dict[str, Bloc]:
    found: dict[str, Bloc] = {}
    for directory in (PACKAGE_BLOCS, Path(user_dir)):
        if not directory.is_dir():
            continue
        packaged = directory == PACKAGE_BLOCS
        for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
            for b in read_bloc_file(path):
                key = b.name.lower()
                if key in found and packaged:
                    raise BlocFileError(f"Packaged bloc {b.name!r} is defined twice "
                                        f"({found[key].origin} and {path}).")
                found[key] = b
    for b in list(found.values()):
        for alias in b.aliases:
            found.setdefault(alias.lower(), b)
    return found


def blocs() -> dict[str, Bloc]:
    """Every bloc, packaged and user-defined, by name."""
    return {b.name: b for b in _load(str(user_blocs_dir())).values()}  # aliases fold back


def clear_cache() -> None:
    """Forget loaded bloc files (after editing a user bloc file in the same process)."""
    _load.cache_clear()


def bloc(name: str) -> Bloc:
    """The bloc called ``name`` (case-insensitive).

    Raises
    ------
    UnknownBlocError
        With a did-you-mean and the accepted names.
    """
    found = _load(str(user_blocs_dir()))
    key = str(name).strip().lower()
    if key not in found:
        raise UnknownBlocError(name, [b.name for b in found.values()],
                               f"Add your own in {user_blocs_dir()} (see `critmin blocs`).")
    return found[key]


def resolve(spec: str | Bloc | Iterable[str]) -> tuple[str, ...]:
    """ISO3 codes for a bloc name, an ISO3 code, a country name, or a list of these.

    A comma-separated string (``"EU27,USA"``) is a list. The result keeps first-seen order
    and holds each code once.

    Examples
    --------
    >>> resolve("Quad")
    ('AUS', 'IND', 'JPN', 'USA')
    >>> resolve(["USMCA", "Japan"])
    ('USA', 'MEX', 'CAN', 'JPN')
    """
    if isinstance(spec, Bloc):
        return spec.members
    if isinstance(spec, str):
        parts = [p.strip() for p in spec.split(",") if p.strip()]
        if not parts:
            raise UnknownBlocError(spec, [b.name for b in blocs().values()],
                                   "Give a bloc name, an ISO3 code or a country name.")
        if len(parts) == 1:
            return _resolve_one(parts[0])
        spec = parts
    out: dict[str, None] = {}
    for item in spec:
        for code in resolve(item):
            out.setdefault(code, None)
    return tuple(out)


def _resolve_one(text: str) -> tuple[str, ...]:
    found = _load(str(user_blocs_dir()))
    if text.lower() in found:
        return found[text.lower()].members
    try:
        return (country_code(text),)
    except UnknownCountryError:
        pass
    raise UnknownBlocError(text, [b.name for b in found.values()],
                           "Give a bloc name, an ISO3 code such as 'COD', or a country name.")


__all__ = ["Bloc", "BlocFileError", "bloc", "blocs", "clear_cache", "read_bloc_file",
           "resolve", "user_blocs_dir"]
