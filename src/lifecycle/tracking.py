"""MLflow tracking: where runs go, how a candidate is logged, and the lineage tags on it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from lifecycle.metrics import AnyScores
from lifecycle.settings import Settings, quiet_telemetry

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from sklearn.pipeline import Pipeline

# Types that are not plain scikit-learn/numpy, reviewed and allowed through skops (MLflow's
# safe sklearn format). Trust only what you have read: our own classes and two functions,
# and the tree structure inside HistGradientBoosting.
TRUSTED_TYPES = [
    "lifecycle.features.CalendarFeatures",
    "lifecycle.features.OpenCategories",
    "lifecycle.mlp.TorchMLPRegressor",
    "lifecycle.mlp.TorchMLPClassifier",
    "lifecycle.target.clip_log1p",
    "lifecycle.target.clip_expm1",
    # The same two functions under the names models registered before they moved refer to.
    "lifecycle.models._clip_log1p",
    "lifecycle.models._clip_expm1",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "numpy.dtype",  # SimpleImputer keeps the dtype it was fitted on (tables with gaps)
]


# scikit-learn's array-API adapter for torch. Importing it imports all of torch (~2.6 s here).
TORCH_SHIM = "sklearn.externals.array_api_compat.torch"

REFERENCE_DIR = "reference"  # run artifact folder holding the model's training snapshot


def _requirements() -> list[str]:
    """Explicit pip requirements (inferring them costs ~19 s per model in a subprocess)."""
    from importlib.metadata import version

    pkgs = ["scikit-learn", "numpy", "pandas", "skops", "tqdm", "pyyaml"]
    return [f"{p}=={version(p)}" for p in pkgs]


def configure(settings: Settings) -> MlflowClient:
    """Point MLflow at the configured store and make sure the experiment exists."""
    quiet_telemetry()
    import mlflow

    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    if mlflow.get_experiment_by_name(settings.experiment_name) is None:
        mlflow.create_experiment(settings.experiment_name, artifact_location=settings.artifact_root)
    mlflow.set_experiment(settings.experiment_name)
    return mlflow.MlflowClient()


def git_commit(root: Path = Path(".")) -> str:
    """The current git commit, with `-dirty` when tracked files have uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "HEAD") or "unknown"
    # dvc.lock is rewritten by `dvc repro` between stages: it does not make the code dirty.
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!dvc.lock")
    return f"{commit}-dirty" if dirty else commit


def data_hashes(paths: list[Path], lock: Path = Path("dvc.lock")) -> dict[str, str]:
    """MD5 of each data file, as recorded in dvc.lock (the file's own MD5 if not there yet)."""
    recorded: dict[str, str] = {}
    if lock.exists():
        stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
        for stage in stages.values():
            for entry in [*stage.get("deps", []), *stage.get("outs", [])]:
                recorded[entry["path"]] = entry.get("md5", "")
    out = {}
    for path in paths:
        key = path.as_posix()
        out[key] = recorded.get(key) or hashlib.md5(path.read_bytes()).hexdigest()
    return out


def lineage(as_of: dt.date, files: list[Path]) -> dict[str, str]:
    """Tags that tie a run or a model version to its code and data: commit, as_of, file MD5s."""
    tags = {"git_commit": git_commit(), "data.as_of": str(as_of)}
    tags |= {f"data.md5.{Path(path).name}": md5 for path, md5 in data_hashes(files).items()}
    return tags


@dataclass(frozen=True)
class LoggedModel:
    """Where a logged candidate lives in MLflow, and how it scored on validation."""

    name: str
    run_id: str
    model_uri: str
    val: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, for the train stage's hand-over file."""
        return asdict(self)


def read_candidates(path: Path) -> list[LoggedModel]:
    """Read the train stage's hand-over file."""
    return [LoggedModel(**entry) for entry in json.loads(path.read_text())["candidates"]]


def log_candidate(
    name: str,
    model: Pipeline,
    example: pd.DataFrame,
    params: dict[str, Any],
    val: AnyScores,
    tags: dict[str, str],
    reference: Path,
) -> LoggedModel:
    """Log one fitted candidate as its own MLflow run: params, metrics, tags and the model.

    `reference` (the training rows) is stored with the run as `reference/<file>`, so that
    monitoring can compare live traffic with the exact data this model learned from.
    """
    import mlflow
    from mlflow.models import infer_signature

    code = Path(__file__).parent  # ship our package with the model so it loads anywhere
    without_torch_shim()  # a table without the MLP candidate never needs torch
    with mlflow.start_run(run_name=name, tags={"candidate": name, **tags}) as run:
        mlflow.log_params(params)
        mlflow.log_metrics({f"val_{k}": v for k, v in val.as_dict().items()})
        mlflow.log_artifact(str(reference), artifact_path=REFERENCE_DIR)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict(example)),
            input_example=example.head(5),
            pip_requirements=_requirements(),
            code_paths=[str(code)],
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
            skops_trusted_types=TRUSTED_TYPES,
        )
    return LoggedModel(name, run.info.run_id, info.model_uri, val.as_dict())


def without_torch_shim() -> None:
    """Keep skops's import from importing torch in a process that has not imported it.

    skops builds its list of trusted types at import by walking every scikit-learn package
    (`sklearn.utils.all_estimators`); the walk imports sklearn's array-API adapter for torch,
    which imports torch, though no model here needs it to load or predict (the MLP predicts in
    numpy). A None entry in sys.modules makes that one import fail, and the walk skips it.
    Only sklearn's array-API dispatch (off by default, unused here) would need the adapter.
    """
    if "torch" not in sys.modules:
        sys.modules.setdefault(TORCH_SHIM, None)  # type: ignore[arg-type]


def load_model(model_uri: str) -> Pipeline:
    """Load a logged candidate back as its scikit-learn pipeline."""
    without_torch_shim()
    import mlflow.sklearn

    return mlflow.sklearn.load_model(model_uri)


def log_test_metrics(run_id: str, scores: dict[str, float]) -> None:
    """Add test-window metrics to an existing candidate run."""
    from mlflow import MlflowClient

    client = MlflowClient()
    for key, value in scores.items():
        client.log_metric(run_id, f"test_{key}", value)


def download_reference(run_id: str, dest: Path) -> Path:
    """Download the training snapshot logged with a run; returns the Parquet file's path."""
    import mlflow

    folder = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=REFERENCE_DIR, dst_path=str(dest)
        )
    )
    return next(folder.glob("*.parquet"))
