"""Which flows an exposure row rests on: the observed release or the completed baseline.

Store-facing (called by :func:`critmin.metrics.queries.exposure`). A release such as USITC
DataWeb records only the United States' trade: India's imports appear there only as US
exports to India, so supplier shares computed from it would read "100 % USA" where
India's sourcing is simply unknown. :func:`apply_basis` decides, per mineral, stage and
year, what the row of such a unit rests on (``flow_basis``):

``observed``
    the release records every member's imports (``complete_coverage``, see
    :func:`critmin.metrics.exposure.import_reporters`); ``coverage_share`` is 1.
``completed baseline``
    the unit's imports are only partly recorded, so the row is recomputed on the
    completed bilateral matrix of :func:`critmin.baseline.build_baseline` (observed cells
    kept, the rest estimated from production, absorption and a gravity prior, every such
    cell flagged). Figures are then in tonnes of contained content (``share_measure``);
    ``estimated_share`` is the share of the unit's imports in estimated cells and
    ``coverage_share`` = the unit's imports in observed cells / its imports in the
    completed matrix (= 1 - ``estimated_share``). Observed flows the baseline leaves out
    (by default those of an HS code shared with other minerals, such as 8112 for gallium
    and germanium) do not count as coverage: their tonnes are not the mineral's.
``observed, partial; shares withheld``
    partly recorded and no baseline could be built (no production for the year, no
    feasible completion, ...): the supplier figures are null and ``note`` says why.
``observed, partial``
    the caller asked for the observed view (``basis="observed"``): the partial matrix is
    shown as it is, flagged, with the note naming whose reports it holds.

Baselines are built with the unit's members as absorbers (``countries``), so every member
is in the matrix; one baseline serves every row of the same mineral, stage and year. When
the trade stage has no production (e.g. rare-earth compounds, refined antimony), supply is
bounded by mine production (``production_stage="mine"``, reported in ``note``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from critmin import vocab
from critmin.errors import CritminError, InvalidParameterError, UnknownStageError
from critmin.metrics import exposure as exp_mod

BASES = tuple(b.value for b in vocab.Basis)  # ("auto", "observed", "baseline")
OBSERVED = "observed"
BASELINE = "completed baseline"
WITHHELD = "observed, partial; shares withheld"
PARTIAL = "observed, partial"
DEFAULT_MAX_BASELINES = 40
LATEST_LOOKBACK = 5   # latest=True: years tried back from the newest when a baseline fails

Progress = Callable[[str, int, int], None]


def check_basis(basis: str) -> str:
    if basis not in BASES:
        raise InvalidParameterError(f"basis must be one of {list(BASES)}. Got {basis!r}.")
    return basis


def _whose(reported_by: object, members: tuple[str, ...], unit: str) -> str:
    """Why the release's view of the unit's imports is partial, in one sentence."""
    who = str(reported_by) if isinstance(reported_by, str) else ""
    if not who:
        return (f"the release is an exporter extract: {unit}'s imports appear only as the "
                "named exporters' shipments")
    if set(who.split(", ")) & set(members):
        return (f"the release holds only {who}'s reported trade: the other members' imports "
                f"appear only as {who}'s exports to them")
    return (f"the release holds only {who}'s reported trade: {unit}'s imports appear only "
            f"as {who}'s exports to it")


class _Baselines:
    """Baselines of one query, built once per mineral, stage and year."""

    def __init__(self, store: Any, members: tuple[str, ...]) -> None:
        self.store, self.members = store, members
        self.cache: dict[tuple[str, str, int], tuple[Any, str]] = {}

    def get(self, mineral: str, stage: str, year: int) -> tuple[Any, str]:
        """(Baseline or None, production stage used or the reason it failed)."""
        key = (mineral, stage, int(year))
        if key not in self.cache:
            self.cache[key] = self._build(*key)
        return self.cache[key]

    def _build(self, mineral: str, stage: str, year: int) -> tuple[Any, str]:
        from critmin.baseline import build_baseline

        # no production at the trade stage (rare-earth compounds, germanium chemicals):
        # bound supply by the nearest stage with production, processing before mining
        tries = [stage] + [s for s in ("refinery", "mine") if s != stage]
        for pst in tries:
            try:
                b = build_baseline(self.store, mineral, stage, year, production_stage=pst,
                                   countries=self.members)
                return b, pst
            except UnknownStageError:
                continue
            except CritminError as exc:
                return None, str(exc)
        return None, (f"no {mineral} production at stage {', '.join(tries)} in the store")


def _baseline_row(b: Any, members: tuple[str, ...], governance: pd.DataFrame | None, against: str,
                  wgi_threshold: float) -> pd.Series:
    flows = b.tidy()
    prod = pd.DataFrame({"country": b.row_targets.index, "quantity_t": b.row_targets.to_numpy(),
                         "mineral": b.mineral, "stage": b.stage, "year": b.year})
    # supply in the baseline = domestic use + exports (its row targets), so the import
    # reliance is computed within one consistent matrix
    out = exp_mod.exposure(flows, members, production=prod, governance=governance,
                           against=against, wgi_threshold=wgi_threshold, measure="quantity_t")
    row = out.iloc[0] if len(out) else None
    return row if row is not None else pd.Series(dtype="object")


def apply_basis(frame: pd.DataFrame, store: Any, unit: str, members: tuple[str, ...], *,
                basis: str = "auto", governance: pd.DataFrame | None = None,
                against: str = "CHN", wgi_threshold: float = 0.0, measure: str = "value_usd",
                max_baselines: int = DEFAULT_MAX_BASELINES, latest: bool = False,
                advance: Progress | None = None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Set ``flow_basis``, ``share_measure``, ``coverage_share`` and ``note`` on the rows of
    :func:`critmin.metrics.exposure.exposure`, completing partial rows with the baseline.

    Parameters
    ----------
    frame : DataFrame
        Observed exposure rows (``mineral, stage, year`` and :data:`EXPOSURE_COLUMNS`).
    basis : {"auto", "observed", "baseline"}
        ``auto``: the baseline only where coverage is partial; ``observed``: never;
        ``baseline``: every row.
    max_baselines : int
        At most this many baselines per query (each takes about half a second); rows
        beyond are withheld with a note. The latest year of each mineral-stage goes first.
    latest : bool
        Keep one row per mineral-stage: the newest year, or for a partial unit the newest
        of the last :data:`LATEST_LOOKBACK` years whose baseline can be built.

    Returns
    -------
    frame, provenance
        The rows and the provenance of the baselines used.
    """
    check_basis(basis)
    if max_baselines < 0:
        raise InvalidParameterError(f"max_baselines must be >= 0. Got {max_baselines!r}.")
    out = frame.copy()
    n = len(out)
    out["flow_basis"] = OBSERVED
    out["share_measure"] = measure
    out["coverage_share"] = np.where(out["complete_coverage"].astype(bool), 1.0, np.nan) \
        if n else pd.Series(dtype="float64")
    out["production_stage"] = None     # the baseline's supply stage, on completed rows
    out["note"] = ""
    if n == 0:
        return out, []
    partial = ~out["complete_coverage"].astype(bool)
    who = out["reported_by"].map(lambda r: _whose(r, members, unit))
    if basis == "observed":
        out.loc[partial, "flow_basis"] = PARTIAL
        out.loc[partial, "note"] = (out["flow_source"].fillna("release").astype(str) + ": "
                                    + who[partial] + "; the shares describe that partial "
                                    "matrix, not " + unit + "'s sourcing")
        return _pick_latest(out) if latest else out, []
    todo = partial if basis == "auto" else pd.Series(True, index=out.index)
    # newest year of each mineral-stage first, so a limit keeps the rows users read
    rank = out.groupby(["mineral", "stage"])["year"].rank(method="first", ascending=False)
    queue = pd.DataFrame({"rank": rank, "mineral": out["mineral"], "stage": out["stage"]})
    queue = queue[todo].sort_values(["rank", "mineral", "stage"], kind="stable")
    if latest:
        queue = queue[queue["rank"] <= LATEST_LOOKBACK]
    order = list(queue.index)
    builder = _Baselines(store, members)
    prov: list[dict[str, Any]] = []
    rows: dict[int, pd.Series] = {}
    built = 0
    done_stage: set[tuple[str, str]] = set()
    for i in order:
        ms = (out.at[i, "mineral"], out.at[i, "stage"])
        if latest and ms in done_stage:
            continue
        why = ""
        if built >= max_baselines:
            why = (f"baseline not built: at most {max_baselines} per query (narrow with "
                   "--year or --mineral, or raise --max-baselines)")
        else:
            if advance is not None:
                advance(f"baseline {ms[0]} {ms[1]} {int(out.at[i, 'year'])}",
                        built, min(len(order), max_baselines))
            b, pst = builder.get(ms[0], ms[1], int(out.at[i, "year"]))
            built += 1
            if b is None:
                why = f"no completed baseline ({pst})"
            else:
                rows[i] = _complete(out.loc[i], b, pst, members, governance, against,
                                    wgi_threshold, who[i], bool(partial[i]))
                prov += list(b.provenance)
                done_stage.add(ms)
                continue
        out.at[i, "note"] = why
    for i, row in rows.items():
        for c, v in row.items():
            if c in out.columns:
                out.at[i, c] = v
    withheld = todo & ~out.index.isin(list(rows)) & partial
    out = exp_mod.withhold_shares(out, withheld)
    out.loc[withheld, "flow_basis"] = WITHHELD
    out.loc[withheld, "note"] = (who[withheld] + "; supplier shares withheld: " + out.loc[withheld, "note"]
                                 .where(out.loc[withheld, "note"] != "",
                                        "baseline not attempted"))
    forced = todo & ~out.index.isin(list(rows)) & ~partial
    out.loc[forced, "note"] = "observed figures kept: " + out.loc[forced, "note"]
    if latest:
        out = _pick_latest(out, completed=set(rows))
    return out, prov


def _complete(obs: pd.Series, b: Any, pst: str, members: tuple[str, ...],
              governance: pd.DataFrame | None, against: str, wgi_threshold: float,
              who: str, partial: bool) -> pd.Series:
    row = _baseline_row(b, members, governance, against, wgi_threshold)
    keep = ("shared_hs_code", "flows_of_one_country", "reported_by", "complete_coverage")
    new = row.drop(labels=[c for c in keep if c in row.index] + ["mineral", "stage", "year"],
                   errors="ignore")
    est = new.get("estimated_share")
    # the observed cells the baseline kept, as a share of the unit's completed imports
    cover = 1.0 - float(est) if pd.notna(est) else np.nan
    stage_note = (f"; supply bounded by {pst} production" if pst != b.stage else "")
    lead = f"{obs.get('flow_source') or 'release'}: {who}; " if partial else ""
    note = (f"{lead}figures from the completed baseline {b.mineral} {b.stage} {b.year} "
            f"(observed cells kept, the rest estimated by gravity and RAS"
            + (f"; {est:.0%} of the imports estimated" if pd.notna(est) else "")
            + f"), in tonnes of {b.basis}{stage_note}")
    return pd.concat([new, pd.Series({"flow_basis": BASELINE, "share_measure": "quantity_t",
                                      "coverage_share": cover, "production_stage": pst,
                                      "note": note})])


def _pick_latest(out: pd.DataFrame, completed: set[int] | None = None) -> pd.DataFrame:
    """One row per mineral-stage: the newest year, or the newest completed one where the
    newest could only be withheld."""
    if out.empty:
        return out
    good = out["flow_basis"] != WITHHELD
    score = good.astype(int) * 10_000 + out["year"].astype(int)
    best = score.groupby([out["mineral"], out["stage"]]).transform("max")
    return out[score == best].reset_index(drop=True)
