"""The model registry: champion and challenger aliases, the promotion log and rollback.

Whether a challenger deserves promotion is the gate's question (lifecycle.gate); what a live
challenger shows is lifecycle.rollout's. This module applies decisions, in one order:

1. the decision is appended to the promotion log (the record of intent),
2. the version is tagged with it,
3. the alias moves: the commit point, one write,
4. a line for it is added to the version's model card (lifecycle.model_card; best effort).

A process killed anywhere leaves the aliases as they were before the decision or as it says;
never a half. `reconcile` rolls an interrupted decision forward from the log's last line, so
the log and the aliases agree again (every champion move has its line).

Aliases: `champion` is served; `challenger` is a version that passed the offline gate and waits
for live evidence (gate.live.required), which the service may shadow or canary (rollout).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecycle.model_card import with_decision

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

    from lifecycle.store import Location

logger = logging.getLogger(__name__)
CHAMPION, CHALLENGER = "champion", "challenger"
PREVIOUS = "previous_champion"  # version tag: who was champion before this one
WAITING = "shadow"  # gate.action of a challenger that passed offline and waits for live rows


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
    """Register a logged model as a new version (no alias yet: the decision sets one)."""
    import mlflow

    return str(mlflow.register_model(model_uri, name, tags=tags).version)


def drop_challenger(client: MlflowClient, name: str, version: str) -> bool:
    """Remove the `challenger` alias if it points at `version`; True if it did. (A read, then
    a delete: the registry has no compare-and-set, so two callers may both see True.)"""
    held = current(client, name, CHALLENGER)
    if held is None or str(held.version) != str(version):
        return False
    client.delete_registered_model_alias(name, CHALLENGER)
    return True


def append_log(log: Location, decision: Decision) -> None:
    """Append one decision to the promotion log: a JSON-lines file (one write: a kill keeps it
    whole), or one row of the database's `promotions` table, shared by every machine."""
    entry = json.dumps(decision.as_dict())
    if isinstance(log, Path):
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as fh:
            fh.write(entry + "\n")
        return
    import sqlalchemy as sa

    from lifecycle import store

    try:
        with store.ensure(log, store.PROMOTIONS).begin() as conn:
            conn.execute(
                store.PROMOTIONS.insert(), {"model_name": decision.model_name, "entry": entry}
            )
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
        raise store.unavailable(log, err) from None


def read_log(log: Location, name: str) -> list[dict[str, Any]]:
    """The logged decisions about one model, oldest first (a torn last line is skipped)."""
    if isinstance(log, Path):
        texts = log.read_text().splitlines() if log.exists() else []
    else:
        texts = _logged_rows(log, name)
    entries = []
    for text in texts:
        try:
            entry = json.loads(text)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("model_name") == name:
            entries.append(entry)
    return entries


def _logged_rows(log: str, name: str) -> list[str]:
    """The JSON of one model's rows in the database's promotion log, in the order written."""
    import sqlalchemy as sa

    from lifecycle import store

    table = store.PROMOTIONS
    try:
        if table.name not in store.tables(log):
            return []
        query = sa.select(table.c.entry).where(table.c.model_name == name).order_by(table.c.id)
        with store.engine(log).connect() as conn:
            return list(conn.execute(query).scalars())
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
        raise store.unavailable(log, err) from None


def record(client: MlflowClient, decision: Decision, log: Location) -> None:
    """Apply a decision: log it, tag the version, move the alias, then note it on the card."""
    append_log(log, decision)
    for key, text in decision_tags(decision).items():
        client.set_model_version_tag(decision.model_name, decision.version, key, text)
    apply_aliases(client, decision.as_dict())
    note_on_card(client, decision.as_dict())


def note_on_card(client: MlflowClient, entry: dict[str, Any]) -> None:
    """Add a decision's line to its version's model card. The card is for people and comes
    after the commit point: a failure is logged, never raised (the log and tags have it)."""
    from mlflow.exceptions import MlflowException

    name, version = entry["model_name"], str(entry["version"])
    try:
        card = client.get_model_version(name, version).description
        update = with_decision(card, entry)
        if update != card:
            client.update_model_version(name, version, description=update)
    except MlflowException as err:
        logger.warning("the model card of %s v%s was not updated: %s", name, version, err)


def apply_aliases(client: MlflowClient, entry: dict[str, Any]) -> None:
    """Move the aliases as a logged decision says (idempotent: safe to redo after a kill)."""
    name, version, action = entry["model_name"], str(entry["version"]), entry["action"]
    if _moves_champion(entry):
        client.set_registered_model_alias(name, CHAMPION, version)
        drop_challenger(client, name, version)  # a champion is no one's challenger
    elif action == WAITING:
        client.set_registered_model_alias(name, CHALLENGER, version)
    else:  # refuse, or a canary's rollback: it stops meeting traffic
        drop_challenger(client, name, version)


def decision_tags(decision: Decision) -> dict[str, str]:
    """The version tags that record a decision: action, reason, metrics and evidence."""
    prefix = "gate" if decision.stage == "offline" else f"gate.{decision.stage}"
    tags = {
        "gate.action": decision.action,
        "gate.reason": decision.reason,
        "gate.time": decision.time,
        "gate.git_commit": decision.git_commit,
        "gate.champion_before": decision.champion_before or "none",
        "gate.stage": decision.stage,
    }
    if decision.action == "promote" and decision.champion_before:
        tags[PREVIOUS] = decision.champion_before
    tags |= {f"gate.challenger.{k}": f"{v:.4f}" for k, v in decision.challenger_metrics.items()}
    for key, value in (decision.champion_metrics or {}).items():
        tags[f"gate.champion.{key}"] = f"{value:.4f}"
    for key in ("improvement", "low", "high", "confidence", "rows", "days"):
        if decision.evidence and decision.evidence.get(key) is not None:
            tags[f"{prefix}.evidence.{key}"] = f"{decision.evidence[key]:.4g}"
    if decision.evidence:
        tags[f"{prefix}.evidence.verdict"] = str(decision.evidence.get("verdict", ""))
    return tags


def reconcile(client: MlflowClient, name: str, log: Location) -> list[str]:
    """Finish what a killed process left half done; what was repaired, in words.

    The log's last line is applied again if the aliases do not show it yet (only from the
    state it started from: an alias someone moved since is left alone), and a `challenger`
    that no longer waits (promoted, refused, rolled back) is dropped."""
    repaired = []
    entries = read_log(log, name)
    if entries and (done := _roll_forward(client, entries[-1])):
        repaired.append(done)
    champion, challenger = current(client, name, CHAMPION), current(client, name, CHALLENGER)
    if challenger is not None:
        same = champion is not None and champion.version == challenger.version
        if same or challenger.tags.get("gate.action") != WAITING:
            client.delete_registered_model_alias(name, CHALLENGER)
            repaired.append(f"v{challenger.version} no longer waits: challenger removed")
    return repaired


def _moves_champion(entry: dict[str, Any]) -> bool:
    """A promotion or a manual rollback: a decision that moves `champion`."""
    return entry["action"] == "promote" or (
        entry["action"] == "rollback" and entry.get("stage") != "canary"
    )


def _roll_forward(client: MlflowClient, entry: dict[str, Any]) -> str | None:
    """Apply the last logged decision again (tags, then aliases) if its alias never moved, and
    only from the state it started from."""
    name, version, action = entry["model_name"], str(entry["version"]), entry["action"]
    champion, held = current(client, name, CHAMPION), current(client, name, CHALLENGER)
    now = str(champion.version) if champion else None
    challenger = str(held.version) if held else None
    if _moves_champion(entry):
        pending = now != version and now == entry.get("champion_before")
    elif action == WAITING:
        pending = challenger != version and now != version
    else:  # refuse, or a canary's rollback: the alias should be gone
        pending = challenger == version
    if not pending:
        return None
    decision = Decision(**{k: v for k, v in entry.items() if k in Decision.__dataclass_fields__})
    for key, text in decision_tags(decision).items():
        client.set_model_version_tag(name, version, key, text)
    apply_aliases(client, entry)
    note_on_card(client, decision.as_dict())
    return f"finished the logged {action} of v{version}"


def rollback(client: MlflowClient, name: str, log: Location, commit: str = "") -> Decision:
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
        stage="manual",
    )
    record(client, decision, log)
    return decision
