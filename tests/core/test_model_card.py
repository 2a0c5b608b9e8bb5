"""Model cards: what a version's description says, in which order, whichever way a metric goes."""

from __future__ import annotations

from typing import Any

from lifecycle.model_card import CardFacts, decision_line, version_card, with_decision


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
    card = version_card(facts("mae", SLICES), decision(champion_metrics=champion, window=window))
    heads = ["### Data", "### Metrics", "### Weakest slices", "### Lineage", "### Decisions"]
    assert [card.index(h) for h in heads] == sorted(card.index(h) for h in heads)
    assert "| mae | 2 | 1.5 | 1.8 |" in card and "\n| rows | " not in card  # a count, not a metric
    assert "test window 2012-01-01 00:00 .. 2012-01-14 23:00, 336 rows" in card
    assert card.rstrip().endswith(decision_line(decision(champion_metrics=champion)))


def test_each_later_decision_adds_one_line_once() -> None:
    card = version_card(facts("mae", SLICES), decision())
    evidence = {"verdict": "the challenger is better: its mae error is 9.0% lower"}
    live = decision("promote", "live", evidence=evidence)
    once = with_decision(card, live)
    assert once.rstrip().endswith("Evidence: the challenger is better: its mae error is 9.0% lower")
    assert with_decision(once, live) == once  # applied again (reconcile): not written twice
    assert with_decision(None, live) == f"### Decisions\n{decision_line(live)}\n"
