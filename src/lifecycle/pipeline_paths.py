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
    validation_report: Path  # validate: every rule and what broke it


def pipeline_paths(root: Path = Path()) -> PipelinePaths:
    """The paths of dvc.yaml in `root`, made relative to `root` (so they work from anywhere)."""
    raw = yaml.safe_load((root / PIPELINE).read_text())
    [paths] = [entry["paths"] for entry in raw.get("vars", []) if "paths" in entry]
    found = PipelinePaths.model_validate(paths)
    return found.model_copy(update={k: root / v for k, v in found.model_dump().items()})
