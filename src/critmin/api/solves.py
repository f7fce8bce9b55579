"""Scenario runs under a time limit and a concurrency limit.

A run gets a :class:`Deadline`; the model's progress callback calls ``deadline.check()``,
which stops the run once the time is up. The request itself waits at most
``Limits.solve_seconds`` and then answers 503, whether or not the run has noticed yet; the
run's slot is freed when it does. At most ``Limits.max_solves`` runs hold a slot at once; a
request waits up to ``Limits.queue_seconds`` for one, then gets 503 "busy". Metric routes
never wait for a slot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

T = TypeVar("T")


class Deadline:
    """When a run must stop; ``check()`` raises SolveTimeout after it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def check(self, *_: Any) -> None:
        """Usable as a progress callback: ``check(label, done, total)``."""
        if self.expired():
            from critmin.api.app import SolveTimeout

            raise SolveTimeout(f"The scenario run took longer than its limit of "
                               f"{self.seconds:g} s and was stopped. Run it with the CLI "
                               "(`critmin scenario run FILE`), or ask for fewer markets.")


class SolveRunner:
    """Runs solves on a small pool: time-limited, at most ``max_solves`` at once."""

    def __init__(self, limits: Any) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_solves)
        self._pool = ThreadPoolExecutor(max_workers=limits.max_solves,
                                        thread_name_prefix="critmin-solve")

    def run(self, fn: Callable[[Deadline], T]) -> T:
        from critmin.api.app import Busy, SolveTimeout

        if not self._slots.acquire(timeout=self.limits.queue_seconds):
            raise Busy(f"Every scenario slot ({self.limits.max_solves}) has been busy for "
                       f"{self.limits.queue_seconds:g} s; try again shortly.")
        deadline = Deadline(self.limits.solve_seconds)

        def job() -> T:
            try:
                return fn(deadline)
            finally:
                self._slots.release()

        try:
            future = self._pool.submit(job)
        except BaseException:
            self._slots.release()
            raise
        try:
            return future.result(timeout=self.limits.solve_seconds)
        except FutureTimeout:
            raise SolveTimeout(f"The scenario run took longer than its limit of "
                               f"{self.limits.solve_seconds:g} s; the server stopped waiting "
                               "for it. Run it with the CLI (`critmin scenario run FILE`), "
                               "or ask for fewer markets.") from None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
