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
from tests.helpers.rollout_cycles import BETTER, NAME, new_version, wait_in_shadow

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


def _logged_champion(settings: Settings) -> str:
    """The champion the promotion log says there is: the last move's champion_after."""
    moves = [d for d in _log_lines(settings) if d["action"] in ("promote", "rollback")]
    moves = [d for d in moves if d["stage"] != "canary"]
    return str(moves[-1]["champion_after"]) if moves else "1"


@pytest.mark.parametrize("mode", ["promote", "refuse", "canary"])
def test_a_killed_switch_leaves_registry_and_log_in_agreement(tmp_path: Path, mode: str) -> None:
    client, settings = _registry(tmp_path / "state")
    rng = random.Random(7)
    for _ in range(3):  # three kills at random instants inside the cycles
        _kill_while_cycling(tmp_path / "state", mode, rng.uniform(0.3, 1.5))
        champion = current(client, NAME, CHAMPION)
        assert champion is not None  # never without a champion
        if mode != "promote":
            assert champion.version == 1  # refusals and canary rollbacks never move it
        reconcile(client, NAME, settings.promotion_log)
        # Every champion move has its log line, and no logged move is lost.
        assert str(current(client, NAME, CHAMPION).version) == _logged_champion(settings)
        challenger, last = current(client, NAME, CHALLENGER), _log_lines(settings)[-1]
        if challenger is not None:  # only a version that really waits, and as the log says
            assert challenger.tags["gate.action"] == "shadow" != challenger.version
            assert last["action"] == "shadow" and str(challenger.version) == last["version"]
        else:
            assert last["action"] != "shadow"


def test_a_waiting_challenger_is_promoted_on_live_evidence(tmp_path: Path) -> None:
    from lifecycle.params import GateParams
    from lifecycle.rollout import decide_live

    client, settings = _registry(tmp_path / "state")
    gate = GateParams(metric="mae", margin=0.02, live={"required": True, "min_rows": 10})
    waiting = wait_in_shadow(client, settings.promotion_log)
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


def test_reconcile_finishes_a_promotion_killed_before_its_alias_moved(tmp_path: Path) -> None:
    from lifecycle.registry import Decision, append_log

    client, settings = _registry(tmp_path / "state")
    waiting = wait_in_shadow(client, settings.promotion_log)
    promote = Decision("promote", NAME, waiting, "live: better", "1", waiting, stage="live")
    append_log(settings.promotion_log, promote)  # logged, then killed before tags and alias
    assert reconcile(client, NAME, settings.promotion_log) == [
        f"finished the logged promote of v{waiting}"
    ]
    assert current(client, NAME, CHAMPION).version == int(waiting)
    assert current(client, NAME, CHALLENGER) is None  # a champion is no one's challenger
    assert client.get_model_version(NAME, waiting).tags["previous_champion"] == "1"
    assert reconcile(client, NAME, settings.promotion_log) == []  # nothing left to do


def test_reconcile_leaves_an_alias_moved_by_hand_alone(tmp_path: Path) -> None:
    client, settings = _registry(tmp_path / "state")
    waiting = wait_in_shadow(client, settings.promotion_log)
    other = new_version(client, {"gate.action": "promote"})
    client.set_registered_model_alias(NAME, CHAMPION, other)  # someone, in the MLflow UI
    reconcile(client, NAME, settings.promotion_log)
    assert current(client, NAME, CHAMPION).version == int(other)
    assert current(client, NAME, CHALLENGER).version == int(waiting)
