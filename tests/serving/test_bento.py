"""`make bento`: the champion copied into a BentoML store, a Bento built, a non-root container."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers.params import ROOT
from tests.helpers.registry import Registry


def pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a requirements file."""
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(), re.MULTILINE)
    return {name.lower(): version for name, version in found}


def test_bento_requirements_match_the_tested_set() -> None:
    bento, tested = pins(ROOT / "serving/requirements.txt"), pins(ROOT / ".ci/constraints.txt")
    assert bento and {name: tested.get(name) for name in bento} == bento


def test_bento_sources_are_anchored_at_the_repository_root() -> None:
    # Unanchored, `params.yaml` also matches the copies inside state/bentoml (BENTOML_HOME):
    # the second `make bento` then copied Bentos into Bentos until paths got too long.
    config = yaml.safe_load((ROOT / "serving/bentofile.yaml").read_text())
    assert all(pattern.startswith("/") for pattern in config["include"])
    assert "/state/" in config["exclude"]


@pytest.mark.slow
def test_bento_packs_the_champion_and_runs_as_non_root(registry: Registry, tmp_path: Path) -> None:
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml")}
    run = [sys.executable, "serving/import_champion.py"]
    subprocess.run(run, cwd=ROOT, env=env, check=True, capture_output=True)
    build = [sys.executable, "-m", "bentoml", "build", "-f", "serving/bentofile.yaml", "."]
    subprocess.run(
        build,
        cwd=ROOT,
        env={**env, "LIFECYCLE_MODEL_SOURCE": "bento"},
        check=True,
        capture_output=True,
    )
    [bento] = [p for p in (tmp_path / "bentoml/bentos/champion").iterdir() if p.name != "latest"]
    info = yaml.safe_load((bento / "bento.yaml").read_text())
    [model] = info["services"][0]["models"]
    assert model["tag"].startswith(f"{registry.model_name}:")
    stored = yaml.safe_load(
        (tmp_path / "bentoml/models" / model["tag"].replace(":", "/") / "model.yaml").read_text()
    )
    assert stored["labels"]["registry_version"] == registry.champion_version
    assert {e["name"]: e["value"] for e in info["envs"]}["LIFECYCLE_MODEL_SOURCE"] == "bento"
    users = re.findall(r"^USER (\S+)", (bento / "env/docker/Dockerfile").read_text(), re.M)
    assert users and users[-1] not in {"root", "0"}
