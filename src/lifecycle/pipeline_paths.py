"""The files the DVC pipeline hands on, read from dvc.yaml's `vars: paths` (named once, there)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

PIPELINE = "dvc.yaml"


class PipelinePaths(BaseModel):
    """The pipeline's hand-over files that code outside the stages reads, relative to the repo."""

    # Other keys of `paths` are the stages' business (dvc.yaml passes them on the command line).
    model_config = ConfigDict(frozen=True, extra="ignore")

    metrics: Path  # evaluate: every candidate's validation and test scores
    decision: Path  # promote: the gate's decision of the last run


def pipeline_paths(root: Path = Path()) -> PipelinePaths:
    """The paths of dvc.yaml in `root`, made relative to `root` (so they work from anywhere)."""
    pipeline = root / PIPELINE
    if not pipeline.is_file():
        raise FileNotFoundError(f"{pipeline} not found: run this from the project's root folder")
    raw = yaml.safe_load(pipeline.read_text()) or {}
    paths = [entry["paths"] for entry in raw.get("vars", []) if "paths" in entry]
    if len(paths) != 1:
        raise LookupError(f"{pipeline} must define its files once, under `vars: - paths:`")
    found = PipelinePaths.model_validate(paths[0])
    return found.model_copy(update={k: root / v for k, v in found.model_dump().items()})
