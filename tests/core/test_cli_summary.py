"""`lifecycle summary`: the candidates' table and the gate's decision, with how sure it is."""

from lifecycle.cli import summary_table

SCORES = {"mae": 30.0, "rmse": 45.0, "r2": 0.8}
METRICS = {"best": "hgb", "hgb": {"val": SCORES, "test": SCORES}}


def decision(action: str, evidence: dict | None = None) -> dict:
    return {
        "model_name": "bike-demand",
        "version": "4",
        "action": action,
        "reason": "hgb: mae 30.00 beats the champion's 40.00 by more than 2%",
        "champion_after": "3" if action == "shadow" else "4",
        "evidence": evidence,
    }


def test_a_decision_with_evidence_says_how_sure_it_is() -> None:
    sure = {"verdict": "the challenger is better: its mae error is 25.0% lower (...)"}
    text = summary_table(METRICS, decision("promote", sure))
    assert "gate: bike-demand v4 PROMOTED to champion" in text
    assert text.splitlines()[-2] == f"sure: {sure['verdict']}"
    assert text.splitlines()[-1] == "champion now: v4"


def test_a_waiting_challenger_reads_as_in_shadow_and_without_evidence_no_sure_line() -> None:
    text = summary_table(METRICS, decision("shadow"))
    assert "v4 in SHADOW: passed offline, the live gate decides (champion unchanged)" in text
    assert "sure:" not in text and text.endswith("champion now: v3")
