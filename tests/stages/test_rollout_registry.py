"""The live stages on a real MLflow registry: live promotion, canary rollback, and a process
killed in the middle of a switch leaving the aliases consistent."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lifecycle.registry import CHALLENGER, CHAMPION, current
from lifecycle.rollout import reconcile
from lifecycle.settings import Settings
from lifecycle.tracking import configure
from tests.helpers.imports import ROOT
from tests.helpers.rollout_cycles import BETTER, NAME, new_version

pytestmark = pytest.mark.slow


def _registry(state: Path) -> tuple[object, Settings]:
    settings = Settings(LIFECYCLE_STATE_DIR=state, mlflow_tracking_uri=None)
    client = configure(settings)
    client.create_registered_model(NAME)
    first = new_version(client, {"gate.action": "promote"})
    client.set_registered_model_alias(NAME, CHAMPION, first)
    return client, settings


def _kill_while_cycling(state: Path, mode: str, after: float) -> None:
    """Run the cycling process and SIGKILL it `after` seconds after it is ready."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.rollout_cycles", str(state), mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    time.sleep(after)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)


def _log_lines(settings: Settings) -> list[dict[str, object]]:
    return [json.loads(line) for line in settings.promotion_log.read_text().splitlines()]


@pytest.mark.parametrize("mode", ["canary", "promote"])
def test_a_killed_switch_leaves_the_aliases_consistent(tmp_path: Path, mode: str) -> None:
    client, settings = _registry(tmp_path / "state")
    rng = random.Random(7)
    for _ in range(3):  # three kills at random instants inside the cycles
        _kill_while_cycling(tmp_path / "state", mode, rng.uniform(0.3, 1.5))
        champion = current(client, NAME, CHAMPION)
        assert champion is not None  # never without a champion
        if mode == "canary":
            assert champion.version == 1  # a canary rollback never moves the champion
        reconcile(client, NAME)
        challenger = current(client, NAME, CHALLENGER)
        assert challenger is None or challenger.version != current(client, NAME, CHAMPION).version
        lines = _log_lines(settings)  # every line whole: one write per decision
        assert lines and all(
            d["stage"] == ("canary" if mode == "canary" else "live") for d in lines
        )
    if mode == "promote":  # every logged promotion really moved the champion at the time
        promoted = [int(str(d["version"])) for d in lines]
        assert current(client, NAME, CHAMPION).version >= promoted[-1]


def test_a_waiting_challenger_is_promoted_on_live_evidence(tmp_path: Path) -> None:
    from lifecycle.params import GateParams
    from lifecycle.rollout import decide_live

    client, settings = _registry(tmp_path / "state")
    gate = GateParams(metric="mae", margin=0.02, live={"required": True, "min_rows": 10})
    waiting = new_version(client, {"gate.action": "shadow"})
    client.set_registered_model_alias(NAME, CHALLENGER, waiting)
    assert decide_live(client, NAME, None, gate, settings.promotion_log) is None  # no rows yet
    decision = decide_live(client, NAME, BETTER, gate, settings.promotion_log)
    assert decision is not None and decision.action == "promote" and decision.stage == "live"
    assert current(client, NAME, CHAMPION).version == int(waiting)
    assert current(client, NAME, CHALLENGER) is None  # promoted: no longer shadowed
    tags = client.get_model_version(NAME, waiting).tags
    assert (
        tags["gate.live.evidence.rows"] == "500"
        and "is better" in tags["gate.live.evidence.verdict"]
    )
    assert decide_live(client, NAME, BETTER, gate, settings.promotion_log) is None  # none waits


def test_reconcile_finishes_a_promotion_killed_before_the_challenger_was_dropped(
    tmp_path: Path,
) -> None:
    client, _ = _registry(tmp_path / "state")
    half = new_version(client, {"gate.action": "promote"})
    client.set_registered_model_alias(NAME, CHAMPION, half)  # the commit point was reached ...
    client.set_registered_model_alias(NAME, CHALLENGER, half)  # ... the clean-up was not
    assert reconcile(client, NAME) == [f"v{half} was champion and challenger: challenger removed"]
    assert current(client, NAME, CHALLENGER) is None and reconcile(client, NAME) == []
