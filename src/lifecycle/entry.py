"""What every entry point shares: params, dataset and settings loaded once; a clean failure."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from lifecycle.dataset import DatasetSpec, load_spec
from lifecycle.params import Params, ParamsError, check_params_task, load_params
from lifecycle.settings import Settings, get_settings, quiet_telemetry
from lifecycle.source import SourceError
from lifecycle.store import StoreUnavailable


class StageFailed(RuntimeError):
    """A stage refuses to go on; the message says why and what to fix."""


# Errors that are the user's to fix: print the message, not a traceback.
EXPECTED = (
    ParamsError,
    StageFailed,
    ValidationError,
    FileNotFoundError,
    SourceError,
    StoreUnavailable,  # a database we cannot reach or log in to: the message names the setting
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
    check_params_task(params, spec.task)  # e.g. gate.metric must be a metric of the dataset's task
    return Context(params=params, spec=spec, settings=get_settings())


def run(
    name: str,
    main: Callable[[list[str] | None], int],
    argv: list[str] | None = None,
    *,
    banner: bool = True,
) -> int:
    """Call main(argv) and return its exit code; an expected error is a message and exit code 1.

    With the banner (stages): `[name] start` first, `[name] done` after exit code 0, and a
    failure reads `[name] FAILED: <message>`. Without it (commands whose stdout is data, like
    `monitor --json`): no start/done lines, and a failure reads `name: <message>`. Either way
    the message goes to stderr, and argparse's own exits (--help 0, bad arguments 2) pass through.
    """
    if banner:
        print(f"[{name}] start", flush=True)
    try:
        code = main(argv)
    except EXPECTED as err:
        prefix = f"[{name}] FAILED" if banner else name
        print(f"{prefix}: {err}", file=sys.stderr, flush=True)
        return 1
    if banner and code == 0:
        print(f"[{name}] done", flush=True)
    return code
