"""Shadow predictions: the challenger predicts what the champion answered, off the answer path.

The request thread only puts (challenger, batch) on a bounded queue, without waiting; one
background thread per worker predicts and logs. When the challenger is slower than the traffic
the queue fills and new batches are dropped and counted, never waited for: a slow, raising or
missing challenger cannot change the champion's answer, status or latency (beyond the put, and
the CPU the shadow thread takes: see benchmarks/serving_shadow.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from lifecycle.prediction_log import PredictionLog
from lifecycle.serving.answers import call
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
        self._thread = threading.Thread(target=self._loop, name="shadow", daemon=True)
        self._thread.start()

    def submit(self, challenger: Champion, batch: Batch) -> None:
        """Queue a batch for the challenger, or drop it (counted) when the queue is full."""
        try:
            self._queue.put_nowait((challenger, batch))
        except queue.Full:
            self.metrics.shadow.labels("dropped").inc(len(batch.stamps))

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            self._predict(*item)

    def _predict(self, challenger: Champion, batch: Batch) -> None:
        """One shadow call; any failure is counted and logged, the thread goes on."""
        start = time.perf_counter()
        try:
            out = call(challenger, batch)
        except Exception as err:  # the challenger's failure is evidence, never an outage
            self.metrics.shadow.labels("failed").inc(len(batch.stamps))
            self._warn(challenger, err)
            return
        seconds = time.perf_counter() - start
        self.log.append(shadow_rows(batch, out.listed, challenger.info, seconds, out.labels))
        self.metrics.shadow.labels("predicted").inc(len(batch.stamps))

    def _warn(self, challenger: Champion, err: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY_SECONDS:
            self._warned = now
            version = challenger.info.version
            log.warning("shadow challenger v%s failed (answers unchanged): %r", version, err)

    def close(self, timeout: float = 30.0) -> None:
        """Predict what is queued, then stop (before the log closes, so its rows are written)."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:  # a stuck challenger: its queued shadow rows are lost, not the answers
            log.warning("shadow queue still full after %g s: stopping without it", timeout)
            return
        self._thread.join(timeout)
