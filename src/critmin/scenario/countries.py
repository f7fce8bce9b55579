"""The one country-set resolver of the scenario language.

A country set is written as

- ``all`` (or ``world``, ``*``, or left out): every country of the baseline -> ``None``;
- an ISO3 code (``COD``) or a country name (``Congo, Dem. Rep.``);
- a bloc name (``EU27``, ``CMM2026``; :mod:`critmin.blocs`, user blocs included);
- ``rest`` (or ``rest of world``, ``ROW``): the rest-of-world aggregate that baselines
  which aggregate countries carry under the code :data:`REST`;
- a list mixing the above (a comma-separated string is a list).

Unknown names raise :class:`~critmin.errors.UnknownCountryError` with a did-you-mean over
countries and blocs; nothing is swallowed.
"""

from __future__ import annotations

from typing import Any

from critmin.errors import UnknownBlocError, UnknownCountryError

#: Code of the rest-of-world aggregate in baselines that aggregate countries.
REST = "ROW"
_ALL = frozenset({"all", "world", "*"})
_REST = frozenset({"rest", "rest of world", "rest of the world", "row"})


def resolve_countries(value: Any, what: str = "countries") -> tuple[str, ...] | None:
    """ISO3 codes of a country set; None means every country.

    Parameters
    ----------
    value : str, list of str or None
    what : str
        The field being resolved, named in errors (``shocks[0].exporters``).

    Raises
    ------
    UnknownCountryError
        A name that is neither a country, a bloc, ``all`` nor ``rest``.

    Examples
    --------
    >>> resolve_countries(["Japan", "USMCA"])
    ('JPN', 'USA', 'MEX', 'CAN')
    >>> resolve_countries("all") is None
    True
    """
    if value is None:
        return None
    if isinstance(value, str):
        items: list[Any] = [p.strip() for p in value.split(",")] if "," in value else [value]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise UnknownCountryError(value, [], f"({what}: give a country, a bloc, 'all' or a list of these)")
    if not items:
        raise UnknownCountryError("[]", [], f"({what}: an empty list names no country; "
                                  "write 'all' for every country)")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise UnknownCountryError(item, [], f"({what}: each entry is a country, a bloc, "
                                      "'all' or 'rest')")
        text = item.strip()
        key = text.lower()
        if key in _ALL:
            if len(items) > 1:
                raise UnknownCountryError(text, [], f"({what}: 'all' stands alone, not in a list)")
            return None
        if key in _REST:
            out.append(REST)
            continue
        out.extend(_one(text, what))
    return tuple(dict.fromkeys(out))


def _one(text: str, what: str) -> tuple[str, ...]:
    from critmin.blocs import blocs, resolve
    from critmin.countries import valid_iso3

    try:
        return tuple(resolve(text))
    except UnknownBlocError:
        accepted = sorted(valid_iso3()) + [b.name for b in blocs().values()] + ["all", "rest"]
        raise UnknownCountryError(text, accepted, f"({what}: a country ISO3 code or name, a bloc "
                                  "from `critmin blocs`, 'all' or 'rest')") from None


def resolve_blocs(value: dict[str, Any], what: str = "blocs", all_means: str = "") -> dict[str, tuple[str, ...]]:
    """A settings section's ``blocs:`` (name -> country set), each resolved with
    :func:`resolve_countries`; ``all`` (None) is refused with ``all_means`` as the reason."""
    out = {}
    for name, members in value.items():
        found = resolve_countries(members, f"{what}.{name}")
        if found is None:
            raise ValueError(f"{what}.{name}: name the members{f' ({all_means})' if all_means else ''}")
        out[name] = found
    return out
