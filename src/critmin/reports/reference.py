"""The reference tables (minerals, blocs) that ``critmin minerals|blocs`` and the API's
``/api/minerals`` and ``/api/blocs`` print: one definition, two interfaces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

MINERAL_COLUMNS = ["mineral", "name", "symbol", "critical_2025", "group", "stages", "aliases"]


def minerals_table(critical: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The mineral vocabulary (only the 2025 USGS critical minerals with ``critical``)
    and its title."""
    import pandas as pd

    from critmin.vocab import minerals

    vocab = minerals()
    rows = [{"mineral": m.id, "name": m.name, "symbol": m.symbol,
             "critical_2025": m.critical_2025, "group": m.group,
             "stages": ", ".join(m.stages), "aliases": ", ".join(m.aliases)}
            for m in vocab.values() if m.critical_2025 or not critical]
    frame = pd.DataFrame(rows, columns=MINERAL_COLUMNS)
    n_groups = int(frame["mineral"].map(lambda mid: vocab[mid].is_group).sum())
    count = f"{len(frame) - n_groups}" + (f" + {n_groups} reporting groups" if n_groups else "")
    title = ("2025 USGS critical minerals" if critical else "Minerals") + f" ({count})"
    return frame, {"title": title, "vocabulary": "critmin/data/minerals.yml"}


def blocs_table() -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every bloc with its size, date, uncertainty, source and file."""
    import pandas as pd

    from critmin.blocs import blocs, user_blocs_dir

    frame = pd.DataFrame([{
        "bloc": b.name, "title": b.title, "members": len(b), "as_of": b.as_of,
        "uncertainty": b.uncertainty, "source": b.source, "note": b.note, "file": b.origin}
        for b in blocs().values()])
    return frame, {"user_blocs_dir": str(user_blocs_dir())}


def bloc_members(name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The members of bloc ``name`` (ISO3 and name) and the bloc's metadata."""
    import pandas as pd

    from critmin.blocs import bloc
    from critmin.countries import country_name

    b = bloc(name)
    frame = pd.DataFrame({"country": list(b.members),
                          "name": [country_name(c) for c in b.members]})
    meta = {"bloc": b.name, "title": b.title, "as_of": b.as_of, "uncertainty": b.uncertainty,
            "source": b.source, "note": b.note, "file": b.origin}
    return frame, meta
