"""Delayed work: the freepublish jobs that finish after a while, and callback deliveries.

One timer thread keeps a heap of due times; due work runs on a small pool so a slow callback
receiver never delays another account's job.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class Scheduler:
    """`call_later(delay, fn, *args)` on one timer thread; `stop()` drops whatever is still pending."""

    def __init__(self, workers: int = 8) -> None:
        self._heap: list[tuple[float, int, Callable, tuple]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-job")
        self._thread = threading.Thread(target=self._run, name="sandbox-timer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def call_later(self, delay: float, fn: Callable, *args) -> None:
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(delay, 0.0), next(self._seq), fn, args))
            self._cond.notify()

    def submit(self, fn: Callable, *args) -> None:
        """Run `fn` on the pool now (callback deliveries)."""
        with self._cond:
            if self._stopped:
                return
            self._pool.submit(self._guarded, fn, args)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, fn, args = heapq.heappop(self._heap)
                self._pool.submit(self._guarded, fn, args)

    @staticmethod
    def _guarded(fn: Callable, args: tuple) -> None:
        try:
            fn(*args)
        except Exception:  # a failing job must not kill the pool thread; the log says what broke
            log.exception("sandbox job %s failed", getattr(fn, "__name__", fn))
