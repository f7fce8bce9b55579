"""The one distributed sweep path: the same bands in a serial loop, on a LocalCluster of
separate worker processes, and on a `dask scheduler` + `dask worker` started on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest

from critmin.errors import InvalidParameterError, SolveError
from critmin.models.base import Result
from critmin.sweep import SweepSettings, run_sweep

BASE = {"AAA": 100.0, "BBB": 50.0, "CCC": 10.0}


@dataclass(frozen=True)
class Scale:
    """A toy model: exports_usd = factor * baseline; fails above ``limit``."""

    factor: float = 1.0
    limit: float = 10.0
    name = "toy"

    def solve(self, baseline, scenario):
        if self.factor > self.limit:
            raise SolveError(f"factor {self.factor:.3f} is above {self.limit}", {})
        frame = pd.DataFrame({"country": list(baseline), "year": 2024,
                              "exports_usd": [self.factor * v for v in baseline.values()],
                              "pid": os.getpid()})
        frame["pid"] = frame["pid"].astype("int64")
        return Result("toy", scenario, {"countries": frame.drop(columns="pid"),
                                        "workers": frame[["pid"]].assign(one_count=1.0)})


def draw_factor(model, rng):
    return replace(model, factor=float(rng.lognormal(0.0, 0.2)))


def _bands(result):
    return result.table("countries").set_index("country").sort_index()


def test_serial_sweep_gives_ordered_bands_for_every_float_column():
    res = run_sweep(Scale(), BASE, "toy", draw_factor, SweepSettings(40, seed=3, scheduler="serial"))
    b = _bands(res)
    assert list(b.columns) == ["year", "exports_usd_p05", "exports_usd_p50", "exports_usd_p95"]
    assert (b["exports_usd_p05"] < b["exports_usd_p50"]).all()
    assert (b["exports_usd_p50"] < b["exports_usd_p95"]).all()
    # draw i uses default_rng([seed, i]): recompute the 5th percentile independently
    factors = [np.random.default_rng([3, i]).lognormal(0.0, 0.2) for i in range(40)]
    assert b.loc["AAA", "exports_usd_p05"] == pytest.approx(100 * np.quantile(factors, 0.05))
    assert res.diagnostics.parts["sweep"]["draws"] == 40


def test_local_cluster_of_two_processes_gives_the_serial_bands():
    settings = SweepSettings(24, seed=5, n_workers=2)
    res = run_sweep(Scale(), BASE, "toy", draw_factor, settings)
    serial = run_sweep(Scale(), BASE, "toy", draw_factor, replace(settings, scheduler="serial"))
    pd.testing.assert_frame_equal(_bands(res), _bands(serial))
    assert res.diagnostics.parts["sweep"]["workers"] == 2
    pids = res.table("workers")["pid"]
    assert os.getpid() not in set(pids) and len(set(pids)) == 2   # separate processes


def test_failed_draws_are_counted_and_too_many_raise():
    few = run_sweep(Scale(limit=1.45), BASE, "toy", draw_factor,
                    SweepSettings(100, seed=1, scheduler="serial"))
    failed = few.diagnostics.parts["sweep"]["failed"]
    assert 0 < failed <= 5 and few.diagnostics.warnings
    with pytest.raises(SolveError, match="draws failed"):
        run_sweep(Scale(limit=1.0), BASE, "toy", draw_factor,
                  SweepSettings(50, seed=1, scheduler="serial"))


@pytest.mark.parametrize("kwargs", [{"draws": 0}, {"draws": 10, "n_workers": 0},
                                    {"draws": 10, "quantiles": (0.05, 1.5)}])
def test_bad_sweep_settings_are_clear_errors(kwargs):
    with pytest.raises(InvalidParameterError):
        SweepSettings(**kwargs)


def test_an_unreachable_scheduler_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InvalidParameterError, match="dask scheduler"):
        run_sweep(Scale(), BASE, "toy", draw_factor,
                  SweepSettings(4, scheduler=f"tcp://127.0.0.1:{port}"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def dask_cluster(tmp_path):
    """`dask scheduler` and one `dask worker` on 127.0.0.1, as a user scales out."""
    dask = shutil.which("dask", path=os.path.dirname(sys.executable)) or shutil.which("dask")
    if dask is None:
        pytest.skip("the dask command-line tool is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    time.sleep(1.5)
    procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                   "--no-dashboard"], env=env, cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client

    deadline = time.time() + 60
    while True:
        try:
            with Client(address, timeout="5s") as c:
                if c.scheduler_info()["workers"]:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            for p in procs:
                p.kill()
            pytest.fail("the dask scheduler and worker did not come up in 60 s")
        time.sleep(0.5)
    yield address
    for p in reversed(procs):
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def test_sweep_on_an_existing_scheduler_gives_the_serial_bands(dask_cluster):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])   # the worker cannot import tests
    settings = SweepSettings(16, seed=9, scheduler=dask_cluster)
    res = run_sweep(Scale(), BASE, "toy", draw_factor, settings)
    serial = run_sweep(Scale(), BASE, "toy", draw_factor, replace(settings, scheduler="serial"))
    pd.testing.assert_frame_equal(_bands(res), _bands(serial))
    assert res.diagnostics.parts["sweep"]["scheduler"] == dask_cluster
