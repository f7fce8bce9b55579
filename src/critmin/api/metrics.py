"""``/api/production/{mineral}``, ``/api/concentration``, ``/api/exposure/{unit}``: the
same library calls and documents as ``critmin production|concentration|exposure``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from critmin.api.deps import JSON_AND_CSV, StoreDep, cached, table_response
from critmin.api.schemas import Basis, Format, Measure, MineralId, RowsOut, Series, StageName

router = APIRouter(tags=["metrics"])

Year = Annotated[int | None, Query(ge=1900, le=2100, description="Default: every year.")]
#: ISO3 code, country name or bloc: checked by the library (422 with a did-you-mean).
Unit = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9 ._'-]*$",
                           description="Importer (ISO3 or name, e.g. USA) or bloc "
                                       "(GET /api/blocs, e.g. CMM2026).")]
Country = Annotated[str, Query(min_length=2, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9 ._'-]*$",
                               description="ISO3 code or country name.")]


@router.get("/production/{mineral}", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="Production by country, tonnes, newest year first (critmin production)")
async def production(request: Request, store: StoreDep, mineral: MineralId,  # type: ignore[valid-type]
               stage: StageName | None = None, year: Year = None,  # type: ignore[valid-type]
               series: Series = Series.default, format: Format = Format.json) -> Response:
    """WLD is the published world total and OTH USGS's 'Other countries'."""
    from critmin.store.views import production_view

    def make() -> Response:
        frame = production_view(store, mineral.value, stage=stage.value if stage else None,
                                year=year, source=series.value)
        prov = store.provenance_records(["production"], frame["source"].unique())
        return table_response(frame, format, provenance=prov)

    return await cached(request, make)


@router.get("/concentration", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="HHI, CR1, CR3, N-1 cover, HHI_WGI per mineral-stage-year "
                    "(critmin concentration)")
async def concentration(request: Request, store: StoreDep,
                  mineral: MineralId | None = None,  # type: ignore[valid-type]
                  stage: StageName | None = None, year: Year = None,  # type: ignore[valid-type]
                  series: Series = Series.default,
                  latest: Annotated[bool | None, Query(
                      description="true: latest year of each mineral-stage; false: every "
                                  "year; unset: latest year, recent series only, when no "
                                  "mineral and no year is given.")] = None,
                  share_of: Annotated[Country | None, Query(
                      description="Instead: this country's share over time (needs mineral "
                                  "and stage).")] = None,
                  compare_stages: bool = False, all_groups: bool = False,
                  cr1_threshold: Annotated[float, Query(ge=0, le=1)] = 0.65,
                  hhi_threshold: Annotated[float, Query(ge=0, le=10_000)] = 1800.0,
                  format: Format = Format.json) -> Response:
    """Shares are of the world total; HHI and CR are lower bounds (OTH is a remainder)."""
    from critmin.reports.metrics import concentration_view

    def make() -> Response:
        res = concentration_view(
            store, mineral.value if mineral else None, stage=stage.value if stage else None,
            year=year, series=series.value, latest=latest, share_of=share_of,
            compare_stages=compare_stages, all_groups=all_groups, cr1_threshold=cr1_threshold,
            hhi_threshold=hhi_threshold)
        res.extra.pop("title", None)
        return table_response(res.frame, format, res.provenance, res.extra)

    return await cached(request, make)


@router.get("/exposure/{unit}", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="Import reliance, source shares and source HHI of an importer or bloc "
                    "(critmin exposure)")
async def exposure(request: Request, store: StoreDep, unit: Unit,
             mineral: Annotated[list[MineralId] | None, Query()] = None,  # type: ignore[valid-type]
             stage: StageName | None = None, year: Year = None,  # type: ignore[valid-type]
             against: Country = "CHN",
             wgi_threshold: Annotated[float, Query(ge=-5, le=5)] = 0.0,
             measure: Measure = Measure.value_usd, basis: Basis = Basis.auto,
             max_baselines: Annotated[int, Query(ge=0, le=40)] = 40,
             latest: bool = False, format: Format = Format.json) -> Response:
    """For a bloc, trade among its members is netted out; each row says what it rests on."""
    from critmin.metrics import queries

    def make() -> Response:
        res = queries.exposure(store, unit, mineral=[m.value for m in mineral] if mineral
                               else None, stage=stage.value if stage else None, year=year,
                               against=against, wgi_threshold=wgi_threshold,
                               measure=measure.value, basis=basis.value,
                               max_baselines=max_baselines, latest=latest)
        return table_response(res.frame, format, res.provenance, res.extra)

    return await cached(request, make)
