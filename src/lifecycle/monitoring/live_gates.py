"""The live gates, applied after a window is monitored: promote or refuse the challenger that
waits in shadow on its live evidence, and roll back a canary whose live error is confidently
worse than the champion's. One function, so the command and the replay loop do the same.

The registry is touched only when there is something to decide: the live gate is on
(gate.live.required), or the window has canary answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifecycle.evidence import MIN_DAYS
from lifecycle.monitoring.live_comparison import LiveComparison
from lifecycle.monitoring.summary import MonitorSummary
from lifecycle.params import Params
from lifecycle.settings import Settings

if TYPE_CHECKING:
    from mlflow import MlflowClient


def apply_live_gates(summary: MonitorSummary, params: Params, settings: Settings) -> list[str]:
    """Apply the live gate and the canary's live-error guardrail; what happened, in lines."""
    canary_rows = summary.variants.get("canary", 0)
    if not params.gate.live.required and not canary_rows:
        return []
    from lifecycle.tracking import configure, git_commit

    client, name = configure(settings), params.registry.model_name
    commit = git_commit(settings.project_root)  # the project's, also in a replay's work repo
    lines = []
    if params.gate.live.required:
        lines.append(_live_gate(client, name, summary, params, settings, commit))
    if canary_rows:
        lines.append(_canary_guardrail(client, name, summary, params, settings, commit))
    return lines


def _live_gate(
    client: MlflowClient,
    name: str,
    summary: MonitorSummary,
    params: Params,
    settings: Settings,
    commit: str,
) -> str:
    from lifecycle.rollout import decide_live, judge_live, waiting_challenger

    waiting = waiting_challenger(client, name)
    if waiting is None:
        return f"live gate: no challenger of {name} waits for live evidence; nothing to decide"
    # Shadow rows give the paired comparison; without them, a canary's A/B one decides.
    live, why = summary.live or summary.canary, ""
    if live is not None and live.challenger_version != waiting:
        why = (
            f" (this window's {live.variant} rows are v{live.challenger_version}'s, not the "
            f"waiting v{waiting}'s)"
        )
        live = None
    if live is None and not why:
        rows = {k: summary.variants.get(k, 0) for k in ("shadow", "canary")}
        why = f" ({rows['shadow']} shadow and {rows['canary']} canary rows in the window)"
    evidence = live.comparison() if live else None
    versions = (live.challenger_version, live.champion_version) if live else None
    decision = decide_live(
        client, name, evidence, params.gate, settings.promotion_log, commit, versions
    )
    if decision is None:
        if waiting_challenger(client, name) != waiting:  # reconcile moved it meanwhile
            return f"live gate: challenger v{waiting} no longer waits; nothing decided"
        reason = judge_live(evidence, params.gate).reason
        return f"live gate: v{waiting} WAITS: {reason}{why}"
    before = f"v{decision.champion_before}" if decision.champion_before else "none"
    if decision.action == "promote":
        return f"live gate: v{waiting} PROMOTED to champion (was {before}): {decision.reason}"
    return f"live gate: v{waiting} REFUSED, champion stays {before}: {decision.reason}"


def canary_breaks_guardrail(live: LiveComparison, params: Params) -> bool:
    """Confidently worse by more than the allowed increase: the interval's upper end of the
    error cut below -rollout.guardrails.max_error_increase."""
    return live.high < -params.rollout.guardrails.max_error_increase


def _canary_guardrail(
    client: MlflowClient,
    name: str,
    summary: MonitorSummary,
    params: Params,
    settings: Settings,
    commit: str,
) -> str:
    from lifecycle.registry import CHALLENGER, current
    from lifecycle.rollout import roll_back_canary

    live, allowed = summary.canary, params.rollout.guardrails.max_error_increase
    rows = summary.variants.get("canary", 0)
    if live is None:
        return (
            f"canary guardrail (live error) not evaluated: {rows} canary answers in the window, "
            "none comparable yet (no labels); nothing changed"
        )
    min_rows = params.gate.live.min_rows
    if live.rows < min_rows or live.days < MIN_DAYS:
        return (
            f"canary guardrail (live error) not evaluated: {live.rows} labelled rows over "
            f"{live.days} days, it needs gate.live.min_rows {min_rows} over {MIN_DAYS} days; "
            "nothing changed"
        )
    held = current(client, name, CHALLENGER)
    if held is None or str(held.version) != live.challenger_version:
        return (
            f"canary guardrail: v{live.challenger_version} is no longer the challenger; "
            "nothing to roll back"
        )
    if not canary_breaks_guardrail(live, params):
        return (
            f"canary guardrail holds for v{live.challenger_version}: error cut "
            f"{live.improvement:+.1%} (interval {live.low:+.1%} .. {live.high:+.1%}) is not "
            f"confidently below -{allowed:.0%} (rollout.guardrails.max_error_increase)"
        )
    reason = (
        f"its live {live.metric} error is confidently more than {allowed:.0%} above the "
        f"champion's: {live.verdict.replace('the challenger', 'the canary')}"
    )
    decision = roll_back_canary(
        client,
        name,
        live.challenger_version,
        reason,
        settings.promotion_log,
        commit,
        live.comparison(),
    )
    if decision is None:
        return f"canary guardrail: v{live.challenger_version} was already rolled back"
    return f"canary v{live.challenger_version} ROLLED BACK: {decision.reason}"
