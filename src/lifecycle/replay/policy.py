"""When does the loop retrain? Four policies, one pure function, and what each sets in params."""

from __future__ import annotations

from typing import Literal

Policy = Literal["drift", "scheduled", "shadow", "never"]

# What a policy changes in its working repository's params.yaml before the first champion.
# shadow: a retrain that passes the offline gate serves a month in shadow (the running service
# predicts every request with it too, off the answer path), and the live gate decides.
POLICY_PARAMS: dict[str, dict[tuple[str, ...], str]] = {
    "shadow": {("gate", "live", "required"): "true", ("rollout", "shadow"): "true"},
}


def should_retrain(policy: Policy, decision: str, months_since_retrain: int, every: int) -> bool:
    """Decide after a month: follow monitoring (drift, shadow), the calendar (scheduled), or
    never.

    `decision` is monitoring's verdict for the month ("retrain", "ok" or "insufficient_data").
    """
    if policy == "never":
        return False
    if policy == "scheduled":
        return months_since_retrain >= every
    return decision == "retrain"
