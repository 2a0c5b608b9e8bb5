"""`make stack` for real: every component started, each one doing its job, stopped with nothing
left behind. The shared stack (conftest's `team_stack`) answers the checks; the stop and the
restart tests start small stacks of their own."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy as sa
import yaml

from lifecycle.stack.components import component
from lifecycle.stack.mlflow_server import MlflowServer
from lifecycle.stack.objectstore import BUCKET, ObjectStore
from lifecycle.stack.postgres import Postgres
from lifecycle.stack.replicas import NoChampion, require_champion
from lifecycle.stack.team import Stack, StackRunning
from tests.helpers.params import ROOT
from tests.helpers.stack import live, prometheus_api, running_stack, scraped, stack_pids, wait_for

pytestmark = pytest.mark.slow
CLI = [sys.executable, str(ROOT / "stack" / "stack.py")]


def test_postgres_takes_the_stack_password_and_refuses_a_wrong_one(team_stack: Stack) -> None:
    postgres = component(team_stack.components, "postgres", Postgres)
    with postgres.connect("postgres") as conn:
        names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    assert {"mlflow", "lifecycle"} <= names
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        postgres.connect("lifecycle", password="not-the-password")


def test_the_database_url_of_the_env_is_one_sqlalchemy_opens(team_stack: Stack) -> None:
    engine = sa.create_engine(team_stack.env()["LIFECYCLE_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == "lifecycle"
    finally:
        engine.dispose()


def test_the_bucket_exists(team_stack: Stack) -> None:
    s3 = component(team_stack.components, "s3", ObjectStore)
    s3.client().head_bucket(Bucket=BUCKET)  # raises ClientError (404) if it does not


def test_mlflow_keeps_runs_in_postgres_and_artifacts_in_the_bucket(
    team_stack: Stack, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    mlflow = component(team_stack.components, "mlflow", MlflowServer)
    client = MlflowClient(tracking_uri=mlflow.url)
    run = client.create_run(client.create_experiment(f"stack-test-{uuid.uuid4().hex}"))
    run_id = run.info.run_id
    client.log_metric(run_id, "answer", 42.0)
    note = tmp_path / "note.txt"
    note.write_text("stored through the server\n")
    client.log_artifact(run_id, str(note))

    postgres = component(team_stack.components, "postgres", Postgres)
    with postgres.connect("mlflow") as conn:
        found = conn.execute("SELECT value FROM metrics WHERE run_uuid = %s", (run_id,))
        assert found.fetchall() == [(42.0,)]
    keys = component(team_stack.components, "s3", ObjectStore).keys("mlartifacts/")
    assert [k for k in keys if k.endswith(f"{run_id}/artifacts/note.txt")]


def test_prometheus_scrapes_the_pushgateway_and_keeps_pushed_labels(team_stack: Stack) -> None:
    from prometheus_client import CollectorRegistry, Gauge, delete_from_gateway, push_to_gateway

    up = wait_for(lambda: [t for t in scraped(team_stack, "pushgateway") if t["health"] == "up"])
    gateway = team_stack.components["pushgateway"]
    assert up[0]["labels"]["instance"] == f"127.0.0.1:{gateway.port}"
    registry = CollectorRegistry()
    Gauge("lifecycle_stack_test", "pushed by the stack test", registry=registry).set(7)
    push_to_gateway(gateway.url, job="stack-test", registry=registry)
    try:
        query = 'lifecycle_stack_test{job="stack-test"}'  # honor_labels: the pushed job stays
        result = wait_for(
            lambda: prometheus_api(team_stack, "/api/v1/query", query=query)["result"]
        )
        assert result[0]["value"][1] == "7"
    finally:
        delete_from_gateway(gateway.url, job="stack-test")


def test_prometheus_reads_the_project_alert_rules(team_stack: Stack) -> None:
    config = yaml.safe_load(prometheus_api(team_stack, "/api/v1/status/config")["yaml"])
    assert config["rule_files"] == [str(ROOT / "monitoring" / "alerts" / "*.rules.yml")]
    assert config["global"]["scrape_interval"] == "1s"


def test_the_evidently_ui_answers(team_stack: Stack) -> None:
    url = team_stack.components["evidently"].url
    assert httpx.get(f"{url}/api/version", timeout=10).json()["application"] == "Evidently UI"
    assert httpx.get(f"{url}/api/projects", timeout=10).status_code == 200


def test_another_shell_finds_the_stack_and_only_it_reads_the_secrets(team_stack: Stack) -> None:
    home = team_stack.home
    assert team_stack.secrets.postgres_password not in (home / "stack.json").read_text()
    for private in ("env.sh", "secrets.json"):
        assert (home / private).stat().st_mode & 0o777 == 0o600
    sourced = subprocess.run(
        ["bash", "-c", f"source {home / 'env.sh'} && env -0"], capture_output=True, check=True
    )
    env = dict(line.split("=", 1) for line in sourced.stdout.decode().split("\0") if line)
    assert {key: env[key] for key in team_stack.env()} == team_stack.env()
    loaded = Stack.load(home)
    assert {n: d.pid for n, d in loaded.components.items()} == {
        n: d.pid for n, d in team_stack.components.items()
    }
    assert all(daemon.alive() for daemon in loaded.components.values())


def test_a_second_start_says_the_stack_is_running(team_stack: Stack) -> None:
    with pytest.raises(StackRunning, match=r"already running.*make stack-stop"):
        Stack.start(team_stack.home, ROOT, any_free_port=True)


def test_status_from_another_process_lists_every_url(team_stack: Stack) -> None:
    done = subprocess.run(
        [*CLI, "--dir", str(team_stack.home), "status"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for daemon in team_stack.components.values():
        assert f"{daemon.url} " in done.stdout
    assert done.stdout.count("healthy") == len(team_stack.components)


def test_replicas_wait_for_a_champion(team_stack: Stack, tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["registry"]["model_name"] = f"never-registered-{uuid.uuid4().hex[:8]}"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    mlflow = team_stack.components["mlflow"]
    with pytest.raises(NoChampion, match=r"no champion for 'never-registered-.*make repro"):
        require_champion(mlflow.url, tmp_path, team_stack.home / "env.sh")


def test_postgres_restarts_on_its_port_with_its_data() -> None:
    with running_stack(components=["postgres"]) as stack:
        postgres = component(stack.components, "postgres", Postgres)
        with postgres.connect("lifecycle") as conn:
            conn.execute("CREATE TABLE kept (answer integer)")
            conn.execute("INSERT INTO kept VALUES (42)")
        port = postgres.port
        stack.stop_component("postgres")
        with pytest.raises(psycopg.OperationalError):
            postgres.connect("lifecycle")
        stack.start_component("postgres")
        assert postgres.port == port
        with postgres.connect("lifecycle") as conn:
            assert conn.execute("SELECT answer FROM kept").fetchall() == [(42,)]


def test_stop_from_another_process_leaves_no_process_and_no_data() -> None:
    with running_stack(components=["postgres", "s3", "pushgateway", "prometheus"]) as stack:
        pids = stack_pids(stack)
        assert len(pids) > len(stack.components)  # PostgreSQL's own processes are counted
        done = subprocess.run(
            [*CLI, "--dir", str(stack.home), "down"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "stopped 4 processes" in done.stdout
        assert live(pids) == []
        assert not (stack.home / "postgres").exists()
        assert not (stack.home / "stack.json").exists()
        assert (stack.home / "logs" / "postgres.log").exists()  # the logs stay, to be read
