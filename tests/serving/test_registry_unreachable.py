"""A tracking server that cannot be reached at start-up is one clear error naming the setting."""

from __future__ import annotations

import pytest

from lifecycle.dataset import DatasetSpec
from lifecycle.serving.champion import REGISTRY_HTTP, RegistrySource, RegistryUnavailable
from lifecycle.serving.process import free_port
from lifecycle.settings import Settings


def test_an_unreachable_tracking_server_names_mlflow_tracking_uri(
    spec: DatasetSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    for key, value in REGISTRY_HTTP.items():  # what the source sets: undone after the test
        monkeypatch.setenv(key, value)
    with pytest.raises(RegistryUnavailable, match=f"MLFLOW_TRACKING_URI={url}: cannot reach"):
        RegistrySource(Settings(), "bike-demand", spec)
