"""What one service process holds and does: the served model, the prediction log, the metrics.

serving/service.py is a thin BentoML shell around `Runtime`; tests drive `Runtime` directly.
"""

from __future__ import annotations

import gc
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.params import load_params
from lifecycle.prediction_log import PredictionLog
from lifecycle.predictions import predict_outputs
from lifecycle.serving.batch import Batch, log_rows, to_batch
from lifecycle.serving.champion import Champion, ModelSource, ServedModel
from lifecycle.serving.fleet import Fleet, Follower
from lifecycle.serving.prometheus import ServingMetrics, serving_metrics
from lifecycle.serving.schemas import ClassPrediction, Prediction, RecordBase, ReloadResult
from lifecycle.serving.vocabulary import Vocabulary
from lifecycle.settings import Settings

if TYPE_CHECKING:
    from pydantic import SecretStr


@dataclass(frozen=True)
class ServiceConfig:
    """What the service needs from the project: the dataset definition and the model's name."""

    spec: DatasetSpec
    model_name: str


def service_config(settings: Settings) -> ServiceConfig:
    """Read params.yaml and the dataset definition from the project root."""
    root = Path(settings.project_root)
    params = load_params(root / "params.yaml")
    return ServiceConfig(load_spec(root / params.data.dataset), params.registry.model_name)


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


@dataclass
class Runtime:
    """The served model, the prediction log and the metrics of one service process."""

    spec: DatasetSpec
    served: ServedModel
    follower: Follower
    log: PredictionLog
    metrics: ServingMetrics
    threads: Any  # threadpoolctl limiter, undone by close()

    @classmethod
    def start(
        cls,
        settings: Settings,
        spec: DatasetSpec,
        source: ModelSource,
        worker: int | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> Runtime:
        """Load the model, open the log, and start following the registry.

        `worker`: this process's number (1..N) under `bentoml serve`; None in-process.
        `vocabulary`: the request model's check of `unseen: refuse` columns (schemas.record_model),
        pointed here at whichever champion is served at each request."""
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
        # Everything loaded so far (libraries, the model: ~500k objects) lives as long as the
        # process; frozen, the garbage collector stops rescanning it. Unfrozen, a full collection
        # took ~300 ms here, a pause every request in flight waits for: it made the p99.
        gc.freeze()
        seconds = 0 if settings.model_source == "bento" else settings.reload_seconds
        follower = Follower(served, fleet, seconds, seen).start()
        log = PredictionLog(settings.prediction_log)
        return cls(spec, served, follower, log, metrics, threads)

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
        """Predict a batch (records of one or many requests) with one model, and log it."""
        champion = self.served.current  # read once: a hot swap cannot split this batch
        info, batch = champion.info, to_batch(records, self.spec)
        if champion.classes:
            return self.classify(champion, batch)
        fast = champion.fast  # the same model on numpy columns: no pandas on the request path
        found = fast.predict(batch.columns) if fast else champion.model.predict(batch.frame)
        values = np.asarray(found, dtype="float64")
        self.metrics.served(info.name, info.version, values)
        answers = values.tolist()
        self.log.append(log_rows(batch, answers, info))  # queued; a thread writes it
        return [
            Prediction(
                request_id=stamp.request_id,
                row=stamp.row,
                prediction=value,
                model_name=info.name,
                model_version=info.version,
            )
            for stamp, value in zip(batch.stamps, answers, strict=True)
        ]

    def classify(self, champion: Champion, batch: Batch) -> list[ClassPrediction]:
        """Each record's class and class probabilities; the log keeps the label and P(positive)."""
        info = champion.info
        fast = champion.fast  # as in predict: numpy columns when the fast path compiled
        model, rows = (fast, batch.columns) if fast else (champion.model, batch.frame)
        out = predict_outputs(model, rows, champion.classes)
        assert out.labels is not None and out.probabilities is not None  # a classifier's outputs
        self.metrics.served(info.name, info.version, out.prediction, probability=True)
        labels = out.labels.tolist()
        self.log.append(log_rows(batch, out.prediction.tolist(), info, labels))
        keys = [str(c) for c in champion.classes]
        return [
            ClassPrediction(
                request_id=stamp.request_id,
                row=stamp.row,
                label=label,
                probabilities=dict(zip(keys, probs, strict=True)),
                model_name=info.name,
                model_version=info.version,
            )
            for stamp, label, probs in zip(
                batch.stamps, labels, out.probabilities.tolist(), strict=True
            )
        ]

    def close(self) -> None:
        """Stop polling and write every queued log row (graceful shutdown)."""
        self.follower.stop()
        self.log.close()
        self.threads.restore_original_limits()
        gc.unfreeze()
