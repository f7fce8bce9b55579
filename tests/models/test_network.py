"""The network model: mass balance, bounds, orderings, and BatPaC arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.chain_baseline import chain_baseline
from critmin.chain_graph import chain, parse_chain
from critmin.errors import InvalidParameterError, ScenarioError
from critmin.models.base import Result, Status
from critmin.models.network import ChainScenario, NetworkModel, Restriction, restrictions_from

SHOCKS = {"semiconductors": "CHN:gallium", "magnets": "CHN:rare_earths", "batteries": "CHN:graphite"}


@pytest.fixture(scope="module")
def baselines(snapshot_store):
    return {name: chain_baseline(snapshot_store, chain(name)) for name in SHOCKS}


def _lost(result: Result) -> float:
    return float(result.tables["by_product"]["lost_usd"].sum())


def _run(base, restrictions, **kw) -> Result:
    return NetworkModel(**kw).solve(base, ChainScenario("t", restrictions_from(restrictions)))


@pytest.mark.parametrize("name", list(SHOCKS))
def test_the_baseline_is_mass_balanced_at_every_node(baselines, name):
    """Each node-country ships exactly its output, and receives exactly a x its output of
    each input (the links' row and column sums)."""
    m = NetworkModel()
    p = m.problem(baselines[name])
    X, x, f0 = p.baseline(m.central_draw(baselines[name]))
    shipped = np.zeros(p.n_y)
    np.add.at(shipped, p.link_ex, f0)
    has_out = np.isin(p.y_node, p.edge_src)
    assert shipped[has_out] == pytest.approx(x[has_out], rel=1e-9)
    coef = m.central_draw(baselines[name]).coefficient
    for k in range(len(p.edge_src)):
        on = p.link_edge == k
        received = np.zeros(p.n_y)
        np.add.at(received, p.link_im[on], f0[on])
        users = p.y_node == p.edge_dst[k]
        assert received[users] == pytest.approx(coef[k] * x[users], rel=1e-9)


@pytest.mark.parametrize("name", list(SHOCKS))
def test_an_empty_scenario_returns_the_baseline(baselines, name):
    result = NetworkModel().solve(baselines[name], ChainScenario("none"))
    assert result.diagnostics.status is Status.BASELINE
    assert result.tables["lost_output"]["lost_quantity"].max() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("reroute", [True, False])
@pytest.mark.parametrize("name", list(SHOCKS))
def test_an_empty_scenario_solves_no_lp_and_its_diagnostics_say_so(baselines, name, reroute):
    """With nothing restricted the baseline is returned as it is: the diagnostics report no
    LP (0 iterations, residual 0, method "no restriction: baseline returned") and the
    objective is the value of the returned allocation, the baseline value of every final
    product (volume x price from the chain file, 1e-9 relative)."""
    spec = baselines[name].spec
    result = NetworkModel(reroute=reroute).solve(baselines[name], ChainScenario("none"))
    d = result.diagnostics
    assert (d.status, d.iterations, d.residual) == (Status.BASELINE, 0, 0.0)
    assert dict(d.parts["solve"]) == {"method": "no restriction: baseline returned", "lp_solves": 0}
    value = sum(n.volume.central * n.price_usd_per_unit.central for n in spec.products)
    assert value > 0
    assert d.objective == pytest.approx(value, rel=1e-9)
    prod = result.tables["by_product"]
    assert (prod["output_quantity_scenario"] == prod["output_quantity_baseline"]).all()


def test_a_restricted_run_reports_the_lps_it_solved_and_the_value_it_returned(baselines):
    """A restriction solves the rerouting LP and the proportional-rationing LP; the
    objective is the value of the final output returned (baseline value less the lost
    value of the by_product table, 1e-6 relative)."""
    base = baselines["batteries"]
    result = _run(base, ["CHN:graphite"])
    d = result.diagnostics
    assert d.status is Status.OPTIMAL and d.iterations > 0
    assert dict(d.parts["solve"]) == {"method": "HiGHS simplex: rerouting LP + proportional rationing LP",
                                      "lp_solves": 2}
    value = sum(n.volume.central * n.price_usd_per_unit.central for n in base.spec.products)
    assert d.objective == pytest.approx(value - _lost(result), rel=1e-6)
    assert _lost(result) > 0


def test_a_graphite_shock_names_only_capacities_whose_spare_was_used_and_limits_cells(baselines):
    """CHN:graphite on the batteries chain: lithium, nickel, cobalt and manganese mines
    ship no more than their baseline, so none of them is a bottleneck. The capacity rows
    are the anode plants outside China, each using all of its 10 % spare capacity."""
    result = _run(baselines["batteries"], ["CHN:graphite"])
    bn = result.tables["bottlenecks"]
    caps = bn[bn["constraint"] == "capacity (spare used up)"]
    assert len(caps) > 0
    assert (caps["spare_used_quantity"] > 0).all()
    assert set(caps["node"]) == {"graphite_anode"}
    assert "CHN" not in set(caps["country"])
    lost = result.tables["lost_output"].set_index(["node", "country"])
    baseline_t = lost.loc[list(zip(caps["node"], caps["country"])), "output_quantity_baseline"].to_numpy()
    assert caps["spare_used_quantity"].to_numpy() == pytest.approx(0.1 * baseline_t, rel=1e-6)
    assert (bn.loc[bn["constraint"] == "export restriction", "country"] == "CHN").all()
    line = next(h for h in result.headline if h.startswith("binding bottleneck"))
    assert "lithium" not in line and "nickel" not in line
    assert "spare capacity used up at graphite_anode in" in line


@pytest.mark.parametrize("name", list(SHOCKS))
def test_every_capacity_bottleneck_used_spare_and_none_without_a_loss(baselines, name):
    """On every shipped chain, a capacity row used spare capacity (positive tonnes) up to
    its 10 % cap; the Leontief limit has no spare capacity, hence no capacity rows."""
    base = baselines[name]
    bn = _run(base, [SHOCKS[name]]).tables["bottlenecks"]
    caps = bn[bn["constraint"] == "capacity (spare used up)"]
    assert (caps["spare_used_quantity"] > 0).all()
    assert (caps["lost_quantity"] == 0).all()
    leontief = _run(base, [SHOCKS[name]], reroute=False).tables["bottlenecks"]
    assert set(leontief["constraint"]) == {"export restriction"}


@pytest.mark.parametrize("name", list(SHOCKS))
def test_lost_output_is_never_negative_and_rerouting_never_loses_more_than_leontief(baselines, name):
    base = baselines[name]
    reroute = _run(base, [SHOCKS[name]])
    leontief = _run(base, [SHOCKS[name]], reroute=False)
    for r in (reroute, leontief):
        for t in ("lost_output", "by_node", "by_product", "by_stage", "by_country"):
            assert (r.tables[t]["lost_usd"] >= -1e-6).all(), t
    assert _lost(reroute) <= _lost(leontief) * (1 + 1e-9) + 1e-6
    assert _lost(leontief) > 0


@pytest.mark.parametrize("name", list(SHOCKS))
def test_a_half_restriction_never_hurts_more_than_a_full_one(baselines, name):
    base = baselines[name]
    for reroute in (True, False):
        half = _lost(_run(base, [SHOCKS[name] + "=0.5"], reroute=reroute))
        full = _lost(_run(base, [SHOCKS[name]], reroute=reroute))
        assert half <= full * (1 + 1e-9) + 1e-6


@pytest.mark.parametrize("reroute", [True, False])
def test_usgs_ofr_2024_1057_ordering_gallium_germanium_and_both(baselines, reroute):
    """USGS Open-File Report 2024-1057 (Nassar et al.): a full Chinese export restriction
    of gallium costs more than one of germanium, and the joint restriction costs at least
    the larger and at most the sum. Checked on the shipped data and coefficients."""
    base = baselines["semiconductors"]
    ga = _lost(_run(base, ["CHN:gallium"], reroute=reroute))
    ge = _lost(_run(base, ["CHN:germanium"], reroute=reroute))
    both = _lost(_run(base, ["CHN:gallium", "CHN:germanium"], reroute=reroute))
    assert ga > ge > 0
    assert max(ga, ge) * (1 - 1e-9) <= both <= (ga + ge) * (1 + 1e-9)


def _graphite_to_nmc811(jpn_share: float):
    """graphite_anode (CHN, JPN) -> NMC 811 cells (USA), coefficient from the shipped chain."""
    shipped = chain("batteries")
    edge = next(e for e in shipped.edges if e.source == "graphite_anode" and e.target == "cells_nmc811")
    c = edge.coefficient
    raw = {"chain": "mini", "nodes": [
        {"id": "graphite_anode", "stage": "refine", "mineral": "graphite", "unit": "t",
         "shares": [{"assumption": {"CHN": 1 - jpn_share, "JPN": jpn_share}, "source": "test", "reason": "test"}]},
        {"id": "cells_nmc811", "stage": "product", "unit": "GWh", "product": True}],
        "products": {"cells_nmc811": {"shares": [{"assumption": {"USA": 1.0}, "source": "test", "reason": "test"}],
                                      "volume": {"central": 100, "source": "test"},
                                      "price_usd_per_unit": {"central": 9e7, "source": "test"}}},
        "prices": {"graphite_anode": {"central": 4000, "source": "test"}},
        "edges": [{"from": "graphite_anode", "to": "cells_nmc811", "central": c.central, "low": c.low,
                   "high": c.high, "unit": "t per GWh", "source": c.source}]}
    return chain_baseline(None, parse_chain(raw)), c.central  # type: ignore[arg-type]


def test_batpac_removing_1_kt_of_graphite_removes_1_over_0_924_gwh_of_nmc811_in_the_leontief_limit():
    """BatPaC 5.1: NMC 811 holds 0.924 kg graphite per kWh, so 1,000 t of battery graphite
    less removes 1/0.924 = 1.082 GWh of cells with no rerouting (1e-6 relative)."""
    base, t_per_gwh = _graphite_to_nmc811(0.0)
    exports = 100 * t_per_gwh  # all of it goes from CHN to the USA
    share = 1000.0 / exports
    leontief = NetworkModel(reroute=False).solve(base, ChainScenario("1kt", (Restriction("CHN", "graphite", None, share),)))
    lost = float(leontief.tables["by_product"]["lost_quantity"].sum())
    assert lost == pytest.approx(1 / 0.9241089620696455, rel=1e-6)
    base2, _ = _graphite_to_nmc811(0.05)
    share2 = 1000.0 / (exports * 0.95)
    r = ChainScenario("1kt", (Restriction("CHN", "graphite", None, share2),))
    lost_leontief = float(NetworkModel(reroute=False).solve(base2, r).tables["by_product"]["lost_quantity"].sum())
    lost_reroute = float(NetworkModel().solve(base2, r).tables["by_product"]["lost_quantity"].sum())
    assert lost_leontief == pytest.approx(1 / 0.9241089620696455, rel=1e-6)
    assert lost_reroute <= lost_leontief
    assert lost_reroute < lost_leontief  # Japan's spare capacity covers part of it


def test_restriction_parsing_and_errors():
    assert Restriction.parse("chn:graphite:refine=50%") == Restriction("CHN", "graphite", "refine", 0.5)
    with pytest.raises(InvalidParameterError, match="EXPORTER:MINERAL"):
        Restriction.parse("gallium")
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        Restriction.parse("CHN:gallium=2")


def test_restricting_a_mineral_the_chain_does_not_use_names_what_it_can_restrict(baselines):
    with pytest.raises(ScenarioError, match="gallium"):
        _run(baselines["magnets"], ["CHN:gallium"])


def test_draws_through_the_shared_sweep_give_ordered_bands_that_bracket_the_central_loss(baselines):
    base = baselines["semiconductors"]
    r = NetworkModel(draws=30, seed=1, scheduler="serial").solve(
        base, ChainScenario("ga", restrictions_from(["CHN:gallium"])))
    central = NetworkModel().solve(base, ChainScenario("ga", restrictions_from(["CHN:gallium"])))
    tb = r.tables["total_bands"].iloc[0]
    assert tb["lost_usd_p05"] <= tb["lost_usd_p50"] <= tb["lost_usd_p95"]
    assert tb["lost_usd_p05"] > 0
    assert tb["lost_usd_p05"] <= _lost(central) * 1.5 and _lost(central) <= tb["lost_usd_p95"] * 1.5
    pb = r.tables["by_product_bands"].set_index("product")
    assert (pb["lost_share_p05"] <= pb["lost_share_p95"]).all()
    assert r.diagnostics.parts["sweep"]["failed"] == 0


def test_a_draw_is_reproducible_and_stays_inside_the_ranges(baselines):
    import numpy as np

    from critmin.models.network import draw

    base = baselines["batteries"]
    m = NetworkModel().for_sweep(base)
    a = draw(m, np.random.default_rng([7, 0])).values
    b = draw(m, np.random.default_rng([7, 0])).values
    assert np.array_equal(a.coefficient, b.coefficient)
    for k, e in enumerate(base.spec.edges):
        assert e.coefficient.low <= a.coefficient[k] <= e.coefficient.high


def test_every_result_table_carries_units_and_the_model_repr_lists_non_defaults(baselines):
    r = _run(baselines["batteries"], ["CHN:graphite"])
    tidy = r.tidy()
    assert set(tidy["unit"]) >= {"USD", "share (0-1)"}
    assert repr(NetworkModel(reroute=False)) == "NetworkModel(reroute=False)"
    assert any("assumption" in h for h in r.headline)
    assert r.tables["coefficients"]["assumption"].any()


@pytest.mark.parametrize("name", list(SHOCKS))
def test_vectorised_leontief_draws_equal_one_solve_per_draw(baselines, name):
    """The Leontief limit's surviving link shares do not depend on the draw, so the
    vectorised path must agree with one LP per draw (1e-9 relative)."""
    from critmin.models.network.draws import sample, sweep

    base = baselines[name]
    m = NetworkModel(reroute=False)
    p = m.problem(base)
    cuts = m.cuts(base, ChainScenario("t", restrictions_from([SHOCKS[name] + "=0.7"])))
    ds = sample(base.spec, 6, seed=4)
    fast = sweep(p, ds, cuts, reroute=False, spare_share=0.1)
    slow = sweep(p, ds, cuts, reroute=False, spare_share=0.1, vectorise_leontief=False)
    scale = np.abs(slow["lost_usd"]).max()
    assert scale > 0
    assert np.abs(fast["lost_usd"] - slow["lost_usd"]).max() <= 1e-9 * scale


def test_a_members_only_zone_costs_members_output_and_bloc_cover_says_why(baselines):
    """Pax Silica members buying only from members lose chip output: their members make
    under 5 % of the silicon metal and gallium the chain needs (bloc cover < 0.1)."""
    from critmin import blocs
    from critmin.metrics.chains import bloc_cover
    from critmin.models.network import Zone

    base = baselines["semiconductors"]
    members = blocs.resolve("PaxSilica")
    cover = bloc_cover(base, members, "PaxSilica").set_index("node")
    assert cover.loc["gallium", "cover_share"] < 0.1
    assert cover.loc["silicon_metal", "cover_share"] < 0.1
    r = NetworkModel().solve(base, ChainScenario("zone", zones=(Zone("PaxSilica", members),)))
    by_country = r.tables["by_country"].set_index("country")
    for c in ("USA", "JPN", "KOR"):
        assert by_country.loc[c, "lost_share"] > 0.5
    half = NetworkModel().solve(base, ChainScenario("zone", zones=(Zone("PaxSilica", members, share=0.5),)))
    assert _lost(half) <= _lost(r) * (1 + 1e-9)


def test_the_unit_view_finds_the_ministerial_blocs_gallium_dependence(baselines):
    from critmin import blocs
    from critmin.metrics.chains import unit_view

    uv = unit_view(baselines["semiconductors"], blocs.resolve("ministerial-2026"), "ministerial-2026")
    top = uv.iloc[0]
    assert bool(top["highest"]) and top["top_country"] == "CHN" and top["dependence_share"] > 0.9
    assert set(uv["level"]) == {"direct", "one stage up"}


NETWORK_FILES = sorted((__import__("pathlib").Path(__file__).resolve().parents[2] / "scenarios").glob("network-*.yaml"))


@pytest.mark.parametrize("path", NETWORK_FILES, ids=lambda p: p.stem)
def test_every_network_scenario_file_runs_through_critmin_run_and_loses_output(path, snapshot_store):
    """The shipped model: network files load through the one scenario language, run on
    the bundled snapshot, lose some final output, and say which coefficients are assumed."""
    import critmin

    text = path.read_text()
    assert text.startswith("#") and "assum" in text.lower()
    result = critmin.run(path, snapshot_store)
    assert result.model == "network"
    assert float(result.tables["by_product"]["lost_usd"].sum()) > 0
    assert result.tables["coefficients"]["assumption"].any()


def test_scenario_language_shocks_become_restrictions_and_zones():
    from critmin.models.network import chain_scenario
    from critmin.scenario import load_scenario

    doc = {"model": "network", "name": "t", "baseline": {"chain": "semiconductors"},
           "shocks": [{"type": "licensing", "minerals": ["gallium"], "exporter": "CHN", "share": 0.8},
                      {"type": "ban", "minerals": "germanium", "exporter": "CHN", "destinations": ["USA"]},
                      {"type": "preferential_zone", "members": "PaxSilica", "label": "zone"}]}
    cs = chain_scenario(load_scenario(doc))
    r0 = cs.restrictions[0]
    assert (r0.exporter, r0.mineral, r0.importers) == ("CHN", "gallium", ())
    assert r0.share == pytest.approx(0.2)
    assert cs.restrictions[1].importers == ("USA",) and cs.restrictions[1].share == 1.0
    assert cs.zones[0].members and "USA" in cs.zones[0].members
    with pytest.raises(ScenarioError, match="cannot express"):
        load_scenario({**doc, "shocks": [{"type": "tariff", "exporters": "CHN", "rate": 0.1}]})


def test_a_network_document_without_its_baseline_section_is_a_file_line_error(tmp_path):
    """Found by bench_scenario_fuzz: the missing section used to crash with AttributeError
    in baselines/network.py; its `chain` key is required, so the section is too."""
    from critmin.scenario import load_scenario

    path = tmp_path / "no-baseline.yaml"
    path.write_text("model: network\nname: no-baseline\n"
                    "shocks:\n  - {type: ban, minerals: [gallium], exporter: CHN}\n")
    with pytest.raises(ScenarioError, match=r"no-baseline\.yaml:1: baseline: Field required"):
        load_scenario(path)


def test_a_chain_file_with_stated_shares_runs_without_a_store_and_a_broken_one_is_a_file_line_error(tmp_path):
    import yaml

    from critmin.scenario.plugins.network import EXAMPLE_CHAIN
    from critmin.runner import run
    from critmin.scenario import load_scenario

    (tmp_path / "chain.yml").write_text(yaml.safe_dump(EXAMPLE_CHAIN), encoding="utf-8")
    doc = "model: network\nname: own-chain\nbaseline:\n  chain_file: chain.yml\nshocks:\n" \
          "  - {type: ban, minerals: [gallium], exporters: CHN}\n"
    (tmp_path / "ok.yaml").write_text(doc, encoding="utf-8")
    result = run(tmp_path / "ok.yaml")           # no store named, none opened
    assert result.parameters["chain"] == "battery-gaas"
    assert result.tables["by_product"]["lost_quantity"].sum() > 0
    (tmp_path / "bad.yml").write_text("chain: bad\nnodes:\n  - {id: x, stage: smelt}\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(doc.replace("chain.yml", "bad.yml"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:3: baseline: .*stage 'smelt'"):
        load_scenario(tmp_path / "bad.yaml")
    (tmp_path / "both.yaml").write_text(doc.replace("chain_file: chain.yml", "{chain: magnets, chain_file: chain.yml}")
                                        .replace("baseline:\n  ", "baseline: "), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"both\.yaml:3: baseline: .*one of the two"):
        load_scenario(tmp_path / "both.yaml")
