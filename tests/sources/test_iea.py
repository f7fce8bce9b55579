"""IEA Critical Minerals Dataset, refining output by country (SOURCES.md §8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.errors import SourceFormatError
from critmin.sources.iea import FILE, FOLDERS, read_iea_supply


def test_lithium_chemicals_2024_reproduce_the_iea_workbook(shared_data: Path):
    # IEA Critical Minerals Dataset 2025 edition, sheet 2: China 169.68 kt, Total 241.61 kt
    # (tolerance 1 t: the long CSV keeps the workbook's cached values).
    parsed = read_iea_supply(shared_data / FOLDERS[2025] / FILE)
    f = parsed.frame
    li = f[(f["mineral"] == "lithium") & (f["stage"] == "chemical") & (f["year"] == 2024)]
    by = li.set_index("country")["quantity_t"]
    assert by["CHN"] == pytest.approx(169_677.6, abs=1)
    assert by["WLD"] == pytest.approx(241_611.8, abs=1)
    assert "OTH" in by.index  # Rest of world
    assert not li["projection"].any()
    assert parsed.origins[0].licence == "CC BY 4.0"
    assert "Aryan-More7" in parsed.origins[0].title


def test_an_output_row_in_another_unit_is_refused(tmp_path: Path):
    path = tmp_path / FILE
    path.write_text("edition,mineral,stage,country,year,value,unit,value_type\n"
                    "x,Lithium,Chemicals,China,2024,1.0,Mt,base-year estimate\n")
    with pytest.raises(SourceFormatError, match="kt"):
        read_iea_supply(path)
