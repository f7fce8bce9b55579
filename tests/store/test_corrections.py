"""Declared corrections: validation, application, logging, stale detection."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceFormatError, StoreError
from critmin.store import corrections
from critmin.store.corrections import Correction, CorrectionLog


def _c(**kw: object) -> Correction:
    base = {"id": "t", "file": "usgs/x.csv", "match": {"Country": "Brazil"},
            "set": {"Value": "11,000,000"}, "reason": "upstream fix", "status": "published"}
    return Correction.model_validate({**base, **kw})


def test_every_declared_correction_validates_and_has_a_reason() -> None:
    declared = corrections.load()
    assert len(declared) >= 9
    ids = {c.id for c in declared}
    assert "mcs2026-v1.3-brazil-rare-earth-reserves" in ids
    assert all(c.reason.strip() for c in declared)


def test_raw_correction_is_applied_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    frame = pd.DataFrame({"Country": ["Brazil ", "China"], "Value": ["21,000,000", "44,000,000"]})
    before = frame.copy()
    clog = CorrectionLog()
    fix = corrections.raw_fixer(clog, (_c(expect={"Value": "21,000,000"}),))
    with caplog.at_level(logging.INFO, logger="critmin.corrections"):
        out = fix(frame, "usgs/x.csv")
    pd.testing.assert_frame_equal(frame, before)
    assert out["Value"].tolist() == ["11,000,000", "44,000,000"]
    assert clog.applied[0]["rows"] == 1 and clog.applied[0]["before"] == [{"Value": "21,000,000"}]
    assert "upstream fix" in caplog.text
    assert fix(frame, "usgs/other.csv") is frame   # other files untouched


def test_stale_expect_fails_the_build() -> None:
    frame = pd.DataFrame({"Country": ["Brazil"], "Value": ["11,000,000"]})
    fix = corrections.raw_fixer(CorrectionLog(), (_c(expect={"Value": "21,000,000"}),))
    with pytest.raises(StoreError, match="expected '21,000,000'"):
        fix(frame, "usgs/x.csv")


def test_correction_matching_nothing_fails() -> None:
    frame = pd.DataFrame({"Country": ["Chile"], "Value": ["1"]})
    with pytest.raises(StoreError, match="matches no row"):
        corrections.raw_fixer(CorrectionLog(), (_c(),))(frame, "usgs/x.csv")


def test_glob_correction_unused_everywhere_is_caught() -> None:
    c = _c(file="bgs/BGS_*_production.csv.gz")
    clog = CorrectionLog()
    fix = corrections.raw_fixer(clog, (c,))
    frame = pd.DataFrame({"Country": ["Chile"], "Value": ["1"]})
    assert fix(frame, "bgs/BGS_cobalt_production.csv.gz") is frame
    with pytest.raises(StoreError, match="matched no row"):
        corrections.check_all_applied(clog, "bgs/", (c,))


def test_header_correction_renames_columns() -> None:
    c = _c(match={}, set={}, expect_columns=["a", "b"], columns=["a", "c"])
    out = corrections.raw_fixer(CorrectionLog(), (c,))(pd.DataFrame({"a": [1], "b": [2]}), "usgs/x.csv")
    assert list(out.columns) == ["a", "c"]


def test_table_correction() -> None:
    c = Correction.model_validate({"id": "t2", "table": "production",
                                   "match": {"mineral": "cobalt", "country": "COD", "year": 2021},
                                   "set": {"quantity_t": None}, "reason": "ten times neighbours",
                                   "status": "reported"})
    frame = pd.DataFrame({"mineral": ["cobalt"] * 2, "country": ["COD"] * 2, "year": [2021, 2022],
                          "quantity_t": [1.2e6, 1.3e5]})
    out = corrections.apply_table("production", frame, CorrectionLog(), (c,))
    assert pd.isna(out.loc[0, "quantity_t"]) and out.loc[1, "quantity_t"] == 1.3e5


@pytest.mark.parametrize("bad", [
    {"file": None},                      # neither file nor table
    {"table": "production"},             # both
    {"status": "rumoured"},
    {"reason": " "},
    {"surprise": 1},
])
def test_invalid_correction_is_rejected(bad: dict, tmp_path: Path) -> None:
    entry = {"id": "t", "file": "usgs/x.csv", "match": {"Country": "Brazil"},
             "set": {"Value": "1"}, "reason": "r", "status": "published", **bad}
    (tmp_path / "x.yml").write_text(__import__("yaml").safe_dump([entry]))
    with pytest.raises(SourceFormatError, match="correction #1 is invalid"):
        corrections.load(tmp_path)


def test_build_applies_the_declared_corrections(shared_data: Path) -> None:
    from critmin.store.builders.usgs import applied_corrections

    applied = applied_corrections(shared_data)
    assert {"mcs2026-v1.3-brazil-rare-earth-reserves", "mcs2026-v1.3-world-rare-earth-reserves",
            "mcs2025-sierra-leone-rutile-unit", "bgs-congo-brazzaville-iso3"} <= set(applied["id"])


def test_store_records_every_applied_correction(source_store) -> None:
    table = source_store.table("corrections")
    declared = {c.id for c in corrections.load()}
    assert set(table["id"]) == declared          # each declared correction applied somewhere
    brazil = table[table["id"] == "mcs2026-v1.3-brazil-rare-earth-reserves"].iloc[0]
    assert brazil["target"] == "usgs/mcs2026/MCS2026_Commodities_Data.csv"
    assert "11,000,000" in brazil["change"] and "21,000,000" in brazil["before"]
    assert brazil["status"] == "published"
    prov = source_store.provenance(["corrections"])
    assert prov["source"].tolist() == ["critmin-corrections"]
