"""Safe as a service: no request reads a path outside the source directory, bodies and
solves are limited, the server keeps serving after a refused request, and a store rebuilt
underneath is picked up without a failed request."""

from __future__ import annotations

import os
import threading
import time

import pytest
import yaml
from api_fixtures import SMALL, make_client


def _with_flows(path: str) -> dict:
    doc = yaml.safe_load(SMALL)
    doc["baseline"]["flows_csv"] = path
    return doc


@pytest.fixture(scope="module")
def escape(source_dir, tmp_path_factory):
    """A file outside the source directory and a symlink inside that points at it."""
    outside = tmp_path_factory.mktemp("outside") / "secret.csv"
    outside.write_text("exporter,importer,value\nAAA,BBB,1\n")
    link = source_dir / "link.csv"
    if not link.exists():
        os.symlink(outside, link)
    (source_dir / "linkdir").mkdir(exist_ok=True)
    if not (source_dir / "linkdir" / "up").exists():
        os.symlink(outside.parent, source_dir / "linkdir" / "up")
    return outside


@pytest.mark.parametrize("path", [
    "../outside/secret.csv",
    "sub/../../secret.csv",
    "/etc/passwd",
    "%2e%2e/secret.csv",
    "..%2Fsecret.csv",
    "sub\\..\\..\\secret.csv",
    "~/secret.csv",
    "$HOME/secret.csv",
    "${CRITMIN_SOURCE_DIR}/../secret.csv",
    "link.csv",
    "linkdir/up/secret.csv",
])
def test_data_reference_outside_the_source_dir_is_refused(client, escape, path):
    got = client.post("/api/scenarios/run", json=_with_flows(path))
    assert got.status_code == 422, got.text
    assert "refused" in got.json()["detail"] or "no such file" in got.json()["detail"]
    assert "AAA" not in got.text


def test_data_reference_inside_the_source_dir_is_read(client):
    for path in ("flows.csv", "sub/flows.csv", "${CRITMIN_SOURCE_DIR}/sub/flows.csv"):
        got = client.post("/api/scenarios/run", json=_with_flows(path))
        assert got.status_code == 200, (path, got.text)


def test_without_a_source_dir_every_data_reference_is_refused(snapshot_store):
    got = make_client(snapshot_store.path, None).post("/api/scenarios/run",
                                                      json=_with_flows("flows.csv"))
    assert got.status_code == 422 and "no source directory" in got.json()["detail"]


def test_oversized_body_is_413_and_the_next_request_succeeds(snapshot_store, source_dir):
    client = make_client(snapshot_store.path, source_dir, max_body_bytes=4096)
    big = SMALL + "description: " + "x" * 8000 + "\n"
    got = client.post("/api/scenarios/run", content=big,
                      headers={"content-type": "application/yaml"})
    assert got.status_code == 413 and "over the limit of 4096 bytes" in got.json()["detail"]

    def chunks():  # no Content-Length: the streamed size is counted
        for _ in range(10):
            yield b"#" * 1000 + b"\n"

    got = client.post("/api/scenarios/run", content=chunks(),
                      headers={"content-type": "application/yaml"})
    assert got.status_code == 413
    assert client.post("/api/scenarios/run", content=SMALL,
                       headers={"content-type": "application/yaml"}).status_code == 200


def test_yaml_alias_bomb_is_refused_as_too_large(client):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i, prev in zip("bcdefg", "abcdef"):
        bomb += f"{i}: &{i} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    bomb += "name: bomb\n"
    got = client.post("/api/scenarios/run", content=bomb,
                      headers={"content-type": "application/yaml"})
    assert got.status_code == 413 and "more than" in got.json()["detail"]


def test_too_many_markets_is_413(snapshot_store, source_dir):
    client = make_client(snapshot_store.path, source_dir, max_markets=1)
    doc = {"name": "two", "baseline": {"year": 2023, "markets": [
        {"mineral": "gallium", "stage": "refinery"}, {"mineral": "cobalt", "stage": "refinery"}]}}
    got = client.post("/api/scenarios/run", json=doc)
    assert got.status_code == 413 and "limit of 1" in got.json()["detail"]


def test_solve_over_its_time_limit_is_503_and_the_server_keeps_serving(snapshot_store,
                                                                         source_dir, client):
    # A limit of 1 ms: the ministerial run (seconds) exceeds it on any machine, however
    # quiet or loaded, so the answer does not depend on timing.
    slow = make_client(snapshot_store.path, source_dir, solve_seconds=0.001)
    text = client.get("/api/scenarios/ministerial-2026-price-floor").text
    got = slow.post("/api/scenarios/run", content=text,
                    headers={"content-type": "application/yaml"})
    assert got.status_code == 503 and "limit of 0.001 s" in got.json()["detail"]
    assert got.headers["retry-after"]
    # the server keeps serving: a read route computes (a new URL: no cached answer) ...
    fresh = slow.get("/api/production/gallium?year=2024")
    assert fresh.status_code == 200 and fresh.headers.get("x-cache") != "hit"
    assert fresh.json() == client.get("/api/production/gallium?year=2024").json()
    # ... and the solve slot is free again: the next run gets its own answer (over the same
    # limit), not "busy" after the queue wait
    started = time.monotonic()
    again = slow.post("/api/scenarios/run", content=SMALL,
                      headers={"content-type": "application/yaml"})
    assert again.status_code == 503 and again.json()["error"] == "SolveTimeout"
    assert time.monotonic() - started < slow.app.state.config.limits.queue_seconds


@pytest.mark.parametrize("url", ["/api/concentration?mineral=cobalt",
                                 "/api/flows/gallium?importer=USA&complete=true",
                                 "/api/exposure/USA?mineral=gallium&latest=true",
                                 "/api/chains/magnets?for=USA", "/api/countries"])
def test_read_route_over_its_time_limit_is_503_and_the_server_keeps_serving(
        snapshot_store, source_dir, url):
    # 1 ms: each of these routes runs store queries for tens of milliseconds at least
    bounded = make_client(snapshot_store.path, source_dir, query_seconds=0.001)
    got = bounded.get(url)
    assert got.status_code == 503, got.text
    assert got.json()["error"] == "QueryTimeout" and "limit of 0.001 s" in got.json()["detail"]
    assert got.headers["retry-after"]
    assert bounded.get("/api/health").json()["status"] == "ok"
    assert make_client(snapshot_store.path, source_dir).get(url).status_code == 200


def test_an_abandoned_read_stops_at_its_next_store_query(snapshot_store):
    from critmin.api.app import QueryTimeout
    from critmin.api.deps import QueryDeadline, RequestStore

    store = RequestStore.open(snapshot_store.path)
    store.deadline = QueryDeadline(60.0)
    assert len(store.table("production", mineral="gallium")) > 0
    store.deadline = QueryDeadline(0.0)
    with pytest.raises(QueryTimeout, match="limit of 0 s"):
        store.table("production", mineral="gallium")


def test_store_rebuilt_underneath_is_picked_up_without_a_failed_request(tmp_path, source_dir):
    from critmin.store.build import build_store

    path = tmp_path / "live.duckdb"
    build_store(path)
    client = make_client(path, source_dir)
    urls = ["/api/production/cobalt?stage=mine&year=2024", "/api/concentration?mineral=gallium",
            "/api/flows/gallium?importer=USA"]
    before = {u: client.get(u).json() for u in urls}
    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        i = 0
        while not stop.is_set():
            url = urls[i % len(urls)] + f"&n={i}"  # a new URL each time: no cached answer
            r = client.get(url)
            if r.status_code != 200:
                failures.append(f"{r.status_code} {r.text[:200]}")
            i += 1

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    inode = path.stat().st_ino
    build_store(path)  # a new file renamed into place
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert path.stat().st_ino != inode
    assert failures == []
    assert {u: client.get(u).json() for u in urls} == before


def test_a_run_that_ignores_its_deadline_has_its_worker_ended_and_the_next_run_works():
    import asyncio

    from api_fixtures import quick, sleep_for

    from critmin.api.app import Limits, SolveTimeout
    from critmin.api.solves import SolveRunner

    runner = SolveRunner(Limits(solve_seconds=1.0, kill_grace_seconds=0.2, max_solves=1,
                                queue_seconds=60))
    try:
        runner.warm(wait=True)  # workers up before the clock matters
        started = time.monotonic()
        with pytest.raises(SolveTimeout):
            asyncio.run(runner.run(sleep_for, 300.0))
        # the only slot frees when the sleeping worker is ended, not after 300 s
        assert asyncio.run(runner.run(quick)) == ("ok", '{"quick": true}')
        assert time.monotonic() - started < 150  # far below 300 s; generous for a loaded machine
    finally:
        runner.shutdown()
