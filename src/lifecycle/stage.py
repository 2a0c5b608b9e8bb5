"""What every pipeline entry point shares: load params once, read/write files, fail cleanly."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from lifecycle.data import NotEnoughData
from lifecycle.dataset import DatasetSpec, SourceError, load_spec
from lifecycle.params import Params, ParamsError, check_task, load_params
from lifecycle.settings import Settings, get_settings, quiet_telemetry


class StageFailed(RuntimeError):
    """A stage refuses to go on; the message says why and what to fix."""


# Errors that are the user's to fix: print the message, not a traceback.
EXPECTED = (
    ParamsError,
    StageFailed,
    NotEnoughData,
    ValidationError,
    FileNotFoundError,
    SourceError,
)


@dataclass(frozen=True)
class Context:
    """Params, dataset definition and settings, validated once at the start of a stage."""

    params: Params
    spec: DatasetSpec
    settings: Settings


def context(params_path: str | Path = "params.yaml") -> Context:
    """Load and validate everything a stage needs before it does any work."""
    quiet_telemetry()
    params = load_params(params_path)
    spec = load_spec(params.data.dataset)
    check_task(params, spec.task)  # e.g. gate.metric must be a metric of the dataset's task
    return Context(params=params, spec=spec, settings=get_settings())


def run(name: str, main: Callable[[], None]) -> None:
    """Run a stage's main(), turning expected errors into a clear message and exit code 1."""
    print(f"[{name}] start", flush=True)
    try:
        main()
    except EXPECTED as err:
        print(f"[{name}] FAILED: {err}", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"[{name}] done", flush=True)


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a Parquet file written by an earlier stage."""
    return pd.read_parquet(path)


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a frame as Parquet, creating the folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)


def write_json(obj: Any, path: str | Path) -> None:
    """Write pretty, key-sorted JSON (stable bytes, so DVC sees no spurious change)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
