"""Shadow predictions: the challenger predicts what the champion answered, off the answer path.

The request thread only puts (challenger, batch) on a bounded queue, without waiting; one
background thread per worker predicts and logs. When the challenger is slower than the traffic
the queue fills and new batches are dropped and counted, never waited for: a slow, raising or
missing challenger cannot change the champion's answer, status or latency (beyond the put, and
the CPU the shadow thread takes: see benchmarks/serving_shadow.py). A malformed answer (wrong
length, NaN, unknown label: answers.check_outputs) is a failure like a raise, never a log row.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time

from lifecycle.prediction_log import PredictionLog
from lifecycle.serving.answers import call, check_outputs
from lifecycle.serving.batch import Batch, shadow_rows
from lifecycle.serving.champion import Champion
from lifecycle.serving.prometheus import ServingMetrics

log = logging.getLogger("lifecycle.serving")
# Batches waiting for the challenger. Under load a batch holds up to max_batch_size records,
# so the queue bounds memory (32 x 1,000 rows of numpy columns: a few MB) and the shadow's lag.
QUEUE_BATCHES = 32
WARN_EVERY_SECONDS = 60.0  # one log line per minute at most for a failing challenger


class Shadow:
    """One thread predicting queued batches with the challenger and logging them."""

    def __init__(self, log_to: PredictionLog, metrics: ServingMetrics) -> None:
        self.log, self.metrics = log_to, metrics
        self._queue: queue.Queue[tuple[Champion, Batch] | None] = queue.Queue(QUEUE_BATCHES)
        self._warned = 0.0
        # Set by close() when the thread did not finish in time: no more model calls or log
        # appends (the log is about to close). Appends check it under the lock close() sets it.
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="shadow", daemon=True)
        self._thread.start()

    def submit(self, challenger: Champion, batch: Batch) -> None:
        """Queue a batch for the challenger, or drop it (counted) when the queue is full."""
        try:
            self._queue.put_nowait((challenger, batch))
        except queue.Full:
            self.metrics.shadow.labels("dropped").inc(len(batch.stamps))

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None and not self._stopped.is_set():
            self._predict(*item)

    def _predict(self, challenger: Champion, batch: Batch) -> None:
        """One shadow call; any failure is counted and logged, the thread goes on."""
        size, start = len(batch.stamps), time.perf_counter()
        try:  # all of it: a malformed answer must not end the thread (nor a log row's build)
            out = check_outputs(call(challenger, batch), size, challenger.classes)
            seconds = time.perf_counter() - start
            rows = shadow_rows(batch, out.listed, challenger.info, seconds, out.labels)
        except Exception as err:  # the challenger's failure is evidence, never an outage
            self.metrics.shadow.labels("failed").inc(size)
            self._warn(challenger, err)
            return
        with self._lock:
            if self._stopped.is_set():  # close() gave up on us: the log may be closed
                self.metrics.shadow.labels("abandoned").inc(size)
                return
            self.log.append(rows)
        self.metrics.shadow.labels("predicted").inc(size)

    def _warn(self, challenger: Champion, err: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY_SECONDS:
            self._warned = now
            version = challenger.info.version
            log.warning("shadow challenger v%s failed (answers unchanged): %r", version, err)

    def close(self, timeout: float = 30.0) -> None:
        """Predict what is queued, then stop (before the log closes, so its rows are written).

        Not done within `timeout` (a slow or stuck challenger): the thread is told to stop,
        what is still queued is abandoned (counted, logged), and no row of it reaches the log
        after this returns."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(queue.Full):  # full: a stuck challenger, see below
            self._queue.put(None, timeout=timeout)
        self._thread.join(max(deadline - time.monotonic(), 0.0))
        if not self._thread.is_alive():
            return
        with self._lock:
            self._stopped.set()
        rows = self._abandon()
        # The thread's next get() ends it, once its late call returns (full: a submit raced
        # in, and the stop flag ends it anyway).
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self.metrics.shadow.labels("abandoned").inc(rows)
        log.warning(
            "shadow challenger not done after %g s: stopped, %d queued rows abandoned (the "
            "answers and their log rows are not affected)",
            timeout,
            rows,
        )

    def _abandon(self) -> int:
        """Empty the queue; the rows it held."""
        rows = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return rows
            if item is not None:
                rows += len(item[1].stamps)
