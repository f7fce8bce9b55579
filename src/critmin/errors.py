"""Errors raised by critmin.

Every error a user can provoke subclasses :class:`CritminError` and the builtin that
matches it, so callers may catch either. The CLI prints the message without a traceback
and exits 2 for bad input (:class:`InputError`) and 1 for everything else::

    CritminError
    ├── InputError (ValueError)                 bad input: exit 2, HTTP 422
    │   ├── UnknownNameError (KeyError)         an unknown mineral, stage, country, bloc, year...
    │   │   ├── UnknownMineralError
    │   │   ├── UnknownStageError
    │   │   ├── UnknownCountryError
    │   │   ├── UnknownBlocError
    │   │   └── UnknownYearError
    │   ├── SourceFormatError                   a source file is missing, truncated or malformed
    │   │   └── UnmappedLabelError              country labels with no ISO3 mapping
    │   ├── InvalidParameterError               a parameter outside its allowed range
    │   └── ScenarioError                       a scenario file that does not validate
    ├── StoreError (RuntimeError)               the store is missing, stale or unreadable
    ├── FetchError (OSError)                    a download failed or its checksum did not match
    └── SolveError (RuntimeError)               a model did not converge; carries diagnostics
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class CritminError(Exception):
    """Base class of every error critmin raises on purpose."""

    exit_code = 1


class InputError(CritminError, ValueError):
    """Bad input from the user: a file, a name, a parameter."""

    exit_code = 2


class UnknownNameError(InputError, KeyError):
    """A name that is not in the vocabulary; the message lists what is accepted."""

    kind = "name"

    def __init__(self, value: object, accepted: Iterable[str], hint: str = "") -> None:
        self.value = value
        self.accepted = sorted({str(a) for a in accepted})
        super().__init__(unknown_message(self.kind, value, self.accepted, hint))

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownMineralError(UnknownNameError):
    kind = "mineral"


class UnknownStageError(UnknownNameError):
    kind = "stage"


class UnknownCountryError(UnknownNameError):
    kind = "country"


class UnknownBlocError(UnknownNameError):
    kind = "bloc"


class UnknownYearError(UnknownNameError):
    kind = "year"


class SourceFormatError(InputError):
    """A source file that is missing, truncated or not in the publisher's format."""


class UnmappedLabelError(SourceFormatError):
    """Country labels that map to no ISO3 code. Nothing is dropped silently."""

    def __init__(self, unmapped: dict[str, list[str]]) -> None:
        self.unmapped = unmapped
        lines = [f"  {file}: {', '.join(repr(x) for x in sorted(labels))}"
                 for file, labels in sorted(unmapped.items())]
        n = sum(len(v) for v in unmapped.values())
        super().__init__(
            f"{n} country label(s) map to no ISO3 code:\n" + "\n".join(lines)
            + "\nAdd them to src/critmin/data/mappings/countries.yml "
            "(an ISO3 code, or null to drop an aggregate on purpose)."
        )


class InvalidParameterError(InputError):
    """A parameter outside its allowed range."""


class ScenarioError(InputError):
    """A scenario file that does not validate."""


class StoreError(CritminError, RuntimeError):
    """The store is missing, stale or unreadable."""


class FetchError(CritminError, OSError):
    """A download failed or its checksum did not match."""


class SolveError(CritminError, RuntimeError):
    """A model that stopped before it converged. ``diagnostics`` says how far it got."""

    def __init__(self, message: str, diagnostics: dict[str, Any] | None = None) -> None:
        self.diagnostics = dict(diagnostics or {})
        if self.diagnostics:
            detail = ", ".join(f"{k}={v}" for k, v in self.diagnostics.items())
            message = f"{message} (diagnostics: {detail})"
        super().__init__(message)


def did_you_mean(value: object, accepted: Iterable[str]) -> str | None:
    """The closest accepted name to ``value``, if one is close enough."""
    pool = [str(a) for a in accepted]
    match = difflib.get_close_matches(str(value).lower(), [p.lower() for p in pool], n=1, cutoff=0.6)
    if not match:
        return None
    return next(p for p in pool if p.lower() == match[0])


def unknown_message(kind: str, value: object, accepted: Iterable[str], hint: str = "") -> str:
    """'x' is not a known mineral. Did you mean 'y'? Accepted: ..."""
    pool = sorted({str(a) for a in accepted})
    msg = f"{value!r} is not a known {kind}."
    guess = did_you_mean(value, pool)
    if guess is not None:
        msg += f" Did you mean {guess!r}?"
    if pool:
        shown = ", ".join(pool[:40]) + (f", ... ({len(pool)} in all)" if len(pool) > 40 else "")
        msg += f" Accepted: {shown}."
    if hint:
        msg += f" {hint}"
    return msg
