"""Benchmark: the REST service under 100 concurrent clients on loopback, and CLI start-up.

Goals (issue 13): 0 errors, p99 <= 250 ms on the metric routes with 100 concurrent
clients for 10 s over a mix of metric, flow and scenario requests; `critmin --help` in
<= 0.3 s.

What runs, all in this one process run:

1. Start-up: `critmin --help` against the named baseline `python -c pass` (the
   interpreter alone) and `python -c "import pandas, duckdb, scipy"` (what --help used to
   import), best of 5 each, same machine, same moment.
2. `critmin serve` in a subprocess on 127.0.0.1 (the store: ``--store``, else
   ``CRITMIN_STORE`` if it exists, else one built from the bundled snapshot).
3. Phase "repeat" (10 s): 100 asyncio clients (keep-alive HTTP/1.1 on asyncio streams,
   one connection each), each looping over a fixed mix of
   URLs: 70 % metric routes (production, concentration, exposure, minerals, blocs), 20 %
   flows (observed and completed), 10 % scenario runs (two PE documents). The first call of
   each URL computes; later ones are served from the per-store-version response cache. The
   cold (first-call) latency of every URL is reported separately.
4. Phase "uncached" (5 s): the same mix against a second server started with
   ``--cache-entries 0`` (no response cache, no sharing of a computation between
   concurrent identical requests), so every request computes (what a cache cannot help
   with), scenario runs included. (A unique junk query parameter no longer does that: the
   cache keys on the parameters a route reads, so ``?bench=1`` is a cache hit.)

Bounded: each phase stops at its time limit or at 50,000 requests. Usage::

    .venv/bin/python benchmarks/bench_api.py [--store PATH] [--clients 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAX_REQUESTS = 50_000

METRIC = [
    "/api/production/gallium?year=2024",
    "/api/production/cobalt?stage=mine",
    "/api/production/lithium?stage=mine&series=usgs",
    "/api/production/rare_earths?stage=mine&year=2023",
    "/api/concentration",
    "/api/concentration?mineral=gallium&stage=refinery",
    "/api/concentration?mineral=cobalt&latest=false",
    "/api/concentration?mineral=graphite&stage=mine&share_of=CHN",
    "/api/exposure/USA?mineral=gallium&latest=true",
    "/api/exposure/USA?mineral=cobalt&basis=observed",
    "/api/exposure/CMM2026?mineral=graphite&latest=true",
    "/api/minerals",
    "/api/blocs",
    "/api/blocs/CMM2026",
]
FLOWS = [
    "/api/flows/gallium",
    "/api/flows/cobalt?importer=USA",
    "/api/flows/gallium?importer=USA&complete=true",
]
SCENARIO_SMALL = """\
name: bench-small
baseline: {year: 2023, mineral: gallium, stage: refinery}
shocks:
  - {type: export_quota, exporter: CHN, destinations: [USA], tonnes: 0}
"""


def scenario_docs() -> list[str]:
    return [SCENARIO_SMALL,
            (ROOT / "scenarios" / "ministerial-2026-price-floor.yaml").read_text()]


def best_of(cmd: list[str], n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return min(times)


def startup() -> None:
    py = sys.executable
    base = best_of([py, "-c", "pass"])
    heavy = best_of([py, "-c", "import pandas, duckdb, scipy"])
    helps = best_of([str(BIN / "critmin"), "--help"])
    sub = best_of([str(BIN / "critmin"), "scenario", "run", "--help"])
    print("== start-up (best of 5)")
    print(f"python -c pass                       {base * 1000:7.0f} ms  (baseline)")
    print(f"python -c 'import pandas,duckdb,scipy' {heavy * 1000:5.0f} ms  "
          f"{heavy / base:5.1f}x baseline (what --help used to pay)")
    print(f"critmin --help                       {helps * 1000:7.0f} ms  "
          f"{helps / base:5.1f}x baseline  (goal <= 300 ms: "
          f"{'met' if helps <= 0.3 else 'NOT met'})")
    print(f"critmin scenario run --help          {sub * 1000:7.0f} ms  {sub / base:5.1f}x baseline")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("CRITMIN_STORE")
    if env and Path(env).exists():
        return Path(env)
    target = Path(tempfile.mkdtemp()) / "bench.duckdb"
    print(f"building a store from the bundled snapshot at {target} ...", file=sys.stderr)
    subprocess.run([str(BIN / "critmin"), "data", "build", "--store", str(target)], check=True,
                   stdout=subprocess.DEVNULL)
    return target


class Tally:
    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = {"metric": [], "flows": [], "scenario": []}
        self.errors: dict[str, list[str]] = {"metric": [], "flows": [], "scenario": []}

    def report(self, title: str, seconds: float) -> None:
        total = sum(len(v) for v in self.lat.values())
        errs = sum(len(v) for v in self.errors.values())
        print(f"== {title}: {total} requests in {seconds:.1f} s = {total / seconds:.0f} req/s, "
              f"{errs} errors")
        for kind, lat in self.lat.items():
            if not lat:
                continue
            q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
            print(f"   {kind:9s} n={len(lat):6d}  p50 {q[49] * 1000:7.1f} ms  p99 "
                  f"{q[98] * 1000:7.1f} ms  max {max(lat) * 1000:7.1f} ms  "
                  f"errors {len(self.errors[kind])}")
            for e in sorted(set(self.errors[kind]))[:3]:
                print(f"      e.g. {e}")


def pick(rng: random.Random) -> tuple[str, str]:
    r = rng.random()
    if r < 0.7:
        return "metric", rng.choice(METRIC)
    if r < 0.9:
        return "flows", rng.choice(FLOWS)
    return "scenario", ""


class Connection:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams: httpx's per-request CPU cost
    on a 2-core machine would otherwise measure the client, not the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, url: str, body: bytes = b"",
                      content_type: str = "") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {url} HTTP/1.1\r\nHost: {self.host}\r\n"
        if body or method == "POST":
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        assert self.reader is not None
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (ln.partition(":") for ln in lines[1:] if ln)}
        data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def one(conn: Connection, kind: str, url: str, docs: list[str],
              rng: random.Random, tally: Tally) -> None:
    t = time.perf_counter()
    try:
        if kind == "scenario":
            status, data = await conn.request("POST", "/api/scenarios/run",
                                              rng.choice(docs).encode(), "application/yaml")
        else:
            status, data = await conn.request("GET", url)
        ok = status == 200
        detail = f"{status} {url or 'scenario'}: {data[:120].decode(errors='replace')}"
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
        await conn.close()
        ok, detail = False, f"{type(exc).__name__} {url or 'scenario'}"
    dt = time.perf_counter() - t
    tally.lat[kind].append(dt)
    if not ok:
        tally.errors[kind].append(detail)


async def load(port: int, clients: int, seconds: float, seed: int) -> Tally:
    tally = Tally()
    docs = scenario_docs()
    stop = time.perf_counter() + seconds
    count = 0

    async def worker(i: int) -> None:
        nonlocal count
        rng = random.Random(seed * 1000 + i)
        conn = Connection("127.0.0.1", port)
        while time.perf_counter() < stop and count < MAX_REQUESTS:
            count += 1
            kind, url = pick(rng)
            await one(conn, kind, url, docs, rng, tally)
        await conn.close()

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return tally


async def cold(base: str, title: str = "computes and fills the cache") -> None:
    print(f"== cold: first call of each URL ({title})")
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        for url in METRIC + FLOWS:
            t = time.perf_counter()
            r = await client.get(url)
            print(f"   {(time.perf_counter() - t) * 1000:7.0f} ms  {r.status_code}  {url}")
        for doc in scenario_docs():
            t = time.perf_counter()
            r = await client.post("/api/scenarios/run", content=doc,
                                  headers={"content-type": "application/yaml"})
            name = doc.split("name:", 1)[1].split()[0]
            print(f"   {(time.perf_counter() - t) * 1000:7.0f} ms  {r.status_code}  "
                  f"POST /api/scenarios/run ({name})")


@contextlib.contextmanager
def serving(store: Path, *options: str) -> Iterator[tuple[str, int]]:
    """``critmin serve`` on a free loopback port until the block ends: (base URL, port)."""
    port = free_port()
    server = subprocess.Popen([str(BIN / "critmin"), "serve", "--port", str(port), "--store",
                               str(store), *options],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("critmin serve did not start: "
                                 + (server.stderr.read().decode() if server.stderr else ""))
            time.sleep(0.2)
        yield base, port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--uncached-seconds", type=float, default=5.0)
    args = ap.parse_args()

    startup()
    store = store_path(args.store)
    with serving(store) as (base, port):
        print(f"== server: critmin serve on {base}, store {store}; {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        asyncio.run(cold(base))
        t = time.perf_counter()
        tally = asyncio.run(load(port, args.clients, args.seconds, seed=1))
        tally.report(f"repeat mix, {args.clients} clients", time.perf_counter() - t)
        ok = httpx.get(base + "/api/health", timeout=10).status_code == 200
        print(f"== after the load the server answers: {'yes' if ok else 'NO'}; "
              f"load average {os.getloadavg()[0]:.1f}")
    if args.uncached_seconds <= 0:
        return
    with serving(store, "--cache-entries", "0") as (base, port):
        print(f"== server: critmin serve --cache-entries 0 on {base}; load average "
              f"{os.getloadavg()[0]:.1f}")
        asyncio.run(cold(base, "this server computes every call; the first pays imports"))
        t = time.perf_counter()
        tally = asyncio.run(load(port, args.clients, args.uncached_seconds, seed=2))
        tally.report(f"uncached mix (every request computes), {args.clients} clients",
                     time.perf_counter() - t)
        ok = httpx.get(base + "/api/health", timeout=10).status_code == 200
        print(f"== after the load the server answers: {'yes' if ok else 'NO'}; "
              f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
