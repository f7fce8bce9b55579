"""Every dashboard page in Chromium, offline: no request leaves loopback, no console error,
every figure drawn (its SVG paths counted), a screenshot per page and width under
out/screenshots/."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

PHONE = (390, 844)


def test_home_page_links_every_dashboard_page(visit) -> None:
    v = visit()
    page = v.open("/")
    hrefs = page.eval_on_selector_all("a.card", "els => els.map(e => e.getAttribute('href'))")
    assert {"/map", "/flows", "/concentration", "/scenario", "/routes", "/chains"} <= set(hrefs)
    nav = page.eval_on_selector_all("header nav a", "els => els.map(e => e.getAttribute('href'))")
    assert {"/routes", "/chains"} <= set(nav)
    v.shot("home-1280")
    v.check_clean()


@pytest.mark.parametrize("width,height", [(1280, 800), PHONE])
def test_map_page_colours_producers_on_the_local_world_map(visit, width, height) -> None:
    v = visit(width, height)
    v.open("/map")
    v.wait_for_figures()
    # the world drawn from the served topojson, and coloured producers (choropleth paths)
    assert _land_outline_length(v.page) > 10_000
    assert v.paths(".figure path.choroplethlocation") >= 2
    assert v.paths(".figure .slider-container, .figure g.slider-container") >= 1
    assert "estimated" in v.page.text_content(".notes")
    assert "Geological Survey" in v.page.text_content(".sources")
    v.shot(f"map-{width}")
    v.check_clean()


def _land_outline_length(page) -> int:  # type: ignore[no-untyped-def]
    return page.eval_on_selector(".figure .layer.land path", "p => (p.getAttribute('d') || '').length")


def test_map_page_draws_a_countrys_suppliers(visit) -> None:
    v = visit()
    page = v.open("/map")
    v.wait_for_figures()
    page.select_option("#kind", "imports")
    page.wait_for_function("document.querySelector('.panel h2') && "
                           "document.querySelector('.panel h2').textContent.includes('buys')",
                           timeout=60_000)
    v.wait_for_figures()
    assert v.paths(".figure path.choroplethlocation") >= 3
    assert "Import reliance" in page.text_content(".notes")
    v.shot("map-suppliers-1280")
    v.check_clean()


@pytest.mark.parametrize("width,height", [(1280, 800), PHONE])
def test_flows_page_draws_observed_and_estimated_links(visit, width, height) -> None:
    v = visit(width, height)
    page = v.open("/flows")
    v.wait_for_figures()
    assert v.paths(".figure .sankey-link") > 10
    assert v.paths(".figure .sankey-node") > 5
    fills = set(page.eval_on_selector_all(
        ".figure .sankey-link", "els => els.map(e => getComputedStyle(e).fill)"))
    assert len(fills - {"rgba(0, 0, 0, 0)"}) >= 2          # observed and estimated told apart
    assert "estimated" in page.text_content(".notes")
    v.shot(f"flows-{width}")
    v.check_clean()


@pytest.mark.parametrize("width,height", [(1280, 800), PHONE])
def test_concentration_page_draws_hhi_and_top_share_lines(visit, width, height) -> None:
    v = visit(width, height)
    page = v.open("/concentration")
    v.wait_for_figures()
    assert v.paths(".figure .scatterlayer path.js-line") >= 2     # one line per subplot
    ticks = page.eval_on_selector_all(".figure .xaxislayer-above text", "els => els.map(e => e.textContent)")
    assert any(t.startswith("19") for t in ticks) and any(t.startswith("20") for t in ticks)
    v.shot(f"concentration-{width}")
    v.check_clean()


def _first_price_changes(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        "#scenario-tables table:first-of-type tbody tr",
        "rows => rows.map(r => r.innerText)")


def test_scenario_page_runs_an_edited_tariff_and_shows_changed_prices(visit) -> None:
    v = visit()
    page = v.open("/scenario")
    page.select_option("#library", label="us-india-2026")
    page.wait_for_function("document.querySelector('#doc').value.includes('rate: 0.18')",
                           timeout=30_000)
    page.click("#run")
    page.wait_for_selector("#scenario-tables", timeout=120_000)
    v.wait_for_figures(4)
    before = _first_price_changes(page)
    assert before
    assert v.paths("#panel-scenario_prices .figure .bars path") > 3
    assert v.paths("#panel-scenario_welfare .figure .bars path") > 3
    assert page.locator("#download").is_visible()
    v.shot("scenario-1280")

    # the user edits the tariff in the document: 18 % -> 40 %, and runs again
    doc = page.input_value("#doc").replace("rate: 0.18", "rate: 0.40")
    page.fill("#doc", doc)
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('Done')",
                           timeout=120_000)
    after = _first_price_changes(page)
    assert after and after != before
    v.shot("scenario-edited-1280")
    v.check_clean()


def test_scenario_page_shows_the_apis_message_for_a_bad_document(visit) -> None:
    v = visit(*PHONE)
    page = v.open("/scenario")
    page.wait_for_function("document.querySelector('#doc').value.length > 0", timeout=30_000)
    page.fill("#doc", "name: broken\nmodel: pe\nshocks: [")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    assert "line" in page.text_content("#error")
    v.shot("scenario-error-390")
    # a 422 shows in the page, not as a script error; the failed request is the only one
    assert all("422" in e or "Failed to load resource" in e for e in v.errors)
    assert v.outside == []


def test_scenario_page_adds_a_zone_with_price_floors_to_the_shocks(visit) -> None:
    v = visit()
    page = v.open("/scenario")
    page.wait_for_function("document.querySelector('#doc').value.includes('shocks:')",
                           timeout=30_000)
    page.click("#builder summary")
    page.select_option("#shock-type", "zone")
    assert page.locator("#s-rate").is_hidden() and page.locator("#s-members").is_visible()
    page.fill("#s-floor-price", "600000")
    page.click("#add-shock")
    doc = page.input_value("#doc")
    shocks = doc[doc.index("\nshocks:"):]
    assert "type: preferential_zone" in shocks and "price: 600000" in shocks
    assert shocks.count("\n  - ") == 2                   # the shipped tariff and the zone
    v.check_clean()
