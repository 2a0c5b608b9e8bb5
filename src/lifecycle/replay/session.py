"""One whole replay with one policy: a fresh working repository and its first champion, a real
`bentoml serve` on it, and the months played; the reports are rewritten after every month."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.entry import StageFailed
from lifecycle.params import ReplayParams
from lifecycle.replay.loop import World, play
from lifecycle.replay.policy import POLICY_PARAMS
from lifecycle.replay.scoring import ReplayTerms
from lifecycle.replay.timeline import Month
from lifecycle.replay.timeline_page import publish_timeline
from lifecycle.replay.workrepo import WorkRepo
from lifecycle.serving import process


@dataclass
class TimelineWriter:
    """Collects the months as they are played and rewrites the timeline reports after each."""

    out: Path
    meta: dict[str, Any]
    clock: float  # time.perf_counter() when the replay began
    terms: ReplayTerms  # what the months are scored by
    months: list[Month] = field(default_factory=list)

    def add(self, month: Month) -> None:
        """Record one month and publish the timeline so far (a Ctrl-C loses nothing played)."""
        self.months.append(month)
        self.meta["seconds"] = round(time.perf_counter() - self.clock)  # set-up included
        self.meta["load_average"] = [round(n, 2) for n in os.getloadavg()]  # 1, 5, 15 min
        publish_timeline(self.months, self.meta, self.out, self.terms)


def first_champion(root: Path, replay: ReplayParams, work: Path) -> WorkRepo:
    """A fresh working repository of the project at `work`, with data to `replay.start`, the
    params its policy sets, and its first champion trained by `dvc repro` (and committed)."""
    shutil.rmtree(work, ignore_errors=True)
    repo = WorkRepo.create(root, work)
    if changes := POLICY_PARAMS.get(replay.policy):
        repo.set_params(changes)  # e.g. shadow: gate.live.required and rollout.shadow true
    repo.set_as_of(replay.start)
    first = repo.repro()
    if not first.ok:
        raise StageFailed(f"the first champion could not be trained:\n{first.stderr[-2000:]}")
    repo.commit(f"first champion, data to {replay.start}")
    return repo


def run_policy(root: Path, replay: ReplayParams, work: Path, out: Path) -> list[Month]:
    """Play every month of `replay` (its policy decides when to retrain); return the months."""
    clock = time.perf_counter()  # the timeline's seconds include the first champion
    repo = first_champion(root, replay, work)
    world = World.open(repo, out.resolve() / "monitoring")  # reports people read: under out
    meta = {
        "policy": replay.policy,
        "work_repo": str(repo.path),
        "gate_confidence": world.params.gate.confidence,  # of each promotion's hindsight
    }
    span = {"start": str(replay.start), "end": str(replay.end)}
    writer = TimelineWriter(out, meta | span, clock, world.terms)
    env = {
        "LIFECYCLE_STATE_DIR": str(world.settings.state),
        "MLFLOW_TRACKING_URI": world.settings.tracking_uri,  # the working repo's own registry
        "LIFECYCLE_RELOAD_SECONDS": "0",  # the loop redeploys explicitly via /admin/reload
    }
    print(f"[replay:{replay.policy}] starting bentoml serve ...", flush=True)
    server = process.start(repo.path, repo.path / "state/server.out", env)
    try:
        play(world, server, replay, writer.add)
    finally:  # also on Ctrl-C: the months played so far are already in the reports
        server.stop()  # SIGTERM: the service flushes its prediction log before exiting
    return writer.months
