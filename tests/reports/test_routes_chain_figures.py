"""The Routes and Chains figures draw what the sourcing optimiser and the network model
computed: the frontier with the chosen plan and today's sourcing marked, losses stage by
stage upstream first, estimated and assumed inputs flagged, sources named."""

from __future__ import annotations

import pytest

from critmin.metrics import panels
from critmin.reports import figures


@pytest.fixture(scope="module")
def routes_doc(snapshot_store):  # type: ignore[no-untyped-def]
    from critmin.models.sourcing import Sourcing, SourcingScenario
    from critmin.reports.sourcing import result_document
    from critmin.sourcing_data import sourcing_problem

    problem = sourcing_problem(snapshot_store, "USA", "graphite", None, None)
    result = Sourcing(frontier=True).solve(problem, SourcingScenario(name="t", cap_share=0.2))
    return result_document(result)


@pytest.fixture(scope="module")
def chain_docs(snapshot_store):  # type: ignore[no-untyped-def]
    from critmin.chain_baseline import chain_baseline
    from critmin.chain_graph import chain
    from critmin.models.network import ChainScenario, NetworkModel, Restriction
    from critmin.reports.chains import chain_show
    from critmin.reports.result import result_document

    show = chain_show(snapshot_store, "batteries")
    base = chain_baseline(snapshot_store, chain("batteries"))
    cut = ChainScenario("anode cut", (Restriction("CHN", "graphite", "refine", 0.5),))
    return show, result_document(NetworkModel().solve(base, cut))


def _trace(panel: figures.Panel, name: str):  # type: ignore[no-untyped-def]
    return next(t for t in panel.figure.data if t.name == name)


def test_frontier_marks_the_plan_at_its_cap_and_todays_sourcing(routes_doc) -> None:
    view = panels.routes_view(routes_doc)
    panel = figures.routes_frontier(view)
    line = _trace(panel, "least-cost plan at each cap")
    star, today = _trace(panel, "chosen plan"), _trace(panel, "today's sourcing")
    cost = routes_doc["tables"]["cost"][0]
    assert star.y[0] == pytest.approx(cost["plan_cost_usd"])
    assert today.y[0] == pytest.approx(cost["baseline_cost_usd"])
    # the plan at cap 0.2 holds no outside supplier above 20 %; today CHN holds more
    assert star.x[0] <= 0.2 + 1e-6 < today.x[0]
    # tightening the cap never makes the plan cheaper: cost rises as the largest share falls
    pts = sorted(zip(line.x, line.y), key=lambda p: -p[0])
    assert all(b[1] >= a[1] - 1e-6 * a[1] for a, b in zip(pts, pts[1:]))
    assert any("Geological Survey" in s for s in panel.sources)
    assert any("estimated" in n for n in panel.notes)


VOLL = 50_000.0  # USD/t, stated here so the expected unmet cost is computed independently


@pytest.fixture(scope="module")
def prefer_doc(snapshot_store):  # type: ignore[no-untyped-def]
    """USA graphite preferring EU27 suppliers (the objective discounts them) at a stated
    value of lost supply."""
    from critmin.blocs import resolve
    from critmin.models.sourcing import Sourcing, SourcingScenario
    from critmin.reports.sourcing import result_document
    from critmin.sourcing_data import sourcing_problem

    problem = sourcing_problem(snapshot_store, "USA", "graphite", None, None)
    scenario = SourcingScenario(name="t", prefer=tuple(resolve("EU27")), prefer_name="EU27")
    model = Sourcing(frontier=True, value_of_lost_supply_usd_per_t=VOLL)
    return result_document(model.solve(problem, scenario))


def test_exclusion_bars_value_unmet_tonnes_at_voll_even_when_suppliers_are_preferred(prefer_doc) -> None:
    view = panels.routes_view(prefer_doc)
    panel = figures.routes_exclusions(view)
    purchases, unmet = panel.figure.data
    steps = prefer_doc["tables"]["frontier_exclusions"]
    assert list(purchases.x)[0] == "none" and len(purchases.x) == len(steps)
    assert list(purchases.y) == pytest.approx([s["cost_usd"] for s in steps])
    # red bar = unmet tonnes x the value of lost supply, never negative
    assert list(unmet.y) == pytest.approx([s["unmet_t"] * VOLL for s in steps], abs=1e-6)
    assert all(u >= 0 for u in unmet.y)
    assert any(s["unmet_t"] > 0 for s in steps)          # a step with unmet demand is drawn
    # the preference discounts the objective: objective minus purchases is not the unmet cost
    assert steps[0]["objective_usd"] < steps[0]["cost_usd"] - 1.0


def test_plan_bars_flag_suppliers_whose_cost_is_the_market_price(routes_doc) -> None:
    view = panels.routes_view(routes_doc)
    panel = figures.routes_plan(view)
    flagged = set(view["suppliers"].loc[view["suppliers"]["estimated_cost"], "supplier"])
    assert flagged                                        # graphite: many without unit values
    labels = list(panel.figure.data[0].y)
    assert all(any(lab.startswith(f"{s} (e)") for lab in labels) for s in flagged if
               any(lab.startswith(s) for lab in labels))
    assert "market price" in panel.notes[0]


def test_chain_losses_run_upstream_first_and_flag_assumed_nodes(chain_docs) -> None:
    show, result = chain_docs
    view = panels.chain_view(show, result)
    panel = figures.chain_losses(view)
    stage_bar = panel.figure.data[0]
    assert list(stage_bar.x) == ["mine", "refine", "product"]
    lost = dict(zip(stage_bar.x, stage_bar.y))
    assert lost["product"] > 0                      # half the anode exports withheld
    node_traces = [t for t in panel.figure.data[1:]]
    assert [t.name for t in node_traces] == ["mine", "refine", "product"]
    assumed = set(view["by_node"].loc[view["by_node"]["assumed"].astype(bool), "label"])
    shown = [x for t in node_traces for x in t.x]
    assert {f"{a} *" for a in assumed} <= set(shown)
    assert panel.sources and any("assumed" in n for n in panel.notes)


def test_chain_graph_rings_single_points_of_failure_and_marks_assumed_shares(chain_docs) -> None:
    show, _ = chain_docs
    view = panels.chain_view(show)
    panel = figures.chain_graph(view)
    nodes = next(t for t in panel.figure.data if t.name == "stage node")
    spof = list(view["nodes"]["single_point_of_failure"])
    assert [c == "#c00" for c in nodes.marker.line.color] == spof
    assert [s == "square" for s in nodes.marker.symbol] == list(view["nodes"]["assumed"])
    assert list(nodes.marker.color) == pytest.approx(list(view["nodes"]["cr1_share"]))
    assert any(t.name == "link (assumed coefficient)" for t in panel.figure.data)
