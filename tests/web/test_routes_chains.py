"""The Routes and Chains pages in Chromium, offline, with the guarantees of the other pages:
no request leaves loopback, no console error, every figure drawn (SVG paths counted), a
screenshot per page and width under out/screenshots/, and one interaction each that
changes the figure."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

PHONE = (390, 844)


def _title(page, name: str) -> str:  # type: ignore[no-untyped-def]
    return page.text_content(f"#panel-{name} h2") or ""


@pytest.mark.parametrize("width,height", [(1280, 800), PHONE])
def test_routes_page_draws_the_frontier_with_plan_and_today_marked(visit, width, height) -> None:
    v = visit(width, height)
    page = v.open("/routes")
    v.wait_for_figures(3)
    front = "#panel-routes_frontier .figure"
    assert v.paths(f"{front} .scatterlayer path.js-line") >= 1           # the frontier line
    assert v.paths(f"{front} .scatterlayer path.point") >= 5            # caps, plan, today
    legend = page.text_content(f"{front} .legend") or ""
    assert "chosen plan" in legend and "today's sourcing" in legend
    assert v.paths("#panel-routes_plan .figure .bars path") >= 4         # today and plan bars
    assert v.paths("#panel-routes_exclusions .figure .bars path") >= 3   # one bar per step
    assert "USA" in _title(page, "routes_frontier")
    assert "estimated" in page.text_content("#panel-routes_plan .notes")
    assert "Geological Survey" in page.text_content("#panel-routes_frontier .sources")
    assert page.locator("#routes-tables table.data tbody tr").count() >= 3
    v.shot(f"routes-{width}")
    v.check_clean()


def test_routes_page_redraws_for_another_buyer_and_exclusion(visit) -> None:
    v = visit()
    page = v.open("/routes")
    v.wait_for_figures(2)
    before = _title(page, "routes_frontier")
    page.fill("#unit", "EU27")
    page.fill("#exclude", "CHN")
    page.click("#draw")
    page.wait_for_function("document.querySelector('#panel-routes_frontier h2') && "
                           "document.querySelector('#panel-routes_frontier h2').textContent.includes('EU27')",
                           timeout=60_000)
    v.wait_for_figures(3)
    assert _title(page, "routes_frontier") != before
    rows = page.eval_on_selector_all("#routes-tables table.data tbody tr", "rs => rs.map(r => r.innerText)")
    assert any(r.startswith("CHN") and "yes" in r for r in rows)        # CHN marked excluded
    v.shot("routes-eu27-no-chn-1280")
    v.check_clean()


@pytest.mark.parametrize("width,height", [(1280, 800), PHONE])
def test_chains_page_draws_the_stage_graph_with_single_points_of_failure(visit, width, height) -> None:
    v = visit(width, height)
    page = v.open("/chains")
    v.wait_for_figures(1)
    fig = "#panel-chain_graph .figure"
    assert v.paths(f"{fig} .scatterlayer path.js-line") >= 1             # the links
    assert v.paths(f"{fig} .scatterlayer path.point") >= 10              # one marker per node
    ticks = page.eval_on_selector_all(f"{fig} .xaxislayer-above text", "els => els.map(e => e.textContent)")
    assert ticks[:2] == ["mine", "refine"] and ticks[-1] == "product"
    assert "assumptions" in page.text_content("#panel-chain_graph .notes")
    assert "Geological Survey" in page.text_content("#panel-chain_graph .sources")
    v.shot(f"chains-{width}")
    v.check_clean()


def test_chains_page_shows_stage_by_stage_losses_of_a_described_restriction(visit) -> None:
    v = visit()
    page = v.open("/chains")
    v.wait_for_figures(1)
    page.select_option("#shock", "form")
    page.select_option("#node", "graphite_anode")
    page.fill("#share", "0.5")
    page.click("#draw")
    page.wait_for_selector("#panel-chain_losses .figure[data-drawn]", timeout=60_000)
    v.wait_for_figures(2)
    assert "CHN withholds 50%" in _title(page, "chain_losses")
    assert v.paths("#panel-chain_losses .figure .bars path") >= 6        # stages and nodes
    stage_ticks = page.eval_on_selector_all("#panel-chain_losses .figure .xaxislayer-above text",
                                            "els => els.map(e => e.textContent)")
    assert stage_ticks[:3] == ["mine", "refine", "product"]
    lost = page.eval_on_selector_all("#chains-tables table:first-of-type tbody tr",
                                     "rs => rs.map(r => r.innerText)")
    assert any(r.startswith("product") and not r.rstrip().endswith("0%") for r in lost)
    assert "assumed" in page.text_content("#panel-chain_losses .notes")
    v.shot("chains-shock-1280")

    # a shipped scenario of another chain draws on that chain's graph
    page.select_option("#chain", "magnets")
    page.wait_for_function("[...document.querySelectorAll('#shock option')].some(o => o.value.startsWith('scenario:'))")
    value = page.eval_on_selector("#shock", "s => [...s.options].find(o => o.value.startsWith('scenario:')).value")
    page.select_option("#shock", value)
    page.wait_for_function("document.querySelector('#chains-status').textContent.startsWith('Done: china-ree')",
                           timeout=60_000)
    assert "magnets" in page.text_content("#panel-chain_graph h2").lower()
    v.shot("chains-magnets-scenario-1280")
    v.check_clean()


def test_scenario_page_draws_a_network_run_on_its_chain(visit) -> None:
    v = visit()
    page = v.open("/scenario")
    page.wait_for_function("document.querySelector('#doc').value.length > 0", timeout=30_000)
    page.select_option("#library", label="network-china-graphite-controls-2023-2025-cells (network)")
    page.wait_for_function("document.querySelector('#doc').value.includes('model: network')", timeout=30_000)
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('Done')", timeout=60_000)
    v.wait_for_figures(2)
    assert v.paths("#panel-chain_losses .figure .bars path") >= 3
    assert v.paths("#panel-chain_graph .figure .scatterlayer path.point") >= 10
    assert page.locator("#scenario-tables table.data").count() >= 3       # the tables stay
    v.shot("scenario-network-1280")
    v.check_clean()
