"""EU 2023 supply risk: the formula on hand-computed inputs and the parameter file."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.errors import InvalidParameterError, SourceFormatError, UnknownNameError
from critmin.metrics.risk import (
    eu2023_comparison,
    hhi_wgi_t,
    parameter_table,
    parameters,
    supply_risk,
)


def test_supply_risk_matches_hand_computation():
    # [2.0 * 0.5/2 + 1.0 * (1 - 0.5/2)] * (1 - 0.1) * 0.9 = [0.5 + 0.75] * 0.81
    assert supply_risk(2.0, 1.0, 0.5, 0.1, 0.9) == pytest.approx(1.0125)


def test_full_import_reliance_weights_both_halves_equally():
    assert supply_risk(4.0, 2.0, 1.0, 0.0, 1.0) == pytest.approx(3.0)


def test_no_import_reliance_uses_only_eu_sourcing():
    assert supply_risk(4.0, 2.0, 0.0, 0.0, 1.0) == pytest.approx(2.0)


def test_supply_risk_vectorises_over_series():
    out = supply_risk(pd.Series([2.0, 4.0]), pd.Series([1.0, 2.0]), pd.Series([0.5, 1.0]),
                      pd.Series([0.1, 0.0]), pd.Series([0.9, 1.0]))
    assert out.tolist() == pytest.approx([1.0125, 3.0])


@pytest.mark.parametrize("args, name", [((2, 1, 1.5, 0, 1), "import_reliance_share"),
                                        ((2, 1, 0.5, -0.1, 1), "eol_rir_share"),
                                        ((2, 1, 0.5, 0, 2), "si_sr"),
                                        ((25, 1, 0.5, 0, 1), "hhi_wgi_global")])
def test_out_of_range_inputs_are_rejected_by_name(args, name):
    with pytest.raises(InvalidParameterError, match=name):
        supply_risk(*args)


def test_hhi_wgi_t_applies_governance_and_trade_factor():
    shares = pd.DataFrame({"country": ["CHN", "AUS"], "share": [0.6, 0.4],
                           "wgi_mean": [-0.5, 1.5], "t": [1.1, 1.0]})
    assert hhi_wgi_t(shares) == pytest.approx(0.36 * 6 * 1.1 + 0.16 * 2 * 1.0)


def test_hhi_wgi_t_looks_up_governance_by_year():
    shares = pd.DataFrame({"country": ["CHN"], "share": [1.0], "year": [2023]})
    gov = pd.DataFrame({"country": ["CHN"], "year": [2021], "wgi_mean": [-0.5]})
    assert hhi_wgi_t(shares, gov) == pytest.approx(6.0)


def test_hhi_wgi_t_rejects_a_trade_factor_outside_the_method():
    shares = pd.DataFrame({"country": ["CHN"], "share": [1.0], "wgi_scaled": [5.0],
                           "t": [0.5]})
    with pytest.raises(InvalidParameterError, match=r"t must lie in \[1, 2\].*Got 0.5"):
        hhi_wgi_t(shares)
    with pytest.raises(SourceFormatError, match="wgi"):
        hhi_wgi_t(pd.DataFrame({"country": ["CHN"], "share": [1.0]}))


def test_every_published_value_names_a_known_source():
    p = parameters("eu2023")
    for key, m in p.materials.items():
        for field in ("sr_published", "ei_published", "import_reliance_share",
                      "eol_rir_share", "si_sr"):
            v = getattr(m, field)
            assert (v.value is not None and v.source in p.sources) or v.missing, (key, field)
    assert p.materials["gallium"].sr_published.value == 3.9   # Grohol & Veeh 2023
    assert p.china_global_supply["gallium"].share == pytest.approx(0.938)


def test_unknown_method_lists_the_methods():
    with pytest.raises(UnknownNameError, match="eu2023"):
        parameters("eu2020")


def test_a_value_without_source_is_rejected(tmp_path):
    bad = tmp_path / "eu2023.yml"
    bad.write_text("""
method: eu2023
sources: {s: {publisher: p, title: t, vintage: '2023', url: u, licence: l}}
materials:
  x:
    eu_name: X
    sr_published: {value: 1.0}
    ei_published: {value: 1.0, source: s}
    import_reliance_share: {value: null, missing: not-sourced}
    eol_rir_share: {value: null, missing: not-sourced}
    si_sr: {value: null, missing: not-sourced}
""")
    with pytest.raises(SourceFormatError, match="no source"):
        parameters("eu2023", bad)


def test_comparison_computes_only_complete_materials(tmp_path):
    path = tmp_path / "eu2023.yml"
    path.write_text("""
method: eu2023
sources: {s: {publisher: p, title: t, vintage: '2023', url: u, licence: l}}
materials:
  full:
    eu_name: Full
    sr_published: {value: 1.0, source: s}
    ei_published: {value: 1.0, source: s}
    import_reliance_share: {value: 0.5, source: s}
    eol_rir_share: {value: 0.1, source: s}
    si_sr: {value: 0.9, source: s}
  partial:
    eu_name: Partial
    sr_published: {value: 2.0, source: s}
    ei_published: {value: 1.0, source: s}
    import_reliance_share: {value: 0.5, source: s}
    eol_rir_share: {value: null, missing: not-sourced}
    si_sr: {value: 0.9, source: s}
""")
    p = parameters("eu2023", path)
    hhi = pd.DataFrame({"material": ["full", "partial"], "hhi_wgi_global": [2.0, 2.0],
                        "hhi_wgi_eu": [1.0, 1.0]})
    out = eu2023_comparison(hhi, p).set_index("material")
    assert out.loc["full", "sr_computed"] == pytest.approx(1.0125)
    assert out.loc["full", "gap"] == pytest.approx(0.0125)
    assert bool(out.loc["full", "within_rounding"]) is True
    assert pd.isna(out.loc["partial", "sr_computed"])
    assert out.loc["partial", "status"] == "not sourced: EoL-RIR"


def test_parameter_table_reports_missing_inputs():
    t = parameter_table(parameters("eu2023"))
    assert {"sr_published", "inputs_complete", "missing_inputs"} <= set(t.columns)
    assert len(t) == 70                      # every material of the 2023 results table


def test_eu2023_supply_risk_weights_global_supply_by_half_the_import_reliance():
    from critmin.metrics.risk import eu2023_supply_risk

    # IR 1: half global, half EU sourcing; GSonly ignores IR; EUonly uses EU sourcing alone
    assert eu2023_supply_risk(4.0, 2.0, "GS+EU", 1.0, 0.0, 1.0) == pytest.approx(3.0)
    assert eu2023_supply_risk(4.0, 2.0, "GS+EU", 0.0, 0.0, 1.0) == pytest.approx(2.0)
    assert eu2023_supply_risk(4.0, float("nan"), "GSonly", 0.5, 0.25, 0.8) == \
        pytest.approx(4.0 * 0.75 * 0.8)
    assert eu2023_supply_risk(float("nan"), 2.0, "EUonly", 0.5, 0.0, 1.0) == pytest.approx(2.0)
    assert pd.isna(eu2023_supply_risk(4.0, float("nan"), "GS+EU", 0.5, 0.0, 1.0))


def test_weighted_hhi_takes_trade_factors_and_reports_wgi_coverage():
    from critmin.metrics.risk import weighted_hhi

    shares = pd.DataFrame({"country": ["AAA", "BBB", "CCC"], "share": [0.6, 0.3, 0.1]})
    wgi = pd.DataFrame({"country": ["AAA", "BBB"], "wgi_mean": [-0.5, 1.5]})
    t = pd.DataFrame({"country": ["AAA"], "t": [1.1]})
    value, cover = weighted_hhi(shares, wgi, t)
    assert value == pytest.approx(0.36 * 6.0 * 1.1 + 0.09 * 2.0 * 1.0)
    assert cover == pytest.approx(0.9)


def test_supply_shares_use_the_world_total_and_never_count_other_countries():
    from critmin.metrics.risk import supply_shares

    prod = pd.DataFrame({"country": ["AAA", "BBB", "OTH", "WLD"] * 2,
                         "year": [2016] * 4 + [2017] * 4,
                         "quantity_t": [50, 30, 20, 100, 70, 10, 20, 100]})
    out = supply_shares(prod, 2016, 2020).set_index("country")
    assert set(out.index) == {"AAA", "BBB"}
    assert out.loc["AAA", "share"] == pytest.approx(120 / 200)
    assert (out["n_years"] == 2).all()
