"""The chain files: every coefficient sourced, assumptions stated, values as published."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from critmin.chain_baseline import chain_baseline, pooled_links
from critmin.chain_graph import ChainFileError, chain, chain_names, parse_chain
from critmin.errors import UnknownNameError
from critmin.metrics.chains import stage_view

CHAINS = ("batteries", "magnets", "semiconductors")


def test_the_three_chains_ship():
    assert set(CHAINS) <= set(chain_names())


@pytest.mark.parametrize("name", CHAINS)
def test_every_coefficient_has_a_range_and_a_source_and_every_assumption_a_reason(name):
    spec = chain(name)
    assert spec.edges
    for e in spec.edges:
        c = e.coefficient
        assert 0 <= c.low <= c.central <= c.high and c.central > 0, e
        assert c.source, e
        assert e.unit, e
        if c.assumption:
            assert c.reason, e
    for n in spec.nodes:
        assert n.shares, n.id
        for s in n.shares:
            if s.assumption:
                assert s.source and s.reason, n.id
                assert math.isclose(sum(v for _, v in s.shares), 1.0, abs_tol=0.011), n.id


@pytest.mark.parametrize("name", CHAINS)
def test_every_product_has_a_volume_and_a_price(name):
    spec = chain(name)
    assert spec.products
    for p in spec.products:
        assert p.volume is not None and p.volume.central > 0
        assert p.price_usd_per_unit is not None and p.price_usd_per_unit.central > 0


def test_unknown_chain_names_the_chains_there_are():
    with pytest.raises(UnknownNameError, match="Did you mean 'magnets'"):
        chain("magnet")


def test_a_cycle_in_a_chain_file_is_a_clear_error():
    raw = {"chain": "loop", "nodes": [
        {"id": "a", "stage": "mine", "shares": [{"assumption": {"CHN": 1.0}, "source": "s", "reason": "r"}]},
        {"id": "b", "stage": "refine", "shares": [{"assumption": {"CHN": 1.0}, "source": "s", "reason": "r"}]}],
        "edges": [{"from": "a", "to": "b", "central": 1, "source": "s"},
                  {"from": "b", "to": "a", "central": 1, "source": "s"}]}
    with pytest.raises(ChainFileError, match="cycle"):
        parse_chain(raw)


def test_assumed_shares_that_do_not_sum_to_one_are_rejected():
    raw = {"chain": "x", "nodes": [{"id": "a", "stage": "mine", "shares": [
        {"assumption": {"CHN": 0.5}, "source": "s", "reason": "r"}]}], "edges": []}
    with pytest.raises(ChainFileError, match="sum to 1"):
        parse_chain(raw)


def test_batpac_intensities_match_the_published_workbook(shared_data: Path):
    """BatPaC 5.1 via pmbusch/Critical-Minerals-EV, sheet BatPac: exact to 1e-12."""
    path = shared_data / "chains" / "batpac-mineral-intensity" / "Mineral_Intensity__BatPac.csv"
    with path.open(newline="") as fh:
        published = {(r["chemistry"], r["Mineral"]): float(r["kg_per_kwh"]) for r in csv.DictReader(fh)}
    spec = chain("batteries")
    names = {"lithium_chemicals": "Lithium", "nickel_refined": "Nickel", "cobalt_refined": "Cobalt",
             "manganese_hpmsm": "Manganese", "graphite_anode": "Graphite"}
    chem = {"cells_nmc811": "NMC 811", "cells_nmc622": "NMC 622", "cells_nca": "NCA", "cells_lfp": "LFP"}
    checked = 0
    for e in spec.edges:
        if e.target in chem:
            kg = published[(chem[e.target], names[e.source])]
            assert e.coefficient.central == pytest.approx(kg * 1000, rel=1e-12)
            checked += 1
    assert checked == 16


def test_premise_rare_earth_contents_match_the_magnet_coefficients(shared_data: Path):
    """premise metals_db.csv (2020 means): Nd+Pr+Dy+Tb per kg EV motor and per MW of
    direct-drive wind, divided by the assumed 0.31 t REE per t NdFeB; 0.5 % tolerance
    (the YAML rounds to four digits)."""
    path = shared_data / "chains" / "premise-metals-intensity" / "metals_db.csv"
    with path.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["year"] == "2020.0"]
    ree = ("Neodymium", "Praseodymium", "Dysprosium", "Terbium")

    def total(tech: str) -> float:
        return sum(float(r["mean"]) for r in rows if r["origin_var"] == tech and r["metal"] in ree)

    spec = chain("magnets")
    content = next(e for e in spec.edges if e.target == "ndfeb_magnets").coefficient.central
    ev = next(e for e in spec.edges if e.target == "ev_motors").coefficient.central
    wind = next(e for e in spec.edges if e.target == "wind_pm").coefficient.central
    assert ev == pytest.approx(total("EV") / 0.0018868 / content / 1000, rel=5e-3)
    assert wind == pytest.approx(total("Wind-DDPM") / content / 1000, rel=5e-3)


def test_chain_views_reproduce_the_bundled_production_shares(snapshot_store):
    """Every node whose shares come from the production table shows the same top country
    and CR1 as the concentration metrics on the same release and year (1e-9)."""
    from critmin.metrics.concentration import shares
    from critmin.store.views import latest_production

    for name in CHAINS:
        spec = chain(name)
        base = chain_baseline(snapshot_store, spec)
        view = stage_view(base).set_index("node")
        checked = 0
        for n in spec.nodes:
            src = n.shares[0]
            if src.kind != "table" or src.table != "production" or view.loc[n.id, "method"] != "observed":
                continue
            rows = snapshot_store.table("production", mineral=src.mineral, stage=src.stage)
            rows = latest_production(rows[rows["quantity_t"].notna()])
            rows = rows[(rows["year"] == view.loc[n.id, "year"]) & (rows["source"] == view.loc[n.id, "source"])]
            ref = shares(rows)
            assert view.loc[n.id, "top_country"] == ref["country"].iloc[0]
            assert view.loc[n.id, "cr1_share"] == pytest.approx(ref["share"].iloc[0], rel=1e-9)
            checked += 1
        assert checked >= 1, name


def test_chain_views_reproduce_the_iea_refining_shares(snapshot_store):
    """Where the store holds the IEA Critical Minerals Dataset (table iea_refining), each
    refining node shows the IEA's top country and its share of the IEA total (largest of
    the Total row and the named countries plus Rest of world) for the base year (1e-9)."""
    if not snapshot_store.has_table("iea_refining"):
        pytest.skip("the store has no iea_refining table yet")
    iea = snapshot_store.table("iea_refining")
    checked = 0
    for name in CHAINS:
        spec = chain(name)
        view = stage_view(chain_baseline(snapshot_store, spec)).set_index("node")
        for n in spec.nodes:
            src = n.shares[0]
            if src.kind != "table" or src.table != "iea_refining":
                continue
            year = int(view.loc[n.id, "year"])
            rows = iea[(iea["mineral"] == src.mineral) & (iea["stage"] == src.stage) & (iea["year"] == year)]
            named = rows[~rows["country"].isin(["WLD", "OTH"])]
            total = max(float(rows.loc[rows["country"] == "WLD", "quantity_t"].sum()),
                        float(named["quantity_t"].sum() + rows.loc[rows["country"] == "OTH", "quantity_t"].sum()))
            top = named.sort_values("quantity_t", ascending=False).iloc[0]
            assert view.loc[n.id, "method"] == "observed"
            assert view.loc[n.id, "top_country"] == top["country"]
            assert view.loc[n.id, "cr1_share"] == pytest.approx(top["quantity_t"] / total, rel=1e-9)
            checked += 1
    assert checked == 5  # Li chemicals, refined Ni and Co, battery graphite, magnet REE


def test_pooled_links_keep_supply_and_demand_shares():
    import pandas as pd

    s = pd.Series({"CHN": 0.7, "JPN": 0.2, "USA": 0.1})
    d = pd.Series({"JPN": 0.5, "USA": 0.3, "DEU": 0.2})
    for h in (0.0, 0.5, 1.0):
        lk = pooled_links(s, d, h)
        assert lk.groupby("exporter")["link_share"].sum().reindex(s.index).to_numpy() == pytest.approx(s.to_numpy())
        assert lk.groupby("importer")["link_share"].sum().reindex(d.index).to_numpy() == pytest.approx(d.to_numpy())
