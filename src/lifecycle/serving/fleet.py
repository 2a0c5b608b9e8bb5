"""Keep every worker process of one service on the same champion.

`bentoml serve` runs LIFECYCLE_SERVE_WORKERS processes behind one port, and an HTTP request
reaches only one of them. So `POST /admin/reload` does not stop at the worker that got it: it
writes a reload request (a generation number) into a folder all workers of this server watch,
`<state>/serving/server-<pid>/` (pid: the `bentoml serve` process they share). Each worker looks
at that file a few times a second; when the number grows it checks the registry and then writes
its own answer file: the generation it has handled and the version it serves. The endpoint
answers once every worker has answered, so a 200 means the whole service serves the new champion.

Plain files, not a broker: the workers share a disk and nothing else, and `ls` shows the state.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lifecycle.serving.champion import ServedModel

log = logging.getLogger("lifecycle.serving")
REQUEST = "reload-request"
WATCH_SECONDS = 0.2  # how often a worker looks for a reload request (one small read)
RETRY_SECONDS = 5.0  # after a failed registry check, before the next try


class FleetTimeout(Exception):
    """Some workers did not confirm a reload in time."""


@dataclass(frozen=True)
class Fleet:
    """The reload folder of one service, seen from worker `me` (1..workers)."""

    folder: Path
    workers: int
    me: int

    @classmethod
    def open(cls, state: Path, server: int, workers: int, me: int) -> Fleet:
        """The folder of the server process `server` (its pid), created if needed."""
        folder = state / "serving" / f"server-{server}"
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder, workers, me)

    def leave(self) -> None:
        """Remove this worker's answer at shutdown; the last worker out removes the folder."""
        with contextlib.suppress(FileNotFoundError):
            (self.folder / f"worker-{self.me}.json").unlink()
        if not any(self.folder.glob("worker-*.json")):
            with contextlib.suppress(OSError):  # another worker may still be writing
                (self.folder / REQUEST).unlink(missing_ok=True)
                self.folder.rmdir()

    def request(self) -> int:
        """Ask every worker to check the registry; returns the request's generation."""
        generation = time.time_ns()  # grows across restarts, so old answer files never count
        _write(self.folder / REQUEST, str(generation))
        return generation

    def requested(self) -> int:
        """The newest reload request's generation (0: none yet)."""
        try:
            return int((self.folder / REQUEST).read_text())
        except (FileNotFoundError, ValueError):  # ValueError: never half-written, but be safe
            return 0

    def confirm(self, generation: int, version: str) -> None:
        """Record that this worker handled `generation` and now serves `version`."""
        answer = {"generation": generation, "version": version, "pid": os.getpid()}
        _write(self.folder / f"worker-{self.me}.json", json.dumps(answer))

    def answers(self) -> dict[int, dict[str, int | str]]:
        """Each worker's last answer, by worker number (missing: it never answered)."""
        found = {}
        for worker in range(1, self.workers + 1):
            path = self.folder / f"worker-{worker}.json"
            try:
                found[worker] = json.loads(path.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                continue
        return found

    def wait(self, generation: int, timeout: float) -> dict[str, str]:
        """Wait until every worker handled `generation`; returns worker -> version served."""
        deadline = time.monotonic() + timeout
        while True:
            answers = self.answers()
            done = {w: a for w, a in answers.items() if int(a["generation"]) >= generation}
            if len(done) == self.workers:
                return {str(w): str(a["version"]) for w, a in sorted(done.items())}
            if time.monotonic() > deadline:
                late = sorted(set(range(1, self.workers + 1)) - set(done))
                raise FleetTimeout(f"workers {late} did not confirm the reload in {timeout:g} s")
            time.sleep(WATCH_SECONDS / 4)


def _write(path: Path, text: str) -> None:
    """Replace `path` atomically: a reader sees the old text or the new, never half of it."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_text(text)
    os.replace(partial, path)


class Follower:
    """Keeps one worker's model current: the registry every `seconds` (0: never), and every
    reload request of the fleet within WATCH_SECONDS."""

    def __init__(
        self, served: ServedModel, fleet: Fleet | None, seconds: float, seen: int = 0
    ) -> None:
        """`seen`: the newest reload request read *before* `served` loaded its model."""
        self.served, self.fleet, self.seconds = served, fleet, seconds
        self.handled = seen  # a request written while the model loaded is still ahead of this
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="champion-follower", daemon=True)
        if fleet is not None:
            fleet.confirm(seen, served.current.info.version)

    def start(self) -> Follower:
        """Start following in a background thread (nothing to follow: no thread)."""
        if self.fleet is not None or self.seconds > 0:
            self._thread.start()
        return self

    def _loop(self) -> None:
        next_check = time.monotonic() + self.seconds
        while not self._stop.wait(WATCH_SECONDS if self.fleet else self.seconds):
            wanted = self.fleet.requested() if self.fleet else 0
            due = self.seconds > 0 and time.monotonic() >= next_check
            if wanted <= self.handled and not due:
                continue
            if not self._check():
                self._stop.wait(RETRY_SECONDS)  # the registry is down: do not hammer it
            elif self.fleet and wanted > self.handled:
                self.fleet.confirm(wanted, self.served.current.info.version)
                self.handled = wanted
            next_check = time.monotonic() + self.seconds

    def _check(self) -> bool:
        """One registry check; False (and still serving) if the registry could not be read."""
        try:
            self.served.refresh()
            return True
        except Exception as err:  # a registry hiccup must never stop serving
            version = self.served.current.info.version
            log.warning("registry check failed, still serving v%s: %s", version, err)
            self.served.on_outcome("failed")
            return False

    def stop(self) -> None:
        """Stop following (waits for a check in progress) and leave the fleet."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.fleet is not None:
            self.fleet.leave()
