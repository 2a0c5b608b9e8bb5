"""Model cards: the descriptions a registered model and its versions carry in the MLflow UI.

Tags are for machines (`gate.*`, lineage: lifecycle.registry.decision_tags); a card is for
people. A version's card says what it learned from, how it scored, where it is weakest, why the
gate decided as it did and where it came from; every later decision about it (live evidence, a
canary, a rollback) adds a line. Pure: it formats what the promote stage already knows, and
lifecycle.registry writes it (MLflow renders descriptions as Markdown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lifecycle.tasks import rank_key

DECISIONS = "### Decisions"  # the card's last section: one line per decision, oldest first
# MLflow keeps a version's description in a String(5000) column, which PostgreSQL enforces
MAX_CHARS = 5000
EARLIER = re.compile(r"^- \((\d+) earlier decisions: ")
WEAKEST = 5  # slices listed: the worst value of each sliced feature, worst first


@dataclass(frozen=True)
class CardFacts:
    """What a version's card reports beyond the gate's decision, gathered by `promote`."""

    dataset: str
    task: str  # regression | classification
    target: str
    candidate: str  # the candidate's name in params.yaml (hgb, mlp, ridge, ...)
    run_id: str  # the MLflow run that logged it
    gate_metric: str
    validation: dict[str, float]  # its validation scores (the train stage's)
    slices: dict[str, dict[str, dict[str, float]]]  # test window: metrics.score_slices
    lineage: dict[str, str]  # git_commit, data.as_of, data.md5.<file> (tracking.lineage)


def version_card(facts: CardFacts, decision: dict[str, Any]) -> str:
    """A version's description: data, metrics, weakest slices, lineage, and an empty list of
    decisions (lifecycle.registry adds each one once it is applied: `with_decision`)."""
    head = (
        f"**{facts.dataset}**: {facts.task} of `{facts.target}`, candidate "
        f"`{facts.candidate}` (MLflow run `{facts.run_id}`)."
    )
    parts = [head, _data(facts, decision), _metrics(facts, decision), _weakest(facts)]
    parts += [_lineage(facts), DECISIONS]
    return "\n\n".join(parts) + "\n"


def decision_line(decision: dict[str, Any]) -> str:
    """One decision as a line of the card (a promotion-log entry: registry.Decision.as_dict())."""
    line = f"- {decision['time']} ({decision['stage']}): **{decision['action']}**, "
    line += " ".join(str(decision["reason"]).splitlines())  # one line, whatever the reason
    evidence = decision.get("evidence") or {}
    return line + (f". Evidence: {evidence['verdict']}" if evidence.get("verdict") else "")


def with_decision(card: str | None, decision: dict[str, Any]) -> str:
    """The card with one more decision line, within MLflow's MAX_CHARS: the oldest lines give
    way to a count of them (a version without a card gets the list alone)."""
    line = decision_line(decision)
    head, _, listed = (card or "").partition(DECISIONS)
    head = head.rstrip("\n") + "\n\n" if head.strip() else ""  # an older card: its own text kept
    lines = [entry for entry in listed.split("\n") if entry.startswith("- ")]
    if line in lines:  # the same decision applied again (reconcile): written once
        return card or ""
    earlier = EARLIER.match(lines[0]) if lines else None
    dropped, lines = (int(earlier[1]), lines[1:]) if earlier else (0, lines)
    lines.append(line)
    while True:
        shown = [f"- ({dropped} earlier decisions: the promotion log has them)"] if dropped else []
        text = f"{head}{DECISIONS}\n" + "\n".join(shown + lines) + "\n"
        if len(text) <= MAX_CHARS or len(lines) == 1:
            return text[:MAX_CHARS]  # one line alone longer than the limit is cut
        lines, dropped = lines[1:], dropped + 1


def model_description(dataset: str, task: str, target: str, gate_metric: str) -> str:
    """The registered model's description: what it predicts and how a version gets served."""
    return (
        f"Predicts `{target}` of the **{dataset}** table ({task}). Every `dvc repro` registers "
        f"its best candidate here; the promotion gate compares it with the version that holds "
        f"the `champion` alias on the newest labelled window ({gate_metric}), and only a "
        "better one takes the alias, which the service serves. A `challenger` alias marks a "
        "version waiting for live evidence. Each version's description is its model card; "
        "the `gate.*` tags hold the same numbers for scripts, and the promotion log (the "
        "`promotions` table, or state/promotions.jsonl) every decision."
    )


def _data(facts: CardFacts, decision: dict[str, Any]) -> str:
    as_of = facts.lineage.get("data.as_of", "?")
    text = (
        f"### Data\n- the rows before {as_of} (`data.as_of`), split by time: fitted on the "
        "oldest window, selected on the next (validation), judged on the newest (test)"
    )
    if window := decision.get("window"):
        text += f"\n- test window {window['start']} .. {window['end']}, {window['rows']} rows"
    return text


def _metrics(facts: CardFacts, decision: dict[str, Any]) -> str:
    ours, theirs = decision.get("challenger_metrics") or {}, decision.get("champion_metrics")
    before = decision.get("champion_before")
    head = "| metric | validation | test |" + (f" champion v{before} on test |" if theirs else "")
    rows = [head, "|---|---|---|" + ("---|" if theirs else "")]
    for metric in sorted(set(facts.validation) | set(ours)):
        if metric == "rows":
            continue
        cells = [_number(facts.validation.get(metric)), _number(ours.get(metric))]
        cells += [_number(theirs.get(metric))] if theirs else []
        rows.append(f"| {metric} | " + " | ".join(cells) + " |")
    return f"### Metrics (gate metric: {facts.gate_metric})\n" + "\n".join(rows)


def _weakest(facts: CardFacts) -> str:
    metric = facts.gate_metric
    worst = [(f, *found) for f, values in facts.slices.items() if (found := _worst(values, metric))]
    worst.sort(key=lambda fvs: rank_key(metric, fvs[2][metric]), reverse=True)
    rows = [f"| slice | value | {metric} | rows |", "|---|---|---|---|"]
    for feature, value, scores in worst[:WEAKEST]:
        shown = _number(scores[metric])
        rows.append(f"| {feature} | {value} | {shown} | {scores.get('rows', 0):.0f} |")
    title = f"### Weakest slices (test window; per feature its worst value by {metric})"
    return title + "\n" + ("\n".join(rows) if worst else "no slice could be scored")


def _worst(values: dict[str, dict[str, float]], metric: str) -> tuple[str, dict[str, float]] | None:
    """The slice value with the worst score on `metric` (its direction); None: none scored it."""
    scored = [(value, scores) for value, scores in values.items() if metric in scores]
    return max(scored, key=lambda vs: rank_key(metric, vs[1][metric])) if scored else None


def _lineage(facts: CardFacts) -> str:
    lines = [f"- {key}: `{value}`" for key, value in sorted(facts.lineage.items())]
    lines.append(
        f"- the training data's MD5s are tags of MLflow run `{facts.run_id}`, which also keeps "
        "the training rows (`reference/`) that monitoring compares live traffic with"
    )
    return "### Lineage\n" + "\n".join(lines)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"
