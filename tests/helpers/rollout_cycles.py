"""Switch aliases again and again until killed: `python -m tests.helpers.rollout_cycles STATE MODE`.

MODE canary: point `challenger` at a new version and roll the canary back, each cycle.
MODE promote: a new waiting challenger, promoted on clear live evidence, each cycle.
The test kills this process at a random instant and checks what the registry was left with.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lifecycle.evidence import Comparison
from lifecycle.params import GateParams
from lifecycle.registry import CHALLENGER
from lifecycle.rollout import WAITING, decide_live, roll_back_canary
from lifecycle.settings import Settings
from lifecycle.tracking import configure

NAME = "cycles"
BETTER = Comparison("mae", 100.0, 80.0, 0.2, 0.1, 0.3, 0.9, 0.05, 500, 20, True)


def new_version(client: object, tags: dict[str, str]) -> str:
    """A registered version with no artifacts: aliases and tags are all this needs."""
    return str(client.create_model_version(NAME, "file:///nowhere", tags=tags).version)  # type: ignore[attr-defined]


def cycle(client: object, mode: str, gate: GateParams, log: Path) -> None:
    """One full switch in the given mode."""
    if mode == "canary":
        version = new_version(client, {})
        client.set_registered_model_alias(NAME, CHALLENGER, version)  # type: ignore[attr-defined]
        roll_back_canary(client, NAME, version, "cycle", log)  # type: ignore[arg-type]
    else:
        version = new_version(client, {"gate.action": WAITING})
        client.set_registered_model_alias(NAME, CHALLENGER, version)  # type: ignore[attr-defined]
        decide_live(client, NAME, BETTER, gate, log)  # type: ignore[arg-type]


def main(state: str, mode: str) -> None:
    """Cycle until killed; print `ready` once the imports and the registry are up."""
    settings = Settings(LIFECYCLE_STATE_DIR=Path(state), mlflow_tracking_uri=None)
    client = configure(settings)
    gate = GateParams(metric="mae", margin=0.02, live={"required": True, "min_rows": 10})
    print("ready", flush=True)
    while True:
        cycle(client, mode, gate, settings.promotion_log)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
