"""A bounded worker pool for CPU-bound pipeline calls (per-model locks live in chatocr.pipeline).

Admission is decided up front: at most `workers + max_queue` jobs are admitted (running or
waiting); the next caller gets `Busy` at once, with a Retry-After estimate, instead of piling up.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class Busy(Exception):
    """The queue is full; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"the server is busy; retry after {retry_after} s")
        self.retry_after = retry_after


class JobTimeout(Exception):
    """A job did not finish within the per-request limit."""


class JobCancelled(Exception):
    """Raised inside a job whose caller has gone (deadline passed or client left): its work stops."""


def _libc_trim():
    """glibc's malloc_trim, or None elsewhere. Decoded pages and OCR buffers are freed into the
    worker thread's malloc arena, which keeps them (GBs after a large document) unless trimmed."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    return trim


_TRIM = _libc_trim()


def release_memory() -> None:
    """Give freed heap memory back to the system (RSS returns to its value before the job)."""
    if _TRIM is not None:
        _TRIM(0)


class WorkPool:
    def __init__(self, workers: int = 2, max_queue: int = 8):
        if workers < 1 or max_queue < 0:
            raise ValueError("workers must be >= 1 and max_queue >= 0")
        self.workers = workers
        self.capacity = workers + max_queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chatocr-worker")
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self.peak = 0
        self.completed = 0
        self.rejected = 0
        self._avg_s = 5.0  # moving average of job duration, seeds the Retry-After estimate

    def stats(self) -> dict[str, float]:
        with self._lock:
            return {
                "workers": self.workers,
                "capacity": self.capacity,
                "admitted": self._admitted,
                "running": self._running,
                "queued": self._admitted - self._running,
                "peak": self.peak,
                "completed": self.completed,
                "rejected": self.rejected,
                "avg_job_s": round(self._avg_s, 3),
            }

    def retry_after(self) -> int:
        with self._lock:
            waves = self._admitted / self.workers
            return max(1, min(120, math.ceil(waves * self._avg_s)))

    async def run(
        self, fn: Callable[[], Any], timeout: float | None = None, cancel: threading.Event | None = None
    ) -> Any:
        """Run `fn` on a worker thread; `Busy` when the queue is full, `JobTimeout` past `timeout`.
        `cancel` is set when the caller stops waiting (timeout, or the caller's task cancelled), so
        `fn` can stop at its next check (JobCancelled)."""
        with self._lock:
            if self._admitted >= self.capacity:
                self.rejected += 1
                full = True
            else:
                self._admitted += 1
                self.peak = max(self.peak, self._admitted)
                full = False
        if full:
            raise Busy(self.retry_after())

        abandoned = cancel if cancel is not None else threading.Event()

        def job():
            if abandoned.is_set():  # the caller gave up while this job waited in the queue
                return None
            with self._lock:
                self._running += 1
            t0 = time.perf_counter()
            try:
                return fn()
            finally:
                release_memory()
                dt = time.perf_counter() - t0
                with self._lock:
                    self._running -= 1
                    self._avg_s = 0.8 * self._avg_s + 0.2 * dt

        def release(_fut):
            with self._lock:
                self._admitted -= 1
                self.completed += 1

        fut = self._executor.submit(job)
        # The slot is freed when the work really ends, not when the caller stops waiting, so a
        # timed-out job still counts against the bound until its thread is done.
        fut.add_done_callback(release)
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            abandoned.set()
            fut.cancel()
            raise JobTimeout(f"processing took longer than the limit of {timeout:g} s") from None
        except asyncio.CancelledError:  # client went away
            abandoned.set()
            fut.cancel()
            raise

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
