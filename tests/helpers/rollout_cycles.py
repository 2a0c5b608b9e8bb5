"""Switch aliases again and again until killed: `python -m tests.helpers.rollout_cycles STATE MODE`.

Each cycle registers a version and records it as waiting in shadow (as the promote stage does
with gate.live.required), then: MODE promote: the live gate promotes it on clear evidence;
MODE refuse: the live gate refuses it; MODE canary: its canary is rolled back. The test kills
this process at a random instant and checks what the registry and the promotion log were left
with.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lifecycle.evidence import Comparison
from lifecycle.params import GateParams
from lifecycle.registry import WAITING, Decision, current, record
from lifecycle.rollout import decide_live, roll_back_canary
from lifecycle.settings import Settings
from lifecycle.tracking import configure

NAME = "cycles"
BETTER = Comparison("mae", 100.0, 80.0, 0.2, 0.1, 0.3, 0.9, 0.05, 500, 20, True)
WORSE = Comparison("mae", 100.0, 120.0, -0.2, -0.3, -0.1, 0.9, 0.05, 500, 20, True)
GATE = GateParams(metric="mae", margin=0.02, live={"required": True, "min_rows": 10})


def new_version(client: Any, tags: dict[str, str]) -> str:
    """A registered version with no artifacts: aliases and tags are all this needs."""
    return str(client.create_model_version(NAME, "file:///nowhere", tags=tags).version)


def wait_in_shadow(client: Any, log: Path) -> str:
    """A new version that passed offline and waits as challenger, recorded as promote does."""
    version = new_version(client, {})
    champion = current(client, NAME)
    kept = str(champion.version) if champion else None
    record(client, Decision(WAITING, NAME, version, "cycle", kept, kept), log)
    return version


def cycle(client: Any, mode: str, log: Path) -> None:
    """One full rollout in the given mode."""
    version = wait_in_shadow(client, log)
    if mode == "canary":
        roll_back_canary(client, NAME, version, "cycle", log)
    else:
        decide_live(client, NAME, BETTER if mode == "promote" else WORSE, GATE, log)


def main(state: str, mode: str) -> None:
    """Cycle until killed; print `ready` once the imports and the registry are up."""
    settings = Settings(LIFECYCLE_STATE_DIR=Path(state), mlflow_tracking_uri=None)
    client = configure(settings)
    print("ready", flush=True)
    while True:
        cycle(client, mode, settings.promotion_log)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
