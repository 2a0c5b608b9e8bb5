"""The shadow benchmark can fail: its verdicts include the shadow rows it dropped."""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.serving_shadow import missed, report


def server(dropped: float = 0.0, p99: float = 10.0) -> dict[str, Any]:
    rows = {"predicted": 1000.0 - dropped, "dropped": dropped}
    return {"ok_per_s": 1000.0, "p99_ms": p99, "failed": 0, "shadow_rows": rows}


def test_a_shadow_that_keeps_up_by_dropping_rows_misses_its_target() -> None:
    args = argparse.Namespace(seconds=5, clients=32)
    fine = report({"shadow_on": server(5), "shadow_off": server()}, "1", "2", args)
    assert fine["ratios"]["dropped_share"] == 0.005 and missed(fine["met"]) == []
    lossy = report({"shadow_on": server(50), "shadow_off": server()}, "1", "2", args)
    assert missed(lossy["met"]) == ["dropped_share"]
    slow = report({"shadow_on": server(p99=20), "shadow_off": server()}, "1", "2", args)
    assert missed(slow["met"]) == ["p99_ratio"]
