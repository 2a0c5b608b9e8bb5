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

WINDOW_CALLS = 1000  # the guardrails judge the newest this many model calls of each variant
MIN_CHAMPION_CALLS = 20  # fewer champion calls than this: no latency comparison yet


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


class Guardrails:
    """Error rate and p99 latency of the canary's model calls against the champion's calls
    in this worker, over a rolling window; judged once `min_requests` canary calls are in."""

    def __init__(self, params: GuardrailParams) -> None:
        self.params = params
        self._lock = threading.Lock()  # BentoML may run two batches at once in one worker
        self._canary: deque[float] = deque(maxlen=WINDOW_CALLS)  # seconds; inf: it raised
        self._champion: deque[float] = deque(maxlen=WINDOW_CALLS)
        self._version, self._calls = "", 0

    def champion(self, seconds: float) -> None:
        """Record one champion model call."""
        with self._lock:
            self._champion.append(seconds)

    def canary(self, version: str, seconds: float | None) -> Breach | None:
        """Record one call of canary `version` (seconds None: it raised); a broken guardrail,
        or None. A new version starts from an empty window."""
        with self._lock:
            if version != self._version:
                self._canary.clear()
                self._version, self._calls = version, 0
            self._canary.append(float("inf") if seconds is None else seconds)
            self._calls += 1
            return self._judge() if self._calls >= self.params.min_requests else None

    def _judge(self) -> Breach | None:
        window = self._canary
        ok = deque(s for s in window if s != float("inf"))
        errors = (len(window) - len(ok)) / len(window)
        if errors > self.params.max_error_rate:
            return Breach(
                "error_rate",
                f"error rate {errors:.1%} of the last {len(window)} canary calls "
                f"> max_error_rate {self.params.max_error_rate:.1%}",
            )
        if len(ok) < self.params.min_requests or len(self._champion) < MIN_CHAMPION_CALLS:
            return None
        canary, champion = _p99(ok), _p99(self._champion)
        if champion > 0 and canary / champion > self.params.max_p99_ratio:
            return Breach(
                "p99_ratio",
                f"canary p99 {canary * 1000:.1f} ms is {canary / champion:.1f}x the champion's "
                f"{champion * 1000:.1f} ms > max_p99_ratio {self.params.max_p99_ratio:g}",
            )
        return None
