"""The live stages of a rollout, on the registry: promote or refuse a shadowed challenger on its
live evidence, roll back a canary that breaks a guardrail, and repair a half-done switch.

Every switch is one alias write, the commit point; everything before it only records intent
and everything after it can be redone. A process killed at any instant leaves `champion` on a
version that passed its gate, and `reconcile` (run before every decision) finishes the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lifecycle.evidence import MIN_DAYS, Comparison
from lifecycle.gate import GateVerdict
from lifecycle.params import GateParams
from lifecycle.registry import (
    CHALLENGER,
    CHAMPION,
    Decision,
    current,
    drop_challenger,
    record,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

WAITING = "shadow"  # gate.action of a challenger that passed offline and waits for live rows


@dataclass(frozen=True)
class LiveVerdict:
    """The live stage's answer: promote, refuse, or wait for more labelled rows."""

    action: str  # promote | refuse | wait
    reason: str


def judge_live(evidence: Comparison | None, gate: GateParams) -> LiveVerdict:
    """Promote only when the labelled shadow rows show the challenger better (pure).

    Better means: the interval's lower end above 0 at `gate.live.confidence`, and the point
    estimate at least the offline margin. Confidently worse, or enough rows and still no clear
    difference at twice the minimum: refuse (the shadow would otherwise run forever).
    """
    live = gate.live
    if evidence is None or evidence.rows < live.min_rows:
        rows = 0 if evidence is None else evidence.rows
        return LiveVerdict(
            "wait", f"{rows} labelled shadow rows, the live gate needs {live.min_rows}"
        )
    if evidence.days < MIN_DAYS:  # one day block: a zero-width interval, no evidence
        return LiveVerdict(
            "wait",
            f"{evidence.rows} labelled shadow rows span {evidence.days} day; the "
            f"day-block bootstrap needs {MIN_DAYS}",
        )
    said = evidence.verdict()
    if evidence.better is True and evidence.improvement >= gate.margin:
        return LiveVerdict("promote", f"live: {said}")
    if evidence.better is True:
        return LiveVerdict("refuse", f"live: better, but by less than {gate.margin:.0%}: {said}")
    if evidence.better is False or evidence.rows >= 2 * live.min_rows:
        return LiveVerdict("refuse", f"live: {said}")
    return LiveVerdict("wait", f"live: {said}; waiting for more labelled rows")


def waiting_challenger(client: MlflowClient, name: str) -> str | None:
    """The challenger version waiting for live evidence (gate.action shadow), if any."""
    held = current(client, name, CHALLENGER)
    if held is None or held.tags.get("gate.action") != WAITING:
        return None
    return str(held.version)


def reconcile(client: MlflowClient, name: str) -> list[str]:
    """Finish a switch a killed process left half done; what was repaired, in words."""
    repaired = []
    champion, challenger = current(client, name, CHAMPION), current(client, name, CHALLENGER)
    if champion and challenger and champion.version == challenger.version:
        client.delete_registered_model_alias(name, CHALLENGER)
        repaired.append(f"v{champion.version} was champion and challenger: challenger removed")
    return repaired


def decide_live(
    client: MlflowClient,
    name: str,
    evidence: Comparison | None,
    gate: GateParams,
    log: Path,
    commit: str = "",
) -> Decision | None:
    """Apply the live gate to the waiting challenger; None when none waits or it must wait."""
    reconcile(client, name)
    version = waiting_challenger(client, name)
    if version is None:
        return None
    verdict = judge_live(evidence, gate)
    if verdict.action == "wait":
        return None
    return _record_live(client, name, version, verdict, evidence, log, commit)


def _record_live(
    client: MlflowClient,
    name: str,
    version: str,
    verdict: LiveVerdict | GateVerdict,
    evidence: Comparison | None,
    log: Path,
    commit: str,
) -> Decision:
    champion = current(client, name, CHAMPION)
    before = str(champion.version) if champion else None
    promote = getattr(verdict, "action", "") == "promote"
    decision = Decision(
        action="promote" if promote else "refuse",
        model_name=name,
        version=version,
        reason=verdict.reason,
        champion_before=before,
        champion_after=version if promote else before,
        git_commit=commit,
        stage="live",
        evidence=evidence.as_dict() if evidence else None,
    )
    record(client, decision, log)  # promote: champion moves (the commit point), then
    if not promote:  # challenger dropped; refuse: the challenger stops being shadowed
        drop_challenger(client, name, version)
    return decision


def roll_back_canary(
    client: MlflowClient,
    name: str,
    version: str,
    reason: str,
    log: Path,
    commit: str = "",
    evidence: Comparison | None = None,
) -> Decision | None:
    """Stop a canary: remove `challenger` if it still points at `version` (idempotent: None
    when it has moved already, so every worker that saw the breach may call it). `evidence`:
    the live comparison that showed it worse, when labels decided."""
    held = current(client, name, CHALLENGER)
    if held is None or str(held.version) != str(version):
        return None
    champion = current(client, name, CHAMPION)
    kept = str(champion.version) if champion else None
    decision = Decision(
        action="rollback",
        model_name=name,
        version=str(version),
        reason=f"canary v{version} rolled back: {reason}",
        champion_before=kept,
        champion_after=kept,
        git_commit=commit,
        stage="canary",
        evidence=evidence.as_dict() if evidence else None,
    )
    if not drop_challenger(client, name, str(version)):  # the commit point: the canary ends
        return None  # another worker removed it between our read and our write
    record(client, decision, log)  # tags and the log line: the record of why
    return decision
