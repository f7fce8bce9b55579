"""Benchmark of the network model: three chains, one shock each, coefficient draws.

For each chain (semiconductors: CHN:gallium; magnets: CHN:rare_earths; batteries:
CHN:graphite) the same N triangular draws of every coefficient, product volume and price
(default N = 10,000) are solved

1. with rerouting (one LP per draw, HiGHS, proportional rationing) through the shared
   sweep path :func:`critmin.sweep.run_sweep` (full result tables per draw): the serial
   loop, then a Dask LocalCluster of 1 and of 2 worker processes (cluster start-up
   included); the ratio serial / Dask-2 is the scaling;
2. in the Leontief limit: the vectorised path (all draws at once) against one LP per
   draw on a sample (``--check`` draws), extrapolated to N and labelled so.

Goal: all three chains' N draws in <= 30 s on this machine. The machine's load average
is printed beside the times (the two cores are shared). Baselines are built once from
the bundled snapshot into a temporary store.

Run: ``python benchmarks/bench_chains.py [--draws N] [--check K] [--skip-serial]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import tempfile
import time
from pathlib import Path

from critmin.chain_baseline import chain_baseline
from critmin.chain_graph import chain
from critmin.models.network import ChainScenario, NetworkModel, restrictions_from
from critmin.models.network import draw
from critmin.models.network.draws import sample, sweep
from critmin.sweep import SweepSettings, run_sweep
from critmin.store import Store
from critmin.store.build import build_store

SHOCKS = {"semiconductors": "CHN:gallium", "magnets": "CHN:rare_earths", "batteries": "CHN:graphite"}


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "load average n/a"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--reroute-draws", type=int, default=None,
                    help="draws for the rerouting LP runs (default: --draws); rates are also printed per draw")
    ap.add_argument("--check", type=int, default=200, help="LP-per-draw sample for the Leontief baseline")
    ap.add_argument("--skip-serial", action="store_true", help="skip the serial reroute loop (slowest)")
    args = ap.parse_args()
    n = args.draws
    nr = args.reroute_draws or n
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "critmin.duckdb"
        build_store(path)
        store = Store.open(path)
        problems = {}
        for name, shock in SHOCKS.items():
            base = chain_baseline(store, chain(name))
            m = NetworkModel()
            scen = ChainScenario(name, restrictions_from([shock]))
            problems[name] = (m.problem(base), m.cuts(base, scen), sample(base.spec, n, seed=0), base, scen)
        store.close()
    print(f"bench_chains: {n:,} draws per chain (rerouting LP: {nr:,}), three chains ({load()})")
    totals = {"serial": 0.0, "dask1": 0.0, "dask2": 0.0, "leontief": 0.0, "leontief_lp": 0.0}
    for name, (p, cuts, ds, base, scen) in problems.items():
        row = [f"{name:15s} ({p.n_y} node-countries, {p.n_link} links)"]
        dr = ds.chunk(0, nr)
        model = NetworkModel().for_sweep(base)
        if not args.skip_serial:
            t = time.perf_counter()
            run_sweep(model, base, scen, draw, SweepSettings(draws=nr, seed=0, scheduler="serial"))
            dt = time.perf_counter() - t
            totals["serial"] += dt
            row.append(f"serial {dt:7.1f} s ({1000 * dt / nr:.1f} ms/draw)")
        for w in (1, 2):
            t = time.perf_counter()
            run_sweep(model, base, scen, draw, SweepSettings(draws=nr, seed=0, n_workers=w))
            dt = time.perf_counter() - t
            totals[f"dask{w}"] += dt
            row.append(f"dask-{w} {dt:7.1f} s ({1000 * dt / nr:.1f} ms/draw, cluster start included)")
        t = time.perf_counter()
        sweep(p, ds, cuts, reroute=False, spare_share=0.1)
        dt = time.perf_counter() - t
        totals["leontief"] += dt
        k = min(args.check, n)
        t = time.perf_counter()
        sweep(p, ds.chunk(0, k), cuts, reroute=False, spare_share=0.1, vectorise_leontief=False)
        dt_lp = (time.perf_counter() - t) * n / k
        totals["leontief_lp"] += dt_lp
        row.append(f"leontief vectorised {dt:6.2f} s (LP per draw, extrapolated from {k}: {dt_lp:7.1f} s)")
        print("  " + "; ".join(row))
    scale = n / nr
    est = " (extrapolated to {:,} draws: {:.1f} s)".format(n, totals["dask2"] * scale) if nr != n else ""
    print(f"reroute, all three chains, {nr:,} draws each: "
          + (f"serial {totals['serial']:.1f} s, " if not args.skip_serial else "")
          + f"dask 1 worker {totals['dask1']:.1f} s, dask 2 workers {totals['dask2']:.1f} s{est} "
          f"(goal <= 30 s for {n:,}: {'met' if totals['dask2'] * scale <= 30 else 'NOT met'}; "
          f"{1000 * totals['dask2'] / (3 * nr):.1f} ms per draw on 2 workers)")
    if not args.skip_serial and totals["dask2"] > 0:
        print(f"  scaling: serial / dask-2 = {totals['serial'] / totals['dask2']:.2f}x, "
              f"dask-1 / dask-2 = {totals['dask1'] / totals['dask2']:.2f}x")
    print(f"leontief limit, all three chains: vectorised {totals['leontief']:.2f} s vs LP per draw "
          f"{totals['leontief_lp']:.1f} s (extrapolated): {totals['leontief_lp'] / max(totals['leontief'], 1e-9):.0f}x")
    print(f"({load()})")


if __name__ == "__main__":
    main()
