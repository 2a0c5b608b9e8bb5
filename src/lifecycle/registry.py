"""The model registry: challenger and champion aliases, the promotion log and rollback.

Whether a challenger deserves promotion is the gate's question (lifecycle.gate)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

CHAMPION, CHALLENGER = "champion", "challenger"
PREVIOUS = "previous_champion"  # version tag: who was champion before this one


@dataclass
class Decision:
    """One entry of the promotion log (also written as tags on the model version)."""

    action: str  # promote | refuse | rollback | shadow (passed offline, waits for live evidence)
    model_name: str
    version: str
    reason: str
    champion_before: str | None
    champion_after: str | None
    challenger_metrics: dict[str, float] = field(default_factory=dict)
    champion_metrics: dict[str, float] | None = None
    window: dict[str, str] = field(default_factory=dict)
    git_commit: str = ""
    stage: str = "offline"  # offline (test window) | live (shadow rows) | canary | manual
    # How sure: the error cut with its interval and rows (evidence.Comparison.as_dict())
    evidence: dict[str, Any] | None = None
    time: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def current(client: MlflowClient, name: str, alias: str = CHAMPION) -> ModelVersion | None:
    """The version behind an alias, or None when the alias (or the model) does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def register(client: MlflowClient, name: str, model_uri: str, tags: dict[str, str]) -> str:
    """Register a logged model as a new version and point `challenger` at it."""
    import mlflow

    version = mlflow.register_model(model_uri, name, tags=tags).version
    client.set_registered_model_alias(name, CHALLENGER, str(version))
    return str(version)


def drop_challenger(client: MlflowClient, name: str, version: str) -> bool:
    """Remove the `challenger` alias if it still points at `version`; True if it did."""
    held = current(client, name, CHALLENGER)
    if held is None or str(held.version) != str(version):
        return False
    client.delete_registered_model_alias(name, CHALLENGER)
    return True


def append_log(path: Path, decision: Decision) -> None:
    """Append one decision to the JSON-lines promotion log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(json.dumps(decision.as_dict()) + "\n")


def record(client: MlflowClient, decision: Decision, log: Path) -> None:
    """Apply a decision: move `champion` if it says so, tag the version, append to the log."""
    name, version = decision.model_name, decision.version
    if decision.action == "promote":
        if decision.champion_before:
            client.set_model_version_tag(name, version, PREVIOUS, decision.champion_before)
        client.set_registered_model_alias(name, CHAMPION, version)
        drop_challenger(client, name, version)  # a champion is no one's challenger any more
    elif decision.action == "rollback" and decision.stage != "canary":
        client.set_registered_model_alias(name, CHAMPION, version)
    for key, text in decision_tags(decision).items():
        client.set_model_version_tag(name, version, key, text)
    append_log(log, decision)


def decision_tags(decision: Decision) -> dict[str, str]:
    """The version tags that record a decision: action, reason, metrics and evidence."""
    prefix = "gate" if decision.stage == "offline" else f"gate.{decision.stage}"
    tags = {
        "gate.action": decision.action,
        "gate.reason": decision.reason,
        "gate.time": decision.time,
        "gate.git_commit": decision.git_commit,
        "gate.champion_before": decision.champion_before or "none",
    }
    tags |= {f"gate.challenger.{k}": f"{v:.4f}" for k, v in decision.challenger_metrics.items()}
    for key, value in (decision.champion_metrics or {}).items():
        tags[f"gate.champion.{key}"] = f"{value:.4f}"
    tags["gate.stage"] = decision.stage
    for key in ("improvement", "low", "high", "confidence", "rows", "days"):
        if decision.evidence and decision.evidence.get(key) is not None:
            tags[f"{prefix}.evidence.{key}"] = f"{decision.evidence[key]:.4g}"
    if decision.evidence:
        tags[f"{prefix}.evidence.verdict"] = str(decision.evidence.get("verdict", ""))
    return tags


def rollback(client: MlflowClient, name: str, log: Path, commit: str = "") -> Decision:
    """Move `champion` back to the version that held it before the current one."""
    now = current(client, name)
    if now is None:
        raise LookupError(f"model '{name}' has no champion to roll back from")
    before = now.tags.get(PREVIOUS)
    if not before:
        raise LookupError(f"champion v{now.version} of '{name}' has no previous champion")
    decision = Decision(
        action="rollback",
        model_name=name,
        version=before,
        champion_before=str(now.version),
        champion_after=before,
        reason=f"manual rollback from v{now.version} to v{before}",
        git_commit=commit,
    )
    record(client, decision, log)
    return decision
