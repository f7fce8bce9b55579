"""The REST API's /docs page (Swagger UI) renders offline: its script, style and icon come
from the swagger-ui-bundle-v2 package, served by the app; no request leaves loopback."""

from __future__ import annotations


def test_api_docs_page_lists_every_route_with_no_outside_request(visit) -> None:
    v = visit()
    page = v.open("/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=60_000)
    paths = page.eval_on_selector_all(
        ".opblock-summary-path", "els => els.map(e => e.getAttribute('data-path'))")
    assert {"/api/production/{mineral}", "/api/scenarios/run", "/api/exposure/{unit}"} <= set(paths)
    assert page.locator(".information-container .title").inner_text().startswith("critmin")
    v.shot("api-docs-1280")
    v.check_clean()
