"""Scenario runs in worker processes, under a time limit and a concurrency limit.

Solves are CPU-bound Python and NumPy: run in the server's own threads they would hold the
GIL and slow every metric request. They run instead in a small process pool
(``Limits.max_solves`` workers, started on first use and reused), so the server process
keeps answering while they work.

A run gets a wall-clock deadline; the model's progress callback checks it and stops the run
once the time is up (:class:`SolveTimeout`). The request itself waits at most
``Limits.solve_seconds`` and then answers 503, whether or not the worker has noticed yet;
a run still going ``Limits.kill_grace_seconds`` later (a model without a progress
callback) has its worker processes ended, and the pool starts afresh.
At most ``Limits.max_solves`` runs hold a slot at once; a request waits up to
``Limits.queue_seconds`` for one, then gets 503 "busy". Metric routes never wait for a slot.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any


class Deadline:
    """When a run must stop: ``seconds`` from now, or at ``at`` (wall clock)."""

    def __init__(self, seconds: float, at: float | None = None) -> None:
        self.seconds = seconds
        self.at = at if at is not None else time.time() + seconds

    def expired(self) -> bool:
        return time.time() >= self.at

    def check(self, *_: Any) -> None:
        """Usable as a progress callback: ``check(label, done, total)``."""
        if self.expired():
            from critmin.api.app import SolveTimeout

            raise SolveTimeout(timeout_message(self.seconds))


def timeout_message(seconds: float) -> str:
    return (f"The scenario run took longer than this server's limit of {seconds:g} s and was "
            "stopped. Run it with the CLI (`critmin scenario run FILE`), or ask for fewer "
            "markets.")


def _warm() -> None:
    """Worker initialiser: import the models once, not on the first request."""
    import critmin.models.pe  # noqa: F401


def _noop() -> None:
    return None


class SolveRunner:
    """Runs ``fn(*args, deadline_at)`` in a worker process; time and concurrency limited.
    ``deadline_at`` is None: the job's :class:`Deadline` starts when the worker starts it."""

    def __init__(self, limits: Any) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_solves)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._cold = False

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # forkserver: never fork the server (its threads and DuckDB connections)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.limits.max_solves, initializer=_warm,
                    mp_context=multiprocessing.get_context("forkserver"))
                self._cold = True
            return self._pool

    async def run(self, fn: Callable[..., str], *args: Any) -> str:
        """The JSON text ``fn`` returns; Busy or SolveTimeout (503) past the limits."""
        from critmin.api.app import Busy, SolveTimeout

        got = await asyncio.to_thread(self._slots.acquire, True, self.limits.queue_seconds)
        if not got:
            raise Busy(f"Every scenario slot ({self.limits.max_solves}) has been busy for "
                       f"{self.limits.queue_seconds:g} s; try again shortly.")
        try:
            pool = self._executor()
            # the worker starts the clock when it starts the job (deadline_at None)
            future = pool.submit(fn, *args, None)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())  # when the worker is free
        # new workers import the models first (seconds): that is not the run's time
        cold, self._cold = self._cold, False
        wait = self.limits.solve_seconds + 0.5 + (self.limits.startup_seconds if cold else 0)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=wait)
        except (asyncio.TimeoutError, TimeoutError):
            # A model that never calls its progress callback cannot stop itself: if it is
            # still running after a grace period, its worker processes are ended.
            timer = threading.Timer(self.limits.kill_grace_seconds, self._end_if_running,
                                    (future, self._pool))
            timer.daemon = True
            timer.start()
            raise SolveTimeout(timeout_message(self.limits.solve_seconds)) from None
        except (BrokenProcessPool, CancelledError):  # the pool was ended under this run
            self.reset()
            raise SolveTimeout("The scenario worker stopped (another run over its time "
                               "limit was ended, or it ran out of memory) and has been "
                               "restarted. Try again, or run the scenario with the CLI.") \
                from None

    def _end_if_running(self, future: Any, pool: ProcessPoolExecutor | None) -> None:
        if future.done() or pool is None:
            return
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()  # its futures fail (BrokenProcessPool): their slots free
        pool.shutdown(wait=False, cancel_futures=True)

    def warm(self, wait: bool = False) -> None:
        """Start the workers now (imports take seconds), not on the first request."""
        pool = self._executor()
        self._cold = False
        futures = [pool.submit(_noop) for _ in range(self.limits.max_solves)]
        if wait:
            for future in futures:
                future.result()

    def reset(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        self.reset()
