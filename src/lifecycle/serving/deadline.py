"""Model calls with a deadline: the canary's, so a hung challenger cannot hold up a batch.

A few daemon threads take the calls; the request thread waits for each at most the deadline.
A call past it is not stopped (Python cannot stop a thread): it goes on using its thread and
some CPU, and its result is thrown away. While every thread is taken by such a call, new
calls are refused at once (None) rather than queued behind it, so a hung challenger costs the
records batched with it at most one deadline per thread, then nothing until a thread is free.
Daemon threads, not a ThreadPoolExecutor: its threads are joined at interpreter exit, and a
hung call would then keep the worker from ever exiting.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
Job = tuple[Future[T], Callable[[], T]]


class Deadline(Generic[T]):
    """`threads` daemon threads running calls that the caller waits for at most `seconds`."""

    def __init__(self, seconds: float, threads: int = 2, name: str = "deadline") -> None:
        self.seconds = seconds
        self._free = threading.Semaphore(threads)  # released when a call ends, however late
        self._jobs: queue.SimpleQueue[Job[T] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[[], T]) -> Future[T] | None:
        """Start `fn` on a free thread; None when every thread is still busy (a late call)."""
        if not self._free.acquire(blocking=False):
            return None
        future: Future[T] = Future()
        self._jobs.put((future, fn))
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn = job
            try:
                future.set_result(fn())
            except BaseException as err:  # the caller sees it, as if it had called fn itself
                future.set_exception(err)
            finally:
                self._free.release()

    def close(self) -> None:
        """Let the threads end once their current call returns (a hung one is not waited for)."""
        for _ in self._threads:
            self._jobs.put(None)
