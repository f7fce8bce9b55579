"""The closed vocabularies of the API as enums (so the OpenAPI lists the valid values),
and the response documents."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from critmin.vocab import Basis, Measure, Series
from critmin.vocab import SolveMode as Mode
from critmin.vocab import Stage as _Stage
from critmin.vocab import minerals as _minerals

__all__ = ["Basis", "ErrorOut", "Format", "Measure", "MineralId", "Mode", "RowsOut", "Series",
           "StageName", "TablesOut", "bloc_enum"]


def _enum(name: str, values: list[str], doc: str) -> type[StrEnum]:
    enum = StrEnum(name, {v: v for v in values})  # type: ignore[misc]
    enum.__doc__ = doc
    return enum


#: Mineral ids of critmin/data/minerals.yml (the CLI also takes names and symbols).
MineralId = _enum("MineralId", list(_minerals()), "A mineral id of the vocabulary.")
StageName = _enum("StageName", [s.value for s in _Stage], "A stage of production.")


def bloc_enum() -> type[StrEnum]:
    """The blocs known when the app is built (shipped and user YAML files)."""
    from critmin.blocs import blocs

    return _enum("BlocName", sorted(blocs()), "A named country set (GET /api/blocs).")


class Format(StrEnum):
    """json: one document (rows + provenance); csv: the rows as CSV."""

    json = "json"
    csv = "csv"


class RowsOut(BaseModel):
    """A table: its rows, what it rests on (provenance), and named extras."""

    model_config = ConfigDict(extra="allow")

    rows: list[dict[str, Any]] = Field(description="One record per row; units in column names.")
    provenance: list[dict[str, Any]] = Field(
        description="Source, vintage, licence and sha256 of every input.")


class TablesOut(BaseModel):
    """A model result: named tables plus provenance and diagnostics."""

    model_config = ConfigDict(extra="allow")

    provenance: list[dict[str, Any]] = Field(default_factory=list)


class ErrorOut(BaseModel):
    """The message the CLI prints for the same bad input."""

    detail: str | list[Any]
