"""Promotions judged by the next month's labels, shadow months on the pages, and the policies
compared (pure: hand-made months and predictions, no server, no registry)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle.replay.comparison import comparison_markdown, policy_results, publish_comparison
from lifecycle.replay.hindsight import judge_in_hindsight
from lifecycle.replay.policy import POLICY_PARAMS, should_retrain
from lifecycle.replay.scoring import ReplayTerms
from lifecycle.replay.timeline import (
    Hindsight,
    LiveStage,
    Month,
    Promoted,
    Retrain,
    headline,
    promoted_in,
    tally_promotions,
)
from lifecycle.replay.timeline_page import publish_timeline, timeline_markdown
from lifecycle.replay.workrepo import set_yaml_value

MAE = ReplayTerms.of("regression", "mae")
META = {"policy": "shadow", "seconds": 12, "load_average": [1.0, 1.0, 1.0], "gate_confidence": 0.9}
HOURS = pd.date_range("2011-05-01", periods=24 * 30, freq="h").to_numpy()  # 30 days


def month(name: str, served: str = "1", mae: float = 50.0, **extra: object) -> Month:
    m = Month(name, served, 720, 0, 720, {"mae": mae}, {"mae": 80.0}, 0.25, "ok", [])
    for key, value in extra.items():
        setattr(m, key, value)
    return m


def seen(better: bool, confident: bool | None, month: str = "2011-06") -> Hindsight:
    """A hand-made hindsight: the promotion was (not) better, (not) confidently."""
    cut = 0.1 if better else -0.05
    return Hindsight(
        month, "2", "1", "offline", "mae", 45.0, 50.0, cut, cut - 0.05, cut + 0.05, 0.9, 720,
        30, better, confident, "v2 is ...",
    )  # fmt: skip


def test_a_promotion_is_judged_on_the_next_months_rows_by_the_gate_metric() -> None:
    rng = np.random.default_rng(0)
    y = rng.uniform(50, 300, len(HOURS))
    replaced = y + rng.normal(0, 40, len(y))  # the old champion's errors are twice as large
    promoted = y + rng.normal(0, 20, len(y))
    made = Promoted("3", "2", "offline")
    h = judge_in_hindsight("2011-05", made, "mae", y, replaced, promoted, HOURS, 0.9)
    mae_new, mae_old = np.abs(y - promoted).mean(), np.abs(y - replaced).mean()
    assert h.promoted_score == pytest.approx(mae_new, abs=1e-5)
    assert h.replaced_score == pytest.approx(mae_old, abs=1e-5)
    assert h.improvement == pytest.approx(1 - mae_new / mae_old, abs=1e-5)
    assert h.better and h.confident is True and h.low > 0 and h.days == 30 and h.rows == 720
    assert (h.promoted, h.replaced, h.stage, h.month) == ("3", "2", "offline", "2011-05")
    assert h.verdict.startswith("v3 is better")


def test_a_promotion_worse_on_the_next_month_counts_as_not_better() -> None:
    rng = np.random.default_rng(1)
    y = rng.uniform(50, 300, len(HOURS))
    replaced, promoted = y + rng.normal(0, 20, len(y)), y + rng.normal(0, 22, len(y))
    h = judge_in_hindsight("2011-05", Promoted("3", "2", "live"), "mae", y, replaced, promoted,
                           HOURS, 0.9)  # fmt: skip
    assert h.improvement < 0 and not h.better and h.confident in (False, None)
    # The same predictions twice: no change at all is not better either (improvement 0).
    same = judge_in_hindsight("2011-05", Promoted("3", "2", "live"), "mae", y, replaced,
                              replaced, HOURS, 0.9)  # fmt: skip
    assert same.improvement == 0 and not same.better and same.confident is None


def test_promotions_of_both_stages_are_found_and_counted() -> None:
    live = LiveStage("3", "2", "promote", "live gate: v3 PROMOTED", None, 720)
    refused_live = LiveStage("5", "3", "refuse", "live gate: v5 REFUSED", None, 720)
    months = [
        month("2011-04", retrain=Retrain("2011-05-01", "promote", "2", "beats"),
              hindsight=seen(True, True, "2011-05")),
        month("2011-05", "2", retrain=Retrain("2011-06-01", "shadow", "3", "passed offline")),
        month("2011-06", "2", live=live, hindsight=seen(False, False, "2011-07")),
        month("2011-07", "3", retrain=Retrain("2011-08-01", "refuse", "4", "no")),
        month("2011-08", "3", retrain=Retrain("2011-09-01", "shadow", "5", "passed offline")),
        month("2011-09", "3", live=refused_live,
              retrain=Retrain("2011-10-01", "promote", "6", "beats")),
    ]  # fmt: skip
    assert promoted_in(months[0]) == Promoted("2", "1", "offline")
    assert promoted_in(months[1]) is None  # into shadow: the champion did not change
    assert promoted_in(months[2]) == Promoted("3", "2", "live")
    assert promoted_in(months[3]) is None and promoted_in(months[4]) is None
    assert promoted_in(months[5]) == Promoted("6", "3", "offline")  # the last: not judged
    tally = tally_promotions(months)
    assert (tally.promotions, tally.judged, tally.not_better) == (3, 2, 1)
    assert (tally.confidently_worse, tally.confidently_better) == (1, 1)
    h = headline(months, MAE)
    assert (h.retrains, h.promotions, h.refusals, h.shadowed, h.live_refusals) == (5, 3, 1, 2, 1)
    assert (h.promotions_judged, h.promotions_not_better, h.promotions_confidently_worse) == (
        2, 1, 1,
    )  # fmt: skip
    page = timeline_markdown(months, META, MAE)
    assert (
        "- promotions not better on the next month's labels: **1 of 2** (1 confidently worse "
        "at 90%); 1 after the last month, not judged"
    ) in page
    assert (
        "- retrains: 5, promotions: 3, refusals: 1, failures: 0; into shadow: 2, refused live: 1"
        in page
    )
    assert "| 2011-06 | v2 (v3 in shadow) |" in page
    assert "next month: **not better**, confidently worse (error cut -5.0 %" in page
    assert "next month: better, confidently (error cut +10.0 %" in page


def test_a_shadow_month_shows_the_live_evidence_and_decision(tmp_path: Path) -> None:
    evidence = {"improvement": 0.12, "low": 0.08, "high": 0.16, "confidence": 0.9, "rows": 731}
    waiting = LiveStage("2", "1", "wait", "live gate: v2 WAITS: 40 labelled shadow rows", None)
    months = [
        month("2011-04", retrain=Retrain("2011-05-01", "shadow", "2", "passed offline")),
        month("2011-05", live=LiveStage("2", "1", "promote", "live gate: v2 PROMOTED", evidence,
                                        731), switched_to="2"),
        month("2011-06", "2"),
        month("2011-07", "2", live=waiting),
    ]  # fmt: skip
    page = timeline_markdown(months, META, MAE)
    assert (
        "| 2011-05 | v1 (v2 in shadow) | 50.0 | 80.0 | 0.25 | ok | live gate on v2: **promote** "
        "(shadow error cut +12.0 %, 90% interval +8.0 % .. +16.0 %, 731 rows) |"
    ) in page
    assert "live gate on v2: **wait** (live gate: v2 WAITS: 40 labelled shadow rows)" in page
    publish_timeline(months, META, tmp_path, MAE)
    body = json.loads((tmp_path / "timeline.json").read_text())
    may = body["months"][1]
    assert may["live"]["version"] == "2" and may["live"]["evidence"]["improvement"] == 0.12
    assert may["live"]["action"] == "promote" and may["hindsight"] is None
    assert body["headline"]["promotions"] == 1 and body["headline"]["shadowed"] == 1
    assert (tmp_path / "timeline.png").stat().st_size > 5000


def test_the_policies_are_compared_side_by_side(tmp_path: Path) -> None:
    drift = [
        month("2011-04", mae=60.0, retrain=Retrain("2011-05-01", "promote", "2", "beats"),
              hindsight=seen(False, None)),
        month("2011-05", "2", mae=40.0),
    ]  # fmt: skip
    never = [month("2011-04", mae=60.0), month("2011-05", mae=80.0)]
    rows = policy_results({"drift": drift, "never": never}, MAE)
    assert [r.policy for r in rows] == ["drift", "never"]
    assert rows[0].served == 50.0 and rows[1].served == 70.0 and rows[0].counterfactual == 80.0
    assert (rows[0].retrains, rows[0].promotions, rows[0].promotions_not_better) == (1, 1, 1)
    assert (rows[1].retrains, rows[1].promotions, rows[1].promotions_judged) == (0, 0, 0)
    page = comparison_markdown(rows, MAE)
    assert "| drift | 2 | 50.00 | 80.00 | 1 | 1 | 1 of 1 | 0 | 0 |" in page
    assert "| never | 2 | 70.00 | 80.00 | 0 | 0 | 0 of 0 | 0 | 0 |" in page
    publish_comparison({"drift": drift, "never": never}, MAE, tmp_path, {"policies": ["drift"]})
    body = json.loads((tmp_path / "comparison.json").read_text())
    assert [p["policy"] for p in body["policies"]] == ["drift", "never"]
    assert body["policies"][0]["promotions_not_better"] == 1 and body["meta"]["metric"] == "mae"
    assert (tmp_path / "comparison.md").exists()
    assert (tmp_path / "comparison.png").stat().st_size > 5000


def test_the_shadow_policy_retrains_like_drift_and_turns_the_live_stage_on() -> None:
    assert should_retrain("shadow", "retrain", 1, 3) and not should_retrain("shadow", "ok", 9, 3)
    assert POLICY_PARAMS["shadow"] == {
        ("gate", "live", "required"): "true",
        ("rollout", "shadow"): "true",
    }
    assert "drift" not in POLICY_PARAMS  # the default policy's params stay as they are


def test_a_nested_param_is_set_in_place_keeping_comments_and_layout() -> None:
    text = (
        "gate:  # the gate\n"
        "  margin: 0.02  # 2 %\n"
        "  live:\n"
        "    required: false # true: shadow first\n"
        "                    # (a continued comment)\n"
        "    min_rows: 200\n"
        "rollout:\n"
        "  shadow: false        # off the answer path\n"
        "  required: false\n"
    )
    out = set_yaml_value(text, ("gate", "live", "required"), "true")
    out = set_yaml_value(out, ("rollout", "shadow"), "true")
    assert out.splitlines()[3] == "    required: true  # true: shadow first"
    assert out.splitlines()[7] == "  shadow: true         # off the answer path"
    assert out.splitlines()[8] == "  required: false"  # the other `required` is untouched
    assert set_yaml_value(text, ("gate", "live", "min_rows"), "50").endswith(
        "    min_rows: 50\nrollout:\n  shadow: false        # off the answer path\n"
        "  required: false\n"
    )
    with pytest.raises(ValueError, match=r"no `gate\.canary`"):
        set_yaml_value(text, ("gate", "canary"), "1")
    with pytest.raises(ValueError, match="no scalar"):
        set_yaml_value(text, ("gate", "live"), "1")


def test_each_judged_month_says_how_many_rows_its_noise_needs_to_see_the_margin() -> None:
    from lifecycle.evidence import paired, rows_to_detect

    rng = np.random.default_rng(2)
    y = rng.uniform(50, 300, len(HOURS))
    replaced, promoted = y + rng.normal(0, 40, len(y)), y + rng.normal(0, 38, len(y))
    made = Promoted("3", "2", "offline")
    h = judge_in_hindsight("2011-05", made, "mae", y, replaced, promoted, HOURS, 0.9, margin=0.02)
    same = paired("mae", y, replaced, promoted, HOURS, 0.9)
    assert h.rows_to_detect_margin == rows_to_detect(same, 0.02) > len(y)  # a month is too few
    others = [seen(True, True), seen(False, None)]
    others[0].rows_to_detect_margin, others[1].rows_to_detect_margin = 1000, 3000
    months = [month("2011-05", hindsight=h), month("2011-06", hindsight=others[0]),
              month("2011-07", hindsight=others[1])]  # fmt: skip
    for m in months:
        m.retrain = Retrain("x", "promote", "3", "")
    assert (
        headline(months, MAE).rows_to_detect_margin
        == sorted([1000, 3000, h.rows_to_detect_margin])[1]
    )
