"""The state of the machine a benchmark ran on, printed beside its figures: the machine is
a shared 2-core one, and a figure means little without the load it was measured under."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


@contextmanager
def machine_report(name: str) -> Iterator[None]:
    """Print the load average before and after the benchmark's run, and its wall time."""
    started = time.perf_counter()
    print(f"[{name}] start: {load_average()}", flush=True)
    try:
        yield
    finally:
        print(f"[{name}] end after {time.perf_counter() - started:.0f} s: {load_average()}", flush=True)
