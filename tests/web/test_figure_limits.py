"""The dashboard's figure routes keep the API's limits: every figure computes under the
read time limit (503 QueryTimeout past it, the server keeps serving), and a described
chain restriction is solved by the API's time-limited workers
(``GET /api/chains/{chain}/restrict``), with unknown or irrelevant exporters refused."""

from __future__ import annotations

import warnings

import pytest


def make_client(store, **limits: float):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette: httpx TestClient is deprecated
        from fastapi.testclient import TestClient

    from critmin.api import Limits, create_app

    return TestClient(create_app(store, limits=Limits(**limits)))


@pytest.fixture(scope="module")
def client(snapshot_store):  # type: ignore[no-untyped-def]
    with make_client(snapshot_store.path) as c:
        yield c


@pytest.mark.parametrize("url", ["/ui/figures/flows?mineral=cobalt",
                                 "/ui/figures/production?mineral=gallium&stage=refinery",
                                 "/ui/figures/concentration?mineral=graphite",
                                 "/ui/figures/chain?chain=batteries",
                                 "/ui/options"])
def test_figure_route_over_the_read_time_limit_is_503_and_the_next_request_succeeds(
        snapshot_store, client, url) -> None:
    # 1 ms: each figure runs store queries for tens of milliseconds at least, so the answer
    # does not depend on how loaded the machine is
    with make_client(snapshot_store.path, query_seconds=0.001) as bounded:
        got = bounded.get(url)
        assert got.status_code == 503, got.text
        assert got.json()["error"] == "QueryTimeout" and "limit of 0.001 s" in got.json()["detail"]
        assert got.headers["retry-after"]
        assert bounded.get("/api/health").json()["status"] == "ok"
    again = client.get(url)
    assert again.status_code == 200, again.text
    assert again.json()


def test_chain_restriction_is_solved_by_the_api_workers_under_their_time_limit(
        snapshot_store, client) -> None:
    url = "/api/chains/batteries/restrict?exporter=CHN&node=graphite_anode&share=0.5"
    got = client.get(url)
    assert got.status_code == 200, got.text
    doc = got.json()
    by_stage = {r["stage"]: r for r in doc["tables"]["by_stage"]}
    assert by_stage["refine"]["lost_usd"] > 0 and "CHN withholds 50%" in doc["scenario"]
    # the page draws the same run (the API's cache answers it)
    page = client.get("/ui/figures/chain?chain=batteries&exporter=CHN&node=graphite_anode&share=0.5")
    assert page.status_code == 200 and len(page.json()["panels"]) == 2
    # a 1 ms solve limit stops it: the run went through SolveRunner, not the web layer
    with make_client(snapshot_store.path, solve_seconds=0.001) as slow:
        stopped = slow.get("/ui/figures/chain?chain=batteries&exporter=CHN&node=graphite_anode&share=0.4")
        assert stopped.status_code == 503, stopped.text
        assert stopped.json()["error"] == "SolveTimeout"


@pytest.mark.parametrize(("exporter", "error", "words"), [
    ("ZZZ", "UnknownCountryError", "ZZZ"),
    ("AUS", "InvalidParameterError", "no share of"),
])
def test_chain_restriction_refuses_an_exporter_with_no_share_at_the_node(
        client, exporter, error, words) -> None:
    got = client.get(f"/ui/figures/chain?chain=batteries&exporter={exporter}&node=graphite_anode")
    assert got.status_code == 422, got.text
    assert got.json()["error"] == error and words in got.json()["detail"]
