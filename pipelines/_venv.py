"""Run a stage with the project's Python, even when `dvc` was started as `.venv/bin/dvc`.

DVC runs each stage's `cmd` in a shell, so its `python` is whatever comes first on PATH. Typed
without activating the venv, `.venv/bin/dvc repro` (or a CI step that puts another Python
first) gets a Python that cannot import lifecycle. The stage scripts call `rerun_with_venv`
when their first import fails: with the project's `.venv` present the stage runs again with
its Python (same arguments, same folder), otherwise it stops and says what to do.

Standard library only: it runs before anything the venv provides.
"""

import os
import sys
from pathlib import Path
from typing import NoReturn

VENV = Path(__file__).resolve().parents[1] / ".venv"  # the Makefile's VENV


def rerun_with_venv(missing: ModuleNotFoundError) -> NoReturn:
    """Run this script again with .venv/bin/python, or exit with what to do instead."""
    python = VENV / "bin" / "python"
    # sys.prefix is the venv folder when the venv's Python runs: never re-run it (no loop).
    if python.exists() and Path(sys.prefix).resolve() != VENV.resolve():
        print(
            f"note: {sys.executable} cannot import {missing.name!r}; running this stage with "
            f"{python} (activate the venv, or use `make repro`, and this note goes away)",
            file=sys.stderr,
            flush=True,
        )
        os.execv(python, [str(python), *sys.argv])
    raise SystemExit(
        f"error: {sys.executable} cannot import {missing.name!r}, so this stage cannot run.\n"
        f"Run `make setup` once (it creates {VENV}), then `make repro`; or activate the\n"
        f"environment lifecycle is installed in before `dvc repro`."
    )
