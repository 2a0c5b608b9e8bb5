"""The reference of a served model: its training snapshot, with its own predictions on it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.monitoring.frames import LABEL, PREDICTION, schema_problems
from lifecycle.predictions import model_classes, predict_outputs

if TYPE_CHECKING:
    from mlflow import MlflowClient


class ReferenceMissing(LookupError):
    """The served model or its reference data cannot be found or used."""


@dataclass(frozen=True)
class MonitoredModel:
    """The registry version that served a window, and how it scored on validation."""

    name: str
    version: str
    run_id: str
    validation: dict[str, float] = field(default_factory=dict)  # e.g. mae, log_loss (as logged)

    @property
    def uri(self) -> str:
        """The MLflow URI of exactly this version (not an alias that may have moved)."""
        return f"models:/{self.name}/{self.version}"


def monitored_model(client: MlflowClient, name: str, version: str) -> MonitoredModel:
    """Look a logged (name, version) up in the registry, with its run's validation metrics."""
    from mlflow.exceptions import MlflowException

    try:
        run_id = client.get_model_version(name, version).run_id
        metrics = client.get_run(run_id).data.metrics if run_id else {}
    except MlflowException as err:
        raise ReferenceMissing(
            f"model {name} v{version} (named in the prediction log) is not in the registry: "
            f"{err.message}"
        ) from None
    if not run_id:
        raise ReferenceMissing(f"model {name} v{version} has no training run to take data from")
    val = {k.removeprefix("val_"): v for k, v in metrics.items() if k.startswith("val_")}
    return MonitoredModel(name, str(version), run_id, val)


def reference_frame(model: MonitoredModel, spec: DatasetSpec, cache: Path) -> pd.DataFrame:
    """The model's training rows plus its predictions on them; cached per run under `cache`."""
    path = cache / f"{model.run_id}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    from mlflow.exceptions import MlflowException

    from lifecycle.tracking import download_reference, load_model

    with tempfile.TemporaryDirectory() as tmp:
        try:
            raw = pd.read_parquet(download_reference(model.run_id, Path(tmp)))
        except (MlflowException, OSError, StopIteration) as err:
            raise ReferenceMissing(
                f"run {model.run_id} of {model.name} v{model.version} has no reference data "
                "(models trained before the pipeline logged references have none): promote a "
                f"newly trained model, or start from a clean state (make clean demo). {err}"
            ) from None
    problems = schema_problems(raw, spec, f"reference data of {model.name} v{model.version}")
    if problems:
        raise ReferenceMissing("; ".join(problems))
    loaded = load_model(model.uri)
    out = predict_outputs(loaded, model_frame(raw, spec), model_classes(loaded))
    raw[PREDICTION] = out.prediction  # a classifier's: P(positive), as the service logs it
    if out.labels is not None:
        raw[LABEL] = out.labels
    cache.mkdir(parents=True, exist_ok=True)
    raw.to_parquet(path, index=False)
    return raw
