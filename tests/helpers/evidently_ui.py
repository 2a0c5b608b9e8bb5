"""A real Evidently UI service for tests, and a small snapshot to add to it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lifecycle.serving import process


@contextmanager
def evidently_ui(tmp: Path) -> Iterator[str]:
    """`evidently ui` on a free localhost port with its own workspace under `tmp`; its URL."""
    port = process.free_port()
    cmd = [sys.executable, "-m", "evidently.cli", "ui", "--workspace", str(tmp / "workspace")]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with process.running(cmd, {}, f"{url}/api/version", tmp / "evidently-ui.out"):
        yield url


def small_snapshot(seed: int = 0) -> Any:
    """A drift report of two small seeded frames (a fraction of a second to run)."""
    import numpy as np
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    rng = np.random.default_rng(seed)
    reference = pd.DataFrame({"temp": rng.normal(10, 3, 200), "hum": rng.uniform(0, 1, 200)})
    current = pd.DataFrame({"temp": rng.normal(20, 3, 200), "hum": rng.uniform(0, 1, 200)})
    return Report([DataDriftPreset()]).run(current, reference)
