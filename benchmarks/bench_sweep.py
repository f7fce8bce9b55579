"""Scaling of the one sweep path (critmin.sweep.run_sweep) from 1 to 2 Dask workers, against
the serial loop measured in the same run.

Workload: the US-India tariff cut (scenarios/us-india-2026-ge.yaml) on the bundled ITPD-E
GE baseline (38 economies), each draw taking the PPML cost coefficients from N(b, V) and
solving the full-endowment GE (baseline fit, conditional and full equilibrium). The store
is built from the snapshot into a temporary folder, so no ../shared is needed.

Baseline: the same draws in a plain loop in this process (``scheduler="serial"``). Dask
runs: a LocalCluster of 1 and of 2 separate worker processes (one thread each), started
before the clock starts (cluster start-up is reported separately). Bands must be identical
across the three (each draw has its own seeded generator).

Run: .venv/bin/python benchmarks/bench_sweep.py [--draws 400]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "us-india-2026-ge.yaml"


def ge_workload():
    """(model, baseline, scenario, draw) for run_sweep, on a snapshot store: what
    `critmin run FILE --draws N` hands to the sweep."""
    from critmin.scenario import load_scenario
    from critmin.scenario.registry import plugin
    from critmin.store import Store
    from critmin.store.build import build_store

    path = Path(tempfile.mkdtemp()) / "snap.duckdb"
    build_store(path)
    store = Store.open(path)
    scenario = load_scenario(SCENARIO)
    plug = plugin(scenario.model)
    return plug.make_model(scenario), plug.load_baseline(scenario, store), scenario, plug.draw


def main() -> None:
    from distributed import Client, LocalCluster

    from critmin.sweep import SweepSettings, run_sweep

    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=400)
    args = ap.parse_args()
    model, baseline, scenario, draw = ge_workload()
    settings = SweepSettings(args.draws, seed=11, scheduler="serial")
    print(f"bench_sweep: {args.draws} draws of the US-India GE (38 economies), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    run_sweep(model, baseline, scenario, draw, replace(settings, draws=4))   # warm-up
    t = time.perf_counter()
    serial = run_sweep(model, baseline, scenario, draw, settings)
    t_serial = time.perf_counter() - t
    print(f"  serial loop (baseline)      {t_serial:7.2f} s  "
          f"{1000 * t_serial / args.draws:6.1f} ms/draw")
    times = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        start = time.perf_counter() - t0
        try:
            address = cluster.scheduler_address
            run_sweep(model, baseline, scenario, draw, replace(settings, draws=4 * workers,
                                                               scheduler=address))  # warm workers
            t = time.perf_counter()
            res = run_sweep(model, baseline, scenario, draw, replace(settings, scheduler=address))
            times[workers] = time.perf_counter() - t
        finally:
            client.close()
            cluster.close()
        same = res.table("countries").equals(serial.table("countries"))
        print(f"  LocalCluster, {workers} worker(s)   {times[workers]:7.2f} s  "
              f"{1000 * times[workers] / args.draws:6.1f} ms/draw  vs serial x{t_serial / times[workers]:.2f}"
              f"  (cluster start {start:.1f} s; bands identical to serial: {same})")
    print(f"  scaling 1 -> 2 workers: x{times[1] / times[2]:.2f} (ideal 2.00 on 2 free cores)")


if __name__ == "__main__":
    main()
