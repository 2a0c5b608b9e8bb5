"""Run one stage script and write down when it starts its own work: its first read of an input.

    python -m benchmarks.first_work MARK_FILE pipelines/train.py --train ... --val ...

Every stage starts its work by reading its input through `lifecycle.files.read_frame` (or, for
`ingest`, `lifecycle.source.read_source`), after its imports, its params and, for the stages
that log, opening MLflow's store. This wraps those two functions before the script imports
them, and the first call writes `time.time()` to MARK_FILE; the script then runs unchanged.
benchmarks.stage_startup spawns this and takes the mark minus the spawn time: the issue's
"process start to first line of its own work".
"""

from __future__ import annotations

import functools
import runpy
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def marking(function: Callable[..., Any], mark: Path) -> Callable[..., Any]:
    """`function`, writing the wall-clock time to `mark` on its first call (only the first)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not mark.exists():
            mark.write_text(repr(time.time()))
        return function(*args, **kwargs)

    return wrapper


def main(argv: list[str]) -> None:
    """Wrap the input readers, then run the stage script as `python SCRIPT ARGS` would."""
    mark, script, *args = argv
    import lifecycle.files
    import lifecycle.source

    lifecycle.files.read_frame = marking(lifecycle.files.read_frame, Path(mark))
    lifecycle.source.read_source = marking(lifecycle.source.read_source, Path(mark))
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")  # the script's sys.exit(code) passes through


if __name__ == "__main__":
    main(sys.argv[1:])
