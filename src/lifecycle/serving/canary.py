"""The canary: which records the challenger answers, and the guardrails that stop it.

Sticky per client key (serving.client_key says which key): blake2b of the key, read as a
number in [0, 1), below `canary_share` -> canary. A stable hash, not Python's `hash()`, which
is salted per process: every worker and every restart must put a key on the same side, and
raising the share only adds keys to the canary, never moves one back.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from typing import NamedTuple

import numpy as np

from lifecycle.params import GuardrailParams
from lifecycle.serving.batch import Batch

WINDOW_CALLS = 1000  # the error rate: the newest this many canary model calls
# The latency guardrail compares records, not model calls: the newest this many of each variant.
WINDOW_RECORDS = 5000
MIN_CHAMPION_RECORDS = 20  # fewer champion records than this: no latency comparison yet


def bucket(key: str) -> float:
    """The key's stable place in [0, 1) (the same in every process, run and version)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def record_key(batch: Batch, at: int) -> str:
    """The key record `at` is sticky to: the client key, else its row key, else its request."""
    stamp = batch.stamps[at]
    return stamp.client or batch.keys[at] or stamp.request_id


def canary_rows(batch: Batch, share: float) -> np.ndarray:
    """Positions of the records the challenger answers (ints, in order)."""
    # The keys of one request are usually one client key: hash each distinct key once.
    seen: dict[str, bool] = {}
    chosen = []
    for at in range(len(batch.stamps)):
        key = record_key(batch, at)
        if key not in seen:
            seen[key] = bucket(key) < share
        if seen[key]:
            chosen.append(at)
    return np.asarray(chosen, dtype="int64")


class Breach(NamedTuple):
    """A broken guardrail: which one (the rollback counter's label), and the numbers in words."""

    guardrail: str  # error_rate | p99_ratio
    reason: str


def _p99(seconds: deque[float]) -> float:
    return float(np.percentile(np.fromiter(seconds, dtype="float64"), 99))


def waited(batch: Batch, done: float) -> list[float]:
    """Seconds each record of `batch` waited, from its request's parsing to `done` (when its
    variant's model call returned: its answer was ready), perf_counter() like Stamp.received."""
    return [done - stamp.received for stamp in batch.stamps]


class Guardrails:
    """Error rate of the canary's model calls, and p99 latency of its records against the
    champion's records in this worker, over rolling windows; judged once `min_requests`
    canary calls are in.

    Latency per record, as each record saw it (Stamp.received to its variant's answer), not
    per model call: a call's time grows with its records, and the canary's calls hold
    `canary_share` of each batch, the champion's the rest, so per call the comparison would
    mostly measure the share. Per record, each record counts once, whichever variant answered
    it. Both variants' records share the wait for their batch (BentoML's queue, parsing), so a
    slow canary shows somewhat diluted: max_p99_ratio judges what the clients saw."""

    def __init__(self, params: GuardrailParams) -> None:
        self.params = params
        self._lock = threading.Lock()  # BentoML may run two batches at once in one worker
        self._errors: deque[bool] = deque(maxlen=WINDOW_CALLS)  # per canary call: True: failed
        self._canary: deque[float] = deque(maxlen=WINDOW_RECORDS)  # seconds per record
        self._champion: deque[float] = deque(maxlen=WINDOW_RECORDS)
        self._version, self._calls = "", 0

    def champion(self, seconds: list[float]) -> None:
        """Record the latencies of one champion call's records."""
        with self._lock:
            self._champion.extend(seconds)

    def canary(self, version: str, seconds: list[float] | None) -> Breach | None:
        """Record one call of canary `version`: its records' latencies, or None when it failed
        (raised, timed out, answered malformed); a broken guardrail, or None. A new version
        starts from empty windows."""
        with self._lock:
            if version != self._version:
                self._errors.clear()
                self._canary.clear()
                self._version, self._calls = version, 0
            self._errors.append(seconds is None)
            self._canary.extend(seconds or ())
            self._calls += 1
            return self._judge() if self._calls >= self.params.min_requests else None

    def _judge(self) -> Breach | None:
        errors = sum(self._errors) / len(self._errors)
        if errors > self.params.max_error_rate:
            return Breach(
                "error_rate",
                f"error rate {errors:.1%} of the last {len(self._errors)} canary calls "
                f"> max_error_rate {self.params.max_error_rate:.1%}",
            )
        if len(self._canary) < self.params.min_requests:
            return None
        if len(self._champion) < MIN_CHAMPION_RECORDS:
            return None
        canary, champion = _p99(self._canary), _p99(self._champion)
        if champion > 0 and canary / champion > self.params.max_p99_ratio:
            return Breach(
                "p99_ratio",
                f"canary p99 {canary * 1000:.1f} ms is {canary / champion:.1f}x the champion's "
                f"{champion * 1000:.1f} ms per record > max_p99_ratio "
                f"{self.params.max_p99_ratio:g}",
            )
        return None
