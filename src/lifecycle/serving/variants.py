"""Which variant answers, per worker: the registry's `challenger` under params.yaml `rollout`.

- shadow: the challenger also predicts every record the champion answered, on a background
  thread (serving.shadow); the client always gets the champion's answer, byte for byte.
- canary: `canary_share` of the client keys are answered by the challenger (serving.canary says
  which). Its call runs on a thread of its own (serving.deadline) while the request thread
  runs the champion's on the other records; a canary call that raises, answers malformed
  (answers.check_outputs) or is not done within `guardrails.max_canary_seconds` is answered
  by the champion instead, and counted as an error. The cost: a thread handoff per canary
  call, and for a hung canary up to that deadline for the records batched with it.
- guardrails: a canary that breaks one is stopped in this worker at once, and rolled back in
  the registry (lifecycle.rollout.roll_back_canary, on a thread: never on the request path).

A built Bento holds no challenger: there, all of this is off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial

import numpy as np

from lifecycle.params import RolloutParams
from lifecycle.prediction_log import PredictionLog
from lifecycle.serving.answers import Answer, Outputs, answers, call, check_outputs, merge
from lifecycle.serving.batch import Batch, packed_rows
from lifecycle.serving.canary import Breach, Guardrails, canary_rows, waited
from lifecycle.serving.challenger import Challenger, ChallengerSource
from lifecycle.serving.champion import Champion
from lifecycle.serving.deadline import Deadline
from lifecycle.serving.prometheus import ServingMetrics
from lifecycle.serving.schemas import RolloutState, Variant
from lifecycle.serving.shadow import Shadow

log = logging.getLogger("lifecycle.serving")
RollBack = Callable[[str, str], object]  # (version, reason): remove the alias, log why
Done = tuple[Outputs, float]  # a canary call's checked outputs, and perf_counter() when done


def respond(
    model: Champion,
    batch: Batch,
    out: Outputs,
    variant: Variant,
    to: PredictionLog,
    metrics: ServingMetrics,
) -> list[Answer]:
    """Count, log (queued) and answer one model call's records."""
    info = model.info
    metrics.served(info.name, info.version, out.values, probability=bool(model.classes))
    to.append([packed_rows(batch, out.listed, info, out.labels, variant)])
    return answers(model, batch, out, variant)


class Rollout:
    """The challenger of one worker: followed, shadowed, canaried, and stopped if it breaks."""

    def __init__(
        self,
        params: RolloutParams,
        challenger: Challenger | None,
        log_to: PredictionLog,
        metrics: ServingMetrics,
        roll_back: RollBack | None = None,
        off: str = "",
    ) -> None:
        """`off`: why there is no `challenger` to follow (rollout off, or a built Bento)."""
        self.params, self.challenger, self.log, self.metrics = params, challenger, log_to, metrics
        self.off = off
        self.shadow = Shadow(log_to, metrics) if challenger and params.shadow else None
        self.guardrails = Guardrails(params.guardrails)
        self.roll_back, self.stopped = roll_back, ""  # the version this worker stopped
        self._lock = threading.Lock()  # two batches may break a guardrail at once: stop once
        self._threads: list[threading.Thread] = []
        seconds = params.guardrails.max_canary_seconds
        on = challenger is not None and params.canary_share > 0
        self._deadline: Deadline[Done] | None = Deadline(seconds, name="canary") if on else None

    def follow(self, champion: Champion) -> None:
        """Re-read the `challenger` alias (called on every registry check of the champion)."""
        if self.challenger is None:
            return
        try:
            self.challenger.follow(champion)
        except Exception as err:  # the registry hiccupped: keep what we hold, the champion serves
            held = self.challenger.current
            kept = f"v{held.info.version}" if held else "none"
            log.warning("challenger check failed, keeping challenger %s: %r", kept, err)

    def active(self, champion: Champion) -> Champion | None:
        """The challenger to use for a batch of `champion`, or None (the usual, cheap case)."""
        held = self.challenger.current if self.challenger else None
        if held is None or held.info.version == champion.info.version:
            return None
        return held

    def share(self, challenger: Champion) -> float:
        """The canary share for this challenger now (0 once this worker stopped it)."""
        return 0.0 if challenger.info.version == self.stopped else self.params.canary_share

    def predict(self, champion: Champion, challenger: Champion, batch: Batch) -> list[Answer]:
        """Answer a batch with the champion and (canary) the challenger; shadow the rest.

        The canary's records go to its thread first; the champion answers the others
        meanwhile; then the canary's answers are awaited (at most the deadline)."""
        size, share = len(batch.stamps), self.share(challenger)
        chosen = canary_rows(batch, share) if share > 0 and self._deadline else np.empty(0, "int64")
        if not len(chosen):
            return self._champion(champion, challenger, batch, judged=share > 0)
        sub = batch if len(chosen) == size else batch.take(chosen)
        started = time.perf_counter()
        assert self._deadline is not None  # chosen only when there is a canary
        pending = self._deadline.submit(partial(_canary_call, challenger, sub, champion.classes))
        parts: list[tuple[np.ndarray, list[Answer]]] = []
        if len(chosen) < size:
            rest = np.setdiff1d(np.arange(size), chosen)
            parts.append((rest, self._champion(champion, challenger, batch.take(rest), True)))
        found = self._canary(challenger, sub, pending, started)
        if found is None:  # it failed: the champion answers these records too (not judged:
            found = self._champion(champion, challenger, sub, judged=False)  # they waited)
        parts.append((chosen, found))
        return parts[0][1] if len(parts) == 1 else merge(parts, size)

    def _champion(
        self, champion: Champion, challenger: Champion, batch: Batch, judged: bool
    ) -> list[Answer]:
        """The champion's answers, shadowed; `judged`: the canary's latency is judged
        against these records'."""
        out = call(champion, batch)
        if judged:
            self.guardrails.champion(waited(batch, time.perf_counter()))
        found = respond(champion, batch, out, "champion", self.log, self.metrics)
        if self.shadow is not None:
            self.shadow.submit(challenger, batch)
        return found

    def _canary(
        self, challenger: Champion, batch: Batch, pending: Future[Done] | None, started: float
    ) -> list[Answer] | None:
        """The challenger's answers, or None when it failed (counted, guardrails told)."""
        version = challenger.info.version
        assert self._deadline is not None
        try:
            if pending is None:
                raise TimeoutError("every canary thread is still running a late call")
            left = self._deadline.seconds - (time.perf_counter() - started)
            out, done = pending.result(timeout=max(left, 0.0))
        except Exception as err:  # a failing canary must not fail a request
            self.metrics.canary.labels("fallback").inc(len(batch.stamps))
            log.debug("canary v%s failed, the champion answers: %r", version, err)
            self._judged(challenger, self.guardrails.canary(version, None))
            return None
        self._judged(challenger, self.guardrails.canary(version, waited(batch, done)))
        self.metrics.canary.labels("answered").inc(len(batch.stamps))
        return respond(challenger, batch, out, "canary", self.log, self.metrics)

    def _judged(self, challenger: Champion, breach: Breach | None) -> None:
        version = challenger.info.version
        if breach is None:
            return
        with self._lock:  # check and set at once: one count, one rollback thread per version
            if version == self.stopped:
                return
            self.stopped = version  # this worker's safe fallback, at once: the champion answers
        self.metrics.rollbacks.labels(breach.guardrail).inc()
        log.warning("canary v%s stopped in this worker: %s", version, breach.reason)
        if self.roll_back is not None:
            thread = threading.Thread(
                target=self._roll_back, args=(version, breach.reason), name="canary-rollback"
            )
            thread.start()
            self._threads.append(thread)

    def _roll_back(self, version: str, reason: str) -> None:
        """Remove the alias in the registry (another worker may have done it: that is fine)."""
        assert self.roll_back is not None
        try:
            done = self.roll_back(version, reason)
        except Exception as err:  # the registry is down: the worker has stopped it anyway
            log.error("canary v%s: rollback in the registry failed: %r", version, err)
            return
        said = "rolled back in the registry" if done else "already rolled back (alias moved)"
        log.warning("canary v%s %s", version, said)

    def state(self, champion: Champion) -> RolloutState:
        """What GET /model says about the challenger in this worker."""
        held = self.active(champion)
        if held is None:
            detail = self.challenger.detail if self.challenger else self.off
            return RolloutState(detail=detail)
        share = self.share(held)
        stopped = "; canary stopped by a guardrail" if share == 0 < self.params.canary_share else ""
        return RolloutState(
            challenger=held.info.version,
            shadow=self.shadow is not None,
            canary_share=share,
            detail=f"challenger v{held.info.version}{stopped}",
        )

    def close(self) -> None:
        """Finish the queued shadow calls and any rollback in progress."""
        if self.shadow is not None:
            self.shadow.close()
        if self._deadline is not None:
            self._deadline.close()
        for thread in self._threads:
            thread.join(30)


def _canary_call(challenger: Champion, batch: Batch, classes: tuple[int, ...]) -> Done:
    """The canary's model call (on a deadline thread): outputs checked, and when it was done."""
    out = check_outputs(call(challenger, batch), len(batch.stamps), classes)
    return out, time.perf_counter()


def start_rollout(
    params: RolloutParams, source: object, log_to: PredictionLog, metrics: ServingMetrics
) -> Rollout:
    """The worker's rollout: off unless params ask for it and the source names a challenger."""
    if not params.shadow and params.canary_share == 0:
        off = "rollout off in params.yaml (shadow: false, canary_share: 0)"
        return Rollout(params, None, log_to, metrics, off=off)
    if not isinstance(source, ChallengerSource):
        off = f"shadow and canary off: the {type(source).__name__} holds no challenger"
        log.info("%s (they follow the registry's alias: serve from the registry)", off)
        return Rollout(params, None, log_to, metrics, off=off)
    roll_back = getattr(source, "roll_back", None)
    return Rollout(params, Challenger(source, metrics), log_to, metrics, roll_back)
