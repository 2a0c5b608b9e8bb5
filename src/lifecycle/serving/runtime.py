"""What one service process holds and does: the served model, the prediction log, the metrics.

serving/service.py is a thin BentoML shell around `Runtime`; tests drive `Runtime` directly.
"""

from __future__ import annotations

import gc
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.params import RolloutParams, load_params
from lifecycle.prediction_log import PredictionLog
from lifecycle.serving.answers import call
from lifecycle.serving.batch import Batch, to_batch
from lifecycle.serving.champion import Champion, ModelSource, ServedModel
from lifecycle.serving.fleet import Fleet, Follower
from lifecycle.serving.prometheus import LogGauges, ServedInfo, ServingMetrics, serving_metrics
from lifecycle.serving.schemas import (
    ClassPrediction,
    ModelInfo,
    Prediction,
    RecordBase,
    ReloadResult,
)
from lifecycle.serving.variants import Rollout, respond, start_rollout
from lifecycle.serving.vocabulary import Vocabulary
from lifecycle.settings import Settings

if TYPE_CHECKING:
    from pydantic import SecretStr


@dataclass(frozen=True)
class ServiceConfig:
    """What the service needs from the project: the dataset definition and the model's name."""

    spec: DatasetSpec
    model_name: str
    rollout: RolloutParams = field(default_factory=RolloutParams)


def service_config(settings: Settings) -> ServiceConfig:
    """Read params.yaml and the dataset definition from the project root."""
    root = Path(settings.project_root)
    params = load_params(root / "params.yaml")
    spec = load_spec(root / params.data.dataset)
    return ServiceConfig(spec, params.registry.model_name, params.rollout)


def _fleet(settings: Settings, worker: int | None) -> Fleet | None:
    """The reload folder shared with the other workers of this server, if there are any."""
    if settings.model_source == "bento" or worker is None or settings.serve_workers < 2:
        return None  # a Bento's model never moves; in-process or alone: nobody to tell
    # Every worker's parent is the one `bentoml serve` process: its pid names this server.
    return Fleet.open(settings.state, os.getppid(), settings.serve_workers, worker)


class AdminRefused(Exception):
    """The admin endpoint refuses: `status` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def check_admin(token: SecretStr | None, authorization: str | None) -> None:
    """Allow only `Authorization: Bearer <LIFECYCLE_ADMIN_TOKEN>`; no token set: no admin."""
    if token is None or not token.get_secret_value():
        raise AdminRefused(403, "admin endpoints are off: set LIFECYCLE_ADMIN_TOKEN to enable")
    scheme, _, given = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise AdminRefused(401, "missing or wrong token: send Authorization: Bearer <token>")


class Refreeze:
    """A follower of the registry checks: gc.freeze() again once a check loaded a model.

    A hot load (a new champion, or challenger) is as long-lived as the first: frozen like it,
    the collector does not rescan it. The cost: objects of the model it replaced that sit in
    reference cycles are frozen too, never collected (refcounting frees the rest), a little
    memory per swap; gc.collect() first would free them but pause every request in flight."""

    def __init__(self, served: ServedModel, rollout: Rollout) -> None:
        self.served, self.rollout = served, rollout
        self.seen = self.loaded()

    def loaded(self) -> tuple[str, str | None]:
        """The versions held now: the champion's, and the challenger's (None: none)."""
        held = self.rollout.challenger.current if self.rollout.challenger else None
        return self.served.current.info.version, held.info.version if held else None

    def __call__(self, champion: Champion) -> None:
        """After each check (ServedModel.refresh): freeze if what is held changed."""
        now = self.loaded()
        if now != self.seen:
            gc.freeze()
            self.seen = now


@dataclass
class Runtime:
    """The served model, the prediction log and the metrics of one service process."""

    spec: DatasetSpec
    served: ServedModel
    follower: Follower
    log: PredictionLog
    metrics: ServingMetrics
    threads: Any  # threadpoolctl limiter, undone by close()
    rollout: Rollout
    gauges: LogGauges  # the log's backlog and written rows on /metrics

    @classmethod
    def start(
        cls,
        settings: Settings,
        spec: DatasetSpec,
        source: ModelSource,
        worker: int | None = None,
        vocabulary: Vocabulary | None = None,
        params: RolloutParams | None = None,
    ) -> Runtime:
        """Load the model, open the log, and start following the registry.

        `worker`: this process's number (1..N) under `bentoml serve`; None in-process.
        `vocabulary`: the request model's check of `unseen: refuse` columns (schemas.record_model),
        pointed here at whichever champion is served at each request.
        `params`: params.yaml's `rollout` (shadow, canary, guardrails); None: all off."""
        from threadpoolctl import threadpool_limits

        metrics = serving_metrics()
        fleet = _fleet(settings, worker)
        seen = fleet.requested() if fleet else 0  # before loading: later requests still count
        served = ServedModel(source, metrics.reload)
        if vocabulary is not None:
            vocabulary.follow(lambda: served.current.vocabulary)
        # One thread per model call: batches are small, and OpenMP's spinning threads fight
        # the HTTP work for the same cores (HGB predicted ~10x slower on a busy 2-core machine).
        threads = threadpool_limits(limits=1)
        log = PredictionLog(settings.prediction_log)
        rollout = start_rollout(params or RolloutParams(), source, log, metrics)
        rollout.follow(served.current)  # before the follower's thread: one check at a time
        # Everything loaded so far (libraries, the champion and challenger: ~500k objects)
        # lives about as long as the process; frozen, the garbage collector stops rescanning
        # it. Unfrozen, a full collection took ~300 ms here, a pause every request in flight
        # waits for: it made the p99. A model loaded later is frozen in turn (Refreeze).
        gc.freeze()
        served.followers += [
            rollout.follow,
            Refreeze(served, rollout),
            ServedInfo(metrics, served.current),
        ]
        seconds = 0 if settings.model_source == "bento" else settings.reload_seconds
        follower = Follower(served, fleet, seconds, seen).start()
        gauges = LogGauges(log, metrics).start()
        return cls(spec, served, follower, log, metrics, threads, rollout, gauges)

    def reload(self, timeout: float) -> ReloadResult:
        """Have every worker check the registry now; answer when all of them have (FleetTimeout
        after `timeout` seconds)."""
        fleet = self.follower.fleet
        generation = fleet.request() if fleet else 0  # first: the others load while we do
        result = self.served.refresh()
        if fleet is None:
            return result
        fleet.confirm(generation, self.served.current.info.version)  # checked after the request
        return result.model_copy(update={"workers": fleet.wait(generation, timeout)})

    def predict(self, records: Sequence[RecordBase]) -> list[Prediction] | list[ClassPrediction]:
        """Predict a batch (records of one or many requests), and log it. The champion answers,
        or for canary keys the challenger (serving.variants)."""
        return self.predict_batch(to_batch(records, self.spec))

    def predict_batch(self, batch: Batch) -> list[Prediction] | list[ClassPrediction]:
        """Predict and log records already laid out as columns (POST /predict_columns)."""
        champion = self.served.current  # read once: a hot swap cannot split this batch
        challenger = self.rollout.active(champion)
        if challenger is not None:
            return self.rollout.predict(champion, challenger, batch)  # type: ignore[return-value]
        out = call(champion, batch)
        return respond(champion, batch, out, "champion", self.log, self.metrics)  # type: ignore[return-value]

    def model_info(self) -> ModelInfo:
        """GET /model: the champion's lineage, and what this worker does with the challenger."""
        champion = self.served.current
        return champion.info.model_copy(update={"rollout": self.rollout.state(champion)})

    def close(self) -> None:
        """Stop polling and write every queued log row (graceful shutdown)."""
        self.follower.stop()
        # The rollout first: its shadow rows go to the prediction log (still open), and a
        # rollback in progress writes the registry and the promotion log.
        self.rollout.close()
        self.log.close()
        self.gauges.stop()  # after the log's close: the last update reads what it wrote
        self.threads.restore_original_limits()
        gc.unfreeze()
