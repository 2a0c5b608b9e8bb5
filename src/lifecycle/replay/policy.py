"""When does the loop retrain? Three policies, one pure function."""

from __future__ import annotations

from typing import Literal

Policy = Literal["drift", "scheduled", "never"]


def should_retrain(policy: Policy, decision: str, months_since_retrain: int, every: int) -> bool:
    """Decide after a month: follow monitoring (drift), the calendar (scheduled), or never.

    `decision` is monitoring's verdict for the month ("retrain", "ok" or "insufficient_data").
    """
    if policy == "never":
        return False
    if policy == "scheduled":
        return months_since_retrain >= every
    return decision == "retrain"
