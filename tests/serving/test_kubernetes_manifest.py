"""docs/examples/kubernetes/champion.yaml: several replicas that share nothing but the team's
database, rolled out without losing capacity; valid against the Kubernetes schema."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from lifecycle.settings import Settings
from tests.helpers.imports import ROOT

MANIFEST = ROOT / "docs/examples/kubernetes/champion.yaml"
INSTALL = "pip install kubernetes-validate==1.37.0"


def documents() -> dict[str, dict[str, Any]]:
    """The manifest's objects by kind (one of each)."""
    docs = [doc for doc in yaml.safe_load_all(MANIFEST.read_text()) if doc]
    kinds = [doc["kind"] for doc in docs]
    assert len(set(kinds)) == len(kinds), kinds
    return {doc["kind"]: doc for doc in docs}


def pod_spec() -> dict[str, Any]:
    """The Deployment's pod template spec."""
    return dict(documents()["Deployment"]["spec"]["template"]["spec"])


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    """The container's env entries by name (the value, or its valueFrom)."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_every_object_is_valid_against_the_kubernetes_schema() -> None:
    validate = pytest.importorskip("kubernetes_validate", reason=f"schema check: {INSTALL}")
    for doc in documents().values():
        validate.validate(doc, validate.latest_version(), strict=True)  # raises if invalid


def test_several_replicas_share_no_volume_and_roll_out_one_pod_at_a_time() -> None:
    docs = documents()
    assert set(docs) == {"ConfigMap", "Secret", "Deployment", "PodDisruptionBudget", "Service"}
    deployment = docs["Deployment"]["spec"]
    assert deployment["replicas"] >= 3
    assert deployment["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    volumes = pod_spec()["volumes"]
    assert all(set(volume) == {"name", "emptyDir"} for volume in volumes)  # no claim, no host
    budget = docs["PodDisruptionBudget"]["spec"]
    assert 0 < budget["minAvailable"] < deployment["replicas"]
    labels = deployment["template"]["metadata"]["labels"]
    assert budget["selector"]["matchLabels"] == labels == deployment["selector"]["matchLabels"]
    assert docs["Service"]["spec"]["selector"] == labels


def test_the_pod_takes_its_servers_from_the_secret_and_the_configmap() -> None:
    docs = documents()
    [container] = pod_spec()["containers"]
    assert "OWNER/REPO" in container["image"]  # the documented placeholder
    env = env_of(container)
    assert env["LIFECYCLE_SERVE_WORKERS"] == "1"
    secret = env["LIFECYCLE_DATABASE_URL"]["secretKeyRef"]
    assert secret["name"] == docs["Secret"]["metadata"]["name"]
    assert docs["Secret"]["stringData"][secret["key"]].startswith("postgresql+psycopg://")
    assert container["envFrom"] == [{"configMapRef": {"name": "champion-config"}}]
    assert docs["ConfigMap"]["metadata"]["name"] == "champion-config"
    assert set(docs["ConfigMap"]["data"]) == {"MLFLOW_TRACKING_URI", "LIFECYCLE_MODEL_SOURCE"}
    data = docs["ConfigMap"]["data"]
    config = Settings.model_validate(data)  # names the settings know, values they accept
    assert (config.model_source, config.mlflow_tracking_uri) == (
        "bento",
        data["MLFLOW_TRACKING_URI"],
    )


def test_probes_scraping_and_shutdown_fit_the_service() -> None:
    spec = pod_spec()
    [container] = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    [port] = container["ports"]
    notes = documents()["Deployment"]["spec"]["template"]["metadata"]["annotations"]
    assert notes["prometheus.io/scrape"] == "true" and notes["prometheus.io/path"] == "/metrics"
    assert int(notes["prometheus.io/port"]) == port["containerPort"] == Settings().port
    # The log's drain at shutdown must end before Kubernetes kills the pod.
    assert spec["terminationGracePeriodSeconds"] > Settings().log_drain_seconds
