"""The stack's parts that need no running server: ports, the component list, Prometheus'
configuration (checked by promtool), the env file as the shell reads it, the secrets."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from lifecycle.stack.components import check_components
from lifecycle.stack.daemon import MissingTool, StackError
from lifecycle.stack.ports import PortPicker, any_free_port
from lifecycle.stack.prometheus_server import Prometheus, duration, tool_path
from lifecycle.stack.stack_state import Secrets, env_script, write_state
from lifecycle.stack.team import NoStack, Stack
from tests.helpers.params import ROOT


def test_the_picker_prefers_the_default_and_falls_back_when_it_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        picker = PortPicker()
        assert picker.pick(busy) != busy
        free = any_free_port()
        assert picker.pick(free) == free
        assert picker.pick(free) != free  # never handed out twice


def test_components_start_in_order_and_bring_what_they_need() -> None:
    assert check_components(["evidently", "mlflow", "s3", "postgres"]) == (
        "postgres",
        "s3",
        "mlflow",
        "evidently",
    )
    with pytest.raises(StackError, match=r"unknown components \['grafana'\]"):
        check_components(["postgres", "grafana"])
    with pytest.raises(StackError, match=r"mlflow needs \['postgres'\]"):
        check_components(["mlflow", "s3"])


def test_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    prometheus = Prometheus(
        home=tmp_path, port=19090, project_root=ROOT, pushgateway_port=19091, scrape_seconds=1.5
    )
    prometheus.prepare()
    config = prometheus.folder / "prometheus.yml"
    done = subprocess.run(
        [tool_path("promtool"), "check", "config", str(config)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1500ms" in config.read_text()
    prometheus.set_replicas({2: 3102, 1: 3101})
    assert json.loads(prometheus.targets_file.read_text()) == [
        {"targets": ["127.0.0.1:3101"], "labels": {"replica": "1"}},
        {"targets": ["127.0.0.1:3102"], "labels": {"replica": "2"}},
    ]


def test_a_scrape_interval_must_be_positive() -> None:
    assert duration(15) == "15000ms"
    with pytest.raises(ValueError, match="scrape_seconds must be positive"):
        duration(0)


def test_a_missing_program_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without Prometheus
    with pytest.raises(MissingTool, match=r"`prometheus` is not on PATH.*make stack-deps"):
        tool_path("prometheus")


def test_the_env_file_gives_the_shell_every_value_exactly(tmp_path: Path) -> None:
    env = {"PLAIN": "http://127.0.0.1:5050", "AWKWARD": 'it\'s $HOME and `date` ; "x"'}
    write_state(tmp_path, {"replicas": []}, env)
    script = f'source {tmp_path / "env.sh"} && printf "%s\\0" "$PLAIN" "$AWKWARD"'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split("\0")[:2] == [env["PLAIN"], env["AWKWARD"]]
    assert (tmp_path / "env.sh").stat().st_mode & 0o777 == 0o600
    assert env_script({}).startswith("# Point the project at the stack")


def test_secrets_are_made_once_and_only_the_owner_reads_them(tmp_path: Path) -> None:
    made = Secrets.load_or_create(tmp_path)
    assert Secrets.load_or_create(tmp_path) == made
    assert len(made.postgres_password) == 32 and made.postgres_password != made.admin_token
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_a_folder_without_a_stack_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(NoStack, match="make stack"):
        Stack.load(tmp_path)


def test_the_guide_names_the_env_file_the_dvc_remote_and_the_stack_folder(tmp_path: Path) -> None:
    from lifecycle.stack.components import COMPONENTS
    from lifecycle.stack.guide import next_steps, started_text
    from lifecycle.stack.ports import DEFAULT_PORTS

    stack = Stack(tmp_path / "stack", ROOT, 15.0, False, Secrets("s3cret-password-xyz", "token"))
    stack.components = stack.build({name: DEFAULT_PORTS[name] for name in COMPONENTS})
    text = next_steps(stack)
    assert f"source {tmp_path}/stack/env.sh" in text
    assert "dvc remote add -d team s3://lifecycle/dvc" in text
    assert "dvc remote modify --local team endpointurl http://127.0.0.1:9000" in text
    assert f"make stack-stop STACK_DIR={tmp_path}/stack" in text  # not the default folder
    assert "moto keeps objects in memory" in started_text(stack)
    assert "s3cret-password-xyz" not in text + started_text(stack)
