"""Tonnes for value-only BACI rows from the unit values of the nearest year with tonnes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.store.builders.flows import fill_quantities


def _rows() -> pd.DataFrame:
    rows = [  # year, exporter, importer, hs6, value_usd, quantity_gross_t
        (2024, "CHL", "CHN", "283691", 1000.0, 100.0),   # pair unit value 10
        (2024, "CHL", "KOR", "283691", 3000.0, 100.0),   # CHL exporter unit value 4000/200 = 20
        (2024, "ARG", "CHN", "283691", 6000.0, 100.0),   # world unit value 10000/300
        (2022, "CHL", "CHN", "283691", 500.0, np.nan),
        (2022, "CHL", "JPN", "283691", 400.0, np.nan),
        (2022, "AUS", "JPN", "283691", 1000.0, np.nan),
    ]
    frame = pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs6", "value_usd",
                                        "quantity_gross_t"])
    return frame.assign(coverage="complete", source="s")


def test_value_only_rows_get_tonnes_from_the_pair_then_the_exporter_then_the_world():
    rows = _rows()
    before = rows.copy()
    out = fill_quantities(rows).set_index(["year", "exporter", "importer"])
    assert out.loc[(2022, "CHL", "CHN"), "quantity_gross_t"] == 50.0
    assert out.loc[(2022, "CHL", "CHN"), "quantity_method"] == "unit value of the pair in 2024"
    assert out.loc[(2022, "CHL", "JPN"), "quantity_gross_t"] == 20.0
    assert out.loc[(2022, "CHL", "JPN"), "quantity_method"] == "unit value of the exporter in 2024"
    assert out.loc[(2022, "AUS", "JPN"), "quantity_gross_t"] == 1000.0 / (10000.0 / 300.0)
    assert out.loc[(2022, "AUS", "JPN"), "quantity_method"] == "world unit value of the code in 2024"
    assert out.loc[(2024, "CHL", "CHN"), "quantity_method"] == "reported"
    pd.testing.assert_frame_equal(rows, before)  # input not mutated
