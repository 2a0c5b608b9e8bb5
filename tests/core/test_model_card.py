"""Model cards: what a version's description says, in which order, whichever way a metric goes."""

from __future__ import annotations

from typing import Any

from lifecycle.model_card import MAX_CHARS, CardFacts, decision_line, version_card, with_decision


def facts(metric: str, slices: dict[str, dict[str, dict[str, float]]]) -> CardFacts:
    """A card's facts with the given gate metric and test-window slices."""
    return CardFacts(
        dataset="orders",
        task="regression",
        target="amount",
        candidate="hgb",
        run_id="abc123",
        gate_metric=metric,
        validation={"mae": 2.0, "r2": 0.5, "rows": 10.0},
        slices=slices,
        lineage={"git_commit": "deadbeef", "data.as_of": "2012-01-01"},
    )


def decision(action: str = "promote", stage: str = "offline", **extra: Any) -> dict[str, Any]:
    """A promotion-log entry as registry.Decision.as_dict() writes it."""
    entry = {"time": "2026-12-04T00:00:00+00:00", "stage": stage, "action": action}
    entry |= {"reason": "hgb: beats v1", "champion_before": "1", "window": {}}
    return entry | {"challenger_metrics": {"mae": 1.5, "r2": 0.6}, "champion_metrics": None} | extra


SLICES = {
    "region": {
        "north": {"mae": 3.0, "r2": 0.9, "rows": 5},
        "south": {"mae": 1.0, "r2": 0.1, "rows": 7},
    },
    "weekday": {"mon": {"mae": 2.0, "r2": 0.5, "rows": 4}},
    "flag": {"true": {"rows": 1}},  # nothing scored: no row in the table
}


def test_the_weakest_slices_follow_the_metrics_direction() -> None:
    by_mae = version_card(facts("mae", SLICES), decision())
    assert "| region | north | 3 | 5 |" in by_mae  # a higher error is worse
    assert by_mae.index("| region |") < by_mae.index("| weekday |")  # worst first
    assert "| flag |" not in by_mae
    by_r2 = version_card(facts("r2", SLICES), decision())
    assert "| region | south | 0.1 | 7 |" in by_r2  # a lower R² is worse


def test_the_card_has_every_section_in_order_and_its_first_decision() -> None:
    champion = {"mae": 1.8, "r2": 0.55}
    window = {"start": "2012-01-01 00:00", "end": "2012-01-14 23:00", "rows": "336"}
    first = decision(champion_metrics=champion, window=window)
    card = version_card(facts("mae", SLICES), first)
    assert card.rstrip().endswith("### Decisions")  # a decision is listed once it is applied
    card = with_decision(card, first)
    heads = ["### Data", "### Metrics", "### Weakest slices", "### Lineage", "### Decisions"]
    assert [card.index(h) for h in heads] == sorted(card.index(h) for h in heads)
    assert "| mae | 2 | 1.5 | 1.8 |" in card and "\n| rows | " not in card  # a count, not a metric
    assert "test window 2012-01-01 00:00 .. 2012-01-14 23:00, 336 rows" in card
    assert card.rstrip().endswith(decision_line(decision(champion_metrics=champion)))


def test_each_later_decision_adds_one_line_once() -> None:
    card = with_decision(version_card(facts("mae", SLICES), decision()), decision())
    evidence = {"verdict": "the challenger is better: its mae error is 9.0% lower"}
    live = decision("promote", "live", evidence=evidence)
    once = with_decision(card, live)
    assert once.rstrip().endswith("Evidence: the challenger is better: its mae error is 9.0% lower")
    assert with_decision(once, live) == once  # applied again (reconcile): not written twice
    assert with_decision(None, live) == f"### Decisions\n{decision_line(live)}\n"


def test_a_card_stays_within_mlflows_limit_dropping_its_oldest_decisions() -> None:
    card = with_decision(version_card(facts("mae", SLICES), decision()), decision())
    head = card.split("### Decisions")[0]
    for day in range(1, 29):  # many decisions: rollbacks to it and back, say
        reason = f"manual rollback number {day}, " + "with a long reason " * 10
        card = with_decision(
            card, decision("rollback", "manual", time=f"2026-12-{day:02d}", reason=reason)
        )
    assert len(card) <= MAX_CHARS and card.startswith(head)  # the card itself is kept whole
    lines = card.split("### Decisions\n")[1].splitlines()
    dropped = int(lines[0].split("(")[1].split(" ")[0])
    assert lines[0].endswith("earlier decisions: the promotion log has them)")
    assert dropped + len(lines) - 1 == 29  # nothing lost without being counted
    assert "2026-12-28" in lines[-1]  # the newest always listed
    again = with_decision(card, decision("promote", "live", time="2026-12-30"))
    assert len(again) <= MAX_CHARS and "2026-12-30" in again.splitlines()[-1]


def test_a_card_written_by_hand_keeps_its_text_and_a_reason_stays_one_line() -> None:
    card = with_decision("Trained by hand.", decision(reason="first line\nsecond line"))
    assert card.startswith("Trained by hand.\n\n### Decisions\n")
    assert card.splitlines()[-1].endswith("first line second line")
    assert with_decision(card, decision(reason="first line\nsecond line")) == card  # once
