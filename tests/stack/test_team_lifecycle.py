"""The lifecycle against the real team stack: PostgreSQL, S3 (moto), an MLflow server on them,
two replicas sharing one prediction log, Prometheus with the project's alert rules.

One clone and one stack for the module; the tests run in file order, each a step of a team's
day: register, serve, survive faults, promote, label, monitor, push the data.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from lifecycle import store
from lifecycle.dataset import EVENT_TIME, load_spec
from lifecycle.registry import CHAMPION
from lifecycle.serving.client import records_from_frame
from lifecycle.source import read_source
from lifecycle.stack.ports import any_free_port as free_port
from lifecycle.stack.replicas import Replica
from lifecycle.stack.team import Stack
from tests.helpers.clone import clone_with_params
from tests.helpers.fleet import (
    FleetTraffic,
    Sent,
    answered_rows,
    copy_tables,
    failed,
    logged_requests,
    logged_rows,
)
from tests.helpers.params import SHRUNKEN
from tests.helpers.stack import prometheus_api, start_stack, wait_for

pytestmark = pytest.mark.slow
MODEL = "bike-demand"
RELOAD_SECONDS = 2.0  # the replicas check the registry this often
WINDOW = ("2011-04-01", "2011-04-15")  # the traffic's event times: two weeks after data.as_of


@dataclass
class Team:
    """What the steps share: the clone, its stack, its replicas and every request sent."""

    repo: Path
    stack: Stack
    records: list[dict[str, Any]]
    replicas: list[Replica] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)  # every answered request, all steps
    bad: FleetTraffic | None = None  # rejected traffic for the alert

    @property
    def env(self) -> dict[str, str]:
        """The environment of a command run against the stack, from the clone."""
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        return {**os.environ, **self.stack.env(), "PATH": path}

    @property
    def urls(self) -> list[str]:
        """The replicas still running."""
        return [r.url for r in self.replicas if r.alive()]

    @property
    def log(self) -> str:
        """The shared prediction log (the stack's database)."""
        return self.stack.env()["LIFECYCLE_DATABASE_URL"]

    def run(
        self, *cmd: str, ok: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A command in the clone, against the stack (`env` on top)."""
        full = {**self.env, **(env or {})}
        done = subprocess.run(cmd, cwd=self.repo, env=full, capture_output=True, text=True)
        if ok:
            assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def traffic(self, seconds: float, per_replica: int = 3, batch: int = 1) -> list[Sent]:
        """Send traffic to every replica for `seconds`; the requests sent (kept)."""
        load = FleetTraffic(self.urls, self.records, per_replica, batch).start()
        time.sleep(seconds)
        sent = load.stop()
        self.sent += sent
        return sent


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    """A clone with shrunken params, the stack started from it, bad traffic stopped at the end."""
    tmp = tmp_path_factory.mktemp("team-lifecycle")
    repo = clone_with_params(tmp / "repo", "shrunken params for the team stack", **SHRUNKEN)
    stack = start_stack(tmp)
    stack.project_root = repo  # replicas serve from the clone (its params.yaml)
    try:
        yield Team(repo, stack, _records(repo))
    finally:
        stack.stop()


def _records(repo: Path) -> list[dict[str, Any]]:
    """Request records of the window's hours, from the clone's source table."""
    import yaml

    params = yaml.safe_load((repo / "params.yaml").read_text())
    spec = load_spec(repo / params["data"]["dataset"])
    frame = read_source(spec, repo)
    start, end = (pd.Timestamp(day) for day in WINDOW)
    rows = frame[(frame[EVENT_TIME] >= start) & (frame[EVENT_TIME] < end)]
    return records_from_frame(rows, spec)


def _client(team: Team) -> Any:
    from mlflow import MlflowClient

    # Both URIs: another test of the session may have set a global registry URI
    # (mlflow.set_registry_uri), which a client given only the tracking URI would follow.
    server = team.stack.env()["MLFLOW_TRACKING_URI"]
    return MlflowClient(tracking_uri=server, registry_uri=server)


def _champion(team: Team) -> str:
    return str(_client(team).get_model_version_by_alias(MODEL, CHAMPION).version)


def test_repro_registers_the_champion_on_the_server_with_artifacts_in_s3(team: Team) -> None:
    import boto3

    team.run("dvc", "repro")
    version = _client(team).get_model_version_by_alias(MODEL, CHAMPION)
    assert version.source.startswith(("models:/", "mlflow-artifacts:")), version.source
    env = team.stack.env()
    s3 = boto3.client(
        "s3",
        endpoint_url=env["MLFLOW_S3_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lifecycle").get("Contents", [])]
    assert any(k.endswith("model.skops") or "/model" in k for k in keys), keys[:20]
    registry_db = team.stack.components["postgres"].database_url("mlflow")
    with store.engine(registry_db).connect() as c:
        names = c.execute(sa.text("SELECT name FROM registered_models")).scalars().all()
    assert MODEL in names  # the registry's metadata is in PostgreSQL


def test_two_replicas_share_one_prediction_log(team: Team) -> None:
    env = {"LIFECYCLE_RELOAD_SECONDS": str(RELOAD_SECONDS)}
    team.replicas = team.stack.start_replicas(2, reload_seconds=RELOAD_SECONDS, env=env)
    sent = team.traffic(6)
    assert not failed(sent)
    assert {s.replica for s in sent} == {0, 1}  # traffic spread over both
    _all_logged(team)


def _all_logged(team: Team) -> None:
    """Every answered record is in the shared log exactly once (waits for the writers)."""
    want = answered_rows(team.sent)

    def done() -> tuple[int, int] | None:
        rows, distinct = logged_rows(team.log)
        return (rows, distinct) if rows >= want else None

    rows, distinct = wait_for(done, seconds=90)
    assert rows == distinct == want


def test_postgres_stopped_for_10_s_loses_no_logged_row(team: Team) -> None:
    bad = [{**team.records[0], "hum": 1.7}]  # refused by the service: 400, humidity over 1
    team.bad = FleetTraffic(team.urls, bad, per_replica=1).start()  # for the alert test below
    load = FleetTraffic(team.urls, team.records, per_replica=3).start()
    time.sleep(2)
    team.stack.stop_component("postgres")
    time.sleep(10)
    team.stack.start_component("postgres")
    time.sleep(3)
    sent = load.stop()
    team.sent += sent
    assert not failed(sent), failed(sent)[:5]  # serving went on
    _all_logged(team)  # held while the database was down, written after: none lost, none twice


def test_a_promotion_through_the_server_moves_both_replicas(team: Team) -> None:
    client, before = _client(team), _champion(team)
    current = client.get_model_version(MODEL, before)
    model_id = current.model_id or str(current.source).removeprefix("models:/")
    twin = client.create_model_version(
        MODEL, str(current.source), current.run_id, model_id=model_id
    )  # the same model again: what matters here is that the alias moves
    load = FleetTraffic(team.urls, team.records, per_replica=2).start()
    try:
        moved = time.monotonic()
        client.set_registered_model_alias(MODEL, CHAMPION, str(twin.version))
        switched = wait_for(lambda: _all_on(load, str(twin.version), moved), seconds=90)
    finally:
        sent = load.stop()
        team.sent += sent
    assert not failed(sent)
    print(f"replicas on v{twin.version} after {switched:.1f} s (reload every {RELOAD_SECONDS} s)")


def _all_on(load: FleetTraffic, version: str, since: float) -> float | None:
    """Seconds after `since` by which every replica answers with `version` (None: not yet)."""
    sent = [s for s in load.snapshot() if s.at > since]
    firsts = []
    for replica in {s.replica for s in load.snapshot()}:
        mine = [s for s in sent if s.replica == replica]
        old = [s.at for s in mine if s.version != version]
        new = [s.at for s in mine if s.version == version and s.at > max(old, default=since)]
        if not new:
            return None
        firsts.append(min(new) - since)
    return max(firsts) if firsts else None


def test_mlflow_down_replicas_keep_serving_and_reload_resumes(team: Team) -> None:
    serving = _champion(team)
    team.stack.stop_component("mlflow")
    sent = team.traffic(8)
    assert not failed(sent)  # the model they hold
    for url in team.urls:
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    team.stack.start_component("mlflow")
    client = _client(team)
    older = min(int(v.version) for v in client.search_model_versions(f"name='{MODEL}'"))
    assert str(older) != serving
    load = FleetTraffic(team.urls, team.records, per_replica=2).start()
    try:
        moved = time.monotonic()
        client.set_registered_model_alias(MODEL, CHAMPION, str(older))
        wait_for(lambda: _all_on(load, str(older), moved), seconds=120)
    finally:
        sent = load.stop()
        team.sent += sent
    assert not failed(sent)


def test_rejected_traffic_fires_the_alert(team: Team) -> None:
    assert team.bad is not None

    def firing() -> list[dict[str, Any]]:
        alerts = prometheus_api(team.stack, "/api/v1/alerts")["alerts"]
        return [
            a for a in alerts
            if a["labels"]["alertname"] == "LifecycleRequestsRejected" and a["state"] == "firing"
        ]  # fmt: skip

    alerts = wait_for(firing, seconds=120, every=1)
    team.bad.stop()
    assert all(s.status == 400 for s in team.bad.snapshot())
    assert {a["labels"].get("reason") for a in alerts} - {None}


def test_labels_and_monitoring_give_the_same_decision_as_on_sqlite(team: Team) -> None:
    _all_logged(team)  # every row written: both runs read the same rows
    window = ["--start", WINDOW[0], "--end", WINDOW[1]]
    team.run("python", "monitoring/feedback.py", *window)
    with store.engine(team.log).connect() as conn:
        labels = conn.execute(sa.select(sa.func.count()).select_from(store.LABELS)).scalar()
    assert labels and labels > 0  # in the shared feedback store
    shared = _monitor(team, team.repo / "reports" / "monitor-shared", window)
    files = team.repo.parent / "sqlite-copy"
    copy_tables(team.log, files / "predictions.sqlite", store.PREDICTIONS, store.SHADOW)
    copy_tables(team.log, files / "feedback.sqlite", store.LABELS)
    local = _monitor(
        team,
        team.repo / "reports" / "monitor-sqlite",
        [*window, "--log", str(files / "predictions.sqlite")],
        ["--feedback", str(files / "feedback.sqlite")],
    )
    for key in ("decision", "rows", "drift", "performance"):
        assert shared.get(key) == local.get(key), key
    pushed = httpx.get(team.stack.env()["LIFECYCLE_PUSHGATEWAY_URL"] + "/metrics", timeout=10)
    assert f'decision="{shared["decision"]}"' in pushed.text


def _monitor(team: Team, out: Path, *args: list[str]) -> dict[str, Any]:
    flat = [a for part in args for a in part]
    done = team.run("python", "monitoring/monitor.py", *flat, "--out", str(out), ok=False)
    assert done.returncode in (0, 10, 20), done.stderr[-3000:]
    [summary] = out.glob("*/summary.json")  # one folder per window
    return dict(json.loads(summary.read_text()))


def test_a_replica_killed_under_load_costs_only_its_in_flight_requests(team: Team) -> None:
    per_replica = 3
    load = FleetTraffic(team.urls, team.records, per_replica=per_replica).start()
    try:
        time.sleep(3)
        victim = team.replicas[1]
        victim.kill(signal.SIGKILL)
        time.sleep(5)
    finally:
        sent = load.stop()
        team.sent += sent
    lost = failed(sent)
    assert all(s.replica == 1 for s in lost)  # the other replica never failed one
    assert len(lost) <= per_replica  # at most what was in flight on the killed one
    assert any(s.replica == 0 and s.at > min((s.at for s in lost), default=0) for s in sent)
    # Every row the survivor answered is logged. The killed replica loses the rows it answered
    # but had not yet written (its writer commits every flush interval, 0.5 s): SIGKILL leaves
    # no time to drain, unlike SIGTERM (tests/serving/test_server.py).
    survivor = [s for s in sent if s.replica == 0 and s.status == 200]
    logged = wait_for(lambda: _has_all(team.log, survivor), seconds=60)
    killed = [s for s in sent if s.replica == 1 and s.status == 200]
    unwritten = sum(s.rows for s in killed if s.request_id not in logged)
    print(f"SIGKILL: {len(lost)} requests failed, {unwritten} answered rows not yet written")


def _has_all(log: str, sent: list[Sent]) -> dict[str, int] | None:
    """The log's rows per request once every request of `sent` is in it whole."""
    logged = logged_requests(log)
    return logged if all(logged.get(s.request_id) == s.rows for s in sent) else None


def test_wrong_credentials_or_host_are_one_clear_error_at_start_up(team: Team) -> None:
    url = sa.engine.make_url(team.log)
    for bad, why in (
        (url.set(password="wrong"), "password authentication failed"),
        (url.set(port=free_port()), "connect"),
    ):
        text = bad.render_as_string(hide_password=False)
        replica = team.stack.replica(9, free_port(), 0, {"LIFECYCLE_DATABASE_URL": text})
        replica.launch()
        wait_for(lambda r=replica: not r.alive() or "LIFECYCLE_DATABASE_URL" in _read(r), 90)
        log = _read(replica)
        replica.stop()
        assert "LIFECYCLE_DATABASE_URL=" in log and why in log, log[-2000:]
        assert "wrong" not in log.split("LIFECYCLE_DATABASE_URL=")[1].splitlines()[0]
        monitor = team.run(
            "python", "monitoring/monitor.py", ok=False, env={"LIFECYCLE_DATABASE_URL": text}
        )
        assert monitor.returncode not in (0, 10, 20) and "LIFECYCLE_DATABASE_URL=" in monitor.stderr


def _read(replica: Replica) -> str:
    return replica.log.read_text(errors="replace") if replica.log.exists() else ""


def test_dvc_push_and_pull_through_the_object_store(team: Team, tmp_path: Path) -> None:
    remote = team.stack.env()["LIFECYCLE_DVC_REMOTE"]
    endpoint = team.stack.env()["MLFLOW_S3_ENDPOINT_URL"]
    team.run("git", "add", "dvc.lock")
    team.run("git", "commit", "-qm", "dvc.lock of the stack's run", ok=False)
    team.run("dvc", "remote", "add", "-f", "-d", "team", remote)
    team.run("dvc", "remote", "modify", "--local", "team", "endpointurl", endpoint)
    team.run("git", "commit", "-qam", "the team's DVC remote")
    team.run("dvc", "push")
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(team.repo), str(fresh)], check=True)
    other = Team(fresh, team.stack, [])
    other.run("dvc", "remote", "modify", "--local", "team", "endpointurl", endpoint)
    other.run("dvc", "pull")
    status = other.run("dvc", "status")
    assert "up to date" in status.stdout, status.stdout
