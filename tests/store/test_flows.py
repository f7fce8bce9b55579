"""The flows builder: HS tagging, contained content, the unmapped report, the snapshot rule."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.store.build import build_tables
from critmin.store.builders.flows import tag_flows
from critmin.vocab import hs_codes, hs_mapping


def _rows(codes: list[str], nomenclature: str = "HS17") -> pd.DataFrame:
    n = len(codes)
    return pd.DataFrame({"year": [2022] * n, "exporter": ["COD"] * n, "importer": ["CHN"] * n,
                         "hs": codes, "value_usd": [1000.0] * n,
                         "quantity_gross_t": [10.0] * n, "method": ["observed"] * n,
                         "nomenclature": [nomenclature] * n, "source": ["test"] * n})


def test_every_mineral_stage_code_is_six_or_four_digits() -> None:
    for e in hs_mapping():
        assert e.code.isdigit() and len(e.code) == (6 if e.level == "hs6" else 4), e
        assert e.factor is None or 0 < e.factor <= 1.2, e
        assert e.basis, e


def test_lithium_carbonate_is_converted_to_lithium_content() -> None:
    flows, unmapped = tag_flows(_rows(["283691"]))
    row = flows.iloc[0]
    assert (row["mineral"], row["stage"]) == ("lithium", "chemical")
    assert row["quantity_t"] == pytest.approx(10.0 * 0.1879)
    assert row["value_usd"] == 1000.0  # the value is always kept in USD
    assert unmapped.empty


def test_shared_code_counts_under_each_mineral_and_is_flagged() -> None:
    flows, _ = tag_flows(_rows(["811292"]))
    assert {"gallium", "germanium", "indium"} <= set(flows["mineral"])
    assert flows["hs_shared"].all()


def test_hs92_codes_use_their_own_nomenclature() -> None:
    flows, _ = tag_flows(_rows(["811230"], nomenclature="HS92"))  # HS92: germanium alone
    assert flows["mineral"].tolist() == ["germanium"] and not flows["hs_shared"].any()
    assert hs_codes("germanium", "refinery", nomenclature="HS92") == ("811230",)


def test_unknown_codes_are_listed_not_dropped() -> None:
    flows, unmapped = tag_flows(_rows(["260500", "810530", "7202"], nomenclature="HS"))
    assert flows["hs_code"].tolist() == ["260500"]
    listed = unmapped.set_index("hs_code")
    assert set(listed.index) == {"810530", "7202"}
    assert listed.loc["810530", "reason"] == "not in hs_codes.yml"
    assert "Ferro-alloys" in listed.loc["7202", "reason"]
    assert listed.loc["810530", "value_usd"] == 1000.0


@pytest.fixture(scope="module")
def built(shared_data: Path) -> dict[str, pd.DataFrame]:
    tables = build_tables(shared_data, only=["flows", "unmapped_hs", "china_exports_monthly"])
    return {t.name: t for t in tables}


@pytest.mark.shared
def test_flows_table_from_the_staged_sources(built) -> None:
    flows = built["flows"].frame
    assert set(flows["method"]) == {"observed", "mirror"}
    assert {"nickel", "platinum", "manganese", "chromium", "lithium", "rare_earths",
            "gallium"} <= set(flows["mineral"])
    nickel = flows[(flows["mineral"] == "nickel") & (flows["year"] == 2022)]
    assert {"mine", "smelter"} <= set(nickel["stage"])
    assert (flows["value_usd"] >= 0).all()
    assert flows.loc[flows["partial_year"], "year"].eq(2026).all()


@pytest.mark.shared
def test_only_open_sources_are_redistributable(built) -> None:
    origins = {o.source: o for o in built["flows"].origins}
    for source, o in origins.items():
        open_source = source.startswith(("baci-", "usitc-"))
        assert o.redistributable == open_source, source


@pytest.mark.shared
def test_unmapped_report_lists_codes_with_value(built) -> None:
    unmapped = built["unmapped_hs"].frame
    assert {"7202", "8505"} <= set(unmapped["hs_code"])
    assert (unmapped["rows"] > 0).all()
    assert len(built["china_exports_monthly"].frame) == 6442
