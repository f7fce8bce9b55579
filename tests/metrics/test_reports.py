"""The demo tables of critmin.reports.metrics, on the fixture store."""

from __future__ import annotations

import pytest

from critmin.errors import UnknownBlocError
from critmin.reports.metrics import concentration_ranking, exposure_table, to_text


def test_concentration_ranking_lists_the_most_concentrated_credible_stages(metrics_store):
    res = concentration_ranking(metrics_store, n=3)
    frame = res.frame
    assert list(frame["rank"]) == [1, 2, 3]
    assert list(frame["hhi"]) == sorted(frame["hhi"], reverse=True)
    assert frame.iloc[0]["mineral"] == "gallium"          # 750 of 760 t: CHN
    assert res.provenance and "most concentrated" in res.extra["title"]


def test_exposure_table_covers_every_importer_and_mineral(metrics_store):
    res = exposure_table(metrics_store, importers=("USA", "IND", "ministerial-2026"),
                         minerals=("gallium", "graphite", "germanium"))
    frame = res.frame.set_index(["unit", "mineral"])
    assert len(frame) == 9
    assert frame.loc[("USA", "gallium"), "against_share"] == pytest.approx(0.5)
    assert frame.loc[("USA", "germanium"), "note"] == "no flows of this mineral in the store"
    assert frame.loc[("IND", "graphite"), "note"] == "no flows to or from IND"
    assert res.extra["members"]["ministerial-2026"]         # resolved to the CMM2026 bloc
    text = to_text(res)
    assert "Exposure to CHN" in text and "Sources:" in text


def test_exposure_table_rejects_an_unknown_importer(metrics_store):
    with pytest.raises(UnknownBlocError):
        exposure_table(metrics_store, importers=("Atlantis",), minerals=("gallium",))


def test_exposure_table_says_so_when_the_store_has_no_flows(tmp_path):
    import duckdb

    from critmin.store import Store
    from critmin.store.catalog import PROVENANCE_COLUMNS

    path = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE provenance (" + ", ".join(f'"{c}" VARCHAR'
                                                         for c in PROVENANCE_COLUMNS) + ")")
    con.close()
    res = exposure_table(Store.open(path), importers=("USA",), minerals=("gallium",))
    assert res.frame.iloc[0]["note"] == "no flows table in the store"


def test_demo_exposure_of_a_partly_covered_country_is_not_the_partial_matrix(tmp_path):
    from partial_fixture import build

    from critmin.reports.metrics import exposure_view
    from critmin.store import Store

    store = Store.open(build(tmp_path / "partial.duckdb"))
    res = exposure_table(store, importers=("USA", "IND"), minerals=("gallium",))
    frame = res.frame.set_index("unit")
    ind = frame.loc["IND"]
    assert ind["year"] == 2024                          # newest year with a baseline
    assert ind["flow_basis"] == "completed baseline" and ind["top_source_share"] < 1
    assert "only USA's reported trade" in ind["note"]    # full text for the CSV
    assert frame.loc["USA", "flow_basis"] == "observed"
    view, legend = exposure_view(res.frame, res.extra["against"])
    assert list(view.columns[:5]) == ["unit", "mineral", "stage", "year", "basis"]
    assert "CHN" in view.columns and "note" not in view.columns
    flags = view.set_index("unit")["flags"]
    assert flags["IND"] == "USA-only" and flags["USA"] == ""
    assert max(len(f) for f in flags) <= 30 and "X-only" in legend
