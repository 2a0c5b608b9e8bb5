"""The live stages of a rollout, on the registry: promote or refuse a shadowed challenger on its
live evidence, and roll back a canary that breaks a guardrail.

Decisions are applied by lifecycle.registry.record (log, tags, then the alias: the commit
point); `reconcile` runs first, so a decision a killed process left half done is finished
before a new one is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lifecycle.evidence import MIN_DAYS, Comparison
from lifecycle.params import GateParams
from lifecycle.registry import (
    CHALLENGER,
    CHAMPION,
    WAITING,
    Decision,
    current,
    reconcile,
    record,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from lifecycle.store import Location


@dataclass(frozen=True)
class LiveVerdict:
    """The live stage's answer: promote, refuse, or wait for more labelled rows."""

    action: str  # promote | refuse | wait
    reason: str


def judge_live(evidence: Comparison | None, gate: GateParams) -> LiveVerdict:
    """Promote only when the labelled live rows (shadow, or canary) show the challenger better.

    Better means: the interval's lower end above 0 at `gate.live.confidence`, and the point
    estimate at least the offline margin. Confidently worse, or enough rows and still no clear
    difference at twice the minimum: refuse (pure). Each call judges one window: evidence is
    not pooled across windows, so a challenger waits while windows hold too few labelled rows.
    """
    live = gate.live
    if evidence is None or evidence.rows < live.min_rows:
        rows = 0 if evidence is None else evidence.rows
        return LiveVerdict(
            "wait", f"{rows} labelled live rows, the live gate needs {live.min_rows}"
        )
    if evidence.days < MIN_DAYS:  # one day block: a zero-width interval, no evidence
        return LiveVerdict(
            "wait",
            f"{evidence.rows} labelled live rows span {evidence.days} day; the "
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


def decide_live(
    client: MlflowClient,
    name: str,
    evidence: Comparison | None,
    gate: GateParams,
    log: Location,
    commit: str = "",
    versions: tuple[str, str] | None = None,
) -> Decision | None:
    """Apply the live gate to the waiting challenger; None when none waits, it must wait, or
    `versions` (challenger, champion) says the evidence is about other models than these."""
    reconcile(client, name, log)
    version = waiting_challenger(client, name)
    if version is None:
        return None
    if versions is not None:
        champion = current(client, name, CHAMPION)
        now = str(champion.version) if champion else None
        if versions != (version, now):
            return None  # e.g. a newer challenger, or a rollback, since the rows were served
    verdict = judge_live(evidence, gate)
    if verdict.action == "wait":
        return None
    return _record_live(client, name, version, verdict, evidence, log, commit)


def _record_live(
    client: MlflowClient,
    name: str,
    version: str,
    verdict: LiveVerdict,
    evidence: Comparison | None,
    log: Location,
    commit: str,
) -> Decision:
    champion = current(client, name, CHAMPION)
    before = str(champion.version) if champion else None
    promote = verdict.action == "promote"
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
    record(client, decision, log)  # promote: champion moves; refuse: the challenger goes
    return decision


def roll_back_canary(
    client: MlflowClient,
    name: str,
    version: str,
    reason: str,
    log: Location,
    commit: str = "",
    evidence: Comparison | None = None,
) -> Decision | None:
    """Stop a canary: remove `challenger` if it still points at `version` (None when it has
    moved already, so every worker that saw the breach may call it; two at the same instant
    may both log it). `evidence`: the live comparison that showed it worse, when labels decided."""
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
    record(client, decision, log)  # log, tags, then the alias goes: the canary ends
    return decision
